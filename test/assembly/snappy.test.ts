// Raw snappy (assembly/snappy.ts): real makedumpfile -p pages and snappyjs-compressed data checked against
// snappyjs, random streams using every element form, and mutated input that must come back as a status,
// never a trap.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { decompress } from '../../src/codec/codecs.ts';
import type { WasmExports } from '../../src/codec/wasm.ts';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { compressedPages } from '../helpers/compressed-pages.ts';
import { guardedCall } from '../helpers/guarded-codec.ts';
import { fixture } from '../helpers/fixtures.ts';

const E_INPUT_TRUNCATED = -1;
const E_OUTPUT_OVERFLOW = -2;
const E_CORRUPT = -3;
const PAGE = 4096;

type CodecFn = (src: number, srcLen: number, dst: number, dstCap: number) => number;

interface SnappyJs {
  compress(data: Uint8Array): Uint8Array;
  uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}
const snappyjs = createRequire(import.meta.url)('snappyjs') as SnappyJs;

// --- the decoder under test, called directly ---------------------------------------------------------------

let w: WasmExports;
let snappy: CodecFn;
let dstPtr = 0;
const MAX_OUT = 1 << 17;
const GUARD = 64;

/**
 * Runs snappy_decompress with the input ending exactly at the end of WASM memory (reading past it traps)
 * and a guard band after dst+cap that must stay untouched.
 */
function run(src: Uint8Array, cap: number): { n: number; out: Uint8Array } {
  expect(w.memory.buffer.byteLength - src.length).toBeGreaterThanOrEqual(dstPtr + MAX_OUT + GUARD);
  return guardedCall(w, snappy, dstPtr, src, cap, GUARD);
}

beforeAll(() => {
  w = loadWasmNode();
  snappy = w.snappy_decompress as CodecFn;
  dstPtr = w.alloc(MAX_OUT + GUARD);
  // Fresh pages at the top of memory that no allocation owns: run() puts inputs at their very end.
  w.memory.grow(2);
});

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

// --- real pages --------------------------------------------------------------------------------------------

let realPages: Uint8Array[] = [];

describe('snappy_decompress on makedumpfile -p pages', () => {
  it('decodes every sampled page to 4096 bytes equal to snappyjs', () => {
    realPages = compressedPages(fixture('a-qemu-sysrq', 'mdf-d31-snappy.kdump').path, 'snappy', { step: 16 });
    expect(realPages.length).toBeGreaterThan(500);
    const out = new Uint8Array(PAGE);
    for (const page of realPages) {
      expect(decompress('snappy', page, out)).toBe(PAGE);
      expect(same(out, snappyjs.uncompress(page))).toBe(true);
    }
  });

  it('reports E_OUTPUT_OVERFLOW when the preamble exceeds dstCap, and every prefix as an error', () => {
    for (const page of realPages.slice(0, 50)) {
      expect(run(page, PAGE - 1).n).toBe(E_OUTPUT_OVERFLOW);
      expect(run(page, 0).n).toBe(E_OUTPUT_OVERFLOW);
    }
    // Cut inside an element: truncated; cut between elements: the output falls short of the preamble.
    const page = realPages[0] ?? new Uint8Array(0);
    for (let len = 0; len < page.length; len++) expect([E_INPUT_TRUNCATED, E_CORRUPT]).toContain(run(page.subarray(0, len), PAGE).n);
    expect(run(page.subarray(0, 1), PAGE).n).toBe(E_INPUT_TRUNCATED);
  });
});

// --- snappyjs's compressor ---------------------------------------------------------------------------------

describe('snappy_decompress on snappyjs output', () => {
  it('round-trips zeros, text, random bytes and a mix', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const lines = Array.from({ length: 3000 }, (_, i) => `pid ${i * 13} comm kworker/${i % 9}:${i % 4} state S\n`).join('');
    const inputs = [
      new Uint8Array(0),
      new Uint8Array(1).fill(9),
      new Uint8Array(PAGE),
      new TextEncoder().encode(lines).subarray(0, 100_000),
      new Uint8Array(70_000).map(rnd),
      new Uint8Array(90_000).map((_, i) => (i % 1000 < 600 ? rnd() : i % 7)),
    ];
    for (const input of inputs) {
      const c = snappyjs.compress(input);
      const { n, out } = run(c, MAX_OUT);
      expect(n).toBe(input.length);
      expect(same(out, input)).toBe(true);
      expect(run(c, input.length).n).toBe(input.length);
      if (input.length) expect(run(c, input.length - 1).n).toBe(E_OUTPUT_OVERFLOW);
    }
  });
});

// --- hand-made streams -------------------------------------------------------------------------------------

const bytes = (...parts: (number | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : [p])));
const text = (u: Uint8Array): string => String.fromCharCode(...u);

describe('snappy_decompress element by element', () => {
  it('decodes literals (inline length and 1..4 length bytes) and copies with 1-, 2- and 4-byte offsets', () => {
    expect(run(bytes(0), 0).n).toBe(0);
    expect(text(run(bytes(5, 4 << 2, 'hello'), 64).out)).toBe('hello');
    expect(text(run(bytes(3, 60 << 2, 2, 'abc'), 64).out)).toBe('abc');
    expect(text(run(bytes(3, 61 << 2, 2, 0, 'abc'), 64).out)).toBe('abc');
    expect(text(run(bytes(3, 62 << 2, 2, 0, 0, 'abc'), 64).out)).toBe('abc');
    expect(text(run(bytes(3, 63 << 2, 2, 0, 0, 0, 'abc'), 64).out)).toBe('abc');
    // 'abc', copy-1 (len 4 + 2, offset 3), copy-2 (len 1 + 4, offset 2), copy-4 (len 1 + 1, offset 11).
    const src = bytes(16, 2 << 2, 'abc', 1 | (2 << 2), 3, 2 | (4 << 2), 2, 0, 3 | (1 << 2), 11, 0, 0, 0);
    expect(text(run(src, 64).out)).toBe('abcabcabcbcbcbab');
    // Copy-1 carries offset bits 8..10 in the tag: 300 zeros (a literal, copy-2 x 64 x 4, copy-2 x 43), then
    // 4 bytes from 260 back.
    const run64 = [2 | (63 << 2), 1, 0];
    const far = bytes(0xb0, 0x02, 0, 0, ...run64, ...run64, ...run64, ...run64, 2 | (42 << 2), 1, 0, 1 | (1 << 5), 4);
    const { n, out } = run(far, 512);
    expect(n).toBe(304);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  it('rejects bad offsets, a wrong total, and truncation', () => {
    expect(run(bytes(5, 0, 'a', 1, 0), 64).n).toBe(E_CORRUPT); // offset 0
    expect(run(bytes(6, 0, 'a', 1 | (1 << 2), 2), 64).n).toBe(E_CORRUPT); // offset 2 after 1 byte
    expect(run(bytes(6, 0, 'a', 1 | (1 << 2), 1), 64).n).toBe(6); // offset 1: 'aaaaaa'
    expect(run(bytes(5, 0, 'a'), 64).n).toBe(E_CORRUPT); // output short of the preamble
    expect(run(bytes(1, 4 << 2, 'hello'), 64).n).toBe(E_CORRUPT); // output beyond the preamble
    expect(run(bytes(2, 0, 'a', 1, 1), 64).n).toBe(E_CORRUPT); // a copy beyond the preamble
    expect(run(bytes(5, 4 << 2, 'hello'), 4).n).toBe(E_OUTPUT_OVERFLOW);
    expect(run(bytes(), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(0x80), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(5, 4 << 2, 'hel'), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(5, 63 << 2, 4, 0, 0), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(5, 0, 'a', 2 | (3 << 2), 1), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(5, 0, 'a', 3 | (3 << 2), 1, 0, 0), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(5, 0, 'a', 1), 64).n).toBe(E_INPUT_TRUNCATED);
    // Preamble: at most 5 bytes and below 2^32.
    expect(run(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0), 64).n).toBe(E_CORRUPT);
    expect(run(bytes(0xff, 0xff, 0xff, 0xff, 0x1f), 64).n).toBe(E_CORRUPT);
    expect(run(bytes(0xff, 0xff, 0xff, 0xff, 0x0f), 64).n).toBe(E_OUTPUT_OVERFLOW);
    // A literal length near 2^32 must not wrap.
    expect(run(bytes(5, 63 << 2, 0xff, 0xff, 0xff, 0xff, 'hello'), 64).n).toBe(E_CORRUPT);
  });
});

// --- random valid streams ----------------------------------------------------------------------------------

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random raw snappy block using every element form, and the bytes it must decode to. */
function randomSnappy(rand: () => number, target: number): { stream: Uint8Array; plain: Uint8Array } {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const plain: number[] = [];
  const body: number[] = [];
  const alphabet = int(2, 256);
  const le = (v: number, k: number): void => {
    for (let i = 0; i < k; i++) body.push((v >>> (8 * i)) & 0xff);
  };
  const literal = (n: number, minimal: boolean): void => {
    const need = n - 1 < 60 ? 0 : n - 1 < 0x100 ? 1 : n - 1 < 0x10000 ? 2 : 3;
    const k = minimal ? need : int(Math.max(need, 1), 4);
    if (k === 0) body.push((n - 1) << 2);
    else {
      body.push((59 + k) << 2);
      le(n - 1, k);
    }
    for (let i = 0; i < n; i++) {
      const b = int(0, alphabet - 1);
      plain.push(b);
      body.push(b);
    }
  };
  literal(int(1, 100), rand() < 0.5);
  while (plain.length < target) {
    if (rand() < 0.3) {
      literal(rand() < 0.8 ? int(1, 64) : int(65, 3000), rand() < 0.7);
      continue;
    }
    const have = plain.length;
    const kind = int(1, 3);
    const near = rand() < 0.3;
    let len: number;
    let dist: number;
    if (kind === 1) {
      len = int(4, 11);
      dist = int(1, Math.min(near ? 8 : 2047, have));
      body.push(1 | ((len - 4) << 2) | ((dist >> 8) << 5), dist & 0xff);
    } else {
      len = int(1, 64);
      dist = int(1, Math.min(near ? 8 : kind === 2 ? 65535 : 1 << 20, have));
      body.push(kind | ((len - 1) << 2));
      le(dist, kind === 2 ? 2 : 4);
    }
    for (let i = 0; i < len; i++) plain.push(plain[plain.length - dist] ?? 0);
  }
  // snappyjs wants 4 bytes after any length tag; a final plain literal guarantees it.
  literal(int(4, 20), true);
  const pre: number[] = [];
  for (let v = plain.length; ; v >>>= 7) {
    if (v < 0x80) {
      pre.push(v);
      break;
    }
    pre.push((v & 0x7f) | 0x80);
  }
  return { stream: new Uint8Array([...pre, ...body]), plain: new Uint8Array(plain) };
}

describe('snappy_decompress on random streams', () => {
  it('decodes 400 generated streams exactly, as snappyjs does', () => {
    const rand = prng(0x5a99);
    for (let i = 0; i < 400; i++) {
      const { stream, plain } = randomSnappy(rand, i % 4 === 0 ? 60000 : Math.floor(rand() * 6000));
      const { n, out } = run(stream, i % 3 === 0 ? plain.length : MAX_OUT);
      expect(n).toBe(plain.length);
      expect(same(out, plain)).toBe(true);
      expect(same(snappyjs.uncompress(stream), plain)).toBe(true);
    }
  });
});

// --- mutated input -----------------------------------------------------------------------------------------

describe('snappy_decompress on mutated input', () => {
  it('returns a status or a length for 3,000 damaged inputs, never traps or writes past dstCap', () => {
    const rand = prng(0xbad2);
    const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
    const sources = realPages.slice(0, 150);
    expect(sources.length).toBe(150);
    const seen = new Map<number | string, number>();
    for (let i = 0; i < 3000; i++) {
      const base = sources[i % sources.length] ?? new Uint8Array(1);
      let m = new Uint8Array(base);
      const how = i % 6;
      if (how === 0) for (let k = int(1, 4); k > 0; k--) m[int(0, m.length - 1)] ^= 1 << int(0, 7);
      else if (how === 1) m = m.slice(0, int(0, m.length - 1));
      else if (how === 2) for (let k = int(1, 8); k > 0; k--) m[int(0, m.length - 1)] = int(0, 255);
      else if (how === 3) m = new Uint8Array(int(1, 4096)).map(() => int(0, 255));
      else if (how === 4) {
        const at = int(2, m.length - 1);
        m = rand() < 0.5 ? new Uint8Array([...m.subarray(0, at), int(0, 255), ...m.subarray(at)]) : new Uint8Array([...m.subarray(0, at), ...m.subarray(at + 1)]);
      } else m.fill(int(0, 255), int(2, m.length - 1), int(2, m.length));
      const cap = i % 5 === 0 ? int(0, PAGE) : i % 7 === 0 ? MAX_OUT : PAGE;
      const { n } = run(m, cap);
      expect(n === E_INPUT_TRUNCATED || n === E_OUTPUT_OVERFLOW || n === E_CORRUPT || (n >= 0 && n <= cap)).toBe(true);
      const key = n >= 0 ? 'ok' : n;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    // Each outcome shows up, so the mutations reach every exit.
    for (const k of ['ok', E_INPUT_TRUNCATED, E_OUTPUT_OVERFLOW, E_CORRUPT]) expect(seen.get(k) ?? 0).toBeGreaterThan(0);
  });
});
