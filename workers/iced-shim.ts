// Stands in for Node's fs, path and util in the engine worker's bundle, where iced-x86 is the only importer
// (vite.config.ts routes them here for it). iced's CommonJS glue, when it is evaluated, takes TextDecoder and
// TextEncoder from util and reads its .wasm with readFileSync(path.join(__dirname, …)); the worker fetches
// the bytes from the app's own origin and sets them before importing iced.
let wasmBytes: Uint8Array | null = null;

export function setIcedWasm(bytes: Uint8Array): void {
  wasmBytes = bytes;
}

export function readFileSync(): Uint8Array {
  if (!wasmBytes) throw new Error('iced-x86: its WebAssembly was not fetched before import');
  return wasmBytes;
}

export function join(...parts: string[]): string {
  return parts.join('/');
}

export const TextDecoder = globalThis.TextDecoder;
export const TextEncoder = globalThis.TextEncoder;

export default { readFileSync, join, TextDecoder, TextEncoder };
