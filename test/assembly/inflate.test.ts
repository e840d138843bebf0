// The WASM inflate (assembly/inflate.ts) against the real tool: streams made by Node's zlib, pages from a
// makedumpfile-format dump, hand-built streams for the rules RFC 1951 leaves to the decoder, and thousands of
// mutated streams that must give a status or exactly what zlib gives. Needs build/crashlens.wasm
// (`npm run build:wasm`; `npm test` builds it first).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CodecError, decompress } from '../../src/codec/codecs.ts';
import type { WasmExports } from '../../src/codec/wasm.ts';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { compressedPages } from '../helpers/compressed-pages.ts';
import { type DataKind, makeData, rng } from '../helpers/test-data.ts';
import { guardedCall } from '../helpers/guarded-codec.ts';
import { FIXTURES } from '../helpers/fixtures.ts';

const E_INPUT_TRUNCATED = -1;
const E_OUTPUT_OVERFLOW = -2;
const E_CORRUPT = -3;
const E_CHECKSUM = -4;
const E_UNSUPPORTED = -5;

type Fmt = 'zlib' | 'raw';
type Codec = (src: number, srcLen: number, dst: number, dstCap: number) => number;

const MIB = 1 << 20;
/** Output capacity for direct calls; mutated streams that would need more must report overflow. */
const CAP = 2 * MIB;
const CANARY = 64;

let w: WasmExports;
let dstPtr = 0;

beforeAll(() => {
  w = loadWasmNode();
  // Size decompress()'s reusable regions now so nothing allocates after the scratch space below is laid out.
  try {
    decompress('zlib', new Uint8Array(MIB), new Uint8Array(MIB));
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
  }
  dstPtr = w.alloc(CAP + CANARY);
  // Inputs are placed to end exactly at the end of linear memory, so any read past src+srcLen traps.
  w.memory.grow(64);
});

/** Calls the export directly: the status or the output, checking nothing was written past dst+cap. */
function run(fmt: Fmt, src: Uint8Array, cap = CAP): number | Uint8Array {
  const { n, out } = guardedCall(w, w[fmt === 'zlib' ? 'zlib_decompress' : 'inflate_raw'] as Codec, dstPtr, src, cap, CANARY);
  if (n < 0) return n;
  expect(n).toBeLessThanOrEqual(cap);
  return out;
}

/** What Node's zlib makes of the stream: the output, or null if it rejects it. */
function nodeInflate(fmt: Fmt, src: Uint8Array): Buffer | null {
  try {
    return fmt === 'zlib' ? zlib.inflateSync(src) : zlib.inflateRawSync(src);
  } catch {
    return null;
  }
}

/** Byte-exact comparison (vitest's deep equality is slow on large typed arrays). */
function expectBytes(got: number | Uint8Array, want: Uint8Array, what = ''): void {
  if (typeof got === 'number') throw new Error(`${what}: status ${got}, expected ${want.length} bytes`);
  expect(Buffer.from(got.buffer, got.byteOffset, got.length).equals(want), what).toBe(true);
}

// ---- Deterministic inputs ----


type Kind = Extract<DataKind, 'random' | 'zeros' | 'text' | 'repetitive' | 'kernel'>;
const KINDS: Kind[] = ['random', 'zeros', 'text', 'repetitive', 'kernel'];


function compress(fmt: Fmt, data: Uint8Array, opts: zlib.ZlibOptions): Buffer {
  return fmt === 'zlib' ? zlib.deflateSync(data, opts) : zlib.deflateRawSync(data, opts);
}

// ---- A bit writer for hand-built streams ----

class Bits {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  /** Appends `count` bits of v, least significant first (header fields, extra bits). */
  put(v: number, count: number): this {
    for (let i = 0; i < count; i++) {
      this.acc |= ((v >>> i) & 1) << this.n;
      if (++this.n === 8) this.flushByte();
    }
    return this;
  }
  /** Appends a Huffman code: most significant bit first. */
  code(c: number, len: number): this {
    for (let i = len - 1; i >= 0; i--) this.put((c >>> i) & 1, 1);
    return this;
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    this.acc = 0;
    this.n = 0;
  }
  align(): this {
    if (this.n > 0) this.flushByte();
    return this;
  }
  done(): Uint8Array {
    this.align();
    return Uint8Array.from(this.bytes);
  }
}

/** Canonical codes (RFC 1951 3.2.2) for the given lengths. */
function canonical(lens: number[]): number[] {
  const count = new Array<number>(16).fill(0);
  for (const l of lens) if (l) count[l]++;
  const next = new Array<number>(16).fill(0);
  let code = 0;
  for (let l = 1; l < 16; l++) {
    next[l] = code;
    code = (code + count[l]) << 1;
  }
  return lens.map((l) => (l ? next[l]++ : 0));
}

const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
// Code-length code: 13 symbols of 4 bits and 6 of 5 bits, a complete code covering all 19.
const CL_LENS = Array.from({ length: 19 }, (_, s) => (s < 13 ? 4 : 5));
const CL_CODES = canonical(CL_LENS);

/**
 * Writes a dynamic block header. `items` are code-length symbols, each [symbol, extra bits]; by default the
 * plain lengths litLens ++ distLens.
 */
function dynamicHeader(
  bw: Bits,
  final: boolean,
  litLens: number[],
  distLens: number[],
  items?: [number, number][],
): { lit: number[]; dist: number[] } {
  bw.put(final ? 1 : 0, 1).put(2, 2);
  bw.put(litLens.length - 257, 5).put(distLens.length - 1, 5).put(19 - 4, 4);
  for (const s of CL_ORDER) bw.put(CL_LENS[s], 3);
  for (const [sym, extra] of items ?? [...litLens, ...distLens].map((l): [number, number] => [l, 0])) {
    bw.code(CL_CODES[sym], CL_LENS[sym]);
    if (sym === 16) bw.put(extra, 2);
    if (sym === 17) bw.put(extra, 3);
    if (sym === 18) bw.put(extra, 7);
  }
  return { lit: canonical(litLens), dist: canonical(distLens) };
}

/** Lengths giving every literal/length symbol 0..285 a code: 256 of 8 bits, 30 of 9 bits... made complete. */
function fullLitLens(): number[] {
  // 226 codes of 8 bits + 60 of 9 bits: 226/256 + 60/512 = 1.
  return Array.from({ length: 286 }, (_, s) => (s < 226 ? 8 : 9));
}

const ADLER_MOD = 65521;
function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of data) {
    a = (a + x) % ADLER_MOD;
    b = (b + a) % ADLER_MOD;
  }
  return ((b << 16) | a) >>> 0;
}

function wrapZlib(raw: Uint8Array, expected: Uint8Array): Uint8Array {
  const out = new Uint8Array(raw.length + 6);
  out[0] = 0x78;
  out[1] = 0x9c;
  out.set(raw, 2);
  new DataView(out.buffer).setUint32(raw.length + 2, adler32(expected));
  return out;
}

/** Both Node and we must reject the raw stream (we with `status`), or both give `expected`. */
function agree(raw: Uint8Array, expected: Uint8Array | number): void {
  const ours = run('raw', raw);
  const theirs = nodeInflate('raw', raw);
  if (typeof expected === 'number') {
    expect(ours).toBe(expected);
    expect(theirs).toBeNull();
  } else {
    expect(ours).toEqual(expected);
    expect(theirs && new Uint8Array(theirs)).toEqual(expected);
  }
}

// ---- Tests ----

describe('inflate: streams made by zlib', () => {
  const SIZES = [0, 1, 2, 3, 7, 100, 257, 1000, 4096, 5000, 16384, 32769, 65536];
  const STRATEGIES: [string, number][] = [
    ['default', zlib.constants.Z_DEFAULT_STRATEGY],
    ['fixed', zlib.constants.Z_FIXED],
    ['huffman-only', zlib.constants.Z_HUFFMAN_ONLY],
    ['rle', zlib.constants.Z_RLE],
    ['filtered', zlib.constants.Z_FILTERED],
  ];

  for (const fmt of ['zlib', 'raw'] as Fmt[]) {
    for (const kind of KINDS) {
      it(`${fmt} ${kind}: levels 0/1/6/9 x strategies x sizes 0..64 KiB`, () => {
        let checked = 0;
        for (const size of SIZES) {
          const data = makeData(kind, size, size * 7 + kind.length);
          for (const level of [0, 1, 6, 9]) {
            for (const [, strategy] of STRATEGIES) {
              if (level === 0 && strategy !== zlib.constants.Z_DEFAULT_STRATEGY) continue;
              const c = compress(fmt, data, { level, strategy });
              const got = run(fmt, c, size);
              expectBytes(got, data, `${kind} size ${size} level ${level} strategy ${strategy}`);
              checked++;
            }
          }
        }
        expect(checked).toBeGreaterThan(100);
      });
    }
  }

  it('through decompress(): zlib and deflate codecs', () => {
    for (const kind of KINDS) {
      const data = makeData(kind, 4096, 99);
      const dst = new Uint8Array(4096);
      expect(decompress('zlib', zlib.deflateSync(data), dst)).toBe(4096);
      expectBytes(dst, data);
      dst.fill(0);
      expect(decompress('deflate', zlib.deflateRawSync(data, { level: 9 }), dst)).toBe(4096);
      expectBytes(dst, data);
    }
    expect(() => decompress('zlib', zlib.deflateSync(Buffer.alloc(4097)), new Uint8Array(4096))).toThrow(CodecError);
  });

  it('window sizes 9..15 and memLevels', () => {
    const data = makeData('repetitive', 40000, 5);
    for (let windowBits = 9; windowBits <= 15; windowBits++) {
      for (const memLevel of [1, 8, 9]) {
        expectBytes(run('zlib', zlib.deflateSync(data, { windowBits, memLevel, level: 9 })), data);
        expectBytes(run('raw', zlib.deflateRawSync(data, { windowBits, memLevel, level: 6 })), data);
      }
    }
  });

  it('multi-block streams: independent flushed pieces, then a final empty block', () => {
    const parts = KINDS.map((k, i) => makeData(k, 3000 + i * 1000, i + 1));
    const all = Buffer.concat(parts);
    for (const finishFlush of [zlib.constants.Z_SYNC_FLUSH, zlib.constants.Z_FULL_FLUSH]) {
      // Each piece ends byte-aligned with an empty non-final stored block, so the concatenation is one stream.
      const raw = Buffer.concat([
        ...parts.map((p, i) => zlib.deflateRawSync(p, { finishFlush, level: i % 2 ? 9 : 1 })),
        zlib.deflateRawSync(Buffer.alloc(0)),
      ]);
      expect(nodeInflate('raw', raw)).toEqual(all);
      expectBytes(run('raw', raw), all);
      expectBytes(run('zlib', wrapZlib(raw, all)), all);
    }
  });
});

describe('inflate: statuses', () => {
  const data = makeData('text', 5000, 3);
  const z = zlib.deflateSync(data);
  const raw = zlib.deflateRawSync(data);

  it('output capacity: exact fits, one short overflows', () => {
    expectBytes(run('zlib', z, data.length), data);
    expect(run('zlib', z, data.length - 1)).toBe(E_OUTPUT_OVERFLOW);
    expect(run('raw', raw, 0)).toBe(E_OUTPUT_OVERFLOW);
    const stored = zlib.deflateSync(data, { level: 0 });
    expect(run('zlib', stored, data.length - 1)).toBe(E_OUTPUT_OVERFLOW);
    expectBytes(run('zlib', zlib.deflateSync(Buffer.alloc(0)), 0), new Uint8Array(0));
    // Every capacity short of the output overflows, for matches ending near dst's end too.
    const rep = makeData('repetitive', 2000, 8);
    const zr = zlib.deflateSync(rep);
    for (let cap = 0; cap < rep.length; cap += 7) expect(run('zlib', zr, cap)).toBe(E_OUTPUT_OVERFLOW);
    for (let cap = rep.length; cap < rep.length + 40; cap++) expectBytes(run('zlib', zr, cap), rep);
  });

  it('every truncation is E_INPUT_TRUNCATED', () => {
    for (const [fmt, s] of [
      ['zlib', z],
      ['raw', raw],
      ['zlib', zlib.deflateSync(data, { level: 0 })],
      ['zlib', zlib.deflateSync(data, { strategy: zlib.constants.Z_FIXED })],
    ] as [Fmt, Buffer][]) {
      for (let len = 0; len < s.length; len++) {
        expect(run(fmt, s.subarray(0, len)), `${fmt} cut at ${len}/${s.length}`).toBe(E_INPUT_TRUNCATED);
      }
    }
  });

  it('zlib header and trailer', () => {
    expect(run('zlib', new Uint8Array(0))).toBe(E_INPUT_TRUNCATED);
    expect(run('zlib', Uint8Array.of(0x78))).toBe(E_INPUT_TRUNCATED);
    expect(run('zlib', Uint8Array.of(0x78, 0x9d, 0x03, 0x00))).toBe(E_CORRUPT); // FCHECK
    expect(run('zlib', Uint8Array.of(0x79, 0x94, 0x03, 0x00))).toBe(E_CORRUPT); // CM 9 (FCHECK valid)
    expect(run('zlib', Uint8Array.of(0x88, 0x98, 0x03, 0x00))).toBe(E_CORRUPT); // CINFO 8 (FCHECK valid)
    const dict = zlib.deflateSync(data, { dictionary: Buffer.from('the kernel') });
    expect(run('zlib', dict)).toBe(E_UNSUPPORTED);
    const bad = Buffer.from(z);
    bad[bad.length - 1] ^= 1;
    expect(run('zlib', bad)).toBe(E_CHECKSUM);
    expect(nodeInflate('zlib', bad)).toBeNull();
    // Trailing bytes after the stream are ignored, as zlib does.
    const extra = Buffer.concat([z, Buffer.from('garbage')]);
    expectBytes(run('zlib', extra), data);
    expect(nodeInflate('zlib', extra)).toEqual(data);
  });

  it('stored blocks: LEN/NLEN mismatch', () => {
    const s = new Bits().put(1, 1).put(0, 2).align().put(3, 16).put(0xfffb, 16).done();
    agree(Uint8Array.from([...s, 1, 2, 3]), E_CORRUPT);
    const ok = new Bits().put(1, 1).put(0, 2).align().put(3, 16).put(0xfffc, 16).done();
    agree(Uint8Array.from([...ok, 1, 2, 3]), Uint8Array.of(1, 2, 3));
  });

  it('block type 3', () => {
    agree(new Bits().put(1, 1).put(3, 2).put(0, 16).done(), E_CORRUPT);
  });

  it('fixed code: symbols 286/287 and distances 30/31 never occur', () => {
    // Fixed litlen codes: 280..287 are 8 bits, 11000000 + (s-280).
    for (const s of [286, 287]) agree(new Bits().put(1, 1).put(1, 2).code(0xc0 + s - 280, 8).put(0, 16).done(), E_CORRUPT);
    for (const d of [30, 31]) {
      // Literal 'a' (0x30 + 0x61, 8 bits), then length 3 (symbol 257 = 0000001, 7 bits), distance code d.
      const s = new Bits().put(1, 1).put(1, 2).code(0x30 + 0x61, 8).code(1, 7).code(d, 5).code(0, 7).done();
      agree(s, E_CORRUPT);
    }
    // Distance 1 after one literal is fine; distance 2 reaches before the output.
    agree(new Bits().put(1, 1).put(1, 2).code(0x30 + 0x61, 8).code(1, 7).code(0, 5).code(0, 7).done(), Uint8Array.of(97, 97, 97, 97));
    agree(new Bits().put(1, 1).put(1, 2).code(0x30 + 0x61, 8).code(1, 7).code(1, 5).code(0, 7).done(), E_CORRUPT);
    // A match at the very start.
    agree(new Bits().put(1, 1).put(1, 2).code(1, 7).code(0, 5).code(0, 7).done(), E_CORRUPT);
  });

  it('dynamic code definitions', () => {
    const lit = fullLitLens();
    const dist5 = new Array<number>(30).fill(5).map((l, i) => (i < 2 ? 4 : l)); // 2/16 + 28/32 = 1
    const block = (distLens: number[], body: (b: Bits, c: { lit: number[]; dist: number[] }) => void): Uint8Array => {
      const bw = new Bits();
      const c = dynamicHeader(bw, true, lit, distLens);
      body(bw, c);
      bw.code(c.lit[256], lit[256]);
      return bw.done();
    };
    const litA = (b: Bits, c: { lit: number[] }): Bits => b.code(c.lit[65], lit[65]);
    // A valid complete block: "A" then a copy of length 3 at distance 1.
    agree(block(dist5, (b, c) => litA(b, c).code(c.lit[257], lit[257]).code(c.dist[0], 4)), Uint8Array.of(65, 65, 65, 65));
    // A single distance code of one bit is allowed; the other bit pattern is not a code.
    const one = [1, ...new Array<number>(29).fill(0)];
    agree(block(one, (b, c) => litA(b, c).code(c.lit[257], lit[257]).put(0, 1)), Uint8Array.of(65, 65, 65, 65));
    agree(block(one, (b, c) => litA(b, c).code(c.lit[257], lit[257]).put(1, 1)), E_CORRUPT);
    // No distance codes at all: fine while only literals occur.
    const none = new Array<number>(1).fill(0);
    agree(block(none, (b, c) => litA(b, c)), Uint8Array.of(65));
    agree(block(none, (b, c) => litA(b, c).code(c.lit[257], lit[257]).put(0, 4)), E_CORRUPT);
    // Incomplete (two codes of two bits) and over-subscribed distance codes.
    agree(block([2, 2, ...new Array<number>(28).fill(0)], (b, c) => litA(b, c)), E_CORRUPT);
    agree(block([1, 1, 1, ...new Array<number>(27).fill(0)], (b, c) => litA(b, c)), E_CORRUPT);
    // Incomplete and over-subscribed literal/length codes.
    const bad = (litLens: number[]): Uint8Array => {
      const bw = new Bits();
      dynamicHeader(bw, true, litLens, dist5);
      return bw.put(0, 32).done();
    };
    agree(bad(lit.map((l, s) => (s === 285 ? 0 : l))), E_CORRUPT);
    agree(bad(lit.map((l, s) => (s === 0 ? 7 : l))), E_CORRUPT);
    // No end-of-block code.
    agree(bad(lit.map((l, s) => (s === 256 ? 0 : l === 9 && s === 285 ? 8 : l))), E_CORRUPT);
    // A lone one-bit literal/length code: only end-of-block.
    const eobOnly = new Array<number>(257).fill(0);
    eobOnly[256] = 1;
    {
      const bw = new Bits();
      dynamicHeader(bw, true, eobOnly, one);
      agree(bw.put(0, 1).done(), new Uint8Array(0));
    }
    {
      const bw = new Bits();
      dynamicHeader(bw, true, eobOnly, one);
      agree(bw.put(1, 1).put(0, 16).done(), E_CORRUPT);
    }
  });

  it('dynamic code-length repeats and counts', () => {
    const lit = fullLitLens();
    const dist = new Array<number>(30).fill(5).map((l, i) => (i < 2 ? 4 : l));
    const body = (items: [number, number][]): Uint8Array => {
      const bw = new Bits();
      const c = dynamicHeader(bw, true, lit, dist, items);
      // End of block (meaningful only when the header is valid).
      return bw.code(c.lit[256], lit[256]).done();
    };
    // 16 first: nothing to repeat.
    agree(body([[16, 0]]), E_CORRUPT);
    // A repeat running past HLIT+HDIST.
    const items: [number, number][] = [];
    for (let i = 0; i < 226; i++) items.push([8, 0]);
    for (let i = 0; i < 60; i++) items.push([9, 0]);
    const valid = [...items, [4, 0], [4, 0], ...new Array<[number, number]>(28).fill([5, 0])] as [number, number][];
    expect(nodeInflate('raw', body(valid))).not.toBeNull(); // the baseline is a valid header
    agree(body([...items, [4, 0], [4, 0], [18, 127]]), E_CORRUPT);
    agree(body([...items, [4, 0], [4, 0], ...new Array<[number, number]>(26).fill([5, 0]), [16, 0]]), E_CORRUPT);
    // Repeats, including ones that end exactly at the end, and zero runs (17/18).
    const rep6: [number, number] = [16, 3];
    const repeated: [number, number][] = [[8, 0], ...new Array<[number, number]>(37).fill(rep6), [8, 0], [8, 0], [8, 0]];
    repeated.push([9, 0], ...new Array<[number, number]>(9).fill(rep6), [9, 0], [9, 0], [9, 0], [9, 0], [9, 0]);
    expect(nodeInflate('raw', body([...repeated, [4, 0], [4, 0], [5, 0], ...new Array<[number, number]>(4).fill(rep6), [5, 0], [5, 0], [5, 0]]))).not.toBeNull();
    agree(body([...repeated, [4, 0], [4, 0], [5, 0], ...new Array<[number, number]>(4).fill(rep6), [5, 0], [5, 0], [5, 0]]), new Uint8Array(0));
    agree(body([...repeated, [1, 0], [18, 18]]), new Uint8Array(0));
    agree(body([...repeated, [1, 0], [17, 7], [18, 8]]), new Uint8Array(0));
    agree(body([...repeated, [1, 0], [18, 19]]), E_CORRUPT);
    // HLIT 30 (287 codes) and HDIST 30 (31 codes) are rejected, even with complete codes and only an
    // end-of-block to decode.
    const tooMany = (litLens: number[], distLens: number[]): Uint8Array => {
      const bw = new Bits();
      const c = dynamicHeader(bw, true, litLens, distLens);
      return bw.code(c.lit[256], litLens[256]).done();
    };
    const lit287 = Array.from({ length: 287 }, (_, s) => (s < 225 ? 8 : 9));
    const dist31 = [4, ...new Array<number>(30).fill(5)];
    agree(tooMany(lit, dist), new Uint8Array(0));
    agree(tooMany(lit287, dist), E_CORRUPT);
    agree(tooMany(lit, dist31), E_CORRUPT);
  });
});

describe('inflate: corrupted streams give a status or exactly what zlib gives', () => {
  // Valid streams to mutate: each kind, both formats, several strategies, small and page-sized.
  function bases(): { fmt: Fmt; comp: Buffer }[] {
    const out: { fmt: Fmt; comp: Buffer }[] = [];
    let seed = 1;
    for (const fmt of ['zlib', 'raw'] as Fmt[]) {
      for (const kind of KINDS) {
        for (const size of [50, 700, 4096]) {
          for (const strategy of [zlib.constants.Z_DEFAULT_STRATEGY, zlib.constants.Z_FIXED, zlib.constants.Z_RLE]) {
            out.push({ fmt, comp: compress(fmt, makeData(kind, size, seed++), { strategy, level: 6 }) });
          }
        }
      }
      out.push({ fmt, comp: compress(fmt, makeData('text', 3000, seed++), { level: 0 }) });
    }
    return out;
  }

  function mutate(src: Buffer, r: () => number, fmt: Fmt): Buffer {
    const b = Buffer.from(src);
    const pick = (n: number): number => (r() * n) | 0;
    switch (pick(6)) {
      case 0:
      case 1: {
        for (let k = 1 + pick(3); k > 0; k--) {
          const bit = pick(b.length * 8);
          b[bit >> 3] ^= 1 << (bit & 7);
        }
        return b;
      }
      case 2:
        return b.subarray(0, pick(b.length));
      case 3: {
        const at = pick(b.length);
        for (let k = 0, n = 1 + pick(16); k < n && at + k < b.length; k++) b[at + k] = pick(256);
        return b;
      }
      case 4: {
        // Drop or duplicate a span.
        const at = pick(b.length);
        const n = 1 + pick(8);
        return r() < 0.5 ? Buffer.concat([b.subarray(0, at), b.subarray(at + n)]) : Buffer.concat([b.subarray(0, at + n), b.subarray(at)]);
      }
      default: {
        // Garbage, behind a valid zlib header for the zlib format.
        const g = Buffer.alloc(1 + pick(600));
        for (let i = 0; i < g.length; i++) g[i] = pick(256);
        if (fmt === 'zlib') {
          g[0] = 0x78;
          if (g.length > 1) g[1] = 0x9c;
        }
        return g;
      }
    }
  }

  function check(fmt: Fmt, s: Buffer, mismatches: string[], stats: { ok: number; err: number }): void {
    const ours = run(fmt, s);
    const theirs = nodeInflate(fmt, s);
    if (typeof ours === 'number') {
      stats.err++;
      expect(ours).toBeLessThan(0);
      expect(ours).toBeGreaterThanOrEqual(-5);
      // zlib accepting what we reject is a disagreement too, unless the output exceeds our capacity.
      if (theirs && !(ours === E_OUTPUT_OVERFLOW && theirs.length > CAP)) {
        mismatches.push(`${fmt} ${s.toString('hex').slice(0, 80)}: we ${ours}, zlib ${theirs.length} bytes`);
      }
    } else {
      stats.ok++;
      if (!theirs || !Buffer.from(ours).equals(theirs)) {
        mismatches.push(`${fmt} ${s.toString('hex').slice(0, 80)}: we ${ours.length} bytes, zlib ${theirs ? theirs.length : 'error'}`);
      }
    }
  }

  it('3,000 mutations of zlib-made streams', { timeout: 120_000 }, () => {
    const r = rng(12345);
    const all = bases();
    const mismatches: string[] = [];
    const stats = { ok: 0, err: 0 };
    for (let i = 0; i < 3000; i++) {
      const base = all[(r() * all.length) | 0];
      check(base.fmt, mutate(base.comp, r, base.fmt), mismatches, stats);
    }
    expect(mismatches).toEqual([]);
    expect(stats.err).toBeGreaterThan(1000);
  });

  it('every single-bit flip of a page-sized dynamic stream', { timeout: 120_000 }, () => {
    const comp = zlib.deflateSync(makeData('kernel', 4096, 77));
    const mismatches: string[] = [];
    const stats = { ok: 0, err: 0 };
    for (let bit = 0; bit < comp.length * 8; bit++) {
      const b = Buffer.from(comp);
      b[bit >> 3] ^= 1 << (bit & 7);
      check('zlib', b, mismatches, stats);
      // Without the checksum, more flips decode to something: compare that too.
      check('raw', b.subarray(2, b.length - 4), mismatches, stats);
    }
    expect(mismatches).toEqual([]);
  });
});

// ---- Real pages: a makedumpfile-format (kdump compressed) dump with zlib pages ----

const DUMP = join(FIXTURES, 'a-qemu-sysrq', 'dumps', 'qemu-kdump-zlib.kdump');

describe.skipIf(!existsSync(DUMP))('inflate: zlib pages of a real makedumpfile dump', () => {
  let pages: Uint8Array[] = [];
  beforeAll(() => {
    pages = compressedPages(DUMP, 'zlib', { max: 800 });
  });

  it('decodes pages exactly as zlib does', () => {
    expect(pages.length).toBeGreaterThan(300);
    const dst = new Uint8Array(4096);
    for (const p of pages) {
      const want = zlib.inflateSync(p);
      expect(want.length).toBe(4096);
      expect(decompress('zlib', p, dst)).toBe(4096);
      expect(Buffer.from(dst).equals(want)).toBe(true);
    }
  });

  it('mutated real pages give a status or what zlib gives', { timeout: 120_000 }, () => {
    const r = rng(4242);
    let errors = 0;
    for (let i = 0; i < 1500; i++) {
      const b = Buffer.from(pages[(r() * pages.length) | 0]);
      const bit = (r() * b.length * 8) | 0;
      b[bit >> 3] ^= 1 << (bit & 7);
      const ours = run('zlib', b, 4096);
      const theirs = nodeInflate('zlib', b);
      if (typeof ours === 'number') {
        errors++;
        if (theirs) expect(theirs.length).toBeGreaterThan(4096);
      } else {
        expect(theirs && Buffer.from(ours).equals(theirs)).toBe(true);
      }
    }
    expect(errors).toBeGreaterThan(1000);
  });
});
