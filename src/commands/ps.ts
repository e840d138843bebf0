// ps: crash's process status. The default table (PID PPID CPU TASK ST %MEM VSZ RSS COMM, ">" marking the
// tasks running on a CPU, kernel threads' names in brackets) and its options: -k/-u (kernel/user only),
// -G (thread-group leaders), -s (kernel stack pointer), -A (active only), -H (no header), -S (state
// summary), -p/-c/-g (parents, children, threads), -t (run times), -l/-m (last run, -C per CPU), -r
// (rlimits), -y (scheduling policy); tasks chosen by pid, task address, command name or 'regex'. Formats
// follow crash 8.0.6's show_ps_data(), show_ps() and friends in task.c (later crash adds -I and -Y).
import type { Session } from '../engine/session.ts';
import { parseCpuSpec, translateNanoseconds } from '../kernel/sched.ts';
import { CommandError } from '../errors.ts';
import { type TaskInfo, type Tasks, cpuString, isNumber, taskHeader, tasksOf } from '../kernel/tasks.ts';
import { TaskMem, formatPercent } from '../kernel/task-mem.ts';
import { kv, phys } from '../addr.ts';
import { uvtop } from '../kernel/mm.ts';
import { memberOffset, sizeOf, strip } from '../types/type.ts';
import type { Command } from './command.ts';
import { finish, getopt, usage } from './crash-tools.ts';

export interface PsOptions {
  kernel?: boolean;
  user?: boolean;
  /** -G: thread-group leaders only. */
  group?: boolean;
  /** -g: each thread group's threads. */
  tgidList?: boolean;
  times?: boolean;
  children?: boolean;
  parents?: boolean;
  msecs?: boolean;
  lastRun?: boolean;
  kstackp?: boolean;
  rlimit?: boolean;
  summary?: boolean;
  active?: boolean;
  noHeader?: boolean;
  /** -y: a mask of 1 << policy. */
  policy?: number;
  argv?: boolean;
  /** -C: CPUs for -l/-m. */
  cpus?: Set<number>;
}

export type PsSelector = { by: 'pid'; pid: number } | { by: 'task'; task: bigint } | { by: 'cmd'; comm: string } | { by: 'regex'; re: RegExp } | { by: 'invalid' };

/** crash's VADDR_PRLEN on 64-bit machines. */
const VADDR_PRLEN = 16;
const PAGESIZE = 4096n;

/** crash's mkstring(): CENTER (odd slack to the left with RJUST), LJUST or RJUST in a width. */
export function mkstring(s: string, width: number, how: 'center' | 'center-rjust' | 'ljust' | 'rjust' | 'center-ljust'): string {
  const extra = width - s.length;
  if (extra <= 0) return s;
  if (how === 'center' || how === 'center-rjust' || how === 'center-ljust') {
    const left = extra % 2 && how === 'center-rjust' ? Math.floor(extra / 2) + 1 : Math.floor(extra / 2);
    return ' '.repeat(left) + s + ' '.repeat(extra - left);
  }
  return how === 'ljust' ? s + ' '.repeat(extra) : ' '.repeat(extra) + s;
}

const POLICIES: [number, string][] = [
  [0, 'NORMAL'],
  [1, 'FIFO'],
  [2, 'RR'],
  [3, 'BATCH'],
  [4, 'ISO'],
  [5, 'IDLE'],
  [6, 'DEADLINE'],
];

/** crash's make_sched_policy(): "normal,fifo", "0", "0x1" → a mask of 1 << policy. */
export function parsePolicy(spec: string): number {
  let mask = 0;
  for (const part of spec.split(',')) {
    const up = part.toUpperCase();
    const hit = POLICIES.find(([v, name]) => up.startsWith(name) || up.slice(0, 1) === String(v) || up.slice(0, 3) === `0X${v}`);
    if (!hit) throw new CommandError(`${part}: invalid scheduling policy`);
    mask |= 1 << hit[0];
  }
  return mask;
}


/** crash's convert_time(): jiffies as "[N days, ]HH:MM:SS". */
export function convertTime(count: bigint, hz: bigint): string {
  let total = count / hz;
  const days = total / 86400n;
  total %= 86400n;
  const hours = total / 3600n;
  total %= 3600n;
  const p2 = (x: bigint): string => String(x).padStart(2, '0');
  return `${days ? `${days} days, ` : ''}${p2(hours)}:${p2(total / 60n)}:${p2(total % 60n)}`;
}

/** One ps run's state: crash keeps these in pc->curcmd_flags and a hash queue for the command's life. */
export class Ps {
  readonly tasks: Tasks;
  private memCache: TaskMem | undefined;
  /** -G: groups already shown. */
  private groupsShown = new Set<bigint>();
  /** -g: the idle tasks' group has been listed. */
  private idleShown = false;
  private taskSpecified = false;
  private lines: string[] = [];
  private lastRunOrder: TaskInfo[] | undefined;

  constructor(readonly session: Session) {
    this.tasks = tasksOf(session);
  }

  private get mem(): TaskMem {
    if (!this.memCache) {
      const prog = this.tasks.prog;
      let total: bigint;
      try {
        // crash's vt->total_pages: the direct map up to high_memory.
        const high = prog.memory.readU64(prog.symbolAddress('high_memory'));
        total = (high - this.session.kernel.pageOffset) / PAGESIZE;
      } catch {
        total = 0n;
      }
      this.memCache = new TaskMem(this.tasks, total);
    }
    return this.memCache;
  }

  private out(s: string): void {
    this.lines.push(s);
  }

  /** Everything printed since the last take(). */
  take(): string {
    const s = this.lines.join('');
    this.lines = [];
    return s;
  }

  /** crash's show_ps(): all tasks (no selectors) or those selected. */
  show(opts: PsOptions, selectors?: PsSelector[]): string {
    const exclusive = opts.tgidList || opts.argv || opts.times || opts.children || opts.parents || opts.lastRun || opts.rlimit || opts.msecs || opts.summary;
    if (!exclusive && !opts.noHeader) this.out(`      PID    PPID  CPU ${opts.kstackp ? mkstring('KSTACKP', VADDR_PRLEN, 'center-rjust') : mkstring('TASK', VADDR_PRLEN, 'center')}  ST  %MEM      VSZ      RSS  COMM\n`);
    const list = opts.lastRun || opts.msecs ? this.byLastRun() : this.tasks.all();
    if (!selectors) {
      if (opts.times) this.showTimes(undefined, opts);
      else if (opts.summary) this.showSummary(opts);
      else if (opts.cpus) this.showData(opts, undefined);
      else for (const t of list) this.showData(opts, t);
      return this.take();
    }
    this.taskSpecified = true;
    for (const t of list) {
      for (const sel of selectors) {
        let print = false;
        switch (sel.by) {
          case 'pid':
            print = t.pid === sel.pid;
            break;
          case 'task':
            print = t.task === sel.task;
            break;
          case 'cmd':
          case 'regex':
            if (sel.by === 'cmd' ? t.comm === sel.comm : sel.re.test(t.comm)) print = opts.tgidList || opts.group ? t.pid === t.tgid : true;
            break;
        }
        if (!print) continue;
        if (opts.times) this.showTimes(t, opts);
        else this.showData(opts, t);
      }
    }
    return this.take();
  }

  /** The context array as crash re-sorts it for -l/-m: latest run first (stable). */
  byLastRun(): TaskInfo[] {
    return (this.lastRunOrder ??= [...this.tasks.all()].map((t) => ({ t, lr: this.lastRun(t) })).sort((a, b) => (a.lr < b.lr ? 1 : a.lr > b.lr ? -1 : 0)).map((x) => x.t));
  }

  /** crash's task_last_run(): task->last_run, ->timestamp, or ->sched_info.last_arrival. */
  lastRun(t: TaskInfo): bigint {
    const type = this.tasks.layout.type;
    const mem = this.tasks.prog.memory;
    for (const path of ['last_run', 'timestamp', 'sched_info.last_arrival']) {
      const m = memberOffset(type, path);
      if (!m) continue;
      try {
        return mem.readU64(kv(t.task + BigInt(m.offset)));
      } catch {
        return 0n;
      }
    }
    return 0n;
  }

  hasLastRun(): boolean {
    const type = this.tasks.layout.type;
    return ['last_run', 'timestamp', 'sched_info.last_arrival'].some((p) => memberOffset(type, p) !== undefined);
  }

  /** crash's show_ps_data(). */
  private showData(opts: PsOptions, tc: TaskInfo | undefined): void {
    const tasks = this.tasks;
    if (tc) {
      if (opts.user && tasks.isKernelThread(tc)) return;
      if (opts.kernel && !tasks.isKernelThread(tc)) return;
      if (opts.policy !== undefined && !(this.policyBit(tc) & opts.policy)) return;
      if (opts.group) {
        if (opts.lastRun || opts.msecs) throw new CommandError(`-G not supported with -${opts.lastRun ? 'l' : 'm'} option`);
        if (tc.pid !== tc.tgid) {
          if (!this.taskSpecified) return;
          const leader = tasks.groupLeader(tc);
          if (!leader || this.groupsShown.has(leader.task)) return;
          this.groupsShown.add(leader.task);
          tc = leader;
        } else {
          if (this.groupsShown.has(tc.task)) return;
          this.groupsShown.add(tc.task);
        }
      }
    }
    if (opts.parents && tc) {
      this.parentList(tc);
      this.out('\n');
      return;
    }
    if (opts.children && tc) {
      this.childList(tc);
      this.out('\n');
      return;
    }
    if (opts.lastRun) {
      this.showLastRun(opts, tc);
      return;
    }
    if (opts.msecs) {
      this.showMilliseconds(opts, tc);
      return;
    }
    if (!tc) return;
    if (opts.argv) {
      this.showTaskArgs(tc);
      return;
    }
    if (opts.rlimit) {
      this.showRlimit(tc);
      return;
    }
    if (opts.tgidList) {
      this.showTgidList(tc);
      return;
    }
    const tm = this.mem.usage(tc);
    const active = tasks.isActive(tc);
    if (opts.active && !this.taskSpecified && !active) return;
    const st = tasks.stateString(tc);
    const pct = formatPercent(tm.pctPhysmem);
    this.out(
      `${active ? '> ' : '  '}${String(tc.pid).padStart(7)} ${String(tc.ppid).padStart(7)} ${cpuString(tc.cpu).padStart(3)}  ${this.pointerString(tc, opts)} ${st.padStart(3)}${' '.repeat(st.length > 3 ? 1 : 2)}` +
        `${pct.length === 3 ? mkstring(pct, 4, 'center-rjust') : pct} ${String((tm.totalVm * PAGESIZE) / 1024n).padStart(8)} ${String((tm.rss * PAGESIZE) / 1024n).padStart(8)}  ${this.comm(tc)}\n`,
    );
  }

  /** COMM, in brackets for kernel threads. */
  private comm(tc: TaskInfo): string {
    return this.tasks.isKernelThread(tc) ? `[${tc.comm}]` : tc.comm;
  }

  /** crash's task_pointer_string(): the task address, or with -s the saved kernel stack pointer. */
  private pointerString(tc: TaskInfo, opts: PsOptions): string {
    if (!opts.kstackp) return mkstring(tc.task.toString(16), VADDR_PRLEN, 'center-rjust');
    let sp = 0n;
    if (!this.tasks.isActive(tc)) {
      const type = this.tasks.layout.type;
      const m = memberOffset(type, 'thread.sp') ?? memberOffset(type, 'thread.esp') ?? memberOffset(type, 'thread.ksp');
      if (m) sp = this.tasks.prog.memory.readU64(kv(tc.task + BigInt(m.offset)));
    }
    return sp ? mkstring(sp.toString(16), VADDR_PRLEN, 'center-rjust') : mkstring('--', VADDR_PRLEN, 'center-rjust');
  }

  private policyBit(tc: TaskInfo): number {
    const m = memberOffset(this.tasks.layout.type, 'policy');
    if (!m) return 0;
    const v = this.tasks.prog.memory.readU32(kv(tc.task + BigInt(m.offset)));
    return v < 31 ? 1 << v : 0;
  }

  /** crash's parent_list(): the chain from the top ancestor down, each one more space in. */
  private parentList(tc: TaskInfo): void {
    const chain: bigint[] = [tc.task];
    let child: bigint = tc.task;
    let parent: bigint = tc.parent;
    while (child !== parent && chain.length < 100000) {
      chain.push(parent);
      child = parent;
      const p = this.tasks.byTask(child);
      parent = p ? p.parent : this.tasks.prog.memory.readU64(kv(child + BigInt(this.tasks.layout.parent.offset)));
    }
    for (let i = chain.length - 1, j = 0; i >= 0; i--, j++) {
      const t = this.tasks.byTask(chain[i]);
      this.out(' '.repeat(j));
      if (t) this.out(taskHeader(t));
    }
  }

  /** crash's child_list(). */
  private childList(tc: TaskInfo): void {
    this.out(taskHeader(tc));
    let cnt = 0;
    for (const t of this.tasks.children(tc.task)) {
      this.out(`  ${taskHeader(t)}`);
      cnt++;
    }
    if (!cnt) this.out('  (no children)\n');
  }

  /** crash's show_tgid_list(): a group leader and its other threads. */
  private showTgidList(tc: TaskInfo): void {
    let leader = tc;
    if (tc.pid !== tc.tgid) {
      if (!this.taskSpecified) return;
      const l = this.tasks.groupLeader(tc);
      if (!l) return;
      leader = l;
    }
    if (leader.pid === 0 && this.idleShown) return;
    this.out(taskHeader(leader));
    let cnt = 0;
    for (const t of this.tasks.threadGroup(leader.tgid)) {
      if (t.task === leader.task) continue;
      this.out(`  ${taskHeader(t)}`);
      cnt++;
      if (t.pid === 0) this.idleShown = true;
    }
    if (!cnt) this.out('  (no threads)\n');
    this.out('\n');
  }

  /** crash's show_ps_summary(): each state string and its count, in order of first appearance. */
  private showSummary(opts: PsOptions): void {
    if (opts.user || opts.kernel || opts.group) throw new CommandError('-S option cannot be used with other options');
    const counts = new Map<string, number>();
    for (const t of this.tasks.all()) {
      const s = this.tasks.stateString(t);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    for (const [s, n] of counts) this.out(`  ${s}: ${n}\n`);
  }

  /** The format of the -l stamps: as wide as the first (latest) task's in decimal. */
  private lastRunFormat(): (v: bigint) => string {
    const first = this.byLastRun()[0];
    const width = first ? String(this.lastRun(first)).length : 1;
    return (v) => `[${String(v).padStart(width)}] `;
  }

  /** crash's show_last_run(). */
  private showLastRun(opts: PsOptions, tc: TaskInfo | undefined): void {
    if (!this.hasLastRun()) throw new CommandError('last-run timestamps do not exist in this kernel');
    const fmt = this.lastRunFormat();
    const line = (t: TaskInfo): string => `${fmt(this.lastRun(t))}[${this.tasks.stateString(t)}]  ${taskHeader(t)}`;
    if (opts.cpus) {
      let others = 0;
      for (let c = 0; c < this.tasks.cpuCount(); c++) {
        if (!opts.cpus.has(c)) continue;
        this.out(`${others++ ? '\n' : ''}CPU: ${c}\n`);
        for (const t of this.byLastRun()) {
          if (t.cpu !== c) continue;
          this.out(line(t));
        }
      }
    } else if (tc) this.out(line(tc));
    else for (const t of this.byLastRun()) this.out(line(t));
  }

  /** rq->clock (or an older kernel's timestamp_last_tick / most_recent_timestamp) of a CPU's runqueue. */
  private rqClock(cpu: number): bigint {
    const rq = this.tasks.prog.perCpu('runqueues', cpu);
    for (const name of ['clock', 'most_recent_timestamp', 'timestamp_last_tick']) {
      const m = memberOffset(rq.type, name);
      if (m) return this.tasks.prog.memory.readU64(kv(rq.address! + BigInt(m.offset)));
    }
    throw new CommandError('-m option not supported on this kernel');
  }

  /** crash's show_milliseconds(): how long before its CPU's clock each task last ran. */
  private showMilliseconds(opts: PsOptions, tc: TaskInfo | undefined): void {
    if (!this.hasLastRun()) throw new CommandError('last-run timestamps do not exist in this kernel');
    const days = (s: string): number => s.indexOf(' ');
    const since = (t: TaskInfo, clock: bigint): string => {
      let delta = BigInt.asIntN(64, clock - this.lastRun(t));
      if (delta < 0n) delta = 0n;
      return translateNanoseconds(delta);
    };
    if (opts.cpus) {
      let others = 0;
      for (let c = 0; c < this.tasks.cpuCount(); c++) {
        if (!opts.cpus.has(c)) continue;
        this.out(`${others++ ? '\n' : ''}CPU: ${c}\n`);
        const clock = this.rqClock(c);
        const maxDays = days(translateNanoseconds(clock));
        for (const t of this.byLastRun()) {
          if (t.cpu !== c) continue;
          const s = since(t, clock);
          this.out(`[${' '.repeat(Math.max(0, maxDays - days(s)))}${s}] [${this.tasks.stateString(t)}]  ${taskHeader(t)}`);
        }
      }
    } else if (tc) {
      const clock = this.rqClock(tc.cpu);
      const maxDays = days(translateNanoseconds(clock));
      const s = since(tc, clock);
      this.out(`[${' '.repeat(Math.max(0, maxDays - days(s)))}${s}] [${this.tasks.stateString(tc)}]  ${taskHeader(tc)}`);
    } else {
      for (const t of this.byLastRun()) {
        this.out(`[${since(t, this.rqClock(t.cpu))}] [${this.tasks.stateString(t)}]  ${taskHeader(t)}`);
      }
    }
  }

  /** crash's show_task_times(): start time, run time and CPU times, oldest first. */
  private showTimes(tcp: TaskInfo | undefined, opts: PsOptions): void {
    const tasks = this.tasks;
    const prog = tasks.prog;
    const type = tasks.layout.type;
    const start = memberOffset(type, 'start_time');
    const utime = memberOffset(type, 'utime');
    const stime = memberOffset(type, 'stime');
    if (!start) throw new CommandError('task_struct has no start_time');
    const startType = strip(start.type);
    // START_TIME_NSECS: a 64-bit count of nanoseconds (since v3.17's u64 start_time); else a timespec.
    const timespec = startType.kind === 'struct';
    const hz = tasks.hz();
    const jiffies64 = this.uptimeJiffies();
    const rows: { t: TaskInfo; start: bigint; utime: bigint; stime: bigint }[] = [];
    const list = tcp ? [tcp] : tasks.all();
    for (let tc of list) {
      if (opts.user && tasks.isKernelThread(tc)) continue;
      if (opts.kernel && !tasks.isKernelThread(tc)) continue;
      if (opts.group) {
        if (tc.pid !== tc.tgid) {
          if (!tcp) continue;
          const l = tasks.groupLeader(tc);
          if (!l) return;
          tc = l;
        }
        if (this.groupsShown.has(tc.task)) return;
        this.groupsShown.add(tc.task);
      }
      const rd = (off: number | undefined, size = 8): bigint => {
        if (off === undefined) return 0n;
        return size === 4 ? BigInt(prog.memory.readU32(kv(tc.task + BigInt(off)))) : prog.memory.readU64(kv(tc.task + BigInt(off)));
      };
      rows.push({ t: tc, start: rd(start.offset), utime: rd(utime?.offset, sizeOf(utime?.type ?? startType) ?? 8), stime: rd(stime?.offset, sizeOf(stime?.type ?? startType) ?? 8) });
      if (tcp) break;
    }
    rows.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    for (const r of rows) {
      const startSecs = timespec ? r.start : r.start / 1000000000n;
      const run = startSecs * hz > jiffies64 ? 0n : jiffies64 - startSecs * hz;
      this.out(taskHeader(r.t));
      this.out(`    RUN TIME: ${convertTime(run, hz)}\n  START TIME: ${r.start}\n       UTIME: ${r.utime}\n       STIME: ${r.stime}\n\n`);
    }
  }

  /** crash's get_uptime(): jiffies_64 less its INITIAL_JIFFIES offset (-300 s). */
  uptimeJiffies(): bigint {
    const prog = this.tasks.prog;
    const hz = this.tasks.hz();
    const a = prog.symbols.address('jiffies_64') ?? prog.symbols.address('jiffies');
    if (a === undefined) return 0n;
    let j = prog.memory.readU64(kv(a));
    const wrapped = j & 0xffffffff00000000n;
    if (wrapped) j = BigInt.asUintN(64, (j & 0xffffffffn) | (wrapped - 0x100000000n)) + 300n * hz;
    else j = BigInt.asUintN(64, j - BigInt.asUintN(32, -300n * hz));
    return j;
  }

  /** crash's read_arg_string(): user memory page by page through the task's page tables. */
  private readUser(pgd: bigint, start: bigint, end: bigint): Uint8Array | string {
    const kernel = this.session.kernel;
    const out = new Uint8Array(Number(end - start));
    let a = start;
    while (a < end) {
      const n = Number((a | 0xfffn) + 1n < end ? (a | 0xfffn) + 1n - a : end - a);
      let ok = false;
      try {
        const t = uvtop(this.session.mem, kernel.translate(kv(pgd)), kernel.levels, a, kernel.smeMask);
        if (t.phys !== undefined) {
          out.set(this.session.mem.read(phys(t.phys), n), Number(a - start));
          ok = true;
        }
      } catch {
        ok = false;
      }
      if (!ok) return `ps: cannot access user stack address: ${a.toString(16)}\n\n`;
      a += BigInt(n);
    }
    return out;
  }

  /** crash's show_task_args(): the argument and environment strings from the task's user stack. */
  private showTaskArgs(tc: TaskInfo): void {
    this.out(taskHeader(tc));
    if (!tc.mm) {
      this.out('ps: no user stack\n\n');
      return;
    }
    const prog = this.tasks.prog;
    const mmType = prog.type('struct mm_struct');
    const rd = (name: string): bigint => prog.memory.readU64(kv(tc.mm + BigInt(memberOffset(mmType, name)!.offset)));
    let pgd: bigint;
    let argStart: bigint;
    let argEnd: bigint;
    let envStart: bigint;
    let envEnd: bigint;
    try {
      pgd = rd('pgd');
      argStart = rd('arg_start');
      argEnd = rd('arg_end');
      envStart = rd('env_start');
      envEnd = rd('env_end');
    } catch {
      return;
    }
    const args = this.readUser(pgd, argStart, argEnd);
    if (typeof args === 'string') {
      this.out(args);
      return;
    }
    let line = 'ARG: ';
    let c = 0;
    for (const b of args) {
      if (b === 0) {
        if (c) line += ' ';
        c = 0;
      } else {
        line += String.fromCharCode(b);
        c++;
      }
    }
    this.out(line);
    const env = this.readUser(pgd, envStart, envEnd);
    if (typeof env === 'string') {
      this.out(env);
      return;
    }
    let text = '\nENV: ';
    c = 0;
    let d = 0;
    env.forEach((b, i) => {
      if (b === 0) {
        if (c) text += '\n';
        c = 0;
      } else {
        text += `${!c && i !== 0 ? '     ' : ''}${String.fromCharCode(b)}`;
        c++;
        d++;
      }
    });
    this.out(`${text}\n${d ? '' : '\n'}`);
  }

  /** crash's show_task_rlimit(): signal->rlim[] with the names crash knows. */
  private showRlimit(tc: TaskInfo): void {
    const prog = this.tasks.prog;
    const names = ['CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME'];
    const type = this.tasks.layout.type;
    let base: bigint;
    let count: number;
    const inTask = memberOffset(type, 'rlim');
    if (inTask) {
      base = tc.task + BigInt(inTask.offset);
      const at = strip(inTask.type);
      count = at.kind === 'array' ? at.length : 0;
    } else {
      const sig = prog.type('struct signal_struct');
      const r = memberOffset(sig, 'rlim');
      const s = memberOffset(type, 'signal');
      if (!r || !s) throw new CommandError('cannot determine rlimit array location');
      const at = strip(r.type);
      count = at.kind === 'array' ? at.length : 0;
      base = prog.memory.readU64(kv(tc.task + BigInt(s.offset))) + BigInt(r.offset);
    }
    if (!count) throw new CommandError('cannot determine rlimit array size');
    let len1 = 0;
    for (let i = 0; i < count; i++) if (names[i] && names[i].length > len1) len1 = names[i].length;
    const len2 = '(unlimited)'.length;
    this.out(taskHeader(tc));
    let words: Uint8Array;
    try {
      words = prog.memory.read(kv(base), count * 16);
    } catch {
      return;
    }
    const dv = new DataView(words.buffer, words.byteOffset, words.byteLength);
    this.out(`  ${mkstring('RLIMIT', len1, 'rjust')}   ${mkstring('CURRENT', len2, 'center-rjust')}   ${mkstring('MAXIMUM', len2, 'center-rjust')}\n`);
    const val = (v: bigint): string => (v === 0xffffffffffffffffn ? '(unlimited)' : mkstring(String(v), len2, 'center-ljust'));
    for (let i = 0; i < count; i++) {
      this.out(`  ${mkstring(names[i] ?? '(unknown)', len1, 'rjust')}   ${val(dv.getBigUint64(i * 16, true))}   ${val(dv.getBigUint64(i * 16 + 8, true))}\n`);
    }
    this.out('\n');
  }
}

/** Splits a command line as crash does for ps and foreach: single-quoted words keep their quotes. */
export function splitKeepingQuotes(line: string): string[] {
  const words: string[] = [];
  const re = /('[^']*')|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

const SPEC = 'HASgstcpkuGlmarC:y:';
const SYNOPSIS = '[-k|-u|-G|-y policy] [-s] [-p|-c|-t|-[l|m][-C cpu]|-a|-g|-r|-S|-A|-H]\n     [pid | task | command] ...';
const EXCLUSIVE_MESSAGE = '-a, -t, -c, -p, -g, -l, -m, -S, -r and -A flags are all mutually-exclusive';

/** What ps's option letters set (crash's PS_* flags). */
const FLAG_OF: Record<string, keyof PsOptions> = {
  k: 'kernel', u: 'user', G: 'group', g: 'tgidList', a: 'argv', t: 'times', c: 'children', p: 'parents',
  m: 'msecs', l: 'lastRun', s: 'kstackp', r: 'rlimit', S: 'summary', A: 'active', H: 'noHeader',
};
const EXCLUSIVE: (keyof PsOptions)[] = ['tgidList', 'argv', 'times', 'children', 'parents', 'lastRun', 'rlimit', 'msecs', 'summary', 'active'];

/**
 * crash's cmd_ps() option loop, in getopt order: mutually exclusive flags are fatal at once, a kernel
 * without last-run stamps makes -l/-m a usage error. Returns the options, or the text crash prints when it
 * stops (what it said so far, then the usage or the fatal error).
 */
export function psOptions(opts: { c: string; arg?: string }[], getoptErrors: string[], tasks: Tasks, hasLastRun: boolean): { o: PsOptions } | { stop: string; fatal?: string } {
  const o: PsOptions = {};
  let said = getoptErrors.map((e) => `${e}\n`).join('');
  let argerrs = getoptErrors.length > 0;
  const exclusive = (mine: keyof PsOptions): string | undefined => (EXCLUSIVE.some((f) => f !== mine && o[f]) ? EXCLUSIVE_MESSAGE : undefined);
  for (const { c, arg } of opts) {
    let fatal: string | undefined;
    switch (c) {
      case 'k':
      case 'u':
        if (o[c === 'k' ? 'user' : 'kernel']) fatal = '-u and -k are mutually exclusive';
        break;
      case 'l':
      case 'm':
        if (!hasLastRun) {
          said += 'ps: last-run timestamps do not exist in this kernel\n';
          argerrs = true;
          continue;
        }
        fatal = exclusive(FLAG_OF[c]);
        break;
      case 'g':
      case 'a':
      case 't':
      case 'c':
      case 'p':
      case 'r':
      case 'S':
      case 'A':
        fatal = exclusive(FLAG_OF[c]);
        break;
      case 'C':
        try {
          o.cpus = parseCpuSpec(arg!, tasks.cpuCount());
        } catch (e) {
          fatal = (e as Error).message;
        }
        if (fatal) return { stop: said, fatal };
        continue;
      case 'y':
        try {
          o.policy = (o.policy ?? 0) | parsePolicy(arg!);
        } catch (e) {
          fatal = (e as Error).message;
        }
        if (fatal) return { stop: said, fatal };
        continue;
      case '?':
        argerrs = true;
        continue;
    }
    if (fatal) return { stop: said, fatal };
    const f = FLAG_OF[c];
    if (f) (o as Record<string, unknown>)[f] = true;
  }
  if (argerrs) return { stop: said + usage('ps', SYNOPSIS) };
  return { o };
}

export const psCommand: Command = {
  name: 'ps',
  summary: 'display process status information',
  run({ session, line }) {
    const words = splitKeepingQuotes(line).slice(1);
    const g = getopt('ps', words, SPEC);
    const ps = new Ps(session);
    const tasks = ps.tasks;
    const parsed = psOptions(g.opts, g.errors, tasks, ps.hasLastRun());
    if ('stop' in parsed) {
      if (parsed.fatal) return finish('ps', parsed.stop, new CommandError(parsed.fatal));
      return parsed.stop;
    }
    const opts = parsed.o;
    const rest = g.rest;
    let pre = '';
    if (opts.cpus && !opts.lastRun && !opts.msecs) return 'ps: -C option is only applicable with -l and -m\n';
    try {
      if (rest.length === 0) return ps.show(opts);
      if (opts.summary) throw new CommandError('-S option takes no arguments');
      if (opts.cpus) pre += 'ps: -C option is not applicable with specified tasks\n';
      const selectors: PsSelector[] = [];
      for (const arg of rest) {
        if (isNumber(arg)) {
          const r = tasks.parseArg(arg);
          if (r.kind === 'pid') selectors.push({ by: 'pid', pid: r.value });
          else if (r.kind === 'task') selectors.push({ by: 'task', task: r.value });
          else {
            pre += `ps: invalid task or pid value: ${arg}\n\n`;
            selectors.push({ by: 'invalid' });
          }
        } else if (arg.length >= 2 && arg.startsWith("'") && arg.endsWith("'")) {
          let re: RegExp;
          try {
            re = new RegExp(arg.slice(1, -1));
          } catch {
            return `${pre}ps: invalid regular expression: ${arg.slice(1, -1)}\n`;
          }
          selectors.push({ by: 'regex', re });
        } else selectors.push({ by: 'cmd', comm: (arg.startsWith('\\') ? arg.slice(1) : arg).slice(0, 15) });
      }
      return pre + ps.show(opts, selectors);
    } catch (e) {
      return finish('ps', pre + ps.take(), e);
    }
  },
};
