// A pool worker of the engine worker: indexes one range of a vmlinux's DWARF units (see
// src/debuginfo/dwarf/parallel-index.ts) and posts the part back. It reads the File itself (FileReaderSync),
// so only the File handle and two numbers cross over.
import { initWasm } from '../src/codec/wasm.ts';
import { ElfFile } from '../src/debuginfo/elf.ts';
import { DwarfIndex } from '../src/debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../src/debuginfo/dwarf/sections.ts';
import { readUnitHeaders } from '../src/debuginfo/dwarf/unit.ts';
import { BrowserFileSource } from '../src/io/browser-file.ts';

interface Request {
  file: File;
  from: number;
  to: number;
  /** The compiled engine module, for compressed debug sections. */
  wasm: WebAssembly.Module;
}

self.onmessage = (e: MessageEvent<Request>) => {
  const { file, from, to, wasm } = e.data;
  try {
    initWasm(wasm);
    // The worker reads its units once, in order: a small block cache is enough.
    const dwarf = new DwarfSections(new ElfFile(new BrowserFileSource(file, 4 << 20)));
    const part = DwarfIndex.buildPart(dwarf, readUnitHeaders(dwarf), from, to, (progress) => self.postMessage({ progress }));
    self.postMessage({ part });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
