// Damaged ELF and DWARF must give typed errors (or a partial answer), never another exception, a hang or
// unbounded work. The inputs are real: the first units of the tiny kernel's DWARF 4, with its abbreviation,
// string and line tables, wrapped in a small ELF built here, then mutated without copying.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { ElfFile } from '../../src/debuginfo/elf.ts';
import { DwarfIndex } from '../../src/debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../../src/debuginfo/dwarf/sections.ts';
import { SourceLines } from '../../src/debuginfo/dwarf/source-lines.ts';
import { DwarfTypes } from '../../src/debuginfo/dwarf/types.ts';
import { readUnitHeaders } from '../../src/debuginfo/dwarf/unit.ts';
import { CrashlensError } from '../../src/errors.ts';
import { BufferSource } from '../../src/io/byte-source.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { strip, typeName, sizeOf } from '../../src/types/type.ts';
import { buildElf } from '../helpers/elf-builder.ts';
import { tinyVmlinux } from '../helpers/fixtures.ts';
import { MutatedSource } from '../dump/sources.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

/** Everything a user of the debug info does with it: index, decode every named type, look up lines. */
function exercise(bytes: { name: string; size: number; read(o: number, n: number): Uint8Array }): number {
  const elf = new ElfFile(bytes);
  elf.buildId();
  elf.symbols();
  const dwarf = new DwarfSections(elf);
  const index = DwarfIndex.build(dwarf);
  const types = new DwarfTypes(index);
  let decoded = 0;
  for (const name of ['task_struct', 'list_head', 'module', 'page', 'file']) {
    const t = types.findType(`struct ${name}`);
    if (!t) continue;
    const s = strip(t);
    typeName(t);
    sizeOf(t);
    if (s.kind === 'struct' || s.kind === 'union')
      for (const m of s.members) {
        typeName(m.type);
        sizeOf(m.type);
        decoded++;
      }
  }
  const lines = new SourceLines(index);
  for (const u of index.units.slice(0, 4)) lines.lookup(BigInt(u.header.offset) + 0xffffffff81000000n);
  return decoded;
}

describe('fuzzed ELF and DWARF', () => {
  let base: Uint8Array;
  let infoAt = 0;
  let infoLen = 0;
  let abbrevAt = 0;

  beforeAll(() => {
    loadWasmNode();
    const elf = new ElfFile(NodeFileSource.open(tinyVmlinux()));
    const full = new DwarfSections(elf);
    // The first units, up to ~160 KiB of .debug_info: real DWARF 4 as GCC wrote it.
    const headers = readUnitHeaders(full);
    let end = 0;
    for (const h of headers) {
      if (h.end > 160 * 1024 && end > 0) break;
      end = h.end;
    }
    const info = full.info(0, end);
    // Only the abbreviation tables those units use (plus slack), to keep each mutation cheap.
    const abbrevEnd = Math.max(...headers.filter((h) => h.end <= end).map((h) => h.abbrevOffset)) + 64 * 1024;
    const sections = [
      { name: '.debug_info', data: info },
      { name: '.debug_abbrev', data: full.get('.debug_abbrev').subarray(0, abbrevEnd) },
      { name: '.debug_str', data: full.get('.debug_str') },
      { name: '.debug_line', data: full.get('.debug_line').subarray(0, 256 * 1024) },
      { name: '.debug_aranges', data: full.get('.debug_aranges') },
    ];
    base = buildElf(sections);
    // Where the sections landed (8-byte aligned, in order, after the 64-byte header).
    let at = 64;
    const places = sections.map((s) => {
      at = (at + 7) & ~7;
      const p = at;
      at += s.data.length;
      return p;
    });
    infoAt = places[0];
    infoLen = info.length;
    abbrevAt = places[1];
  });

  it('the unmutated input decodes', () => {
    expect(exercise(new BufferSource('mini-vmlinux', base))).toBeGreaterThan(0);
  });

  function run(kind: string, count: number, mutate: (m: MutatedSource, r: () => number) => void): void {
    const r = rng(kind.length * 7919);
    let typed = 0;
    let ok = 0;
    for (let i = 0; i < count; i++) {
      const m = new MutatedSource(new BufferSource('mini-vmlinux', base));
      mutate(m, r);
      const t0 = performance.now();
      try {
        exercise(m);
        ok++;
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw new Error(`${kind} mutation ${i}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
        typed++;
      }
      expect(performance.now() - t0, `${kind} mutation ${i} took too long`).toBeLessThan(5000);
    }
    expect(typed + ok).toBe(count);
    expect(typed, `${kind}: some mutations must be detected`).toBeGreaterThan(0);
  }

  it('2,000 mutations of .debug_info: typed errors or a partial answer', () => {
    run('info', 2000, (m, r) => {
      const flips = 1 + Math.floor(r() * 4);
      for (let k = 0; k < flips; k++) {
        // Unit headers and the first DIEs are where structure lives: bias the flips there.
        const where = r() < 0.5 ? Math.floor(r() * Math.min(infoLen, 4096)) : Math.floor(r() * infoLen);
        m.xor(infoAt + where, 1 << Math.floor(r() * 8));
      }
    });
  });

  it('2,000 mutations of .debug_abbrev: typed errors or a partial answer', () => {
    run('abbrev', 2000, (m, r) => {
      const where = Math.floor(r() * 8192);
      m.xor(abbrevAt + where, 1 + Math.floor(r() * 255));
    });
  });

  it('2,000 mutations of the ELF header and section headers: typed errors', () => {
    const shoff = Number(new DataView(base.buffer).getBigUint64(40, true));
    run('elf', 2000, (m, r) => {
      const inHeader = r() < 0.3;
      const where = inHeader ? Math.floor(r() * 64) : shoff + Math.floor(r() * (base.length - shoff));
      m.xor(where, 1 << Math.floor(r() * 8));
      if (r() < 0.2) m.u64(shoff + 64 * (1 + Math.floor(r() * 6)) + 32, BigInt(Math.floor(r() * 2 ** 40)));
    });
  });
});
