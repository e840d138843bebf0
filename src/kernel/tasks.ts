// Tasks: crash's task table. Every thread of every process plus each CPU's idle task, in crash's order (by
// pid; the pid-0 idle tasks by CPU), with what crash keeps per task (pid, comm, parent, CPU, mm), which task
// each CPU was running, the panic task, and crash's two-letter task states. Kernel differences are found by
// feature:
//   - threads: signal->thread_head / task->thread_node (Linux commit 0c740d0afc3b, v3.14), else
//     task->thread_group;
//   - state: task->__state (Linux commit 2f064a59a11f, v5.14), else task->state;
//   - CPU: task->cpu (added with THREAD_INFO_IN_TASK, Linux commit c65eacbe290b, v4.9), else the in-task
//     thread_info's cpu (moved back there by commit bcf9033e5449, v5.16), else the thread_info at the stack
//     base (before THREAD_INFO_IN_TASK);
//   - state letters: read from the kernel's own task_state_array[] strings, or stat_nam[] (v2.6.33-v4.13),
//     as crash's initialize_task_state() does;
//   - the CPUs: per-CPU areas whose cpu_number counts up (crash's x86_64_per_cpu_init), cut to the present
//     CPUs; cpu_number moved into struct pcpu_hot in v6.2 (Linux commit "x86/percpu: Move cpu_number next to
//     current_task").
import { type KVAddr, hex, kv } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import type { Obj } from '../program/object.ts';
import { MAX_LIST_ENTRIES, type Program } from '../program/program.ts';
import type { SymbolTable } from '../symbols/symbol-table.ts';
import { type Type, findMember, memberOffset, sizeOf, strip } from '../types/type.ts';

/** crash's NO_PID ((ulong)-1), printed by "%ld" as -1: a parent outside the task table. */
export const NO_PID = -1;

/** include/linux/sched.h */
export const PF_EXITING = 0x4n;
export const PF_KTHREAD = 0x00200000n;

export interface TaskInfo {
  /** Address of the task_struct. */
  task: KVAddr;
  pid: number;
  /** Thread-group leader's pid. */
  tgid: number;
  /** task->parent (crash's ptask: the ptracer while traced, else the real parent). */
  parent: KVAddr;
  /** The parent's pid if the parent is in the task table, else NO_PID. */
  ppid: number;
  /** task->comm, at most 15 characters. */
  comm: string;
  cpu: number;
  /** mm_struct address; 0 for kernel threads. */
  mm: bigint;
  /** task->flags (PF_*). */
  flags: bigint;
  /** The state word (__state or state) OR'd with exit_state, as crash's task_state() returns it. */
  state: bigint;
  /** The thread-group leader's task_struct. */
  leader: KVAddr;
  /** The task_struct as a typed object (read lazily). */
  readonly obj: Obj;
}

/** A task-identifying argument as crash's str_to_context() reads it. */
export type TaskArg = { kind: 'pid'; value: number; tasks: TaskInfo[] } | { kind: 'task'; value: bigint; tasks: TaskInfo[] } | { kind: 'invalid' };

/** crash's task state bits, from the kernel's own tables (undefined: this kernel has no such state). */
export interface TaskStateBits {
  running: bigint;
  interruptible: bigint;
  uninterruptible: bigint;
  stopped: bigint;
  tracingStopped?: bigint;
  zombie: bigint;
  dead?: bigint;
  swapping?: bigint;
  exclusive?: bigint;
  wakekill?: bigint;
  waking?: bigint;
  parked?: bigint;
  noload?: bigint;
  new?: bigint;
}

interface Field {
  offset: number;
  size: number;
}

/** Offsets of the task_struct members crash reads for every task, found once. */
class TaskLayout {
  readonly type: Type;
  readonly pid: Field;
  readonly tgid: Field;
  readonly comm: Field;
  readonly parent: Field;
  readonly mm: Field;
  readonly flags: Field;
  readonly state: Field;
  readonly exitState: Field | undefined;
  readonly groupLeader: Field;
  readonly stack: Field | undefined;
  /** Where the CPU number is: in the task, in the in-task thread_info, or in the thread_info at *stack. */
  readonly cpu: { where: 'task' | 'stack'; field: Field };

  constructor(prog: Program) {
    this.type = prog.type('struct task_struct');
    const f = (path: string): Field | undefined => {
      const m = memberOffset(this.type, path);
      return m ? { offset: m.offset, size: sizeOf(m.type) ?? 8 } : undefined;
    };
    const must = (path: string): Field => {
      const x = f(path);
      if (!x) throw new Error(`task_struct has no member ${path}`);
      return x;
    };
    this.pid = must('pid');
    this.tgid = must('tgid');
    this.comm = must('comm');
    this.parent = f('parent') ?? must('p_pptr');
    this.mm = must('mm');
    this.flags = must('flags');
    this.state = f('__state') ?? must('state');
    this.exitState = f('exit_state');
    this.groupLeader = must('group_leader');
    this.stack = f('stack');
    const cpu = f('cpu') ?? (strip(findMember(this.type, 'thread_info')?.member.type ?? this.type).kind === 'struct' ? f('thread_info.cpu') : undefined);
    if (cpu) this.cpu = { where: 'task', field: cpu };
    else {
      const ti = prog.tryType('struct thread_info');
      const c = ti && memberOffset(ti, 'cpu');
      if (!c) throw new Error('cannot find a task\'s CPU: no task_struct.cpu or thread_info.cpu');
      this.cpu = { where: 'stack', field: { offset: c.offset, size: sizeOf(c.type) ?? 4 } };
    }
  }
}

/** crash's STACKSIZE() fallback on x86_64 when the kernel does not tell. */
const DEFAULT_STACK_SIZE = 16384;

export class Tasks {
  private listCache: TaskInfo[] | undefined;
  private byTaskCache: Map<bigint, TaskInfo> | undefined;
  private byPidCache: Map<number, TaskInfo[]> | undefined;
  private byTgidCache: Map<number, TaskInfo[]> | undefined;
  private childrenCache: Map<bigint, TaskInfo[]> | undefined;
  private activeCache: Map<number, KVAddr> | undefined;
  private idleCache: Map<number, KVAddr> | undefined;
  private cpusCache: number | undefined;
  private statesCache: TaskStateBits | undefined;
  private panicCache: KVAddr | null | undefined;
  private kthreadFlag: bigint | undefined;
  private hzCache: bigint | undefined;
  private layoutCache: TaskLayout | undefined;

  constructor(
    readonly prog: Program,
    /** For finding the panic task on a stack (symbols by address). */
    readonly symbols?: SymbolTable,
    /** What the dump tells about the crash: the ELF per-CPU register notes, for crash's panic-task rules. */
    readonly dump: { elf: boolean; prstatusSp: bigint[] } = { elf: false, prstatusSp: [] },
  ) {}

  get layout(): TaskLayout {
    return (this.layoutCache ??= new TaskLayout(this.prog));
  }

  private read(addr: bigint, f: Field): bigint {
    const a = kv(addr + BigInt(f.offset));
    const m = this.prog.memory;
    switch (f.size) {
      case 1:
        return BigInt(m.readU8(a));
      case 2:
        return BigInt(m.readU16(a));
      case 4:
        return BigInt(m.readU32(a));
      default:
        return m.readU64(a);
    }
  }

  /** Reads one task_struct's identity (ppid is resolved against the table by all()). */
  info(addr: bigint): TaskInfo {
    const L = this.layout;
    const prog = this.prog;
    const t = kv(addr);
    const comm = prog.memory.read(kv(addr + BigInt(L.comm.offset)), L.comm.size);
    let cpu: number;
    if (L.cpu.where === 'task') cpu = Number(BigInt.asIntN(32, this.read(t, L.cpu.field)));
    else cpu = Number(BigInt.asIntN(32, this.read(this.read(t, L.stack!), L.cpu.field)));
    // crash 8.0.6 reads exit_state as an unsigned long: with the int exit_code after it (task_struct's
    // "int exit_state; int exit_code;"), a nonzero exit_code lands in the high half (later crash reads it by
    // its size).
    const state = this.read(t, L.state) | (L.exitState ? this.read(t, { offset: L.exitState.offset, size: 8 }) : 0n);
    let obj: Obj | undefined;
    return {
      task: t,
      pid: Number(BigInt.asIntN(32, this.read(t, L.pid))),
      tgid: Number(BigInt.asIntN(32, this.read(t, L.tgid))),
      parent: kv(this.read(t, L.parent)),
      ppid: NO_PID,
      comm: cString(comm, 15),
      cpu,
      mm: this.read(t, L.mm),
      flags: this.read(t, L.flags),
      state,
      leader: kv(this.read(t, L.groupLeader)),
      get obj(): Obj {
        return (obj ??= prog.object(L.type, t));
      },
    };
  }

  /** The thread-group leaders, in init_task.tasks order (init_task first). */
  processes(): KVAddr[] {
    const init = this.prog.symbolAddress('init_task');
    const out: KVAddr[] = [init];
    const off = memberOffset(this.layout.type, 'tasks');
    if (!off) throw new Error('task_struct has no member tasks');
    for (const node of this.prog.listNodes(init + BigInt(off.offset))) {
      const t = kv(node - BigInt(off.offset));
      if (t === init) break;
      out.push(t);
    }
    return out;
  }

  /** Every thread of a process, the leader first. */
  threads(leader: KVAddr): KVAddr[] {
    const type = this.layout.type;
    const out: KVAddr[] = [leader];
    const node = memberOffset(type, 'thread_node');
    if (node) {
      const sig = memberOffset(type, 'signal')!;
      const signal = this.prog.memory.readU64(kv(leader + BigInt(sig.offset)));
      if (signal === 0n) return out;
      const head = memberOffset(this.prog.type('struct signal_struct'), 'thread_head')!;
      for (const n of this.prog.listNodes(signal + BigInt(head.offset))) {
        const t = kv(n - BigInt(node.offset));
        if (t !== leader) out.push(t);
      }
      return out;
    }
    const group = memberOffset(type, 'thread_group');
    if (!group) return out;
    for (const n of this.prog.listNodes(leader + BigInt(group.offset))) out.push(kv(n - BigInt(group.offset)));
    return out;
  }

  /**
   * Every task, in crash's order: sorted by pid, the pid-0 idle tasks (one per CPU, on no list but
   * init_task's) by CPU. crash gathers the same set from the pid IDR plus rq->idle.
   */
  all(): TaskInfo[] {
    if (this.listCache) return this.listCache;
    const seen = new Set<bigint>();
    const out: TaskInfo[] = [];
    const add = (a: KVAddr): void => {
      if (seen.has(a) || seen.size > MAX_LIST_ENTRIES) return;
      seen.add(a);
      try {
        out.push(this.info(a));
      } catch {
        /* a task_struct outside the dump: crash drops it from the table too */
      }
    };
    for (const [, idle] of this.idleTasks()) add(idle);
    for (const p of this.processes()) {
      let threads: KVAddr[];
      try {
        threads = this.threads(p);
      } catch {
        threads = [p];
      }
      for (const th of threads) add(th);
    }
    // Array.prototype.sort is stable, as glibc's qsort (a merge sort) is in crash.
    out.sort((a, b) => (a.pid === 0 && b.pid === 0 ? a.cpu - b.cpu : a.pid - b.pid));
    const byTask = new Map(out.map((t) => [t.task as bigint, t]));
    const byPid = new Map<number, TaskInfo[]>();
    for (const t of out) {
      t.ppid = byTask.get(t.parent)?.pid ?? NO_PID;
      const same = byPid.get(t.pid);
      if (same) same.push(t);
      else byPid.set(t.pid, [t]);
    }
    this.byTaskCache = byTask;
    this.byPidCache = byPid;
    return (this.listCache = out);
  }

  /** The task at a task_struct address, if it is in the table. */
  byTask(addr: bigint): TaskInfo | undefined {
    this.all();
    return this.byTaskCache!.get(BigInt.asUintN(64, addr));
  }

  /** Every task with this pid (pid 0: each CPU's idle task). */
  byPid(pid: number): TaskInfo[] {
    this.all();
    return this.byPidCache!.get(pid) ?? [];
  }

  /** The thread-group leader of a task (crash's tgid_to_context: the first task whose pid is the tgid). */
  groupLeader(t: TaskInfo): TaskInfo | undefined {
    return this.byPid(t.tgid)[0];
  }

  /** The tasks whose task->parent is `parent`, in table order. */
  children(parent: bigint): TaskInfo[] {
    if (!this.childrenCache) {
      this.childrenCache = new Map();
      for (const t of this.all()) {
        const c = this.childrenCache.get(t.parent);
        if (c) c.push(t);
        else this.childrenCache.set(t.parent, [t]);
      }
    }
    return this.childrenCache.get(parent) ?? [];
  }

  /** The tasks of a thread group, in table order. */
  threadGroup(tgid: number): TaskInfo[] {
    if (!this.byTgidCache) {
      this.byTgidCache = new Map();
      for (const t of this.all()) {
        const g = this.byTgidCache.get(t.tgid);
        if (g) g.push(t);
        else this.byTgidCache.set(t.tgid, [t]);
      }
    }
    return this.byTgidCache.get(tgid) ?? [];
  }

  /**
   * crash's str_to_context(): a word that is decimal and/or hexadecimal names a pid or a task_struct; a
   * pid match in decimal wins, then whichever single reading matches.
   */
  parseArg(word: string): TaskArg {
    const dec = isDecimal(word) ? BigInt(word.replace(/ /g, '')) : undefined;
    let hexValue: bigint | undefined;
    if (isHexadecimal(word)) {
      const s = word.replace(/^0[xX]/, '');
      if (s.length <= 16) {
        try {
          hexValue = BigInt(`0x${s.replace(/[xX ]/g, '') || '0'}`);
        } catch {
          hexValue = undefined;
        }
      }
    }
    const pidOf = (v: bigint): TaskInfo[] => (v <= 0x7fffffffn ? this.byPid(Number(v)) : []);
    const dp = dec !== undefined ? pidOf(dec) : [];
    const dt = dec !== undefined ? this.byTask(dec) : undefined;
    const hp = hexValue !== undefined && hexValue !== dec ? pidOf(hexValue) : [];
    const ht = hexValue !== undefined && hexValue !== dec ? this.byTask(hexValue) : undefined;
    const found = (dp.length ? 1 : 0) + (dt ? 1 : 0) + (hp.length ? 1 : 0) + (ht ? 1 : 0);
    if (found === 2 && dp.length && hp.length) return { kind: 'pid', value: Number(dec), tasks: dp };
    if (found !== 1) return { kind: 'invalid' };
    if (dp.length) return { kind: 'pid', value: Number(dec), tasks: dp };
    if (dt) return { kind: 'task', value: dec!, tasks: [dt] };
    if (hp.length) return { kind: 'pid', value: Number(hexValue), tasks: hp };
    return { kind: 'task', value: hexValue!, tasks: [ht!] };
  }

  /** Each CPU's idle task (rq->idle of the per-CPU runqueues), for the CPUs crash counts. */
  idleTasks(): Map<number, KVAddr> {
    if (this.idleCache) return this.idleCache;
    const out = new Map<number, KVAddr>();
    for (let cpu = 0; cpu < this.cpuCount(); cpu++) {
      try {
        const idle = this.prog.perCpu('runqueues', cpu).member('idle').toBigInt();
        if (idle !== 0n) out.set(cpu, kv(idle));
      } catch {
        /* a CPU whose runqueue is not in the dump */
      }
    }
    if (out.size === 0) out.set(0, this.prog.symbolAddress('init_task'));
    return (this.idleCache = out);
  }

  /** The task each CPU was running (rq->curr): crash's active set. */
  active(): Map<number, KVAddr> {
    if (this.activeCache) return this.activeCache;
    const out = new Map<number, KVAddr>();
    for (let cpu = 0; cpu < this.cpuCount(); cpu++) {
      try {
        const curr = this.prog.perCpu('runqueues', cpu).member('curr').toBigInt();
        if (curr !== 0n) out.set(cpu, kv(curr));
      } catch {
        /* not in the dump */
      }
    }
    return (this.activeCache = out);
  }

  /** crash's is_task_active() on a dump: the panic task or a CPU's current task. */
  isActive(t: TaskInfo | bigint): boolean {
    const addr = typeof t === 'bigint' ? t : t.task;
    if (this.panicTask() === addr) return true;
    for (const a of this.active().values()) if (a === addr) return true;
    return false;
  }

  isIdle(t: TaskInfo): boolean {
    for (const a of this.idleTasks().values()) if (a === t.task) return true;
    return false;
  }

  /**
   * crash's kt->cpus on x86_64: the per-CPU areas whose cpu_number reads 0, 1, 2... (stopping at an
   * offset equal to __per_cpu_load, the value of a CPU that never came up), cut to the highest present
   * CPU + 1 when fewer CPUs are present.
   */
  cpuCount(): number {
    if (this.cpusCache !== undefined) return this.cpusCache;
    const prog = this.prog;
    let cpus = 0;
    try {
      const offsets = prog.symbolAddress('__per_cpu_offset');
      const load = prog.symbols.address('__per_cpu_load');
      let numberAddr: bigint;
      const hot = prog.symbols.address('pcpu_hot');
      const hotType = hot !== undefined ? prog.tryType('struct pcpu_hot') : undefined;
      const hotOff = hotType && memberOffset(hotType, 'cpu_number');
      if (hot !== undefined && hotOff) numberAddr = hot + BigInt(hotOff.offset);
      else numberAddr = prog.symbolAddress('cpu_number');
      for (let i = 0; i < 8192; i++) {
        const off = prog.memory.readU64(kv(offsets + BigInt(i) * 8n));
        if (load !== undefined && off === load) break;
        let n: number;
        try {
          n = prog.memory.readU32(kv(numberAddr + off));
        } catch {
          break;
        }
        if (n !== cpus) break;
        cpus++;
      }
    } catch {
      cpus = 0;
    }
    const present = this.cpuMask('__cpu_present_mask');
    if (present && present.count > 0 && (cpus === 0 || present.count < cpus)) cpus = present.highest + 1;
    if (cpus === 0) {
      try {
        cpus = Math.min(prog.variable('nr_cpu_ids').toNumber(), 8192);
      } catch {
        cpus = 1;
      }
    }
    return (this.cpusCache = cpus);
  }

  /** A struct cpumask global: how many bits are set and the highest one. */
  cpuMask(name: string): { count: number; highest: number; has(cpu: number): boolean } | undefined {
    const addr = this.prog.symbols.address(name);
    if (addr === undefined) return undefined;
    const t = this.prog.tryType('struct cpumask');
    const size = (t && sizeOf(t)) || 8;
    let bytes: Uint8Array;
    try {
      bytes = this.prog.memory.read(kv(addr), size);
    } catch {
      return undefined;
    }
    let count = 0;
    let highest = -1;
    for (let i = 0; i < bytes.length * 8; i++) {
      if (bytes[i >> 3] & (1 << (i & 7))) {
        count++;
        highest = i;
      }
    }
    return { count, highest, has: (cpu) => cpu >= 0 && cpu < bytes.length * 8 && (bytes[cpu >> 3] & (1 << (cpu & 7))) !== 0 };
  }

  /** THREAD_SIZE: sizeof(union thread_union) when the kernel's types have it. */
  stackSize(): number {
    const t = this.prog.tryType('union thread_union');
    return (t && sizeOf(t)) || DEFAULT_STACK_SIZE;
  }

  /** The base of a task's kernel stack (task->stack). */
  stackBase(t: TaskInfo | bigint): bigint {
    const addr = typeof t === 'bigint' ? t : t.task;
    const s = this.layout.stack;
    if (!s) throw new Error('task_struct has no member stack');
    return this.read(addr, s);
  }

  /**
   * The task crash takes as the panic task (its default context): on kdump, the active task of
   * crashing_cpu; on an ELF dump of one CPU, the task whose stack holds that CPU's saved RSP; otherwise the
   * one active task whose stack holds a return address into crash_kexec/machine_kexec, else panic, else die
   * (crash's get_active_set_panic_task). When nothing says, the task on panic_cpu, else CPU 0's.
   */
  panicTask(): KVAddr | undefined {
    if (this.panicCache !== undefined) return this.panicCache ?? undefined;
    this.panicCache = null;
    const found = this.findPanicTask();
    this.panicCache = found ?? null;
    return found;
  }

  private findPanicTask(): KVAddr | undefined {
    const active = this.active();
    const crashing = this.readInt('crashing_cpu');
    const online = this.cpuMask('__cpu_online_mask');
    if (crashing !== undefined && crashing >= 0 && (!online || online.has(crashing))) {
      const t = active.get(crashing);
      if (t !== undefined) return t;
    }
    if (this.dump.elf && this.dump.prstatusSp.length === 1) {
      const sp = this.dump.prstatusSp[0];
      const t = this.stackOwner(sp);
      if (t !== undefined && [...active.values()].includes(t)) return t;
    }
    const bySearch = this.searchActiveStacks();
    if (bySearch !== undefined) return bySearch;
    const pcpu = this.readInt('panic_cpu');
    if (pcpu !== undefined && pcpu >= 0 && active.has(pcpu)) return active.get(pcpu);
    return active.get(0) ?? active.values().next().value;
  }

  private readInt(name: string): number | undefined {
    const a = this.prog.symbols.address(name);
    if (a === undefined) return undefined;
    try {
      return this.prog.memory.readU32(kv(a)) | 0;
    } catch {
      return undefined;
    }
  }

  /** crash's stkptr_to_task(): the task whose kernel stack holds an address. */
  stackOwner(sp: bigint): KVAddr | undefined {
    const size = BigInt(this.stackSize());
    for (const t of this.all()) {
      try {
        const base = this.stackBase(t);
        if (sp >= base && sp < base + size) return t.task;
      } catch {
        /* no stack */
      }
    }
    return undefined;
  }

  /** The functions crash looks for (as "name+offset") on the active tasks' stacks. */
  private searchActiveStacks(): KVAddr | undefined {
    const syms = this.symbols;
    if (!syms) return undefined;
    const range = (name: string): [bigint, bigint] | undefined => {
      const s = syms.find(name);
      if (!s) return undefined;
      const next = syms.next(s);
      return [s.address, next ? next.address : s.address + 1n];
    };
    const ranges = {
      panic: range('panic'),
      die: range('die'),
      kexec: [range('crash_kexec'), range('machine_kexec')].filter((r): r is [bigint, bigint] => r !== undefined),
    };
    // " name+" in crash's symbolic stack dump: strictly inside the function.
    const inside = (v: bigint, r: [bigint, bigint] | undefined): boolean => r !== undefined && v > r[0] && v < r[1];
    const NONE = 0n;
    const MANY = 1n;
    let panicTask: bigint = NONE;
    let dieTask: bigint = NONE;
    let kexecTask: bigint = NONE;
    const size = this.stackSize();
    for (const task of this.active().values()) {
      if (!this.byTask(task)) continue;
      let words: Uint8Array;
      try {
        words = this.prog.memory.read(kv(this.stackBase(task)), size);
      } catch {
        continue;
      }
      const dv = new DataView(words.buffer, words.byteOffset, words.byteLength);
      for (let i = 0; i + 8 <= size; i += 8) {
        const v = dv.getBigUint64(i, true);
        if (inside(v, ranges.die)) dieTask = dieTask === NONE ? task : dieTask !== task ? MANY : dieTask;
        if (inside(v, ranges.panic)) panicTask = panicTask === NONE ? task : panicTask !== task ? MANY : panicTask;
        if (ranges.kexec.some((r) => inside(v, r))) kexecTask = task;
      }
    }
    if (kexecTask !== NONE) return kv(kexecTask);
    if (panicTask > MANY && dieTask === NONE) return kv(panicTask);
    if (panicTask !== NONE && dieTask !== NONE) return panicTask > MANY && panicTask === dieTask ? kv(panicTask) : undefined;
    if (dieTask > MANY) return kv(dieTask);
    return undefined;
  }

  /**
   * crash's is_kernel_thread(): PF_KTHREAD in task->flags (crash trusts the flag after checking that pid 0
   * has it and pid 1 does not); else pid 0, or a task without an mm that is not exiting.
   */
  isKernelThread(t: TaskInfo): boolean {
    if (this.kthreadFlag === undefined) {
      this.kthreadFlag = PF_KTHREAD;
      const idle = this.byPid(0)[0];
      const init = this.byPid(1)[0];
      if (idle && (idle.flags & PF_KTHREAD) === 0n) this.kthreadFlag = 0n;
      if (init && init.mm !== 0n && (init.flags & PF_KTHREAD) !== 0n) this.kthreadFlag = 0n;
    }
    if (this.kthreadFlag) return (t.flags & this.kthreadFlag) !== 0n;
    if (t.pid === 0) return true;
    const s = this.states();
    if ((t.state & s.zombie) !== 0n || (t.flags & PF_EXITING) !== 0n) return false;
    return t.mm === 0n;
  }

  /** The state bits, read from the kernel as crash's initialize_task_state() reads them. */
  states(): TaskStateBits {
    return (this.statesCache ??= readTaskStates(this.prog));
  }

  /**
   * The kernel's HZ. crash reads it from the in-kernel config (CONFIG_HZ) or evaluates mq-deadline's
   * "write_expire = 5 * HZ" with gdb; neither is at hand from BTF, so it is measured: jiffies since boot
   * against the latest runqueue clock (nanoseconds since boot), rounded to the nearest HZ x86 offers.
   * crash's default, 1000, when the dump is too young to tell.
   */
  hz(): bigint {
    if (this.hzCache !== undefined) return this.hzCache;
    let hz = 1000n;
    try {
      let clock = 0n;
      for (let cpu = 0; cpu < this.cpuCount(); cpu++) {
        const rq = this.prog.perCpu('runqueues', cpu);
        const m = memberOffset(rq.type, 'clock');
        if (!m) break;
        const c = this.prog.memory.readU64(kv(rq.address! + BigInt(m.offset)));
        if (c > clock) clock = c;
      }
      const j = this.prog.symbols.address('jiffies_64') ?? this.prog.symbols.address('jiffies');
      if (clock > 500_000_000n && j !== undefined) {
        // INITIAL_JIFFIES is -300 s in the low 32 bits; ticks since boot are the difference from it at each HZ.
        const raw = this.prog.memory.readU64(kv(j));
        const secs = Number(clock) / 1e9;
        let best = Infinity;
        for (const h of [100n, 250n, 300n, 1000n]) {
          const ticks = Number(BigInt.asUintN(32, raw - BigInt.asUintN(32, -300n * h)));
          const err = Math.abs(ticks / secs - Number(h)) / Number(h);
          if (err < best) {
            best = err;
            hz = h;
          }
        }
      }
    } catch {
      hz = 1000n;
    }
    return (this.hzCache = hz);
  }

  /** crash's task_state_string(): RU IN UN ID ZO ST TR SW DE PA WA NE (+EX), "??" when none fits. */
  stateString(t: TaskInfo | bigint): string {
    const s = this.states();
    let state = typeof t === 'bigint' ? t : t.state;
    let buf = '??';
    let valid = 0;
    let set = 0;
    let exclusive = 0n;
    if (s.exclusive !== undefined) {
      exclusive = state & s.exclusive;
      state &= ~s.exclusive;
    }
    if (state === s.running) {
      buf = 'RU';
      valid++;
    }
    if (state & s.interruptible) {
      buf = 'IN';
      valid++;
      set++;
    }
    if (state & s.uninterruptible) {
      buf = s.noload !== undefined && state & s.noload ? 'ID' : 'UN';
      valid++;
      set++;
    }
    if (state & s.zombie) {
      buf = 'ZO';
      valid++;
      set++;
    }
    if (state & s.stopped) {
      buf = 'ST';
      valid++;
      set++;
    }
    if (s.tracingStopped !== undefined && state & s.tracingStopped) {
      buf = 'TR';
      valid++;
      set++;
    }
    if (s.swapping !== undefined && state === s.swapping) {
      buf = 'SW';
      valid++;
      set++;
    }
    if (s.dead !== undefined && state & s.dead && !set) {
      buf = 'DE';
      valid++;
    }
    if (s.parked !== undefined && state === s.parked) {
      buf = 'PA';
      valid++;
    }
    if (s.waking !== undefined && state === s.waking) {
      buf = 'WA';
      valid++;
    }
    if (s.new !== undefined && state === s.new) {
      buf = 'NE';
      valid++;
    }
    if (valid && exclusive) buf += 'EX';
    return buf;
  }

  /** crash's task_state_string_verbose(): "TASK_INTERRUPTIBLE", "TASK_UNINTERRUPTIBLE|TASK_NOLOAD", ... */
  stateStringVerbose(t: TaskInfo | bigint): string {
    const s = this.states();
    const state = typeof t === 'bigint' ? t : t.state;
    if (state === s.running) return 'TASK_RUNNING';
    const parts: string[] = [];
    if (state & s.interruptible) parts.push('TASK_INTERRUPTIBLE');
    if (state & s.uninterruptible) parts.push('TASK_UNINTERRUPTIBLE');
    if (state & s.stopped) parts.push('TASK_STOPPED');
    if (s.tracingStopped !== undefined && state & s.tracingStopped) parts.push('TASK_TRACED');
    const both = s.dead !== undefined ? state & s.dead : 0n;
    if (both) parts.push(bitCount(both) > 1 ? 'EXIT_DEAD|TASK_DEAD' : 'EXIT_DEAD');
    if (state & s.zombie) parts.push('EXIT_ZOMBIE');
    if (s.waking !== undefined && state & s.waking) parts.push('TASK_WAKING');
    if (s.wakekill !== undefined && state & s.wakekill) parts.push('TASK_WAKEKILL');
    if (s.noload !== undefined && state & s.noload) parts.push('TASK_NOLOAD');
    if (s.new !== undefined && state & s.new) parts.push('TASK_NEW');
    if (s.parked !== undefined && state === s.parked) return 'TASK_PARKED';
    return parts.join('|');
  }
}

/** crash's print_task_header(): the line foreach, ps -p/-c/-g/-l/-m/-t and others print per task. */
export function taskHeader(t: TaskInfo, newline = false): string {
  return `${newline ? '\n' : ''}PID: ${String(t.pid).padEnd(7)}  TASK: ${hex(t.task).padEnd(16)}  CPU: ${cpuString(t.cpu).padEnd(3)}  COMMAND: "${t.comm}"\n`;
}

/** crash's task_cpu(): the CPU number, or "?" for NO_PROC_ID. */
export function cpuString(cpu: number): string {
  return cpu >= 0 && cpu < 8192 ? String(cpu) : '?';
}

const sessionTasks = new WeakMap<Session, Tasks>();

/** The session's task table, built once (a dump does not change). */
export function tasksOf(session: Session): Tasks {
  let t = sessionTasks.get(session);
  if (!t) {
    const mem = session.mem;
    t = new Tasks(session.program, session.debugInfo?.symbols ?? session.symbols, {
      elf: /ELF$/.test(mem.format),
      prstatusSp: mem.notes.prstatus.map((p) => p.regs.rsp),
    });
    sessionTasks.set(session, t);
  }
  return t;
}

function cString(b: Uint8Array, max: number): string {
  let s = '';
  for (let i = 0; i < Math.min(b.length, max) && b[i] !== 0; i++) s += String.fromCharCode(b[i]);
  return s;
}

function bitCount(v: bigint): number {
  let n = 0;
  for (let x = v; x; x &= x - 1n) n++;
  return n;
}

/** crash's decimal(): digits (and spaces) only, at least one digit. */
export function isDecimal(s: string): boolean {
  return /^[0-9 ]*$/.test(s) && /[0-9]/.test(s);
}

/** crash's hexadecimal(): hex digits and any 'x'/'X', at least one digit. */
export function isHexadecimal(s: string): boolean {
  return /^[0-9a-fA-FxX]*$/.test(s) && /[0-9a-fA-F]/.test(s);
}

/** crash's IS_A_NUMBER(). */
export function isNumber(s: string): boolean {
  return isDecimal(s) || isHexadecimal(s);
}

/** The pre-table defaults crash uses when the kernel has no task_state_array. */
const OLD_DEFAULTS: TaskStateBits = { running: 0n, interruptible: 1n, uninterruptible: 2n, zombie: 4n, stopped: 8n, swapping: 16n, exclusive: 32n };

/**
 * crash's initialize_task_state(): stat_nam[] ("RSDTtZXxKWPNn", v2.6.33-v4.13) gives each letter's bit
 * position; else task_state_array[]'s "X (name)" strings give bits 0, 1, 2, 4...; the states past the
 * table are derived from the last one it names.
 */
function readTaskStates(prog: Program): TaskStateBits {
  const mem = prog.memory;
  const statNam = prog.symbols.address('stat_nam');
  if (statNam !== undefined) {
    let s: string;
    try {
      s = mem.readCString(kv(statNam), 64);
    } catch {
      s = '';
    }
    if (/^[\x20-\x7e]+$/.test(s) && s.length > 'RSDTtZX'.length) {
      const bits: Partial<Record<keyof TaskStateBits, bigint>> = {};
      for (let i = 0; i < s.length; i++) {
        const bit = i === 0 ? 0n : 1n << BigInt(i - 1);
        switch (s[i]) {
          case 'R':
            bits.running = BigInt(i);
            break;
          case 'S':
            bits.interruptible = BigInt(i);
            break;
          case 'D':
            bits.uninterruptible = bit;
            break;
          case 'T':
            bits.stopped = bit;
            break;
          case 't':
            bits.tracingStopped = bit;
            break;
          case 'X':
          case 'x':
            bits.dead = (bits.dead ?? 0n) | bit;
            break;
          case 'Z':
            bits.zombie = bit;
            break;
          case 'K':
            bits.wakekill = bit;
            break;
          case 'W':
            bits.waking = bit;
            break;
          case 'P':
            bits.parked = bit;
            break;
          case 'N':
            bits.noload = bit;
            break;
          case 'n':
            bits.new = bit;
            break;
        }
      }
      return checked(bits);
    }
  }
  const arr = prog.symbols.address('task_state_array');
  if (arr === undefined) return OLD_DEFAULTS;
  // The array's length from its type when debuginfo has it; BTF does not, so read while entries look like
  // the kernel's "X (name)" strings.
  let length: number | undefined;
  const vt = prog.types.variableType?.('task_state_array');
  if (vt) {
    const s = strip(vt);
    if (s.kind === 'array' && s.length > 0) length = s.length;
  }
  const bits: Partial<Record<keyof TaskStateBits, bigint>> = {};
  let bit = 0n;
  for (let i = 0; i < (length ?? 32); i++) {
    let name: string;
    try {
      name = mem.readCString(kv(mem.readU64(kv(arr + BigInt(i) * 8n))), 64);
    } catch {
      if (i === 0) return OLD_DEFAULTS;
      break;
    }
    if (length === undefined && !/^\S \(.+\)$/.test(name)) break;
    if (name.includes('(running)')) bits.running = bit;
    else if (name.includes('(sleeping)')) bits.interruptible = bit;
    else if (name.includes('(disk sleep)')) bits.uninterruptible = bit;
    else if (name.includes('(stopped)')) bits.stopped = bit;
    else if (name.includes('(zombie)')) bits.zombie = bit;
    else if (name.includes('(dead)')) bits.dead = (bits.dead ?? 0n) | bit;
    else if (name.includes('(swapping)')) bits.swapping = bit;
    else if (name.includes('(tracing stop)')) bits.tracingStopped = (bits.tracingStopped ?? 0n) | bit;
    else if (name.includes('(wakekill)')) bits.wakekill = bit;
    else if (name.includes('(waking)')) bits.waking = bit;
    else if (name.includes('(parked)')) bits.parked = bit;
    bit = bit === 0n ? 1n : bit << 1n;
  }
  if (bits.parked !== undefined) {
    // "P (parked)" is in the table since Linux commit 8ef9925b02c2 ("sched/debug: Add explicit TASK_PARKED
    // printing", v4.14): the states after it follow (TASK_DEAD, TASK_WAKEKILL, TASK_WAKING, TASK_NOLOAD,
    // TASK_NEW), which crash ties to v4.14.
    const p = bits.parked;
    bits.dead = (bits.dead ?? 0n) | (p << 1n);
    bits.wakekill = p << 2n;
    bits.waking = p << 3n;
    bits.noload = p << 4n;
    bits.new = p << 5n;
  } else if (bits.dead !== undefined && bitCount(bits.dead) === 1) {
    // v2.6.32-v4.13 tables end at "X (dead)": TASK_DEAD, TASK_WAKEKILL and TASK_WAKING follow it.
    const d = bits.dead;
    bits.dead = d | (d << 1n);
    bits.wakekill = d << 2n;
    bits.waking = d << 3n;
  }
  return checked(bits);
}

function checked(bits: Partial<Record<keyof TaskStateBits, bigint>>): TaskStateBits {
  const { running, interruptible, uninterruptible, zombie, stopped } = bits;
  if (running === undefined || interruptible === undefined || uninterruptible === undefined || zombie === undefined || stopped === undefined) return OLD_DEFAULTS;
  return { ...bits, running, interruptible, uninterruptible, zombie, stopped };
}
