// makedumpfile's flattened format (-F, for writing to a pipe; QEMU's kdump-* output too): a 4096-byte
// makedumpfile_header, then records { be64 offset, be64 size, size bytes of data } meaning "these bytes
// belong at this offset of the real file", ending with a record whose offset is -1. `makedumpfile -R`
// replays the records onto a file. We do not: one pass reads only the record headers (skipping payloads)
// and builds a sorted index; FlattenedSource then serves reads of the rebuilt file straight from the
// stream. Bytes no record wrote read as zeros (as on the sparse file -R makes), and covers() tells them apart.
import { DumpFormatError } from '../errors.ts';
import { type ByteSource, checkRange } from '../io/byte-source.ts';
import { Fields, hex, latin1, readStruct } from './binary.ts';
import type { Container, SparseSource } from './dump-file.ts';
import { paint, pieceAt, type Piece } from './intervals.ts';

export const FLAT_SIGNATURE = 'makedumpfile';
export const FLAT_HEADER_SIZE = 4096;
const TYPE_FLAT_HEADER = 1n;
const VERSION_FLAT_HEADER = 1n;
const RECORD_HEADER = 16;

export interface FlattenOptions {
  onProgress?(fraction: number, what: string): void;
}

export class FlattenedSource implements ByteSource, SparseSource, Container {
  readonly name: string;
  readonly size: number;
  /** Problems found while indexing (a cut stream, odd records). */
  readonly warnings: string[] = [];
  /** The stream ended without the end marker. */
  readonly truncated: boolean;
  readonly recordCount: number;
  readonly version: bigint;

  /** Disjoint pieces of the rebuilt file, sorted; ref = record index. */
  private readonly pieces: Piece[];
  private readonly recDst: Float64Array;
  private readonly recSrc: Float64Array;

  constructor(private readonly stream: ByteSource, opts: FlattenOptions = {}) {
    this.name = stream.name;
    const file = stream.name;
    if (stream.size < FLAT_HEADER_SIZE) throw new DumpFormatError(file, `too short for a flattened-format header (${stream.size} bytes)`, 0);
    const h = new Fields(readStruct(stream, 0, 32, 'makedumpfile_header'), file, 0, false);
    if (h.cstr(0, 16) !== FLAT_SIGNATURE) throw new DumpFormatError(file, 'not a flattened dump: no "makedumpfile" signature', 0);
    const type = h.i64(16);
    this.version = h.i64(24);
    if (type !== TYPE_FLAT_HEADER) throw new DumpFormatError(file, `flattened header type ${type} is not 1 (TYPE_FLAT_HEADER)`, 16);
    if (this.version !== VERSION_FLAT_HEADER) this.warnings.push(`${file}: flattened format version ${this.version}; only version 1 is known`);

    // Record arrays grow by doubling; at most one record per 16 bytes of stream.
    let cap = 1024;
    let dst = new Float64Array(cap);
    let len = new Float64Array(cap);
    let src = new Float64Array(cap);
    let n = 0;
    let seen = 0;
    let pos = FLAT_HEADER_SIZE;
    let ended = false;
    let nextReport = 0;
    const reportEvery = Math.max(1 << 20, Math.floor(stream.size / 100));
    // Bounds the index: real records hold hundreds of bytes or more (a buffer of pages each).
    const maxRecords = Math.max(1 << 20, Math.floor(stream.size / 64));
    while (pos + RECORD_HEADER <= stream.size) {
      const r = new Fields(stream.read(pos, RECORD_HEADER), file, pos, false);
      const offset = r.i64(0);
      const size = r.i64(8);
      if (offset === -1n) {
        ended = true;
        break;
      }
      if (offset < 0n || size < 0n || offset + size > BigInt(Number.MAX_SAFE_INTEGER))
        throw new DumpFormatError(file, `record ${n} has an impossible offset ${offset} / size ${size}`, pos);
      const data = pos + RECORD_HEADER;
      let bytes = Number(size);
      if (bytes > stream.size - data) {
        this.warnings.push(
          `${file}: record ${n} at ${hex(pos)} claims ${bytes} bytes but the stream has ${stream.size - data} left: truncated; keeping what is there`,
        );
        bytes = stream.size - data;
      }
      if (++seen > maxRecords)
        throw new DumpFormatError(file, `more than ${maxRecords} records: not a real flattened dump (makedumpfile writes large records)`, pos);
      if (bytes === 0) {
        pos = data;
        continue; // writes nothing: not worth an index entry
      }
      if (n === cap) {
        cap *= 2;
        dst = grow(dst, cap);
        len = grow(len, cap);
        src = grow(src, cap);
      }
      dst[n] = Number(offset);
      len[n] = bytes;
      src[n] = data;
      n++;
      pos = data + bytes;
      if (opts.onProgress && pos >= nextReport) {
        opts.onProgress(pos / stream.size, 'indexing flattened dump');
        nextReport = pos + reportEvery;
      }
    }
    if (!ended) {
      const left = stream.size - pos;
      this.warnings.push(
        `${file}: the flattened stream ends at ${stream.size} bytes without its end marker${left > 0 ? ` (${left} stray bytes at ${hex(pos)})` : ''}: truncated; bytes it never wrote read as missing`,
      );
    } else if (pos + RECORD_HEADER < stream.size) {
      this.warnings.push(`${file}: ${stream.size - pos - RECORD_HEADER} bytes after the end marker ignored`);
    }
    opts.onProgress?.(1, 'indexing flattened dump');
    this.truncated = !ended;
    this.recordCount = n;
    this.recDst = dst.subarray(0, n);
    this.recSrc = src.subarray(0, n);
    const ends = new Float64Array(n);
    for (let i = 0; i < n; i++) ends[i] = dst[i]! + len[i]!;
    // The later record wins where two overlap, as when replayed in order.
    this.pieces = paint(this.recDst, ends, (i) => i);
    this.size = this.pieces.reduce((m, p) => Math.max(m, p.end), 0);
    if (n === 0) this.warnings.push(`${file}: the flattened stream holds no records`);
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    let i = pieceAt(this.pieces, offset);
    if (i >= 0) {
      const p = this.pieces[i]!;
      // The common case: one record holds it all, so the stream's bytes are returned as they are.
      if (offset + length <= p.end) return this.stream.read(this.recSrc[p.ref]! + (offset - this.recDst[p.ref]!), length);
    }
    const out = new Uint8Array(length);
    if (i < 0) i = 0;
    const end = offset + length;
    for (; i < this.pieces.length && this.pieces[i]!.start < end; i++) {
      const p = this.pieces[i]!;
      const from = Math.max(p.start, offset);
      const to = Math.min(p.end, end);
      if (from >= to) continue;
      out.set(this.stream.read(this.recSrc[p.ref]! + (from - this.recDst[p.ref]!), to - from), from - offset);
    }
    return out;
  }

  covers(offset: number, length: number): boolean {
    if (offset < 0 || length < 0 || offset + length > this.size) return false;
    let at = offset;
    const end = offset + length;
    let i = pieceAt(this.pieces, at);
    if (i < 0) return length === 0;
    for (; at < end; i++) {
      const p = this.pieces[i];
      if (!p || p.start > at || p.end <= at) return false;
      at = p.end;
    }
    return true;
  }

  describe(): string[] {
    return [
      `makedumpfile header: signature "${FLAT_SIGNATURE}" type 1 version ${this.version}`,
      `flattened stream: ${this.stream.size} bytes, ${this.recordCount} records, rebuilt file ${this.size} bytes${this.truncated ? ' (no end marker: truncated)' : ''}`,
    ];
  }
}

function grow(a: Float64Array<ArrayBuffer>, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

/** Whether bytes start a flattened stream. */
export function isFlattened(first: Uint8Array): boolean {
  return first.length >= 13 && latin1(first.subarray(0, 12)) === FLAT_SIGNATURE && first[12] === 0;
}
