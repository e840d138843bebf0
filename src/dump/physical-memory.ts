// The one interface every dump format implements: physical memory by page frame, plus the notes a dump
// carries (per-CPU registers, VMCOREINFO). Formats only decode pages; reading arbitrary byte ranges is
// written once here over readPage().
import { type PhysAddr, phys } from '../addr.ts';
import { PageMissing, type PageMissingReason } from '../errors.ts';

export type PageState = 'present' | PageMissingReason;

/** x86-64 register set from an NT_PRSTATUS note (struct elf_prstatus.pr_reg = struct user_regs_struct). */
export interface CpuRegisters {
  r15: bigint; r14: bigint; r13: bigint; r12: bigint; rbp: bigint; rbx: bigint; r11: bigint; r10: bigint;
  r9: bigint; r8: bigint; rax: bigint; rcx: bigint; rdx: bigint; rsi: bigint; rdi: bigint; orig_rax: bigint;
  rip: bigint; cs: bigint; eflags: bigint; rsp: bigint; ss: bigint; fs_base: bigint; gs_base: bigint;
  ds: bigint; es: bigint; fs: bigint; gs: bigint;
}

export interface PrStatus {
  /** pr_pid: the task's pid (kdump), or the CPU index + 1 (QEMU). */
  pid: number;
  regs: CpuRegisters;
}

/** QEMU's own per-CPU note ("QEMU", QEMUCPUState): carries the control registers, CR3 among them. */
export interface QemuCpuState {
  regs: CpuRegisters;
  cr0: bigint; cr2: bigint; cr3: bigint; cr4: bigint;
  kernelGsBase: bigint;
}

export interface DumpNotes {
  /** The raw VMCOREINFO text, if the dump has it. */
  vmcoreinfo?: string;
  /** NT_PRSTATUS notes in file order: one per CPU that saved its registers. */
  prstatus: PrStatus[];
  /** QEMU CPU-state notes in file order (QEMU ELF dumps only). */
  qemuCpus: QemuCpuState[];
}

export interface PhysicalMemory {
  /** Short format name, e.g. "ELF", "KDUMP (lzo)", "flattened KDUMP (zlib)". */
  readonly format: string;
  /** The file name(s), for messages. */
  readonly fileName: string;
  readonly pageSize: number;
  /** One past the highest page frame the dump describes. */
  readonly maxPfn: bigint;
  /** True when the dump says it is incomplete (makedumpfile ran out of space, kdump flagged it). */
  readonly incomplete: boolean;
  /** True for makedumpfile-filtered dumps (crash prints "[PARTIAL DUMP]"). */
  readonly partial: boolean;
  readonly notes: DumpNotes;
  pageState(pfn: bigint): PageState;
  /** Copies page `pfn` into `out` (pageSize bytes), or throws PageMissing / PageCorrupt. */
  readPage(pfn: bigint, out: Uint8Array): void;
  /** Bytes at a physical address, across pages. Throws PageMissing naming the first page missing. */
  read(addr: PhysAddr, length: number): Uint8Array;
  /** Extra lines for "help -D"-style descriptions. */
  describe(): string[];
}

/**
 * Base for page-oriented formats: subclasses implement pageState() and readPage(); read() is built on them
 * with a small page cache (decompression is the expensive part).
 */
export abstract class PagedMemory implements PhysicalMemory {
  abstract readonly format: string;
  abstract readonly fileName: string;
  readonly pageSize: number = 4096;
  abstract readonly maxPfn: bigint;
  abstract readonly incomplete: boolean;
  abstract readonly partial: boolean;
  abstract readonly notes: DumpNotes;
  abstract pageState(pfn: bigint): PageState;
  abstract readPage(pfn: bigint, out: Uint8Array): void;
  describe(): string[] {
    return [];
  }

  private readonly pageCache = new Map<bigint, Uint8Array>();
  private static readonly CACHED_PAGES = 256;

  /** A page, through the cache. The result is shared: do not modify it. */
  page(pfn: bigint): Uint8Array {
    let p = this.pageCache.get(pfn);
    if (p) {
      this.pageCache.delete(pfn);
      this.pageCache.set(pfn, p);
      return p;
    }
    p = new Uint8Array(this.pageSize);
    this.readPage(pfn, p);
    if (this.pageCache.size >= PagedMemory.CACHED_PAGES) this.pageCache.delete(this.pageCache.keys().next().value as bigint);
    this.pageCache.set(pfn, p);
    return p;
  }

  read(addr: PhysAddr, length: number): Uint8Array {
    const size = BigInt(this.pageSize);
    const pfn = addr / size;
    const within = Number(addr % size);
    if (within + length <= this.pageSize) return this.page(pfn).subarray(within, within + length);
    const out = new Uint8Array(length);
    let done = 0;
    for (let p = pfn; done < length; p++) {
      const from = done === 0 ? within : 0;
      const n = Math.min(this.pageSize - from, length - done);
      out.set(this.page(p).subarray(from, from + n), done);
      done += n;
    }
    return out;
  }
}

export function missing(mem: PhysicalMemory, pfn: bigint, reason: PageMissingReason, detail = ''): PageMissing {
  return new PageMissing(pfn, reason, mem.fileName, detail);
}

export const pfnOf = (addr: PhysAddr, pageSize = 4096): bigint => addr / BigInt(pageSize);
export const addrOf = (pfn: bigint, pageSize = 4096): PhysAddr => phys(pfn * BigInt(pageSize));
