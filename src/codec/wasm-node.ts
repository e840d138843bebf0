// Node: find build/crashlens.wasm beside the package root (from src/ in tests, from dist-cli/ when bundled).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initWasm, type WasmExports } from './wasm.ts';

let loaded: WasmExports | null = null;

export function wasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'build', 'crashlens.wasm');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('build/crashlens.wasm not found: run `npm run build:wasm`');
}

export function loadWasmNode(): WasmExports {
  return (loaded ??= initWasm(readFileSync(wasmPath())));
}
