// The address ranges of a unit from its own root DIE — DW_AT_low_pc/high_pc, or DW_AT_ranges through
// .debug_ranges (DWARF 2–4) or .debug_rnglists (DWARF 5) — for producers that write no .debug_aranges
// (clang by default) or leave units out of it.
import { DW_AT } from './constants.ts';
import { Reader } from './reader.ts';
import type { Unit } from './unit.ts';

const DW_FORM_rnglistx = 0x23;
const DW_AT_rnglists_base = 0x74;

export function unitRanges(unit: Unit): [bigint, bigint][] {
  const root = unit.root();
  const low = root.attrs.get(DW_AT.low_pc);
  const high = root.attrs.get(DW_AT.high_pc);
  const base = low?.cls === 'address' ? low.value : 0n;
  const ranges = root.attrs.get(DW_AT.ranges);
  if (ranges) {
    const h = unit.header;
    if (h.version >= 5) {
      let offset: number | undefined;
      if (ranges.cls === 'secoffset') offset = ranges.value;
      else if (ranges.cls === 'index' && ranges.form === DW_FORM_rnglistx) {
        // The index picks an offset from the table after the unit's rnglists header, relative to that base.
        const tableBase = unit.baseAttr(DW_AT_rnglists_base, h.is64 ? 20 : 12);
        const sec = unit.dwarf.get('.debug_rnglists');
        const r = new Reader('.debug_rnglists', sec, 0, tableBase + ranges.value * (h.is64 ? 8 : 4));
        offset = tableBase + r.offsetOf(h.is64);
      }
      return offset === undefined ? [] : rnglist(unit, offset, base);
    }
    if (ranges.cls === 'secoffset' || ranges.cls === 'const') return rangeList(unit, Number(ranges.value), base);
  }
  if (low?.cls === 'address' && high) {
    const end = high.cls === 'address' ? high.value : high.cls === 'const' ? low.value + high.value : low.value;
    return end > low.value ? [[low.value, end]] : [];
  }
  return [];
}

/** DWARF 2–4 .debug_ranges: (begin, end) pairs relative to the base, ~0 selecting a new base, (0, 0) ending. */
function rangeList(unit: Unit, offset: number, base: bigint): [bigint, bigint][] {
  const size = unit.header.addrSize;
  const r = new Reader('.debug_ranges', unit.dwarf.get('.debug_ranges'), 0, offset);
  const max = size === 8 ? 0xffffffffffffffffn : 0xffffffffn;
  const out: [bigint, bigint][] = [];
  for (let n = 0; n < 1 << 20 && r.remaining >= 2 * size; n++) {
    const b = size === 8 ? r.u64() : BigInt(r.u32());
    const e = size === 8 ? r.u64() : BigInt(r.u32());
    if (b === 0n && e === 0n) break;
    if (b === max) base = e;
    else if (e > b) out.push([base + b, base + e]);
  }
  return out;
}

/** DWARF 5 .debug_rnglists entries (DW_RLE_*). */
function rnglist(unit: Unit, offset: number, base: bigint): [bigint, bigint][] {
  const size = unit.header.addrSize;
  const r = new Reader('.debug_rnglists', unit.dwarf.get('.debug_rnglists'), 0, offset);
  const addr = (): bigint => (size === 8 ? r.u64() : BigInt(r.u32()));
  const out: [bigint, bigint][] = [];
  for (let n = 0; n < 1 << 20; n++) {
    const kind = r.u8();
    switch (kind) {
      case 0: // end_of_list
        return out;
      case 1: // base_addressx
        base = unit.addrIndex(r.uleb());
        break;
      case 2: {
        // startx_endx
        const s = unit.addrIndex(r.uleb());
        out.push([s, unit.addrIndex(r.uleb())]);
        break;
      }
      case 3: {
        // startx_length
        const s = unit.addrIndex(r.uleb());
        out.push([s, s + r.ulebBig()]);
        break;
      }
      case 4: {
        // offset_pair
        const s = r.ulebBig();
        out.push([base + s, base + r.ulebBig()]);
        break;
      }
      case 5: // base_address
        base = addr();
        break;
      case 6: {
        // start_end
        const s = addr();
        out.push([s, addr()]);
        break;
      }
      case 7: {
        // start_length
        const s = addr();
        out.push([s, s + r.ulebBig()]);
        break;
      }
      default:
        r.fail(`unknown range list entry kind ${kind}`);
    }
  }
  return out;
}
