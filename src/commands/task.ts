// task: a task's task_struct (and thread_info) as gdb prints them inside crash, under crash's task header;
// -R picks members out of that text; -x/-d choose the radix. The default task is the panic task (crash's
// current context). Follows crash's cmd_task(), do_task(), task_struct_member() and parse_task_thread().
import { kv } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CommandError } from '../errors.ts';
import { type TaskInfo, type Tasks, isNumber, taskHeader, tasksOf } from '../kernel/tasks.ts';
import { memberOffset, strip } from '../types/type.ts';
import type { Command } from './command.ts';
import { findDatatype, parseForMemberExtended, printObjectText } from './struct.ts';
import { finish, getopt, usage } from './crash-tools.ts';

const SYNOPSIS = '[-R member[,member]] [-dx] [pid | taskp] ...';

/** Where crash finds a task's thread_info: inside the task (THREAD_INFO_IN_TASK) or at task->stack. */
function threadInfoAddress(tasks: Tasks, t: TaskInfo): bigint | undefined {
  const type = tasks.layout.type;
  const ti = memberOffset(type, 'thread_info');
  if (ti) {
    if (strip(ti.type).kind === 'struct') return t.task + BigInt(ti.offset);
    return tasks.prog.memory.readU64(kv(t.task + BigInt(ti.offset)));
  }
  if (memberOffset(type, 'stack')) return tasks.stackBase(t);
  return undefined;
}

/** crash's dump_struct() of the task_struct, then of its thread_info when the kernel has one. */
function dumpTask(session: Session, tasks: Tasks, t: TaskInfo, hex: boolean, between = '\n'): string {
  const prog = session.program;
  const ts = findDatatype(prog, 'task_struct')!;
  let out = printObjectText(session, ts, t.task, { hex }, 'task');
  const tiAddr = threadInfoAddress(tasks, t);
  const ti = findDatatype(prog, 'thread_info');
  if (tiAddr !== undefined && ti) out += between + printObjectText(session, ti, tiAddr, { hex }, 'task');
  return out;
}

/** crash's parse_task_thread(): the lines of one top-level member (with its braces) from the dump text. */
export function parseTaskThread(text: string, member: string): string {
  let out = '';
  let lookfor2 = '';
  let lookfor3 = '';
  // A randomized task_struct (randstruct) wraps members in an anonymous "  {" ... "  }," group.
  let randomized = false;
  for (const buf of text.split(/(?<=\n)/)) {
    if (buf === '  {\n') randomized = true;
    else if (randomized && (buf === '  }, \n' || buf === '  },\n')) randomized = false;
    if (lookfor2) {
      out += buf;
      if (buf.startsWith(lookfor2)) lookfor2 = '';
      continue;
    }
    if (lookfor3) {
      out += buf;
      if (buf.includes(lookfor3)) lookfor3 = '';
      continue;
    }
    const lookfor1 = `${randomized ? '  ' : ''}  ${member} = `;
    if (buf.startsWith(lookfor1)) {
      out += buf;
      if (buf.includes('{{\n')) lookfor2 = `${randomized ? '  ' : ''}    }},`;
      else if (buf.includes(' = {\n')) lookfor2 = `${' '.repeat(buf.length - buf.trimStart().length)}}`;
      else if (buf.includes('{')) lookfor3 = '},';
    }
  }
  return out;
}

/** crash's do_task(): for foreach (no header of its own unless -R) and for task. */
export function doTask(session: Session, t: TaskInfo, opts: { hex?: boolean; reference?: string; inForeach?: boolean }): string {
  const tasks = tasksOf(session);
  let out = '';
  if (opts.reference) {
    out += taskHeader(t);
    out += taskStructMember(session, tasks, t, opts.reference, opts.hex ?? false);
  } else {
    if (!opts.inForeach) out += taskHeader(t);
    out += dumpTask(session, tasks, t, opts.hex ?? false);
  }
  return `${out}\n`;
}

/** crash's task_struct_member(): each -R member's lines, in the order given. */
function taskStructMember(session: Session, tasks: Tasks, t: TaskInfo, reference: string, hex: boolean): string {
  const args = reference.split(',').filter((a) => a !== '');
  const text = dumpTask(session, tasks, t, hex, '');
  const prog = session.program;
  const ti = prog.tryType('struct thread_info');
  let out = '';
  for (const a of args) {
    if (a.includes('.') || a.includes('[')) {
      out += parseForMemberExtended(text, a).out;
      continue;
    }
    if (!memberOffset(tasks.layout.type, a) && !(ti && memberOffset(ti, a))) out += `task: ${a}: not a task_struct or thread_info member\n`;
    out += parseTaskThread(text, a);
  }
  return out;
}

export const taskCommand: Command = {
  name: 'task',
  summary: 'task_struct and thread_info contents',
  run({ session, args }) {
    const g = getopt('task', args, 'xdhR:');
    let radix: 10 | 16 | undefined;
    const refs: string[] = [];
    let out = g.errors.map((e) => `${e}\n`).join('');
    let argerrs = g.errors.length > 0;
    for (const { c, arg } of g.opts) {
      if (c === 'h' || c === 'x') {
        if (radix === 10) return finish('task', out, new CommandError('-d and -x are mutually exclusive'));
        radix = 16;
      } else if (c === 'd') {
        if (radix === 16) return finish('task', out, new CommandError('-d and -x are mutually exclusive'));
        radix = 10;
      } else if (c === 'R') refs.push(arg!);
      else argerrs = true;
    }
    if (argerrs) return out + usage('task', SYNOPSIS);
    const tasks = tasksOf(session);
    const list: TaskInfo[] = [];
    let bogus = 0;
    for (const w of g.rest) {
      if (isNumber(w)) {
        const r = tasks.parseArg(w);
        if (r.kind === 'invalid') {
          bogus++;
          out += `task: invalid task or pid value: ${w}\n\n`;
        } else list.push(...r.tasks);
      } else if (w.includes(',') || memberOffset(tasks.layout.type, w) || w.includes('.') || w.includes('[')) refs.push(w);
      else out += `task: invalid task, pid, or task_struct member: ${w}\n\n`;
    }
    if (list.length === 0 && !bogus) {
      const panic = tasks.panicTask();
      const t = panic !== undefined ? tasks.byTask(panic) : undefined;
      if (t) list.push(t);
    }
    const reference = refs.join(',');
    try {
      for (const t of list) out += doTask(session, t, { hex: radix === 16, reference: reference || undefined });
    } catch (e) {
      return finish('task', out, e);
    }
    return out;
  },
};
