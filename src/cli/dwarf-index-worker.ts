// A worker thread of the command line: indexes one range of a vmlinux's DWARF units (see
// src/debuginfo/dwarf/parallel-index.ts) and posts the part back.
import { parentPort, workerData } from 'node:worker_threads';
import { loadWasmNode } from '../codec/wasm-node.ts';
import { ElfFile } from '../debuginfo/elf.ts';
import { DwarfIndex } from '../debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../debuginfo/dwarf/sections.ts';
import { readUnitHeaders } from '../debuginfo/dwarf/unit.ts';
import { NodeFileSource } from '../io/node-file.ts';

const { path, from, to } = workerData as { path: string; from: number; to: number };
loadWasmNode(); // compressed debug sections are inflated by the WASM codecs
// The worker reads its units once, in order: a small block cache is enough.
const dwarf = new DwarfSections(new ElfFile(NodeFileSource.open(path, 4 << 20)));
const part = DwarfIndex.buildPart(dwarf, readUnitHeaders(dwarf), from, to, (fraction) => parentPort?.postMessage({ progress: fraction }));
parentPort?.postMessage({ part });
