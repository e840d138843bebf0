// The scheduler's per-CPU run queues as crash's `runq` reads them (task.c): each CPU's struct rq, its CFS
// red-black tree of sched_entity (group entities lead to their own cfs_rq through se->my_q), its RT
// priority array of list heads (rt_rq->active.queue[prio]), the task groups of the CPU controller, and the
// clocks `runq -t/-T/-m` print. Also the CPU-list syntax crash's -c/-C options take.
//
// Kernel differences, found by feature:
//   - the run-queue clock: rq.clock (Linux commit 6aa645ea5f7a "sched: cfs rq data types", v2.6.23), else
//     rq.most_recent_timestamp, else rq.timestamp_last_tick;
//   - a task's last run: task_struct.last_run / .timestamp on old kernels, else sched_info.last_arrival
//     (CONFIG_SCHED_INFO; without it crash reads 0);
//   - the CFS tree's leftmost node: cfs_rq.rb_leftmost, or rb_root_cached.rb_leftmost once tasks_timeline
//     became an rb_root_cached (Linux commit bfb068892d30 "sched/fair: replace cfs_rq->rb_root_leftmost",
//     v4.14);
//   - group scheduling: sched_entity.my_q (CONFIG_FAIR_GROUP_SCHED), sched_rt_entity.my_q
//     (CONFIG_RT_GROUP_SCHED), task_group.cfs_rq / .rt_rq; a task group's name from cgroup.kn (kernfs,
//     Linux commit 2bd59d48ebfb "cgroup: convert to kernfs", v3.15) or the older cgroup.dentry;
//   - cfs_rq.nr_running, renamed nr_queued by "sched/fair: Rename cfs_rq.nr_running into nr_queued" (v6.14).
import { type KVAddr, kv } from '../addr.ts';
import { CommandError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import { MAX_LIST_ENTRIES } from '../program/program.ts';
import { type Type, findMember, memberOffset, strip } from '../types/type.ts';
import type { Tasks, TaskInfo } from './tasks.ts';

/**
 * crash's make_cpumask(): comma-separated CPUs or ranges ("1", "0-2", "1,3,5-7"), "a"/"all" for every CPU.
 * Throws crash's messages: dtoi()'s complaint about a non-digit, or "invalid cpu specification".
 */
export function parseCpuSpec(spec: string, ncpus: number): Set<number> {
  const out = new Set<number>();
  for (const part of spec.split(',').filter((p) => p !== '')) {
    let start: number;
    let end: number;
    if (part === 'a' || part === 'all') {
      start = 0;
      end = ncpus - 1;
    } else {
      const [lo, hi] = part.split('-').filter((p) => p !== '');
      start = dtoi(lo ?? '');
      end = hi === undefined ? start : dtoi(hi);
    }
    if (start < 0 || start >= ncpus || end < 0 || end >= ncpus) throw new CommandError(`invalid cpu specification: ${spec}`);
    for (let i = start; i <= end; i++) out.add(i);
  }
  return out;
}

/** crash's dtoi(): leading spaces skipped, then decimal digits only. */
export function dtoi(word: string): number {
  const s = word.replace(/^ +/, '');
  const bad = /[^0-9]/.exec(s);
  if (bad || s === '') throw new CommandError(`${s}: "${bad ? bad[0] : ''}" is not a digit 0 - 9`);
  return Number.parseInt(s, 10) | 0;
}

/** crash's translate_nanoseconds(): "D HH:MM:SS.mmm". */
export function translateNanoseconds(ns: bigint): string {
  let v = ns / 1000000n;
  const ms = v % 1000n;
  v /= 1000n;
  const secs = v % 60n;
  v /= 60n;
  const mins = v % 60n;
  v /= 60n;
  const hours = v % 24n;
  const days = v / 24n;
  const p = (x: bigint, n: number): string => String(x).padStart(n, '0');
  return `${days} ${p(hours, 2)}:${p(mins, 2)}:${p(secs, 2)}.${p(ms, 3)}`;
}

function off(t: Type | undefined, path: string): number | undefined {
  return t ? memberOffset(t, path)?.offset : undefined;
}

/** An RT queue entry: a task, or (with RT group scheduling) a group's rt_rq. */
export type RtEntry = { prio: number; task: TaskInfo } | { prio: number; groupRq: bigint };

/** A CFS tree entry in rb order: a task, or a group entity's own cfs_rq. */
export type CfsEntry = { task: TaskInfo } | { groupRq: bigint };

export interface TaskGroup {
  address: bigint;
  depth: number;
  name: string | undefined;
  parent: TaskGroup | undefined;
}

export class SchedError extends CommandError {
  override name = 'SchedError';
}

/** The run queues of one kernel. Offsets are read once from its types. */
export class RunQueues {
  readonly rqType: Type;
  private readonly cfsRq: Type | undefined;
  private readonly rtRq: Type | undefined;
  private readonly se: Type | undefined;
  private readonly rtSe: Type | undefined;
  private readonly taskType: Type;

  constructor(
    readonly prog: Program,
    readonly tasks: Tasks,
  ) {
    this.rqType = prog.type('struct rq');
    this.cfsRq = prog.tryType('struct cfs_rq');
    this.rtRq = prog.tryType('struct rt_rq');
    this.se = prog.tryType('struct sched_entity');
    this.rtSe = prog.tryType('struct sched_rt_entity');
    this.taskType = prog.type('struct task_struct');
  }

  get cpus(): number {
    return this.tasks.cpuCount();
  }

  /** The address of CPU `cpu`'s struct rq (per-CPU `runqueues`). */
  rq(cpu: number): KVAddr {
    return this.prog.perCpu('runqueues', cpu).address!;
  }

  /** The task a CPU was running (crash's active set), as its table entry when it has one. */
  current(cpu: number): { address: bigint | undefined; task: TaskInfo | undefined } {
    const a = this.tasks.active().get(cpu);
    return { address: a, task: a === undefined ? undefined : this.tasks.byTask(a) };
  }

  /** Whether the kernel has CFS run queues (rq.cfs, v2.6.23). */
  get hasCfs(): boolean {
    return findMember(this.rqType, 'cfs') !== undefined;
  }

  /** rq.cfs: the root cfs_rq of a CPU. */
  cfsRqOf(rq: bigint): bigint {
    return rq + BigInt(this.must(this.rqType, 'cfs', 'rq'));
  }

  /** The rb_root of a cfs_rq (its tasks_timeline). */
  timeline(cfsRq: bigint): bigint {
    return cfsRq + BigInt(this.must(this.cfsRq, 'tasks_timeline', 'cfs_rq'));
  }

  /** rq.rt.active: the RT priority array of a CPU. */
  rtPrioArray(rq: bigint): bigint {
    return rq + BigInt(this.must(this.rqType, 'rt', 'rq')) + BigInt(this.must(this.rtRq, 'active', 'rt_rq'));
  }

  /** rt_rq.active of a group's rt_rq. */
  rtActive(rtRq: bigint): bigint {
    return rtRq + BigInt(this.must(this.rtRq, 'active', 'rt_rq'));
  }

  /**
   * The entries of an RT priority array, by priority then queue order. Entries that are not tasks in the
   * table are skipped, as crash's task_to_context() skips them.
   */
  rtQueue(prioArray: bigint): RtEntry[] {
    const pa = this.prog.type('struct rt_prio_array');
    const q = findMember(pa, 'queue');
    if (!q) throw new SchedError('rt_prio_array has no member queue');
    const qt = strip(q.member.type);
    const heads = qt.kind === 'array' ? qt.length : 0;
    const listHead = 16n;
    const runList = off(this.rtSe, 'run_list') ?? 0;
    const myQ = off(this.rtSe, 'my_q');
    const rtInTask = off(this.taskType, 'rt') ?? 0;
    const out: RtEntry[] = [];
    const base = prioArray + BigInt(q.bitOffset / 8);
    for (let i = 0; i < heads; i++) {
      const head = base + BigInt(i) * listHead;
      const next = this.prog.memory.readU64(kv(head));
      const prev = this.prog.memory.readU64(kv(head + 8n));
      if (next === head && prev === head) continue;
      for (const node of this.list(head)) {
        const ent = node - BigInt(runList);
        if (myQ !== undefined) {
          const q2 = this.prog.memory.readU64(kv(ent + BigInt(myQ)));
          if (q2 !== 0n) {
            out.push({ prio: i, groupRq: q2 });
            continue;
          }
        }
        const task = this.tasks.byTask(ent - BigInt(rtInTask));
        if (task) out.push({ prio: i, task });
      }
    }
    return out;
  }

  /** cfs_rq.curr's own cfs_rq when the running entity is a group (curr->my_q), else 0. */
  currMyQ(cfsRq: bigint): bigint {
    const curr = this.cfsCurr(cfsRq);
    const myQ = off(this.se, 'my_q');
    if (curr === 0n || myQ === undefined) return 0n;
    return this.prog.memory.readU64(kv(curr + BigInt(myQ)));
  }

  /** cfs_rq.curr: the running sched_entity. */
  cfsCurr(cfsRq: bigint): bigint {
    const o = off(this.cfsRq, 'curr');
    return o === undefined ? 0n : this.prog.memory.readU64(kv(cfsRq + BigInt(o)));
  }

  /** Whether group entities exist (sched_entity.my_q, CONFIG_FAIR_GROUP_SCHED). */
  get hasCfsGroups(): boolean {
    return off(this.se, 'my_q') !== undefined;
  }

  /**
   * The entries of a cfs_rq's tree in rb order; none when its leftmost pointer is NULL (crash checks it
   * before walking). Entities that are not tasks in the table are skipped.
   */
  cfsEntries(cfsRq: bigint): CfsEntry[] {
    const leftmostOff = off(this.cfsRq, 'rb_leftmost') ?? this.cachedLeftmost();
    const leftmost = leftmostOff === undefined ? 1n : this.prog.memory.readU64(kv(cfsRq + BigInt(leftmostOff)));
    if (leftmost === 0n) return [];
    const runNode = this.must(this.se, 'run_node', 'sched_entity');
    const myQ = off(this.se, 'my_q');
    const seInTask = this.must(this.taskType, 'se', 'task_struct');
    const out: CfsEntry[] = [];
    for (const node of this.prog.rbNodes(this.timeline(cfsRq))) {
      const ent = node - BigInt(runNode);
      if (myQ !== undefined) {
        const q = this.prog.memory.readU64(kv(ent + BigInt(myQ)));
        if (q !== 0n) {
          out.push({ groupRq: q });
          continue;
        }
      }
      const task = this.tasks.byTask(ent - BigInt(seInTask));
      if (task) out.push({ task });
    }
    return out;
  }

  private cachedLeftmost(): number | undefined {
    const tl = off(this.cfsRq, 'tasks_timeline');
    const rc = this.prog.tryType('struct rb_root_cached');
    const lm = off(rc, 'rb_leftmost');
    return tl !== undefined && lm !== undefined ? tl + lm : undefined;
  }

  /** The task whose sched_entity is `se` (curr of a cfs_rq), if it is a task in the table. */
  taskOfSe(se: bigint): TaskInfo | undefined {
    return this.tasks.byTask(se - BigInt(this.must(this.taskType, 'se', 'task_struct')));
  }

  /** task_struct.prio */
  prio(task: TaskInfo): number {
    const o = this.must(this.taskType, 'prio', 'task_struct');
    return this.prog.memory.readU32(kv(task.task + BigInt(o))) | 0;
  }

  /** The member crash takes as a run queue's timestamp, or undefined (then -t/-T/-m are unsupported). */
  get clockMember(): string | undefined {
    for (const m of ['clock', 'most_recent_timestamp', 'timestamp_last_tick']) if (findMember(this.rqType, m)) return m;
    return undefined;
  }

  /** The run queue's clock (rq.clock on current kernels), in nanoseconds. */
  clock(cpu: number): bigint {
    const m = this.clockMember;
    if (!m) throw new SchedError('rq has no clock');
    return this.prog.memory.readU64(kv(this.rq(cpu) + BigInt(off(this.rqType, m)!)));
  }

  /** crash's task_last_run(): last_run / timestamp / sched_info.last_arrival, whichever exists, else 0. */
  lastRun(task: bigint): bigint {
    const t = this.taskType;
    const lr = off(t, 'last_run');
    if (lr !== undefined) return this.prog.memory.readU64(kv(task + BigInt(lr)));
    const ts = off(t, 'timestamp');
    if (ts !== undefined) return this.prog.memory.readU64(kv(task + BigInt(ts)));
    const la = off(t, 'sched_info.last_arrival');
    if (la !== undefined) return this.prog.memory.readU64(kv(task + BigInt(la)));
    return 0n;
  }

  /** The task's on_rq (task_struct.on_rq, else se.on_rq). */
  onRq(task: bigint): number {
    const o = off(this.taskType, 'on_rq') ?? off(this.taskType, 'se.on_rq');
    if (o === undefined) throw new SchedError('task_struct has no on_rq');
    return this.prog.memory.readU32(kv(task + BigInt(o))) | 0;
  }

  // ---- task groups (runq -g) ----------------------------------------------------------------------

  /** Whether -g is possible: task_group with cfs_rq or rt_rq, and parent. */
  get hasTaskGroups(): boolean {
    const tg = this.prog.tryType('struct task_group');
    return !!tg && (!!findMember(tg, 'cfs_rq') || !!findMember(tg, 'rt_rq')) && !!findMember(tg, 'parent');
  }

  /** The root group's symbol and crash's name for it. */
  rootGroup(): { address: bigint; label: string } {
    for (const [sym, label] of [
      ['init_task_group', 'INIT'],
      ['root_task_group', 'ROOT'],
    ] as const) {
      const a = this.prog.symbols.address(sym);
      if (a !== undefined) return { address: a, label };
    }
    throw new SchedError('cannot determine root task_group');
  }

  /**
   * Every task group under `root`, parents before children (depth-first), then stably ordered by depth as
   * crash's sort_task_group_info_array() leaves them.
   */
  taskGroups(root: bigint): TaskGroup[] {
    const tg = this.prog.type('struct task_group');
    const children = this.must(tg, 'children', 'task_group');
    const siblings = this.must(tg, 'siblings', 'task_group');
    const out: TaskGroup[] = [];
    const visit = (addr: bigint, depth: number, parent: TaskGroup | undefined): void => {
      if (out.length > 10000) throw new SchedError('too many task groups');
      const g: TaskGroup = { address: addr, depth, name: this.groupName(addr), parent };
      out.push(g);
      for (const node of this.list(addr + BigInt(children))) visit(node - BigInt(siblings), depth + 1, g);
    };
    visit(root, 0, undefined);
    return out.map((g, i) => ({ g, i })).sort((a, b) => a.g.depth - b.g.depth || a.i - b.i).map((x) => x.g);
  }

  /** crash's get_task_group_name(): the cgroup's kernfs name ("/" for the root), or its dentry name. */
  private groupName(group: bigint): string | undefined {
    const m = this.prog.memory;
    const tg = this.prog.type('struct task_group');
    const css = off(tg, 'css.cgroup');
    if (css === undefined) return undefined;
    const cgroup = m.readU64(kv(group + BigInt(css)));
    if (cgroup === 0n) return undefined;
    const cg = this.prog.type('struct cgroup');
    const dentryOff = off(cg, 'dentry');
    if (dentryOff !== undefined) {
      const dentry = m.readU64(kv(cgroup + BigInt(dentryOff)));
      if (dentry === 0n) return undefined;
      const d = this.prog.type('struct dentry');
      const len = m.readU32(kv(dentry + BigInt(off(d, 'd_name.len') ?? off(d, 'd_name.hash_len')!)));
      const name = m.readU64(kv(dentry + BigInt(off(d, 'd_name.name')!)));
      return String.fromCharCode(...m.read(kv(name), len));
    }
    const kn = off(cg, 'kn');
    const kt = this.prog.tryType('struct kernfs_node');
    const knName = off(kt, 'name');
    const knParent = off(kt, 'parent') ?? off(kt, '__parent');
    if (kn === undefined || knName === undefined || knParent === undefined) return undefined;
    const node = m.readU64(kv(cgroup + BigInt(kn)));
    if (node === 0n) return undefined;
    if (m.readU64(kv(node + BigInt(knParent))) === 0n) return '/';
    const name = m.readU64(kv(node + BigInt(knName)));
    if (name === 0n) return undefined;
    try {
      return m.readCString(kv(name), 1499);
    } catch {
      return undefined;
    }
  }

  /** task_group.cfs_rq[cpu] (or rt_rq[cpu]): the group's run queue on a CPU, 0 when it has none. */
  groupRq(group: bigint, cpu: number, which: 'cfs_rq' | 'rt_rq'): bigint {
    const tg = this.prog.type('struct task_group');
    const o = off(tg, which);
    if (o === undefined) return 0n;
    const arr = this.prog.memory.readU64(kv(group + BigInt(o)));
    if (arr === 0n) return 0n;
    return this.prog.memory.readU64(kv(arr + BigInt(cpu) * 8n));
  }

  /** Whether the root group has this kind of run queue array (task_group.cfs_rq / .rt_rq non-NULL). */
  rootHas(group: bigint, which: 'cfs_rq' | 'rt_rq'): boolean {
    const tg = this.prog.type('struct task_group');
    const o = off(tg, which);
    return o !== undefined && this.prog.memory.readU64(kv(group + BigInt(o))) !== 0n;
  }

  /** cfs_rq.tg / rt_rq.tg */
  rqGroup(rq: bigint, which: 'cfs_rq' | 'rt_rq'): bigint {
    const t = which === 'cfs_rq' ? this.cfsRq : this.rtRq;
    return this.prog.memory.readU64(kv(rq + BigInt(this.must(t, 'tg', which))));
  }

  /** cfs_rq.nr_running (nr_queued since v6.14) or rt_rq.rt_nr_running. */
  nrRunning(rq: bigint, which: 'cfs_rq' | 'rt_rq'): number {
    const o = which === 'cfs_rq' ? (off(this.cfsRq, 'nr_running') ?? off(this.cfsRq, 'nr_queued')) : off(this.rtRq, 'rt_nr_running');
    if (o === undefined) throw new SchedError(`${which} has no nr_running`);
    return this.prog.memory.readU32(kv(rq + BigInt(o))) | 0;
  }

  /** cfs_rq.throttled / rt_rq.rt_throttled, when the kernel has bandwidth control; else false. */
  throttled(rq: bigint, which: 'cfs_rq' | 'rt_rq'): boolean {
    const tg = this.prog.type('struct task_group');
    if (which === 'cfs_rq') {
      const o = off(this.cfsRq, 'throttled');
      if (!findMember(tg, 'cfs_bandwidth') || o === undefined) return false;
      return (this.prog.memory.readU32(kv(rq + BigInt(o))) | 0) !== 0;
    }
    const o = off(this.rtRq, 'rt_throttled');
    if (!findMember(tg, 'rt_bandwidth') || o === undefined) return false;
    return (this.prog.memory.readU32(kv(rq + BigInt(o))) | 0) !== 0;
  }

  /** rt_rq.highest_prio.curr (the first int of highest_prio). */
  rtHighestPrio(rtRq: bigint): number {
    return this.prog.memory.readU32(kv(rtRq + BigInt(this.must(this.rtRq, 'highest_prio', 'rt_rq')))) | 0;
  }

  /** The list_head nodes after `head` (bounded). */
  private *list(head: bigint): Generator<bigint> {
    let node = this.prog.memory.readU64(kv(head));
    for (let n = 0; node !== head && node !== 0n && n < MAX_LIST_ENTRIES; n++) {
      yield node;
      node = this.prog.memory.readU64(kv(node));
    }
  }

  private must(t: Type | undefined, member: string, what: string): number {
    const o = off(t, member);
    if (o === undefined) throw new SchedError(`${what} has no member ${member}`);
    return o;
  }
}
