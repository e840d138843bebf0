// One synchronous random-access interface over every kind of file: a Node file descriptor, a browser File
// (FileReaderSync, inside a worker), a buffer, a slice of another source, or a file rebuilt from a
// flattened stream. Offsets are numbers: 2^53 bytes is far beyond any dump.
import { ReadError } from '../errors.ts';

export interface ByteSource {
  /** The file's name, for error messages. */
  readonly name: string;
  readonly size: number;
  /**
   * Bytes [offset, offset+length). Throws ReadError if any of it is past the end. The result may be a view
   * into a cache: copy it if you keep it past the next read.
   */
  read(offset: number, length: number): Uint8Array;
}

export function checkRange(src: { name: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
    throw new ReadError(src.name, offset, length, 'invalid range');
  if (offset + length > src.size)
    throw new ReadError(src.name, offset, length, `past the end of the file (${src.size} bytes): truncated?`);
}

/** A source over bytes already in memory (tests, small inputs). */
export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(readonly name: string, private readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

/** The first `size` bytes of another source, e.g. a truncated copy without copying. */
export class SliceSource implements ByteSource {
  readonly name: string;
  constructor(private readonly inner: ByteSource, readonly start: number, readonly size: number, name?: string) {
    this.name = name ?? inner.name;
    if (start + size > inner.size) this.size = Math.max(0, inner.size - start);
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.inner.read(this.start + offset, length);
  }
}

/** Reads a little-endian unsigned 64-bit value as bigint. */
export function u64(view: DataView, at: number): bigint {
  return view.getBigUint64(at, true);
}

export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
