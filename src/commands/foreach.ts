// foreach: runs a per-task command (bt, task, ps, files, net, vm, ...) on every task, or on those chosen by
// pid, task address, command name, 'regex', kernel/user/gleader/active and task state, printing crash's
// task header before each. Follows crash's cmd_foreach() and foreach() in task.c.
//
// Commands plug in with registerForeach(keyword, command): start() sees foreach's options once (all of
// them: crash parses every flag with foreach's own getopt and the command picks those it knows), may reject
// them (throw a CommandError: crash's fatal error, printed as "foreach: <message>"), and returns what runs
// per task. A per-task error is printed as "<keyword>: <message>" and foreach goes on with the next task, as
// crash's RESUME_FOREACH does. For example, bt:
//
//   registerForeach('bt', { start: (session, o) => ({ header: !o.reference, task: (t) => backtrace(session, t, o) }) });
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { type TaskInfo, type Tasks, isNumber, taskHeader, tasksOf } from '../kernel/tasks.ts';
import type { Command } from './command.ts';
import { Ps, type PsOptions, parsePolicy, splitKeepingQuotes } from './ps.ts';
import { doTask } from './task.ts';
import { CrashFatal, getopt, usage } from './crash-tools.ts';

/** foreach's options and the command's own arguments, as crash's foreach_data holds them. */
export interface ForeachOptions {
  /** Every option letter given (crash's FOREACH_*_FLAG); -F twice is "FF". */
  flags: Set<string>;
  /** -R's member list (crash passes it to the command as its reference). */
  reference?: string;
  /** -y's policy. */
  policy?: string;
  /** The words after the keyword (crash's arg_array). */
  args: string[];
}

/** One foreach run of a command. */
export interface ForeachRun {
  /** Whether foreach prints each task's header before the command's output (crash: all but ps; none with -R). */
  header: boolean;
  /** Printed once before the first task (crash's warnings, e.g. net without -s). */
  preamble?: string;
  /** The order tasks are visited in, if the command changes it (ps -l/-m: latest run first). */
  order?(tasks: TaskInfo[]): TaskInfo[];
  /** The command's output for one task. */
  task(t: TaskInfo): string;
}

export interface ForeachCommand {
  start(session: Session, opts: ForeachOptions): ForeachRun;
}

/** The keywords crash's foreach knows (is_foreach_keyword()). */
export const FOREACH_KEYWORDS = ['bt', 'vm', 'task', 'set', 'files', 'net', 'vtop', 'sig', 'test', 'ps'] as const;

const REGISTRY = new Map<string, ForeachCommand>();

/** Makes `keyword` runnable by foreach. */
export function registerForeach(keyword: (typeof FOREACH_KEYWORDS)[number], cmd: ForeachCommand): void {
  REGISTRY.set(keyword, cmd);
}

const SPEC = 'R:vomlgersStTpukcfFxhdaGy:';
const SYNOPSIS = '[[pid | taskp | name | state | [kernel | user | gleader]] ...]\n          command [flag] [argument]';
const STATES = ['RU', 'IN', 'UN', 'ST', 'TR', 'ZO', 'DE', 'PA', 'WA', 'ID', 'NE', 'SW'];

/** The state bits a state name needs in this kernel (crash's check for "invalid task state"). */
function stateKnown(tasks: Tasks, name: string): boolean {
  const s = tasks.states();
  switch (name) {
    case 'TR':
      return s.tracingStopped !== undefined;
    case 'DE':
      return s.dead !== undefined;
    case 'SW':
      return s.swapping !== undefined;
    case 'PA':
      return s.parked !== undefined;
    case 'WA':
      return s.waking !== undefined;
    case 'ID':
      return s.noload !== undefined;
    case 'NE':
      return s.new !== undefined;
    default:
      return true;
  }
}

export const foreachCommand: Command = {
  name: 'foreach',
  summary: 'display command data for multiple tasks in the system',
  run({ session, line }) {
    const words = splitKeepingQuotes(line).slice(1);
    const g = getopt('foreach', words, SPEC);
    const flags = new Set<string>();
    let reference: string | undefined;
    let policy: string | undefined;
    for (const { c, arg } of g.opts) {
      if (c === 'R') reference = arg;
      else if (c === 'y') policy = arg;
      else if (c === 'F' && flags.has('F')) flags.add('FF');
      else if (c === 'h') flags.add('x');
      else flags.add(c);
    }
    let out = g.errors.map((e) => `${e}\n`).join('');
    if (g.errors.length || g.rest.length === 0) return out + usage('foreach', SYNOPSIS);
    if (policy !== undefined) flags.add('y');

    const tasks = tasksOf(session);
    const pids: number[] = [];
    const taskAddrs: bigint[] = [];
    const comms: string[] = [];
    const regexes: RegExp[] = [];
    const args: string[] = [];
    let keyword: string | undefined;
    let specified = false;
    let kernel = false;
    let user = false;
    let gleader = false;
    let active = false;
    let state: string | undefined;
    const fatal = (msg: string): string => {
      if (out === '') throw new CommandError(msg);
      return `${out}foreach: ${msg}\n`;
    };
    for (let word of g.rest) {
      // After the keyword every word is the command's.
      if (keyword !== undefined) {
        args.push(word);
        continue;
      }
      if ((FOREACH_KEYWORDS as readonly string[]).includes(word)) {
        keyword = word;
        continue;
      }
      if (isNumber(word)) {
        if (word === 'DE' && tasks.byPid(0xde).length) {
          return `${out}foreach: ambiguous task-identifying argument: ${word}\n        for a "state" argument, use: \\DE\n        for a "pid" argument, use: 0xDE, 0xde, de or 222\n\n${usage('foreach', SYNOPSIS)}`;
        }
        const r = tasks.parseArg(word);
        if (r.kind === 'pid') {
          pids.push(r.value);
          specified = true;
          continue;
        }
        if (r.kind === 'task') {
          taskAddrs.push(r.value);
          specified = true;
          continue;
        }
      }
      if (word === 'kernel') {
        if (user) return fatal('user and kernel are mutually exclusive!');
        kernel = true;
        continue;
      }
      if (word === '\\DE') word = 'DE';
      if (STATES.includes(word)) {
        if (state !== undefined) return fatal('only one task state allowed');
        if (!stateKnown(tasks, word)) return fatal(`invalid task state for this kernel: ${word}`);
        state = word;
        continue;
      }
      if (word === 'user') {
        if (kernel) return fatal('user and kernel are mutually exclusive!');
        user = true;
        continue;
      }
      if (word === 'gleader') {
        if (kernel) return fatal('gleader and kernel are mutually exclusive!');
        user = true;
        gleader = true;
        continue;
      }
      if (word === 'active') {
        active = true;
        continue;
      }
      if (word.length >= 2 && word.startsWith("'") && word.endsWith("'")) {
        try {
          regexes.push(new RegExp(word.slice(1, -1)));
        } catch {
          return `${out}foreach: invalid regular expression: ${word.slice(1, -1)}\n`;
        }
        continue;
      }
      const comm = word.startsWith('\\') ? word.slice(1) : word;
      if (tasks.all().some((t) => t.comm === comm.slice(0, 15))) {
        comms.push(comm.slice(0, 15));
        specified = true;
        continue;
      }
      // Unknown: counted as a selector, so that a typo does not run the command on every task.
      specified = true;
      out += `foreach: unknown argument: "${word}"\n`;
    }
    if (keyword === undefined) return `${out}foreach: no keywords specified\n`;
    let preamble: string;
    try {
      preamble = precheck(keyword, flags, reference, args);
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      return fatal(e.message);
    }
    out += preamble;
    const cmd = REGISTRY.get(keyword) ?? (session.commandNames().includes(keyword) ? standalone(keyword) : undefined);
    if (!cmd) return fatal(`${keyword}: not available yet`);

    let run: ForeachRun;
    try {
      run = cmd.start(session, { flags, reference, policy, args });
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      return fatal(e.message);
    }
    out += run.preamble ?? '';
    let list = tasks.all();
    if (run.order) list = run.order(list);
    let subsequent = false;
    for (const t of list) {
      if (active && !tasks.isActive(t)) continue;
      if (user && tasks.isKernelThread(t)) continue;
      if (gleader && t.pid !== t.tgid) continue;
      if (kernel && !tasks.isKernelThread(t)) continue;
      if (state !== undefined && !tasks.stateString(t).startsWith(state)) continue;
      if (specified || regexes.length) {
        const doit = taskAddrs.includes(t.task) || pids.includes(t.pid) || comms.includes(t.comm) || regexes.some((r) => r.test(t.comm));
        if (!doit) continue;
      }
      if (run.header) {
        out += taskHeader(t, subsequent);
        subsequent = true;
      }
      try {
        out += run.task(t);
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
        // crash's RESUME_FOREACH: the command's error, then the next task.
        out += `${e instanceof CrashFatal ? e.partial : ''}${keyword}: ${e.message}\n`;
      }
    }
    return out;
  },
};

/**
 * crash's checks of foreach's options against the keyword, before any task (foreach() in task.c): a
 * CommandError is fatal; the text returned (warnings) is printed first. May adjust the flags as crash does.
 */
function precheck(keyword: string, flags: Set<string>, reference: string | undefined, args: string[]): string {
  const both = (a: string, b: string): boolean => flags.has(a) && flags.has(b);
  switch (keyword) {
    case 'net': {
      let out = '';
      if (both('s', 'S')) {
        out += 'WARNING: net -s and -S options are mutually exclusive!\n';
        // crash replaces all the flags with -s here.
        flags.clear();
        flags.add('s');
      } else if (!flags.has('s') && !flags.has('S')) {
        out += 'WARNING: net command requires -s or -S option\n\n';
        flags.add('s');
      }
      if (both('x', 'd')) throw new CommandError('net: -x and -d options are mutually exclusive');
      return out;
    }
    case 'vtop':
      if (args.length === 0) throw new CommandError('foreach command requires address argument');
      if (reference !== undefined) throw new CommandError('vtop command does not support -R option');
      if (both('u', 'k')) throw new CommandError('vtop: -u and -k options are mutually exclusive');
      return '';
    case 'vm':
      if (both('x', 'd')) throw new CommandError('vm: -x and -d options are mutually exclusive');
      if (['p', 'm', 'v'].filter((c) => flags.has(c)).length > 1) throw new CommandError('vm command accepts only one of -p, -m or -v flags');
      if (reference !== undefined) {
        if (flags.has('m')) throw new CommandError('vm: -m is not applicable to the -R option');
        if (flags.has('v')) throw new CommandError('vm: -v is not applicable to the -R option');
      }
      return '';
    case 'bt':
      if (both('x', 'd')) throw new CommandError('bt: -x and -d options are mutually exclusive');
      if (flags.has('g')) throw new CommandError('bt -g option is not supported when issued from foreach');
      return '';
    case 'set':
      if (reference !== undefined) throw new CommandError('set command does not support -R option');
      return '';
    case 'sig':
      if (flags.has('l') || flags.has('s')) throw new CommandError('sig: -l and -s options are not applicable');
      return '';
    case 'files':
      if (flags.has('p')) throw new CommandError('files command does not support -p option');
      return '';
    default:
      return '';
  }
}

/**
 * A keyword whose command has not registered: the stand-alone command run on each task's address with
 * foreach's options, which prints its own task header (bt, files, vm, net -s, sig do); crash's blank line
 * separates the tasks.
 */
function standalone(keyword: string): ForeachCommand {
  return {
    start(session, o) {
      const words = [...o.flags].filter((f) => f !== 'y').map((f) => (f === 'FF' ? '-F' : `-${f}`));
      if (o.reference !== undefined) words.push('-R', o.reference);
      if (o.policy !== undefined) words.push('-y', o.policy);
      let subsequent = false;
      return {
        header: false,
        task(t) {
          const r = session.run([keyword, ...words, ...o.args, `0x${t.task.toString(16)}`].join(' '));
          const text = `${subsequent ? '\n' : ''}${r.output}`;
          subsequent = true;
          return text;
        },
      };
    },
  };
}

/** foreach ps: crash's FOREACH_PS flags, one show_ps() per task with its header only the first time. */
registerForeach('ps', {
  start(session, o) {
    const f = o.flags;
    const exclusive = ['g', 'a', 't', 'c', 'p', 'l', 'r', 'm'].filter((c) => f.has(c));
    if (exclusive.length > 1) throw new CommandError('-a, -t, -c, -p, -g, -l, -m, -S, -r and -A flags are all mutually-exclusive');
    if ((f.has('l') || f.has('m')) && f.has('G')) throw new CommandError(`-G not supported with -${f.has('l') ? 'l' : 'm'} option`);
    const ps = new Ps(session);
    const opts: PsOptions = { group: f.has('G'), kstackp: f.has('s') };
    if (o.policy !== undefined) opts.policy = parsePolicy(o.policy);
    // The first of these crash finds decides (an if/else chain, not an error).
    if (f.has('a')) opts.argv = true;
    else if (f.has('c')) opts.children = true;
    else if (f.has('p')) opts.parents = true;
    else if (f.has('t')) opts.times = true;
    else if (f.has('l')) opts.lastRun = true;
    else if (f.has('m')) opts.msecs = true;
    else if (f.has('r')) opts.rlimit = true;
    else if (f.has('g')) opts.tgidList = true;
    if ((opts.lastRun || opts.msecs) && !ps.hasLastRun()) throw new CommandError('last-run timestamps do not exist in this kernel');
    let subsequent = false;
    return {
      header: false,
      order: opts.lastRun || opts.msecs ? () => ps.byLastRun() : undefined,
      task(t) {
        const text = ps.show({ ...opts, noHeader: subsequent }, [{ by: 'task', task: t.task }]);
        subsequent = true;
        return text;
      },
    };
  },
});

/** foreach task: the task_struct under foreach's header, or -R's members under task's own header. */
registerForeach('task', {
  start(session, o) {
    if (o.flags.has('x') && o.flags.has('d')) throw new CommandError('task: -x and -d options are mutually exclusive');
    return {
      header: !o.reference,
      task: (t) => doTask(session, t, { hex: o.flags.has('x'), reference: o.reference, inForeach: true }),
    };
  },
});
