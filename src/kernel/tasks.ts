// Tasks: every thread of every process (for_each_process + for_each_thread), their identity (pid, comm,
// parent, CPU) and which task each CPU was running. Kernel differences are found by feature:
//   - threads: signal->thread_head / task->thread_node (Linux commit 0c740d0afc3b, v3.14), else
//     task->thread_group;
//   - state: task->__state (Linux commit 2f064a59a11f, v5.14), else task->state;
//   - CPU: task->cpu (Linux commit bcf9033e5449, v5.16, THREAD_INFO_IN_TASK), else thread_info.cpu;
//   - the running task per CPU: the per-CPU runqueues' rq->curr.
import { type KVAddr, kv } from '../addr.ts';
import type { Obj } from '../program/object.ts';
import { MAX_LIST_ENTRIES, type Program } from '../program/program.ts';
import { findMember } from '../types/type.ts';

export interface TaskInfo {
  /** Address of the task_struct. */
  task: KVAddr;
  pid: number;
  /** Thread-group leader's pid. */
  tgid: number;
  ppid: number;
  comm: string;
  cpu: number;
  /** Raw state word (__state or state) and exit_state. */
  state: bigint;
  exitState: bigint;
  /** mm_struct address; 0 for kernel threads. */
  mm: bigint;
  /** The thread-group leader's task_struct. */
  leader: KVAddr;
  obj: Obj;
}

export class Tasks {
  private listCache: TaskInfo[] | undefined;
  private activeCache: Map<number, KVAddr> | undefined;

  constructor(readonly prog: Program) {}

  private taskObj(addr: bigint): Obj {
    return this.prog.object('struct task_struct', addr);
  }

  info(addr: bigint): TaskInfo {
    const t = this.taskObj(addr);
    const type = t.type;
    const has = (m: string): boolean => findMember(type, m) !== undefined;
    const parent = t.member('real_parent');
    let ppid: number;
    try {
      ppid = parent.isNull() ? 0 : parent.member('pid').toNumber();
    } catch {
      ppid = 0; // a parent outside the dump
    }
    const cpu = has('cpu') ? t.member('cpu').toNumber() : t.member('thread_info').member('cpu').toNumber();
    return {
      task: kv(addr),
      pid: t.member('pid').toNumber(),
      tgid: t.member('tgid').toNumber(),
      ppid,
      comm: t.member('comm').string(16),
      cpu,
      state: has('__state') ? t.member('__state').toBigInt() : t.member('state').toBigInt(),
      exitState: t.member('exit_state').toBigInt(),
      mm: t.member('mm').toBigInt(),
      leader: kv(t.member('group_leader').toBigInt()),
      obj: t,
    };
  }

  /** The thread-group leaders, in init_task.tasks order (init_task first). */
  processes(): KVAddr[] {
    const init = this.prog.symbolAddress('init_task');
    const out: KVAddr[] = [init];
    const type = this.prog.type('struct task_struct');
    for (const t of this.prog.listEntries(init + BigInt(memberOffset(type, 'tasks')), type, 'tasks')) {
      if (t.address === init) break;
      out.push(t.address!);
    }
    return out;
  }

  /** Every thread of a process, the leader first. */
  threads(leader: KVAddr): KVAddr[] {
    const t = this.taskObj(leader);
    const type = t.type;
    const out: KVAddr[] = [leader];
    if (findMember(type, 'thread_node')) {
      const signal = t.member('signal').toBigInt();
      if (signal === 0n) return out;
      const head = this.prog.object('struct signal_struct', signal).member('thread_head');
      for (const th of this.prog.listEntries(head.address!, type, 'thread_node')) if (th.address !== leader) out.push(th.address!);
      return out;
    }
    const head = t.member('thread_group').address!;
    for (const th of this.prog.listEntries(head, type, 'thread_group')) out.push(th.address!);
    return out;
  }

  /**
   * Every task: each process's threads, plus each CPU's idle task (swapper/N, which is on no list but
   * init_task's), in crash's order (by pid, then task address).
   */
  all(): TaskInfo[] {
    if (this.listCache) return this.listCache;
    const seen = new Set<bigint>();
    const out: TaskInfo[] = [];
    const add = (a: KVAddr): void => {
      if (seen.has(a) || seen.size > MAX_LIST_ENTRIES) return;
      seen.add(a);
      out.push(this.info(a));
    };
    for (const p of this.processes()) for (const th of this.threads(p)) add(th);
    for (const [, idle] of this.idleTasks()) add(idle);
    out.sort((a, b) => a.pid - b.pid || a.cpu - b.cpu);
    return (this.listCache = out);
  }

  /** The number of possible CPUs' idle tasks found (runqueues' rq->idle), by CPU. */
  idleTasks(): Map<number, KVAddr> {
    const out = new Map<number, KVAddr>();
    for (let cpu = 0; cpu < this.cpuCount(); cpu++) {
      try {
        const idle = this.prog.perCpu('runqueues', cpu).member('idle').toBigInt();
        if (idle !== 0n) out.set(cpu, kv(idle));
      } catch {
        /* a CPU whose runqueue is not in the dump */
      }
    }
    return out;
  }

  /** The task each CPU was running (rq->curr). */
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

  /** nr_cpu_ids: how many CPUs the kernel could have had. */
  cpuCount(): number {
    try {
      return Math.min(this.prog.variable('nr_cpu_ids').toNumber(), 8192);
    } catch {
      return 1;
    }
  }
}

function memberOffset(type: Parameters<typeof findMember>[0], name: string): number {
  const hit = findMember(type, name);
  if (!hit) throw new Error(`task_struct has no member ${name}`);
  return hit.bitOffset / 8;
}


