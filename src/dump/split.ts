// A split KDUMP set (makedumpfile --split): several files, each with split=1 and its own [start_pfn,
// end_pfn), read as one physical memory. A pfn goes to the part holding it; a pfn no given part holds is
// 'lost' (RAM whose file is missing) or 'absent' (not RAM, by the 1st bitmap every part carries).
import { DumpFormatError } from '../errors.ts';
import { hex } from './binary.ts';
import type { DumpFile } from './dump-file.ts';
import type { ParsedNotes } from './elf-notes.ts';
import type { KdumpFile } from './kdump-compressed.ts';
import { missing, PagedMemory, type PageState } from './physical-memory.ts';

export class SplitKdump extends PagedMemory implements DumpFile {
  readonly format: string;
  readonly fileName: string;
  override readonly pageSize: number;
  readonly maxPfn: bigint;
  readonly partial: boolean;
  readonly notes: ParsedNotes;
  readonly warnings: string[] = [];
  /** Parts sorted by start pfn. */
  readonly parts: readonly KdumpFile[];
  /** pfn ranges [start, end) that no given part holds. */
  readonly gaps: readonly { start: bigint; end: bigint }[];

  constructor(parts: KdumpFile[]) {
    super();
    if (parts.length === 0) throw new DumpFormatError('(no files)', 'a split dump needs at least one part');
    const first = parts[0]!;
    for (const p of parts) {
      if (!p.splitRange) throw new DumpFormatError(p.fileName, `not part of a split dump (split=0): it cannot be opened together with other files`);
      const why = mismatch(first, p);
      if (why) throw new DumpFormatError(p.fileName, `not a part of the same dump as ${first.fileName}: ${why}`);
    }
    this.parts = [...parts].sort((a, b) => (a.splitRange!.start < b.splitRange!.start ? -1 : a.splitRange!.start > b.splitRange!.start ? 1 : 0));
    this.pageSize = first.pageSize;
    this.maxPfn = first.maxPfn;
    this.partial = first.partial;
    this.format = `${first.format}, split in ${parts.length} file(s)`;
    this.fileName = this.parts.map((p) => p.fileName).join(', ');
    // Every part carries the same notes; take the first that has registers.
    this.notes = this.parts.find((p) => p.notes.prstatus.length > 0)?.notes ?? first.notes;

    const gaps: { start: bigint; end: bigint }[] = [];
    let at = 0n;
    for (const p of this.parts) {
      const r = p.splitRange!;
      if (r.start < at) {
        const prev = this.parts[this.parts.indexOf(p) - 1]!;
        throw new DumpFormatError(p.fileName, `holds pfns ${hex(r.start)}-${hex(r.end)}, overlapping ${prev.fileName} (${hex(prev.splitRange!.start)}-${hex(prev.splitRange!.end)}): the same file given twice?`);
      }
      if (r.start > at) gaps.push({ start: at, end: r.start });
      at = r.end;
      this.warnings.push(...p.warnings);
    }
    if (at < this.maxPfn) gaps.push({ start: at, end: this.maxPfn });
    this.gaps = gaps;
    for (const g of gaps)
      this.warnings.push(`${this.fileName}: no part of the split dump holds pfns ${hex(g.start)}-${hex(g.end - 1n)}: a file of the set is missing; their pages are lost`);
  }

  get incomplete(): boolean {
    return this.gaps.length > 0 || this.parts.some((p) => p.incomplete);
  }

  private partFor(pfn: bigint): KdumpFile | undefined {
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.parts[mid]!.splitRange!;
      if (pfn < r.start) hi = mid - 1;
      else if (pfn >= r.end) lo = mid + 1;
      else return this.parts[mid];
    }
    return undefined;
  }

  pageState(pfn: bigint): PageState {
    if (pfn < 0n || pfn >= this.maxPfn) return 'absent';
    const part = this.partFor(pfn);
    if (part) return part.pageState(pfn);
    return this.parts[0]!.isRam(pfn) ? 'lost' : 'absent';
  }

  readPage(pfn: bigint, out: Uint8Array): void {
    const part = pfn >= 0n && pfn < this.maxPfn ? this.partFor(pfn) : undefined;
    if (part) return part.readPage(pfn, out);
    const state = this.pageState(pfn) === 'lost' ? 'lost' : 'absent';
    const gap = this.gaps.find((g) => pfn >= g.start && pfn < g.end);
    throw missing(
      this,
      pfn,
      state,
      state === 'lost' && gap ? `the part of the split dump holding pfns ${hex(gap.start)}-${hex(gap.end - 1n)} was not given` : 'not RAM',
    );
  }

  override describe(): string[] {
    const out = [`format: ${this.format}`];
    for (const p of this.parts) out.push(`part ${p.fileName}: pfns ${hex(p.splitRange!.start)}-${hex(p.splitRange!.end)}`);
    for (const g of this.gaps) out.push(`missing: pfns ${hex(g.start)}-${hex(g.end)}`);
    for (const p of this.parts) out.push(...p.describe().map((l) => `  ${l}`));
    return out;
  }
}

/** Why two files are not parts of one dump, or '' if they may be. */
function mismatch(a: KdumpFile, b: KdumpFile): string {
  const ha = a.header;
  const hb = b.header;
  if (ha.signature !== hb.signature) return `signature "${hb.signature}" vs "${ha.signature}"`;
  for (const k of ['sysname', 'nodename', 'release', 'version', 'machine', 'domainname'] as const)
    if (ha.utsname[k] !== hb.utsname[k]) return `utsname.${k} "${hb.utsname[k]}" vs "${ha.utsname[k]}"`;
  if (ha.timestamp.sec !== hb.timestamp.sec || ha.timestamp.usec !== hb.timestamp.usec)
    return `timestamp ${hb.timestamp.sec}.${hb.timestamp.usec} vs ${ha.timestamp.sec}.${ha.timestamp.usec}`;
  if (ha.blockSize !== hb.blockSize) return `block_size ${hb.blockSize} vs ${ha.blockSize}`;
  if (a.maxPfn !== b.maxPfn) return `max_mapnr ${b.maxPfn} vs ${a.maxPfn}`;
  return '';
}
