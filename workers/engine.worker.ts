// The engine worker: owns one Session and answers the UI through comlink. Data flow:
//  1. The UI posts File objects (structured clone: a handle on the file, no bytes are copied).
//  2. The WASM module is fetched from the app's own origin once and compiled here.
//  3. Each File is wrapped in a BrowserFileSource (FileReaderSync, block cache); Session.open recognises
//     every file by its content and reports progress through the UI's proxied callback.
//  4. Commands run synchronously here, so the page never blocks; results go back as plain strings.
import { expose } from 'comlink';
import { initWasm } from '../src/codec/wasm.ts';
import type { CommandResult, EngineApi, OpenProgress, OpenSummary } from '../src/engine/api.ts';
import { Session } from '../src/engine/session.ts';
import { BrowserFileSource } from '../src/io/browser-file.ts';
import { get as idbGet, set as idbSet } from 'idb-keyval';
import { MemoryCache } from '../src/io/kv-cache.ts';
import { sniff } from '../src/dump/open.ts';
import { ElfFile } from '../src/debuginfo/elf.ts';
import { dwarfIndexKey } from '../src/program/load.ts';

let wasmLoaded: Promise<void> | null = null;
let session: Session | null = null;

function loadWasm(): Promise<void> {
  wasmLoaded ??= (async () => {
    // new URL(…, import.meta.url) makes Vite emit the module as an asset next to this worker.
    const url = new URL('../build/crashlens.wasm', import.meta.url);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`cannot load the engine's WebAssembly (${url.pathname}): HTTP ${res.status}`);
    initWasm(await res.arrayBuffer());
  })().catch((e: unknown) => {
    wasmLoaded = null; // let a later open try again
    throw e;
  });
  return wasmLoaded;
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/**
 * Progress goes to the page over postMessage; opening a big dump can report thousands of steps, so only
 * changes of 1% or a new phase, at most every 50 ms, are sent.
 */
function throttled(onProgress: ((p: OpenProgress) => void) | undefined): (fraction: number, what: string) => void {
  let lastFraction = -1;
  let lastWhat = '';
  let lastTime = 0;
  return (fraction, what) => {
    if (!onProgress) return;
    const now = performance.now();
    if (what === lastWhat && (fraction - lastFraction < 0.01 || now - lastTime < 50) && fraction < 1) return;
    lastFraction = fraction;
    lastWhat = what;
    lastTime = now;
    // The callback is a comlink proxy: calling it returns a promise, which fails if the page went away.
    const r: unknown = onProgress({ fraction, what });
    if (r instanceof Promise) r.catch(() => {});
  };
}

/**
 * The DWARF name index of a vmlinux is cached in IndexedDB under its build-id and size. IndexedDB is
 * asynchronous and the engine is not, so the entry for each given vmlinux is fetched before opening, and new
 * entries are written back in the background.
 */
async function indexCache(sources: BrowserFileSource[]): Promise<MemoryCache> {
  const cache = new MemoryCache((key, value) => {
    idbSet(key, value).catch(() => {});
  });
  for (const s of sources) {
    if (sniff(s) !== 'elf-vmlinux') continue;
    try {
      const key = dwarfIndexKey(new ElfFile(s));
      const hit: unknown = await idbGet(key);
      if (hit instanceof Uint8Array) cache.entries.set(key, hit);
    } catch {
      // No cache entry, or IndexedDB unavailable (private mode): the index is simply built.
    }
  }
  return cache;
}

const api: EngineApi = {
  async open(files: File[], onProgress?: (p: OpenProgress) => void): Promise<OpenSummary> {
    if (files.length === 0) throw new Error('no files were given');
    const progress = throttled(onProgress);
    progress(0, 'Loading the engine');
    await loadWasm();
    session = null;
    const names = files.map((f) => f.name).join(', ');
    try {
      const sources = files.map((f) => new BrowserFileSource(f));
      session = Session.open(sources, { onProgress: progress, cache: await indexCache(sources) });
      progress(1, 'Reading the kernel log');
      return session.summary();
    } catch (e) {
      // Engine errors name the file already ("vmcore: not a dump: …"); others get the file names added.
      const m = message(e);
      throw new Error(files.some((f) => m.includes(f.name)) ? m : `${names}: ${m}`, { cause: e });
    }
  },

  async run(command: string): Promise<CommandResult> {
    if (!session) return { output: 'no dump is open\n', failed: true };
    try {
      return session.run(command);
    } catch (e) {
      // A bug or a damaged dump: report it as the command's output rather than losing the session.
      const name = command.trim().split(/\s+/)[0] || 'command';
      return { output: `${name}: ${message(e)}\n`, failed: true };
    }
  },

  async commandNames(): Promise<string[]> {
    return session?.commandNames() ?? [];
  },
};

expose(api);
