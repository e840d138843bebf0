// A task's memory use as crash's get_task_mem_usage() computes it for ps: RSS (resident pages), VSZ
// (mm->total_vm) and %MEM against crash's total page count. Kernel differences, found by feature:
//   - mm->rss (older kernels), else mm->rss_stat: atomic_long_t count[NR_MM_COUNTERS] (Linux commit
//     d559db086ff5, v2.6.34), or struct percpu_counter rss_stat[NR_MM_COUNTERS] (commit f1a7941243c1, v6.2);
//   - SPLIT_RSS_COUNTING: each thread's unsynced task->rss_stat.count[] (commit 34e55232e59f, v2.6.34;
//     removed with the percpu counters in v6.2), summed over the thread group;
//   - MM_SHMEMPAGES (index 3) exists when the counter array has four entries (commit eca56ff906bd, v4.5).
//     crash reads the MM_* enumerators; their order has not changed since they were added, so the array
//     length says the same without needing enumerator lookup.
import { kv } from '../addr.ts';
import { type Type, memberOffset, sizeOf, strip } from '../types/type.ts';
import type { TaskInfo, Tasks } from './tasks.ts';

export interface TaskMemUsage {
  /** Resident pages. */
  rss: bigint;
  /** mm->total_vm, in pages. */
  totalVm: bigint;
  /** rss as a percentage of crash's total pages. */
  pctPhysmem: number;
  /** The task's mm_struct (0 for kernel threads). */
  mm: bigint;
}

const MM_FILEPAGES = 0;
const MM_ANONPAGES = 1;

interface MmLayout {
  totalVm: number;
  mmCount: number | undefined;
  /** Old kernels' single counter. */
  rss: number | undefined;
  /** mm->rss_stat.count[] (atomic_long_t) or mm->rss_stat[] (percpu_counter). */
  rssStat: { kind: 'atomic'; offset: number } | { kind: 'percpu'; offset: number; size: number; count: number; counters: number } | undefined;
  /** The MM_SHMEMPAGES index, or -1 when the kernel predates it. */
  shmem: number;
  anonRss: number | undefined;
  fileRss: number | undefined;
  /** task->rss_stat.count[] under SPLIT_RSS_COUNTING. */
  taskRssCount: number | undefined;
}

export class TaskMem {
  private layoutCache: MmLayout | undefined;
  private groupRss = new Map<number, bigint>();

  constructor(
    readonly tasks: Tasks,
    /** crash's vt->total_pages: the direct map up to high_memory, in pages. */
    readonly totalPages: bigint,
  ) {}

  private get layout(): MmLayout {
    if (this.layoutCache) return this.layoutCache;
    const prog = this.tasks.prog;
    const mm = prog.type('struct mm_struct');
    const off = (t: Type, path: string): number | undefined => memberOffset(t, path)?.offset;
    const tv = off(mm, 'total_vm');
    if (tv === undefined) throw new Error('mm_struct has no member total_vm');
    let rssStat: MmLayout['rssStat'];
    let shmem = -1;
    const stat = memberOffset(mm, 'rss_stat');
    if (stat) {
      const st = strip(stat.type);
      if (st.kind === 'array') {
        // v6.2+: struct percpu_counter rss_stat[NR_MM_COUNTERS]
        const pc = strip(st.element);
        const count = memberOffset(pc, 'count')?.offset ?? 0;
        const counters = memberOffset(pc, 'counters')?.offset ?? -1;
        rssStat = { kind: 'percpu', offset: stat.offset, size: sizeOf(pc) ?? 0, count, counters };
        if (st.length >= 4) shmem = 3;
      } else {
        const c = memberOffset(st, 'count');
        if (c) {
          rssStat = { kind: 'atomic', offset: stat.offset + c.offset };
          const ct = strip(c.type);
          if (ct.kind === 'array' && ct.length >= 4) shmem = 3;
        }
      }
    }
    const task = this.tasks.layout.type;
    const trs = memberOffset(task, 'rss_stat');
    const taskRssCount = trs ? (memberOffset(trs.type, 'count') ? trs.offset + memberOffset(trs.type, 'count')!.offset : undefined) : undefined;
    this.layoutCache = {
      totalVm: tv,
      mmCount: off(mm, 'mm_count'),
      rss: off(mm, 'rss') ?? off(mm, '_rss'),
      rssStat,
      shmem,
      anonRss: off(mm, '_anon_rss'),
      fileRss: off(mm, '_file_rss'),
      taskRssCount,
    };
    return this.layoutCache;
  }

  /** crash's get_task_mem_usage(). */
  usage(t: TaskInfo): TaskMemUsage {
    const zero: TaskMemUsage = { rss: 0n, totalVm: 0n, pctPhysmem: 0, mm: 0n };
    const tasks = this.tasks;
    if (t.state & tasks.states().zombie) return zero;
    if (t.mm === 0n) return zero;
    const mem = tasks.prog.memory;
    const L = this.layout;
    const mm = t.mm;
    const out: TaskMemUsage = { ...zero, mm };
    const s64 = (a: bigint): bigint => BigInt.asIntN(64, mem.readU64(kv(a)));
    const s32 = (a: bigint): bigint => BigInt(mem.readU32(kv(a)) | 0);
    try {
      if (L.mmCount !== undefined) {
        const count = s32(mm + BigInt(L.mmCount));
        if ((t.flags & 0x4n) !== 0n && count <= 0n) return out; // PF_EXITING with the mm going away
      }
      let rss = 0n;
      if (L.rss !== undefined) rss = mem.readU64(kv(mm + BigInt(L.rss)));
      else {
        const st = L.rssStat;
        // Counters are updated asynchronously and may be negative (get_mm_counter()): only positives count.
        const pos = (v: bigint): bigint => (v > 0n ? v : 0n);
        if (st?.kind === 'atomic') {
          const at = (i: number): bigint => s64(mm + BigInt(st.offset + i * 8));
          rss += pos(at(MM_FILEPAGES)) + pos(at(MM_ANONPAGES));
          if (L.shmem > 0) rss += pos(at(L.shmem));
        } else if (st?.kind === 'percpu') {
          const sum = (i: number): bigint => {
            const fbc = mm + BigInt(st.offset + i * st.size);
            let v = s64(fbc + BigInt(st.count));
            if (st.counters >= 0) {
              const counters = mem.readU64(kv(fbc + BigInt(st.counters)));
              const offsets = tasks.prog.symbolAddress('__per_cpu_offset');
              for (let cpu = 0; cpu < tasks.cpuCount(); cpu++) v += s32(counters + mem.readU64(kv(offsets + BigInt(cpu) * 8n)));
            }
            return pos(v);
          };
          rss += sum(MM_FILEPAGES) + sum(MM_ANONPAGES) + sum(L.shmem > 0 ? L.shmem : 3);
        }
        if (L.taskRssCount !== undefined) rss += this.threadGroupRss(t);
        if (L.anonRss !== undefined) rss += s64(mm + BigInt(L.anonRss));
        if (L.fileRss !== undefined) rss += s64(mm + BigInt(L.fileRss));
        rss = BigInt.asUintN(64, rss);
      }
      out.rss = rss;
      out.totalVm = mem.readU64(kv(mm + BigInt(L.totalVm)));
    } catch {
      return out;
    }
    if (tasks.isKernelThread(t) && out.rss === 0n) return out;
    out.pctPhysmem = this.totalPages > 0n ? (Number(out.rss) * 100) / Number(this.totalPages) : 0;
    return out;
  }

  /** The unsynced per-thread counters of t's thread group (count[0], count[1], count[MM_SHMEMPAGES]). */
  private threadGroupRss(t: TaskInfo): bigint {
    const cached = this.groupRss.get(t.tgid);
    if (cached !== undefined) return cached;
    const L = this.layout;
    const mem = this.tasks.prog.memory;
    let sum = 0n;
    const indexes = L.shmem >= 0 ? [0, 1, L.shmem] : [0, 1];
    for (const th of this.tasks.threadGroup(t.tgid)) {
      for (const i of indexes) {
        try {
          const v = mem.readU32(kv(th.task + BigInt(L.taskRssCount! + i * 4))) | 0;
          if (v > 0) sum += BigInt(v);
        } catch {
          break;
        }
      }
    }
    this.groupRss.set(t.tgid, sum);
    return sum;
  }
}

/** crash's "%.1f" of a double: round half to even on exact ties, which toFixed() rounds up. */
export function formatPercent(x: number): string {
  const q = x * 4;
  if (Number.isInteger(q) && Math.abs(q) % 2 === 1) {
    // x = odd/4: x*10 ends in exactly .5; C rounds the tie to the even tenth.
    const tenths = Math.floor(x * 10);
    const even = tenths % 2 === 0 ? tenths : tenths + 1;
    return (even / 10).toFixed(1);
  }
  return x.toFixed(1);
}
