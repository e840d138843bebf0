// Byte sources for tests: damage overlays, a read budget, and concatenation (to build big inputs virtually).
import { type ByteSource, checkRange } from '../../src/io/byte-source.ts';

/** Another source with some bytes replaced: flipped bits or overwritten fields, without copying the file. */
export class MutatedSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  private readonly patches: { offset: number; bytes: Uint8Array }[] = [];
  constructor(private readonly inner: ByteSource, name?: string) {
    this.name = name ?? inner.name;
    this.size = inner.size;
  }
  /** Overwrites bytes at `offset` (clipped to the file). */
  set(offset: number, bytes: Uint8Array): this {
    if (offset < this.size) this.patches.push({ offset, bytes: bytes.subarray(0, Math.max(0, this.size - offset)) });
    return this;
  }
  xor(offset: number, mask: number): this {
    const b = this.inner.read(offset, 1)[0]! ^ mask;
    return this.set(offset, Uint8Array.of(b));
  }
  u32(offset: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.set(offset, b);
  }
  u64(offset: number, v: bigint, littleEndian = true): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), littleEndian);
    return this.set(offset, b);
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    const end = offset + length;
    const hits = this.patches.filter((p) => p.offset < end && p.offset + p.bytes.length > offset);
    if (hits.length === 0) return this.inner.read(offset, length);
    const out = this.inner.read(offset, length).slice();
    for (const p of hits) {
      const from = Math.max(p.offset, offset);
      const to = Math.min(p.offset + p.bytes.length, end);
      out.set(p.bytes.subarray(from - p.offset, to - p.offset), from - offset);
    }
    return out;
  }
}

export class BudgetExceeded extends Error {
  override name = 'BudgetExceeded';
}

/** Counts bytes read and fails once a budget is spent: catches parsers that scan without bound. */
export class BudgetSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  spent = 0;
  constructor(private readonly inner: ByteSource, private readonly budget: number) {
    this.name = inner.name;
    this.size = inner.size;
  }
  read(offset: number, length: number): Uint8Array {
    this.spent += length;
    if (this.spent > this.budget) throw new BudgetExceeded(`read budget of ${this.budget} bytes spent`);
    return this.inner.read(offset, length);
  }
}

/** Several sources end to end, as one. */
export class ConcatSource implements ByteSource {
  readonly size: number;
  private readonly starts: number[] = [];
  constructor(readonly name: string, private readonly parts: ByteSource[]) {
    let at = 0;
    for (const p of parts) {
      this.starts.push(at);
      at += p.size;
    }
    this.size = at;
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const first = this.parts[lo]!;
    const within = offset - this.starts[lo]!;
    if (within + length <= first.size) return first.read(within, length);
    const out = new Uint8Array(length);
    let done = 0;
    for (let i = lo; done < length; i++) {
      const p = this.parts[i]!;
      const from = i === lo ? within : 0;
      const n = Math.min(p.size - from, length - done);
      if (n > 0) out.set(p.read(from, n), done);
      done += n;
    }
    return out;
  }
}
