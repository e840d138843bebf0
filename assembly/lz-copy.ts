// Copies shared by the LZ77-family decoders (LZO1X, snappy): literals from input to output and matches from
// earlier output, 16 bytes per step where the buffers have room.
//
// Wide copies may write up to 15 bytes past the end of a literal or match; they are used only where those
// bytes still lie inside dst+dstCap, and later output overwrites them before anything reads them.

/** Copies n bytes from input to output (never overlapping). */
// @ts-ignore: decorator
@inline export function copyLiteral(op: usize, ip: usize, n: usize, ipEnd: usize, opEnd: usize): void {
  if (n <= 64 && n + 16 <= ipEnd - ip && n + 16 <= opEnd - op) {
    // Short runs dominate (LZ77 literals and matches in kernel pages); two 8-byte moves per step beat a memory.copy call.
    const end = op + n;
    do {
      store<u64>(op, load<u64>(ip));
      store<u64>(op, load<u64>(ip, 8), 8);
      op += 16;
      ip += 16;
    } while (op < end);
  } else {
    memory.copy(op, ip, n);
  }
}

/** Copies the n bytes found d bytes back in the output (1 <= d <= bytes already written). */
// @ts-ignore: decorator
@inline export function copyMatch(op: usize, d: usize, n: usize, opEnd: usize): void {
  let m = op - d;
  if (n + 16 <= opEnd - op) {
    const end = op + n;
    if (d < 8) {
      if (d == 1) {
        // A run of one byte (mostly zeros in kernel pages): splat it.
        const v = <u64>load<u8>(m) * 0x0101010101010101;
        do {
          store<u64>(op, v);
          store<u64>(op, v, 8);
          op += 16;
        } while (op < end);
        return;
      }
      // A period-d pattern also repeats at period d2 = d*ceil(8/d) >= 8: lay down d2 bytes one at a time,
      // then copy from d2 back, 8 bytes at a time.
      const d2 = d * ((d + 7) / d);
      if (n <= d2) {
        for (let i: usize = 0; i < n; i++) store<u8>(op + i, load<u8>(m + i));
        return;
      }
      for (let i: usize = 0; i < d2; i++) store<u8>(op + i, load<u8>(m + i));
      op += d2;
      m = op - d2;
    }
    // d >= 8: each 8-byte load reads only bytes already stored, even with the second load of a pair.
    do {
      store<u64>(op, load<u64>(m));
      store<u64>(op, load<u64>(m, 8), 8);
      op += 16;
      m += 16;
    } while (op < end);
  } else if (d >= n) {
    memory.copy(op, m, n);
  } else {
    // Overlapping, near the end of dst: exact, one byte at a time (each byte may be one just written).
    for (let i: usize = 0; i < n; i++) store<u8>(op + i, load<u8>(m + i));
  }
}
