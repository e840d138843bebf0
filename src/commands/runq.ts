// runq: each CPU's run queue as crash 8.0.6 prints it (task.c cmd_runq): the current task, the RT priority
// array and the CFS tree (recursing into group entities), or with -t the queue clocks, -T the lag between
// CPUs, -m how long each current task has run, -g the tasks by task group, -d every task on a run queue;
// -c restricts the CPUs.
import { hex } from '../addr.ts';
import { CommandError } from '../errors.ts';
import { type RtEntry, type TaskGroup, RunQueues, parseCpuSpec, translateNanoseconds } from '../kernel/sched.ts';
import { type TaskInfo, tasksOf } from '../kernel/tasks.ts';
import type { Session } from '../engine/session.ts';
import type { Command } from './command.ts';
import { finish, getopt, usage } from './crash-tools.ts';

const SYNOPSIS = '[-t] [-T] [-m] [-g] [-c cpu(s)]';

const queues = new WeakMap<Session, RunQueues>();

/** The session's run queues, built once. */
export function runQueuesOf(session: Session): RunQueues {
  let q = queues.get(session);
  if (!q) {
    q = new RunQueues(session.program, tasksOf(session));
    queues.set(session, q);
  }
  return q;
}

function notSupported(c: string): CommandError {
  return new CommandError(`-${c} option not supported or applicable on this architecture or kernel`);
}

const pidLine = (t: TaskInfo): string => `PID: ${String(t.pid).padEnd(5)}  TASK: ${hex(t.task)}  COMMAND: "${t.comm}"`;
const indent = (n: number): string => ' '.repeat(Math.max(n, 0));

export const runqCommand: Command = {
  name: 'runq',
  summary: 'run queue',
  run({ session, args }) {
    const g = getopt('runq', args, 'dtTgmc:');
    let out = g.errors.map((e) => `${e}\n`).join('');
    let argerrs = g.errors.length > 0;
    const flags = new Set<string>();
    let cpuArg: string | undefined;
    const rq = runQueuesOf(session);
    for (const { c, arg } of g.opts) {
      if (c === 'g' && !rq.hasTaskGroups) return finish('runq', out, notSupported('g'));
      if (c === 'c') {
        if (cpuArg !== undefined) {
          out += 'runq: only one -c option allowed\n';
          argerrs = true;
        } else cpuArg = arg!;
        continue;
      }
      if (c === '?') argerrs = true;
      else flags.add(c);
    }
    let cpus: Set<number> | undefined;
    if (cpuArg !== undefined) {
      try {
        cpus = parseCpuSpec(cpuArg, rq.cpus);
      } catch (e) {
        return finish('runq', out, e);
      }
    }
    if (argerrs) return out + usage('runq', SYNOPSIS);
    try {
      if (flags.has('t')) out += timestamps(rq, cpus);
      else if (flags.has('T')) out += lag(rq);
      else if (flags.has('m')) out += milliseconds(rq, cpus);
      else if (flags.has('d')) out += onRq(rq, cpus);
      else if (flags.has('g')) byTaskGroup(rq, cpus, (s) => (out += s));
      else cfsRunqueues(rq, cpus, (s) => (out += s));
    } catch (e) {
      return finish('runq', out, e);
    }
    return out;
  },
};

function selected(rq: RunQueues, cpus: Set<number> | undefined): number[] {
  return [...Array(rq.cpus).keys()].filter((c) => !cpus || cpus.has(c));
}

/** runq -t: each CPU's rq clock, and the current task's last-run stamp zero-padded to its width. */
function timestamps(rq: RunQueues, cpus: Set<number> | undefined): string {
  if (!rq.clockMember) throw notSupported('t');
  let out = '';
  for (const cpu of selected(rq, cpus)) {
    const ts = String(rq.clock(cpu));
    out += `${cpu < 10 ? ' ' : ''}CPU ${cpu}: ${ts}\n`;
    const cur = rq.current(cpu).task;
    if (!cur) {
      out += '\n';
      continue;
    }
    const pad = (cpu < 10 ? 7 : cpu < 100 ? 8 : cpu < 1000 ? 9 : 0) + (cpu < 10 ? 1 : 0);
    out += `${indent(pad)}${String(rq.lastRun(cur.task)).padStart(ts.length, '0')}  ${pidLine(cur)}\n`;
  }
  return out;
}

/** crash's __log10ul(): the number of decimal digits. */
function digits(x: number): number {
  return String(Math.max(0, Math.floor(x))).length;
}

/** runq -T: each CPU's clock behind the latest, latest first (-c is ignored, as crash ignores it). */
function lag(rq: RunQueues): string {
  if (!rq.clockMember) throw notSupported('T');
  const ts = [...Array(rq.cpus).keys()].map((cpu) => ({ cpu, ts: rq.clock(cpu) }));
  ts.sort((a, b) => (a.ts > b.ts ? -1 : a.ts < b.ts ? 1 : 0));
  return ts
    .map((t) => `${indent(2 + digits(rq.cpus) - digits(t.cpu))}CPU ${t.cpu}: ${((Number(ts[0].ts) - Number(t.ts)) / 1e9).toFixed(2)} secs\n`)
    .join('');
}

/** runq -m: how long each CPU's current task has run, as "[D HH:MM:SS.mmm]" with days aligned. */
function milliseconds(rq: RunQueues, cpus: Set<number> | undefined): string {
  if (!rq.clockMember) throw notSupported('m');
  const n = rq.cpus;
  const maxIndent = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
  let maxDays = 0;
  let out = '';
  for (const cpu of selected(rq, cpus)) {
    const clock = rq.clock(cpu);
    if (!maxDays) maxDays = translateNanoseconds(clock).indexOf(' ');
    const ind = cpu < 10 ? maxIndent : cpu < 100 ? maxIndent - 1 : cpu < 1000 ? maxIndent - 2 : maxIndent - 4;
    const cur = rq.current(cpu).task;
    if (!cur) {
      out += `${indent(ind)}CPU ${cpu}: [unknown]\n`;
      continue;
    }
    let delta = BigInt.asIntN(64, clock - rq.lastRun(cur.task));
    if (delta < 0n) delta = 0n;
    const text = translateNanoseconds(BigInt.asUintN(64, delta));
    out += `${indent(ind)}CPU ${cpu}: [${indent(maxDays - text.indexOf(' '))}${text}]  ${pidLine(cur)}\n`;
  }
  return out;
}

/** runq -d: every task whose on_rq is set, by the CPU it last ran on. */
function onRq(rq: RunQueues, cpus: Set<number> | undefined): string {
  const all = rq.tasks.all();
  let out = '';
  for (const cpu of selected(rq, cpus)) {
    out += `${cpu ? '\n' : ''}CPU ${cpu}\n`;
    let tot = 0;
    for (const t of all) {
      if (!rq.onRq(t.task) || t.cpu !== cpu) continue;
      out += `${indent(5)}[${String(rq.prio(t)).padStart(3)}] ${pidLine(t)}\n`;
      tot++;
    }
    if (!tot) out += `${indent(5)}[no tasks queued]\n`;
  }
  return out;
}

function currentLine(rq: RunQueues, cpu: number): string {
  const cur = rq.current(cpu);
  return `  CURRENT: ${cur.task ? pidLine(cur.task) : hex(cur.address ?? 0n)}\n`;
}

/**
 * The default display. Output is handed to `emit` as it is made, so that what was printed before a read
 * error stays printed, as in crash.
 */
function cfsRunqueues(rq: RunQueues, cpus: Set<number> | undefined, emit: (s: string) => void): void {
  if (!rq.hasCfs) throw new CommandError('only CFS run queues (Linux 2.6.23 and later) are supported');
  let displayed = 0;
  for (const cpu of selected(rq, cpus)) {
    const runq = rq.rq(cpu);
    emit(`${displayed++ ? '\n' : ''}CPU ${cpu} RUNQUEUE: ${hex(runq)}\n`);
    emit(currentLine(rq, cpu));
    const prioArray = rq.rtPrioArray(runq);
    emit(`  RT PRIO_ARRAY: ${hex(prioArray)}\n`);
    if (!dumpRtPrioArray(rq, prioArray, emit)) emit(`${indent(5)}[no tasks queued]\n`);
    const cfs = rq.cfsRqOf(runq);
    emit(`  CFS RB_ROOT: ${hex(rq.timeline(cfs))}\n`);
    if (!dumpCfs(rq, cfs, new Set(), emit)) emit(`${indent(5)}[no tasks queued]\n`);
  }
}

/** crash's dump_RT_prio_array(): group queues are flattened into their tasks. */
function dumpRtPrioArray(rq: RunQueues, prioArray: bigint, emit: (s: string) => void, depth = 0): number {
  if (depth > 64) return 0;
  let tot = 0;
  for (const e of rq.rtQueue(prioArray)) {
    if ('groupRq' in e) {
      tot += dumpRtPrioArray(rq, rq.rtActive(e.groupRq), emit, depth + 1);
      continue;
    }
    emit(`${indent(5)}[${String(e.prio).padStart(3)}] ${pidLine(e.task)}\n`);
    tot++;
  }
  return tot;
}

/** crash's dump_tasks_in_cfs_rq(): the running group's queue first, then the tree in order. */
function dumpCfs(rq: RunQueues, cfs: bigint, seen: Set<bigint>, emit: (s: string) => void, depth = 0): number {
  if (depth > 64) return 0;
  let total = 0;
  if (rq.hasCfsGroups) {
    const my = rq.currMyQ(cfs);
    if (my) total += dumpCfs(rq, my, seen, emit, depth + 1);
  }
  for (const e of rq.cfsEntries(cfs)) {
    if ('groupRq' in e) {
      total += dumpCfs(rq, e.groupRq, seen, emit, depth + 1);
      continue;
    }
    if (seen.has(e.task.task)) {
      emit(`WARNING: duplicate CFS runqueue node: task ${hex(e.task.task)}\n`);
      return total;
    }
    seen.add(e.task.task);
    emit(`${indent(5)}[${String(rq.prio(e.task)).padStart(3)}] ${pidLine(e.task)}\n`);
    total++;
  }
  return total;
}

// ---- runq -g ------------------------------------------------------------------------------------------

interface GroupState {
  rq: RunQueues;
  groups: (TaskGroup & { use: boolean })[];
  cpu: number;
  emit: (s: string) => void;
  seen: Set<bigint>;
}

function byTaskGroup(rq: RunQueues, cpus: Set<number> | undefined, emit: (s: string) => void): void {
  const root = rq.rootGroup();
  const groups = rq.taskGroups(root.address).map((g) => ({ ...g, use: false }));
  // Parents are the entries of this array, so that their `use` marks are shared.
  const byAddr = new Map(groups.map((g) => [g.address, g]));
  for (const g of groups) g.parent = g.parent && byAddr.get(g.parent.address);
  const hasRt = rq.rootHas(root.address, 'rt_rq');
  const hasCfs = rq.rootHas(root.address, 'cfs_rq');
  let displayed = 0;
  for (const cpu of selected(rq, cpus)) {
    emit(`${displayed++ ? '\n' : ''}CPU ${cpu}\n`);
    emit(currentLine(rq, cpu));
    const st: GroupState = { rq, groups, cpu, emit, seen: new Set() };
    const reuse = (): void => groups.forEach((g) => (g.use = g.depth !== 0));
    if (hasRt) {
      const rtRq = rq.groupRq(root.address, cpu, 'rt_rq');
      emit(`  ${root.label}_TASK_GROUP: ${hex(root.address)}  RT_RQ: ${hex(rtRq)}\n`);
      reuse();
      groupRt(st, 0, rtRq);
    }
    if (hasCfs) {
      const cfsRq = rq.groupRq(root.address, cpu, 'cfs_rq');
      emit(`  ${root.label}_TASK_GROUP: ${hex(root.address)}  CFS_RQ: ${hex(cfsRq)}\n`);
      reuse();
      groupCfs(st, 0, cfsRq, rq.current(cpu).task);
    }
  }
}

function groupHeaderFair(st: GroupState, depth: number, cfsRq: bigint, g: TaskGroup): void {
  let s = `${indent(2 + 3 * depth)}TASK_GROUP: ${hex(g.address)}  CFS_RQ: ${hex(cfsRq)} `;
  if (g.name !== undefined) s += ` <${g.name}>`;
  if (st.rq.throttled(cfsRq, 'cfs_rq')) s += ' (THROTTLED)';
  st.emit(`${s}\n`);
}

function parentGroupFair(st: GroupState, g: GroupState['groups'][number]): void {
  const p = g.parent as GroupState['groups'][number] | undefined;
  if (!p || !p.use) return;
  parentGroupFair(st, p);
  groupHeaderFair(st, p.depth, st.rq.groupRq(p.address, st.cpu, 'cfs_rq'), p);
  p.use = false;
}

/** crash's dump_tasks_in_task_group_cfs_rq(). */
function groupCfs(st: GroupState, depth: number, cfsRq: bigint, current: TaskInfo | undefined): number {
  const { rq, emit } = st;
  if (depth > 64) return 0;
  let total = 0;
  if (depth) {
    const tg = rq.rqGroup(cfsRq, 'cfs_rq');
    const g = st.groups.find((x) => x.address === tg);
    if (g) {
      groupHeaderFair(st, depth, cfsRq, g);
      g.use = false;
    }
  }
  let currMyQ = 0n;
  const curr = rq.cfsCurr(cfsRq);
  if (rq.hasCfsGroups && curr) {
    currMyQ = rq.currMyQ(cfsRq);
    if (currMyQ) {
      total++;
      total += groupCfs(st, depth + 1, currMyQ, current);
    }
  }
  if (!currMyQ && current && curr && rq.taskOfSe(curr)?.task === current.task) {
    total++;
    emit(`${indent(5 + 3 * depth)}[${String(rq.prio(current)).padStart(3)}] ${pidLine(current)} [CURRENT]\n`);
  }
  for (const e of rq.cfsEntries(cfsRq)) {
    if ('groupRq' in e) {
      total++;
      total += groupCfs(st, depth + 1, e.groupRq, current);
      continue;
    }
    if (st.seen.has(e.task.task)) {
      emit(`WARNING: duplicate CFS runqueue node: task ${hex(e.task.task)}\n`);
      return total;
    }
    st.seen.add(e.task.task);
    emit(`${indent(5 + 3 * depth)}[${String(rq.prio(e.task)).padStart(3)}] ${pidLine(e.task)}\n`);
    total++;
  }
  total += lowerDequeuedCfs(st, depth, cfsRq, current);
  if (!total) emit(`${indent(5 + 3 * depth)}[no tasks queued]\n`);
  return total;
}

/** crash's dump_tasks_in_lower_dequeued_cfs_rq(): child groups with tasks not reached through the tree. */
function lowerDequeuedCfs(st: GroupState, depth: number, cfsRq: bigint, current: TaskInfo | undefined): number {
  const { rq } = st;
  let total = 0;
  for (const g of st.groups) {
    if (!g.use || g.depth - depth !== 1) continue;
    if (rq.rqGroup(cfsRq, 'cfs_rq') !== g.parent?.address) continue;
    const child = rq.groupRq(g.address, st.cpu, 'cfs_rq');
    if (child === cfsRq) continue;
    if (rq.nrRunning(child, 'cfs_rq') === 0) {
      total += lowerDequeuedCfs(st, depth + 1, child, current);
      continue;
    }
    parentGroupFair(st, g);
    total++;
    total += groupCfs(st, depth + 1, child, current);
  }
  return total;
}

function groupHeaderRt(st: GroupState, rtRq: bigint, g: TaskGroup): string {
  let s = `TASK_GROUP: ${hex(g.address)}  RT_RQ: ${hex(rtRq)}`;
  if (g.name !== undefined) s += ` <${g.name}>`;
  if (st.rq.throttled(rtRq, 'rt_rq')) s += ' (THROTTLED)';
  return `${s}\n`;
}

function parentGroupRt(st: GroupState, g: GroupState['groups'][number]): void {
  const p = g.parent as GroupState['groups'][number] | undefined;
  if (!p || !p.use) return;
  // crash climbs the fair-group parents here, then prints the RT header of this one.
  parentGroupFair(st, p);
  const rtRq = st.rq.groupRq(p.address, st.cpu, 'rt_rq');
  st.emit(`${indent(-1 + 6 * p.depth)}[${String(st.rq.rtHighestPrio(rtRq)).padStart(3)}] ${groupHeaderRt(st, rtRq, p)}`);
  p.use = false;
}

/** crash's dump_tasks_in_task_group_rt_rq(). */
function groupRt(st: GroupState, depth: number, rtRq: bigint): void {
  const { rq, emit } = st;
  if (depth > 64) return;
  if (depth) {
    const tg = rq.rqGroup(rtRq, 'rt_rq');
    const g = st.groups.find((x) => x.address === tg);
    if (g) {
      emit(groupHeaderRt(st, rtRq, g));
      g.use = false;
    }
  }
  let tot = 0;
  for (const e of rq.rtQueue(rq.rtActive(rtRq)) as RtEntry[]) {
    emit(`${indent(5 + 6 * depth)}[${String(e.prio).padStart(3)}] `);
    tot++;
    if ('groupRq' in e) groupRt(st, depth + 1, e.groupRq);
    else emit(`${pidLine(e.task)}\n`);
  }
  tot += lowerDequeuedRt(st, depth, rtRq);
  if (!tot) emit(`${indent(5 + 6 * depth)}[no tasks queued]\n`);
}

function lowerDequeuedRt(st: GroupState, depth: number, rtRq: bigint): number {
  const { rq } = st;
  let tot = 0;
  for (const g of st.groups) {
    const delta = g.depth - depth;
    if (delta > 1) break;
    if (!g.use || delta < 1) continue;
    if (rq.rqGroup(rtRq, 'rt_rq') !== g.parent?.address) continue;
    const child = rq.groupRq(g.address, st.cpu, 'rt_rq');
    if (child === rtRq) continue;
    if (rq.nrRunning(child, 'rt_rq') === 0) {
      tot += lowerDequeuedRt(st, depth + 1, child);
      continue;
    }
    parentGroupRt(st, g);
    st.emit(`${indent(5 + 6 * depth)}[${String(rq.rtHighestPrio(child)).padStart(3)}] `);
    tot++;
    groupRt(st, depth + 1, child);
  }
  return tot;
}
