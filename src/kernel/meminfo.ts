// crash 8.0.6's `kmem -i` (memory.c dump_kmeminfo): the kernel's memory counters, and crash's own tally of
// every struct page (dump_mem_map with GET_ALL) for SHARED. Counters are found by the enum names in the
// kernel's types, never by index:
//   - vm_zone_stat[] / vm_node_stat[] (zone_stat_item / node_stat_item, Linux 4.8, commit 75ef71840539),
//     earlier one vm_stat[] by zone_stat_item; vm_numa_stat[] (numa_stat_item) from Linux 4.14 to 5.13;
//   - total RAM: `_totalram_pages`, an atomic_long_t since Linux 5.0 (commit ca79b0c211af), else
//     `totalram_pages`;
//   - slab pages: NR_SLAB_RECLAIMABLE_B + NR_SLAB_UNRECLAIMABLE_B (renamed in Linux 5.9, commit
//     d42f3245c7e2; the global counters stay in pages), before that without _B, or NR_SLAB;
//   - swap cache: NR_SWAPCACHE (Linux 5.12, commit b6038942480e), before that the swapper address spaces
//     (split into 64 MB trunks in Linux 4.11, commit 4b3ef9daa4fc);
//   - block-device pages: the inodes of blockdev_superblock; all_bdevs until Linux 5.9 (commit 1008fe6dc36d).
import { kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import type { Obj } from '../program/object.ts';
import type { Program } from '../program/program.ts';
import { type Type, sizeOf, strip } from '../types/type.ts';
import type { Vmcoreinfo } from '../vmcoreinfo.ts';
import { MemMap } from './mm-page.ts';
import { enumValues, onlineNodes, pagesToSize } from './system.ts';

export interface KmemInfo {
  pageSize: number;
  totalram: bigint;
  free: bigint;
  shared: bigint;
  buffers: bigint;
  cached: bigint;
  slab: bigint;
  /** Absent when the kernel has no hugetlb accounting crash knows. */
  huge?: { total: bigint; free: bigint };
  /** Absent when the kernel has no swapper address space (crash then prints no swap lines). */
  swap?: { total: bigint; used: bigint };
  /**
   * The overcommit lines: absent without sysctl_overcommit_memory; 'bailout' where crash starts the block
   * (a blank line) but cannot compute the limit.
   */
  commit?: { limit: bigint; committed: bigint } | 'bailout';
  /** crash's INFO lines, printed where they arise (after CACHED's computation). */
  notes: string[];
}

const has = (prog: Program, name: string): boolean => prog.symbols.address(name) !== undefined;
const readS64 = (prog: Program, addr: bigint): bigint => BigInt.asIntN(64, prog.memory.readU64(kv(addr)));

/** The kernel's VM statistics counters by enumerator name (crash's vm_stat_init + dump_vm_stat). */
class VmStat {
  private readonly arrays: { values: Map<string, bigint>; base: bigint }[] = [];

  constructor(private readonly prog: Program) {
    const zone = enumValues(prog, 'zone_stat_item');
    if (!zone) return;
    const split = has(prog, 'vm_zone_stat');
    const add = (items: Map<string, bigint> | undefined, sym: string): void => {
      if (items && has(prog, sym)) this.arrays.push({ values: items, base: prog.symbolAddress(sym) });
    };
    if (split) {
      add(zone, 'vm_zone_stat');
      add(enumValues(prog, 'node_stat_item'), 'vm_node_stat');
      add(enumValues(prog, 'numa_stat_item'), 'vm_numa_stat');
    } else add(zone, 'vm_stat');
  }

  get available(): boolean {
    return this.arrays.length > 0;
  }

  /** The global counter `item`, undefined when this kernel has no such item. */
  get(item: string): bigint | undefined {
    for (const a of this.arrays) {
      const i = a.values.get(item);
      if (i !== undefined && !item.startsWith('NR_VM_')) return readS64(this.prog, a.base + i * 8n);
    }
    return undefined;
  }
}

/** What crash's dump_mem_map(GET_ALL) tallies over every struct page of every present memory section. */
interface PageTally {
  totalram: bigint;
  shared: bigint;
  slabs: bigint;
}

const SECTION_MARKED_PRESENT = 1n;
const SECTION_MAP_MASK = ~0x1fn;

function tallyPages(prog: Program, info: Vmcoreinfo): PageTally {
  const map = MemMap.tryCreate(prog.memory, info);
  if (!map) throw new CrashlensError('kmem: the dump has no SPARSEMEM description in VMCOREINFO: struct pages cannot be found');
  const pageSize = info.pageSize;
  const pagesPerSection = 1n << (info.number('SECTION_SIZE_BITS') - 12n);
  const nrSections = 1n << (info.number('MAX_PHYSMEM_BITS') - info.number('SECTION_SIZE_BITS'));
  const perRoot = BigInt(pageSize / info.size('mem_section'));
  const sizeofPage = map.sizeofPage;
  const reservedBit = pageFlagMask(prog, 'PG_reserved') ?? pgReservedFromText(prog, map);
  const slabBit = pageFlagMask(prog, 'PG_slab') ?? (info.tryNumber('PG_slab') !== undefined ? 1n << info.number('PG_slab') : 0n);
  let total = 0n;
  let reserved = 0n;
  let shared = 0n;
  let slabs = 0n;
  // crash reads PGMM_CACHED (512) struct pages at a time; struct page need not divide a page (56 bytes
  // without memcg), so chunks are whole numbers of structs, not of pages.
  const perChunk = 512;
  const chunkBytes = perChunk * sizeofPage;
  const chunk = new Uint8Array(chunkBytes);
  const view = new DataView(chunk.buffer);
  const roots = map.extreme ? populatedRoots(prog, info.symbol('mem_section'), nrSections / perRoot, pageSize) : undefined;
  for (let nr = 0n; nr < nrSections; nr++) {
    // An empty SPARSEMEM_EXTREME root stands for a whole block of absent sections.
    if (roots && nr % perRoot === 0n && !roots.has(nr / perRoot)) {
      nr += perRoot - 1n;
      continue;
    }
    const raw = map.sectionMemMap(nr);
    if ((raw & SECTION_MARKED_PRESENT) === 0n) continue;
    const first = BigInt.asUintN(64, (raw & SECTION_MAP_MASK) + nr * pagesPerSection * BigInt(sizeofPage));
    for (let i = 0n; i < pagesPerSection; i += BigInt(perChunk)) {
      readZeroFilled(prog, first + i * BigInt(sizeofPage), chunk, pageSize);
      for (let p = 0; p < chunkBytes; p += sizeofPage) {
        total++;
        const flags = view.getBigUint64(p + map.flagsOffset, true);
        if (flags & slabBit) slabs++;
        if (flags & reservedBit) reserved++;
        else if (view.getInt32(p + map.countOffset, true) > 1) shared++;
      }
    }
  }
  return { totalram: total - reserved, shared, slabs };
}

/**
 * The SPARSEMEM_EXTREME roots that are allocated, read a page of pointers at a time: with 5-level paging
 * there are 2^17 of them, nearly all NULL.
 */
function populatedRoots(prog: Program, rootsAt: bigint, count: bigint, pageSize: number): Set<bigint> {
  const out = new Set<bigint>();
  const perPage = BigInt(pageSize / 8);
  const buf = new Uint8Array(pageSize);
  const view = new DataView(buf.buffer);
  for (let first = 0n; first < count; first += perPage) {
    const n = Number(count - first < perPage ? count - first : perPage);
    const part = buf.subarray(0, n * 8);
    readZeroFilled(prog, rootsAt + first * 8n, part, pageSize);
    // A root is always a kernel (upper-half) address; anything else is not one.
    for (let i = 0; i < n; i++) if (view.getBigUint64(i * 8, true) >= 1n << 63n) out.add(first + BigInt(i));
  }
  return out;
}

/** Fills `buf` from `at`; what the dump cannot give reads as zeros, as crash's fill_mem_map_cache() leaves it. */
function readZeroFilled(prog: Program, at: bigint, buf: Uint8Array, pageSize: number): void {
  try {
    buf.set(prog.memory.read(kv(at), buf.length));
    return;
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
  }
  for (let done = 0; done < buf.length; ) {
    const a = at + BigInt(done);
    const n = Math.min(pageSize - Number(a % BigInt(pageSize)), buf.length - done);
    try {
      buf.set(prog.memory.read(kv(a), n), done);
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      buf.fill(0, done, done + n);
    }
    done += n;
  }
}

/** A page flag's mask from enum pageflags. */
function pageFlagMask(prog: Program, name: string): bigint | undefined {
  const bit = enumValues(prog, 'pageflags')?.get(name);
  return bit === undefined ? undefined : 1n << bit;
}

/** crash's PG_reserved_flag_init() fallback: the lowest flag of the kernel text's own (reserved) page. */
function pgReservedFromText(prog: Program, map: MemMap): bigint {
  const text = prog.symbols.address('_stext') ?? prog.symbols.address('_text');
  if (text === undefined) return 1n << 12n;
  try {
    const page = map.pfnToPage(prog.memory.translate(kv(text)) >> 12n);
    if (page === undefined) return 1n << 12n;
    const flags = map.readPage(page).flags;
    return flags & -flags;
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
    return 1n << 12n;
  }
}

const bytesOf = (t: Type): bigint => BigInt(sizeOf(t) ?? 0);

/** A global's address if the kernel has it, or undefined. */
const addr = (prog: Program, name: string): bigint | undefined => prog.symbols.address(name);

/** totalram_pages as crash keeps it (vt->totalram_pages): `_totalram_pages` is an atomic_long_t. */
function totalramPages(prog: Program): bigint | undefined {
  const a = addr(prog, '_totalram_pages') ?? addr(prog, 'totalram_pages');
  return a === undefined ? undefined : prog.memory.readU64(kv(a));
}

/** FREE: every zone's NR_FREE_PAGES counter (zone.vm_stat[]), or zone.free_pages before Linux 2.6.21. */
function freePages(prog: Program): bigint {
  const pgdat = prog.type('struct pglist_data');
  const nrFree = enumValues(prog, 'zone_stat_item')?.get('NR_FREE_PAGES') ?? 0n;
  let sum = 0n;
  for (const { pgdat: at } of onlineNodes(prog)) {
    const zones = prog.object(pgdat, at).member('node_zones');
    const zt = strip(zones.type);
    const n = zt.kind === 'array' ? zt.length : 0;
    for (let i = 0; i < n; i++) {
      const z = zones.index(i);
      const v = prog.hasMember('struct zone', 'free_pages') ? z.member('free_pages') : z.member('vm_stat').index(nrFree);
      sum += prog.memory.readU64(kv(v.address!));
    }
  }
  return sum;
}

/** crash's nr_blockdev_pages(): the page-cache pages of every block device inode. */
function blockdevPages(prog: Program): bigint {
  const inodeType = prog.type('struct inode');
  const nrpages = (inode: Obj): bigint => inode.member('i_mapping').deref().member('nrpages').toBigInt();
  let total = 0n;
  if (has(prog, 'all_bdevs')) {
    // Before Linux 5.9 block devices were on all_bdevs, each with its inode beside it (struct bdev_inode).
    const bdev = prog.type('struct block_device');
    for (const b of prog.listEntries(prog.symbolAddress('all_bdevs'), bdev, 'bd_list')) total += nrpages(b.member('bd_inode').deref());
    return total;
  }
  const sb = prog.memory.readU64(kv(prog.symbolAddress('blockdev_superblock')));
  const head = prog.object('struct super_block', sb).member('s_inodes').address!;
  for (const inode of prog.listEntries(head, inodeType, 'i_sb_list')) total += nrpages(inode);
  return total;
}

/** Pages in the swap cache before NR_SWAPCACHE: the swapper address spaces' nrpages. */
function swapperSpacePages(prog: Program): bigint {
  const space = prog.tryType('struct address_space');
  if (!space) return 0n;
  const arrayLength = (name: string): number => {
    const t = prog.types.variableType?.(name);
    const s = t && strip(t);
    return s?.kind === 'array' ? s.length : 0;
  };
  let total = 0n;
  const size = bytesOf(space);
  const nrOf = (a: bigint): bigint => prog.object(space, a).member('nrpages').toBigInt();
  if (has(prog, 'nr_swapper_spaces') && arrayLength('nr_swapper_spaces')) {
    // Linux 4.11+: swapper_spaces[type] points to nr_swapper_spaces[type] address spaces.
    for (let i = 0; i < arrayLength('nr_swapper_spaces'); i++) {
      const banks = prog.memory.readU32(kv(prog.symbolAddress('nr_swapper_spaces') + BigInt(i) * 4n));
      if (!banks) continue;
      const sa = prog.memory.readU64(kv(prog.symbolAddress('swapper_spaces') + BigInt(i) * 8n));
      if (!sa) continue;
      for (let j = 0; j < banks; j++) total += nrOf(sa + BigInt(j) * size);
    }
  } else if (has(prog, 'swapper_spaces') && arrayLength('swapper_spaces')) {
    for (let i = 0; i < arrayLength('swapper_spaces'); i++) total += nrOf(prog.symbolAddress('swapper_spaces') + BigInt(i) * size);
  } else if (has(prog, 'swapper_space')) total = nrOf(prog.symbolAddress('swapper_space'));
  return total;
}

/** crash's get_hugetlb_total_pages(): pages in huge pages, all and free; undefined if hstate is not known. */
function hugePages(prog: Program): { total: bigint; free: bigint } | undefined {
  let total = 0n;
  let free = 0n;
  if (has(prog, 'hstates')) {
    const hstate = prog.tryType('struct hstate');
    if (!hstate) return undefined;
    // hstates[HUGE_MAX_HSTATE]: the DWARF type gives the length; unused slots have order 0 either way, and
    // hugetlb_max_hstate counts the used ones when there is no DWARF.
    const t = prog.types.variableType?.('hstates');
    const s = t && strip(t);
    let len = s?.kind === 'array' ? s.length : 0;
    if (!len && has(prog, 'hugetlb_max_hstate')) len = prog.memory.readU32(kv(prog.symbolAddress('hugetlb_max_hstate')));
    const base = prog.symbolAddress('hstates');
    const size = bytesOf(hstate);
    for (let i = 0; i < len; i++) {
      const h = prog.object(hstate, base + BigInt(i) * size);
      const order = h.member('order').toBigInt();
      if (!order) continue;
      total += h.member('nr_huge_pages').toBigInt() << order;
      free += h.member('free_huge_pages').toBigInt() << order;
    }
  } else if (has(prog, 'nr_huge_pages')) {
    const per = BigInt((1 << 21) / 4096);
    total = prog.memory.readU64(kv(prog.symbolAddress('nr_huge_pages'))) * per;
    free = prog.memory.readU64(kv(prog.symbolAddress('free_huge_pages'))) * per;
  }
  return { total, free };
}

const SWP_USED = 1n;

/** crash's dump_swap_info() totals: pages of every swap area in use, and those holding swapped data. */
function swapPages(prog: Program): { total: bigint; used: bigint } {
  const n = prog.memory.readU32(kv(prog.symbolAddress('nr_swapfiles')));
  const si = prog.type('struct swap_info_struct');
  const siSize = bytesOf(si);
  // swap_info[] held the structs themselves until Linux 2.6.33, pointers since (crash's SWAPINFO_V1/V2).
  const t = prog.types.variableType?.('swap_info');
  const s = t && strip(t);
  const inline = s?.kind === 'array' && strip(s.element).kind === 'struct';
  const base = prog.symbolAddress('swap_info');
  let total = 0n;
  let used = 0n;
  for (let i = 0; i < n; i++) {
    let at: bigint;
    if (inline) at = base + BigInt(i) * siSize;
    else {
      try {
        at = prog.memory.readU64(kv(base + BigInt(i) * 8n));
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
        continue;
      }
      if (!at) continue;
    }
    const sw = prog.object(si, at);
    if ((sw.member('flags').toBigInt() & SWP_USED) === 0n) continue;
    total += BigInt(Number(BigInt.asIntN(32, sw.member('pages').toBigInt())));
    if (prog.hasMember('struct swap_info_struct', 'inuse_pages')) used += sw.member('inuse_pages').toBigInt();
  }
  return { total, used };
}

/** Everything `kmem -i` shows. `info` is the dump's VMCOREINFO, which locates the struct pages. */
export function kmemInfo(prog: Program, info: Vmcoreinfo): KmemInfo {
  const pageSize = info.pageSize;
  const tally = tallyPages(prog, info);
  const vm = new VmStat(prog);
  let slab = tally.slabs;
  if (vm.available) {
    const a = vm.get('NR_SLAB');
    const r = vm.get('NR_SLAB_RECLAIMABLE');
    const rb = vm.get('NR_SLAB_RECLAIMABLE_B');
    if (a !== undefined) slab = a;
    else if (r !== undefined) slab = r + (vm.get('NR_SLAB_UNRECLAIMABLE') ?? 0n);
    else if (rb !== undefined) slab = rb + (vm.get('NR_SLAB_UNRECLAIMABLE_B') ?? 0n);
  }
  const totalram = totalramPages(prog) || tally.totalram;
  const free = freePages(prog);

  let buffers = 0n;
  let subtract = 0n;
  if (has(prog, 'buffermem_pages')) buffers = BigInt(prog.memory.readU32(kv(prog.symbolAddress('buffermem_pages'))));
  else if (has(prog, 'buffermem')) buffers = BigInt(prog.memory.readU32(kv(prog.symbolAddress('buffermem')))) / BigInt(pageSize);
  else if (has(prog, 'nr_blockdev_pages')) subtract = buffers = blockdevPages(prog);

  const notes: string[] = [];
  let cached = 0n;
  const filePages = vm.get('NR_FILE_PAGES');
  if (has(prog, 'page_cache_size')) cached = readS64(prog, prog.symbolAddress('page_cache_size')) - subtract;
  else if (has(prog, 'nr_pagecache')) cached = BigInt(prog.memory.readU32(kv(prog.symbolAddress('nr_pagecache'))) | 0) - subtract;
  else if (filePages !== undefined) cached = filePages - (vm.get('NR_SWAPCACHE') ?? swapperSpacePages(prog)) - buffers;
  if (cached < 0n) {
    notes.push(`kmem: page_cache_size went negative (${cached}), setting to 0`);
    cached = 0n;
  }

  const out: KmemInfo = { pageSize, totalram, free, shared: tally.shared, buffers, cached, slab, notes };
  const huge = hugePages(prog);
  out.huge = huge;
  if (has(prog, 'swapper_space') || has(prog, 'swapper_spaces')) out.swap = swapPages(prog);

  if (has(prog, 'sysctl_overcommit_memory')) {
    const kbytes = has(prog, 'sysctl_overcommit_kbytes') ? prog.memory.readU64(kv(prog.symbolAddress('sysctl_overcommit_kbytes'))) : 0n;
    let limit: bigint | undefined;
    if (kbytes) limit = kbytes >> BigInt(Math.log2(pageSize) - 10);
    else if (huge) {
      const ratio = BigInt(prog.memory.readU32(kv(prog.symbolAddress('sysctl_overcommit_ratio'))) | 0);
      limit = ((totalram - huge.total) * ratio) / 100n;
    }
    let committed: bigint;
    if (has(prog, 'vm_committed_as')) {
      committed = prog.object('struct percpu_counter', prog.symbolAddress('vm_committed_as')).member('count').toBigInt();
      if (committed < 0n) committed = 0n;
    } else committed = BigInt(prog.memory.readU32(kv(prog.symbolAddress('vm_committed_space'))) | 0);
    // Without the hugetlb totals crash stops before the commit lines (its "bailout").
    out.commit = limit === undefined ? 'bailout' : { limit: limit + (out.swap?.total ?? 0n), committed };
  }
  return out;
}

const HEADER = '                 PAGES        TOTAL      PERCENTAGE\n';

/** The text of `kmem -i`, line for line as crash prints it. */
export function formatKmemInfo(k: KmemInfo): string {
  const size = (p: bigint): string => pagesToSize(p, k.pageSize);
  const row = (label: string, pages: bigint, tail: string): string =>
    `${label.padStart(13)}  ${pages.toString().padStart(7)}  ${size(pages).padStart(11)}  ${tail}\n`;
  const pct = (part: bigint, whole: bigint): string => `${(whole ? (BigInt.asUintN(64, part) * 100n) / whole : 0n).toString().padStart(3)}%`;
  const ofTotal = (label: string, pages: bigint): string => row(label, pages, `${pct(pages, k.totalram)} of TOTAL MEM`);
  let s = HEADER;
  s += row('TOTAL MEM', k.totalram, '       ----');
  s += ofTotal('FREE', k.free);
  s += ofTotal('USED', k.totalram - k.free);
  s += ofTotal('SHARED', k.shared);
  s += ofTotal('BUFFERS', k.buffers);
  for (const n of k.notes) s += `${n}\n`;
  s += ofTotal('CACHED', k.cached);
  s += ofTotal('SLAB', k.slab);
  if (k.huge) {
    s += `\n${row('TOTAL HUGE', k.huge.total, '       ----')}`;
    s += row('HUGE FREE', k.huge.free, `${pct(k.huge.free, k.huge.total)} of TOTAL HUGE`);
  }
  s += '\n';
  if (k.swap) {
    const { total, used } = k.swap;
    s += row('TOTAL SWAP', total, '       ----');
    s += row('SWAP USED', used, `${pct(used, total)} of TOTAL SWAP`);
    s += row('SWAP FREE', total - used, `${pct(total - used, total)} of TOTAL SWAP`);
  }
  if (k.commit === 'bailout') s += '\n';
  else if (k.commit) {
    const { limit, committed } = k.commit;
    s += `\n${row('COMMIT LIMIT', limit, '       ----')}`;
    s += limit ? row('COMMITTED', committed, `${pct(committed, limit)} of TOTAL LIMIT`) : row('COMMITTED', committed, '       ----');
  }
  return s;
}
