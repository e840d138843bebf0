// Address → source file and line, for `sym`, `bt -l` and `dis -l`: find the unit (via .debug_aranges),
// run its line program once (cached), take the row covering the address.
import { ArangeIndex } from './aranges.ts';
import { DW_AT } from './constants.ts';
import { type LineTable, lookupLine, readLineTable } from './line.ts';
import type { DwarfIndex } from './name-index.ts';

export class SourceLines {
  private aranges: ArangeIndex | undefined;
  private readonly tables = new Map<number, LineTable | null>();

  constructor(private readonly index: DwarfIndex) {}

  /** `addr` is a link-time address (the caller removes the KASLR offset). */
  lookup(addr: bigint): { file: string; line: number } | undefined {
    this.aranges ??= new ArangeIndex(this.index.dwarf);
    const unitOffset = this.aranges.unitFor(addr);
    if (unitOffset === undefined) return undefined;
    const table = this.table(unitOffset);
    return table ? lookupLine(table, addr) : undefined;
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
