// The slab allocator as crash's `kmem -s` sees it: the kmem_cache list (`slab_caches`), and for each cache
// its object size, objects allocated and in total, slab count and slab size, counted exactly as crash 8.0.6
// counts them (memory.c dump_kmem_cache_slub() / get_kmem_cache_slub_data() for SLUB,
// dump_kmem_cache_percpu_v2() / do_slab_chain_slab_overload_page() for SLAB), including where crash's counts
// differ from /proc/slabinfo's. Kernel differences are found by feature:
//   - SLUB: struct kmem_cache has cpu_slab; SLAB: it has not, and has freelist_size (struct page overloaded
//     by slab management, Linux commit 8456a648cf44, v3.13).
//   - The slab itself: struct slab overlaying struct page (commit d122019bf061 "mm: Split slab into its own
//     type", v5.17), else struct page; its list link is slab_list (commit 916ac0527837, v5.2), else lru.
//   - kmem_cache_cpu.slab (v5.17), else .page; SLUB per-CPU partial slabs (kmem_cache_cpu.partial,
//     commit 49e2258586b4, v3.2) are counted when present.
//   - SLUB's per-node counts need CONFIG_SLUB_DEBUG (kmem_cache_node.nr_slabs / total_objects).
//   - Freelist pointers are decoded with kmem_cache.random under CONFIG_SLAB_FREELIST_HARDENED (commit
//     2482ddec670f, v4.14), swab'd pointer address included (commit 1ad53d9fa3f6, v5.7) as crash tries first.
import { hex, kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import { type Type, findMember, sizeOf } from '../types/type.ts';

/** What the slab code needs of the session beyond types: crash's view of memory, CPUs and nodes. */
export interface SlabEnv {
  prog: Program;
  /** crash's readmem(): bytes at a kernel virtual address; throws a CrashlensError when they cannot be read. */
  read(addr: bigint, size: number): Uint8Array;
  /** crash's kt->cpus. */
  cpus: number;
  /** __per_cpu_offset[cpu]. */
  perCpuOffset(cpu: number): bigint;
  /** Online memory nodes, in order (crash's node_table): id and the physical page range each spans. */
  nodes: { id: number; startPfn: bigint; pages: bigint }[];
  /** crash's is_page_ptr(): a struct page address inside a present mem_map section. */
  isPagePtr(addr: bigint): boolean;
  /** The page frame a struct page describes; undefined when `page` is not one. */
  pageToPfn(page: bigint): bigint | undefined;
  /** crash's IS_KVADDR(). */
  isKvaddr(addr: bigint): boolean;
  /** PTOV(): the direct-map address of a physical address. */
  ptov(phys: bigint): bigint;
  /** PAGE_SIZE. */
  pageSize: number;
  /** The page-flags bit that marks a slab page (PG_slab), when known. */
  pgSlab?: bigint;
}

/** One line of `kmem -s`. `counts` is undefined when crash would print "?" columns. */
export interface CacheSummary {
  cache: bigint;
  name: string;
  /** OBJSIZE: kmem_cache.object_size on SLUB, kmem_cache.size on SLAB. */
  objsize: number;
  counts?: { allocated: bigint; total: bigint; slabs: bigint };
  /** SSIZE in bytes. */
  slabSize: number;
}

/** A cache line or a message crash prints between them ("kmem: ..." INFO lines), in crash's order. */
export type SlabReport =
  | { kind: 'cache'; summary: CacheSummary }
  | { kind: 'message'; text: string }
  /** A cache named by `kmem -I`: crash prints it tagged [IGNORED] without counting it. */
  | { kind: 'ignored'; cache: bigint; name: string };

/** Which caches a report covers: one by name (crash stops after it), minus those `kmem -I` names. */
export interface SlabFilter {
  name?: string;
  ignore?: string[];
}

export type Allocator = 'slub' | 'slab';

const BADADDR = (1n << 64n) - 1n;
const PAGE_MAPPING_ANON = 1n;

/** Reads little-endian integers out of a buffer. */
function le(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

function bswap64(v: bigint): bigint {
  let out = 0n;
  for (let i = 0; i < 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

interface Field {
  offset: number;
  size: number;
}

interface BitField {
  /** Byte offset of the 32-bit word holding the field. */
  word: number;
  shift: number;
  bits: number;
}

function field(t: Type, name: string): Field | undefined {
  const hit = findMember(t, name);
  if (!hit) return undefined;
  return { offset: hit.bitOffset / 8, size: sizeOf(hit.member.type) ?? 8 };
}

function bitField(t: Type, name: string): BitField | undefined {
  const hit = findMember(t, name);
  if (!hit) return undefined;
  if (!hit.member.bitSize) return { word: hit.bitOffset / 8, shift: 0, bits: (sizeOf(hit.member.type) ?? 4) * 8 };
  const word = Math.floor(hit.bitOffset / 32) * 4;
  return { word, shift: hit.bitOffset - word * 8, bits: hit.member.bitSize };
}

export class SlabCaches {
  readonly allocator: Allocator;
  private readonly prog: Program;
  private readonly cache: Type;
  private readonly off: {
    name: number;
    list: number;
    size: Field;
    objsize: Field;
    offset?: Field;
    oo?: Field;
    objects?: Field;
    order?: Field;
    random?: Field;
    cpuSlab?: Field;
    node?: Field;
    nodeIsPtr: boolean;
    // SLAB
    num?: Field;
    gfporder?: Field;
    cpuCache?: Field;
  };
  private readonly slub?: {
    cpuFreelist?: number;
    cpuSlab: number;
    cpuPartial?: number;
    nodeNrPartial: number;
    nodeNrSlabs: number;
    nodeTotalObjects?: number;
    nodePartial: number;
    inuse: BitField;
    objects?: BitField;
    next?: number;
    listOffset: number;
    /** slab.freelist (page.freelist before v5.17). */
    freelist?: number;
    /** slab.slab_cache (page.slab_cache). */
    slabCache?: number;
    /** struct page.flags and .compound_head (bit 0 marks a tail page, Linux commit 1d798ca3f164, v4.6). */
    pageFlags: number;
    compoundHead?: number;
  };
  private readonly slab?: {
    listOffset: number;
    active: number;
    sMem: number;
    partial: number;
    full: number;
    free: number;
    shared?: number;
    acAvail: number;
    acLimit: number;
    acEntries: number;
    lenNodes: number;
  };
  private slabInit?: { maxLimit: number; maxCpus: number; bad: Set<bigint>; messages: string[] };
  /** struct kmem_cache_node (SLUB's per-node lists). */
  nodeType!: Type;

  constructor(private readonly env: SlabEnv) {
    const prog = env.prog;
    this.prog = prog;
    const cache = prog.tryType('struct kmem_cache');
    if (!cache) throw new CrashlensError('kmem cache slab subsystem not available: the kernel types have no struct kmem_cache');
    this.cache = cache;
    const need = (t: Type, m: string, what: string): Field => {
      const f = field(t, m);
      if (!f) throw new CrashlensError(`kmem cache slab subsystem not available: ${what} has no member ${m}`);
      return f;
    };
    const isSlub = findMember(cache, 'cpu_slab') !== undefined && prog.tryType('struct kmem_cache_node') !== undefined;
    this.allocator = isSlub ? 'slub' : 'slab';
    // The first member crash finds among the spellings kernels used.
    const first = (t: Type, ...names: string[]): Field | undefined => {
      for (const n of names) {
        const f = field(t, n);
        if (f) return f;
      }
      return undefined;
    };
    const nodeHit = findMember(cache, 'node');
    const nodeIsPtr = nodeHit !== undefined && nodeHit.member.type.kind === 'pointer';
    if (isSlub) {
      this.off = {
        name: need(cache, 'name', 'struct kmem_cache').offset,
        list: need(cache, 'list', 'struct kmem_cache').offset,
        size: need(cache, 'size', 'struct kmem_cache'),
        objsize: first(cache, 'objsize', 'object_size') ?? need(cache, 'object_size', 'struct kmem_cache'),
        offset: field(cache, 'offset'),
        oo: field(cache, 'oo'),
        objects: field(cache, 'objects'),
        order: field(cache, 'order'),
        random: field(cache, 'random'),
        cpuSlab: field(cache, 'cpu_slab'),
        node: field(cache, 'node'),
        nodeIsPtr,
      };
      const cpu = prog.type('struct kmem_cache_cpu');
      const node = prog.type('struct kmem_cache_node');
      this.nodeType = node;
      // struct slab (v5.17) carries the slab fields that struct page carried before.
      const slabT = prog.tryType('struct slab');
      const slabType = slabT && findMember(slabT, 'slab_cache') ? slabT : prog.type('struct page');
      const inuse = bitField(slabType, 'inuse');
      if (!inuse) throw new CrashlensError('kmem cache slab subsystem not available: no slab inuse member');
      const nrSlabs = field(node, 'nr_slabs');
      this.slub = {
        cpuFreelist: field(cpu, 'freelist')?.offset,
        cpuSlab: (first(cpu, 'page', 'slab') ?? need(cpu, 'slab', 'struct kmem_cache_cpu')).offset,
        cpuPartial: field(cpu, 'partial')?.offset,
        nodeNrPartial: need(node, 'nr_partial', 'struct kmem_cache_node').offset,
        nodeNrSlabs: nrSlabs?.offset ?? -1,
        nodeTotalObjects: field(node, 'total_objects')?.offset,
        nodePartial: need(node, 'partial', 'struct kmem_cache_node').offset,
        inuse,
        // crash reads the per-slab object count only where kmem_cache.objects gave way to .oo (v2.6.27).
        objects: field(cache, 'objects') ? undefined : bitField(slabType, 'objects'),
        next: field(slabType, 'next')?.offset,
        listOffset: (first(slabType, 'slab_list') ?? need(prog.type('struct page'), 'lru', 'struct page')).offset,
        freelist: field(slabType, 'freelist')?.offset,
        slabCache: field(slabType, 'slab_cache')?.offset,
        pageFlags: need(prog.type('struct page'), 'flags', 'struct page').offset,
        compoundHead: field(prog.type('struct page'), 'compound_head')?.offset,
      };
    } else {
      if (!findMember(cache, 'freelist_size')) {
        throw new CrashlensError('kmem -s: this SLAB kernel predates struct page slab management (Linux v3.13), which Crashlens does not read');
      }
      const slabT = prog.tryType('struct slab');
      const slabType = slabT && findMember(slabT, 's_mem') ? slabT : prog.type('struct page');
      const nodeT = prog.tryType('struct kmem_cache_node') ?? prog.type('struct kmem_list3');
      const ac = prog.type('struct array_cache');
      this.off = {
        name: need(cache, 'name', 'struct kmem_cache').offset,
        list: need(cache, 'list', 'struct kmem_cache').offset,
        size: need(cache, 'size', 'struct kmem_cache'),
        objsize: first(cache, 'objsize', 'buffer_size', 'size') ?? need(cache, 'size', 'struct kmem_cache'),
        num: need(cache, 'num', 'struct kmem_cache'),
        gfporder: need(cache, 'gfporder', 'struct kmem_cache'),
        cpuCache: field(cache, 'cpu_cache'),
        node: first(cache, 'node', 'nodelists'),
        nodeIsPtr,
      };
      // nr_node_ids sizes a pointer or per-CPU-cache era node array; without it crash assumes one node.
      let lenNodes = 1;
      const nrNodeIds = prog.symbols.address('nr_node_ids');
      if (nrNodeIds !== undefined && (nodeIsPtr || this.off.cpuCache)) {
        try {
          lenNodes = Number(le(env.read(nrNodeIds, 4), 0, 4));
        } catch (e) {
          if (!(e instanceof CrashlensError)) throw e;
        }
      } else if (!nodeIsPtr && nodeHit) {
        const t = nodeHit.member.type;
        lenNodes = t.kind === 'array' ? t.length : 1;
      }
      this.slab = {
        listOffset: (first(slabType, 'slab_list') ?? need(prog.type('struct page'), 'lru', 'struct page')).offset,
        active: need(slabType, 'active', 'struct slab').offset,
        sMem: need(slabType, 's_mem', 'struct slab').offset,
        partial: need(nodeT, 'slabs_partial', 'struct kmem_cache_node').offset,
        full: need(nodeT, 'slabs_full', 'struct kmem_cache_node').offset,
        free: need(nodeT, 'slabs_free', 'struct kmem_cache_node').offset,
        shared: field(nodeT, 'shared')?.offset,
        acAvail: need(ac, 'avail', 'struct array_cache').offset,
        acLimit: need(ac, 'limit', 'struct array_cache').offset,
        acEntries: sizeOf(ac) ?? 16,
        lenNodes: Math.max(1, lenNodes),
      };
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Reading, as crash's readmem() does: RETURN_ON_ERROR reads give undefined.

  private u(addr: bigint, size: number): bigint {
    return le(this.env.read(addr, size), 0, size);
  }

  private tryU(addr: bigint, size: number): bigint | undefined {
    try {
      return this.u(addr, size);
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  }

  private accessible(addr: bigint): boolean {
    return this.tryU(addr, 1) !== undefined;
  }

  private readString(addr: bigint): string | undefined {
    try {
      return this.prog.memory.readCString(kv(addr), 1500);
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // The cache list.

  /** The kmem_cache addresses on slab_caches, in list order (crash's get_kmem_cache_list()). */
  cacheList(): bigint[] {
    const head = this.prog.symbolAddress('slab_caches');
    const out: bigint[] = [];
    const seen = new Set<bigint>();
    let next = this.u(head, 8);
    while (next !== head && next !== 0n && out.length < 1 << 16) {
      if (seen.has(next)) throw new CrashlensError(`duplicate list entry: ${hex(next)}`);
      seen.add(next);
      out.push(BigInt.asUintN(64, next - BigInt(this.off.list)));
      next = this.u(next, 8);
    }
    return out;
  }

  /** kmem_cache.name, or "(unknown)" as crash prints an unreadable one. */
  cacheName(cache: bigint): string {
    const p = this.tryU(cache + BigInt(this.off.name), 8);
    return (p !== undefined && this.readString(p)) || '(unknown)';
  }

  /** crash's is_kmem_cache_addr(): the cache's name if `addr` is one of the caches. */
  isCacheAddr(addr: bigint): string | undefined {
    return this.cacheList().includes(addr) ? this.cacheName(addr) : undefined;
  }

  /** Every cache's `kmem -s` line (or the named one's), with crash's messages between them. */
  *report(filter: SlabFilter = {}): Generator<SlabReport> {
    if (this.allocator === 'slub') yield* this.reportSlub(filter);
    else yield* this.reportSlab(filter);
  }

  // -------------------------------------------------------------------------------------------------------
  // SLUB

  /** crash refuses `kmem -s` on SLUB without CONFIG_SLUB_DEBUG's counters. */
  get slubNeedsDebug(): boolean {
    return this.slub !== undefined && this.slub.nodeNrSlabs < 0;
  }

  private *reportSlub(filter: SlabFilter): Generator<SlabReport> {
    for (const cache of this.cacheList()) {
      // An unreadable kmem_cache is skipped without a word, as crash's RETURN_ON_ERROR read of it does.
      if (this.tryU(cache, 8) === undefined) continue;
      const name = this.cacheName(cache);
      if (filter.name !== undefined && filter.name !== name) continue;
      if (filter.ignore?.includes(name)) yield { kind: 'ignored', cache, name };
      else {
        const messages: string[] = [];
        const summary = this.slubSummary(cache, messages);
        if (summary) {
          for (const m of messages) yield { kind: 'message', text: m };
          yield { kind: 'cache', summary };
        }
      }
      if (filter.name !== undefined) break;
    }
  }

  private slubGeometry(cache: bigint): { objsize: number; size: number; offset: number; objects: number; order: number; random: bigint } {
    const o = this.off;
    const u32 = (f: Field | undefined): number => (f ? Number(this.u(cache + BigInt(f.offset), 4)) : 0);
    let objects: number;
    let order: number;
    if (o.objects && o.order) {
      objects = u32(o.objects);
      order = u32(o.order);
    } else if (o.oo) {
      // kmem_cache_order_objects (v2.6.27): order in the high 16 bits, objects in the low 16.
      const oo = u32(o.oo);
      objects = oo & 0xffff;
      order = oo >>> 16;
    } else throw new CrashlensError('cannot determine kmem_cache objects/order values');
    return {
      objsize: u32(o.objsize),
      size: u32(o.size),
      offset: u32(o.offset),
      objects,
      order,
      random: o.random ? this.u(cache + BigInt(o.random.offset), 8) : 0n,
    };
  }

  /** One SLUB cache's line; undefined if its kmem_cache cannot be read (crash skips it silently). */
  slubSummary(cache: bigint, messages: string[]): CacheSummary | undefined {
    let g: ReturnType<SlabCaches['slubGeometry']>;
    try {
      g = this.slubGeometry(cache);
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
    const name = this.cacheName(cache);
    const ctx: SlubCtx = { cache, name, ...g, messages };
    const summary: CacheSummary = { cache, name, objsize: g.objsize, slabSize: this.env.pageSize * 2 ** g.order };
    const slabs = this.slubData(ctx, 'slabs');
    const objs = slabs === undefined ? undefined : this.slubData(ctx, 'objects');
    if (slabs === undefined || objs === undefined) {
      messages.push(`kmem: ${name}: cannot gather relevant slab data`);
      return summary;
    }
    summary.counts = { allocated: objs.inuse, total: BigInt.asUintN(64, objs.inuse + objs.free), slabs: slabs.slabs };
    return summary;
  }

  /** The CPU slab of `cpu` and its lockless freelist (crash's get_cpu_slab_ptr(), TYPE_CODE_PTR). */
  private cpuSlab(ctx: SlubCtx, cpu: number): { slab: bigint; freelist: bigint } {
    const s = this.slub!;
    const pcp = this.tryU(ctx.cache + BigInt(this.off.cpuSlab!.offset), 8) ?? 0n;
    const ptr = BigInt.asUintN(64, pcp + this.env.perCpuOffset(cpu));
    if (ptr === 0n) return { slab: 0n, freelist: 0n };
    const freelist = s.cpuFreelist !== undefined ? (this.tryU(ptr + BigInt(s.cpuFreelist), 8) ?? 0n) : 0n;
    const slab = this.tryU(ptr + BigInt(s.cpuSlab), 8) ?? 0n;
    return { slab, freelist };
  }

  private pageToNid(page: bigint, ctx: SlubCtx): number {
    const pfn = this.env.pageToPfn(page);
    if (pfn === undefined) {
      ctx.messages.push(`kmem: page_to_nid: invalid page: ${hex(page)}`);
      return -1;
    }
    for (const [i, n] of this.env.nodes.entries()) if (pfn >= n.startPfn && pfn < n.startPfn + n.pages) return i;
    ctx.messages.push(`kmem: page_to_nid: cannot determine node for pages: ${hex(page)}`);
    return -1;
  }

  /** The slab's inuse counter as crash reads it: a short, so an all-ones field reads -1. */
  private slabInuse(slab: bigint): number | undefined {
    const b = this.slub!.inuse;
    const w = this.tryU(slab + BigInt(b.word), 4);
    if (w === undefined) return undefined;
    const v = Number((w >> BigInt(b.shift)) & ((1n << BigInt(b.bits)) - 1n));
    return b.bits >= 16 && (v & 0xffff) === 0xffff ? -1 : v;
  }

  /** crash's slub_page_objects(): the slab's own object count (0 on failure, with crash's message). */
  private slabObjects(ctx: SlubCtx, slab: bigint): number {
    const b = this.slub!.objects;
    if (!b) return ctx.objects & 0xffff;
    const w = this.tryU(slab + BigInt(b.word), 4);
    if (w === undefined) return 0;
    const v = Number((w >> BigInt(b.shift)) & ((1n << BigInt(b.bits)) - 1n));
    if (v === 0xffff) {
      ctx.messages.push(`kmem: ${ctx.name}: slab: ${hex(slab)} invalid page.objects: -1`);
      return 0;
    }
    return v;
  }

  /** crash's freelist_ptr(): the hardened-freelist decoding, swab'd address first. */
  private freelistPtr(ctx: SlubCtx, ptr: bigint, ptrAddr: bigint): bigint {
    if (!this.off.random) return ptr;
    const a = ptr ^ ctx.random ^ bswap64(ptrAddr);
    if (a === 0n || this.accessible(a)) return a;
    return ptr ^ ctx.random ^ ptrAddr;
  }

  private getFreepointer(ctx: SlubCtx, slab: bigint, object: bigint): bigint {
    const at = BigInt.asUintN(64, object + BigInt(ctx.offset));
    const next = this.tryU(at, 8);
    if (next === undefined) {
      ctx.messages.push(`kmem: ${ctx.name}: slab: ${hex(slab)} invalid freepointer: ${hex(at)}`);
      return BADADDR;
    }
    return this.freelistPtr(ctx, next, at);
  }

  /** crash's count_free_objects(): the length of a freelist. */
  private countFree(ctx: SlubCtx, slab: bigint, freelist: bigint): number {
    const seen = new Set<bigint>();
    let c = 0;
    for (let q = freelist; q; q = this.getFreepointer(ctx, slab, q)) {
      if (q & PAGE_MAPPING_ANON) break;
      if (seen.has(q)) {
        ctx.messages.push(`kmem: ${ctx.name}: slab: ${hex(slab)} duplicate freelist object: ${hex(q)}`);
        break;
      }
      seen.add(q);
      c++;
    }
    return c;
  }

  /** crash's count_cpu_partial(): free objects on a CPU's partial slabs (0 if any is bad). */
  private countCpuPartial(ctx: SlubCtx, cpu: number): number {
    const s = this.slub!;
    if (s.cpuPartial === undefined || !s.objects || s.next === undefined) return 0;
    const pcp = this.tryU(ctx.cache + BigInt(this.off.cpuSlab!.offset), 8) ?? 0n;
    let partial = this.tryU(BigInt.asUintN(64, pcp + this.env.perCpuOffset(cpu) + BigInt(s.cpuPartial)), 8) ?? 0n;
    let free = 0;
    // crash keeps these in shorts.
    for (let n = 0; partial && n < 1 << 20; n++) {
      if (!this.env.isPagePtr(partial)) {
        ctx.messages.push(`kmem: ${ctx.name}: invalid partial list slab pointer: ${hex(partial)}`);
        return 0;
      }
      const inuse = this.slabInuse(partial);
      if (inuse === undefined || inuse === -1) return 0;
      const objects = this.slabObjects(ctx, partial);
      if (!objects) return 0;
      free = (free + objects - inuse) << 16 >> 16;
      const next = this.tryU(partial + BigInt(s.next), 8);
      if (next === undefined) break;
      partial = next;
    }
    return free;
  }

  /**
   * crash's count_partial(): objects in use on a node's partial list, adding each slab's free objects to
   * `free`; undefined when crash gives up on the cache.
   */
  private countPartial(ctx: SlubCtx, node: bigint, free: { n: bigint }): bigint | undefined {
    const s = this.slub!;
    const head = node + BigInt(s.nodePartial);
    let next = this.tryU(head, 8);
    if (next === undefined) return undefined;
    let total = 0n;
    let seen = new Set<bigint>();
    let count = 0;
    while (next !== head) {
      const slab = BigInt.asUintN(64, next - BigInt(s.listOffset));
      const inuse = this.slabInuse(slab);
      if (inuse === undefined) return undefined;
      if (inuse === -1) {
        ctx.messages.push(`kmem: ${ctx.name}: partial list slab: ${hex(slab)} invalid page.inuse: -1`);
        break;
      }
      total += BigInt(inuse);
      if (s.objects) {
        const objects = this.slabObjects(ctx, slab);
        if (!objects) return undefined;
        free.n += BigInt(objects - inuse);
      }
      const n2 = this.tryU(next, 8);
      if (n2 === undefined) return undefined;
      next = n2;
      if (!this.env.isKvaddr(next) || (next !== head && !this.env.isPagePtr(BigInt.asUintN(64, next - BigInt(s.listOffset))))) {
        ctx.messages.push(`kmem: ${ctx.name}: partial list slab: ${hex(slab)} invalid page.lru.next: ${hex(next)}`);
        break;
      }
      // crash remembers the last 1000 entries to notice a list that loops.
      if (++count % 1000 === 0) seen = new Set();
      if (seen.has(next)) {
        ctx.messages.push(`kmem: ${ctx.name}: partial list slab: ${hex(slab)} duplicate slab entry: ${hex(next)}`);
        return undefined;
      }
      seen.add(next);
    }
    return total;
  }

  /** kmem_cache.node[id]. */
  private nodePtr(cache: bigint, id: number): bigint {
    const node = this.off.node;
    if (!node) return 0n;
    return this.tryU(cache + BigInt(node.offset) + BigInt(id) * 8n, 8) ?? 0n;
  }

  /**
   * crash's get_kmem_cache_slub_data(): with 'slabs', the slab count; with 'objects', objects in use and
   * free. undefined where crash returns FALSE.
   */
  private slubData(ctx: SlubCtx, cmd: 'slabs'): { slabs: bigint } | undefined;
  private slubData(ctx: SlubCtx, cmd: 'objects'): { inuse: bigint; free: bigint } | undefined;
  private slubData(ctx: SlubCtx, cmd: 'slabs' | 'objects'): { slabs: bigint } | { inuse: bigint; free: bigint } | undefined {
    const s = this.slub!;
    const nodes = this.env.nodes;
    const perCpu = new Array<number>(Math.max(nodes.length, 1)).fill(0);
    let totalSlabs = 0n;
    let totalObjects = 0n;
    const free = { n: 0n };
    const totalAvail = s.nodeTotalObjects !== undefined;
    for (let cpu = 0; cpu < this.env.cpus; cpu++) {
      const { slab, freelist } = this.cpuSlab(ctx, cpu);
      if (!slab) continue;
      const node = this.pageToNid(slab, ctx);
      if (node < 0) return undefined;
      if (cmd === 'objects') {
        const inuse = this.slabInuse(slab);
        if (inuse === undefined) return undefined;
        const objects = this.slabObjects(ctx, slab);
        if (!objects) return undefined;
        free.n += BigInt(objects - inuse);
        free.n += BigInt(this.countFree(ctx, slab, freelist));
        free.n += BigInt(this.countCpuPartial(ctx, cpu));
        if (!totalAvail) totalObjects += BigInt(inuse);
      }
      totalSlabs++;
      perCpu[node]++;
    }
    const numa = this.off.node !== undefined;
    for (let n = 0; n < Math.max(nodes.length, 1); n++) {
      const id = nodes[n]?.id ?? 0;
      const nodePtr = this.nodePtr(ctx.cache, id);
      if (!nodePtr) continue;
      const nrPartial = this.tryU(nodePtr + BigInt(s.nodeNrPartial), 8);
      const nrSlabs = this.tryU(nodePtr + BigInt(s.nodeNrSlabs), 8);
      if (nrPartial === undefined || nrSlabs === undefined) return undefined;
      let nodeTotal = 0n;
      if (totalAvail) {
        const t = this.tryU(nodePtr + BigInt(s.nodeTotalObjects!), 8);
        if (t === undefined) return undefined;
        nodeTotal = t;
      }
      if (cmd === 'objects') {
        const p = this.countPartial(ctx, nodePtr, free);
        if (p === undefined) return undefined;
        if (!totalAvail) totalObjects += p;
      }
      totalSlabs += nrPartial;
      // Full slabs: what is neither a CPU slab nor on the partial list (crash's int arithmetic).
      const full = BigInt.asIntN(32, nrSlabs - BigInt(perCpu[n]) - nrPartial);
      if (cmd === 'objects') totalObjects += totalAvail ? nodeTotal : full * BigInt(ctx.objects);
      totalSlabs += full;
      if (!numa) break;
    }
    if (cmd === 'slabs') return { slabs: totalSlabs };
    const inuse = totalAvail ? totalObjects - free.n : totalObjects;
    const freeObjs = s.objects && totalAvail ? free.n : totalSlabs * BigInt(ctx.objects) - inuse;
    return { inuse, free: freeObjs };
  }

  // -------------------------------------------------------------------------------------------------------
  // An address inside a slab (kmem ADDRESS, kmem -s ADDRESS), SLUB: vaddr_to_kmem_cache(), is_slab_page(),
  // do_slab_slub(VERBOSE).

  /** page_to_phys() for a struct page address: its page frame, when it is one (is_page_ptr()). */
  pageToPfnOf(page: bigint): bigint | undefined {
    return this.env.isPagePtr(page) ? this.env.pageToPfn(page) : undefined;
  }

  /** compound_head(): the head page of a compound page (the page itself when it is not a tail). */
  compoundHead(page: bigint): bigint {
    const s = this.slub;
    const off = s?.compoundHead;
    if (off === undefined) return page;
    const v = this.tryU(page + BigInt(off), 8);
    return v !== undefined && v & 1n ? v - 1n : page;
  }

  private isSlabPage(page: bigint): boolean {
    const s = this.slub;
    if (!s || this.env.pgSlab === undefined) return false;
    const flags = this.tryU(page + BigInt(s.pageFlags), 8);
    return flags !== undefined && ((flags >> this.env.pgSlab) & 1n) === 1n;
  }

  /**
   * The cache of the slab holding the struct page `page` (the page of an address), as crash's
   * vaddr_to_kmem_cache() finds it: the page (or its compound head) is PG_slab and its slab_cache is one
   * of the caches. SLUB only: crash 8.0.6 cannot place SLAB objects once struct slab split off (v5.17).
   */
  cacheOfPage(page: bigint): { cache: bigint; name: string } | undefined {
    const s = this.slub;
    if (!s || s.slabCache === undefined) return undefined;
    if (!this.isSlabPage(page) && !this.isSlabPage(this.compoundHead(page))) return undefined;
    const cache = this.tryU(this.compoundHead(page) + BigInt(s.slabCache), 8);
    if (cache === undefined) return undefined;
    const name = this.isCacheAddr(cache);
    return name === undefined ? undefined : { cache, name };
  }

  /** is_slab_page(): `page` is a struct page of a slab; its cache's name. */
  cacheOfSlabPagePtr(page: bigint): { cache: bigint; name: string } | undefined {
    const s = this.slub;
    if (!s || s.slabCache === undefined || !this.env.isPagePtr(page) || !this.isSlabPage(page)) return undefined;
    const cache = this.tryU(page + BigInt(s.slabCache), 8);
    if (cache === undefined) return undefined;
    const name = this.isCacheAddr(cache);
    return name === undefined ? undefined : { cache, name };
  }

  /**
   * do_slab_slub(VERBOSE) for the slab at struct page `slab`: its line, then its objects, free ones
   * marked with the CPU whose slab it is; only the object holding `addr` unless `addr` is undefined.
   */
  slubSlabObjects(cache: bigint, slab: bigint, addr: bigint | undefined, verbose = true): string {
    const s = this.slub!;
    const g = this.slubGeometry(cache);
    const name = this.cacheName(cache);
    const ctx: SlubCtx = { cache, name, ...g, messages: [] };
    const pfn = this.env.pageToPfn(slab);
    if (pfn === undefined) return `kmem: ${name}: invalid slab address: ${hex(slab)}\n`;
    const nodeIndex = this.pageToNid(slab, ctx);
    const vaddr = this.env.ptov(pfn * BigInt(this.env.pageSize));
    let out = verbose ? '  SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE\n' : '';
    let inuse = this.slabInuse(slab);
    const freelist = s.freelist !== undefined ? this.tryU(slab + BigInt(s.freelist), 8) : 0n;
    if (inuse === undefined || freelist === undefined) return ctx.messages.map((m) => `${m}\n`).join('') + out;
    inuse &= 0xffff;
    const objects = this.slabObjects(ctx, slab);
    if (!objects) return ctx.messages.map((m) => `${m}\n`).join('') + out;
    const pad = (v: number, w: number): string => String(v).padStart(w);
    const info = (used: number): string =>
      `  ${hex(slab).padEnd(16)}  ${hex(vaddr).padEnd(16)}  ${pad(nodeIndex, 4)}  ${pad(objects, 5)}  ${pad(used, 9)}  ${pad(objects - used, 4)}\n`;
    // Without VERBOSE (the slabs of a node's lists) only the line, from the slab's own counter.
    if (!verbose) return ctx.messages.map((m) => `${m}\n`).join('') + out + info(inuse);
    let cpuSlab = -1;
    let cpuFreelist = 0n;
    for (let cpu = 0; cpu < this.env.cpus; cpu++) {
      const c = this.cpuSlab(ctx, cpu);
      if (!c.slab) continue;
      if (c.slab === slab) {
        cpuSlab = cpu;
        cpuFreelist = c.freelist;
        // The CPU's lockless freelist holds the slab's free objects; objects freed from another CPU go
        // back to the slab's own freelist.
        let free = this.countFree(ctx, slab, c.freelist);
        if (freelist) free += objects - inuse;
        inuse = objects - free;
        break;
      }
    }
    out += info(inuse);
    out += '  FREE / [ALLOCATED]\n';
    // SLAB_RED_ZONE puts red_left_pad bytes before each object; the freelist points past them.
    let redLeft = 0n;
    const flagsF = field(this.cache, 'flags');
    const redF = field(this.cache, 'red_left_pad');
    if (flagsF && redF && (this.u(cache + BigInt(flagsF.offset), 8) & 0x400n)) redLeft = this.u(cache + BigInt(redF.offset), 4);
    const size = BigInt(g.size);
    const free = new Set<bigint>();
    for (const list of [freelist, cpuFreelist]) {
      const seen = new Set<bigint>();
      for (let q = list; q; q = this.getFreepointer(ctx, slab, q)) {
        if (q === BADADDR) return ctx.messages.map((m) => `${m}\n`).join('') + out;
        if (q & PAGE_MAPPING_ANON) break;
        if (seen.has(q)) {
          ctx.messages.push(`kmem: ${name}: slab: ${hex(slab)} duplicate freelist object: ${hex(q)}`);
          return ctx.messages.map((m) => `${m}\n`).join('') + out;
        }
        seen.add(q);
        free.add(q);
      }
    }
    for (let p = vaddr; p < vaddr + BigInt(objects) * size; p += size) {
      if (addr !== undefined && (addr < p || addr >= p + size)) continue;
      const isFree = free.has(p + redLeft);
      out += `  ${isFree ? ' ' : '['}${hex(p + redLeft)}${isFree ? '  ' : ']'}${isFree && cpuSlab >= 0 ? `(cpu ${cpuSlab} cache)` : ''}\n`;
    }
    return ctx.messages.map((m) => `${m}\n`).join('') + out;
  }

  /**
   * do_kmem_cache_slub(): `kmem -S` for one cache: each CPU's kmem_cache_cpu, slab (with its objects) and
   * partial slabs, then each node's counts and its partial (and, with SLAB_STORE_USER, full) slabs.
   */
  slubVerbose(cache: bigint, cpus?: (cpu: number) => boolean): string {
    const s = this.slub!;
    const g = this.slubGeometry(cache);
    const name = this.cacheName(cache);
    const ctx: SlubCtx = { cache, name, ...g, messages: [] };
    const nodes = this.env.nodes;
    const perCpu = new Array<number>(Math.max(nodes.length, 1)).fill(0);
    const flush = (): string => {
      const m = ctx.messages.map((x) => `${x}\n`).join('');
      ctx.messages.length = 0;
      return m;
    };
    let out = '';
    const pcp = this.tryU(cache + BigInt(this.off.cpuSlab!.offset), 8) ?? 0n;
    for (let cpu = 0; cpu < this.env.cpus; cpu++) {
      if (cpus && !cpus(cpu)) continue;
      out += `CPU ${cpu} KMEM_CACHE_CPU:\n  ${hex(BigInt.asUintN(64, pcp + this.env.perCpuOffset(cpu)))}\n`;
      const c = this.cpuSlab(ctx, cpu);
      out += `CPU ${cpu} SLAB:\n${c.slab ? '' : '  (empty)\n'}`;
      if (c.slab) {
        const n = this.pageToNid(c.slab, ctx);
        if (n >= 0) perCpu[n]++;
        const text = this.slubSlabObjects(cache, c.slab, undefined);
        out += flush() + text;
        // do_slab_slub() failing (no objects count) skips the CPU's partial slabs.
        if (!text.includes('FREE / [ALLOCATED]')) continue;
      }
      if (s.cpuPartial !== undefined) {
        let partial = this.tryU(BigInt.asUintN(64, pcp + this.env.perCpuOffset(cpu) + BigInt(s.cpuPartial)), 8) ?? 0n;
        out += `CPU ${cpu} PARTIAL:\n${partial ? '' : '  (empty)\n'}`;
        for (let k = 0; partial && k < 1 << 16; k++) {
          if (!this.env.isPagePtr(partial)) {
            out += `kmem: ${name}: invalid partial list slab pointer: ${hex(partial)}\n`;
            break;
          }
          const text = this.slubSlabObjects(cache, partial, undefined);
          out += flush() + text;
          if (!text.includes('FREE / [ALLOCATED]') || s.next === undefined) break;
          partial = this.tryU(partial + BigInt(s.next), 8) ?? 0n;
        }
      }
    }
    const numa = this.off.node !== undefined;
    for (let n = 0; n < Math.max(nodes.length, 1); n++) {
      const id = nodes[n]?.id ?? 0;
      const nodePtr = this.nodePtr(cache, id);
      let nrPartial = 0n;
      let nrSlabs = 0n;
      if (nodePtr) {
        const a = this.tryU(nodePtr + BigInt(s.nodeNrPartial), 8);
        const b = this.tryU(nodePtr + BigInt(s.nodeNrSlabs), 8);
        if (a === undefined || b === undefined) break;
        nrPartial = a;
        nrSlabs = b;
      }
      out += 'KMEM_CACHE_NODE   NODE  SLABS  PARTIAL  PER-CPU\n';
      out += `${hex(nodePtr)}  ${String(n).padStart(4)}  ${String(nrSlabs).padStart(5)}  ${String(nrPartial).padStart(7)}  ${String(perCpu[n]).padStart(7)}\n`;
      if (nodePtr) out += this.nodeLists(ctx, nodePtr, n, flush);
      if (!numa) break;
    }
    return `${out}\n`;
  }

  /** do_node_lists_slub(): a node's partial slabs, and its full ones when SLAB_STORE_USER tracks them. */
  private nodeLists(ctx: SlubCtx, node: bigint, n: number, flush: () => string): string {
    const s = this.slub!;
    const hdr = '  SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE\n';
    const walk = (head: bigint, what: 'partial' | 'full'): string => {
      let out = '';
      let next = this.tryU(head, 8);
      if (next === undefined) return out;
      out += `NODE ${n} ${what.toUpperCase()}:\n${next === head ? '  (empty)\n' : ''}`;
      let first = true;
      for (let k = 0; next !== head && k < 1 << 20; k++) {
        const slab = BigInt.asUintN(64, next - BigInt(s.listOffset));
        if (first) out += hdr;
        first = false;
        if (!this.env.isPagePtr(slab)) return `${out}kmem: ${ctx.name}: invalid ${what} list slab pointer: ${hex(slab)}\n`;
        const text = this.slubSlabObjects(ctx.cache, slab, undefined, false);
        out += flush() + text;
        const n2 = this.tryU(next, 8);
        if (n2 === undefined) return out;
        if (!this.env.isKvaddr(n2) || (what === 'partial' && n2 !== head && !this.env.isPagePtr(BigInt.asUintN(64, n2 - BigInt(s.listOffset))))) {
          return what === 'partial'
            ? `${out}kmem: ${ctx.name}: partial list slab: ${hex(slab)} invalid page.lru.next: ${hex(n2)}\n`
            : `${out}kmem: ${ctx.name}: full list slab: ${hex(slab)} page.lru.next: ${hex(n2)}\n`;
        }
        next = n2;
      }
      return out;
    };
    let out = walk(node + BigInt(s.nodePartial), 'partial');
    const fullF = field(this.nodeType, 'full');
    const flagsF = field(this.cache, 'flags');
    const storeUser = flagsF ? (this.u(ctx.cache + BigInt(flagsF.offset), 8) & 0x10000n) !== 0n : false;
    if (!fullF || !storeUser) out += `NODE ${n} FULL:\n  (not tracked)\n`;
    else out += walk(node + BigInt(fullF.offset), 'full');
    return out;
  }

  /** The `kmem -s` line of one cache with crash's messages before it. */
  cacheLine(cache: bigint): string {
    const messages: string[] = [];
    const summary = this.allocator === 'slub' ? this.slubSummary(cache, messages) : undefined;
    if (!summary) return '';
    return messages.map((m) => `${m}\n`).join('') + formatCacheLine(summary);
  }

  // -------------------------------------------------------------------------------------------------------
  // SLAB (struct page / struct slab overloaded by slab management)

  private nodelists(cache: bigint): bigint[] {
    const sl = this.slab!;
    const node = this.off.node;
    if (!node) return [];
    let base = cache + BigInt(node.offset);
    if (this.off.nodeIsPtr) {
      const p = this.tryU(base, 8);
      if (p === undefined) return [];
      base = p;
    }
    const out: bigint[] = [];
    for (let i = 0; i < sl.lenNodes; i++) out.push(this.tryU(base + BigInt(i) * 8n, 8) ?? 0n);
    return out;
  }

  /** The per-CPU array_cache pointers of a cache. */
  private cpuArrays(cache: bigint, cpus: number): bigint[] {
    const out: bigint[] = [];
    if (this.off.cpuCache) {
      const pcp = this.tryU(cache + BigInt(this.off.cpuCache.offset), 8) ?? 0n;
      for (let i = 0; i < cpus; i++) out.push(BigInt.asUintN(64, pcp + this.env.perCpuOffset(i)));
    } else {
      const arr = field(this.cache, 'array');
      for (let i = 0; i < cpus && arr; i++) out.push(this.tryU(cache + BigInt(arr.offset) + BigInt(i) * 8n, 8) ?? 0n);
    }
    return out;
  }

  /** crash's kmem_cache_init() pass: the largest array_cache limit of all caches, and caches it marked bad. */
  private slabInitData(): { maxLimit: number; maxCpus: number; bad: Set<bigint>; messages: string[] } {
    if (this.slabInit) return this.slabInit;
    const sl = this.slab!;
    const init = { maxLimit: 0, maxCpus: 0, bad: new Set<bigint>(), messages: [] as string[] };
    for (const cache of this.cacheList()) {
      let limit = 0;
      const arrays = this.cpuArrays(cache, this.env.cpus);
      let i = 0;
      let bad = false;
      for (; i < this.env.cpus; i++) {
        if (!arrays[i]) break;
        const l = this.tryU(arrays[i] + BigInt(sl.acLimit), 4);
        if (l === undefined) {
          init.messages.push(`kmem: kmem_cache: ${hex(cache)}: invalid array_cache pointer: ${hex(arrays[i])}`);
          init.bad.add(cache);
          bad = true;
          break;
        }
        if (l > 0x7fffffffn) init.messages.push(`kmem: kmem_cache: ${hex(cache)}: invalid array limit[${i}]: ${Number(BigInt.asIntN(32, l))}`);
        else if (Number(l) > limit) limit = Number(l);
      }
      if (!bad && sl.shared !== undefined) {
        for (const n of this.nodelists(cache)) {
          if (n === 0n) continue;
          const shared = this.tryU(n + BigInt(sl.shared), 8);
          if (shared === undefined) continue;
          if (!shared) break;
          const l = this.tryU(shared + BigInt(sl.acLimit), 4);
          if (l !== undefined) {
            if (l <= 0x7fffffffn && Number(l) > limit) limit = Number(l);
            break;
          }
        }
      }
      if (limit > init.maxLimit) init.maxLimit = limit;
      if (!bad && i > init.maxCpus) init.maxCpus = i;
    }
    return (this.slabInit = init);
  }

  private *reportSlab(filter: SlabFilter): Generator<SlabReport> {
    const init = this.slabInitData();
    let errors = 0;
    for (const cache of this.cacheList()) {
      const name = this.cacheName(cache);
      if (filter.name !== undefined && filter.name !== name) continue;
      if (filter.ignore?.includes(name)) {
        yield { kind: 'ignored', cache, name };
        continue;
      }
      if (init.bad.has(cache)) {
        yield { kind: 'message', text: `${hex(cache)} ${'[INVALID/CORRUPTED]'.padEnd(43)}  ${name}` };
        continue;
      }
      const messages: string[] = [];
      const r = this.slabSummary(cache, name, init, messages);
      errors += r.errors;
      for (const m of messages) yield { kind: 'message', text: m };
      yield { kind: 'cache', summary: r.summary };
    }
    if (errors) yield { kind: 'message', text: `kmem: ${errors} error${errors > 1 ? 's' : ''} encountered` };
  }

  private slabSummary(
    cache: bigint,
    name: string,
    init: { maxLimit: number; maxCpus: number },
    messages: string[],
  ): { summary: CacheSummary; errors: number } {
    const sl = this.slab!;
    const o = this.off;
    const u32 = (f: Field): number => Number(this.u(cache + BigInt(f.offset), 4));
    let errors = 0;
    let size = u32(o.objsize);
    if (!size) {
      if (name === 'kmem_cache') size = sizeOf(this.cache) ?? 0;
      else {
        messages.push(`kmem: "${name}" cache: objsize: ${size}`);
        errors++;
      }
    }
    const order = u32(o.gfporder!);
    const num = u32(o.num!);
    const slabSize = 2 ** order * this.env.pageSize;
    const nodelists = this.nodelists(cache);

    // gather_cpudata_list_v2_nodes(): the objects cached per CPU (node 0 only) and on each node's shared list.
    const cpuCached = new Map<bigint, number>();
    const sharedCached = new Set<bigint>();
    const arrays = this.cpuArrays(cache, init.maxCpus);
    const gatherShared = (index: number): void => {
      if (sl.shared === undefined) return;
      const shared = this.tryU((nodelists[index] ?? 0n) + BigInt(sl.shared), 8);
      if (!shared) return;
      const avail = this.tryU(shared + BigInt(sl.acAvail), 4);
      if (!avail) return;
      if (Number(avail) > init.maxLimit) {
        messages.push(`kmem: "${name}" cache: shared array_cache.avail ${Number(BigInt.asIntN(32, avail))} greater than limit ${init.maxLimit}`);
        errors++;
        return;
      }
      const entries = this.env.read(shared + BigInt(sl.acEntries), Number(avail) * 8);
      for (let j = 0; j < Number(avail); j++) sharedCached.add(le(entries, j * 8, 8));
    };

    let inuse = 0n;
    let numSlabs = 0n;
    let cpucached = 0n;
    const online = (index: number): boolean => this.env.nodes.some((n) => n.id === index) || (this.env.nodes.length === 0 && index === 0);
    // crash's list_borked: once set, each later chain is still entered but left after one slab.
    let borked = false;
    for (let index = 0; index < sl.lenNodes; index++) {
      if (!online(index)) continue;
      const node = nodelists[index] ?? 0n;
      if (node === 0n) continue;
      if (index === 0) {
        for (let i = 0; i < arrays.length && arrays[i]; i++) {
          const avail = this.u(arrays[i] + BigInt(sl.acAvail), 4);
          if (!avail) continue;
          if (Number(avail) > init.maxLimit) {
            messages.push(`kmem: "${name}" cache: array_cache.avail ${Number(BigInt.asIntN(32, avail))} greater than limit ${init.maxLimit}`);
            errors++;
            continue;
          }
          const entries = this.env.read(arrays[i] + BigInt(sl.acEntries), Number(avail) * 8);
          for (let j = 0; j < Number(avail); j++) {
            const obj = le(entries, j * 8, 8);
            if (!cpuCached.has(obj)) cpuCached.set(obj, i);
          }
        }
      }
      gatherShared(index);
      const chains = [node + BigInt(sl.partial), node + BigInt(sl.full), node + BigInt(sl.free)];
      const chainNames = ['partial', 'full', 'free'];
      for (let s = 0; s < 3; s++) {
        const head = chains[s];
        let slab = this.tryU(head, 8);
        if (slab === undefined) {
          messages.push(`kmem: ${name}: ${chainNames[s]} list: bad page/slab pointer: ${hex(head)}`);
          borked = true;
          continue;
        }
        if (slab === head) continue;
        let last = head;
        let steps = 0;
        do {
          const v = this.verifySlab(name, chainNames[s], s, slab, last, num, messages);
          errors += v.errors;
          if (v.errors) {
            borked = true;
            continue;
          }
          last = slab;
          const page = slab - BigInt(sl.listOffset);
          const active = this.u(page + BigInt(sl.active), 4);
          inuse += BigInt.asIntN(32, active);
          const sMem = this.u(page + BigInt(sl.sMem), 8);
          // gather_slab_cached_count(): this slab's objects that sit in a CPU or shared array.
          for (let k = 0; k < num; k++) {
            const obj = BigInt.asUintN(64, sMem + BigInt(k) * BigInt(size));
            const cpu = cpuCached.get(obj);
            const inShared = sharedCached.has(obj);
            if (cpu !== undefined || inShared) cpucached++;
            if (cpu !== undefined && inShared) messages.push(`kmem: "${name}" cache: object ${hex(obj)} on both cpu ${cpu} and shared lists`);
          }
          numSlabs++;
          slab = this.u(slab, 8);
          for (let i = 0; i < 3; i++) {
            if (i !== s && slab === chains[i]) {
              messages.push(`NOTE: ${name}: slab chain inconsistency: ${chainNames[s]} list`);
              borked = true;
            }
          }
        } while (slab !== head && !borked && ++steps < 1 << 24);
      }
    }
    return {
      summary: {
        cache,
        name,
        objsize: size,
        counts: { allocated: inuse - cpucached, total: numSlabs * BigInt(num), slabs: numSlabs },
        slabSize,
      },
      errors,
    };
  }

  /** crash's verify_slab_overload_page(): the checks it makes of each slab before counting it. */
  private verifySlab(name: string, list: string, s: number, slab: bigint, last: bigint, num: number, messages: string[]): { errors: number } {
    const sl = this.slab!;
    const page = slab - BigInt(sl.listOffset);
    let next: bigint;
    let prev: bigint;
    let active: number;
    let sMem: bigint;
    try {
      next = this.u(slab, 8);
      prev = this.u(slab + 8n, 8);
      active = Number(this.u(page + BigInt(sl.active), 4));
      sMem = this.u(page + BigInt(sl.sMem), 8);
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      messages.push(`kmem: ${name}: ${list} list: bad slab pointer: ${hex(slab)}`);
      return { errors: 1 };
    }
    let errors = 0;
    if (!this.env.isKvaddr(next) || !this.accessible(next)) {
      messages.push(`kmem: ${name}: ${list} list: page/slab: ${hex(slab)}  bad next pointer: ${hex(next)}`);
      errors++;
    }
    if (last && last !== prev) {
      messages.push(`kmem: ${name}: ${list} list: page/slab: ${hex(slab)}  bad prev pointer: ${hex(prev)}`);
      errors++;
    }
    const badActive = (): void => {
      messages.push(`kmem: ${name}: ${list} list: page/slab: ${hex(slab)}  bad active counter: ${active}`);
      errors++;
    };
    if (active > num) badActive();
    if (last) {
      if (s === 0 && (active === 0 || active === num)) badActive();
      if (s === 1 && active !== num) badActive();
      if (s === 2 && active > 0) badActive();
    }
    if (!this.env.isKvaddr(sMem) || !this.accessible(sMem)) {
      messages.push(`kmem: ${name}: ${list} list: page/slab: ${hex(slab)}  bad s_mem pointer: ${hex(sMem)}`);
      errors++;
    }
    return { errors };
  }
}

interface SlubCtx {
  cache: bigint;
  name: string;
  objsize: number;
  size: number;
  offset: number;
  objects: number;
  order: number;
  random: bigint;
  messages: string[];
}

/** crash's kmem_cache_hdr. */
export const KMEM_CACHE_HEADER = 'CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME\n';

/** dump_kmem_cache_info(): one `kmem -s` line. */
export function formatCacheLine(s: CacheSummary): string {
  const head = `${hex(s.cache).padEnd(16)} ${String(s.objsize).padStart(8)}  `;
  const counts = s.counts
    ? `${BigInt.asIntN(64, s.counts.allocated).toString().padStart(9)}  ${BigInt.asIntN(64, s.counts.total).toString().padStart(8)}  ${BigInt.asIntN(64, s.counts.slabs).toString().padStart(5)}  `
    : `${'?'.padStart(9)}  ${'?'.padStart(8)}  ${'?'.padStart(5)}  `;
  return `${head}${counts}${String(Math.floor(s.slabSize / 1024)).padStart(4)}k  ${s.name}\n`;
}
