// Page decompression through the WASM codecs. One input region and one output region are allocated in WASM
// memory and reused; they grow only when a larger input or output arrives.
import { wasm, type WasmExports } from './wasm.ts';

export type CodecName = 'zlib' | 'deflate' | 'lzo' | 'snappy' | 'zstd';

/** The WASM export implementing each codec. */
const EXPORT: Record<CodecName, string> = {
  zlib: 'zlib_decompress',
  deflate: 'inflate_raw',
  lzo: 'lzo1x_decompress',
  snappy: 'snappy_decompress',
  zstd: 'zstd_decompress',
};

export const CODEC_STATUS: Record<number, string> = {
  [-1]: 'compressed data ends early',
  [-2]: 'decompresses to more than the expected size',
  [-3]: 'invalid compressed data',
  [-4]: 'checksum mismatch',
  [-5]: 'uses a feature this decoder does not support',
};

export class CodecError extends Error {
  override name = 'CodecError';
  constructor(readonly codec: CodecName, readonly status: number, detail?: string) {
    super(detail ?? `${codec}: ${CODEC_STATUS[status] ?? `error ${status}`}`);
  }
}

type CodecFn = (src: number, srcLen: number, dst: number, dstCap: number) => number;

class Region {
  ptr = 0;
  size = 0;
  ensure(w: WasmExports, size: number): number {
    if (size > this.size) {
      this.size = Math.max(size, this.size * 2, 1 << 16);
      this.ptr = w.alloc(this.size);
    }
    return this.ptr;
  }
}

const input = new Region();
const output = new Region();

export function hasCodec(codec: CodecName): boolean {
  return typeof wasm()[EXPORT[codec]] === 'function';
}

/**
 * Decompresses `src` into `dst`. Returns the number of bytes written; throws CodecError when the data is
 * invalid or does not fit. Callers that expect exactly one page check the count themselves.
 */
export function decompress(codec: CodecName, src: Uint8Array, dst: Uint8Array): number {
  const w = wasm();
  const fn = w[EXPORT[codec]] as CodecFn | undefined;
  if (typeof fn !== 'function') throw new CodecError(codec, -5, `${codec}: decoder not built into this WASM module`);
  // Allocate before taking views: alloc may grow memory and detach older views.
  const inPtr = input.ensure(w, src.length);
  const outPtr = output.ensure(w, dst.length);
  new Uint8Array(w.memory.buffer, inPtr, src.length).set(src);
  const n = fn(inPtr, src.length, outPtr, dst.length);
  if (n < 0) throw new CodecError(codec, n);
  dst.set(new Uint8Array(w.memory.buffer, outPtr, n));
  return n;
}
