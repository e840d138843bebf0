// One name index over .debug_info: for each name, the first complete definition of each kind (struct, union,
// enum, typedef, base type, variable, function) and every enumerator's value. Only the DIEs directly under a
// unit (and the enumerators of enums there) are decoded; everything else is skipped, by DW_AT_sibling when
// the producer wrote it. Units are visited in order and their bytes dropped afterwards, so memory stays
// bounded by the index itself.
import { DW_AT, DW_TAG } from './constants.ts';
import type { DwarfSections } from './sections.ts';
import { type Die, readUnitHeaders, Unit, type UnitHeader } from './unit.ts';
import type { AbbrevTable } from './abbrev.ts';

/** The C namespaces a name can live in. */
export type NameKind = 'struct' | 'union' | 'enum' | 'typedef' | 'base' | 'variable' | 'function' | 'enumerator';

const KIND_OF_TAG = new Map<number, NameKind>([
  [DW_TAG.structure_type, 'struct'],
  [DW_TAG.class_type, 'struct'],
  [DW_TAG.union_type, 'union'],
  [DW_TAG.enumeration_type, 'enum'],
  [DW_TAG.typedef, 'typedef'],
  [DW_TAG.base_type, 'base'],
  [DW_TAG.variable, 'variable'],
  [DW_TAG.subprogram, 'function'],
]);

export interface IndexEntry {
  /** .debug_info offset of the DIE (for an enumerator: of the enumerator DIE). */
  offset: number;
  /** Index into the unit list. */
  unit: number;
}

export class DwarfIndex {
  readonly units: Unit[];
  /** kind → name → entry */
  private readonly names = new Map<NameKind, Map<string, IndexEntry>>();

  private constructor(readonly dwarf: DwarfSections, headers: UnitHeader[]) {
    const tables = new Map<number, AbbrevTable>();
    this.units = headers.map((h) => new Unit(dwarf, h, tables));
    for (const k of [...new Set(KIND_OF_TAG.values()), 'enumerator' as const]) this.names.set(k, new Map());
  }

  static build(dwarf: DwarfSections, onProgress?: (fraction: number, what: string) => void): DwarfIndex {
    const index = new DwarfIndex(dwarf, readUnitHeaders(dwarf));
    const total = dwarf.infoSize || 1;
    let lastReport = 0;
    index.units.forEach((u, i) => {
      index.indexUnit(u, i);
      u.release();
      if (onProgress && u.header.end - lastReport > total / 100) {
        lastReport = u.header.end;
        onProgress(u.header.end / total, 'indexing DWARF');
      }
    });
    return index;
  }

  /** Variables known only by an extern declaration (jiffies is defined by the linker script, not in C). */
  private readonly declaredOnly = new Set<string>();

  private add(kind: NameKind, name: string, entry: IndexEntry, declaration = false): void {
    const m = this.names.get(kind)!;
    if (!m.has(name)) {
      m.set(name, entry);
      if (declaration) this.declaredOnly.add(name);
    } else if (!declaration && this.declaredOnly.delete(name)) m.set(name, entry);
  }

  private indexUnit(u: Unit, unitIndex: number): void {
    const root = u.root();
    for (const d of u.children(root)) {
      const kind = KIND_OF_TAG.get(d.tag);
      if (!kind) continue;
      const declaration = d.attrs.get(DW_AT.declaration)?.cls === 'flag';
      const name = d.attrs.get(DW_AT.name);
      if (d.tag === DW_TAG.enumeration_type && !declaration) this.indexEnumerators(u, d, unitIndex);
      if (name?.cls !== 'string') continue;
      if (kind === 'variable') {
        // Prefer the definition (it has storage); keep an extern declaration until one is found.
        if (declaration || d.attrs.has(DW_AT.location)) this.add(kind, name.value, { offset: d.offset, unit: unitIndex }, declaration);
        continue;
      }
      if (declaration) continue;
      // A function is indexed where it has code, not at a mere mention.
      if (kind === 'function' && !d.attrs.has(DW_AT.low_pc)) continue;
      this.add(kind, name.value, { offset: d.offset, unit: unitIndex });
    }
  }

  private indexEnumerators(u: Unit, e: Die, unitIndex: number): void {
    for (const c of u.children(e)) {
      const n = c.attrs.get(DW_AT.name);
      if (c.tag === DW_TAG.enumerator && n?.cls === 'string') this.add('enumerator', n.value, { offset: c.offset, unit: unitIndex });
    }
  }

  lookup(kind: NameKind, name: string): Die | undefined {
    const e = this.names.get(kind)?.get(name);
    return e ? this.units[e.unit].die(e.offset) : undefined;
  }

  count(kind: NameKind): number {
    return this.names.get(kind)?.size ?? 0;
  }

  /** The unit holding an absolute .debug_info offset (binary search). */
  unitAt(offset: number): Unit | undefined {
    let lo = 0;
    let hi = this.units.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const h = this.units[mid].header;
      if (offset < h.offset) hi = mid - 1;
      else if (offset >= h.end) lo = mid + 1;
      else return this.units[mid];
    }
    return undefined;
  }

  /** The DIE at an absolute offset, in whichever unit holds it. */
  dieAt(offset: number): Die | undefined {
    return this.unitAt(offset)?.die(offset);
  }
}
