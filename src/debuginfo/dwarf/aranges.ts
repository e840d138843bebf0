// .debug_aranges: address ranges → the unit that describes them, for "which unit holds this address".
import { Reader } from './reader.ts';
import type { DwarfSections } from './sections.ts';

export class ArangeIndex {
  private readonly starts: bigint[] = [];
  private readonly ends: bigint[] = [];
  private readonly units: number[] = [];

  /** Without `dwarf` the index is empty (every lookup falls back to the units' own ranges). */
  constructor(dwarf: DwarfSections | undefined) {
    const sec = dwarf?.get('.debug_aranges') ?? new Uint8Array(0);
    const r: Reader = new Reader('.debug_aranges', sec);
    const ranges: [bigint, bigint, number][] = [];
    while (r.remaining >= 16) {
      const setStart = r.pos;
      let len = r.u32();
      let is64 = false;
      if (len === 0xffffffff) {
        is64 = true;
        len = r.u64n();
      }
      const end = r.pos + len;
      if (end > sec.length) r.fail('address range set runs past the end of the section');
      r.u16(); // version
      const unit = r.offsetOf(is64);
      const addrSize = r.u8();
      r.u8(); // segment selector size
      const tuple = addrSize * 2;
      // Tuples start at a multiple of the tuple size from the set's start.
      r.pos = setStart + Math.ceil((r.pos - setStart) / tuple) * tuple;
      while (r.pos + tuple <= end) {
        const start = addrSize === 8 ? r.u64() : BigInt(r.u32());
        const size = addrSize === 8 ? r.u64() : BigInt(r.u32());
        if (start === 0n && size === 0n) break;
        ranges.push([start, start + size, unit]);
      }
      r.pos = end;
    }
    ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [s, e, u] of ranges) {
      this.starts.push(s);
      this.ends.push(e);
      this.units.push(u);
    }
  }

  /** The .debug_info offset of the unit covering `addr`. */
  unitFor(addr: bigint): number | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= addr) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Ranges can nest or overlap a little; look back a few for one that really covers addr.
    for (let i = found; i >= 0 && i > found - 8; i--) if (addr < this.ends[i] && addr >= this.starts[i]) return this.units[i];
    return undefined;
  }
}
