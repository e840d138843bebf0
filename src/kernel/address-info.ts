// What an address is, for crash's `kmem ADDRESS` (memory.c kmem_search()): the pieces it looks at besides
// the slab (slab.ts) and the symbol table: the vmalloc area holding it (dump_vmlist() over vmap_area_list),
// the free page block holding it (dump_free_pages_zones_v2() over each zone's buddy free lists), and the
// task whose task_struct or kernel stack holds it, shown as crash's show_context() shows a task.
//
// Kernel differences by feature: free lists per migrate type (free_area.free_list[], Linux commit
// b2a0ac8875a0, v2.6.24) or one; a zone's free page count in zone.vm_stat[NR_FREE_PAGES] (commit
// d23ad42324cc, v2.6.21) or zone.free_pages; vmap areas with a vm_struct (va->vm) are the ones crash lists.
import { hex, kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import { findMember, sizeOf, strip } from '../types/type.ts';
import { enumValues } from './system.ts';
import type { TaskInfo, Tasks } from './tasks.ts';

export interface VmapArea {
  /** The struct vmap_area. */
  area: bigint;
  /** Its struct vm_struct. */
  vm: bigint;
  start: bigint;
  end: bigint;
}

/** The vmalloc areas crash lists (those with a vm_struct), in vmap_area_list order. */
export function vmapAreas(prog: Program): VmapArea[] {
  const va = prog.tryType('struct vmap_area');
  const head = prog.symbols.address('vmap_area_list');
  if (!va || head === undefined) return [];
  const out: VmapArea[] = [];
  try {
    for (const o of prog.listEntries(head, va, 'list')) {
      const vm = o.member('vm').toBigInt();
      if (vm === 0n) continue;
      out.push({ area: o.address!, vm, start: o.member('va_start').toBigInt(), end: o.member('va_end').toBigInt() });
    }
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
  }
  return out;
}

/** dump_vmlist()'s header and one area's line. */
export const VMLIST_HEADER = '   VMAP_AREA         VM_STRUCT                 ADDRESS RANGE                SIZE\n';
export function vmlistLine(a: VmapArea): string {
  return `${hex(a.area).padEnd(16)}  ${hex(a.vm).padEnd(16)}  ${hex(a.start).padStart(16)} - ${hex(a.end).padEnd(16)}  ${String(a.end - a.start).padStart(7)}\n`;
}

/** A free block of pages on a buddy free list, found for a physical address. */
export interface FreeBlock {
  /** "  1   DMA32      28672   13130  fffff9cf80040000   1000000       4096     " */
  zoneLine: string;
  /** "  4      64k  ffff88cb47e93740  " */
  areaLine: string;
  /** The struct page heading the block. */
  page: bigint;
  order: number;
  /** Pages from the block's start to the address. */
  offset: bigint;
}

/** The zones of each node and their buddy free lists, as crash walks them to place a page. */
export class FreePages {
  private readonly zoneSize: number;
  private readonly nrZones: number;
  private readonly off: { name: number; spanned: number; startPfn: number; freeArea: number; freePages: number; freeAreaSize: number; lists: number; listHead: number };
  private readonly nrFreeAreas: number;
  private readonly pageLru: number;

  constructor(
    private readonly prog: Program,
    private readonly page: { pfnToPage(pfn: bigint): bigint | undefined; pageToPfn(page: bigint): bigint | undefined },
  ) {
    const zone = prog.type('struct zone');
    this.zoneSize = sizeOf(zone) ?? 0;
    const pgdat = prog.type('struct pglist_data');
    const nodeZones = findMember(pgdat, 'node_zones');
    const nz = nodeZones && strip(nodeZones.member.type);
    this.nrZones = nz && nz.kind === 'array' ? nz.length : 0;
    const m = (name: string): number => {
      const hit = findMember(zone, name);
      if (!hit) throw new CrashlensError(`struct zone has no member ${name}`);
      return hit.bitOffset / 8;
    };
    const fa = findMember(zone, 'free_area');
    const faT = fa && strip(fa.member.type);
    this.nrFreeAreas = faT && faT.kind === 'array' ? faT.length : 0;
    const freeArea = prog.type('struct free_area');
    const fl = findMember(freeArea, 'free_list');
    const flT = fl && strip(fl.member.type);
    // zone.free_pages, else vm_stat[NR_FREE_PAGES] (an atomic_long_t each).
    let freePages: number;
    if (findMember(zone, 'free_pages')) freePages = m('free_pages');
    else {
      const nr = enumValues(prog, 'zone_stat_item')?.get('NR_FREE_PAGES') ?? 0n;
      freePages = m('vm_stat') + Number(nr) * 8;
    }
    this.off = {
      name: m('name'),
      spanned: m('spanned_pages'),
      startPfn: m('zone_start_pfn'),
      freeArea: m('free_area'),
      freePages,
      freeAreaSize: sizeOf(freeArea) ?? 0,
      lists: flT && flT.kind === 'array' ? flT.length : 1,
      listHead: (fl?.bitOffset ?? 0) / 8,
    };
    this.pageLru = (findMember(prog.type('struct page'), 'lru')?.bitOffset ?? 0) / 8;
  }

  private u64(a: bigint): bigint {
    return this.prog.memory.readU64(kv(a));
  }

  /**
   * dump_free_pages_zones_v2(ADDRESS_SPECIFIED): the free block holding physical address `phys`, searched
   * as crash 8.0.6 searches: the walk stops at the first block whose struct pages, counted one past its end,
   * take in the page's (free_page_callback()), and only then is the address checked to be inside that
   * block; so the first page after one free block, when that block is walked first, is not reported.
   */
  find(nodes: { pgdat: bigint; startPfn: bigint; pages: bigint }[], phys: bigint, pageSize: bigint, sizeofPage: bigint): FreeBlock | undefined {
    const searchPage = this.page.pfnToPage(phys / pageSize);
    if (searchPage === undefined) return undefined;
    const pgdat = this.prog.type('struct pglist_data');
    const nodeZonesOff = BigInt((findMember(pgdat, 'node_zones')?.bitOffset ?? 0) / 8);
    for (const n of nodes) {
      for (let i = 0; i < this.nrZones; i++) {
        const z = n.pgdat + nodeZonesOff + BigInt(i * this.zoneSize);
        const free = this.u64(z + BigInt(this.off.freePages));
        const nodeEnd = (n.startPfn + n.pages) * pageSize;
        if (!free || phys < n.startPfn * pageSize || phys >= nodeEnd) continue;
        const hit = this.searchZone(z, searchPage, sizeofPage);
        if (!hit) continue;
        const pfn = this.page.pageToPfn(hit.page);
        if (pfn === undefined) return undefined;
        const start = pfn * pageSize;
        const chunk = 1n << BigInt(hit.order);
        if (phys < start || phys >= start + chunk * pageSize) return undefined;
        return { ...hit, offset: (phys - start) / pageSize, zoneLine: this.zoneLine(z, i, free, pageSize, n.startPfn) };
      }
    }
    return undefined;
  }

  private zoneLine(z: bigint, i: number, free: bigint, pageSize: bigint, nodeStartPfn: bigint): string {
    let name = '(unknown)';
    try {
      name = this.prog.memory.readCString(kv(this.u64(z + BigInt(this.off.name))), 64).padEnd(9);
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
    }
    const size = this.u64(z + BigInt(this.off.spanned));
    const startPfn = this.u64(z + BigInt(this.off.startPfn));
    const memMap = size ? (this.page.pfnToPage(startPfn) ?? 0n) : 0n;
    // START_MAPNR counts pages from the node's first (its mem_map).
    const mapnr = memMap ? startPfn - nodeStartPfn : 0n;
    const center = (s: string, w: number, rightHeavy: boolean): string => {
      const extra = w - s.length;
      if (extra <= 0) return s;
      const left = Math.floor(extra / 2) + (rightHeavy && extra % 2 ? 1 : 0);
      return ' '.repeat(left) + s + ' '.repeat(extra - left);
    };
    return (
      `${String(i).padStart(3)}   ${name} ${String(size).padStart(6)}  ${String(free).padStart(6)}  ` +
      `${center(hex(memMap), 16, false)}  ${center(hex(startPfn * pageSize), 11, true)}  ${center(String(mapnr), 11, true)}`
    );
  }

  /** Each order's lists in turn, as dump_zone_free_area() walks them, until free_page_callback() matches. */
  private searchZone(z: bigint, searchPage: bigint, sizeofPage: bigint): Omit<FreeBlock, 'zoneLine' | 'offset'> | undefined {
    for (let order = 0; order < this.nrFreeAreas; order++) {
      const area = z + BigInt(this.off.freeArea + order * this.off.freeAreaSize);
      const chunk = 1n << BigInt(order);
      for (let j = 0; j < this.off.lists; j++) {
        const head = area + BigInt(this.off.listHead + j * 16);
        const areaLine = `${String(order).padStart(3)}  ${`${(chunk * 4096n) / 1024n}k`.padStart(7)}  ${hex(head).padStart(16)}  `;
        let next = this.u64(head);
        const seen = new Set<bigint>();
        while (next !== head && next !== 0n && seen.size < 1 << 22) {
          if (seen.has(next)) break;
          seen.add(next);
          const page = next - BigInt(this.pageLru);
          if (searchPage >= page && searchPage <= page + chunk * sizeofPage) return { areaLine, page, order };
          next = this.u64(next);
        }
      }
    }
    return undefined;
  }
}

/** crash's ordinal(): 1st, 2nd, 3rd, 4th, 11th, 21st... */
export function ordinal(n: bigint): string {
  const t = n % 100n;
  const u = n % 10n;
  const suffix = t >= 11n && t <= 13n ? 'th' : u === 1n ? 'st' : u === 2n ? 'nd' : u === 3n ? 'rd' : 'th';
  return `${n}${suffix}`;
}

/** vaddr_in_task_struct(): the task whose task_struct holds `vaddr`. */
export function taskOfStruct(all: TaskInfo[], sizeofTask: number, vaddr: bigint): TaskInfo | undefined {
  return all.find((t) => vaddr >= t.task && vaddr < t.task + BigInt(sizeofTask));
}

/** stkptr_to_task(): the task whose kernel stack holds `sp`. */
export function taskOfStack(tasks: Tasks, all: TaskInfo[], sp: bigint): TaskInfo | undefined {
  if (!sp) return undefined;
  const size = BigInt(tasks.stackSize());
  return all.find((t) => {
    const base = tasks.stackBase(t);
    return sp >= base && sp < base + size;
  });
}

/**
 * show_context(): the task as crash shows it outside `set`: pid, command, task (with "(1 of N)" when the pid
 * is shared, as the idle tasks' 0 is), CPU and state, with "(PANIC)", "(SYSRQ)" or "(ACTIVE)" for a task
 * that was running on a CPU.
 */
export function showContext(tasks: Tasks, all: TaskInfo[], t: TaskInfo, sysrq: boolean): string {
  const cnt = all.filter((x) => x.pid === t.pid).length;
  let out = `    PID: ${t.pid}\nCOMMAND: "${t.comm}"\n   TASK: ${hex(t.task)}  ${cnt > 1 ? `(1 of ${cnt})  ` : ''}[THREAD_INFO: ${hex(t.task)}]\n`;
  out += `    CPU: ${t.cpu}\n  STATE: ${tasks.stateStringVerbose(t)} `;
  if (tasks.isActive(t)) {
    const panic = tasks.panicTask();
    if (sysrq && t.task === panic) out += '(SYSRQ)';
    else if (t.task === panic) out += '(PANIC)';
    else out += '(ACTIVE)';
  }
  return `${out}\n`;
}
