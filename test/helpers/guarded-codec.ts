// Calling a WASM codec export under guard: the input is placed to end exactly at the end of linear memory
// (any read past src+srcLen traps) and a canary band after dst+cap must stay untouched (a write past the
// capacity throws). Shared by the decoder tests.
import type { WasmExports } from '../../src/codec/wasm.ts';

export type CodecFn = (src: number, srcLen: number, dst: number, dstCap: number) => number;

/** The codec's result, and the output bytes when it succeeded. */
export function guardedCall(w: WasmExports, fn: CodecFn, dstPtr: number, src: Uint8Array, cap: number, canary = 64): { n: number; out: Uint8Array } {
  let mem = new Uint8Array(w.memory.buffer);
  const srcPtr = mem.length - src.length;
  if (srcPtr < dstPtr + cap + canary) throw new Error(`input of ${src.length} bytes would overlap the output region`);
  mem.set(src, srcPtr);
  mem.fill(0xa5, dstPtr + cap, dstPtr + cap + canary);
  const n = fn(srcPtr, src.length, dstPtr, cap);
  mem = new Uint8Array(w.memory.buffer);
  for (let i = 0; i < canary; i++) if (mem[dstPtr + cap + i] !== 0xa5) throw new Error(`wrote past dst+dstCap (+${i}; cap ${cap}, status ${n})`);
  return { n, out: n >= 0 ? mem.slice(dstPtr, dstPtr + n) : new Uint8Array(0) };
}
