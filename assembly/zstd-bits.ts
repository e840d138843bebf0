// Backward bitstreams (RFC 8878 4.1, 4.2.2): read from the last byte towards the first, starting below the
// final 1 bit of padding. Decoders keep the state in locals (next load position, 64-bit container, bits
// of the container consumed from the top); openStream hands the initial state over in these globals.
import { E_CORRUPT } from './status';

export let sIp: usize = 0;
export let sC: u64 = 0;
export let sBits: u32 = 0;

/** Opens the backward stream [start, start+size). Returns 0 or E_CORRUPT (empty, or no padding bit). */
export function openStream(start: usize, size: i32): i32 {
  if (size < 1) return E_CORRUPT;
  const lastByte = <u32>load<u8>(start + <usize>size - 1);
  if (lastByte == 0) return E_CORRUPT;
  if (size >= 8) {
    sIp = start + <usize>size - 8;
    sC = load<u64>(sIp);
    sBits = clz<u32>(lastByte) - 23;
  } else {
    // Short stream: assembled in the container and never reloaded (ip stays at start). Since at least
    // 8 bits count as consumed, a fast loop's refill test (bits >> 3 <= ip - start) always fails for it.
    let c: u64 = 0;
    for (let i = 0; i < size; i++) c |= <u64>load<u8>(start + <usize>i) << (<u64>i << 3);
    sIp = start;
    sC = c;
    sBits = <u32>(8 - size) * 8 + clz<u32>(lastByte) - 23;
  }
  return 0;
}
