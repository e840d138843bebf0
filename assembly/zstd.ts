// Zstandard decompression (RFC 8878): concatenated frames straight into dst. Because the whole output is
// in dst, matches are copied from dst itself and no window buffer is needed. Literals are decoded into one
// static buffer; FSE/Huffman tables live in static memory, so a call allocates nothing.
// Dictionaries (nonzero Dictionary_ID) are reported as E_UNSUPPORTED.
import { E_CHECKSUM, E_CORRUPT, E_INPUT_TRUNCATED, E_OUTPUT_OVERFLOW, E_UNSUPPORTED } from './status';
import {
  KIND_LL, KIND_ML, KIND_OF, LL_MAX_LOG, LL_MAX_SYMBOL, LL_PREDEFINED, LL_PREDEFINED_LOG, ML_MAX_LOG,
  ML_MAX_SYMBOL, ML_PREDEFINED, ML_PREDEFINED_LOG, OF_MAX_LOG, OF_MAX_SYMBOL, OF_PREDEFINED,
  OF_PREDEFINED_LOG, buildRle, buildTable, initPredefined, ncLog, ncSymbols, readNCount,
} from './zstd-fse';
import { openStream, sBits, sC, sIp } from './zstd-bits';
import { decodeHuf1, decodeHuf4, hufLog, readHufTree, resetHuf } from './zstd-huf';
import { xxh64 } from './zstd-xxh64';

const MAGIC: u32 = 0xfd2fb528;
const BLOCK_MAX: u32 = 128 * 1024;
// Wild copies read up to 32 bytes past a literal's end; the buffer has that much slack.
const LIT_SLACK: usize = 32;
const LIT_BUF = memory.data(<i32>BLOCK_MAX + <i32>LIT_SLACK, 16);

const LL_TABLE = memory.data(512 * 8, 8);
const ML_TABLE = memory.data(512 * 8, 8);
const OF_TABLE = memory.data(256 * 8, 8);
const LL_RLE = memory.data(8, 8);
const ML_RLE = memory.data(8, 8);
const OF_RLE = memory.data(8, 8);

// Per-frame state carried between blocks: repeat offsets, and the tables for Repeat_Mode (0 = none yet).
let rep1: u32 = 1;
let rep2: u32 = 4;
let rep3: u32 = 8;
let llTab: usize = 0;
let llLog: i32 = 0;
let mlTab: usize = 0;
let mlLog: i32 = 0;
let ofTab: usize = 0;
let ofLog: i32 = 0;
let blockMax: u32 = BLOCK_MAX;

// Decoded literals of the current block: [litPtr, litEnd); reads up to litSafe are in bounds.
let litPtr: usize = 0;
let litEnd: usize = 0;
let litSafe: usize = 0;

// End of the whole input (raw literals may be read up to here) and results passed back by helpers.
let srcEnd: usize = 0;
let outPos: usize = 0;
let inPos: usize = 0;

@inline function le24(p: usize): u32 {
  return <u32>load<u16>(p) | (<u32>load<u8>(p, 2) << 16);
}

/** Literals_Section (RFC 8878 3.1.1.3.1). Returns bytes used or a negative status. */
function decodeLiterals(ip: usize, avail: i32): i32 {
  if (avail < 1) return E_CORRUPT;
  const b0 = <u32>load<u8>(ip);
  const type = b0 & 3;
  const sf = (b0 >> 2) & 3;
  if (type <= 1) {
    let hs: i32;
    let regen: u32;
    if (sf == 1) {
      hs = 2;
      if (avail < 2) return E_CORRUPT;
      regen = <u32>load<u16>(ip) >> 4;
    } else if (sf == 3) {
      hs = 3;
      if (avail < 3) return E_CORRUPT;
      regen = le24(ip) >> 4;
    } else {
      hs = 1;
      regen = b0 >> 3;
    }
    if (regen > blockMax) return E_CORRUPT;
    if (type == 0) {
      // Raw literals are used in place.
      if (<u32>(avail - hs) < regen) return E_CORRUPT;
      litPtr = ip + <usize>hs;
      litEnd = litPtr + <usize>regen;
      litSafe = srcEnd;
      return hs + <i32>regen;
    }
    if (avail - hs < 1) return E_CORRUPT;
    memory.fill(LIT_BUF, load<u8>(ip + <usize>hs), <usize>regen);
    litPtr = LIT_BUF;
    litEnd = LIT_BUF + <usize>regen;
    litSafe = LIT_BUF + <usize>BLOCK_MAX + LIT_SLACK;
    return hs + 1;
  }
  // Huffman-coded: 1 stream (sf 0) or 4 streams, sizes in 10/10/14/18-bit fields.
  let hs: i32;
  let regen: u32;
  let csize: u32;
  if (sf <= 1) {
    hs = 3;
    if (avail < 3) return E_CORRUPT;
    const h = le24(ip);
    regen = (h >> 4) & 0x3ff;
    csize = (h >> 14) & 0x3ff;
  } else if (sf == 2) {
    hs = 4;
    if (avail < 4) return E_CORRUPT;
    const h = load<u32>(ip);
    regen = (h >> 4) & 0x3fff;
    csize = h >> 18;
  } else {
    hs = 5;
    if (avail < 5) return E_CORRUPT;
    const h = <u64>load<u32>(ip) | (<u64>load<u8>(ip, 4) << 32);
    regen = <u32>(h >> 4) & 0x3ffff;
    csize = <u32>(h >> 22) & 0x3ffff;
  }
  if (regen > blockMax) return E_CORRUPT;
  if (<u32>(avail - hs) < csize) return E_CORRUPT;
  let p = ip + <usize>hs;
  let n = <i32>csize;
  if (type == 2) {
    const r = readHufTree(p, n);
    if (r < 0) return r;
    p += <usize>r;
    n -= r;
  } else if (hufLog == 0) {
    return E_CORRUPT; // treeless literals with no earlier tree in this frame
  }
  const out = LIT_BUF;
  const r = sf == 0 ? decodeHuf1(p, n, out, <i32>regen) : decodeHuf4(p, n, out, <i32>regen);
  if (r < 0) return r;
  litPtr = out;
  litEnd = out + <usize>regen;
  litSafe = LIT_BUF + <usize>BLOCK_MAX + LIT_SLACK;
  return hs + <i32>csize;
}

// Sets up one sequence-code table per its Compression_Mode. Returns bytes used or a negative status.
function setupTable(kind: i32, mode: u32, p: usize, avail: i32): i32 {
  let tab: usize = 0;
  let log: i32 = 0;
  let used: i32 = 0;
  if (mode == 0) {
    tab = kind == KIND_LL ? LL_PREDEFINED : kind == KIND_ML ? ML_PREDEFINED : OF_PREDEFINED;
    log = kind == KIND_LL ? LL_PREDEFINED_LOG : kind == KIND_ML ? ML_PREDEFINED_LOG : OF_PREDEFINED_LOG;
  } else if (mode == 1) {
    if (avail < 1) return E_CORRUPT;
    const sym = <u32>load<u8>(p);
    const maxSym = kind == KIND_LL ? LL_MAX_SYMBOL : kind == KIND_ML ? ML_MAX_SYMBOL : OF_MAX_SYMBOL;
    if (sym > <u32>maxSym) return E_CORRUPT;
    tab = kind == KIND_LL ? LL_RLE : kind == KIND_ML ? ML_RLE : OF_RLE;
    buildRle(tab, sym, kind);
    used = 1;
  } else if (mode == 2) {
    const maxSym = kind == KIND_LL ? LL_MAX_SYMBOL : kind == KIND_ML ? ML_MAX_SYMBOL : OF_MAX_SYMBOL;
    const maxLog = kind == KIND_LL ? LL_MAX_LOG : kind == KIND_ML ? ML_MAX_LOG : OF_MAX_LOG;
    used = readNCount(p, avail, maxSym, maxLog);
    if (used < 0) return used;
    tab = kind == KIND_LL ? LL_TABLE : kind == KIND_ML ? ML_TABLE : OF_TABLE;
    log = ncLog;
    if (!buildTable(tab, ncSymbols, log, kind)) return E_CORRUPT;
  } else {
    // Repeat_Mode: keep the previous table, which must exist.
    const prev = kind == KIND_LL ? llTab : kind == KIND_ML ? mlTab : ofTab;
    if (prev == 0) return E_CORRUPT;
    return 0;
  }
  if (kind == KIND_LL) {
    llTab = tab;
    llLog = log;
  } else if (kind == KIND_ML) {
    mlTab = tab;
    mlLog = log;
  } else {
    ofTab = tab;
    ofLog = log;
  }
  return used;
}

// Copies n literal bytes; short runs use overlapping 16-byte moves when both sides have room.
@inline function copyLiterals(op: usize, lp: usize, n: usize, oend: usize, lsafe: usize): void {
  if (n <= 16 && lp + 16 <= lsafe && op + 16 <= oend) {
    store<u64>(op, load<u64>(lp));
    store<u64>(op, load<u64>(lp, 8), 8);
  } else if (n <= 32 && lp + 32 <= lsafe && op + 32 <= oend) {
    store<u64>(op, load<u64>(lp));
    store<u64>(op, load<u64>(lp, 8), 8);
    store<u64>(op, load<u64>(lp, 16), 16);
    store<u64>(op, load<u64>(lp, 24), 24);
  } else {
    memory.copy(op, lp, n);
  }
}

// Copies a match of n bytes from op - off (already validated to lie within the frame's output).
@inline function copyMatch(op: usize, off: usize, n: usize, oend: usize): void {
  let s = op - off;
  if (off >= 16 && n + 16 <= oend - op) {
    // Each 16-byte step reads only bytes finished before it, so the overlap is harmless.
    const e = op + n;
    let d = op;
    do {
      store<u64>(d, load<u64>(s));
      store<u64>(d, load<u64>(s, 8), 8);
      d += 16;
      s += 16;
    } while (d < e);
  } else if (off >= 8 && n + 8 <= oend - op) {
    const e = op + n;
    let d = op;
    do {
      store<u64>(d, load<u64>(s));
      d += 8;
      s += 8;
    } while (d < e);
  } else if (off >= n) {
    memory.copy(op, s, n);
  } else if (off == 1) {
    memory.fill(op, load<u8>(s), n);
  } else {
    // Short period: the output repeats every `off` bytes.
    for (let i: usize = 0; i < n; i++) store<u8>(op + i, load<u8>(s + i));
  }
}

/**
 * Decodes and executes nbSeq sequences from the backward bitstream [start, start+size), writing from op.
 * Sets outPos. Returns 0 or a negative status.
 */
function execSequences(start: usize, size: i32, nbSeq: i32, op: usize, oend: usize, frameStart: usize): i32 {
  const r = openStream(start, size);
  if (r < 0) return r;
  let ip = sIp;
  let c = sC;
  let bits = sBits;
  const llT = llTab;
  const mlT = mlTab;
  const ofT = ofTab;
  // Initial states: literal lengths, then offsets, then match lengths (at most 26 bits).
  let llS = <u32>((c << <u64>bits) >> 1 >> <u64>(63 - llLog));
  bits += <u32>llLog;
  let ofS = <u32>((c << <u64>bits) >> 1 >> <u64>(63 - ofLog));
  bits += <u32>ofLog;
  let mlS = <u32>((c << <u64>bits) >> 1 >> <u64>(63 - mlLog));
  bits += <u32>mlLog;

  let r1 = rep1;
  let r2 = rep2;
  let r3 = rep3;
  let lp = litPtr;
  const lend = litEnd;
  const lsafe = litSafe;
  for (let i = 0; i < nbSeq; i++) {
    if (ip > start) {
      let nb = bits >> 3;
      const av = <u32>(ip - start);
      if (nb > av) nb = av;
      ip -= nb;
      bits -= nb << 3;
      c = load<u64>(ip);
    }
    const ofE = load<u64>(ofT + (<usize>ofS << 3));
    const mlE = load<u64>(mlT + (<usize>mlS << 3));
    const llE = load<u64>(llT + (<usize>llS << 3));
    const ofB = <u32>(ofE >> 24) & 0xff;
    const mlB = <u32>(mlE >> 24) & 0xff;
    const llB = <u32>(llE >> 24) & 0xff;
    // Extra bits: offset, then match length, then literal length.
    const ofv = <u32>(ofE >> 32) + <u32>((c << <u64>bits) >> 1 >> <u64>(63 - ofB));
    bits += ofB;
    const ml = <u32>(mlE >> 32) + <u32>((c << <u64>bits) >> 1 >> <u64>(63 - mlB));
    bits += mlB;
    // After a refill at least 57 bits are buffered; refill again only when this sequence could need more.
    if (ofB + mlB + llB > 30 && ip > start) {
      let nb = bits >> 3;
      const av = <u32>(ip - start);
      if (nb > av) nb = av;
      ip -= nb;
      bits -= nb << 3;
      c = load<u64>(ip);
    }
    const ll = <u32>(llE >> 32) + <u32>((c << <u64>bits) >> 1 >> <u64>(63 - llB));
    bits += llB;
    if (i + 1 < nbSeq) {
      // State updates (not after the last sequence): literal lengths, match lengths, offsets.
      let nb = <u32>(llE >> 16) & 0xff;
      llS = (<u32>llE & 0xffff) + <u32>((c << <u64>bits) >> 1 >> <u64>(63 - nb));
      bits += nb;
      nb = <u32>(mlE >> 16) & 0xff;
      mlS = (<u32>mlE & 0xffff) + <u32>((c << <u64>bits) >> 1 >> <u64>(63 - nb));
      bits += nb;
      nb = <u32>(ofE >> 16) & 0xff;
      ofS = (<u32>ofE & 0xffff) + <u32>((c << <u64>bits) >> 1 >> <u64>(63 - nb));
      bits += nb;
    }

    // Offset_Value 1-3 selects a repeat offset, shifted by one when the literal length is 0. Real data
    // mixes repeats and new offsets unpredictably, so this is done with selects, not branches:
    // idx 0 keeps (r1, r2, r3), idx 1 swaps to (r2, r1, r3), anything else gives (off, r1, r2).
    const idx = select<u32>(ofv - 1 + <u32>(ll == 0), 4, ofv <= 3);
    let off = select<u32>(r1 - 1, ofv - 3, idx == 3);
    off = select<u32>(r3, off, idx == 2);
    off = select<u32>(r2, off, idx == 1);
    off = select<u32>(r1, off, idx == 0);
    r3 = select<u32>(r2, r3, idx >= 2);
    r2 = select<u32>(r1, r2, idx >= 1);
    r1 = off;

    if (<usize>ll > lend - lp) return E_CORRUPT;
    if (<usize>(ll + ml) > oend - op) return E_OUTPUT_OVERFLOW;
    copyLiterals(op, lp, <usize>ll, oend, lsafe);
    op += <usize>ll;
    lp += <usize>ll;
    // off - 1 wraps for off == 0, so one test rejects both a zero offset and one reaching before the frame.
    if (<usize>(off - 1) >= op - frameStart) return E_CORRUPT;
    copyMatch(op, <usize>off, <usize>ml, oend);
    op += <usize>ml;
  }
  // The bitstream must be consumed exactly.
  if (ip > start) {
    let nb = bits >> 3;
    const av = <u32>(ip - start);
    if (nb > av) nb = av;
    ip -= nb;
    bits -= nb << 3;
  }
  if (ip != start || bits != 64) return E_CORRUPT;
  rep1 = r1;
  rep2 = r2;
  rep3 = r3;
  litPtr = lp;
  outPos = op;
  return 0;
}

/** One Compressed_Block of `size` bytes at ip. Sets outPos. */
function decodeBlock(ip: usize, size: i32, op: usize, oend: usize, frameStart: usize): i32 {
  const iend = ip + <usize>size;
  const blockStart = op;
  const lr = decodeLiterals(ip, size);
  if (lr < 0) return lr;
  ip += <usize>lr;
  if (ip >= iend) return E_CORRUPT;
  let nbSeq = <i32>load<u8>(ip++);
  if (nbSeq >= 128) {
    if (nbSeq == 255) {
      if (iend - ip < 2) return E_CORRUPT;
      nbSeq = <i32>load<u16>(ip) + 0x7f00;
      ip += 2;
    } else {
      if (ip >= iend) return E_CORRUPT;
      nbSeq = ((nbSeq - 128) << 8) + <i32>load<u8>(ip++);
    }
  }
  if (nbSeq > 0) {
    if (ip >= iend) return E_CORRUPT;
    const modes = <u32>load<u8>(ip++);
    if ((modes & 3) != 0) return E_CORRUPT;
    let r = setupTable(KIND_LL, modes >> 6, ip, <i32>(iend - ip));
    if (r < 0) return r;
    ip += <usize>r;
    r = setupTable(KIND_OF, (modes >> 4) & 3, ip, <i32>(iend - ip));
    if (r < 0) return r;
    ip += <usize>r;
    r = setupTable(KIND_ML, (modes >> 2) & 3, ip, <i32>(iend - ip));
    if (r < 0) return r;
    ip += <usize>r;
    r = execSequences(ip, <i32>(iend - ip), nbSeq, op, oend, frameStart);
    if (r < 0) return r;
    op = outPos;
  } else if (ip != iend) {
    return E_CORRUPT; // with no sequences the section ends right after the count
  }
  // Literals left after the last sequence close the block.
  const rest = litEnd - litPtr;
  if (rest > oend - op) return E_OUTPUT_OVERFLOW;
  memory.copy(op, litPtr, rest);
  op += rest;
  if (op - blockStart > <usize>blockMax) return E_CORRUPT;
  outPos = op;
  return 0;
}

/** One Zstandard frame starting after its magic number. Sets inPos and outPos. */
function decodeFrame(ip: usize, iend: usize, op: usize, oend: usize): i32 {
  if (ip >= iend) return E_INPUT_TRUNCATED;
  const fhd = <u32>load<u8>(ip++);
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const checksum = (fhd >> 2) & 1;
  const didFlag = fhd & 3;
  if ((fhd & 8) != 0) return E_CORRUPT; // reserved bit
  const didSize: usize = didFlag == 3 ? 4 : <usize>didFlag;
  const fcsSize: usize = fcsFlag == 0 ? <usize>single : <usize>1 << <usize>fcsFlag;
  if (iend - ip < <usize>(1 - single) + didSize + fcsSize) return E_INPUT_TRUNCATED;
  let window: u64 = 0;
  if (single == 0) {
    const wd = <u64>load<u8>(ip++);
    const wbase = <u64>1 << (10 + (wd >> 3));
    window = wbase + (wbase >> 3) * (wd & 7);
  }
  let dictId: u32 = 0;
  if (didSize == 1) dictId = <u32>load<u8>(ip);
  else if (didSize == 2) dictId = <u32>load<u16>(ip);
  else if (didSize == 4) dictId = load<u32>(ip);
  ip += didSize;
  if (dictId != 0) return E_UNSUPPORTED;
  let fcs: u64 = 0;
  if (fcsSize == 1) fcs = <u64>load<u8>(ip);
  else if (fcsSize == 2) fcs = <u64>load<u16>(ip) + 256;
  else if (fcsSize == 4) fcs = <u64>load<u32>(ip);
  else if (fcsSize == 8) fcs = load<u64>(ip);
  ip += fcsSize;
  if (single != 0) window = fcs;
  blockMax = window < <u64>BLOCK_MAX ? <u32>window : BLOCK_MAX;
  if (fcsSize != 0 && fcs > <u64>(oend - op)) return E_OUTPUT_OVERFLOW;

  rep1 = 1;
  rep2 = 4;
  rep3 = 8;
  llTab = 0;
  mlTab = 0;
  ofTab = 0;
  resetHuf();
  const frameStart = op;
  while (true) {
    if (iend - ip < 3) return E_INPUT_TRUNCATED;
    const bh = le24(ip);
    ip += 3;
    const bsize = bh >> 3;
    const btype = (bh >> 1) & 3;
    if (btype == 3) return E_CORRUPT;
    // RFC 8878: Block_Maximum_Size bounds every block, compressed and decoded. (libzstd versions differ on
    // the decoded bound; no encoder exceeds it.)
    if (bsize > blockMax) return E_CORRUPT;
    if (btype == 0) {
      if (<usize>bsize > iend - ip) return E_INPUT_TRUNCATED;
      if (<usize>bsize > oend - op) return E_OUTPUT_OVERFLOW;
      memory.copy(op, ip, <usize>bsize);
      ip += <usize>bsize;
      op += <usize>bsize;
    } else if (btype == 1) {
      if (ip >= iend) return E_INPUT_TRUNCATED;
      if (<usize>bsize > oend - op) return E_OUTPUT_OVERFLOW;
      memory.fill(op, load<u8>(ip), <usize>bsize);
      ip++;
      op += <usize>bsize;
    } else {
      if (<usize>bsize > iend - ip) return E_INPUT_TRUNCATED;
      const r = decodeBlock(ip, <i32>bsize, op, oend, frameStart);
      if (r < 0) return r;
      ip += <usize>bsize;
      op = outPos;
    }
    if ((bh & 1) != 0) break;
  }
  if (fcsSize != 0 && <u64>(op - frameStart) != fcs) return E_CORRUPT;
  if (checksum != 0) {
    if (iend - ip < 4) return E_INPUT_TRUNCATED;
    const h = <u32>xxh64(frameStart, op - frameStart);
    if (h != load<u32>(ip)) return E_CHECKSUM;
    ip += 4;
  }
  inPos = ip;
  outPos = op;
  return 0;
}

/**
 * Decompresses one or more concatenated zstd frames (skippable frames are skipped) from
 * [src, src+srcLen) into [dst, dst+dstCap). Returns the number of bytes written or a negative status.
 */
export function zstd_decompress(src: usize, srcLen: i32, dst: usize, dstCap: i32): i32 {
  if (srcLen <= 0) return E_INPUT_TRUNCATED;
  if (dstCap < 0) return E_OUTPUT_OVERFLOW;
  initPredefined();
  let ip = src;
  const iend = src + <usize>srcLen;
  srcEnd = iend;
  let op = dst;
  const oend = dst + <usize>dstCap;
  while (ip < iend) {
    if (iend - ip < 4) return E_INPUT_TRUNCATED;
    const magic = load<u32>(ip);
    if ((magic & 0xfffffff0) == 0x184d2a50) {
      if (iend - ip < 8) return E_INPUT_TRUNCATED;
      const skip = <usize>load<u32>(ip, 4);
      if (skip > iend - ip - 8) return E_INPUT_TRUNCATED;
      ip += 8 + skip;
      continue;
    }
    if (magic != MAGIC) return E_CORRUPT;
    const r = decodeFrame(ip + 4, iend, op, oend);
    if (r < 0) return r;
    ip = inPos;
    op = outPos;
  }
  return <i32>(op - dst);
}
