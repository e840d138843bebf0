// LZO1X (assembly/lzo1x.ts): real makedumpfile -l pages checked against lzo-wasm (FFmpeg's decoder), an
// lzop -9 (LZO1X-999) stream, random streams built instruction by instruction, and mutated input that must
// come back as a status, never a trap.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
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

// --- the decoder under test, called directly ---------------------------------------------------------------

let w: WasmExports;
let lzo: CodecFn;
let dstPtr = 0;
const MAX_OUT = 1 << 17;
const GUARD = 64;

/**
 * Runs lzo1x_decompress with the input ending exactly at the end of WASM memory (reading past it traps)
 * and a guard band after dst+cap that must stay untouched.
 */
function run(src: Uint8Array, cap: number): { n: number; out: Uint8Array } {
  expect(w.memory.buffer.byteLength - src.length).toBeGreaterThanOrEqual(dstPtr + MAX_OUT + GUARD);
  return guardedCall(w, lzo, dstPtr, src, cap, GUARD);
}

// --- the reference: lzo-wasm (FFmpeg's av_lzo1x_decode compiled by Emscripten) --------------------------------

interface LzoWasmModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  cwrap(name: string, ret: string, args: string[]): (src: number, srcLen: number, outLen: number) => number;
}
let refDecode: (src: Uint8Array, outLen: number) => Uint8Array;

async function loadReference(): Promise<void> {
  const require = createRequire(import.meta.url);
  const js = require.resolve('lzo-wasm/lzo-wasm.js');
  // The package's index.js imports the .wasm as a bundler asset; its Emscripten factory takes the bytes.
  const mod = (await import(pathToFileURL(js).href)) as { default: (o: { wasmBinary: Uint8Array }) => Promise<LzoWasmModule> };
  const M = await mod.default({ wasmBinary: readFileSync(js.replace(/\.js$/, '.wasm')) });
  const dec = M.cwrap('decompress', 'number', ['number', 'number', 'number']);
  refDecode = (src, outLen) => {
    const p = M._malloc(src.length);
    M.HEAPU8.set(src, p);
    try {
      const o = dec(p, src.length, outLen);
      const r = M.HEAPU8.slice(o, o + outLen);
      M._free(o);
      return r;
    } finally {
      M._free(p);
    }
  };
}

beforeAll(async () => {
  w = loadWasmNode();
  lzo = w.lzo1x_decompress as CodecFn;
  dstPtr = w.alloc(MAX_OUT + GUARD);
  // A fresh page at the top of memory that no allocation owns: run() puts inputs at its very end.
  w.memory.grow(2);
  await loadReference();
});

// --- real pages --------------------------------------------------------------------------------------------

let realPages: Uint8Array[] = [];

describe('lzo1x_decompress on makedumpfile -l pages', () => {
  it('decodes every sampled page to 4096 bytes equal to lzo-wasm', () => {
    realPages = compressedPages(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump').path, 'lzo', { step: 16 });
    expect(realPages.length).toBeGreaterThan(500);
    const out = new Uint8Array(PAGE);
    for (const page of realPages) {
      expect(decompress('lzo', page, out)).toBe(PAGE);
      expect(Buffer.from(out).equals(refDecode(page, PAGE))).toBe(true);
    }
  });

  it('reports E_OUTPUT_OVERFLOW when a page does not fit', () => {
    for (const page of realPages.slice(0, 50)) {
      expect(run(page, PAGE - 1).n).toBe(E_OUTPUT_OVERFLOW);
      expect(run(page, 17).n).toBe(E_OUTPUT_OVERFLOW);
    }
  });
});

// --- hand-made streams -------------------------------------------------------------------------------------

const bytes = (...parts: (number | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : [p])));
const text = (u: Uint8Array): string => String.fromCharCode(...u);
const END = [0x11, 0, 0];

describe('lzo1x_decompress instruction by instruction', () => {
  it('decodes the bare end marker (liblzo on empty input) to nothing', () => {
    expect(run(bytes(...END), 0).n).toBe(0);
  });

  it('takes a first byte above 17 as a literal run, then M2 / M1 / M3 / M4 copies', () => {
    // 22 = 5 literals. M2 0x40|D<<2: 3 bytes from distance (H<<3)+D+1 = 5.
    expect(text(run(bytes(22, 'hello', 0x40 | (4 << 2), 0, ...END), 64).out)).toBe('hellohel');
    // 18 = 1 literal, state 1; then 0..15 is M1: 2 bytes from (H<<2)+D+1 = 1, S=2 literals follow. (liblzo
    // accepts M1 straight after the first-byte run; FFmpeg's decoder does not.)
    expect(text(run(bytes(18, 'a', 0x02, 0, 'bc', ...END), 64).out)).toBe('aaabc');
    // M3 (32..63): length 2+L, LE16 distance-1 << 2 | S; here 5 bytes from distance 3 (overlapping).
    expect(text(run(bytes(20, 'xyz', 0x20 | 3, 2 << 2, 0, ...END), 64).out)).toBe('xyzxyzxy');
  });

  it('decodes M1 at 2049..3072 after four or more literals', () => {
    // 2100 literals (long run: 0, then 0 x8 (8*255), then 2100-18-2040 = 42), then M1: 3 bytes from 2049+D+(H<<2).
    const lits = new Uint8Array(2100).map((_, i) => (i * 7) & 0xff);
    const src = bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 42, ...lits, (1 << 2) | 1, 2, 'Q', ...END);
    const { n, out } = run(src, 4096);
    expect(n).toBe(2104);
    const at = 2100 - (2049 + 1 + (2 << 2));
    expect([...out.subarray(2100, 2103)]).toEqual([...lits.subarray(at, at + 3)]);
    expect(out[2103]).toBe(0x51);
    // After a first-byte run of 4+ literals the same form reaches 2049 back: never valid that early.
    expect(run(bytes(18 + 3, 'abcd', 0x00, 0, ...END), 64).n).toBe(E_CORRUPT);
  });

  it('decodes M4 copies 16 KiB and more back', () => {
    // 'ab\0', 16500 zeros (M3 from distance 1 with an extended length 2 + 31 + 16467), then M4: 4 bytes from
    // distance 16384 + 119, the start.
    const ext = [...new Array<number>(64).fill(0), 16467 - 64 * 255];
    const src = bytes(20, 'ab', 0, 0x20, ...ext, 0, 0, 0x10 | 2, (119 << 2) & 0xff, 119 >> 6, ...END);
    const { n, out } = run(src, 32768);
    expect(n).toBe(3 + 16500 + 4);
    expect(text(out.subarray(0, 2))).toBe('ab');
    expect(out.subarray(2, 16503).every((b) => b === 0)).toBe(true);
    expect(text(out.subarray(16503))).toBe('ab\0\0');
  });

  it('decodes the kernel v1 zero run (17, version byte, then H=1 with all D bits set)', () => {
    // Zero run of ((X << 3) | L) + 4 = (2 << 3 | 3) + 4 = 23, S = 1 literal after it.
    const { n, out } = run(bytes(17, 1, 18, 'a', 0x18 | 3, 0xfd, 0xff, 2, 'z', ...END), 64);
    expect(n).toBe(25);
    expect(text(out)).toBe(`a${'\0'.repeat(23)}z`);
  });

  it('rejects look-behind before the start, truncation and overflow', () => {
    expect(run(bytes(18, 'a', 0x44, 0, ...END), 64).n).toBe(E_CORRUPT); // distance 2 after 1 byte
    expect(run(bytes(18, 'a', 0x40, 0, ...END), 64).n).toBe(4); // distance 1 is fine: 'aaaa'
    expect(run(bytes(0x10 | 2, 4, 0, ...END), 64).n).toBe(E_CORRUPT); // an M4 copy before any output
    expect(run(bytes(0x02, 4, 0, ...END), 64).n).toBe(E_INPUT_TRUNCATED); // 0..17 first: a 5-byte literal run
    expect(run(bytes(), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(22, 'hello'), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(22, 'hel'), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(22, 'hello', 0x11, 0), 64).n).toBe(E_INPUT_TRUNCATED);
    expect(run(bytes(22, 'hello', ...END), 4).n).toBe(E_OUTPUT_OVERFLOW);
    expect(run(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 42), 64).n).toBe(E_OUTPUT_OVERFLOW); // 2100 literals
    expect(run(bytes(22, 'hello', 0x40, 0, ...END), 7).n).toBe(E_OUTPUT_OVERFLOW);
    // Bytes after the end marker are ignored, as liblzo does (LZO_E_INPUT_NOT_CONSUMED with valid output).
    expect(run(bytes(22, 'hello', ...END, 1, 2, 3), 64).n).toBe(5);
  });
});

// --- a real tool's LZO1X-999 stream ------------------------------------------------------------------------

/** The input that LZOP9 compresses: random bytes, log lines, 17000 zeros, a repeat 21 KiB back, patterns. */
function lzopSample(): Uint8Array {
  const out: number[] = [];
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 24;
  };
  for (let i = 0; i < 300; i++) out.push(rnd());
  const textStart = out.length;
  for (let i = 0; out.length - textStart < 4000; i++) {
    const line = `[${String(i * 37).padStart(6)}] task ${i % 7} pfn 0x${(Math.imul(i, 2654435761) >>> 0).toString(16)} state ${'RSDTZ'[i % 5]}\n`;
    for (const c of line) out.push(c.charCodeAt(0));
  }
  for (let i = 0; i < 17000; i++) out.push(0);
  for (let i = 0; i < 1000; i++) out.push(out[textStart + i] ?? 0);
  for (let i = 0; i < 500; i++) out.push('abc'.charCodeAt(i % 3));
  for (let i = 0; i < 301; i++) out.push('xy'.charCodeAt(i % 2));
  for (let i = 0; i < 100; i++) out.push(rnd());
  return new Uint8Array(out);
}

describe('lzo1x_decompress on an lzop -9 stream', () => {
  const stream = new Uint8Array(Buffer.from(LZOP9, 'base64'));
  const plain = lzopSample();

  it('decodes it exactly (M1, M3 and M4 with long lengths)', () => {
    const { n, out } = run(stream, MAX_OUT);
    expect(n).toBe(plain.length);
    expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
    expect(Buffer.from(refDecode(stream, plain.length)).equals(Buffer.from(plain))).toBe(true);
    expect(run(stream, plain.length).n).toBe(plain.length);
  });

  it('reports every proper prefix as truncated and every short output as overflow', () => {
    for (let len = 0; len < stream.length; len++) expect(run(stream.subarray(0, len), MAX_OUT).n).toBe(E_INPUT_TRUNCATED);
    for (let cap = 0; cap < plain.length; cap += 97) expect(run(stream, cap).n).toBe(E_OUTPUT_OVERFLOW);
    expect(run(stream, plain.length - 1).n).toBe(E_OUTPUT_OVERFLOW);
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

/**
 * A random LZO1X stream using every instruction form (except M1 right after the first-byte literal run,
 * which FFmpeg refuses), and the bytes it must decode to.
 */
function randomLzo(rand: () => number, target: number): { stream: Uint8Array; plain: Uint8Array } {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const plain: number[] = [];
  const s: number[] = [];
  const alphabet = int(2, 256);
  const literals = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const b = int(0, alphabet - 1);
      plain.push(b);
      s.push(b);
    }
  };
  // Extended length: zero bytes worth 255 each, then the non-zero rest.
  const ext = (v: number): void => {
    const z = Math.floor((v - 1) / 255);
    for (let i = 0; i < z; i++) s.push(0);
    s.push(v - z * 255);
  };
  const literalRun = (n: number): void => {
    if (n <= 18) s.push(n - 3);
    else {
      s.push(0);
      ext(n - 18);
    }
    literals(n);
  };
  const longLength = (len: number): number => (rand() < 0.5 ? int(len, len + 4) : int(len, len + 700));

  let state: number;
  let afterFirst = false;
  const first = rand() < 0.5 ? int(1, 238) : int(4, 400);
  if (first <= 238 && rand() < 0.6) {
    s.push(17 + first);
    literals(first);
    state = first < 4 ? first : 4;
    afterFirst = true;
  } else {
    literalRun(Math.max(first, 4));
    state = 4;
  }

  while (plain.length < target) {
    const have = plain.length;
    const after = rand() < 0.4 ? 0 : rand() < 0.5 ? int(1, 3) : rand() < 0.8 ? int(4, 18) : int(19, 600);
    const S = after >= 1 && after <= 3 ? after : 0;
    const kinds: string[] = ['M2', 'M3'];
    if (state >= 1 && state <= 3 && !afterFirst) kinds.push('M1near', 'M1near');
    if (state === 4 && !afterFirst && have >= 2049) kinds.push('M1far', 'M1far');
    if (have >= 16385) kinds.push('M4', 'M4');
    const kind = kinds[int(0, kinds.length - 1)];
    let len: number;
    let dist: number;
    if (kind === 'M1near') {
      len = 2;
      dist = int(1, Math.min(1024, have));
      s.push((((dist - 1) & 3) << 2) | S, (dist - 1) >> 2);
    } else if (kind === 'M1far') {
      len = 3;
      dist = int(2049, Math.min(3072, have));
      s.push((((dist - 2049) & 3) << 2) | S, (dist - 2049) >> 2);
    } else if (kind === 'M2') {
      len = int(3, 8);
      dist = int(1, Math.min(2048, have));
      const d = dist - 1;
      s.push((len <= 4 ? 0x40 | ((len - 3) << 5) : 0x80 | ((len - 5) << 5)) | ((d & 7) << 2) | S, d >> 3);
    } else if (kind === 'M3') {
      len = rand() < 0.7 ? int(3, 33) : longLength(34);
      dist = rand() < 0.3 ? int(1, Math.min(8, have)) : int(1, Math.min(16384, have));
      if (len <= 33) s.push(0x20 | (len - 2));
      else {
        s.push(0x20);
        ext(len - 33);
      }
      s.push((((dist - 1) << 2) | S) & 0xff, (dist - 1) >> 6);
    } else {
      len = rand() < 0.7 ? int(3, 9) : longLength(10);
      dist = int(16385, Math.min(49151, have));
      const d = dist - 16384;
      if (len <= 9) s.push(0x10 | ((d >> 14) << 3) | (len - 2));
      else {
        s.push(0x10 | ((d >> 14) << 3));
        ext(len - 9);
      }
      s.push((((d & 0x3fff) << 2) | S) & 0xff, (d & 0x3fff) >> 6);
    }
    for (let i = 0; i < len; i++) plain.push(plain[plain.length - dist] ?? 0);
    afterFirst = false;
    if (S) {
      literals(S);
      state = S;
    } else if (after >= 4) {
      literalRun(after);
      state = 4;
    } else {
      state = 0;
    }
  }
  s.push(...END);
  return { stream: new Uint8Array(s), plain: new Uint8Array(plain) };
}

describe('lzo1x_decompress on random streams', () => {
  it('decodes 400 generated streams exactly, as lzo-wasm does', () => {
    const rand = prng(0x1a20);
    for (let i = 0; i < 400; i++) {
      const { stream, plain } = randomLzo(rand, i % 4 === 0 ? 40000 : Math.floor(rand() * 6000));
      const { n, out } = run(stream, i % 3 === 0 ? plain.length : MAX_OUT);
      expect(n).toBe(plain.length);
      expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
      expect(Buffer.from(refDecode(stream, plain.length)).equals(Buffer.from(plain))).toBe(true);
    }
  });
});

// --- mutated input -----------------------------------------------------------------------------------------

describe('lzo1x_decompress on mutated input', () => {
  it('returns a status or a length for 3,000 damaged inputs, never traps or writes past dstCap', () => {
    const rand = prng(0xbad1);
    const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
    const v1 = bytes(17, 1, 18, 'a', 0x18 | 3, 0xfd, 0xff, 2, 'z', 0x40, 1, 0x22, 0x10, 0, ...END);
    expect(run(v1, 64).n).toBe(32);
    const sources = [...realPages.slice(0, 150), new Uint8Array(Buffer.from(LZOP9, 'base64')), v1];
    expect(sources.length).toBeGreaterThan(100);
    const seen = new Map<number | string, number>();
    for (let i = 0; i < 3000; i++) {
      const base = sources[i % sources.length];
      let m = new Uint8Array(base);
      const how = i % 6;
      if (how === 0) for (let k = int(1, 4); k > 0; k--) m[int(0, m.length - 1)] ^= 1 << int(0, 7);
      else if (how === 1) m = m.slice(0, int(0, m.length - 1));
      else if (how === 2) for (let k = int(1, 8); k > 0; k--) m[int(0, m.length - 1)] = int(0, 255);
      else if (how === 3) m = new Uint8Array(int(1, 4096)).map(() => int(0, 255));
      else if (how === 4) {
        const at = int(0, m.length - 1);
        m = rand() < 0.5 ? new Uint8Array([...m.subarray(0, at), int(0, 255), ...m.subarray(at)]) : new Uint8Array([...m.subarray(0, at), ...m.subarray(at + 1)]);
      } else m.fill(int(0, 255), int(0, m.length - 1), int(0, m.length));
      const cap = i % 5 === 0 ? int(0, PAGE) : PAGE;
      const { n } = run(m, cap);
      expect(n === E_INPUT_TRUNCATED || n === E_OUTPUT_OVERFLOW || n === E_CORRUPT || (n >= 0 && n <= cap)).toBe(true);
      const key = n >= 0 ? 'ok' : n;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    // Each outcome shows up, so the mutations reach every exit.
    for (const k of ['ok', E_INPUT_TRUNCATED, E_OUTPUT_OVERFLOW, E_CORRUPT]) expect(seen.get(k) ?? 0).toBeGreaterThan(0);
  });
});

// lzop -9 (LZO1X-999) compression of lzopSample(): the raw stream of its one block, lifted out of the lzop
// container.
const LZOP9 =
  'AAAd06fWDcI+za8gr2mWJlJlfua7RNCfWlt9qrnaXpYCZAXMH0fBspdSWyf86rHakM1G2XOyak+Cr45HrxPmCYoZckY+sAw6JzAPeeW3' +
  'yAJ6lKzf3OoXWQZ+A5R/VgUe0ZR0uG6/lGMAZSWQG7mf3tukGtbMcJuRR/43MAckXJyttjDkdFC9SE/fc7Mshjc6FVP15Xn1d9S/UPyH' +
  'A6jO04/MyttzaaMNXnZL9IFf0GsrZp+BclbnDgeDo9AKunSgho9i9uk8JOGT7HwvXjLiV7cMdG2jnOU00JH4EI3dp209JRLdrynUAm7z' +
  'TxDkmSNr8t7Ns1T6JUjsYUMX3UH7MPoe8oH8uQe2jieLCxHZhqSy5QCuKdEXWkbDSYAlwT9poHgVI2GjzFSrD3NkveQ3WyBgAAAIMF0g' +
  'dGFzayAwIHBmbiAweDAgc3RhdGUgUgqeAzM33QMx3AMFOWUzNzc5YjHZBFO6BDc02QQy2AQFM2M2ZWYzNjLZBESbBDExMdkEM9gEBWRh' +
  'YTY2ZDEz2QRUugQ0ONkENNgEBTc4ZGRlNmM02QRaugQ4NdkENdgEBTE3MTU2MDc1KwsDMjIy2QQ22AQFYjU0Y2RhMjYrCwMyNTktJAQF' +
  'NTM4NDUzZDcrCwMyOTYtQAQFZjFiYmNkODgrCwMzMzMtQAQFOGZmMzQ3MzkrCwMzNzAtQAQFMmUyYWMwZWErCwM0MDctQQRjC1cyM2EI' +
  'YSsLAzQ0NC1BBDYKCDliBQVjKwsDNDgxLUAEBDhkMTJkZmQrBwM1MTgtPQRhASs4DgBhZSsHAzU1NS09BDQGVzAyDWFmKwcDNTkyLTwE' +
  '2UgwKwcDNjI5LT8EODFhA1g0YzErBwM2NjYtPAQFMWZlNjhlNzIrCwM3MDMtPAQFYmUxZTA4MjMrCwM3NDAtPAQFNWM1NTgxZDQrCwM3' +
  'NzctQAQFZmE4Y2ZiODUrCwM4MTQuxQw4Aa43AZI2KwsDODUxLsUMNg0SZQEANysLAzg4OC7EDAQ1MzM2ODk4KwsDOTI1LsQMBDM2YWUy' +
  'NDkrCwM5NjIuxAwEMWEyNWJmYSsLAzk5OS1BBGEBhzkCHmFiKgkDMQVXNi1ABAU0ZTExNGY1YyoJAzENrjMtQAQFZWM0OGM5MGQqCANJ' +
  'gzAuxAwEYTgwNDJiZSoIA10LNy7HDDhiNwLgNmYqCQMxAa80LsQMvZEwKwsDMjIxLscMNTI2VR0xKwsDMjU4LUIEMzUDVzk4MisHAzI5' +
  'NS7FDDEJBGFIgSsHAzMzMi0/BDNmYwMcY2U0KwcDMzY5LT0EZAmuNAZwOTUrBwM0MDYtPwQ3YzMLyzA0NisHAzQ0My7EDARhNzM4OWY3' +
  'KwsDNDgwLsQMBDhhYjAzYTgrCwM1MTcuxQw2DUM3BYg5KwsDNTU0LsYMNTFKDjBhKwsDNTkxLsUMM0cMMGJiKwsDNjI4LsQMBDE4OGVh' +
  'NmMrCwM2NjUtQAQFY2ZjMDY0MWQrCwM3MDItQAQFNmRmN2RkY2UrCANAti1CBGMyAzE3N2YrBwM3NzYuwAy52jArBwM4MTMuwgw4OQt9' +
  'YWUxKwcDODUwLsEMNglWYw1+MisHAzg4Ny7BDDUN1DMNEzMrBwM5MjQuwQwzBYNiBTA0KwsDOTYxLsEMMUdJMWE1KwsDOTk4LT8ENWZi' +
  'C4diNTYqCQMyBYw1LUEEZgWvYgrRMDcqCQMyCQMyLUEEOQlXMgpEYjgqCQMyBbM5LsUMYQ/VMTg2+U1EugQ0Ni7GDDg5Xh8xYSoJAzIN' +
  'DTMuxQw2V5FiY2IrCwMyMjAuxww1MDAKWDdjKwsDMjU3LsYMMzMDV2YyZCsLAzI5NC7GDDE2D5s4ZGUrCwMzMzEtQgRlZgWSZgW+ZisI' +
  'A0DALUAEJX0kMCsLAzQwNS1BBDICdTVlBWwxKwsDNDQyLsYMYTQDnGZhMisLAzQ3OS7GDDg4Dwk5NTMrCANcGi5KFWJjDggwNCsHAzU1' +
  'My7EDAQ0ZjNjY2I1KwYDNTkueCoCNDMyYjRc/ysGAzYyLpUqZViFAWMwMTcrBgM2Ni6UKgU3ZjlhMzljOCsGAzcwLpUqMQVXMQp1Nzkr' +
  'CANYpy09BGIFHDkOfTJhKwoDNzculSo1CTowAnVkYisKAzgxLpUqZg33OA6gOGMrCgM4NC6VKjlY1VEYZCsKAzg4LpQqBTM0ZTcxM2Vl' +
  'KwoDOTIulSpkAaBlDpI5ZisKAzk2LpQqJZwtK68wMjk5LpUqZgsSODEwK6swMzAzLpIqYWQDrmZhYiurMDMwNy6QKgQ0YmZjNzQ2K6sw' +
  'MzEwLpUqZUPuZWUxK6swMzE0LpQqRiRiNgzyK6gwXMkulCohMSAyARM3K6swMzIxLpUqYw7BYTUEMCurMDMyNS6XKjYzMSFVKWQrqzAz' +
  'MjkulSoxA3k0ZTgrpzAzMzMukSo5BVcwBa4zK6cwMzM2LpEqMwKaODQAdSunMDM0MC6QKgRkYmVmYmI5K6QwXMQukio3YV5eNTQrqzAz' +
  'NDcukCpO2GVhABQrqDBM+i6TKmI2OVX6YSurMDM1NS6QKiW4NiurMDM1OC6QKgRmMzA1MWMxK6swMzYyLpAqBDkxM2M5NWMrqzAzNjYu' +
  'kioyZiFeMGY3K6swMzcwLpAqRhNiOEzsKwoDNzMukCoENmJlMzAyZCurMDM3Ny6RKmEhViZjOCilMAAgAAAAAAAAAOYAACAAAAAAAAAA' +
  '5gAAIAAAAAAAAADmAAAgAAAAAAAAAOYAACAAAAAAAAAA5gAAIAAAAAAAAADmAAAgAAAAAAAAAOYAACAAAAAAAAAA5gAAIAAASAAAEAAA' +
  'AOMuSGJjIADRCgB4eSAACwQAAFKJZpRfAiGv6YTkdkmza+Z/Jq6cik3Myu47myDEJp5XoC0byTWfmkuE6+slAeSS4gMBPF5d1og98tdQ' +
  'urgtQ3xnL3nQzsRLi4vDmWWoElqVTh4DAJTgOzUcodcpBh8bSW67xWBtEQAA';