// Resolving overlapping ranges into disjoint pieces. Two formats need it: ELF cores may list the same
// physical range twice (the kernel-text segment of /proc/vmcore), and a flattened stream may write the same
// file range twice (the later write wins, as when the stream is replayed onto a file).

export interface Piece {
  start: number;
  /** Exclusive. */
  end: number;
  /** Index of the input range this piece comes from. */
  ref: number;
}

/**
 * Disjoint pieces, sorted by start, covering the union of the ranges; where ranges overlap, each part is
 * taken from the range with the highest priority. Empty ranges are dropped. O(n log n).
 */
export function paint(starts: ArrayLike<number>, ends: ArrayLike<number>, priority: (ref: number) => number): Piece[] {
  const n = starts.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (ends[i]! > starts[i]!) order.push(i);
  order.sort((a, b) => starts[a]! - starts[b]! || priority(b) - priority(a));

  // Fast path: already disjoint (the usual case).
  let disjoint = true;
  for (let k = 1; k < order.length && disjoint; k++) if (starts[order[k]!]! < ends[order[k - 1]!]!) disjoint = false;
  if (disjoint) return order.map((i) => ({ start: starts[i]!, end: ends[i]!, ref: i }));

  const bounds = new Set<number>();
  for (const i of order) {
    bounds.add(starts[i]!);
    bounds.add(ends[i]!);
  }
  const points = [...bounds].sort((a, b) => a - b);
  const heap = new MaxHeap(priority);
  const out: Piece[] = [];
  let next = 0;
  for (let p = 0; p + 1 < points.length; p++) {
    const lo = points[p]!;
    const hi = points[p + 1]!;
    while (next < order.length && starts[order[next]!]! <= lo) heap.push(order[next++]!);
    while (heap.size > 0 && ends[heap.top()]! <= lo) heap.pop();
    if (heap.size === 0) continue;
    const ref = heap.top();
    const last = out[out.length - 1];
    if (last && last.ref === ref && last.end === lo) last.end = hi;
    else out.push({ start: lo, end: hi, ref });
  }
  return out;
}

/** Index of the last piece starting at or before `at`, or -1. */
export function pieceAt(pieces: readonly Piece[], at: number): number {
  let lo = 0;
  let hi = pieces.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (pieces[mid]!.start <= at) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

class MaxHeap {
  private readonly items: number[] = [];
  constructor(private readonly prio: (ref: number) => number) {}
  get size(): number {
    return this.items.length;
  }
  top(): number {
    return this.items[0]!;
  }
  push(x: number): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.prio(a[parent]!) >= this.prio(a[i]!)) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }
  pop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.prio(a[l]!) > this.prio(a[m]!)) m = l;
      if (r < a.length && this.prio(a[r]!) > this.prio(a[m]!)) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
  }
}
