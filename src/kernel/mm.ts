// A process's address space as crash's vm command reads it: the VMAs of an mm_struct, each with its range,
// vm_flags and backing file, plus the user page-table walk (crash's x86_64 uvtop) for `vm -p`. Kernel
// differences are found by feature:
//   - the VMAs: mm->mm_mt, a maple tree (Linux commit d4af56c5c7c6 "mm: start tracking VMAs with maple
//     tree", v6.1; mm->mmap went in commit 763ecb035029 "mm: remove the vma linked list", v6.1), walked as
//     crash walks it, else the mm->mmap list through vm_next;
//   - vm_flags: read at its own size (unsigned long, or a vm_flags_t that was once a short);
//   - vm_pgoff (v2.5+) for a file offset, else vm_offset.
import { phys } from '../addr.ts';
import type { PhysicalMemory } from '../dump/physical-memory.ts';
import { CrashlensError } from '../errors.ts';
import { MAX_LIST_ENTRIES, type Program } from '../program/program.ts';
import { type Type, memberOffset, sizeOf } from '../types/type.ts';
import { type Buf, fsOf } from './fs.ts';
import { KernelReadError } from './readmem.ts';
import { mapleEntries, mapleLayout } from './maple-tree.ts';

export interface Vma {
  address: bigint;
  start: bigint;
  end: bigint;
  flags: bigint;
  file: bigint;
  mm: bigint;
  pgoff: bigint | undefined;
}

interface VmaLayout {
  size: number;
  start: number;
  end: number;
  flags: number;
  flagsSize: number;
  file: number;
  mm: number;
  next: number | undefined;
  pgoff: number | undefined;
  offset: number | undefined;
}

/** What the list of an mm's VMAs came with: crash's messages about a damaged maple tree. */
export interface VmaList {
  vmas: bigint[];
  warnings: string[];
}

export class Mm {
  private vmaL: VmaLayout | undefined;
  private readonly mmType: Type;

  constructor(readonly prog: Program) {
    this.mmType = prog.type('struct mm_struct');
  }

  private get vmaLayout(): VmaLayout {
    if (this.vmaL) return this.vmaL;
    const t = this.prog.type('struct vm_area_struct');
    const o = (p: string): number | undefined => memberOffset(t, p)?.offset;
    const need = (p: string): number => {
      const x = o(p);
      if (x === undefined) throw new CrashlensError(`vm_area_struct has no member ${p}`);
      return x;
    };
    const flags = memberOffset(t, 'vm_flags');
    if (!flags) throw new CrashlensError('vm_area_struct has no member vm_flags');
    return (this.vmaL = {
      size: sizeOf(t) ?? 0,
      start: need('vm_start'),
      end: need('vm_end'),
      flags: flags.offset,
      flagsSize: sizeOf(flags.type) ?? 8,
      file: need('vm_file'),
      mm: need('vm_mm'),
      next: o('vm_next'),
      pgoff: o('vm_pgoff'),
      offset: o('vm_offset'),
    });
  }

  /** mm_struct member offset, if the member exists. */
  offset(path: string): number | undefined {
    return memberOffset(this.mmType, path)?.offset;
  }

  /** Does this kernel keep VMAs in a maple tree (and no mmap list)? */
  usesMapleTree(): boolean {
    return this.offset('mmap') === undefined && this.offset('mm_mt') !== undefined;
  }

  /** The mm's VMAs in address order, as crash's vm_area_dump() finds them. */
  vmaList(mm: bigint): VmaList {
    if (this.usesMapleTree()) {
      const layout = mapleLayout(this.prog);
      if (!layout) throw new CrashlensError('the kernel has mm_struct.mm_mt but no maple tree types');
      const walk = mapleEntries(this.prog.memory, layout, mm + BigInt(this.offset('mm_mt')!));
      return { vmas: walk.entries.map((e) => e.value), warnings: walk.warnings };
    }
    const mmap = this.offset('mmap');
    const next = this.vmaLayout.next;
    if (mmap === undefined || next === undefined) throw new CrashlensError('mm_struct has neither mm_mt nor mmap');
    const out: bigint[] = [];
    let vma = fsOf(this.prog).readPtr(mm + BigInt(mmap), 'mm_struct mmap');
    while (vma && out.length < MAX_LIST_ENTRIES) {
      out.push(vma);
      vma = this.readVmaBuf(vma).u64(next);
    }
    return { vmas: out, warnings: [] };
  }

  /** fill_vma_cache(). */
  readVmaBuf(vma: bigint): Buf {
    return fsOf(this.prog).readmem(vma, this.vmaLayout.size, 'fill_vma_cache');
  }

  readVma(vma: bigint): Vma {
    const L = this.vmaLayout;
    const b = this.readVmaBuf(vma);
    const flags = L.flagsSize === 2 ? BigInt(b.u16(L.flags)) : L.flagsSize === 4 ? BigInt(b.u32(L.flags)) : b.u64(L.flags);
    return {
      address: vma,
      start: b.u64(L.start),
      end: b.u64(L.end),
      flags,
      file: b.u64(L.file),
      mm: b.u64(L.mm),
      pgoff: L.pgoff !== undefined ? b.u64(L.pgoff) : undefined,
    };
  }

  /** The path of a VMA's file (crash's handle_each_vm_area(): the file's f_path, no devtmpfs rule). */
  vmaFilePath(v: Vma): { path: string; dentry: bigint } {
    if (!v.file) return { path: '', dentry: 0n };
    const fs = fsOf(this.prog);
    const fileBuf = fs.readFile(v.file);
    const dentry = fileBuf.u64(fs.file.dentry);
    if (!dentry) return { path: '', dentry };
    fs.readDentry(dentry);
    return { path: fs.filePathPlain(fileBuf, dentry), dentry };
  }

  /** crash's vma_file_offset(): "<path>  OFFSET: <hex>" for a file-backed page, else undefined. */
  fileOffset(v: Vma, vaddr: bigint): string | undefined {
    const { path } = this.vmaFilePath(v);
    if (!path) return undefined;
    const L = this.vmaLayout;
    let offset: bigint;
    if (L.offset !== undefined) {
      const vmOffset = this.readVmaBuf(v.address).u64(L.offset);
      offset = (vaddr & ~0xfffn) - v.start + vmOffset;
    } else if (v.pgoff !== undefined) offset = (((vaddr - v.start) >> 12n) + v.pgoff) << 12n;
    else return undefined;
    return `${path}  OFFSET: ${BigInt.asUintN(64, offset).toString(16)}`;
  }

  /** mm->pgd. */
  pgd(mm: bigint): bigint {
    const o = this.offset('pgd');
    if (o === undefined) throw new CrashlensError('mm_struct has no member pgd');
    return fsOf(this.prog).readPtr(mm + BigInt(o), 'mm_struct pgd');
  }

  mmCount(mm: bigint): number {
    const o = this.offset('mm_count');
    if (o === undefined) return 1;
    return fsOf(this.prog).readmem(mm + BigInt(o), 4, 'mm_struct mm_count').i32(0);
  }
}

const _PAGE_PRESENT = 0x001n;
const _PAGE_PSE = 0x080n;
const _PAGE_PROTNONE = 0x100n;
/** x86-64 PHYSICAL_PAGE_MASK: bits 12-51 (__PHYSICAL_MASK_SHIFT 52). */
const PHYSICAL_PAGE_MASK = 0x000ffffffffff000n;

export interface UserTranslation {
  /** The physical address when the page is mapped. */
  phys?: bigint;
  /** The PTE when the last level has an entry that is not present (a swap entry, say). */
  pte?: bigint;
}

/**
 * crash's x86_64_uvtop_level4(): a user address through the page tables rooted at the mm's pgd, 4- or 5-level.
 * A PMD or PTE entry counts as present with _PAGE_PRESENT or _PAGE_PROTNONE; a 1 GiB or 2 MiB entry maps
 * its page. Returns the non-present PTE for crash's swap lookup.
 */
export function uvtop(mem: Pick<PhysicalMemory, 'read'>, pgdPhys: bigint, levels: 4 | 5, vaddr: bigint, smeMask = 0n): UserTranslation {
  const entry = (table: bigint, index: bigint, what: string): bigint => {
    const base = table & PHYSICAL_PAGE_MASK & ~smeMask;
    let b: Uint8Array;
    try {
      b = mem.read(phys(base + index * 8n), 8);
    } catch (e) {
      // crash reads the whole table page (FILL_PGD...): the error names the page.
      if (e instanceof CrashlensError) throw new KernelReadError(base, what, e, 'physical');
      throw e;
    }
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
    return v & ~smeMask;
  };
  const idx = (shift: bigint): bigint => (vaddr >> shift) & 511n;
  const pgdShift = levels === 5 ? 48n : 39n;
  const pgd = entry(pgdPhys, idx(pgdShift), 'pgd page');
  if (!(pgd & _PAGE_PRESENT)) return {};
  let pudTable = pgd;
  if (levels === 5) {
    const p4d = entry(pgd, idx(39n), 'p4d page');
    if (!(p4d & _PAGE_PRESENT)) return {};
    pudTable = p4d;
  }
  const pud = entry(pudTable, idx(30n), 'pud page');
  if (!(pud & _PAGE_PRESENT)) return {};
  if (pud & _PAGE_PSE) return { phys: (pud & PHYSICAL_PAGE_MASK & ~((1n << 30n) - 1n)) + (vaddr & ((1n << 30n) - 1n)) };
  const pmd = entry(pud, idx(21n), 'pmd page');
  if (!(pmd & (_PAGE_PRESENT | _PAGE_PROTNONE))) return {};
  if (pmd & _PAGE_PSE) return { phys: (pmd & PHYSICAL_PAGE_MASK & ~((1n << 21n) - 1n)) + (vaddr & ((1n << 21n) - 1n)) };
  const pte = entry(pmd, idx(12n), 'page table');
  if (!(pte & (_PAGE_PRESENT | _PAGE_PROTNONE))) return { pte };
  return { phys: (pte & PHYSICAL_PAGE_MASK) + (vaddr & 0xfffn) };
}

const perProgram = new WeakMap<Program, Mm>();

export function mmOfProgram(prog: Program): Mm {
  let m = perProgram.get(prog);
  if (!m) {
    m = new Mm(prog);
    perProgram.set(prog, m);
  }
  return m;
}

/** crash's do_vm_flags() names, in its order; `growsUp` when the kernel has expand_upwards, `hugePage` when mm_struct has pmd_huge_pte. */
export function vmFlagNames(flags: bigint, kernel: { growsUp: boolean; hugePage: boolean }): string[] {
  const out: string[] = [];
  const has = (bit: bigint): boolean => (flags & bit) !== 0n;
  const names: [bigint, string][] = [
    [0x1n, 'READ'], [0x2n, 'WRITE'], [0x4n, 'EXEC'], [0x8n, 'SHARED'], [0x10n, 'MAYREAD'], [0x20n, 'MAYWRITE'], [0x40n, 'MAYEXEC'],
    [0x80n, 'MAYSHARE'], [0x100n, 'GROWSDOWN'],
  ];
  for (const [b, n] of names) if (has(b)) out.push(n);
  if (kernel.growsUp) {
    if (has(0x200n)) out.push('GROWSUP');
  } else if (has(0x200n)) out.push('NOHUGEPAGE');
  // 0x400 was VM_SHM before Linux 2.6.18, VM_PFNMAP since; crash names it by version, always PFNMAP here.
  if (has(0x400n)) out.push('PFNMAP');
  const more: [bigint, string][] = [
    [0x800n, 'DENYWRITE'], [0x1000n, 'EXECUTABLE'], [0x2000n, 'LOCKED'], [0x4000n, 'IO'], [0x8000n, 'SEQ_READ'], [0x10000n, 'RAND_READ'],
    [0x20000n, 'DONTCOPY'], [0x40000n, 'DONTEXPAND'], [0x80000n, 'RESERVED'], [0x400000n, 'HUGETLB'], [0x100000n, 'ACCOUNT'],
    [0x800000n, 'NONLINEAR'],
  ];
  for (const [b, n] of more) if (has(b)) out.push(n);
  if (has(0x1000000n)) out.push(kernel.hugePage ? 'HUGEPAGE' : 'MAPPED_COPY');
  const rest: [bigint, string][] = [
    [0x2000000n, 'INSERTPAGE'], [0x4000000n, 'ALWAYSDUMP'], [0x8000000n, 'CAN_NONLINEAR'], [0x10000000n, 'MIXEDMAP'], [0x20000000n, 'SAO'],
    [0x40000000n, 'PFN_AT_MMAP'], [0x80000000n, 'MERGEABLE'],
  ];
  for (const [b, n] of rest) if (has(b)) out.push(n);
  return out;
}

