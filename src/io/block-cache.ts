// A bounded LRU cache of fixed-size blocks over a slow source (a file read with one system call or one
// FileReaderSync call per block). Reads that fit in one block return a view into it (no copy).
import { type ByteSource, checkRange } from './byte-source.ts';

export interface BlockReader {
  readonly name: string;
  readonly size: number;
  /** Read exactly `length` bytes at `offset` into a fresh buffer (the caller guarantees the range is valid). */
  readRaw(offset: number, length: number): Uint8Array;
}

export class CachedSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly maxBlocks: number;

  constructor(
    private readonly reader: BlockReader,
    readonly blockSize = 1 << 16,
    maxBytes = 64 << 20,
  ) {
    this.name = reader.name;
    this.size = reader.size;
    this.maxBlocks = Math.max(2, Math.floor(maxBytes / blockSize));
  }

  private block(index: number): Uint8Array {
    let b = this.blocks.get(index);
    if (b) {
      // Map keeps insertion order: re-inserting makes this block the most recently used.
      this.blocks.delete(index);
      this.blocks.set(index, b);
      return b;
    }
    const start = index * this.blockSize;
    b = this.reader.readRaw(start, Math.min(this.blockSize, this.size - start));
    if (this.blocks.size >= this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value as number);
    this.blocks.set(index, b);
    return b;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    if (length === 0) return new Uint8Array(0);
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    if (first === last) {
      const within = offset - first * this.blockSize;
      return this.block(first).subarray(within, within + length);
    }
    // Large reads bypass the cache so one big read cannot evict everything else.
    if (length > this.blockSize * 4) return this.reader.readRaw(offset, length);
    const out = new Uint8Array(length);
    let done = 0;
    for (let i = first; i <= last; i++) {
      const b = this.block(i);
      const from = i === first ? offset - first * this.blockSize : 0;
      const n = Math.min(b.length - from, length - done);
      out.set(b.subarray(from, from + n), done);
      done += n;
    }
    return out;
  }
}
