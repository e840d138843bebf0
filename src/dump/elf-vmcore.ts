// ELF64 little-endian x86-64 core files: a copy of kdump's /proc/vmcore, makedumpfile -E output (filtered
// ELF), and QEMU dump-guest-memory's ELF. PT_LOAD segments map physical ranges (p_paddr) to file ranges;
// PT_NOTE segments hold the CPU registers and VMCOREINFO.
//
// Page states:
// - bytes [p_filesz, p_memsz) of a segment are 'excluded': only makedumpfile -E writes such tails, for runs
//   of 256+ pages it filtered out (crash reads them as zeros; we say what they are, as the KDUMP twin does);
// - segment data past the end of the file is 'lost' (a truncated copy); the rest of the file still reads;
// - anything outside every segment is 'absent'.
// Segments need not be page-aligned (kdump's first segment often ends at 0x9fc00): a page partly covered by
// file data is 'present', and its uncovered bytes read as zero.
import { DumpFormatError } from '../errors.ts';
import type { ByteSource } from '../io/byte-source.ts';
import { Fields, hex, readStruct } from './binary.ts';
import { type Container, type DumpFile, isSparse, type SparseSource } from './dump-file.ts';
import { describeNotes, emptyNotes, MAX_NOTES_BYTES, parseNotes, type ParsedNotes } from './elf-notes.ts';
import { paint, pieceAt, type Piece } from './intervals.ts';
import { missing, PagedMemory, type PageState } from './physical-memory.ts';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
const ET_CORE = 4;
const EM_X86_64 = 62;
const PT_LOAD = 1;
const PT_NOTE = 4;
const PN_XNUM = 0xffff;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
/** makedumpfile sets this e_flags bit when it ran out of space (DUMP_ELF_INCOMPLETE). */
export const DUMP_ELF_INCOMPLETE = 0x1;
/** More program headers than any real dump has (one per memory range): refuse rather than allocate. */
const MAX_PHNUM = 1 << 22;
/** Physical addresses must fit a JS number; x86-64 has at most 52 physical address bits. */
const MAX_PADDR = 2 ** 53;

export interface ElfSegment {
  index: number;
  type: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  flags: number;
  align: bigint;
}

interface ElfHeader {
  type: number;
  machine: number;
  phoff: number;
  shoff: bigint;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  rawPhnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

/** One physical range of a PT_LOAD: either file-backed or the excluded p_memsz tail. */
interface Range {
  paddr: number;
  /** File offset of `paddr`'s byte, or -1 for an excluded tail. */
  fileOffset: number;
  seg: number;
}

export class ElfVmcore extends PagedMemory implements DumpFile {
  readonly format: string;
  readonly fileName: string;
  readonly maxPfn: bigint;
  readonly incomplete: boolean;
  /**
   * crash prints "[PARTIAL DUMP]" only for KDUMP files (from dump_level), never for ELF, not even a
   * makedumpfile -E one (see the fixtures' sys.txt): so false here. `filtered` says whether pages were cut.
   */
  readonly partial = false;
  /** Some PT_LOAD has p_memsz > p_filesz: makedumpfile -E left pages out. */
  readonly filtered: boolean;
  readonly notes: ParsedNotes;
  readonly warnings: string[];
  readonly segments: readonly ElfSegment[];

  private readonly ranges: Range[];
  private readonly pieces: Piece[];
  private readonly sparse?: SparseSource;

  private constructor(
    private readonly src: ByteSource,
    private readonly header: ElfHeader,
    segments: ElfSegment[],
    notes: ParsedNotes,
    warnings: string[],
    formatPrefix: string,
    private readonly container?: Container,
  ) {
    super();
    this.fileName = src.name;
    this.format = `${formatPrefix}ELF`;
    if (isSparse(src)) this.sparse = src;
    this.segments = segments;
    this.notes = notes;
    this.warnings = warnings;

    const starts: number[] = [];
    const ends: number[] = [];
    this.ranges = [];
    let filtered = false;
    let truncated = 0;
    for (const s of segments) {
      if (s.type !== PT_LOAD) continue;
      const filesz = s.filesz;
      if (filesz > s.memsz) {
        warnings.push(`${src.name}: PT_LOAD ${s.index} has p_filesz ${hex(s.filesz)} > p_memsz ${hex(s.memsz)}; using p_filesz as its size`);
      }
      const memsz = s.memsz > filesz ? s.memsz : filesz;
      if (s.paddr + memsz > BigInt(MAX_PADDR)) {
        warnings.push(`${src.name}: PT_LOAD ${s.index} (p_paddr ${hex(s.paddr)}, p_memsz ${hex(memsz)}) lies beyond any physical address; ignored`);
        continue;
      }
      if (memsz === 0n) continue;
      const paddr = Number(s.paddr);
      // A file offset that is not a safe number is certainly past the end of the file.
      const fileOffset = s.offset > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(s.offset);
      if (filesz > 0n) {
        this.ranges.push({ paddr, fileOffset, seg: s.index });
        starts.push(paddr);
        ends.push(paddr + Number(filesz));
        if (fileOffset + Number(filesz) > src.size) truncated++;
      }
      if (memsz > filesz) {
        filtered = true;
        this.ranges.push({ paddr: paddr + Number(filesz), fileOffset: -1, seg: s.index });
        starts.push(paddr + Number(filesz));
        ends.push(paddr + Number(memsz));
      }
    }
    // Where ranges overlap, file data beats an excluded tail, and an earlier segment beats a later one.
    const n = this.ranges.length;
    this.pieces = paint(starts, ends, (i) => (this.ranges[i]!.fileOffset >= 0 ? 2 * n : n) - i);
    const maxEnd = this.pieces.reduce((m, p) => Math.max(m, p.end), 0);
    this.maxPfn = BigInt(Math.ceil(maxEnd / this.pageSize));
    this.filtered = filtered;
    if (truncated > 0)
      warnings.push(`${src.name}: the file (${src.size} bytes) ends before the data of ${truncated} PT_LOAD segment(s): truncated; those pages are lost`);
    if (header.flags & DUMP_ELF_INCOMPLETE) warnings.push(`${src.name}: e_flags has DUMP_ELF_INCOMPLETE: makedumpfile did not finish writing this dump`);
    this.incomplete = (header.flags & DUMP_ELF_INCOMPLETE) !== 0 || truncated > 0 || (container?.truncated ?? false);
  }

  static open(src: ByteSource, opts: { formatPrefix?: string; container?: Container } = {}): ElfVmcore {
    const warnings: string[] = [...(opts.container?.warnings ?? [])];
    const header = parseHeader(src, warnings);
    const table = readStruct(src, header.phoff, header.phnum * header.phentsize, `program header table (${header.phnum} entries)`);
    const segments: ElfSegment[] = [];
    for (let i = 0; i < header.phnum; i++) {
      const at = i * header.phentsize;
      const f = new Fields(table.subarray(at, at + PHDR_SIZE), src.name, header.phoff + at);
      segments.push({
        index: i,
        type: f.u32(0),
        flags: f.u32(4),
        offset: f.u64(8),
        vaddr: f.u64(16),
        paddr: f.u64(24),
        filesz: f.u64(32),
        memsz: f.u64(40),
        align: f.u64(48),
      });
    }
    const notes = emptyNotes();
    let noteBudget = MAX_NOTES_BYTES; // across all PT_NOTEs: a damaged type field can make any segment one
    for (const s of segments) if (s.type === PT_NOTE) noteBudget -= readNoteSegment(src, s, notes, noteBudget);
    warnings.push(...notes.warnings);
    if (!segments.some((s) => s.type === PT_LOAD)) warnings.push(`${src.name}: no PT_LOAD segments: the dump holds no memory`);
    return new ElfVmcore(src, header, segments, notes, warnings, opts.formatPrefix ?? '', opts.container);
  }

  /** Pieces overlapping page `pfn`, as [first, end) indexes into this.pieces. */
  private overlapping(pageStart: number, pageEnd: number): [number, number] {
    let i = pieceAt(this.pieces, pageStart);
    if (i < 0 || this.pieces[i]!.end <= pageStart) i++;
    let j = i;
    while (j < this.pieces.length && this.pieces[j]!.start < pageEnd) j++;
    return [i, j];
  }

  private pageRange(pfn: bigint): [number, number] | null {
    if (pfn < 0n || pfn >= this.maxPfn) return null;
    const start = Number(pfn) * this.pageSize;
    return [start, start + this.pageSize];
  }

  pageState(pfn: bigint): PageState {
    const r = this.pageRange(pfn);
    if (!r) return 'absent';
    return this.stateOf(r[0], r[1]);
  }

  private stateOf(pageStart: number, pageEnd: number): PageState {
    const [i, j] = this.overlapping(pageStart, pageEnd);
    let present = false;
    let excluded = false;
    for (let k = i; k < j; k++) {
      const p = this.pieces[k]!;
      const range = this.ranges[p.ref]!;
      if (range.fileOffset < 0) {
        excluded = true;
        continue;
      }
      const from = Math.max(p.start, pageStart);
      const to = Math.min(p.end, pageEnd);
      if (range.fileOffset + (to - range.paddr) > this.src.size) return 'lost';
      if (this.sparse && !this.sparse.covers(range.fileOffset + (from - range.paddr), to - from)) return 'lost';
      present = true;
    }
    return present ? 'present' : excluded ? 'excluded' : 'absent';
  }

  readPage(pfn: bigint, out: Uint8Array): void {
    const r = this.pageRange(pfn);
    if (!r) throw missing(this, pfn, 'absent', `beyond the last PT_LOAD segment (max pfn 0x${this.maxPfn.toString(16)})`);
    const [pageStart, pageEnd] = r;
    const state = this.stateOf(pageStart, pageEnd);
    if (state !== 'present') throw missing(this, pfn, state, this.why(state, pageStart, pageEnd));
    const [i, j] = this.overlapping(pageStart, pageEnd);
    // Pieces are disjoint and sorted: copy each, zeroing the bytes between them that no segment covers.
    let at = pageStart;
    for (let k = i; k < j; k++) {
      const p = this.pieces[k]!;
      const range = this.ranges[p.ref]!;
      if (range.fileOffset < 0) continue;
      const from = Math.max(p.start, pageStart);
      const to = Math.min(p.end, pageEnd);
      out.fill(0, at - pageStart, from - pageStart);
      out.set(this.src.read(range.fileOffset + (from - range.paddr), to - from), from - pageStart);
      at = to;
    }
    out.fill(0, at - pageStart, this.pageSize);
  }

  private why(state: PageState, pageStart: number, pageEnd: number): string {
    const [i, j] = this.overlapping(pageStart, pageEnd);
    const seg = i < j ? this.ranges[this.pieces[i]!.ref]!.seg : -1;
    if (state === 'lost') return `PT_LOAD ${seg}'s data lies past the end of the file (${this.src.size} bytes): truncated`;
    if (state === 'excluded') return `in PT_LOAD ${seg}'s p_memsz beyond p_filesz: filtered out by makedumpfile`;
    return 'not in any PT_LOAD segment';
  }

  override describe(): string[] {
    const h = this.header;
    const out = [
      `format: ${this.format}${this.filtered ? ' (filtered: some p_memsz > p_filesz)' : ''}`,
      ...(this.container?.describe() ?? []),
      `file: ${this.fileName} (${this.src.size} bytes)`,
      `e_type: ${h.type} (ET_CORE)  e_machine: ${h.machine} (EM_X86_64)  e_flags: ${hex(h.flags)}${h.flags & DUMP_ELF_INCOMPLETE ? ' (DUMP_ELF_INCOMPLETE)' : ''}`,
      `e_phoff: ${hex(h.phoff)}  e_phentsize: ${h.phentsize}  e_phnum: ${h.rawPhnum === PN_XNUM ? `PN_XNUM (${h.phnum} from section header 0)` : h.phnum}`,
      `e_shoff: ${hex(h.shoff)}  e_shentsize: ${h.shentsize}  e_shnum: ${h.shnum}  e_shstrndx: ${h.shstrndx}  e_ehsize: ${h.ehsize}`,
    ];
    for (const s of this.segments) {
      const type = s.type === PT_LOAD ? 'PT_LOAD' : s.type === PT_NOTE ? 'PT_NOTE' : `type ${hex(s.type)}`;
      out.push(
        `  [${s.index}] ${type} p_offset ${hex(s.offset)} p_vaddr ${hex(s.vaddr)} p_paddr ${hex(s.paddr)} p_filesz ${hex(s.filesz)} p_memsz ${hex(s.memsz)} p_flags ${hex(s.flags)} p_align ${hex(s.align)}`,
      );
    }
    out.push(`max pfn: ${hex(this.maxPfn)}  incomplete: ${this.incomplete}`);
    out.push(...describeNotes(this.notes));
    return out;
  }
}

function parseHeader(src: ByteSource, warnings: string[]): ElfHeader {
  if (src.size < EHDR_SIZE) throw new DumpFormatError(src.name, `too short for an ELF header (${src.size} bytes)`, 0);
  const b = readStruct(src, 0, EHDR_SIZE, 'ELF header');
  if (!ELF_MAGIC.every((m, i) => b[i] === m)) throw new DumpFormatError(src.name, 'not an ELF file (bad magic)', 0);
  if (b[4] !== 2) throw new DumpFormatError(src.name, `ELF class ${b[4]}: only 64-bit (ELFCLASS64) cores are supported`, 4);
  if (b[5] !== 1) throw new DumpFormatError(src.name, `ELF data encoding ${b[5]}: only little-endian x86-64 cores are supported`, 5);
  const f = new Fields(b, src.name, 0);
  const type = f.u16(16);
  if (type !== ET_CORE) throw new DumpFormatError(src.name, `ELF type ${type} is not ET_CORE (4): not a core dump`, 16);
  const machine = f.u16(18);
  if (machine !== EM_X86_64) throw new DumpFormatError(src.name, `ELF machine ${machine} is not x86-64 (62)`, 18);
  const phoffBig = f.u64(32);
  const shoff = f.u64(40);
  const h: ElfHeader = {
    type,
    machine,
    phoff: 0,
    shoff,
    flags: f.u32(48),
    ehsize: f.u16(52), // QEMU 7.2 writes 8 here; nobody needs it
    phentsize: f.u16(54),
    phnum: f.u16(56),
    rawPhnum: f.u16(56),
    shentsize: f.u16(58),
    shnum: f.u16(60),
    shstrndx: f.u16(62),
  };
  if (phoffBig >= BigInt(src.size)) throw new DumpFormatError(src.name, `e_phoff ${hex(phoffBig)} is past the end of the file (${src.size} bytes)`, 32);
  h.phoff = Number(phoffBig);
  if (h.phentsize < PHDR_SIZE) throw new DumpFormatError(src.name, `e_phentsize ${h.phentsize} is smaller than an Elf64_Phdr (56)`, 54);
  if (h.phnum === PN_XNUM) {
    // More than 0xfffe program headers: the real count is in section header 0's sh_info.
    if (h.shentsize < SHDR_SIZE || shoff === 0n || shoff + BigInt(SHDR_SIZE) > BigInt(src.size))
      throw new DumpFormatError(src.name, `e_phnum is PN_XNUM but section header 0 (e_shoff ${hex(shoff)}) cannot be read`, 40);
    const sh = new Fields(readStruct(src, Number(shoff), SHDR_SIZE, 'section header 0'), src.name, Number(shoff));
    h.phnum = sh.u32(44);
  }
  if (h.phnum === 0) warnings.push(`${src.name}: e_phnum is 0: no program headers`);
  if (h.phnum > MAX_PHNUM) throw new DumpFormatError(src.name, `${h.phnum} program headers is impossibly many`, 56);
  if (h.phoff + h.phnum * h.phentsize > src.size)
    throw new DumpFormatError(src.name, `the ${h.phnum} program headers at ${hex(h.phoff)} run past the end of the file (${src.size} bytes): truncated?`, h.phoff);
  return h;
}

function readNoteSegment(src: ByteSource, s: ElfSegment, notes: ParsedNotes, budget: number): number {
  if (s.filesz === 0n) return 0;
  if (s.offset >= BigInt(src.size)) {
    notes.warnings.push(`${src.name}: PT_NOTE ${s.index} at file offset ${hex(s.offset)} is past the end of the file (${src.size} bytes): notes lost`);
    return 0;
  }
  const offset = Number(s.offset);
  let size = s.filesz > BigInt(budget) ? budget : Number(s.filesz);
  if (s.filesz > BigInt(budget))
    notes.warnings.push(`${src.name}: PT_NOTE ${s.index} claims ${hex(s.filesz)} bytes; reading only ${budget} (notes are capped at ${MAX_NOTES_BYTES} bytes)`);
  if (offset + size > src.size) {
    notes.warnings.push(`${src.name}: PT_NOTE ${s.index} (${size} bytes at ${hex(offset)}) runs past the end of the file: truncated; reading what is there`);
    size = src.size - offset;
  }
  if (size > 0) parseNotes(src.read(offset, size), src.name, offset, notes);
  return size;
}
