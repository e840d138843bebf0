// Before the (synchronous) engine opens a vmlinux, the command line builds its DWARF index on every core
// with worker threads, unless the cache has it already; the engine then finds it in the cache.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ElfFile } from '../debuginfo/elf.ts';
import { buildIndexParallel } from '../debuginfo/dwarf/parallel-index.ts';
import type { IndexPart } from '../debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../debuginfo/dwarf/sections.ts';
import { readUnitHeaders } from '../debuginfo/dwarf/unit.ts';
import { sniff } from '../dump/open.ts';
import type { KeyValueCache } from '../io/kv-cache.ts';
import type { NodeFileSource } from '../io/node-file.ts';
import { dwarfIndexKey } from '../program/load.ts';

/** The bundled worker script beside this bundle (dist-cli/); absent when running from source. */
function workerScript(): string | undefined {
  const p = fileURLToPath(new URL('./dwarf-index-worker.mjs', import.meta.url));
  return existsSync(p) ? p : undefined;
}

export async function prebuildIndexes(
  files: { path: string; source: NodeFileSource }[],
  cache: KeyValueCache,
  onProgress?: (fraction: number, what: string) => void,
): Promise<void> {
  const script = workerScript();
  const workers = Math.min(availableParallelism(), 8);
  if (!script || workers < 2) return; // the engine builds it in one pass itself
  for (const { path, source } of files) {
    if (sniff(source) !== 'elf-vmlinux') continue;
    const elf = new ElfFile(source);
    if (!elf.section('.debug_info')) continue;
    const key = dwarfIndexKey(elf);
    if (cache.get(key)) continue;
    const dwarf = new DwarfSections(elf);
    const headers = readUnitHeaders(dwarf);
    const index = await buildIndexParallel(
      dwarf,
      headers,
      workers,
      (from, to, progress) =>
        new Promise<IndexPart>((resolve, reject) => {
          // A bounded heap makes the worker collect its garbage (unit buffers) instead of growing.
          const w = new Worker(script, { workerData: { path, from, to }, resourceLimits: { maxOldGenerationSizeMb: 192 } });
          w.on('message', (m: { progress?: number; part?: IndexPart }) => {
            if (m.progress !== undefined) progress(m.progress);
            if (m.part) {
              resolve(m.part);
              void w.terminate();
            }
          });
          w.on('error', reject);
          w.on('exit', (code) => {
            if (code !== 0) reject(new Error(`DWARF index worker exited with code ${code}`));
          });
        }),
      onProgress,
    );
    cache.set(key, index.toBytes(key));
  }
}
