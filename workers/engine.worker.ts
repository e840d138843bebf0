// The engine worker: owns one Session and answers the UI through comlink. Data flow:
//  1. The UI posts File objects (structured clone: a handle on the file, no bytes are copied).
//  2. The WASM module is fetched from the app's own origin once and compiled here.
//  3. Each File is wrapped in a BrowserFileSource (FileReaderSync, block cache); Session.open recognises
//     every file by its content and reports progress through the UI's proxied callback.
//  4. Commands run synchronously here, so the page never blocks; results go back as plain strings.
import { expose } from 'comlink';
import { initWasm, wasmModule } from '../src/codec/wasm.ts';
import type { CommandResult, EngineApi, OpenProgress, OpenSummary, Outcome, ParseAs, ParsedResult } from '../src/engine/api.ts';
import { completeSymbols, completeTypes, moduleRows, parseBacktraces, parseKmemInfo, parseKmemSlabs, parseModTable, taskRows } from '../src/engine/views.ts';
import { describeObject, identifyAddress, listPage } from '../src/engine/explore.ts';
import { Session } from '../src/engine/session.ts';
import { BrowserFileSource } from '../src/io/browser-file.ts';
import { get as idbGet, set as idbSet } from 'idb-keyval';
import { MemoryCache } from '../src/io/kv-cache.ts';
import { sniff } from '../src/dump/open.ts';
import { ElfFile } from '../src/debuginfo/elf.ts';
import { dwarfIndexKey } from '../src/program/load.ts';
import { buildIndexParallel } from '../src/debuginfo/dwarf/parallel-index.ts';
import type { DwarfIndex, IndexPart } from '../src/debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../src/debuginfo/dwarf/sections.ts';
import { readUnitHeaders } from '../src/debuginfo/dwarf/unit.ts';
import { installIced } from '../src/arch/x86-64-disasm.ts';
import { setIcedWasm } from './iced-shim.ts';

let wasmLoaded: Promise<void> | null = null;
let icedLoaded: Promise<void> | null = null;
let session: Session | null = null;
/** A kernel log given as a text file (vmcore-dmesg.txt): its name and text. */
let logFile: { name: string; text: string } | null = null;

/**
 * Whether a file is a kernel log saved as text (vmcore-dmesg.txt, dmesg output): printable text whose
 * lines carry printk's "[    1.234567]" timestamps. Anything else is left to the dump readers to name.
 */
async function isLogText(f: File): Promise<boolean> {
  if (f.size === 0 || f.size > 64 << 20) return false;
  const head = new Uint8Array(await f.slice(0, 4096).arrayBuffer());
  for (const b of head) if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false;
  const text = new TextDecoder().decode(head);
  return /^(<\d+>)?\[\s*\d+\.\d+\] /m.test(text);
}

function logOnlySummary(name: string, text: string): OpenSummary {
  const panic = text.split('\n').find((l) => /Kernel panic - not syncing|BUG: |Oops: /.test(l));
  return {
    dumpFiles: [],
    format: 'kernel log (text)',
    cpus: 0,
    memoryBytes: 0,
    partial: false,
    incomplete: false,
    warnings: [`${name} is a kernel log only: processes, memory and backtraces need the dump itself`],
    logFile: name,
    logOnly: true,
    panic: panic?.replace(/^(<\d+>)?\[\s*\d+\.\d+\]\s*/, ''),
  };
}

/** Runs f against the open session; engine errors become the outcome's error text. */
function outcome<T>(f: (s: Session) => T): Outcome<T> {
  if (!session) return { ok: false, error: logFile ? 'only a kernel log is open: this needs the dump' : 'no dump is open' };
  try {
    return { ok: true, value: f(session) };
  } catch (e) {
    return { ok: false, error: message(e) };
  }
}

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

/**
 * Loads iced-x86 for `dis` on its first use: its WebAssembly is 0.8 MB that most sessions never need. iced
 * reads the bytes through the fs shim synchronously when its module is evaluated, so they are fetched first.
 */
function loadIced(): Promise<void> {
  icedLoaded ??= (async () => {
    const url = new URL('../node_modules/iced-x86/iced_x86_bg.wasm', import.meta.url);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`cannot load the disassembler's WebAssembly (${url.pathname}): HTTP ${res.status}`);
    setIcedWasm(new Uint8Array(await res.arrayBuffer()));
    installIced(await import('iced-x86'));
  })().catch((e: unknown) => {
    icedLoaded = null; // let a later dis try again
    throw e;
  });
  return icedLoaded;
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
async function indexCache(files: File[], sources: BrowserFileSource[], progress: (fraction: number, what: string) => void): Promise<MemoryCache> {
  const cache = new MemoryCache((key, value) => {
    idbSet(key, value).catch(() => {});
  });
  for (const [i, s] of sources.entries()) {
    if (sniff(s) !== 'elf-vmlinux') continue;
    const elf = new ElfFile(s);
    const key = dwarfIndexKey(elf);
    try {
      const hit: unknown = await idbGet(key);
      if (hit instanceof Uint8Array) {
        cache.entries.set(key, hit);
        continue;
      }
    } catch {
      // IndexedDB unavailable (private mode): build it.
    }
    if (!elf.section('.debug_info')) continue;
    const index = await buildIndexInPool(files[i], elf, progress);
    if (index) cache.set(key, index.toBytes(key));
  }
  return cache;
}

/**
 * Builds a vmlinux's DWARF index on every core: a pool of workers each indexes a byte-balanced range of
 * units. Returns undefined when there is only one core (the engine then builds it in one pass itself).
 */
async function buildIndexInPool(file: File, elf: ElfFile, progress: (fraction: number, what: string) => void): Promise<DwarfIndex | undefined> {
  const workers = Math.min(navigator.hardwareConcurrency || 1, 8);
  const module = wasmModule();
  if (workers < 2 || !module) return undefined;
  const dwarf = new DwarfSections(elf);
  const pool: Worker[] = [];
  try {
    return await buildIndexParallel(
      dwarf,
      readUnitHeaders(dwarf),
      workers,
      (from, to, onPart) =>
        new Promise<IndexPart>((resolve, reject) => {
          const w = new Worker(new URL('./dwarf-index.worker.ts', import.meta.url), { type: 'module' });
          pool.push(w);
          w.onmessage = (e: MessageEvent<{ progress?: number; part?: IndexPart; error?: string }>) => {
            if (e.data.progress !== undefined) onPart(e.data.progress);
            if (e.data.part) resolve(e.data.part);
            if (e.data.error) reject(new Error(`${file.name}: indexing DWARF: ${e.data.error}`));
          };
          w.onerror = (e) => reject(new Error(`${file.name}: indexing DWARF: ${e.message}`));
          w.postMessage({ file, from, to, wasm: module });
        }),
      progress,
    );
  } finally {
    for (const w of pool) w.terminate();
  }
}

const api: EngineApi = {
  async open(files: File[], onProgress?: (p: OpenProgress) => void): Promise<OpenSummary> {
    if (files.length === 0) throw new Error('no files were given');
    const progress = throttled(onProgress);
    progress(0, 'Loading the engine');
    await loadWasm();
    session = null;
    logFile = null;
    const names = files.map((f) => f.name).join(', ');
    try {
      const logs: File[] = [];
      const rest: File[] = [];
      for (const f of files) ((await isLogText(f)) ? logs : rest).push(f);
      if (logs.length > 1) throw new Error(`two kernel logs given: ${logs.map((f) => f.name).join(', ')}`);
      if (logs.length) logFile = { name: logs[0].name, text: await logs[0].text() };
      if (rest.length === 0 && logFile) return logOnlySummary(logFile.name, logFile.text);
      const sources = rest.map((f) => new BrowserFileSource(f));
      session = Session.open(sources, { onProgress: progress, cache: await indexCache(rest, sources, progress) });
      progress(1, 'Reading the kernel log');
      return { ...session.summary(), logFile: logFile?.name };
    } catch (e) {
      // Engine errors name the file already ("vmcore: not a dump: …"); others get the file names added.
      const m = message(e);
      throw new Error(files.some((f) => m.includes(f.name)) ? m : `${names}: ${m}`, { cause: e });
    }
  },

  async run(command: string): Promise<CommandResult> {
    if (!session && logFile && /^log\s*$/.test(command.trim())) return { output: logFile.text, failed: false };
    if (!session) return { output: logFile ? `${command.trim().split(/\s+/)[0]}: only a kernel log (${logFile.name}) is open: this needs the dump\n` : 'no dump is open\n', failed: true };
    try {
      // The engine is synchronous, so the disassembler is brought in before a command that may use it.
      if (/\bdis\b/.test(command)) await loadIced();
      return session.run(command);
    } catch (e) {
      // A bug or a damaged dump: report it as the command's output rather than losing the session.
      const name = command.trim().split(/\s+/)[0] || 'command';
      return { output: `${name}: ${message(e)}\n`, failed: true };
    }
  },

  async commandNames(): Promise<string[]> {
    return session?.commandNames() ?? (logFile ? ['log'] : []);
  },

  async runParsed(command: string, as: ParseAs): Promise<ParsedResult> {
    const r: ParsedResult = await api.run(command);
    if (r.failed) return r;
    if (as === 'kmem-i') r.kmemInfo = parseKmemInfo(r.output);
    else if (as === 'kmem-s') r.slabs = parseKmemSlabs(r.output);
    else if (as === 'mod') r.mods = parseModTable(r.output);
    else r.backtraces = parseBacktraces(r.output);
    return r;
  },

  async logFileText(): Promise<string | null> {
    return logFile?.text ?? null;
  },

  async tasks() {
    return outcome((s) => taskRows(s));
  },

  async modules() {
    return outcome((s) => moduleRows(s));
  },

  async completeSymbols(prefix: string, limit?: number): Promise<string[]> {
    const r = outcome((s) => completeSymbols(s, prefix, limit));
    return r.ok ? r.value : [];
  },

  async completeTypes(prefix: string, limit?: number): Promise<string[]> {
    const r = outcome((s) => completeTypes(s, prefix, limit));
    return r.ok ? r.value : [];
  },

  async explore(req) {
    return outcome((s) => describeObject(s, req));
  },

  async identify(address: string) {
    return outcome((s) => identifyAddress(s, address));
  },

  async listEntries(req) {
    return outcome((s) => listPage(s, req));
  },
};

expose(api);
