// DEFLATE (RFC 1951) and its zlib wrapper (RFC 1950). makedumpfile -c stores every page as one zlib stream.
//
// Output goes straight into dst, which holds the whole output, so back-references read from dst itself.
// Decoding is table-driven: one lookup in a primary table of 2^LIT_BITS (2^DIST_BITS) entries resolves most
// codes, longer codes go through a second-level subtable. The bit buffer is 64 bits wide and always refilled
// with one 8-byte load; the last few bytes of src are first copied to a zero-padded buffer (see enterTail),
// so reads never pass src+srcLen and consuming the padding reports truncation.
// Wide copies may write up to 15 bytes past the end of a match; they are used only where those bytes still
// lie inside dst+dstCap, and later output overwrites them.
import { E_CHECKSUM, E_CORRUPT, E_INPUT_TRUNCATED, E_OUTPUT_OVERFLOW, E_UNSUPPORTED } from './status';

// ---- Decode-table entries (u32) ----
// bits 0..7    bits to consume: code length + extra bits (a subtable link: the primary index width)
// bits 8..11   code length, i.e. where the extra bits start (a subtable link: the subtable's index width)
// bits 12..15  flags
// bits 16..31  literal byte, length or distance base, or subtable start index; for code-length codes,
//              bits 16..23 the repeat count's base and bits 24..31 the length value
const F_EOB: u32 = 0x1000;
/** Code-length code 16: repeat the previous length (shares the bit with F_EOB; the tables never mix). */
const F_PREV: u32 = 0x1000;
const F_SUB: u32 = 0x2000;
/** Neither literal nor length/distance: end of block, subtable link, or a code that must not occur. */
const F_EXC: u32 = 0x4000;
const F_LIT: u32 = 0x8000;
const INVALID: u32 = F_EXC;

const LIT_BITS: u32 = 10;
const DIST_BITS: u32 = 8;
const CL_BITS: u32 = 7;
const LIT_MASK: usize = (1 << LIT_BITS) - 1;
const DIST_MASK: usize = (1 << DIST_BITS) - 1;
const CL_MASK: usize = (1 << CL_BITS) - 1;

// Table capacity: the primary table plus at most one subtable (at most 2^(15-bits) entries) per symbol whose
// code is longer than the primary index.
const LIT_TABLE = memory.data((1024 + 286 * 32) * 4, 16);
const DIST_TABLE = memory.data((256 + 30 * 128) * 4, 16);
const FIXED_LIT = memory.data(1024 * 4, 16);
const FIXED_DIST = memory.data(256 * 4, 16);
const CL_TABLE = memory.data(128 * 4, 16);
// Per-symbol entry templates: the builder adds the code length.
const LIT_TEMPL = memory.data(288 * 4, 16);
const DIST_TEMPL = memory.data(32 * 4, 16);
const CL_TEMPL = memory.data(19 * 4, 16);
// Scratch for table building: code lengths (litlen then distance), counts per length, offsets, sorted symbols.
const LENS = memory.data(336, 16);
const CL_LENS = memory.data(20, 16);
const COUNT = memory.data(16 * 4, 16);
const COUNT4 = memory.data(4 * 16 * 4, 16);
const OFFS = memory.data(16 * 4, 16);
const SORTED = memory.data(288 * 2, 16);

const LEN_BASE = memory.data<u16>([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LEN_EXTRA = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = memory.data<u16>([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = memory.data<u8>([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
const CL_ORDER = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);
/** Each byte bit-reversed (filled by init). */
const REV8 = memory.data(256, 16);
/** For a match distance d < 8: the smallest multiple of d that is >= 8, so 8-byte moves repeat the pattern. */
const PERIOD8 = memory.data<u8>([8, 8, 8, 9, 8, 10, 12, 14]);

const KIND_CL: i32 = 0;
const KIND_LIT: i32 = 1;
const KIND_DIST: i32 = 2;

// ---- Decoder state between blocks (the hot loops keep their own copy in locals) ----
// The bit buffer is always refilled with one 8-byte load at gIn, allowed while gIn <= gLimit. Within 8 bytes of
// the end of src, the remaining bytes move to TAIL, zero-padded, and decoding continues there: the zeros
// stand for the missing input, and consuming any of them means the input was truncated.
let gIn: usize = 0;
let gLimit: usize = 0;
let gSrcEnd: usize = 0;
let gBB: u64 = 0;
/** Whole bytes' worth of bits in gBB. The bits above are stream bits too (the rest of the last load). */
let gBC: u32 = 0;
let gInTail: bool = false;
/** Where in src the TAIL copy starts, and where the copied real bytes end in TAIL. */
let gTailSrc: usize = 0;
let gTailEnd: usize = 0;
let gOut: usize = 0;
let gOutStart: usize = 0;
let gOutEnd: usize = 0;
let gReady: bool = false;

const TAIL = memory.data(32, 16);
const TAIL_LIMIT: usize = TAIL + 32 - 8;

/**
 * Continues the input in TAIL once fewer than 8 bytes of src remain (sets gIn, gLimit). Returns false when
 * already there: TAIL's limit is only passed after consuming at least 16 of its padding bytes.
 */
function enterTail(inp: usize): bool {
  if (gInTail) return false;
  store<u64>(TAIL, 0);
  store<u64>(TAIL, 0, 8);
  store<u64>(TAIL, 0, 16);
  store<u64>(TAIL, 0, 24);
  const k = gSrcEnd - inp;
  for (let j: usize = 0; j < k; j++) store<u8>(TAIL + j, load<u8>(inp + j));
  gTailSrc = inp;
  gTailEnd = TAIL + k;
  gInTail = true;
  gIn = TAIL;
  gLimit = TAIL_LIMIT;
  return true;
}

/** True if more bits were consumed than the input has. */
function pastEnd(): bool {
  // Signed: buffered bits may predate the switch to TAIL.
  return gInTail && (<i64>(gIn - TAIL) << 3) - <i64>gBC > <i64>(gTailEnd - TAIL) << 3;
}

/** The low len bits of code, in reverse order. */
// @ts-ignore: decorator
@inline function reverse(code: u32, len: u32): u32 {
  return ((<u32>load<u8>(REV8 + (code & 0xff)) << 8) | load<u8>(REV8 + (code >> 8))) >> (16 - len);
}

/** Copies the first n entries of a table after themselves. */
// @ts-ignore: decorator
@inline function doubleTable(table: usize, n: u32): void {
  const bytes = <usize>n << 2;
  if (bytes >= 256) {
    memory.copy(table + bytes, table, bytes);
  } else {
    // Small copies: a bulk-memory call costs more than a few moves (n is a power of two).
    if (bytes < 8) {
      store<u32>(table + 4, load<u32>(table));
    } else {
      for (let k: usize = 0; k < bytes; k += 8) store<u64>(table + bytes + k, load<u64>(table + k));
    }
  }
}

/**
 * Builds a decode table for the code lengths lens[0..nsym). Returns false when the lengths do not form a
 * valid prefix code: over-subscribed, or incomplete other than a lone 1-bit code (and, for distances, no code
 * at all), which RFC 1951 allows and zlib accepts.
 */
function buildTable(lens: usize, nsym: i32, templ: usize, table: usize, bits: u32, kind: i32): bool {
  // Four interleaved histograms: runs of equal lengths would otherwise wait on their own stores.
  for (let l: usize = 0; l < 4 * 16 * 4; l += 8) store<u64>(COUNT4 + l, 0);
  let s = 0;
  for (; s + 4 <= nsym; s += 4) {
    const p0 = COUNT4 + (<usize>load<u8>(lens + s) << 2);
    const p1 = COUNT4 + 64 + (<usize>load<u8>(lens + s, 1) << 2);
    const p2 = COUNT4 + 128 + (<usize>load<u8>(lens + s, 2) << 2);
    const p3 = COUNT4 + 192 + (<usize>load<u8>(lens + s, 3) << 2);
    store<u32>(p0, load<u32>(p0) + 1);
    store<u32>(p1, load<u32>(p1) + 1);
    store<u32>(p2, load<u32>(p2) + 1);
    store<u32>(p3, load<u32>(p3) + 1);
  }
  for (; s < nsym; s++) {
    const p = COUNT4 + (<usize>load<u8>(lens + s) << 2);
    store<u32>(p, load<u32>(p) + 1);
  }
  for (let l: usize = 0; l < 16 * 4; l += 4) {
    store<u32>(COUNT + l, load<u32>(COUNT4 + l) + load<u32>(COUNT4 + l, 64) + load<u32>(COUNT4 + l, 128) + load<u32>(COUNT4 + l, 192));
  }
  let maxLen: u32 = 15;
  while (maxLen > 0 && load<u32>(COUNT + (maxLen << 2)) == 0) maxLen--;
  let left: i32 = 1;
  for (let l: u32 = 1; l <= 15; l++) {
    left = (left << 1) - <i32>load<u32>(COUNT + (l << 2));
    if (left < 0) return false;
  }
  const size: u32 = 1 << bits;
  if (left > 0) {
    if (kind == KIND_CL || maxLen > 1 || (maxLen == 0 && kind != KIND_DIST)) return false;
    // At most a lone 1-bit code: the rest of the code space decodes as an error.
    store<u32>(table, INVALID);
    store<u32>(table, INVALID, 4);
    if (maxLen == 1) {
      s = 0;
      while (load<u8>(lens + s) != 1) s++;
      store<u32>(table, load<u32>(templ + (<usize>s << 2)) + 1 + (1 << 8));
    }
    for (let cur: u32 = 2; cur < size; cur <<= 1) memory.copy(table + (cur << 2), table, cur << 2);
    return true;
  }
  // Counting sort by length: canonical codes are assigned in (length, symbol) order.
  let off: u32 = 0;
  for (let l: u32 = 1; l <= 15; l++) {
    store<u32>(OFFS + (l << 2), off);
    off += load<u32>(COUNT + (l << 2));
  }
  // Unused symbols sort after the rest, to avoid a branch.
  store<u32>(OFFS, off);
  for (s = 0; s < nsym; s++) {
    const p = OFFS + (<usize>load<u8>(lens + s) << 2);
    const o = load<u32>(p);
    store<u16>(SORTED + (<usize>o << 1), <u16>s);
    store<u32>(p, o + 1);
  }
  const nCodes = off;
  let minLen: u32 = 1;
  while (load<u32>(COUNT + (minLen << 2)) == 0) minLen++;
  // A complete code over at most 288 symbols always has a code no longer than the primary index.
  if (minLen > bits) return false;
  // Canonical codes count up within a length and gain a 0 bit per length step. Codes are packed starting
  // from their first bit, so tables are indexed by the code bit-reversed.
  let code: u32 = 0;
  let i: u32 = 0;
  // Codes that fit the primary index: each length fills a 2^len-entry table, which is then doubled
  // (copied after itself) so the shorter codes repeat under every value of the next bit.
  let cur: u32 = 1 << minLen;
  const top = maxLen < bits ? maxLen : bits;
  for (let len = minLen; len <= top; len++) {
    const lenBits = len + (len << 8);
    for (let c = load<u32>(COUNT + (len << 2)); c > 0; c--) {
      const sym = <usize>load<u16>(SORTED + (<usize>i << 1));
      i++;
      store<u32>(table + (<usize>reverse(code, len) << 2), load<u32>(templ + (sym << 2)) + lenBits);
      code++;
    }
    if (len < bits) {
      doubleTable(table, cur);
      cur <<= 1;
      code <<= 1;
    }
  }
  while (cur < size) {
    doubleTable(table, cur);
    cur <<= 1;
  }
  // Longer codes: a link in the primary table to a subtable indexed by the bits after the first `bits`.
  const mask: u32 = size - 1;
  let curLen = top;
  let curLow: u32 = 0xffffffff;
  let subStart: u32 = 0;
  let subBits: u32 = 0;
  let next: u32 = size;
  for (; i < nCodes; i++) {
    const sym = <usize>load<u16>(SORTED + (<usize>i << 1));
    const len = <u32>load<u8>(lens + sym);
    code <<= len - curLen;
    curLen = len;
    const huff = reverse(code, len);
    code++;
    const low = huff & mask;
    if (low != curLow) {
      // A new subtable: wide enough for every remaining code that shares this prefix.
      curLow = low;
      subBits = len - bits;
      let room: i32 = 1 << subBits;
      while (subBits + bits < maxLen) {
        room -= <i32>load<u32>(COUNT + ((subBits + bits) << 2));
        if (room <= 0) break;
        subBits++;
        room <<= 1;
      }
      subStart = next;
      next += 1 << subBits;
      store<u32>(table + (low << 2), F_EXC | F_SUB | bits | (subBits << 8) | (subStart << 16));
    }
    const sl = len - bits;
    const e = load<u32>(templ + (sym << 2)) + sl + (sl << 8);
    const step: u32 = 1 << sl;
    const subSize: u32 = 1 << subBits;
    for (let j = huff >> bits; j < subSize; j += step) store<u32>(table + ((subStart + j) << 2), e);
    // Remaining codes per length size the later subtables.
    const cp = COUNT + (len << 2);
    store<u32>(cp, load<u32>(cp) - 1);
  }
  return true;
}

function init(): void {
  for (let b: u32 = 0; b < 256; b++) {
    let r: u32 = 0;
    for (let k: u32 = 0; k < 8; k++) r |= ((b >> k) & 1) << (7 - k);
    store<u8>(REV8 + b, <u8>r);
  }
  for (let s: u32 = 0; s < 256; s++) store<u32>(LIT_TEMPL + (s << 2), F_LIT | (s << 16));
  store<u32>(LIT_TEMPL + (256 << 2), F_EXC | F_EOB);
  for (let i: usize = 0; i < 29; i++) {
    store<u32>(LIT_TEMPL + ((257 + i) << 2), (<u32>load<u16>(LEN_BASE + (i << 1)) << 16) | load<u8>(LEN_EXTRA + i));
  }
  // 286 and 287 take part in the fixed code but never occur in valid data.
  store<u32>(LIT_TEMPL + (286 << 2), INVALID);
  store<u32>(LIT_TEMPL + (287 << 2), INVALID);
  for (let i: usize = 0; i < 30; i++) {
    store<u32>(DIST_TEMPL + (i << 2), (<u32>load<u16>(DIST_BASE + (i << 1)) << 16) | load<u8>(DIST_EXTRA + i));
  }
  store<u32>(DIST_TEMPL + (30 << 2), INVALID);
  store<u32>(DIST_TEMPL + (31 << 2), INVALID);
  for (let s: u32 = 0; s < 16; s++) store<u32>(CL_TEMPL + (s << 2), (s << 24) | (1 << 16));
  store<u32>(CL_TEMPL + (16 << 2), F_PREV | (3 << 16) | 2);
  store<u32>(CL_TEMPL + (17 << 2), (3 << 16) | 3);
  store<u32>(CL_TEMPL + (18 << 2), (11 << 16) | 7);
  // The fixed codes (RFC 1951 3.2.6).
  memory.fill(LENS, 8, 144);
  memory.fill(LENS + 144, 9, 112);
  memory.fill(LENS + 256, 7, 24);
  memory.fill(LENS + 280, 8, 8);
  buildTable(LENS, 288, LIT_TEMPL, FIXED_LIT, LIT_BITS, KIND_LIT);
  memory.fill(LENS, 5, 32);
  buildTable(LENS, 32, DIST_TEMPL, FIXED_DIST, DIST_BITS, KIND_DIST);
  gReady = true;
}

/** Tops the shared bit buffer up to at least 56 bits; false if bits past the end of input were consumed. */
function refill(): bool {
  if (gIn > gLimit && !enterTail(gIn)) return false;
  gBB |= load<u64>(gIn) << <u64>gBC;
  gIn += (63 - gBC) >> 3;
  gBC |= 56;
  return true;
}

/** Takes n bits (the caller made sure they are buffered). */
// @ts-ignore: decorator
@inline function take(n: u32): u32 {
  const v = <u32>gBB & ((1 << n) - 1);
  gBB >>= <u64>n;
  gBC -= n;
  return v;
}

/**
 * Moves to a byte boundary and hands the whole bytes still buffered back to src, leaving gIn at the next
 * unread byte of src. Returns false if bits past the end of the input were consumed.
 */
function alignToByte(): bool {
  let pos = gIn - (gBC >> 3);
  if (gInTail) {
    if (pos > gTailEnd) return false;
    pos = gTailSrc + (pos - TAIL);
    gInTail = false;
    gLimit = gSrcEnd - 8;
  }
  gIn = pos;
  gBB = 0;
  gBC = 0;
  return true;
}

function storedBlock(): i32 {
  if (!alignToByte()) return E_INPUT_TRUNCATED;
  if (gSrcEnd - gIn < 4) return E_INPUT_TRUNCATED;
  const len = <u32>load<u16>(gIn);
  if (len != (~<u32>load<u16>(gIn, 2) & 0xffff)) return E_CORRUPT;
  gIn += 4;
  if (<usize>len > gSrcEnd - gIn) return E_INPUT_TRUNCATED;
  if (<usize>len > gOutEnd - gOut) return E_OUTPUT_OVERFLOW;
  memory.copy(gOut, gIn, len);
  gOut += len;
  gIn += len;
  return 0;
}

/** Reads a dynamic block's code definitions (RFC 1951 3.2.7) and builds LIT_TABLE and DIST_TABLE. */
function dynamicTables(): i32 {
  if (gBC < 14 && !refill()) return E_INPUT_TRUNCATED;
  const nlit = take(5) + 257;
  const ndist = take(5) + 1;
  const ncl = take(4) + 4;
  // zlib rejects the counts the format can express but not use.
  if (nlit > 286 || ndist > 30) return E_CORRUPT;
  memory.fill(CL_LENS, 0, 19);
  for (let i: u32 = 0; i < ncl; i++) {
    if (gBC < 3 && !refill()) return E_INPUT_TRUNCATED;
    store<u8>(CL_LENS + load<u8>(CL_ORDER + i), <u8>take(3));
  }
  if (!buildTable(CL_LENS, 19, CL_TEMPL, CL_TABLE, CL_BITS, KIND_CL)) return E_CORRUPT;
  const total = nlit + ndist;
  let i: u32 = 0;
  // Locals, not globals, for the up to 316 code lengths.
  let bb = gBB;
  let bc = gBC;
  let inp = gIn;
  let limit = gLimit;
  let status: i32 = 0;
  // Branch-free body: code-length entries carry the repeat count's base and extra bits like length codes,
  // the value (0..15, or 0 for 17/18), and F_PREV for 16 (repeat the previous length).
  while (i < total) {
    // A code-length code is at most 7 bits, plus at most 7 extra bits.
    if (inp > limit) {
      if (!enterTail(inp)) {
        status = E_INPUT_TRUNCATED;
        break;
      }
      inp = gIn;
      limit = gLimit;
    }
    bb |= load<u64>(inp) << <u64>bc;
    inp += (63 - bc) >> 3;
    bc |= 56;
    const e = load<u32>(CL_TABLE + ((<usize>bb & CL_MASK) << 2));
    const saved = <u32>bb;
    const n = e & 0xff;
    bb >>= <u64>e;
    bc -= n;
    const rep = ((e >> 16) & 0xff) + ((saved & ((1 << n) - 1)) >> ((e >> 8) & 15));
    // For i == 0 this reads the byte before LENS, used only to report the error below.
    const val = select<u32>(<u32>load<u8>(LENS + i - 1), e >> 24, (e & F_PREV) != 0);
    if ((e & F_PREV) != 0 && i == 0) {
      status = E_CORRUPT;
      break;
    }
    if (rep > total - i) {
      status = E_CORRUPT;
      break;
    }
    // Whole words (LENS has room past the last length); small bulk-memory calls cost more than this.
    const v = <u64>val * 0x0101010101010101;
    let k: u32 = 0;
    do {
      store<u64>(LENS + i + k, v);
      k += 8;
    } while (k < rep);
    i += rep;
  }
  gBB = bb;
  gBC = bc;
  gIn = inp;
  if (status < 0) return status;
  // A block without an end-of-block code can never end.
  if (load<u8>(LENS + 256) == 0) return E_CORRUPT;
  if (!buildTable(LENS, nlit, LIT_TEMPL, LIT_TABLE, LIT_BITS, KIND_LIT)) return E_CORRUPT;
  if (!buildTable(LENS + nlit, ndist, DIST_TEMPL, DIST_TABLE, DIST_BITS, KIND_DIST)) return E_CORRUPT;
  return 0;
}

/** Decodes one Huffman-coded block up to and including its end-of-block code. Returns 0 or a status. */
function decodeBlock(lt: usize, dt: usize): i32 {
  // A first refill makes all 64 bits of the buffer stream bits; the loop's own refill is then a no-op.
  if (!refill()) return E_INPUT_TRUNCATED;
  // Locals, not globals: the engine keeps these in registers.
  let bb = gBB;
  let bc = gBC;
  let inp = gIn;
  let limit = gLimit;
  let out = gOut;
  const outEnd = gOutEnd;
  const outStart = gOutStart;
  let status: i32 = 0;
  // Each pass starts by refilling to >= 56 bits: enough for three primary-table literals (<= 10 bits each),
  // or a length and a distance (<= 15+5 and 15+13 bits). After a refill all 64 bits of bb are stream bits,
  // so the next entry can be looked up (10 bits) before the refill that follows a match (which leaves >= 16).
  // Looking it up early takes the refill off the lookup-shift-lookup dependency chain. Shifting by a whole
  // entry shifts by its low 6 bits (wasm masks shift counts), which hold the bit count.
  let e = load<u32>(lt + ((<usize>bb & LIT_MASK) << 2));
  while (true) {
    if (inp > limit) {
      if (!enterTail(inp)) {
        status = E_INPUT_TRUNCATED;
        break;
      }
      inp = gIn;
      limit = gLimit;
    }
    bb |= load<u64>(inp) << <u64>bc;
    inp += (63 - bc) >> 3;
    bc |= 56;
    if (e & F_LIT) {
      bb >>= <u64>e;
      bc -= e & 0xff;
      if (out >= outEnd) {
        status = E_OUTPUT_OVERFLOW;
        break;
      }
      store<u8>(out++, <u8>(e >> 16));
      e = load<u32>(lt + ((<usize>bb & LIT_MASK) << 2));
      if (e & F_LIT) {
        bb >>= <u64>e;
        bc -= e & 0xff;
        if (out >= outEnd) {
          status = E_OUTPUT_OVERFLOW;
          break;
        }
        store<u8>(out++, <u8>(e >> 16));
        e = load<u32>(lt + ((<usize>bb & LIT_MASK) << 2));
        if (e & F_LIT) {
          bb >>= <u64>e;
          bc -= e & 0xff;
          if (out >= outEnd) {
            status = E_OUTPUT_OVERFLOW;
            break;
          }
          store<u8>(out++, <u8>(e >> 16));
          e = load<u32>(lt + ((<usize>bb & LIT_MASK) << 2));
        }
      }
      // A non-literal entry stays valid across the refill: refilling only adds bits above.
      continue;
    }
    if (e & F_EXC) {
      if (e & F_SUB) {
        bb >>= <u64>LIT_BITS;
        bc -= LIT_BITS;
        e = load<u32>(lt + ((<usize>(e >> 16) + (<usize>bb & ((<usize>1 << ((e >> 8) & 15)) - 1))) << 2));
        if (e & F_LIT) {
          bb >>= <u64>e;
          bc -= e & 0xff;
          if (out >= outEnd) {
            status = E_OUTPUT_OVERFLOW;
            break;
          }
          store<u8>(out++, <u8>(e >> 16));
          e = load<u32>(lt + ((<usize>bb & LIT_MASK) << 2));
          continue;
        }
      }
      if (e & F_EXC) {
        if (e & F_EOB) {
          bb >>= <u64>e;
          bc -= e & 0xff;
        } else {
          status = E_CORRUPT;
        }
        break;
      }
    }
    // Length: base plus the extra bits that follow the code.
    let saved = <u32>bb;
    let n = e & 0xff;
    bb >>= <u64>e;
    bc -= n;
    const len = <usize>((e >> 16) + ((saved & ((1 << n) - 1)) >> ((e >> 8) & 15)));
    let d = load<u32>(dt + ((<usize>bb & DIST_MASK) << 2));
    if (d & F_EXC) {
      if (d & F_SUB) {
        bb >>= <u64>DIST_BITS;
        bc -= DIST_BITS;
        d = load<u32>(dt + ((<usize>(d >> 16) + (<usize>bb & ((<usize>1 << ((d >> 8) & 15)) - 1))) << 2));
      }
      if (d & F_EXC) {
        status = E_CORRUPT;
        break;
      }
    }
    saved = <u32>bb;
    n = d & 0xff;
    bb >>= <u64>d;
    bc -= n;
    const dist = <usize>((d >> 16) + ((saved & ((1 << n) - 1)) >> ((d >> 8) & 15)));
    e = load<u32>(lt + ((<usize>bb & LIT_MASK) << 2));
    if (dist > out - outStart) {
      status = E_CORRUPT;
      break;
    }
    if (len > outEnd - out) {
      status = E_OUTPUT_OVERFLOW;
      break;
    }
    const end = out + len;
    let src = out - dist;
    if (outEnd - end >= 16) {
      if (dist >= 8) {
        // Each 8-byte load reads only bytes written before it.
        do {
          store<u64>(out, load<u64>(src));
          store<u64>(out, load<u64>(src, 8), 8);
          out += 16;
          src += 16;
        } while (out < end);
      } else if (dist == 1) {
        const v = <u64>load<u8>(src) * 0x0101010101010101;
        do {
          store<u64>(out, v);
          store<u64>(out, v, 8);
          out += 16;
        } while (out < end);
      } else {
        // A short period: lay down 8 bytes one at a time, then copy words from a whole number of periods back.
        store<u8>(out, load<u8>(src));
        store<u8>(out, load<u8>(src, 1), 1);
        store<u8>(out, load<u8>(src, 2), 2);
        store<u8>(out, load<u8>(src, 3), 3);
        store<u8>(out, load<u8>(src, 4), 4);
        store<u8>(out, load<u8>(src, 5), 5);
        store<u8>(out, load<u8>(src, 6), 6);
        store<u8>(out, load<u8>(src, 7), 7);
        const p = <usize>load<u8>(PERIOD8 + dist);
        out += 8;
        while (out < end) {
          store<u64>(out, load<u64>(out - p));
          out += 8;
        }
      }
      out = end;
    } else {
      // Too close to the end of dst for wide moves.
      while (out < end) {
        store<u8>(out, load<u8>(src));
        out++;
        src++;
      }
    }
  }
  gBB = bb;
  gBC = bc;
  gIn = inp;
  gOut = out;
  return status;
}

/** Inflates src into dst; on success also leaves gIn just past the deflate stream. */
function inflateStream(src: usize, srcLen: i32, dst: usize, dstCap: i32): i32 {
  if (!gReady) init();
  const n = <usize>max(srcLen, 0);
  gIn = src;
  gSrcEnd = src + n;
  // Below src when src is shorter than 8 bytes (src is never near address 0: static data comes first).
  gLimit = gSrcEnd - 8;
  gInTail = false;
  gBB = 0;
  gBC = 0;
  gOut = dst;
  gOutStart = dst;
  gOutEnd = dst + <usize>max(dstCap, 0);
  let final: u32 = 0;
  do {
    if (gBC < 3 && !refill()) return E_INPUT_TRUNCATED;
    final = take(1);
    const type = take(2);
    let st: i32;
    if (type == 0) {
      st = storedBlock();
    } else if (type == 1) {
      st = decodeBlock(FIXED_LIT, FIXED_DIST);
    } else if (type == 2) {
      st = dynamicTables();
      if (st == 0) st = decodeBlock(LIT_TABLE, DIST_TABLE);
    } else {
      st = E_CORRUPT;
    }
    if (st < 0) {
      // Garbage decoded from the zero padding past the input means the input was cut short.
      return pastEnd() ? E_INPUT_TRUNCATED : st;
    }
  } while (final == 0);
  if (!alignToByte()) return E_INPUT_TRUNCATED;
  return <i32>(gOut - dst);
}

/** Adler-32 (RFC 1950 8.2) of n bytes at p. */
function adler32(p: usize, n: usize): u32 {
  let a: u32 = 1;
  let b: u32 = 0;
  while (n > 0) {
    // 5552 bytes: the most that cannot overflow b before the modulo (and a multiple of 8).
    let chunk = n < 5552 ? n : 5552;
    n -= chunk;
    while (chunk >= 8) {
      // Eight bytes at once, SWAR: 16-bit lanes hold even and odd bytes; a multiply sums the lanes into the
      // top lane, with weights 8..1 for b (byte i is added to b 8-i times). No lane overflows 16 bits.
      const w = load<u64>(p);
      const ev = w & 0x00ff00ff00ff00ff;
      const od = (w >> 8) & 0x00ff00ff00ff00ff;
      const sum = <u32>(((ev + od) * 0x0001000100010001) >> 48);
      const wsum = <u32>((ev * 0x0008000600040002) >> 48) + <u32>((od * 0x0007000500030001) >> 48);
      b += (a << 3) + wsum;
      a += sum;
      p += 8;
      chunk -= 8;
    }
    while (chunk > 0) {
      a += load<u8>(p);
      b += a;
      p++;
      chunk--;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}

/** Raw DEFLATE (RFC 1951). Returns the number of bytes written to dst, or a negative status. */
export function inflate_raw(src: usize, srcLen: i32, dst: usize, dstCap: i32): i32 {
  return inflateStream(src, srcLen, dst, dstCap);
}

/** zlib stream (RFC 1950): header, DEFLATE data, big-endian Adler-32 of the output. */
export function zlib_decompress(src: usize, srcLen: i32, dst: usize, dstCap: i32): i32 {
  if (srcLen < 2) return E_INPUT_TRUNCATED;
  const cmf = <u32>load<u8>(src);
  const flg = <u32>load<u8>(src, 1);
  if ((cmf & 15) != 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 != 0) return E_CORRUPT;
  // A preset dictionary would have to come from outside the stream.
  if (flg & 0x20) return E_UNSUPPORTED;
  const n = inflateStream(src + 2, srcLen - 2, dst, dstCap);
  if (n < 0) return n;
  if (gSrcEnd - gIn < 4) return E_INPUT_TRUNCATED;
  if (bswap<u32>(load<u32>(gIn)) != adler32(dst, <usize>n)) return E_CHECKSUM;
  return n;
}
