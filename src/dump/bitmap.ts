// A page bitmap stored in a dump file (bit n = pfn n, least significant bit first, as makedumpfile writes
// it), read lazily, with a rank index: rank(n) = set bits before n, which is the index of pfn n's page
// descriptor in a KDUMP file. The index is built on demand, front to back, a super-block at a time, so
// opening a dump costs nothing and looking up a page costs at most one 64-byte popcount.
import type { ByteSource } from '../io/byte-source.ts';

const SUPER_BITS = 1 << 16;
const SUPER_BYTES = SUPER_BITS / 8;
const BLOCK_BITS = 512;
const BLOCK_BYTES = BLOCK_BITS / 8;
const BLOCKS_PER_SUPER = SUPER_BITS / BLOCK_BITS;
const CACHED_SUPERS = 16;

const POP = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP[i] = (i & 1) + POP[i >> 1]!;

export class FileBitmap {
  readonly bits: number;
  private readonly supers: number;
  /** Set bits before each super-block; valid up to index `built`. */
  private readonly superRank: Float64Array;
  /** Set bits before each 512-bit block, counted from the start of its super-block. */
  private readonly blockRank: Uint16Array;
  private built = 0;
  private readonly cache = new Map<number, Uint8Array>();

  constructor(
    private readonly src: ByteSource,
    /** File offset of the bitmap's first byte. */
    readonly offset: number,
    /** Length in bytes; the caller has checked it lies inside the file. */
    readonly length: number,
  ) {
    this.bits = length * 8;
    this.supers = Math.ceil(length / SUPER_BYTES);
    this.superRank = new Float64Array(this.supers + 1);
    this.blockRank = new Uint16Array(this.supers * BLOCKS_PER_SUPER);
  }

  /** The bytes of super-block s (a private copy: kept across reads). */
  private superBytes(s: number): Uint8Array {
    let b = this.cache.get(s);
    if (b) return b;
    const start = s * SUPER_BYTES;
    b = this.src.read(this.offset + start, Math.min(SUPER_BYTES, this.length - start)).slice();
    if (this.cache.size >= CACHED_SUPERS) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(s, b);
    return b;
  }

  get(bit: number): boolean {
    if (bit < 0 || bit >= this.bits) return false;
    const s = Math.floor(bit / SUPER_BITS);
    const within = bit - s * SUPER_BITS;
    return ((this.superBytes(s)[within >> 3]! >> (within & 7)) & 1) === 1;
  }

  private buildTo(s: number): void {
    for (; this.built <= s && this.built < this.supers; this.built++) {
      const k = this.built;
      const bytes = this.superBytes(k);
      let count = 0;
      for (let b = 0; b < BLOCKS_PER_SUPER; b++) {
        this.blockRank[k * BLOCKS_PER_SUPER + b] = count;
        const end = Math.min((b + 1) * BLOCK_BYTES, bytes.length);
        for (let i = b * BLOCK_BYTES; i < end; i++) count += POP[bytes[i]!]!;
      }
      this.superRank[k + 1] = this.superRank[k]! + count;
    }
  }

  /** Number of set bits in [0, bit). */
  rank(bit: number): number {
    if (bit <= 0) return 0;
    if (bit >= this.bits) {
      this.buildTo(this.supers - 1);
      return this.superRank[this.supers]!;
    }
    const s = Math.floor(bit / SUPER_BITS);
    this.buildTo(s);
    const within = bit - s * SUPER_BITS;
    const block = within >> 9;
    let r = this.superRank[s]! + this.blockRank[s * BLOCKS_PER_SUPER + block]!;
    const bytes = this.superBytes(s);
    const lastByte = within >> 3;
    for (let i = block * BLOCK_BYTES; i < lastByte; i++) r += POP[bytes[i]!]!;
    const rem = within & 7;
    if (rem) r += POP[bytes[lastByte]! & ((1 << rem) - 1)]!;
    return r;
  }

  /** Number of set bits in the whole bitmap. */
  count(): number {
    return this.rank(this.bits);
  }

  /** Whether any bit in [from, to) is set (scans bytes; for checks, not per-page paths). */
  any(from: number, to: number): boolean {
    return this.rank(Math.min(to, this.bits)) - this.rank(Math.max(0, from)) > 0;
  }
}
