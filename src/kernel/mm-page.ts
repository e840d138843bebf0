// struct page lookup for SPARSEMEM kernels from VMCOREINFO alone (what crash's vtop and kmem -p show):
//
//   pfn → section nr = pfn >> (SECTION_SIZE_BITS - PAGE_SHIFT)
//       → struct mem_section (SPARSEMEM_EXTREME: mem_section[] holds pointers to roots of
//         SECTIONS_PER_ROOT = PAGE_SIZE / SIZE(mem_section) sections; else one flat array)
//       → section_mem_map, whose low bits are flags (present, has mem_map, online, early, zone device)
//       → struct page = (section_mem_map & ~flags) + pfn * SIZE(page)   (the kernel stores mem_map - start_pfn)
//
// VMCOREINFO gives page.flags, page._refcount and page.mapping. It gives neither page.index nor the names of
// the page flags: page.index is taken as the member after page.mapping (true of every kernel since 2.6.x,
// `struct address_space *mapping; pgoff_t index;`), and the names come from the kernel's own pageflag_names[]
// when a symbol table can locate it, else from the v4.20+ enum pageflags layout, used only when VMCOREINFO's
// NUMBER(PG_*) values confirm it (see flagNames()).
import { kv } from '../addr.ts';
import { CrashlensError, VmcoreinfoError } from '../errors.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import { dataView } from '../io/byte-source.ts';
import type { Vmcoreinfo } from '../vmcoreinfo.ts';

/** Kernel symbols, when a symbol table is loaded (kallsyms or vmlinux). Everything here works without one. */
export interface SymbolLookup {
  /** A kernel symbol's address. */
  lookup(name: string): bigint | undefined;
}

export interface PageFlag {
  mask: bigint;
  name: string;
}

/** The members of one struct page that crash's PAGE line shows. */
export interface PageStruct {
  /** Virtual address of the struct page. */
  addr: bigint;
  flags: bigint;
  /** page._refcount (crash's CNT), as the signed int crash prints with %d. */
  count: number;
  mapping: bigint;
  index: bigint;
}

// mem_section.section_mem_map flag bits (include/linux/mmzone.h, v5.12+: 5 bits, always below the alignment
// of the encoded pointer).
const SECTION_MARKED_PRESENT = 1n;
const SECTION_HAS_MEM_MAP = 2n;
const SECTION_MAP_MASK = ~0x1fn;
const PAGE_SHIFT = 12n;

/**
 * mm/debug.c pageflag_names[] (include/trace/events/mmflags.h) in its v4.20–v6.x order, as [bit, name].
 * Bits 0..21 are fixed on x86-64 for those kernels; later entries (uncached, hwpoison, idle, young, arch_2)
 * depend on the kernel configuration and are only added when VMCOREINFO pins them.
 */
const V4_20_PAGEFLAG_NAMES: [number, string][] = [
  [0, 'locked'], [7, 'waiters'], [8, 'error'], [1, 'referenced'], [2, 'uptodate'], [3, 'dirty'], [4, 'lru'],
  [5, 'active'], [6, 'workingset'], [9, 'slab'], [10, 'owner_priv_1'], [11, 'arch_1'], [12, 'reserved'],
  [13, 'private'], [14, 'private_2'], [15, 'writeback'], [16, 'head'], [17, 'mappedtodisk'], [18, 'reclaim'],
  [19, 'swapbacked'], [20, 'unevictable'], [21, 'mlocked'],
];

/** The NUMBER(PG_*) values that identify that layout (PG_swapcache is PG_owner_priv_1). */
const V4_20_ANCHORS: [string, bigint][] = [
  ['PG_lru', 4n], ['PG_slab', 9n], ['PG_swapcache', 10n], ['PG_private', 13n], ['PG_swapbacked', 19n],
  ['PG_head_mask', 1n << 16n],
];

export type PageFlagSource = 'pageflag_names' | 'vmcoreinfo-layout' | 'none';

export class MemMap {
  readonly sizeofPage: number;
  readonly flagsOffset: number;
  readonly countOffset: number;
  readonly mappingOffset: number;
  /** page.index: not in VMCOREINFO; the member after page.mapping unless told otherwise. */
  readonly indexOffset: number;
  private readonly memSection: bigint;
  private readonly sizeofMemSection: number;
  private readonly mapOffset: number;
  private readonly pfnSectionShift: bigint;
  private readonly sectionsPerRoot: bigint;
  private readonly nrSectionRoots: bigint;
  readonly extreme: boolean;
  private readonly roots = new Map<bigint, bigint>();
  private readonly sections = new Map<bigint, bigint>();
  private flagTable: { source: PageFlagSource; flags: PageFlag[] } | undefined;

  private constructor(
    private readonly kmem: KernelMemory,
    private readonly info: Vmcoreinfo,
    private readonly symbols: SymbolLookup | undefined,
    opts: { indexOffset?: number },
  ) {
    const pageSize = BigInt(info.pageSize);
    this.sizeofPage = info.size('page');
    this.flagsOffset = info.offset('page.flags');
    this.countOffset = info.offset('page._refcount');
    this.mappingOffset = info.offset('page.mapping');
    this.indexOffset = opts.indexOffset ?? this.mappingOffset + 8;
    this.memSection = info.symbol('mem_section');
    this.sizeofMemSection = info.size('mem_section');
    this.mapOffset = info.offset('mem_section.section_mem_map');
    const sectionBits = info.number('SECTION_SIZE_BITS');
    const nrSections = 1n << (info.number('MAX_PHYSMEM_BITS') - sectionBits);
    this.pfnSectionShift = sectionBits - PAGE_SHIFT;
    this.sectionsPerRoot = pageSize / BigInt(this.sizeofMemSection);
    // LENGTH(mem_section) is NR_SECTION_ROOTS under SPARSEMEM_EXTREME and NR_MEM_SECTIONS otherwise.
    const length = BigInt(info.length('mem_section'));
    this.extreme = length < nrSections;
    this.nrSectionRoots = this.extreme ? length : (nrSections + this.sectionsPerRoot - 1n) / this.sectionsPerRoot;
  }

  /** undefined when VMCOREINFO lacks what a SPARSEMEM lookup needs (a FLATMEM kernel, or an old one). */
  static tryCreate(kmem: KernelMemory, info: Vmcoreinfo, symbols?: SymbolLookup, opts: { indexOffset?: number } = {}): MemMap | undefined {
    try {
      return new MemMap(kmem, info, symbols, opts);
    } catch (e) {
      if (e instanceof VmcoreinfoError) return undefined;
      throw e;
    }
  }

  pfnToSectionNr(pfn: bigint): bigint {
    return pfn >> this.pfnSectionShift;
  }

  /** Address of struct mem_section number `nr` (crash's nr_to_section); undefined past the roots or for an empty root. */
  sectionAddr(nr: bigint): bigint | undefined {
    const root = nr / this.sectionsPerRoot;
    if (root >= this.nrSectionRoots) return undefined;
    const within = (nr % this.sectionsPerRoot) * BigInt(this.sizeofMemSection);
    if (!this.extreme) return this.memSection + (root * this.sectionsPerRoot) * BigInt(this.sizeofMemSection) + within;
    let base = this.roots.get(root);
    if (base === undefined) {
      try {
        base = this.kmem.readU64(kv(this.memSection + root * 8n));
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
        base = 0n;
      }
      this.roots.set(root, base);
    }
    // A root is allocated only for populated ranges, and always in the kernel half.
    if (base === 0n || base < 1n << 63n) return undefined;
    return base + within;
  }

  /** The raw section_mem_map of section `nr`; 0 when the section does not exist or cannot be read. */
  sectionMemMap(nr: bigint): bigint {
    let v = this.sections.get(nr);
    if (v === undefined) {
      const at = this.sectionAddr(nr);
      v = 0n;
      if (at !== undefined) {
        try {
          v = this.kmem.readU64(kv(at + BigInt(this.mapOffset)));
        } catch (e) {
          if (!(e instanceof CrashlensError)) throw e;
          v = 0n;
        }
      }
      this.sections.set(nr, v);
    }
    return v;
  }

  /** struct page address for a page frame (crash's pfn_to_map), or undefined if its section has no mem_map. */
  pfnToPage(pfn: bigint): bigint | undefined {
    const map = this.sectionMemMap(this.pfnToSectionNr(pfn));
    if ((map & SECTION_MARKED_PRESENT) === 0n || (map & SECTION_HAS_MEM_MAP) === 0n) return undefined;
    return BigInt.asUintN(64, (map & SECTION_MAP_MASK) + pfn * BigInt(this.sizeofPage));
  }

  /**
   * The base of the virtual mem_map (vmemmap_base) on SPARSEMEM_VMEMMAP kernels: every section encodes the
   * same value there. Taken from the first present section of the first root; undefined if there is none.
   */
  get vmemmapBase(): bigint | undefined {
    for (let nr = 0n; nr < this.sectionsPerRoot; nr++) {
      const map = this.sectionMemMap(nr);
      if (map & SECTION_MARKED_PRESENT) return map & SECTION_MAP_MASK;
    }
    return undefined;
  }

  /** Reads a struct page; unreadable bytes count as zero, as crash's fill_mem_map_cache() does. */
  readPage(addr: bigint): PageStruct {
    let bytes: Uint8Array;
    try {
      bytes = this.kmem.read(kv(addr), this.sizeofPage);
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      bytes = new Uint8Array(this.sizeofPage);
    }
    const view = dataView(bytes);
    return {
      addr,
      flags: view.getBigUint64(this.flagsOffset, true),
      count: view.getInt32(this.countOffset, true),
      mapping: view.getBigUint64(this.mappingOffset, true),
      index: view.getBigUint64(this.indexOffset, true),
    };
  }

  /**
   * Page-flag names in crash's order: the kernel's pageflag_names[] (what crash reads) when the symbol table
   * knows where it is; else the v4.20+ layout if VMCOREINFO's NUMBER(PG_*) agree with it; else none (crash's
   * PAGE line then shows the flags in hex only, which is what crash prints without page-flag data too).
   */
  flagNames(): { source: PageFlagSource; flags: PageFlag[] } {
    this.flagTable ??= this.readPageflagNames() ?? this.layoutFromVmcoreinfo() ?? { source: 'none', flags: [] };
    return this.flagTable;
  }

  /** crash's translate_page_flags(): "%lx" then " name,name...". */
  formatFlags(flags: bigint): string {
    let out = flags.toString(16);
    if (flags === 0n) return out;
    let others = 0;
    for (const f of this.flagNames().flags) {
      if ((flags & f.mask) !== 0n) out += `${others++ ? ',' : ' '}${f.name}`;
    }
    return out;
  }

  private readPageflagNames(): { source: PageFlagSource; flags: PageFlag[] } | undefined {
    const at = this.symbols?.lookup('pageflag_names');
    if (at === undefined) return undefined;
    // struct trace_print_flags { unsigned long mask; const char *name; }, ended by { 0, NULL } (v4.6+) or
    // { -1, NULL } (earlier).
    const flags: PageFlag[] = [];
    try {
      for (let i = 0n; i < 64n; i++) {
        const mask = this.kmem.readU64(kv(at + i * 16n));
        const name = this.kmem.readU64(kv(at + i * 16n + 8n));
        if (name === 0n) break;
        flags.push({ mask, name: this.kmem.readCString(kv(name), 64) });
      }
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      return undefined;
    }
    return flags.length > 0 ? { source: 'pageflag_names', flags } : undefined;
  }

  private layoutFromVmcoreinfo(): { source: PageFlagSource; flags: PageFlag[] } | undefined {
    for (const [name, want] of V4_20_ANCHORS) if (this.info.tryNumber(name) !== want) return undefined;
    const flags = V4_20_PAGEFLAG_NAMES.map(([bit, name]) => ({ mask: 1n << BigInt(bit), name }));
    // NUMBER(PG_hwpoison) (CONFIG_MEMORY_FAILURE) fixes the next entries: 23 means PG_uncached sits at 22.
    const hwpoison = this.info.tryNumber('PG_hwpoison');
    if (hwpoison === 23n) flags.push({ mask: 1n << 22n, name: 'uncached' });
    if (hwpoison === 22n || hwpoison === 23n) flags.push({ mask: 1n << hwpoison, name: 'hwpoison' });
    return { source: 'vmcoreinfo-layout', flags };
  }
}
