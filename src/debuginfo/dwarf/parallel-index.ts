// Building the DWARF name index on several cores. The engine is synchronous, so parallelism lives outside
// it: the host (the command line, or the browser's engine worker) splits the units into byte-balanced ranges,
// has each built by a worker (DwarfIndex.buildPart), merges the parts in unit order (DwarfIndex.fromParts —
// the same index one pass would give), and hands the result to the engine through the index cache.
import { DwarfIndex, type IndexPart } from './name-index.ts';
import type { DwarfSections } from './sections.ts';
import type { UnitHeader } from './unit.ts';

/** Builds units [from, to) somewhere else (a worker) and reports its progress as a fraction. */
export type PartBuilder = (from: number, to: number, onProgress: (fraction: number) => void) => Promise<IndexPart>;

/** Splits units into `n` consecutive ranges of about equal bytes. */
export function splitUnits(headers: UnitHeader[], n: number): [number, number][] {
  if (headers.length === 0) return [];
  const total = headers[headers.length - 1].end - headers[0].offset;
  const ranges: [number, number][] = [];
  let from = 0;
  for (let k = 1; k <= n && from < headers.length; k++) {
    const target = headers[0].offset + (total * k) / n;
    let to = from + 1;
    while (to < headers.length && (k === n || headers[to].offset < target)) to++;
    ranges.push([from, to]);
    from = to;
  }
  if (from < headers.length) ranges[ranges.length - 1][1] = headers.length;
  return ranges;
}

export async function buildIndexParallel(
  dwarf: DwarfSections,
  headers: UnitHeader[],
  workers: number,
  build: PartBuilder,
  onProgress?: (fraction: number, what: string) => void,
): Promise<DwarfIndex> {
  const ranges = splitUnits(headers, Math.max(1, workers));
  const done = ranges.map(() => 0);
  const weight = ranges.map(([a, b]) => headers[b - 1].end - headers[a].offset);
  const total = weight.reduce((s, w) => s + w, 0) || 1;
  const report = (): void => onProgress?.(done.reduce((s, f, i) => s + f * weight[i], 0) / total, 'indexing DWARF');
  const parts = await Promise.all(
    ranges.map(([from, to], i) =>
      build(from, to, (f) => {
        done[i] = f;
        report();
      }),
    ),
  );
  return DwarfIndex.fromParts(dwarf, headers, parts);
}
