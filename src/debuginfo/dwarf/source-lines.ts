// Address → source file and line, for `sym`, `bt -l` and `dis -l`: find the unit (via .debug_aranges, or
// the units' own ranges when a producer wrote no aranges), run its line program once (cached), take the row
// covering the address.
import { ArangeIndex } from './aranges.ts';
import { unitRanges } from './ranges.ts';
import { DW_AT } from './constants.ts';
import { type LineTable, lookupLine, readLineTable } from './line.ts';
import type { DwarfIndex } from './name-index.ts';

export class SourceLines {
  private aranges: ArangeIndex | undefined;
  /** Every unit's own ranges, sorted by start: built on the first address .debug_aranges does not cover. */
  private unitRanges: { start: bigint; end: bigint; unit: number }[] | undefined;
  private readonly tables = new Map<number, LineTable | null>();

  constructor(
    private readonly index: DwarfIndex,
    /** Tests can ignore .debug_aranges to exercise the fallback. */
    private readonly useAranges = true,
  ) {}

  /** `addr` is a link-time address (the caller removes the KASLR offset). */
  lookup(addr: bigint): { file: string; line: number } | undefined {
    this.aranges ??= new ArangeIndex(this.useAranges ? this.index.dwarf : undefined);
    const unitOffset = this.aranges.unitFor(addr) ?? this.unitFromRanges(addr);
    if (unitOffset === undefined) return undefined;
    const table = this.table(unitOffset);
    return table ? lookupLine(table, addr) : undefined;
  }

  private unitFromRanges(addr: bigint): number | undefined {
    if (!this.unitRanges) {
      const all: { start: bigint; end: bigint; unit: number }[] = [];
      for (const u of this.index.units) {
        try {
          for (const [start, end] of unitRanges(u)) all.push({ start, end, unit: u.offset });
        } catch {
          // A unit whose ranges cannot be read covers nothing.
        }
        u.release();
      }
      this.unitRanges = all.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    }
    const r = this.unitRanges;
    let lo = 0;
    let hi = r.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid].start <= addr) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = found; i >= 0 && i > found - 16; i--) if (addr >= r[i].start && addr < r[i].end) return r[i].unit;
    return undefined;
  }

  private table(unitOffset: number): LineTable | undefined {
    if (!this.tables.has(unitOffset)) {
      let t: LineTable | null = null;
      const unit = this.index.unitAt(unitOffset);
      if (unit) {
        const root = unit.root();
        const stmt = root.attrs.get(DW_AT.stmt_list);
        const dir = root.attrs.get(DW_AT.comp_dir);
        const offset = stmt?.cls === 'secoffset' ? stmt.value : stmt?.cls === 'const' ? Number(stmt.value) : undefined;
        if (offset !== undefined) t = readLineTable(this.index.dwarf, offset, dir?.cls === 'string' ? dir.value : '', unit.header.addrSize);
      }
      this.tables.set(unitOffset, t);
    }
    return this.tables.get(unitOffset) ?? undefined;
  }
}
