// ELF64 little-endian reader for a kernel image (vmlinux, 90–600 MB): the header, section headers and their
// names, the symbol table, notes (build-id). Nothing is read until asked for, and a section is read as one
// slice of the file. SHF_COMPRESSED sections (ELFCOMPRESS_ZLIB / ZSTD) are inflated through our WASM codecs.
import type { ByteSource } from '../io/byte-source.ts';
import { dataView } from '../io/byte-source.ts';
import { decompress } from '../codec/codecs.ts';
import { CrashlensError } from '../errors.ts';

export class ElfFormatError extends CrashlensError {
  override name = 'ElfFormatError';
  constructor(readonly file: string, message: string, readonly offset?: number) {
    super(`${file}: ${message}${offset !== undefined ? ` (at file offset 0x${offset.toString(16)})` : ''}`);
  }
}

export const SHT_SYMTAB = 2;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHF_COMPRESSED = 0x800;
const ELFCOMPRESS_ZLIB = 1;
const ELFCOMPRESS_ZSTD = 2;
/** Sections larger than this are never inflated in one piece (a corrupt header must not exhaust memory). */
const MAX_SECTION_BYTES = 1 << 30;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  /** STT_* */
  type: number;
  /** STB_* */
  bind: number;
  shndx: number;
}

export class ElfFile {
  readonly type: number;
  readonly machine: number;
  readonly sections: ElfSection[];
  private readonly byName = new Map<string, ElfSection>();

  constructor(readonly source: ByteSource) {
    const name = source.name;
    if (source.size < 64) throw new ElfFormatError(name, `too small for an ELF header (${source.size} bytes)`);
    const h = dataView(source.read(0, 64));
    if (h.getUint32(0, false) !== 0x7f454c46) throw new ElfFormatError(name, 'not an ELF file (bad magic)', 0);
    if (h.getUint8(4) !== 2) throw new ElfFormatError(name, 'not a 64-bit ELF file', 4);
    if (h.getUint8(5) !== 1) throw new ElfFormatError(name, 'not a little-endian ELF file', 5);
    this.type = h.getUint16(16, true);
    this.machine = h.getUint16(18, true);
    const shoff = Number(h.getBigUint64(40, true));
    const shentsize = h.getUint16(58, true);
    let shnum = h.getUint16(60, true);
    let shstrndx = h.getUint16(62, true);
    if (shoff === 0) {
      this.sections = [];
      return;
    }
    if (shentsize !== 64) throw new ElfFormatError(name, `unexpected section header size ${shentsize}`, 58);
    if (shoff + 64 > source.size) throw new ElfFormatError(name, `section headers at 0x${shoff.toString(16)} are past the end of the file: truncated?`, 40);
    // Extended numbering: counts that do not fit live in section header 0 (gABI "Extended Section Numbering").
    const first = dataView(source.read(shoff, 64));
    if (shnum === 0) shnum = Number(first.getBigUint64(32, true));
    if (shstrndx === 0xffff) shstrndx = first.getUint32(40, true);
    if (shoff + shnum * 64 > source.size) throw new ElfFormatError(name, `${shnum} section headers do not fit in the file: truncated?`, shoff);
    const table = dataView(source.read(shoff, shnum * 64));
    const raw: Omit<ElfSection, 'name'>[] = [];
    const nameOffsets: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * 64;
      nameOffsets.push(table.getUint32(o, true));
      raw.push({
        index: i,
        type: table.getUint32(o + 4, true),
        flags: table.getBigUint64(o + 8, true),
        addr: table.getBigUint64(o + 16, true),
        offset: Number(table.getBigUint64(o + 24, true)),
        size: Number(table.getBigUint64(o + 32, true)),
        link: table.getUint32(o + 40, true),
        info: table.getUint32(o + 44, true),
        entsize: Number(table.getBigUint64(o + 56, true)),
      });
    }
    const strs = raw[shstrndx];
    const names = strs && strs.offset + strs.size <= source.size ? source.read(strs.offset, strs.size).slice() : new Uint8Array(0);
    this.sections = raw.map((s, i) => ({ ...s, name: cstring(names, nameOffsets[i]) }));
    for (const s of this.sections) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  section(name: string): ElfSection | undefined {
    return this.byName.get(name);
  }

  /** A section's bytes, decompressed if SHF_COMPRESSED. Throws if it lies past the end of the file. */
  sectionData(s: ElfSection): Uint8Array {
    if (s.type === SHT_NOBITS) return new Uint8Array(0);
    const file = this.source.name;
    if (s.offset + s.size > this.source.size)
      throw new ElfFormatError(file, `section ${s.name} (0x${s.size.toString(16)} bytes at 0x${s.offset.toString(16)}) extends past the end of the file: truncated?`);
    const bytes = this.source.read(s.offset, s.size);
    if ((s.flags & BigInt(SHF_COMPRESSED)) === 0n) return bytes;
    // Elf64_Chdr: ch_type u32, ch_reserved u32, ch_size u64, ch_addralign u64.
    if (bytes.length < 24) throw new ElfFormatError(file, `compressed section ${s.name} is too small for its header`, s.offset);
    const ch = dataView(bytes);
    const kind = ch.getUint32(0, true);
    const size = Number(ch.getBigUint64(8, true));
    if (size > MAX_SECTION_BYTES) throw new ElfFormatError(file, `compressed section ${s.name} claims ${size} bytes`, s.offset);
    const out = new Uint8Array(size);
    const codec = kind === ELFCOMPRESS_ZLIB ? 'zlib' : kind === ELFCOMPRESS_ZSTD ? 'zstd' : undefined;
    if (!codec) throw new ElfFormatError(file, `section ${s.name}: unknown compression type ${kind}`, s.offset);
    const n = decompress(codec, bytes.subarray(24), out);
    if (n !== size) throw new ElfFormatError(file, `section ${s.name}: decompressed to ${n} bytes, header says ${size}`, s.offset);
    return out;
  }

  /** Every symbol of .symtab (vmlinux has ~120,000). */
  symbols(): ElfSymbol[] {
    const c = this.symbolColumns();
    const out: ElfSymbol[] = [];
    for (let i = 0; i < c.names.length; i++)
      out.push({ name: c.names[i], type: c.info[i] & 0xf, bind: c.info[i] >> 4, shndx: c.shndx[i], value: c.values[i], size: c.sizes[i] });
    return out;
  }

  /** .symtab as parallel arrays: no object or bigint per symbol until one is read (symbol 0 left out). */
  symbolColumns(): { names: string[]; values: BigUint64Array; sizes: BigUint64Array; info: Uint8Array; shndx: Uint16Array } {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    const empty = { names: [], values: new BigUint64Array(0), sizes: new BigUint64Array(0), info: new Uint8Array(0), shndx: new Uint16Array(0) };
    if (!symtab) return empty;
    const strtab = this.sections[symtab.link];
    if (!strtab) throw new ElfFormatError(this.source.name, `.symtab links to missing string table ${symtab.link}`);
    const bytes = this.sectionData(symtab);
    const data = dataView(bytes);
    const strs = this.sectionData(strtab);
    const n = Math.max(0, Math.floor(bytes.length / 24) - 1);
    const names = new Array<string>(n);
    const values = new BigUint64Array(n);
    const sizes = new BigUint64Array(n);
    const info = new Uint8Array(n);
    const shndx = new Uint16Array(n);
    // Copy the 64-bit fields through 32-bit halves: no bigint is made per symbol.
    const v32 = new Uint32Array(values.buffer);
    const s32 = new Uint32Array(sizes.buffer);
    for (let i = 0; i < n; i++) {
      const o = 24 * (i + 1);
      names[i] = cstring(strs, data.getUint32(o, true));
      info[i] = data.getUint8(o + 4);
      shndx[i] = data.getUint16(o + 6, true);
      v32[2 * i] = data.getUint32(o + 8, true);
      v32[2 * i + 1] = data.getUint32(o + 12, true);
      s32[2 * i] = data.getUint32(o + 16, true);
      s32[2 * i + 1] = data.getUint32(o + 20, true);
    }
    return { names, values, sizes, info, shndx };
  }

  /** The GNU build-id (NT_GNU_BUILD_ID in a note section), lower-case hex. */
  buildId(): string | undefined {
    for (const s of this.sections) {
      if (s.type !== SHT_NOTE) continue;
      const d = dataView(this.sectionData(s));
      for (let o = 0; o + 12 <= d.byteLength; ) {
        const namesz = d.getUint32(o, true);
        const descsz = d.getUint32(o + 4, true);
        const type = d.getUint32(o + 8, true);
        const nameAt = o + 12;
        const descAt = nameAt + align4(namesz);
        if (descAt + descsz > d.byteLength) break;
        const noteName = cstring(new Uint8Array(d.buffer, d.byteOffset + nameAt, namesz), 0);
        if (noteName === 'GNU' && type === 3)
          return [...new Uint8Array(d.buffer, d.byteOffset + descAt, descsz)].map((b) => b.toString(16).padStart(2, '0')).join('');
        o = descAt + align4(descsz);
      }
    }
    return undefined;
  }

  /** Bytes at a link-time virtual address, from the section that holds it (for linux_banner and the like). */
  readAt(addr: bigint, length: number): Uint8Array | undefined {
    for (const s of this.sections) {
      if (s.addr === 0n || s.type === SHT_NOBITS || (s.flags & BigInt(SHF_COMPRESSED)) !== 0n) continue;
      if (addr >= s.addr && addr + BigInt(length) <= s.addr + BigInt(s.size)) {
        const at = s.offset + Number(addr - s.addr);
        if (at + length > this.source.size) return undefined;
        return this.source.read(at, length);
      }
    }
    return undefined;
  }
}

const align4 = (n: number): number => (n + 3) & ~3;

function cstring(bytes: Uint8Array, at: number): string {
  if (at >= bytes.length) return '';
  let end = bytes.indexOf(0, at);
  if (end < 0) end = bytes.length;
  let s = '';
  for (let i = at; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
