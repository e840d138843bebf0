// Huffman literals (RFC 8878 section 4.2): tree description -> direct-lookup table, and stream decoding.
// The table has 1 << hufLog u16 entries (symbol << 8 | code length), indexed by the next hufLog bits.
import { E_CORRUPT } from './status';
import { openStream, sBits, sC, sIp } from './zstd-bits';
import { KIND_SYM, buildTable, ncLog, ncSymbols, readNCount } from './zstd-fse';

const MAX_LOG: i32 = 11;
export const HUF_TABLE = memory.data((1 << MAX_LOG) * 2, 8);
/** Depth of the current table (0 = none yet in this frame). */
export let hufLog: i32 = 0;

const WEIGHTS = memory.data(256, 8);
const WEIGHT_FSE = memory.data(64 * 8, 8);
const RANK = memory.data(16 * 4, 8);
const FIRST = memory.data(16 * 4, 8);
const SORTED = memory.data(512, 8);

// FSE-compressed weights: two interleaved states over one backward bitstream (RFC 8878 4.2.1.2).
// Returns the number of weights decoded or a negative status.
function decodeWeightsFse(p: usize, len: i32): i32 {
  const hdr = readNCount(p, len, 255, 6);
  if (hdr < 0) return hdr;
  const log = ncLog;
  if (!buildTable(WEIGHT_FSE, ncSymbols, log, KIND_SYM)) return E_CORRUPT;
  const size = len - hdr;
  const start = p + <usize>hdr;
  const r = openStream(start, size);
  if (r < 0) return r;
  let ip = sIp;
  let c = sC;
  let bits = sBits;
  let s1 = <u32>((c << <u64>bits) >> 1 >> <u64>(63 - log));
  bits += <u32>log;
  let s2 = <u32>((c << <u64>bits) >> 1 >> <u64>(63 - log));
  bits += <u32>log;
  if (<i64>(ip - start) * 8 + 64 - <i64>bits < 0) return E_CORRUPT;
  let n = 0;
  while (true) {
    // Each turn may emit two weights; at most 255 are representable (the last symbol's is implied).
    if (n > 253) return E_CORRUPT;
    let e = load<u64>(WEIGHT_FSE + (<usize>s1 << 3));
    store<u8>(WEIGHTS + <usize>n, <u8>(e >> 32));
    n++;
    if (ip > start) {
      let nb = bits >> 3;
      const av = <u32>(ip - start);
      if (nb > av) nb = av;
      ip -= nb;
      bits -= nb << 3;
      c = load<u64>(ip);
    }
    let nbits = <u32>(e >> 16) & 0xff;
    s1 = (<u32>e & 0xffff) + <u32>((c << <u64>bits) >> 1 >> <u64>(63 - nbits));
    bits += nbits;
    if (<i64>(ip - start) * 8 + 64 - <i64>bits < 0) {
      store<u8>(WEIGHTS + <usize>n, <u8>(load<u64>(WEIGHT_FSE + (<usize>s2 << 3)) >> 32));
      n++;
      break;
    }
    if (n > 253) return E_CORRUPT;
    e = load<u64>(WEIGHT_FSE + (<usize>s2 << 3));
    store<u8>(WEIGHTS + <usize>n, <u8>(e >> 32));
    n++;
    if (ip > start) {
      let nb = bits >> 3;
      const av = <u32>(ip - start);
      if (nb > av) nb = av;
      ip -= nb;
      bits -= nb << 3;
      c = load<u64>(ip);
    }
    nbits = <u32>(e >> 16) & 0xff;
    s2 = (<u32>e & 0xffff) + <u32>((c << <u64>bits) >> 1 >> <u64>(63 - nbits));
    bits += nbits;
    if (<i64>(ip - start) * 8 + 64 - <i64>bits < 0) {
      store<u8>(WEIGHTS + <usize>n, <u8>(load<u64>(WEIGHT_FSE + (<usize>s1 << 3)) >> 32));
      n++;
      break;
    }
  }
  return n;
}

/**
 * Reads a Huffman_Tree_Description at [p, p+avail) and builds HUF_TABLE. Returns the bytes used or a
 * negative status. Rejects weights that do not complete to a power of two, depths over 11, and trees
 * without the (even, >= 2) number of weight-1 symbols every valid tree has.
 */
export function readHufTree(p: usize, avail: i32): i32 {
  if (avail < 1) return E_CORRUPT;
  const hb = <i32>load<u8>(p);
  let n: i32;
  let used: i32;
  if (hb >= 128) {
    n = hb - 127;
    used = 1 + ((n + 1) >> 1);
    if (used > avail) return E_CORRUPT;
    for (let i = 0; i < n; i++) {
      const b = <u32>load<u8>(p + 1 + (<usize>i >> 1));
      store<u8>(WEIGHTS + <usize>i, <u8>((i & 1) != 0 ? b & 15 : b >> 4));
    }
  } else {
    used = 1 + hb;
    if (used > avail) return E_CORRUPT;
    n = decodeWeightsFse(p + 1, hb);
    if (n < 0) return n;
  }
  // Weight totals: sum of 2^(w-1); the implied last weight completes it to a power of two.
  for (let i = 0; i < 16; i++) store<u32>(RANK + (<usize>i << 2), 0);
  let total: u32 = 0;
  for (let i = 0; i < n; i++) {
    const w = <u32>load<u8>(WEIGHTS + <usize>i);
    if (w > <u32>MAX_LOG) return E_CORRUPT;
    if (w != 0) {
      total += (<u32>1 << w) >> 1;
      store<u32>(RANK + (<usize>w << 2), load<u32>(RANK + (<usize>w << 2)) + 1);
    }
  }
  if (total == 0) return E_CORRUPT;
  const log = <i32>(32 - clz<u32>(total));
  if (log > MAX_LOG) return E_CORRUPT;
  const rest = (<u32>1 << <u32>log) - total;
  if ((rest & (rest - 1)) != 0) return E_CORRUPT;
  const lastW = <u32>(32 - clz<u32>(rest));
  store<u8>(WEIGHTS + <usize>n, <u8>lastW);
  store<u32>(RANK + (<usize>lastW << 2), load<u32>(RANK + (<usize>lastW << 2)) + 1);
  n++;
  const ones = load<u32>(RANK + 4);
  if (ones < 2 || (ones & 1) != 0) return E_CORRUPT;
  // Codes are handed out by increasing weight, then symbol order. Symbols are first sorted by weight
  // (SORTED, grouped; FIRST[w] = index of weight w's group), then each weight's cells are filled with a
  // run length fixed for the whole group: this fill is a large share of the work for page-sized blocks.
  let idx: u32 = 0;
  for (let w: u32 = 1; w <= <u32>log; w++) {
    const cnt = load<u32>(RANK + (<usize>w << 2));
    store<u32>(FIRST + (<usize>w << 2), idx);
    store<u32>(RANK + (<usize>w << 2), idx);
    idx += cnt;
  }
  store<u32>(FIRST + (<usize>(log + 1) << 2), idx);
  // Zero weights go to a scratch half of SORTED that nobody reads, which saves a branch below.
  store<u32>(RANK, 256);
  for (let s = 0; s < n; s++) {
    const w = <u32>load<u8>(WEIGHTS + <usize>s);
    const at = RANK + (<usize>w << 2);
    const k = load<u32>(at);
    store<u8>(SORTED + <usize>k, <u8>s);
    store<u32>(at, k + 1);
  }
  let cell = HUF_TABLE;
  for (let w: u32 = 1; w <= <u32>log; w++) {
    const a = load<u32>(FIRST + (<usize>w << 2));
    const b = load<u32>(FIRST + (<usize>(w + 1) << 2));
    const nb = <u32>log + 1 - w;
    if (w == 1) {
      for (let k = a; k < b; k++) {
        store<u16>(cell, <u16>((<u32>load<u8>(SORTED + <usize>k) << 8) | nb));
        cell += 2;
      }
    } else if (w == 2) {
      for (let k = a; k < b; k++) {
        store<u32>(cell, ((<u32>load<u8>(SORTED + <usize>k) << 8) | nb) * 0x00010001);
        cell += 4;
      }
    } else {
      const bytes = <usize>2 << (w - 1);
      for (let k = a; k < b; k++) {
        const e4 = <u64>((<u32>load<u8>(SORTED + <usize>k) << 8) | nb) * 0x0001000100010001;
        const end = cell + bytes;
        do {
          store<u64>(cell, e4);
          cell += 8;
        } while (cell < end);
      }
    }
  }
  hufLog = log;
  return used;
}

/** Forgets the table at a frame start, so a treeless literals block before any tree is rejected. */
export function resetHuf(): void {
  hufLog = 0;
}

// Decodes the rest of a stream one code at a time up to oend, then requires it consumed to the bit.
function finishStream(start: usize, ip: usize, c: u64, bits: u32, op: usize, oend: usize): i32 {
  const shift = <u64>(64 - hufLog);
  const table = HUF_TABLE;
  while (op < oend) {
    if (ip > start) {
      let nb = bits >> 3;
      const av = <u32>(ip - start);
      if (nb > av) nb = av;
      ip -= nb;
      bits -= nb << 3;
      c = load<u64>(ip);
    }
    if (bits > 64) return E_CORRUPT;
    const e = <u32>load<u16>(table + (<usize>((c << <u64>bits) >> shift) << 1));
    store<u8>(op, <u8>(e >> 8));
    bits += e & 0xff;
    op++;
  }
  if (ip > start) {
    let nb = bits >> 3;
    const av = <u32>(ip - start);
    if (nb > av) nb = av;
    ip -= nb;
    bits -= nb << 3;
  }
  if (ip != start || bits != 64) return E_CORRUPT;
  return 0;
}

/** Decodes exactly `count` literals from the single stream [start, start+size) into `out`. */
export function decodeHuf1(start: usize, size: i32, out: usize, count: i32): i32 {
  const r = openStream(start, size);
  if (r < 0) return r;
  let ip = sIp;
  let c = sC;
  let bits = sBits;
  const shift = <u64>(64 - hufLog);
  const table = HUF_TABLE;
  let op = out;
  const oend = out + <usize>count;
  // After a full refill at least 57 bits are buffered, enough for 5 codes of <= 11 bits.
  while (oend - op >= 5) {
    const nb = bits >> 3;
    if (<usize>nb > ip - start) break;
    ip -= nb;
    bits &= 7;
    c = load<u64>(ip);
    let e = <u32>load<u16>(table + (<usize>((c << <u64>bits) >> shift) << 1));
    store<u8>(op, <u8>(e >> 8));
    bits += e & 0xff;
    e = <u32>load<u16>(table + (<usize>((c << <u64>bits) >> shift) << 1));
    store<u8>(op, <u8>(e >> 8), 1);
    bits += e & 0xff;
    e = <u32>load<u16>(table + (<usize>((c << <u64>bits) >> shift) << 1));
    store<u8>(op, <u8>(e >> 8), 2);
    bits += e & 0xff;
    e = <u32>load<u16>(table + (<usize>((c << <u64>bits) >> shift) << 1));
    store<u8>(op, <u8>(e >> 8), 3);
    bits += e & 0xff;
    e = <u32>load<u16>(table + (<usize>((c << <u64>bits) >> shift) << 1));
    store<u8>(op, <u8>(e >> 8), 4);
    bits += e & 0xff;
    op += 5;
  }
  return finishStream(start, ip, c, bits, op, oend);
}

// One code from a stream's container: writes the symbol at `at`, returns the updated bit count.
@inline function code(c: u64, bits: u32, shift: u64, table: usize, at: usize): u32 {
  const e = <u32>load<u16>(table + (<usize>((c << <u64>bits) >> shift) << 1));
  store<u8>(at, <u8>(e >> 8));
  return bits + (e & 0xff);
}

/**
 * Decodes `regen` literals from the 4-stream layout at [p, p+n) (jump table, then streams) into `out`.
 * The streams are decoded interleaved: each code depends on the previous one of its own stream, so four
 * independent chains keep the CPU busy.
 */
export function decodeHuf4(p: usize, n: i32, out: usize, regen: i32): i32 {
  if (n < 10) return E_CORRUPT;
  const z1 = <i32>load<u16>(p);
  const z2 = <i32>load<u16>(p, 2);
  const z3 = <i32>load<u16>(p, 4);
  const z4 = n - 6 - z1 - z2 - z3;
  if (z4 < 1) return E_CORRUPT;
  const seg = (regen + 3) >> 2;
  const last = regen - 3 * seg;
  if (last < 0) return E_CORRUPT;
  const st1 = p + 6;
  const st2 = st1 + <usize>z1;
  const st3 = st2 + <usize>z2;
  const st4 = st3 + <usize>z3;
  let r = openStream(st1, z1);
  if (r < 0) return r;
  let ip1 = sIp;
  let c1 = sC;
  let b1 = sBits;
  r = openStream(st2, z2);
  if (r < 0) return r;
  let ip2 = sIp;
  let c2 = sC;
  let b2 = sBits;
  r = openStream(st3, z3);
  if (r < 0) return r;
  let ip3 = sIp;
  let c3 = sC;
  let b3 = sBits;
  r = openStream(st4, z4);
  if (r < 0) return r;
  let ip4 = sIp;
  let c4 = sC;
  let b4 = sBits;
  const shift = <u64>(64 - hufLog);
  const table = HUF_TABLE;
  const step = <usize>seg;
  // op walks stream 1's segment; the others are at op + step, + 2 step, + 3 step. Stream 4 is the
  // shortest, so its end bounds the loop.
  let op = out;
  const end4 = out + 3 * step + <usize>last;
  while (end4 - (op + 3 * step) >= 5) {
    const n1 = b1 >> 3;
    const n2 = b2 >> 3;
    const n3 = b3 >> 3;
    const n4 = b4 >> 3;
    if ((<usize>n1 > ip1 - st1) | (<usize>n2 > ip2 - st2) | (<usize>n3 > ip3 - st3) | (<usize>n4 > ip4 - st4)) break;
    ip1 -= n1;
    b1 &= 7;
    c1 = load<u64>(ip1);
    ip2 -= n2;
    b2 &= 7;
    c2 = load<u64>(ip2);
    ip3 -= n3;
    b3 &= 7;
    c3 = load<u64>(ip3);
    ip4 -= n4;
    b4 &= 7;
    c4 = load<u64>(ip4);
    for (let k: usize = 0; k < 5; k++) {
      b1 = code(c1, b1, shift, table, op + k);
      b2 = code(c2, b2, shift, table, op + step + k);
      b3 = code(c3, b3, shift, table, op + 2 * step + k);
      b4 = code(c4, b4, shift, table, op + 3 * step + k);
    }
    op += 5;
  }
  r = finishStream(st1, ip1, c1, b1, op, out + step);
  if (r < 0) return r;
  r = finishStream(st2, ip2, c2, b2, op + step, out + 2 * step);
  if (r < 0) return r;
  r = finishStream(st3, ip3, c3, b3, op + 2 * step, out + 3 * step);
  if (r < 0) return r;
  return finishStream(st4, ip4, c4, b4, op + 3 * step, end4);
}
