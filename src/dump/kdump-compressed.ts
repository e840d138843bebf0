// makedumpfile's compressed KDUMP format (also QEMU's kdump-* output, once un-flattened, and the old
// "DISKDUMP" signature, which crash reads the same way). Layout, in blocks of block_size bytes:
//   block 0                      disk_dump_header
//   blocks 1 .. sub_hdr_size     kdump_sub_header, then the ELF notes and VMCOREINFO it points at
//   next bitmap_blocks           1st bitmap (pfn is RAM) then 2nd bitmap (pfn is dumped), each half
//   then                         one 24-byte page_desc per dumped pfn, in pfn order; then page data
// A pfn's descriptor index is the number of dumped pfns before it (a rank query on the 2nd bitmap).
// Page states: 2nd bitmap set -> 'present'; RAM but not dumped -> 'excluded'; not RAM -> 'absent';
// a descriptor or data that the file does not have (incomplete or truncated dump) -> 'lost'.
import { type CodecName, CodecError, decompress, hasCodec } from '../codec/codecs.ts';
import { DumpFormatError, PageCorrupt, UnsupportedCodec } from '../errors.ts';
import type { ByteSource } from '../io/byte-source.ts';
import { Fields, hex, readStruct } from './binary.ts';
import { FileBitmap } from './bitmap.ts';
import { type Container, type DumpFile, isSparse, type SparseSource } from './dump-file.ts';
import { describeNotes, emptyNotes, MAX_NOTES_BYTES, parseNotes, type ParsedNotes, vmcoreinfoText } from './elf-notes.ts';
import { missing, PagedMemory, type PageState } from './physical-memory.ts';

export const KDUMP_SIGNATURE = 'KDUMP   ';
export const DISKDUMP_SIGNATURE = 'DISKDUMP';

// disk_dump_header.status and page_desc.flags
export const DUMP_DH_COMPRESSED_ZLIB = 0x1;
export const DUMP_DH_COMPRESSED_LZO = 0x2;
export const DUMP_DH_COMPRESSED_SNAPPY = 0x4;
export const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8;
export const DUMP_DH_EXCLUDED_VMEMMAP = 0x10;
export const DUMP_DH_COMPRESSED_ZSTD = 0x20;

/** Checked in crash's order: a descriptor with several bits set decodes with the first. */
const PAGE_CODECS: readonly [number, CodecName][] = [
  [DUMP_DH_COMPRESSED_ZLIB, 'zlib'],
  [DUMP_DH_COMPRESSED_LZO, 'lzo'],
  [DUMP_DH_COMPRESSED_SNAPPY, 'snappy'],
  [DUMP_DH_COMPRESSED_ZSTD, 'zstd'],
];

const STATUS_NAMES: readonly [number, string][] = [
  [DUMP_DH_COMPRESSED_ZLIB, 'DUMP_DH_COMPRESSED_ZLIB'],
  [DUMP_DH_COMPRESSED_LZO, 'DUMP_DH_COMPRESSED_LZO'],
  [DUMP_DH_COMPRESSED_SNAPPY, 'DUMP_DH_COMPRESSED_SNAPPY'],
  [DUMP_DH_COMPRESSED_INCOMPLETE, 'DUMP_DH_COMPRESSED_INCOMPLETE'],
  [DUMP_DH_EXCLUDED_VMEMMAP, 'DUMP_DH_EXCLUDED_VMEMMAP'],
  [DUMP_DH_COMPRESSED_ZSTD, 'DUMP_DH_COMPRESSED_ZSTD'],
];

const HEADER_SIZE = 464; // sizeof(struct disk_dump_header) on x86-64
const SUB_HEADER_SIZE = 104; // sizeof(struct kdump_sub_header), version 6
const PAGE_DESC_SIZE = 24;
const UTS_FIELD = 65;
const KNOWN_VERSION = 6;

/** Decompresses `src` into `dst`, returning the bytes written (throws CodecError on bad data). */
export type PageDecoder = (codec: CodecName, src: Uint8Array, dst: Uint8Array) => number;

export interface Utsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

export interface DiskDumpHeader {
  signature: string;
  headerVersion: number;
  utsname: Utsname;
  timestamp: { sec: bigint; usec: bigint };
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: number;
  totalRamBlocks: number;
  deviceBlocks: number;
  writtenBlocks: number;
  currentCpu: number;
  nrCpus: number;
}

/** kdump_sub_header fields; those the header_version predates are undefined. */
export interface KdumpSubHeader {
  physBase: bigint;
  dumpLevel?: number;
  split?: number;
  startPfn?: bigint;
  endPfn?: bigint;
  offsetVmcoreinfo?: bigint;
  sizeVmcoreinfo?: bigint;
  offsetNote?: bigint;
  sizeNote?: bigint;
  offsetEraseinfo?: bigint;
  sizeEraseinfo?: bigint;
  startPfn64?: bigint;
  endPfn64?: bigint;
  maxMapnr64?: bigint;
}

export interface KdumpOptions {
  /** Prefix for the format name, e.g. "flattened ". */
  formatPrefix?: string;
  /** Page decompressor; defaults to the WASM codecs. */
  decode?: PageDecoder;
  /** What the file was read through (a flattened stream). */
  container?: Container;
}

/** Where a page is in the file, and why it is missing if it is. */
export interface Located {
  state: PageState;
  detail: string;
  descOffset?: number;
  dataOffset?: number;
  size?: number;
  flags?: number;
}

export class KdumpFile extends PagedMemory implements DumpFile {
  readonly format: string;
  readonly fileName: string;
  override readonly pageSize: number;
  readonly maxPfn: bigint;
  readonly partial: boolean;
  readonly notes: ParsedNotes;
  readonly warnings: string[];
  /** For a part of a split dump: the pfns [start, end) it holds. */
  readonly splitRange?: { start: bigint; end: bigint };

  private readonly maxPfnNum: number;
  private readonly ram: FileBitmap;
  private readonly dumped: FileBitmap;
  private readonly descStart: number;
  /** Descriptor index of the first pfn this file holds (rank of start_pfn for a split part). */
  private readonly rankBase: number;
  private readonly decode: PageDecoder;
  private readonly checkCodec: boolean;
  private readonly sparse?: SparseSource;
  private truncatedCache?: boolean;
  private readonly container?: Container;

  private constructor(
    private readonly src: ByteSource,
    readonly header: DiskDumpHeader,
    readonly sub: KdumpSubHeader | undefined,
    opts: KdumpOptions,
    warnings: string[],
  ) {
    super();
    const file = src.name;
    this.fileName = file;
    this.warnings = warnings;
    this.pageSize = header.blockSize;
    this.decode = opts.decode ?? decompress;
    this.checkCodec = opts.decode === undefined;
    this.container = opts.container;
    if (isSparse(src)) this.sparse = src;
    const isKdump = header.signature === KDUMP_SIGNATURE;
    const codec = PAGE_CODECS.find(([bit]) => header.status & bit)?.[1] ?? 'uncompressed';
    this.format = `${opts.formatPrefix ?? ''}${isKdump ? `KDUMP (${codec})` : 'DISKDUMP'}`;
    // crash's is_partial_diskdump(): dump_level > 0 (QEMU writes 1: it leaves out zero pages).
    this.partial = (sub?.dumpLevel ?? 0) > 0;

    // max_mapnr: the 64-bit copy from version 6 on.
    let maxMapnr = BigInt(header.maxMapnr);
    if (sub?.maxMapnr64 !== undefined) {
      if (sub.maxMapnr64 !== 0n) maxMapnr = sub.maxMapnr64;
      else warnings.push(`${file}: max_mapnr_64 is 0; using the 32-bit max_mapnr ${header.maxMapnr}`);
    }

    const bs = header.blockSize;
    const bitmapOffset = (1 + header.subHdrSize) * bs;
    const bitmapLength = header.bitmapBlocks * bs;
    // Two bitmaps when there is room for two of max_mapnr bits (crash's dump_is_partial()); otherwise the
    // one bitmap says both "RAM" and "dumped".
    // A max_mapnr too big even for one bitmap is itself damaged: assume the two every writer writes.
    const oneBitmapBytes = BigInt(Math.ceil(Number(maxMapnr) / 8 / bs) * bs);
    const two = BigInt(bitmapLength) >= 2n * oneBitmapBytes || oneBitmapBytes > BigInt(bitmapLength);
    const half = two ? bitmapLength / 2 : bitmapLength;
    this.ram = new FileBitmap(src, bitmapOffset, half);
    this.dumped = two ? new FileBitmap(src, bitmapOffset + half, half) : this.ram;
    if (!two) warnings.push(`${file}: bitmap_blocks ${header.bitmapBlocks} holds one bitmap of max_mapnr ${maxMapnr} bits: using it for both RAM and dumped pages`);
    const capacity = BigInt(half * 8);
    if (maxMapnr > capacity) {
      warnings.push(`${file}: max_mapnr ${maxMapnr} is more than the bitmap describes (${capacity} pages); pages beyond read as absent`);
      maxMapnr = capacity;
    }
    this.maxPfn = maxMapnr;
    this.maxPfnNum = Number(maxMapnr);
    this.descStart = bitmapOffset + bitmapLength;

    let rankBase = 0;
    if (isKdump && sub?.split) {
      const start = sub.startPfn64 ?? sub.startPfn ?? 0n;
      const end = sub.endPfn64 ?? sub.endPfn ?? 0n;
      // An empty part is real: makedumpfile --split cuts max_mapnr evenly, and the top may hold no RAM.
      if (start > end || start > maxMapnr)
        throw new DumpFormatError(file, `split dump part holds pfns ${hex(start)}-${hex(end)}: an impossible range (max_mapnr ${maxMapnr})`, bs);
      this.splitRange = { start, end: end > maxMapnr ? maxMapnr : end };
      rankBase = this.dumped.rank(Number(start));
    }
    this.rankBase = rankBase;
    this.notes = readNotes(src, header, sub, warnings);
    if (header.status & DUMP_DH_COMPRESSED_INCOMPLETE)
      warnings.push(`${file}: status has DUMP_DH_COMPRESSED_INCOMPLETE: makedumpfile did not finish writing this dump; some pages are lost`);
    if (this.truncated) warnings.push(`${file}: the file (${src.size} bytes) ends before its last page: truncated; the pages it does not hold are lost`);
  }

  static open(src: ByteSource, opts: KdumpOptions = {}): KdumpFile {
    const warnings: string[] = [...(opts.container?.warnings ?? [])];
    const header = parseHeader(src, warnings);
    const sub = header.signature === KDUMP_SIGNATURE ? parseSubHeader(src, header) : undefined;
    return new KdumpFile(src, header, sub, opts, warnings);
  }

  get incomplete(): boolean {
    return (this.header.status & DUMP_DH_COMPRESSED_INCOMPLETE) !== 0 || this.truncated || (this.container?.truncated ?? false);
  }

  /**
   * Whether the file ends before the descriptor table or before the data of its last descriptor (pages are
   * written in pfn order). One rank query over the whole bitmap, then computed once.
   */
  private get truncated(): boolean {
    if (this.truncatedCache === undefined) {
      const count = this.descriptorCount();
      const tableEnd = this.descStart + count * PAGE_DESC_SIZE;
      let truncated = tableEnd > this.src.size;
      if (!truncated && count > 0) {
        const last = this.src.read(tableEnd - PAGE_DESC_SIZE, PAGE_DESC_SIZE);
        const f = new Fields(last, this.src.name, tableEnd - PAGE_DESC_SIZE);
        const end = f.i64(0) + BigInt(f.u32(8));
        truncated = end > BigInt(this.src.size);
      }
      this.truncatedCache = truncated;
    }
    return this.truncatedCache;
  }

  /** Whether the 1st bitmap says pfn is RAM. */
  isRam(pfn: bigint): boolean {
    return pfn >= 0n && pfn < this.maxPfn && this.ram.get(Number(pfn));
  }

  /** Number of page descriptors this file holds. */
  descriptorCount(): number {
    const end = this.splitRange ? Number(this.splitRange.end) : this.maxPfnNum;
    return this.dumped.rank(end) - this.rankBase;
  }

  private locate(pfn: bigint): Located {
    if (pfn < 0n || pfn >= this.maxPfn) return { state: 'absent', detail: `beyond max_mapnr (0x${this.maxPfn.toString(16)})` };
    const n = Number(pfn);
    if (!this.ram.get(n)) return { state: 'absent', detail: 'not RAM (clear in the 1st bitmap)' };
    if (this.splitRange && (pfn < this.splitRange.start || pfn >= this.splitRange.end))
      return {
        state: 'lost',
        detail: `held by another part of this split dump (this part holds pfns 0x${this.splitRange.start.toString(16)}-0x${(this.splitRange.end - 1n).toString(16)})`,
      };
    if (!this.dumped.get(n)) return { state: 'excluded', detail: 'filtered out by makedumpfile (clear in the 2nd bitmap)' };
    const index = this.dumped.rank(n) - this.rankBase;
    const descOffset = this.descStart + index * PAGE_DESC_SIZE;
    const eof = `the file ends at ${this.src.size} bytes`;
    if (descOffset + PAGE_DESC_SIZE > this.src.size)
      return { state: 'lost', detail: `its page descriptor (#${index} at file offset ${hex(descOffset)}) is past the end of the file: ${eof}`, descOffset };
    if (this.sparse && !this.sparse.covers(descOffset, PAGE_DESC_SIZE))
      return { state: 'lost', detail: `its page descriptor (#${index} at ${hex(descOffset)}) was never written to the flattened stream`, descOffset };
    const f = new Fields(this.src.read(descOffset, PAGE_DESC_SIZE), this.src.name, descOffset);
    const offset = f.i64(0);
    const size = f.u32(8);
    const flags = f.u32(12);
    const at = `page descriptor #${index} at file offset ${hex(descOffset)}`;
    if (offset === 0n)
      return { state: 'lost', detail: `${at} is empty (data offset 0): the dump is incomplete`, descOffset };
    if (offset < BigInt(this.descStart) || offset > BigInt(Number.MAX_SAFE_INTEGER))
      return { state: 'present', detail: `${at}: data offset ${hex(offset)} is outside the page data area`, descOffset, dataOffset: -1, size, flags };
    const dataOffset = Number(offset);
    if (size !== 0 && size <= this.pageSize && dataOffset + size > this.src.size)
      return { state: 'lost', detail: `${at}: its ${size} bytes of data at ${hex(dataOffset)} are past the end of the file: ${eof}`, descOffset };
    if (this.sparse && size !== 0 && size <= this.pageSize && !this.sparse.covers(dataOffset, size))
      return { state: 'lost', detail: `${at}: its data at ${hex(dataOffset)} was never written to the flattened stream`, descOffset };
    return { state: 'present', detail: at, descOffset, dataOffset, size, flags };
  }

  pageState(pfn: bigint): PageState {
    return this.locate(pfn).state;
  }

  /** The page's descriptor and data location (for diagnostics), without decompressing it. */
  pageInfo(pfn: bigint): Readonly<Located> {
    return this.locate(pfn);
  }

  readPage(pfn: bigint, out: Uint8Array): void {
    const loc = this.locate(pfn);
    if (loc.state !== 'present') throw missing(this, pfn, loc.state, loc.detail);
    const { dataOffset = -1, size = 0, flags = 0 } = loc;
    const codec = PAGE_CODECS.find(([bit]) => flags & bit)?.[1];
    const name = codec ?? 'raw';
    const file = this.src.name;
    if (dataOffset < 0) throw new PageCorrupt(pfn, name, file, loc.detail);
    if (size === 0 || size > this.pageSize)
      throw new PageCorrupt(pfn, name, file, `${loc.detail}: data size ${size} is not in 1..${this.pageSize} (block_size)`);
    const data = this.src.read(dataOffset, size);
    const dst = out.length === this.pageSize ? out : out.subarray(0, this.pageSize);
    if (!codec) {
      if (size !== this.pageSize)
        throw new PageCorrupt(pfn, 'raw', file, `${loc.detail}: uncompressed page of ${size} bytes, expected ${this.pageSize}`);
      dst.set(data);
      return;
    }
    if (this.checkCodec && !hasCodec(codec))
      throw new UnsupportedCodec(`${file}: pfn 0x${pfn.toString(16)} is ${codec}-compressed and this build has no ${codec} decoder`);
    let n: number;
    try {
      n = this.decode(codec, data, dst);
    } catch (e) {
      if (e instanceof CodecError) throw new PageCorrupt(pfn, codec, file, `${loc.detail} (${size} bytes at ${hex(dataOffset)}): ${e.message}`);
      throw e;
    }
    if (n !== this.pageSize)
      throw new PageCorrupt(pfn, codec, file, `${loc.detail} (${size} bytes at ${hex(dataOffset)}): decompressed to ${n} bytes, expected ${this.pageSize}`);
  }

  override describe(): string[] {
    const h = this.header;
    const s = this.sub;
    const status = STATUS_NAMES.filter(([bit]) => h.status & bit).map(([, n]) => n);
    const out = [
      `format: ${this.format}`,
      ...(this.container?.describe() ?? []),
      `file: ${this.fileName} (${this.src.size} bytes)`,
      `signature: "${h.signature}"  header_version: ${h.headerVersion}`,
      `utsname: sysname "${h.utsname.sysname}" nodename "${h.utsname.nodename}" release "${h.utsname.release}"`,
      `         version "${h.utsname.version}" machine "${h.utsname.machine}" domainname "${h.utsname.domainname}"`,
      `timestamp: tv_sec ${h.timestamp.sec} tv_usec ${h.timestamp.usec}`,
      `status: ${hex(h.status)}${status.length ? ` (${status.join('|')})` : ''}`,
      `block_size: ${h.blockSize}  sub_hdr_size: ${h.subHdrSize}  bitmap_blocks: ${h.bitmapBlocks}  max_mapnr: ${h.maxMapnr}`,
      `total_ram_blocks: ${h.totalRamBlocks}  device_blocks: ${h.deviceBlocks}  written_blocks: ${h.writtenBlocks}  current_cpu: ${h.currentCpu}  nr_cpus: ${h.nrCpus}`,
    ];
    if (s) {
      const opt = (v: bigint | number | undefined): string => (v === undefined ? '(n/a)' : typeof v === 'bigint' ? hex(v) : String(v));
      out.push(
        `phys_base: ${hex(s.physBase)}  dump_level: ${opt(s.dumpLevel)}  split: ${opt(s.split)}  start_pfn: ${opt(s.startPfn64 ?? s.startPfn)}  end_pfn: ${opt(s.endPfn64 ?? s.endPfn)}`,
        `offset_vmcoreinfo: ${opt(s.offsetVmcoreinfo)}  size_vmcoreinfo: ${opt(s.sizeVmcoreinfo)}`,
        `offset_note: ${opt(s.offsetNote)}  size_note: ${opt(s.sizeNote)}`,
        `offset_eraseinfo: ${opt(s.offsetEraseinfo)}  size_eraseinfo: ${opt(s.sizeEraseinfo)}`,
        `max_mapnr_64: ${opt(s.maxMapnr64)}`,
      );
    }
    out.push(
      `bitmaps at ${hex((1 + h.subHdrSize) * h.blockSize)} (${this.ram === this.dumped ? 'one bitmap' : 'RAM + dumped'}), page descriptors at ${hex(this.descStart)}`,
      `pages: max pfn ${hex(this.maxPfn)}, ${this.descriptorCount()} dumped  partial: ${this.partial}  incomplete: ${this.incomplete}`,
    );
    out.push(...describeNotes(this.notes));
    return out;
  }
}

function parseHeader(src: ByteSource, warnings: string[]): DiskDumpHeader {
  const file = src.name;
  if (src.size < HEADER_SIZE) throw new DumpFormatError(file, `too short for a KDUMP header (${src.size} bytes)`, 0);
  const f = new Fields(readStruct(src, 0, HEADER_SIZE, 'disk_dump_header'), file, 0);
  const signature = f.cstr(0, 8).padEnd(8, '\0').slice(0, 8);
  if (signature !== KDUMP_SIGNATURE && signature !== DISKDUMP_SIGNATURE)
    throw new DumpFormatError(file, `not a KDUMP file: signature is not "KDUMP   " or "DISKDUMP"`, 0);
  const uts = (i: number): string => f.cstr(12 + i * UTS_FIELD, UTS_FIELD);
  const h: DiskDumpHeader = {
    signature,
    headerVersion: f.i32(8),
    utsname: { sysname: uts(0), nodename: uts(1), release: uts(2), version: uts(3), machine: uts(4), domainname: uts(5) },
    timestamp: { sec: f.i64(408), usec: f.i64(416) },
    status: f.u32(424),
    blockSize: f.i32(428),
    subHdrSize: f.i32(432),
    bitmapBlocks: f.u32(436),
    maxMapnr: f.u32(440),
    totalRamBlocks: f.u32(444),
    deviceBlocks: f.u32(448),
    writtenBlocks: f.u32(452),
    currentCpu: f.u32(456),
    nrCpus: f.i32(460),
  };
  if (h.headerVersion < 0 || h.headerVersion > 64)
    throw new DumpFormatError(file, `header_version ${h.headerVersion} is not a KDUMP header version (1-${KNOWN_VERSION})`, 8);
  if (h.headerVersion > KNOWN_VERSION) warnings.push(`${file}: header_version ${h.headerVersion} is newer than ${KNOWN_VERSION}; reading it as version ${KNOWN_VERSION}`);
  const bs = h.blockSize;
  if (bs < 1024 || bs > 1 << 16 || (bs & (bs - 1)) !== 0)
    throw new DumpFormatError(file, `block_size ${bs} is not a page size (a power of two, 1 KiB-64 KiB)`, 428);
  if (bs !== 4096) warnings.push(`${file}: block_size ${bs}: x86-64 pages are 4096 bytes`);
  if (h.subHdrSize < 0 || (1 + h.subHdrSize) * bs > src.size)
    throw new DumpFormatError(file, `sub_hdr_size ${h.subHdrSize} blocks puts the bitmaps past the end of the file (${src.size} bytes)`, 432);
  if (h.bitmapBlocks === 0) throw new DumpFormatError(file, 'bitmap_blocks is 0: the dump has no page bitmap', 436);
  const bitmapEnd = (1 + h.subHdrSize + h.bitmapBlocks) * bs;
  if (bitmapEnd > src.size)
    throw new DumpFormatError(
      file,
      `the bitmaps (${h.bitmapBlocks} blocks at ${hex((1 + h.subHdrSize) * bs)}) run past the end of the file (${src.size} bytes): truncated, or a corrupt header`,
      436,
    );
  if (h.utsname.machine && h.utsname.machine !== 'x86_64')
    warnings.push(`${file}: utsname.machine is "${h.utsname.machine}", not x86_64`);
  return h;
}

function parseSubHeader(src: ByteSource, h: DiskDumpHeader): KdumpSubHeader {
  const bs = h.blockSize;
  const avail = Math.min(SUB_HEADER_SIZE, h.subHdrSize * bs);
  if (avail < 8) return { physBase: 0n };
  const f = new Fields(readStruct(src, bs, avail, 'kdump_sub_header'), src.name, bs);
  const v = h.headerVersion;
  const has = (at: number, size: number, version: number): boolean => v >= version && at + size <= avail;
  const s: KdumpSubHeader = { physBase: f.u64(0) };
  if (has(8, 4, 1)) s.dumpLevel = f.i32(8);
  if (has(12, 4, 2)) s.split = f.i32(12);
  if (has(16, 16, 2)) {
    s.startPfn = f.u64(16);
    s.endPfn = f.u64(24);
  }
  if (has(32, 16, 3)) {
    s.offsetVmcoreinfo = f.i64(32);
    s.sizeVmcoreinfo = f.u64(40);
  }
  if (has(48, 16, 4)) {
    s.offsetNote = f.i64(48);
    s.sizeNote = f.u64(56);
  }
  if (has(64, 16, 5)) {
    s.offsetEraseinfo = f.i64(64);
    s.sizeEraseinfo = f.u64(72);
  }
  if (has(80, 24, 6)) {
    s.startPfn64 = f.u64(80);
    s.endPfn64 = f.u64(88);
    s.maxMapnr64 = f.u64(96);
  }
  return s;
}

/** A region named by the sub header, if it is sane; else a warning and null. */
function region(src: ByteSource, offset: bigint | undefined, size: bigint | undefined, what: string, warnings: string[]): Uint8Array | null {
  if (offset === undefined || size === undefined || offset === 0n || size === 0n) return null;
  if (size > BigInt(MAX_NOTES_BYTES)) {
    warnings.push(`${src.name}: ${what} claims ${size} bytes: impossibly large; ignored`);
    return null;
  }
  if (offset < 0n || offset + size > BigInt(src.size)) {
    warnings.push(`${src.name}: ${what} (${size} bytes at ${hex(offset)}) lies outside the file (${src.size} bytes): truncated or corrupt; ignored`);
    return null;
  }
  return src.read(Number(offset), Number(size));
}

function readNotes(src: ByteSource, h: DiskDumpHeader, s: KdumpSubHeader | undefined, warnings: string[]): ParsedNotes {
  const notes = emptyNotes();
  if (!s) {
    warnings.push(`${src.name}: ${h.signature} format: no VMCOREINFO or CPU notes`);
    return notes;
  }
  const noteBytes = region(src, s.offsetNote, s.sizeNote, 'the ELF note area (offset_note)', warnings);
  if (noteBytes) parseNotes(noteBytes, src.name, Number(s.offsetNote), notes);
  warnings.push(...notes.warnings);
  // VMCOREINFO is also copied on its own; prefer that copy (it is what crash reads).
  const info = region(src, s.offsetVmcoreinfo, s.sizeVmcoreinfo, 'VMCOREINFO (offset_vmcoreinfo)', warnings);
  if (info) notes.vmcoreinfo = vmcoreinfoText(info);
  return notes;
}
