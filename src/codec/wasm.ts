// The engine's WASM module (assembly/ compiled by AssemblyScript). The bytes are handed in by the host —
// Node reads build/crashlens.wasm, the browser worker fetches it once — and compiled synchronously here,
// which is allowed for any size in a worker and in Node. JS and WASM share one linear memory: JS copies
// compressed bytes into a region it allocated once, calls the codec, and reads the page back out.

/** What assembly/index.ts exports. Each codec follows (src, srcLen, dst, dstCap) => written | -status. */
export interface WasmExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  [name: string]: unknown;
}

/** Imports the module may ask for; the page-table walker reads physical memory through `env.read_phys_u64`. */
export interface WasmHost {
  readPhysU64(addr: bigint): bigint;
}

let current: WasmHost | null = null;

/** Sets who answers `read_phys_u64` during the next calls (one engine per worker). */
export function setWasmHost(host: WasmHost | null): void {
  current = host;
}

let compiled: WebAssembly.Module | null = null;
let instance: WasmExports | null = null;

export function initWasm(bytes: BufferSource | WebAssembly.Module): WasmExports {
  compiled = bytes instanceof WebAssembly.Module ? bytes : new WebAssembly.Module(bytes);
  const inst = new WebAssembly.Instance(compiled, {
    env: {
      abort(msg: number, file: number, line: number, col: number): never {
        throw new Error(`WASM abort at ${line}:${col} (message ${msg}, file ${file})`);
      },
      read_phys_u64(addr: bigint): bigint {
        if (!current) throw new Error('read_phys_u64: no physical memory attached');
        return current.readPhysU64(addr);
      },
    },
  });
  instance = inst.exports as unknown as WasmExports;
  return instance;
}

export function wasm(): WasmExports {
  if (!instance) throw new Error('the WASM module is not loaded: call initWasm() (or loadWasmNode()) first');
  return instance;
}

export function wasmModule(): WebAssembly.Module | null {
  return compiled;
}
