// LZO1X decompression: the streams liblzo2's lzo1x_1_compress writes (makedumpfile -l, one stream per page),
// plus the Linux kernel's bitstream version 1 (LZO-RLE, zero runs). Format: the kernel's
// Documentation/staging/lzo.rst.
import { E_CORRUPT, E_INPUT_TRUNCATED, E_OUTPUT_OVERFLOW } from './status';
import { copyLiteral, copyMatch } from './lz-copy';

/**
 * Decompresses one LZO1X stream. Returns the bytes written, or E_INPUT_TRUNCATED (input ends before the
 * end-of-stream marker), E_OUTPUT_OVERFLOW (more than dstCap bytes), E_CORRUPT (a match reaching before
 * dst, or an instruction that cannot occur). Bytes after the end marker are ignored, as liblzo does.
 */
export function lzo1x_decompress(src: usize, srcLen: i32, dst: usize, dstCap: i32): i32 {
  if (srcLen < 0) return E_CORRUPT;
  if (dstCap < 0) return E_OUTPUT_OVERFLOW;
  let ip = src;
  const ipEnd = src + <usize>srcLen;
  let op = dst;
  const opEnd = dst + <usize>dstCap;
  // Literals copied by the previous instruction: 0, 1..3, or 4 for "4 or more". It decides what 0..15 means.
  let state: usize = 0;
  let version: u32 = 0;

  // The kernel marks versioned streams with a leading 17 (liblzo never starts a stream of 5+ bytes so).
  if (srcLen >= 5 && load<u8>(ip) == 17) {
    version = load<u8>(ip, 1);
    ip += 2;
  }
  // A first byte above 17 is a literal run of byte-17 with no instruction before it.
  if (ip < ipEnd && load<u8>(ip) > 17) {
    const n = <usize>load<u8>(ip) - 17;
    ip++;
    if (n > opEnd - op) return E_OUTPUT_OVERFLOW;
    if (n > ipEnd - ip) return E_INPUT_TRUNCATED;
    copyLiteral(op, ip, n, ipEnd, opEnd);
    ip += n;
    op += n;
    state = n < 4 ? n : 4;
  }

  while (true) {
    if (ip >= ipEnd) return E_INPUT_TRUNCATED;
    const t = <usize>load<u8>(ip++);
    let n: usize; // match length
    let d: usize; // match distance; 0 = a run of zeros (version 1)
    let s: usize; // literals following the match
    if (t >= 64) {
      // M2: 3..8 bytes within 2 KiB.
      if (ip >= ipEnd) return E_INPUT_TRUNCATED;
      d = ((t >> 2) & 7) + (<usize>load<u8>(ip++) << 3) + 1;
      n = (t >> 5) + 1;
      s = t & 3;
    } else if (t >= 32) {
      // M3: within 16 KiB, length 2 + (L or an extended count).
      n = t & 31;
      if (n == 0) {
        const ext = lzoLongLength(ip, ipEnd, opEnd - op, 31);
        if (ext < 0) return <i32>ext;
        ip += <usize>(ext >>> 32);
        n = <usize>(ext & 0xffffffff);
      }
      n += 2;
      if (ipEnd - ip < 2) return E_INPUT_TRUNCATED;
      const w = <usize>load<u16>(ip);
      ip += 2;
      d = (w >> 2) + 1;
      s = w & 3;
    } else if (t >= 16) {
      // M4: 16..48 KiB back; distance 16384 exactly is the end marker.
      if (version != 0 && (t & 8) != 0 && ipEnd - ip >= 2 && (<u32>load<u16>(ip) & 0xfffc) == 0xfffc) {
        // Version 1 zero run: H=1 with all D bits set, then one more byte of length.
        if (ipEnd - ip < 3) return E_INPUT_TRUNCATED;
        n = ((t & 7) | (<usize>load<u8>(ip, 2) << 3)) + 4;
        s = <usize>load<u8>(ip) & 3;
        ip += 3;
        d = 0;
      } else {
        n = t & 7;
        if (n == 0) {
          const ext = lzoLongLength(ip, ipEnd, opEnd - op, 7);
          if (ext < 0) return <i32>ext;
          ip += <usize>(ext >>> 32);
          n = <usize>(ext & 0xffffffff);
        }
        n += 2;
        if (ipEnd - ip < 2) return E_INPUT_TRUNCATED;
        const w = <usize>load<u16>(ip);
        ip += 2;
        d = ((t & 8) << 11) + (w >> 2);
        if (d == 0) return <i32>(op - dst);
        d += 16384;
        s = w & 3;
      }
    } else if (state == 0) {
      // A literal run of 4 or more after an instruction that copied none.
      n = t;
      if (n == 0) {
        const ext = lzoLongLength(ip, ipEnd, opEnd - op, 15);
        if (ext < 0) return <i32>ext;
        ip += <usize>(ext >>> 32);
        n = <usize>(ext & 0xffffffff);
      }
      n += 3;
      if (n > opEnd - op) return E_OUTPUT_OVERFLOW;
      if (n > ipEnd - ip) return E_INPUT_TRUNCATED;
      copyLiteral(op, ip, n, ipEnd, opEnd);
      ip += n;
      op += n;
      state = 4;
      continue;
    } else {
      // M1: 2 bytes within 1 KiB after 1..3 literals, or 3 bytes 2..3 KiB back after 4 or more.
      if (ip >= ipEnd) return E_INPUT_TRUNCATED;
      d = (t >> 2) + (<usize>load<u8>(ip++) << 2) + 1;
      if (state == 4) {
        d += 2048;
        n = 3;
      } else {
        n = 2;
      }
      s = t & 3;
    }

    if (d > op - dst) return E_CORRUPT;
    if (n > opEnd - op) return E_OUTPUT_OVERFLOW;
    if (d == 0) memory.fill(op, 0, n);
    else copyMatch(op, d, n, opEnd);
    op += n;

    if (s != 0) {
      if (s > opEnd - op) return E_OUTPUT_OVERFLOW;
      if (s > ipEnd - ip) return E_INPUT_TRUNCATED;
      if (ipEnd - ip >= 4 && opEnd - op >= 4) store<u32>(op, load<u32>(ip));
      else for (let i: usize = 0; i < s; i++) store<u8>(op + i, load<u8>(ip + i));
      ip += s;
      op += s;
    }
    state = s;
  }
  return E_CORRUPT;
}

/**
 * Reads an extended length: zero bytes each worth 255, then a non-zero byte, plus `base`. Returns
 * (bytes consumed << 32) | length, or a negative status. A count that alone exceeds the output space is
 * refused before the sum could wrap.
 */
// @ts-ignore: decorator
@inline function lzoLongLength(ip: usize, ipEnd: usize, room: usize, base: usize): i64 {
  let p = ip;
  while (true) {
    if (p >= ipEnd) return E_INPUT_TRUNCATED;
    const b = <usize>load<u8>(p++);
    if (b != 0) {
      const zeros = p - 1 - ip;
      if (zeros > room / 255) return E_OUTPUT_OVERFLOW;
      return (<i64>(p - ip) << 32) | <i64>(zeros * 255 + base + b);
    }
  }
  return E_CORRUPT;
}
