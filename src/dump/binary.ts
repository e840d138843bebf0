// Reading fixed-layout header fields out of a small buffer, with every failure naming the file and the
// absolute file offset of the field. Dump headers are little-endian; the flattened format's are big-endian.
import { DumpFormatError, ReadError } from '../errors.ts';
import type { ByteSource } from '../io/byte-source.ts';

export class Fields {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    /** File name for errors. */
    readonly file: string,
    /** File offset of bytes[0], so errors point into the file. */
    readonly base: number,
    private readonly littleEndian = true,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(at: number, size: number, what: string): void {
    if (at < 0 || at + size > this.bytes.length)
      throw new DumpFormatError(this.file, `${what}: field lies outside the ${this.bytes.length}-byte structure`, this.base + at);
  }

  u8(at: number, what = 'u8'): number {
    this.need(at, 1, what);
    return this.bytes[at]!;
  }
  u16(at: number, what = 'u16'): number {
    this.need(at, 2, what);
    return this.view.getUint16(at, this.littleEndian);
  }
  u32(at: number, what = 'u32'): number {
    this.need(at, 4, what);
    return this.view.getUint32(at, this.littleEndian);
  }
  i32(at: number, what = 'i32'): number {
    this.need(at, 4, what);
    return this.view.getInt32(at, this.littleEndian);
  }
  u64(at: number, what = 'u64'): bigint {
    this.need(at, 8, what);
    return this.view.getBigUint64(at, this.littleEndian);
  }
  i64(at: number, what = 'i64'): bigint {
    this.need(at, 8, what);
    return this.view.getBigInt64(at, this.littleEndian);
  }

  /** A NUL-terminated string in a fixed-size field (utsname, signatures). */
  cstr(at: number, size: number): string {
    this.need(at, size, 'string');
    const b = this.bytes.subarray(at, at + size);
    const end = b.indexOf(0);
    return latin1(end < 0 ? b : b.subarray(0, end));
  }
}

export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

/**
 * Reads a header-sized range and converts a ReadError (range past the end) into a DumpFormatError that
 * says which structure was cut off.
 */
export function readStruct(src: ByteSource, offset: number, length: number, what: string): Uint8Array {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new DumpFormatError(src.name, `${what} is at an invalid offset`, 0);
  if (offset + length > src.size)
    throw new DumpFormatError(src.name, `${what} (${length} bytes) lies past the end of the file (${src.size} bytes): truncated?`, offset);
  try {
    return src.read(offset, length);
  } catch (e) {
    if (e instanceof ReadError) throw new DumpFormatError(src.name, `cannot read ${what}: ${e.message}`, offset);
    throw e;
  }
}

/** How the first bytes of a file look, for "not a dump" errors: hex plus printable characters. */
export function preview(bytes: Uint8Array, n = 16): string {
  const b = bytes.subarray(0, n);
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(b, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
  return b.length === 0 ? 'an empty file' : `${hex}  "${text}"`;
}

export const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
