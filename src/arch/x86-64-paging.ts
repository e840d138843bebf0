// x86-64 kernel address translation over a dump's physical memory. The walk itself runs in WASM
// (assembly/x86-64-paging.ts), reading entries back through the host; this layer holds the layout facts
// (root table, paging depth, kernel-text and direct-map offsets), a small translation cache, and turns a
// failed walk into a PageNotPresent naming level, index and raw entry.
import { type KVAddr, type PhysAddr, kv, phys } from '../addr.ts';
import { wasm, setWasmHost } from '../codec/wasm.ts';
import { dataView } from '../io/byte-source.ts';
import { PageNotPresent, PAGING_LEVEL_NAMES, VmcoreinfoError } from '../errors.ts';
import type { PhysicalMemory } from '../dump/physical-memory.ts';
import type { Vmcoreinfo } from '../vmcoreinfo.ts';
import type { KernelMemory } from './kernel-memory.ts';

/** Start of the kernel-text mapping (arch/x86/include/asm/page_64_types.h). */
export const START_KERNEL_MAP = 0xffffffff80000000n;
const DEFAULT_PAGE_OFFSET_4 = 0xffff888000000000n;
const DEFAULT_PAGE_OFFSET_5 = 0xff11000000000000n;

export interface WalkStep {
  /** 'PGD' (the top level, whatever the depth), 'P4D', 'PUD', 'PMD', 'PTE'. */
  level: string;
  entryAddr: PhysAddr;
  entry: bigint;
}

export interface Walk {
  vaddr: KVAddr;
  /** Physical address of the top-level table. */
  root: PhysAddr;
  steps: WalkStep[];
  /** Set when the walk reached a page: the address and the page size. */
  phys?: PhysAddr;
  pageSize?: number;
}

type WalkFn = (root: bigint, vaddr: bigint, levels: number, clearMask: bigint) => number;

export class X86_64AddressSpace implements KernelMemory {
  readonly levels: 4 | 5;
  readonly physBase: bigint;
  readonly kernelOffset: bigint;
  readonly smeMask: bigint;
  /** Physical address of the kernel's top-level page table (init_top_pgt). */
  readonly root: PhysAddr;
  /** Virtual address of that table, for display. */
  readonly rootVirt: KVAddr;
  private pageOffsetCache: bigint | undefined;
  private readonly tlb = new Map<bigint, bigint>();
  private static readonly TLB_ENTRIES = 4096;

  constructor(readonly mem: PhysicalMemory, readonly info: Vmcoreinfo) {
    this.levels = info.tryNumber('pgtable_l5_enabled') === 1n ? 5 : 4;
    // NUMBER(phys_base) is printed signed ("%ld"): a kernel loaded below its link address has a negative one.
    this.physBase = BigInt.asUintN(64, info.tryNumber('phys_base') ?? 0n);
    this.kernelOffset = info.kernelOffset;
    this.smeMask = BigInt.asUintN(64, info.tryNumber('sme_mask') ?? 0n);
    const top = info.trySymbol('init_top_pgt') ?? info.trySymbol('swapper_pg_dir');
    if (top === undefined) throw new VmcoreinfoError('VMCOREINFO names neither init_top_pgt nor swapper_pg_dir: cannot find the kernel page tables');
    this.rootVirt = top;
    this.root = this.textToPhys(top);
  }

  /** Kernel text/data addresses map linearly: vaddr - __START_KERNEL_map + phys_base. */
  isKernelText(addr: bigint): boolean {
    return addr >= START_KERNEL_MAP;
  }

  textToPhys(addr: KVAddr): PhysAddr {
    return phys(BigInt.asUintN(64, addr - START_KERNEL_MAP + this.physBase));
  }

  /**
   * The walk, step by step. Never throws for a missing entry (the steps say where it stopped); a page-table
   * page missing from the dump throws PageMissing.
   */
  walk(vaddr: KVAddr): Walk {
    const w = wasm();
    setWasmHost(this.host);
    const shift = (w.x86_64_walk as WalkFn)(this.root, vaddr, this.levels, this.smeMask);
    const stepAt = w.walk_entry_addr as (l: number) => bigint;
    const stepVal = w.walk_entry as (l: number) => bigint;
    const lowest = shift >= 0 ? (shift - 12) / 9 : (w.walk_failed_level as () => number)();
    const steps: WalkStep[] = [];
    for (let level = this.levels - 1; level >= lowest; level--) {
      steps.push({
        level: level === this.levels - 1 ? 'PGD' : PAGING_LEVEL_NAMES[level],
        entryAddr: phys(BigInt.asUintN(64, stepAt(level))),
        entry: BigInt.asUintN(64, stepVal(level)),
      });
    }
    const result: Walk = { vaddr, root: this.root, steps };
    if (shift >= 0) {
      result.phys = phys(BigInt.asUintN(64, (w.walk_phys as () => bigint)()));
      result.pageSize = 2 ** shift;
    }
    return result;
  }

  private readonly host = {
    readPhysU64: (addr: bigint): bigint => {
      const b = this.mem.read(phys(BigInt.asUintN(64, addr)), 8);
      return dataView(b).getBigUint64(0, true);
    },
  };

  translate(addr: KVAddr): PhysAddr {
    const page = addr >> 12n;
    const cached = this.tlb.get(page);
    if (cached !== undefined) return phys(cached | (addr & 0xfffn));
    const w = this.walk(addr);
    if (w.phys === undefined) {
      const last = w.steps[w.steps.length - 1];
      const levelIndex = this.levels - w.steps.length;
      const index = Number((addr >> BigInt(12 + 9 * levelIndex)) & 511n);
      throw new PageNotPresent(addr, last.level, index, last.entry);
    }
    if (this.tlb.size >= X86_64AddressSpace.TLB_ENTRIES) this.tlb.clear();
    this.tlb.set(page, w.phys & ~0xfffn);
    return w.phys;
  }

  /**
   * The direct map's base (page_offset_base; randomized under KASLR). Found from an address VMCOREINFO
   * gives inside the direct map (mem_section, allocated from memblock), walked to its physical address.
   */
  get pageOffset(): bigint {
    if (this.pageOffsetCache !== undefined) return this.pageOffsetCache;
    let base = this.levels === 5 ? DEFAULT_PAGE_OFFSET_5 : DEFAULT_PAGE_OFFSET_4;
    const probe = this.info.trySymbol('mem_section');
    if (probe !== undefined && !this.isKernelText(probe)) {
      try {
        const pa = this.translate(probe);
        // The direct map is aligned to 1 GiB (PUD) under KASLR (arch/x86/mm/kaslr.c).
        base = (probe - pa) & ~((1n << 30n) - 1n);
      } catch {
        /* keep the default */
      }
    }
    this.pageOffsetCache = base;
    return base;
  }

  /** Physical → direct-map virtual (crash's ptov). */
  ptov(addr: PhysAddr): KVAddr {
    return kv(this.pageOffset + addr);
  }

  read(addr: KVAddr, length: number): Uint8Array {
    const within = Number(addr & 0xfffn);
    if (within + length <= 4096) return this.mem.read(this.translate(addr), length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = kv(addr + BigInt(done));
      const n = Math.min(4096 - Number(a & 0xfffn), length - done);
      out.set(this.mem.read(this.translate(a), n), done);
      done += n;
    }
    return out;
  }

  readU8(addr: KVAddr): number {
    return this.read(addr, 1)[0];
  }
  readU16(addr: KVAddr): number {
    return dataView(this.read(addr, 2)).getUint16(0, true);
  }
  readU32(addr: KVAddr): number {
    return dataView(this.read(addr, 4)).getUint32(0, true);
  }
  readU64(addr: KVAddr): bigint {
    return dataView(this.read(addr, 8)).getBigUint64(0, true);
  }

  readCString(addr: KVAddr, max = 4096): string {
    const bytes: number[] = [];
    for (let a = addr; bytes.length < max; ) {
      const n = Math.min(4096 - Number(a & 0xfffn), max - bytes.length);
      const chunk = this.read(a, n);
      const nul = chunk.indexOf(0);
      const take = nul < 0 ? chunk : chunk.subarray(0, nul);
      for (const b of take) bytes.push(b);
      if (nul >= 0) break;
      a = kv(a + BigInt(n));
    }
    return new TextDecoder('latin1').decode(new Uint8Array(bytes));
  }
}
