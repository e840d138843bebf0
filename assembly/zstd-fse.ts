// FSE (tANS) tables for zstd (RFC 8878 section 4.1): reading a normalized distribution and turning it into a
// direct-lookup decoding table. One table layout serves every use, one u64 per state:
//   bits 0-15 next-state baseline, 16-23 bits to read for the next state,
//   24-31 extra bits of the decoded value, 32-63 the value's baseline.
// For sequences the symbol is resolved to (baseline, extra bits) at build time so the hot loop does one load
// per symbol; for Huffman weights the "baseline" is simply the symbol.
import { E_CORRUPT } from './status';

export const KIND_SYM: i32 = 0;
export const KIND_LL: i32 = 1;
export const KIND_ML: i32 = 2;
export const KIND_OF: i32 = 3;

export const LL_MAX_SYMBOL: i32 = 35;
export const ML_MAX_SYMBOL: i32 = 52;
// The reference decoder accepts offset codes up to 31 (RFC: "at least 22").
export const OF_MAX_SYMBOL: i32 = 31;
export const LL_MAX_LOG: i32 = 9;
export const ML_MAX_LOG: i32 = 9;
export const OF_MAX_LOG: i32 = 8;

const LL_BASE = memory.data<u32>([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096,
  8192, 16384, 32768, 65536,
]);
const LL_BITS = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12,
  13, 14, 15, 16,
]);
const ML_BASE = memory.data<u32>([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
  19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051,
  4099, 8195, 16387, 32771, 65539,
]);
const ML_BITS = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
  12, 13, 14, 15, 16,
]);

// Default distributions (RFC 8878 section 3.1.1.3.2.2).
const LL_DEFAULT = memory.data<i16>([
  4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
  -1, -1, -1, -1,
]);
const ML_DEFAULT = memory.data<i16>([
  1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
  -1, -1, -1, -1, -1,
]);
const OF_DEFAULT = memory.data<i16>([
  1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
]);

// Scratch for building: normalized counts (i16 per symbol), per-symbol next-state counters, symbol per state.
const NORM = memory.data(256 * 2, 8);
const NEXT = memory.data(256 * 2, 8);
const SPREAD = memory.data(512, 8);
const VALUE = memory.data(256 * 8, 8);
const LINEAR = memory.data(512 + 8, 8);

/** Results of readNCount: number of symbols described and the accuracy log. */
export let ncSymbols: i32 = 0;
export let ncLog: i32 = 0;

// Up to 32 bits starting at bit `pos` (at least 25 valid); bytes at or past `end` read as zero so a short
// description can never make us read outside it. Over-long descriptions are rejected by the caller.
@inline function peekForward(p: usize, end: usize, pos: u32): u32 {
  const b = p + (pos >> 3);
  let v: u32 = 0;
  if (b + 4 <= end) {
    v = load<u32>(b);
  } else {
    for (let i: usize = 0; i < 4; i++) {
      if (b + i < end) v |= <u32>load<u8>(b + i) << (<u32>i << 3);
    }
  }
  return v >> (pos & 7);
}

/**
 * Reads an FSE table description (RFC 8878 4.1.1) from [p, p+avail) into NORM. Returns the bytes used or a
 * negative status; every count is checked so the distribution sums exactly to 1 << log.
 */
export function readNCount(p: usize, avail: i32, maxSymbol: i32, maxLog: i32): i32 {
  if (avail < 1) return E_CORRUPT;
  const end = p + <usize>avail;
  const log = <i32>(load<u8>(p) & 15) + 5;
  if (log > maxLog) return E_CORRUPT;
  let pos: u32 = 4;
  let remaining: i32 = (1 << log) + 1;
  let threshold: i32 = 1 << log;
  let nbBits: i32 = log + 1;
  let sym: i32 = 0;
  while (remaining > 1) {
    if (sym > maxSymbol) return E_CORRUPT;
    const v = <i32>peekForward(p, end, pos);
    const max = 2 * threshold - 1 - remaining;
    let count: i32;
    if ((v & (threshold - 1)) < max) {
      count = v & (threshold - 1);
      pos += <u32>(nbBits - 1);
    } else {
      count = v & (2 * threshold - 1);
      if (count >= threshold) count -= max;
      pos += <u32>nbBits;
    }
    count--;
    store<i16>(NORM + (<usize>sym << 1), <i16>count);
    sym++;
    if (count == 0) {
      // A zero is followed by 2-bit repeat flags for further zeros; 3 means "three more, and another flag".
      let rep: i32;
      do {
        rep = <i32>(peekForward(p, end, pos) & 3);
        pos += 2;
        if (sym + rep > maxSymbol + 1) return E_CORRUPT;
        for (let i = 0; i < rep; i++) store<i16>(NORM + (<usize>(sym + i) << 1), 0);
        sym += rep;
      } while (rep == 3);
    } else {
      remaining -= count < 0 ? -count : count;
      if (remaining < threshold) {
        if (remaining <= 1) break;
        nbBits = 32 - clz<i32>(remaining);
        threshold = 1 << (nbBits - 1);
      }
    }
  }
  if (remaining != 1) return E_CORRUPT;
  const used = <i32>((pos + 7) >> 3);
  if (used > avail) return E_CORRUPT;
  ncSymbols = sym;
  ncLog = log;
  return used;
}

// A symbol's decoded value: (baseline << 32) | (extra bits << 24), the state fields left zero.
@inline function symbolValue(kind: i32, sym: u32): u64 {
  let base: u32;
  let extra: u32;
  if (kind == KIND_LL) {
    base = load<u32>(LL_BASE + (<usize>sym << 2));
    extra = <u32>load<u8>(LL_BITS + <usize>sym);
  } else if (kind == KIND_ML) {
    base = load<u32>(ML_BASE + (<usize>sym << 2));
    extra = <u32>load<u8>(ML_BITS + <usize>sym);
  } else if (kind == KIND_OF) {
    base = <u32>1 << sym;
    extra = sym;
  } else {
    base = sym;
    extra = 0;
  }
  return (<u64>base << 32) | (<u64>extra << 24);
}

/**
 * Builds a decoding table of 1 << log states at `out` from NORM[0..nsym). The counts must already be valid
 * (readNCount or a default distribution), which guarantees the spread below fills every cell exactly once.
 */
export function buildTable(out: usize, nsym: i32, log: i32, kind: i32): bool {
  const size = 1 << log;
  let high = size - 1;
  for (let s = 0; s < nsym; s++) {
    store<u64>(VALUE + (<usize>s << 3), symbolValue(kind, <u32>s));
    const c = <i32>load<i16>(NORM + (<usize>s << 1));
    if (c == -1) {
      // "Less than 1" symbols take one cell each from the top and always reset the state with `log` bits.
      store<u8>(SPREAD + <usize>high, <u8>s);
      high--;
      store<u16>(NEXT + (<usize>s << 1), 1);
    } else {
      store<u16>(NEXT + (<usize>s << 1), <u16>c);
    }
  }
  const step = (size >> 1) + (size >> 3) + 3;
  const mask = size - 1;
  let pos = 0;
  if (high == size - 1) {
    // No "less than 1" cells to skip: lay the symbols out in order (8 at a time), then scatter them along
    // the step sequence. This avoids a data-dependent inner loop per symbol.
    let at = LINEAR;
    for (let s = 0; s < nsym; s++) {
      const c = <usize>load<i16>(NORM + (<usize>s << 1));
      const v8 = <u64>s * 0x0101010101010101;
      for (let i: usize = 0; i < c; i += 8) store<u64>(at + i, v8);
      at += c;
    }
    for (let i = 0; i < size; i++) {
      store<u8>(SPREAD + <usize>pos, load<u8>(LINEAR + <usize>i));
      pos = (pos + step) & mask;
    }
  } else {
    for (let s = 0; s < nsym; s++) {
      const c = <i32>load<i16>(NORM + (<usize>s << 1));
      for (let i = 0; i < c; i++) {
        store<u8>(SPREAD + <usize>pos, <u8>s);
        do {
          pos = (pos + step) & mask;
        } while (pos > high);
      }
    }
  }
  if (pos != 0) return false;
  for (let st = 0; st < size; st++) {
    const s = <u32>load<u8>(SPREAD + <usize>st);
    const x = <u32>load<u16>(NEXT + (<usize>s << 1));
    store<u16>(NEXT + (<usize>s << 1), <u16>(x + 1));
    const nb = <u32>log - (31 - clz<u32>(x));
    const next = (x << nb) - <u32>size;
    store<u64>(out + (<usize>st << 3), load<u64>(VALUE + (<usize>s << 3)) | (<u64>nb << 16) | <u64>next);
  }
  return true;
}

/** A one-state table that always yields `sym` and reads no bits (RLE_Mode). */
export function buildRle(out: usize, sym: u32, kind: i32): void {
  store<u64>(out, symbolValue(kind, sym));
}

function buildDefault(out: usize, dist: usize, nsym: i32, log: i32, kind: i32): void {
  memory.copy(NORM, dist, <usize>nsym << 1);
  buildTable(out, nsym, log, kind);
}

export const LL_PREDEFINED = memory.data(64 * 8, 8);
export const ML_PREDEFINED = memory.data(64 * 8, 8);
export const OF_PREDEFINED = memory.data(32 * 8, 8);
export const LL_PREDEFINED_LOG: i32 = 6;
export const ML_PREDEFINED_LOG: i32 = 6;
export const OF_PREDEFINED_LOG: i32 = 5;

let predefinedReady = false;

export function initPredefined(): void {
  if (predefinedReady) return;
  buildDefault(LL_PREDEFINED, LL_DEFAULT, 36, LL_PREDEFINED_LOG, KIND_LL);
  buildDefault(ML_PREDEFINED, ML_DEFAULT, 53, ML_PREDEFINED_LOG, KIND_ML);
  buildDefault(OF_PREDEFINED, OF_DEFAULT, 29, OF_PREDEFINED_LOG, KIND_OF);
  predefinedReady = true;
}
