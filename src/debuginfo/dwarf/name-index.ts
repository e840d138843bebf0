// One name index over .debug_info: for each name, the first complete definition of each kind (struct, union,
// enum, typedef, base type, variable, function) and every enumerator's value. Only the DIEs directly under a
// unit (and the enumerators of enums there) are decoded; everything else is skipped, by DW_AT_sibling when
// the producer wrote it. Units are visited in order and their bytes dropped afterwards, so memory stays
// bounded by the index itself.
import { DW_AT, DW_TAG } from './constants.ts';
import type { DwarfSections } from './sections.ts';
import { type Die, readUnitHeaders, Unit, type UnitHeader } from './unit.ts';
import type { AbbrevTable } from './abbrev.ts';
import type { Reader } from './reader.ts';

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

const KINDS: readonly NameKind[] = ['struct', 'union', 'enum', 'typedef', 'base', 'variable', 'function', 'enumerator'];

/** The names found in a range of units, as plain arrays (cheap to post between workers). */
export interface IndexPart {
  from: number;
  to: number;
  kinds: number[];
  names: string[];
  offsets: number[];
  units: number[];
  declarations: number[];
  /** byte_size of struct/union definitions (-1 for other kinds), to tell same-named types apart. */
  sizes: number[];
  /** decl_line of struct/union definitions (-1 when absent): same-sized namesakes differ here. */
  lines: number[];
}

export interface IndexEntry {
  /** .debug_info offset of the DIE (for an enumerator: of the enumerator DIE). */
  offset: number;
  /** Index into the unit list. */
  unit: number;
  /** byte_size and decl_line, for struct/union definitions. */
  size?: number;
  line?: number;
}

const CACHE_MAGIC = 'crashlens-dwarf-index';
/** Bump when the index's meaning or layout changes: old cache entries are then rebuilt. */
const INDEX_FORMAT = 4;

/** FNV-1a over bytes: cheap, synchronous (unlike crypto.subtle), enough to catch a damaged cache entry. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
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
    const headers = readUnitHeaders(dwarf);
    return DwarfIndex.fromParts(dwarf, headers, [DwarfIndex.buildPart(dwarf, headers, 0, headers.length, onProgress)]);
  }

  /**
   * Indexes units [from, to) into a part: the names in the order met, with whether each was a mere
   * declaration. Parts of consecutive unit ranges, built in parallel workers, merge into the same index a
   * single pass would build (fromParts).
   */
  static buildPart(
    dwarf: DwarfSections,
    headers: UnitHeader[],
    from: number,
    to: number,
    onProgress?: (fraction: number, what: string) => void,
  ): IndexPart {
    const index = new DwarfIndex(dwarf, headers);
    const part: IndexPart = { from, to, kinds: [], names: [], offsets: [], units: [], declarations: [], sizes: [], lines: [] };
    index.recording = part;
    const start = headers[from]?.offset ?? 0;
    const total = Math.max(1, (headers[to - 1]?.end ?? 0) - start);
    let lastReport = start;
    for (let i = from; i < to; i++) {
      const u = index.units[i];
      index.indexUnit(u, i);
      u.release();
      if (onProgress && u.header.end - lastReport > total / 100) {
        lastReport = u.header.end;
        onProgress((u.header.end - start) / total, 'indexing DWARF');
      }
    }
    return part;
  }

  /** Merges parts (in unit order) into one index. */
  static fromParts(dwarf: DwarfSections, headers: UnitHeader[], parts: IndexPart[]): DwarfIndex {
    const index = new DwarfIndex(dwarf, headers);
    for (const p of [...parts].sort((a, b) => a.from - b.from))
      for (let i = 0; i < p.names.length; i++)
        index.add(
          KINDS[p.kinds[i]],
          p.names[i],
          { offset: p.offsets[i], unit: p.units[i], size: p.sizes[i] >= 0 ? p.sizes[i] : undefined, line: p.lines[i] >= 0 ? p.lines[i] : undefined },
          p.declarations[i] === 1,
        );
    return index;
  }

  /** Other definitions of a struct/union name, with sizes unlike the first: "struct x" → entries. */
  private readonly variants = new Map<string, IndexEntry[]>();

  /** Set while building a part: add() records instead of indexing. */
  private recording: IndexPart | undefined;
  private readonly recorded = new Set<string>();

  /**
   * The index as bytes for a cache: magic, a JSON body (unit headers and names), and a checksum, so a
   * damaged or foreign entry is detected and rebuilt rather than trusted. `key` (the vmlinux build-id and
   * size) is stored and checked too.
   */
  toBytes(key: string): Uint8Array {
    const names: Record<string, [string[], number[], number[]]> = {};
    for (const [kind, m] of this.names) {
      const list: [string[], number[], number[]] = [[], [], []];
      for (const [name, e] of m) {
        list[0].push(name);
        list[1].push(e.offset);
        list[2].push(e.unit);
      }
      names[kind] = list;
    }
    const body = JSON.stringify({
      key,
      version: INDEX_FORMAT,
      units: this.units.map((u) => u.header),
      names,
      declaredOnly: [...this.declaredOnly],
      variants: [...this.variants],
    });
    const bytes = new TextEncoder().encode(body);
    const out = new Uint8Array(CACHE_MAGIC.length + 4 + bytes.length);
    out.set(new TextEncoder().encode(CACHE_MAGIC));
    new DataView(out.buffer).setUint32(CACHE_MAGIC.length, fnv1a(bytes), true);
    out.set(bytes, CACHE_MAGIC.length + 4);
    return out;
  }

  /** An index from cache bytes, or undefined if they are damaged, of another format, or for another file. */
  static fromBytes(dwarf: DwarfSections, bytes: Uint8Array, key: string): DwarfIndex | undefined {
    try {
      if (bytes.length < CACHE_MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, CACHE_MAGIC.length)) !== CACHE_MAGIC) return undefined;
      const body = bytes.subarray(CACHE_MAGIC.length + 4);
      if (new DataView(bytes.buffer, bytes.byteOffset).getUint32(CACHE_MAGIC.length, true) !== fnv1a(body)) return undefined;
      const data = JSON.parse(new TextDecoder().decode(body)) as {
        key: string;
        version: number;
        units: UnitHeader[];
        names: Record<string, [string[], number[], number[]]>;
        declaredOnly: string[];
        variants: [string, IndexEntry[]][];
      };
      if (data.key !== key || data.version !== INDEX_FORMAT) return undefined;
      const index = new DwarfIndex(dwarf, data.units);
      for (const [kind, [names, offsets, units]] of Object.entries(data.names)) {
        const m = index.names.get(kind as NameKind);
        if (!m) return undefined;
        for (let i = 0; i < names.length; i++) m.set(names[i], { offset: offsets[i], unit: units[i] });
      }
      for (const d of data.declaredOnly) index.declaredOnly.add(d);
      for (const [k, v] of data.variants) index.variants.set(k, v);
      return index;
    } catch {
      return undefined;
    }
  }

  /** "variable name" of variables known only by an extern declaration (jiffies: the linker script defines it). */
  private readonly declaredOnly = new Set<string>();

  private add(kind: NameKind, name: string, entry: IndexEntry, declaration = false): void {
    const r = this.recording;
    if (r) {
      // The same header type is met in thousands of units: an exact repeat cannot change the merged
      // index (the first of equal entries wins), so a part records each once.
      const key = `${kind} ${name} ${entry.size ?? ''} ${entry.line ?? ''} ${declaration ? 1 : 0}`;
      if (this.recorded.has(key)) return;
      this.recorded.add(key);
      r.kinds.push(KINDS.indexOf(kind));
      r.names.push(name);
      r.offsets.push(entry.offset);
      r.units.push(entry.unit);
      r.declarations.push(declaration ? 1 : 0);
      r.sizes.push(entry.size ?? -1);
      r.lines.push(entry.line ?? -1);
      return;
    }
    const m = this.names.get(kind)!;
    const first = m.get(name);
    if (first && entry.size !== undefined && (first.size !== entry.size || first.line !== entry.line)) {
      // Two different types of one name (static types of separate files): keep each (size, line) once. The
      // same header type seen from many units has the same size and declaration line.
      const key = `${kind} ${name}`;
      const list = this.variants.get(key) ?? [];
      if (!list.some((v) => v.size === entry.size && v.line === entry.line)) {
        list.push(entry);
        this.variants.set(key, list);
      }
      return;
    }
    if (!m.has(name)) {
      m.set(name, entry);
      if (declaration) this.declaredOnly.add(`${kind} ${name}`);
    } else if (!declaration && this.declaredOnly.delete(`${kind} ${name}`)) m.set(name, entry);
  }

  /**
   * The fast path: walks the unit's top-level DIEs reading only DW_AT_name and DW_AT_sibling, and knowing
   * from the abbreviation alone whether a DIE is a declaration or has a location / code address. No
   * per-DIE objects are made, which is what keeps indexing a 160 MB .debug_info fast.
   */
  private indexUnit(u: Unit, unitIndex: number): void {
    const h = u.header;
    const abbrevs = u.abbrevs;
    const r: Reader = u.reader(h.dieOffset);
    const rootAbbrev = abbrevs.get(r.uleb());
    if (!rootAbbrev) r.fail('unit root has an unknown abbreviation');
    for (const form of rootAbbrev.forms) u.skipValue(r, form);
    if (!rootAbbrev.hasChildren) return;
    while (r.offset < h.end) {
      const dieOffset = r.offset;
      const code = r.uleb();
      if (code === 0) return; // end of the unit's children
      const a = abbrevs.get(code);
      if (!a) r.fail(`unknown abbreviation code ${code}`);
      const kind = KIND_OF_TAG.get(a.tag);
      let name: string | undefined;
      let sibling = -1;
      let size: number | undefined;
      let line: number | undefined;
      if (!kind && a.fixedSize >= 0 && !a.attrs.includes(DW_AT.sibling)) r.skip(a.fixedSize);
      else
        for (let i = 0; i < a.forms.length; i++) {
          const at = a.attrs[i];
          if (at === DW_AT.name && kind) {
            const v = u.readValue(r, a.forms[i], a.implicit[i]);
            if (v.cls === 'string') name = v.value;
          } else if (at === DW_AT.sibling) {
            const v = u.readValue(r, a.forms[i], a.implicit[i]);
            if (v.cls === 'ref') sibling = v.offset;
          } else if ((at === DW_AT.byte_size || at === DW_AT.decl_line) && (kind === 'struct' || kind === 'union')) {
            const v = u.readValue(r, a.forms[i], a.implicit[i]);
            if (v.cls === 'const') {
              if (at === DW_AT.byte_size) size = Number(v.value);
              else line = Number(v.value);
            }
          } else u.skipValue(r, a.forms[i]);
        }
      const afterAttrs = r.offset;
      if (kind && name !== undefined) {
        const declaration = a.attrs.includes(DW_AT.declaration);
        if (kind === 'variable') {
          // Prefer the definition (it has storage); keep an extern declaration until one is found.
          if (declaration || a.attrs.includes(DW_AT.location)) this.add(kind, name, { offset: dieOffset, unit: unitIndex }, declaration);
        } else if (!declaration && (kind !== 'function' || a.attrs.includes(DW_AT.low_pc))) {
          // A function is indexed where it has code, not at a mere mention.
          this.add(kind, name, { offset: dieOffset, unit: unitIndex, size, line });
        }
      }
      if (a.tag === DW_TAG.enumeration_type && a.hasChildren) {
        const d = u.die(dieOffset);
        if (d) this.indexEnumerators(u, d, unitIndex);
      }
      // indexEnumerators and die() move the shared reader: position it explicitly.
      let next = afterAttrs;
      if (a.hasChildren) next = sibling > dieOffset && sibling <= h.end ? sibling : u.skipChildren(afterAttrs);
      u.reader(next);
    }
  }

  private indexEnumerators(u: Unit, e: Die, unitIndex: number): void {
    for (const c of u.children(e)) {
      const n = c.attrs.get(DW_AT.name);
      if (c.tag === DW_TAG.enumerator && n?.cls === 'string') this.add('enumerator', n.value, { offset: c.offset, unit: unitIndex });
    }
  }

  /** Every distinct definition of a struct/union name: the first, then other sizes. */
  lookupAll(kind: NameKind, name: string): Die[] {
    const entries = [this.names.get(kind)?.get(name), ...(this.variants.get(`${kind} ${name}`) ?? [])];
    const out: Die[] = [];
    for (const e of entries) {
      const d = e ? this.units[e.unit].die(e.offset) : undefined;
      if (d) out.push(d);
    }
    return out;
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
