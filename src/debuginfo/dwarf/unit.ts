// Units of .debug_info (DWARF 2–5: compile, partial, type, skeleton units) and the DIEs inside them.
// A unit's bytes are read when the unit is first used; DIEs are decoded on demand.
import { AbbrevTable, type Abbrev, fixedFormSize } from './abbrev.ts';
import { DW_AT, DW_FORM, DW_UT } from './constants.ts';
import { DwarfError, Reader } from './reader.ts';
import type { DwarfSections } from './sections.ts';

/** Attribute values by class: constants and addresses as bigint, references as absolute .debug_info offsets. */
export type AttrValue =
  | { cls: 'const'; value: bigint; signed: boolean; size: number }
  | { cls: 'ref'; offset: number }
  | { cls: 'sig8'; sig: bigint }
  | { cls: 'string'; value: string }
  | { cls: 'flag'; value: boolean }
  | { cls: 'address'; value: bigint }
  | { cls: 'block'; value: Uint8Array }
  | { cls: 'secoffset'; value: number }
  | { cls: 'index'; form: number; value: number };

export interface Die {
  /** Absolute offset in .debug_info. */
  offset: number;
  tag: number;
  hasChildren: boolean;
  abbrev: Abbrev;
  /** Offset just past the attributes (the first child, or the next sibling). */
  end: number;
  unit: Unit;
  attrs: Map<number, AttrValue>;
}

export interface UnitHeader {
  offset: number;
  /** One past the unit's last byte. */
  end: number;
  version: number;
  is64: boolean;
  unitType: number;
  abbrevOffset: number;
  addrSize: number;
  /** Offset of the first DIE. */
  dieOffset: number;
}

export class Unit {
  private bytesCache: Uint8Array | undefined;
  private abbrevCache: AbbrevTable | undefined;
  private strOffsetsBase = -1;
  private addrBase = -1;

  constructor(readonly dwarf: DwarfSections, readonly header: UnitHeader, private readonly abbrevTables: Map<number, AbbrevTable>) {}

  get offset(): number {
    return this.header.offset;
  }

  get bytes(): Uint8Array {
    return (this.bytesCache ??= this.dwarf.info(this.header.offset, this.header.end - this.header.offset));
  }

  /** Drops the unit's bytes (an indexer touching every unit keeps memory bounded). */
  release(): void {
    this.bytesCache = undefined;
    this.shared = undefined;
    // GCC gives every unit its own abbreviation table: parsed, they outweigh the index, so they go too
    // (a later lookup in this unit parses its table again).
    if (this.abbrevCache) this.abbrevTables.delete(this.header.abbrevOffset);
    this.abbrevCache = undefined;
  }

  get abbrevs(): AbbrevTable {
    if (!this.abbrevCache) {
      const h = this.header;
      let t = this.abbrevTables.get(h.abbrevOffset);
      if (!t) {
        t = new AbbrevTable(this.dwarf.get('.debug_abbrev'), h.abbrevOffset, h.addrSize, h.is64, h.version);
        this.abbrevTables.set(h.abbrevOffset, t);
      }
      this.abbrevCache = t;
    }
    return this.abbrevCache;
  }

  private shared: Reader | undefined;

  /** A reader positioned at an absolute offset. Shared by the unit: callers must not hold it across calls. */
  reader(offset: number): Reader {
    const bytes = this.bytes;
    if (!this.shared || this.shared.bytes !== bytes) this.shared = new Reader('.debug_info', bytes, this.header.offset);
    this.shared.pos = offset - this.header.offset;
    return this.shared;
  }

  /** The unit's root DIE (compile_unit / partial_unit / type_unit). */
  root(): Die {
    const d = this.die(this.header.dieOffset);
    if (!d) throw new DwarfError('.debug_info', this.header.dieOffset, 'unit has no root DIE');
    return d;
  }

  /** The DIE at an absolute offset, or undefined for a null entry (end of siblings). */
  die(offset: number): Die | undefined {
    const r: Reader = this.reader(offset);
    const code = r.uleb();
    if (code === 0) return undefined;
    const abbrev = this.abbrevs.get(code);
    if (!abbrev) r.fail(`unknown abbreviation code ${code}`);
    const attrs = new Map<number, AttrValue>();
    for (let i = 0; i < abbrev.attrs.length; i++) attrs.set(abbrev.attrs[i], this.readValue(r, abbrev.forms[i], abbrev.implicit[i]));
    return { offset, tag: abbrev.tag, hasChildren: abbrev.hasChildren, abbrev, end: r.offset, unit: this, attrs };
  }

  /** The direct children of a DIE. */
  *children(parent: Die): Generator<Die> {
    if (!parent.hasChildren) return;
    let at = parent.end;
    const end = this.header.end;
    while (at < end) {
      const d = this.die(at);
      if (!d) return;
      yield d;
      at = this.nextSibling(d);
    }
  }

  /** Offset of the DIE after `d` and all its descendants. */
  nextSibling(d: Die): number {
    if (!d.hasChildren) return d.end;
    const sib = d.attrs.get(DW_AT.sibling);
    if (sib?.cls === 'ref' && sib.offset > d.offset && sib.offset <= this.header.end) return sib.offset;
    return this.skipChildren(d.end);
  }

  /** Skips a list of sibling DIEs (and their children) starting at `offset`, past the terminating null entry. */
  skipChildren(offset: number): number {
    const r: Reader = this.reader(offset);
    let depth = 1;
    const abbrevs = this.abbrevs;
    while (depth > 0) {
      const code = r.uleb();
      if (code === 0) {
        depth--;
        continue;
      }
      const a = abbrevs.get(code);
      if (!a) r.fail(`unknown abbreviation code ${code}`);
      if (a.fixedSize >= 0) r.skip(a.fixedSize);
      else for (let i = 0; i < a.forms.length; i++) this.skipValue(r, a.forms[i]);
      if (a.hasChildren) depth++;
    }
    return r.offset;
  }

  skipValue(r: Reader, form: number): void {
    const h = this.header;
    switch (form) {
      case DW_FORM.string:
        return r.skipCString();
      case DW_FORM.udata:
      case DW_FORM.sdata:
      case DW_FORM.ref_udata:
      case DW_FORM.strx:
      case DW_FORM.addrx:
      case DW_FORM.loclistx:
      case DW_FORM.rnglistx:
      case DW_FORM.GNU_addr_index:
      case DW_FORM.GNU_str_index:
        return r.skipLeb();
      case DW_FORM.block1:
        return r.skip(r.u8());
      case DW_FORM.block2:
        return r.skip(r.u16());
      case DW_FORM.block4:
        return r.skip(r.u32());
      case DW_FORM.block:
      case DW_FORM.exprloc:
        return r.skip(r.uleb());
      case DW_FORM.indirect:
        return this.skipValue(r, r.uleb());
      default: {
        const size = fixedSizeOf(form, h);
        if (size < 0) r.fail(`unknown attribute form 0x${form.toString(16)}`);
        r.skip(size);
      }
    }
  }

  readValue(r: Reader, form: number, implicit?: bigint): AttrValue {
    const h = this.header;
    switch (form) {
      case DW_FORM.addr:
        return { cls: 'address', value: h.addrSize === 8 ? r.u64() : BigInt(r.u32()) };
      case DW_FORM.data1:
        return { cls: 'const', value: BigInt(r.u8()), signed: false, size: 1 };
      case DW_FORM.data2:
        return { cls: 'const', value: BigInt(r.u16()), signed: false, size: 2 };
      case DW_FORM.data4:
        return { cls: 'const', value: BigInt(r.u32()), signed: false, size: 4 };
      case DW_FORM.data8:
        return { cls: 'const', value: r.u64(), signed: false, size: 8 };
      case DW_FORM.data16:
        return { cls: 'block', value: r.bytesN(16) };
      case DW_FORM.sdata:
        return { cls: 'const', value: r.sleb(), signed: true, size: 8 };
      case DW_FORM.udata:
        return { cls: 'const', value: r.ulebBig(), signed: false, size: 8 };
      case DW_FORM.implicit_const:
        return { cls: 'const', value: implicit ?? 0n, signed: true, size: 8 };
      case DW_FORM.string:
        return { cls: 'string', value: r.cstring() };
      case DW_FORM.strp:
        return { cls: 'string', value: this.strAt('.debug_str', r.offsetOf(h.is64)) };
      case DW_FORM.line_strp:
        return { cls: 'string', value: this.strAt('.debug_line_str', r.offsetOf(h.is64)) };
      case DW_FORM.strx:
      case DW_FORM.GNU_str_index:
        return { cls: 'string', value: this.strIndex(r.uleb()) };
      case DW_FORM.strx1:
        return { cls: 'string', value: this.strIndex(r.u8()) };
      case DW_FORM.strx2:
        return { cls: 'string', value: this.strIndex(r.u16()) };
      case DW_FORM.strx3:
        return { cls: 'string', value: this.strIndex(r.u24()) };
      case DW_FORM.strx4:
        return { cls: 'string', value: this.strIndex(r.u32()) };
      case DW_FORM.flag:
        return { cls: 'flag', value: r.u8() !== 0 };
      case DW_FORM.flag_present:
        return { cls: 'flag', value: true };
      case DW_FORM.ref1:
        return { cls: 'ref', offset: h.offset + r.u8() };
      case DW_FORM.ref2:
        return { cls: 'ref', offset: h.offset + r.u16() };
      case DW_FORM.ref4:
        return { cls: 'ref', offset: h.offset + r.u32() };
      case DW_FORM.ref8:
        return { cls: 'ref', offset: h.offset + r.u64n() };
      case DW_FORM.ref_udata:
        return { cls: 'ref', offset: h.offset + r.uleb() };
      case DW_FORM.ref_addr:
        return { cls: 'ref', offset: h.version <= 2 ? (h.addrSize === 8 ? r.u64n() : r.u32()) : r.offsetOf(h.is64) };
      case DW_FORM.ref_sig8:
        return { cls: 'sig8', sig: r.u64() };
      case DW_FORM.sec_offset:
        return { cls: 'secoffset', value: r.offsetOf(h.is64) };
      case DW_FORM.block1:
        return { cls: 'block', value: r.bytesN(r.u8()) };
      case DW_FORM.block2:
        return { cls: 'block', value: r.bytesN(r.u16()) };
      case DW_FORM.block4:
        return { cls: 'block', value: r.bytesN(r.u32()) };
      case DW_FORM.block:
      case DW_FORM.exprloc:
        return { cls: 'block', value: r.bytesN(r.uleb()) };
      case DW_FORM.addrx:
      case DW_FORM.GNU_addr_index:
        return { cls: 'address', value: this.addrIndex(r.uleb()) };
      case DW_FORM.addrx1:
        return { cls: 'address', value: this.addrIndex(r.u8()) };
      case DW_FORM.addrx2:
        return { cls: 'address', value: this.addrIndex(r.u16()) };
      case DW_FORM.addrx3:
        return { cls: 'address', value: this.addrIndex(r.u24()) };
      case DW_FORM.addrx4:
        return { cls: 'address', value: this.addrIndex(r.u32()) };
      case DW_FORM.loclistx:
      case DW_FORM.rnglistx:
        return { cls: 'index', form, value: r.uleb() };
      case DW_FORM.indirect:
        return this.readValue(r, r.uleb(), implicit);
      case DW_FORM.ref_sup4:
      case DW_FORM.strp_sup:
      case DW_FORM.GNU_ref_alt:
      case DW_FORM.GNU_strp_alt:
        // Supplementary-file references (dwz): we have no supplementary file; keep the raw offset.
        return { cls: 'secoffset', value: r.offsetOf(h.is64 && form !== DW_FORM.ref_sup4) };
      case DW_FORM.ref_sup8:
        return { cls: 'secoffset', value: r.u64n() };
      default:
        r.fail(`unknown attribute form 0x${form.toString(16)}`);
    }
  }

  strAt(section: string, offset: number): string {
    return this.dwarf.string(section, offset);
  }

  private strIndex(index: number): string {
    if (this.strOffsetsBase < 0) this.strOffsetsBase = this.baseAttr(DW_AT.str_offsets_base, this.header.is64 ? 16 : 8);
    const table = this.dwarf.get('.debug_str_offsets');
    const size = this.header.is64 ? 8 : 4;
    const at = this.strOffsetsBase + index * size;
    if (at + size > table.length) throw new DwarfError('.debug_str_offsets', at, `string index ${index} out of range`);
    const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
    return this.strAt('.debug_str', size === 8 ? Number(v.getBigUint64(at, true)) : v.getUint32(at, true));
  }

  /** Entry `index` of the unit's .debug_addr table (DW_FORM_addrx, DW_RLE_*x). */
  addrIndex(index: number): bigint {
    if (this.addrBase < 0) this.addrBase = this.baseAttr(DW_AT.addr_base, 8);
    const table = this.dwarf.get('.debug_addr');
    const size = this.header.addrSize;
    const at = this.addrBase + index * size;
    if (at + size > table.length) throw new DwarfError('.debug_addr', at, `address index ${index} out of range`);
    const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
    return size === 8 ? v.getBigUint64(at, true) : BigInt(v.getUint32(at, true));
  }

  /** A *_base attribute of the root DIE (read without resolving strx, which would recurse). */
  baseAttr(at: number, fallback: number): number {
    // Its own reader: this runs in the middle of decoding another DIE with the shared one.
    const r: Reader = new Reader('.debug_info', this.bytes, this.header.offset, this.header.dieOffset - this.header.offset);
    const a = this.abbrevs.get(r.uleb());
    if (!a) return fallback;
    for (let i = 0; i < a.attrs.length; i++) {
      if (a.attrs[i] === at) return r.offsetOf(this.header.is64);
      this.skipValue(r, a.forms[i]);
    }
    return fallback;
  }
}

function fixedSizeOf(form: number, h: UnitHeader): number {
  return fixedFormSize(form, h.addrSize, h.is64, h.version);
}

/** Reads every unit header of .debug_info (a few bytes per unit; the unit bodies stay unread). */
export function readUnitHeaders(dwarf: DwarfSections): UnitHeader[] {
  const total = dwarf.infoSize;
  const out: UnitHeader[] = [];
  let at = 0;
  while (at + 11 <= total) {
    const head = dwarf.info(at, Math.min(32, total - at));
    const r = new Reader('.debug_info', head, at);
    let len = r.u32();
    let is64 = false;
    if (len === 0xffffffff) {
      is64 = true;
      len = r.u64n();
    } else if (len >= 0xfffffff0) r.fail(`reserved unit length 0x${len.toString(16)}`);
    const end = at + r.pos + len;
    if (end > total) r.fail(`unit length 0x${len.toString(16)} runs past the end of .debug_info: truncated?`);
    const version = r.u16();
    if (version < 2 || version > 5) r.fail(`unsupported DWARF version ${version}`);
    let unitType: number = DW_UT.compile;
    let abbrevOffset: number;
    let addrSize: number;
    if (version >= 5) {
      unitType = r.u8();
      addrSize = r.u8();
      abbrevOffset = r.offsetOf(is64);
      if (unitType === DW_UT.skeleton || unitType === DW_UT.split_compile) r.skip(8);
      else if (unitType === DW_UT.type || unitType === DW_UT.split_type) {
        r.skip(8);
        r.offsetOf(is64);
      }
    } else {
      abbrevOffset = r.offsetOf(is64);
      addrSize = r.u8();
    }
    if (addrSize !== 4 && addrSize !== 8) r.fail(`unsupported address size ${addrSize}`);
    out.push({ offset: at, end, version, is64, unitType, abbrevOffset, addrSize, dieOffset: at + r.pos });
    at = end;
  }
  return out;
}
