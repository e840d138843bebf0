// Raw snappy decompression (no framing): makedumpfile -p writes one raw block per page. Format: snappy's
// format_description.txt — a varint uncompressed length, then literal and copy elements.
import { E_CORRUPT, E_INPUT_TRUNCATED, E_OUTPUT_OVERFLOW } from './status';
import { copyLiteral, copyMatch } from './lz-copy';

/**
 * Decompresses one raw snappy block. Returns the uncompressed length, or E_OUTPUT_OVERFLOW (the preamble's
 * length exceeds dstCap), E_INPUT_TRUNCATED (input ends inside the preamble or an element), E_CORRUPT (a
 * bad preamble, a zero offset or one reaching before dst, or output that does not add up to the preamble).
 */
export function snappy_decompress(src: usize, srcLen: i32, dst: usize, dstCap: i32): i32 {
  if (srcLen < 0) return E_CORRUPT;
  if (dstCap < 0) return E_OUTPUT_OVERFLOW;
  let ip = src;
  const ipEnd = src + <usize>srcLen;

  // Preamble: little-endian base-128 varint, at most 5 bytes, value below 2^32.
  let total: u64 = 0;
  let shift: u64 = 0;
  while (true) {
    if (ip >= ipEnd) return E_INPUT_TRUNCATED;
    const b = <u64>load<u8>(ip++);
    total |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift >= 35) return E_CORRUPT;
  }
  if (total > 0xffffffff) return E_CORRUPT;
  if (total > <u64>dstCap) return E_OUTPUT_OVERFLOW;

  let op = dst;
  const opLim = dst + <usize>total; // where the stream says output ends
  const opEnd = dst + <usize>dstCap; // where we may scribble

  while (ip < ipEnd) {
    const tag = <usize>load<u8>(ip++);
    const kind = tag & 3;
    if (kind == 0) {
      let n = (tag >> 2) + 1;
      if (n > 60) {
        // Lengths of 61+ follow the tag in n-60 little-endian bytes, stored minus one.
        const k = n - 60;
        if (k > ipEnd - ip) return E_INPUT_TRUNCATED;
        let v: u64 = 0;
        for (let i: usize = 0; i < k; i++) v |= <u64>load<u8>(ip + i) << (<u64>i << 3);
        ip += k;
        if (v >= <u64>(opLim - op)) return E_CORRUPT;
        n = <usize>v + 1;
      } else if (n > opLim - op) {
        return E_CORRUPT;
      }
      if (n > ipEnd - ip) return E_INPUT_TRUNCATED;
      copyLiteral(op, ip, n, ipEnd, opEnd);
      ip += n;
      op += n;
      continue;
    }
    let n: usize;
    let d: usize;
    if (kind == 1) {
      // 4..11 bytes, 11-bit offset (3 bits in the tag).
      if (ip >= ipEnd) return E_INPUT_TRUNCATED;
      n = ((tag >> 2) & 7) + 4;
      d = ((tag >> 5) << 8) | <usize>load<u8>(ip++);
    } else if (kind == 2) {
      if (ipEnd - ip < 2) return E_INPUT_TRUNCATED;
      n = (tag >> 2) + 1;
      d = <usize>load<u16>(ip);
      ip += 2;
    } else {
      if (ipEnd - ip < 4) return E_INPUT_TRUNCATED;
      n = (tag >> 2) + 1;
      d = <usize>load<u32>(ip);
      ip += 4;
    }
    if (d == 0 || d > op - dst) return E_CORRUPT;
    if (n > opLim - op) return E_CORRUPT;
    copyMatch(op, d, n, opEnd);
    op += n;
  }
  return op == opLim ? <i32>total : E_CORRUPT;
}
