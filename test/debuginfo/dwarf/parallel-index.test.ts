import { describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../../src/codec/wasm-node.ts';
import { ElfFile } from '../../../src/debuginfo/elf.ts';
import { DwarfIndex } from '../../../src/debuginfo/dwarf/name-index.ts';
import { buildIndexParallel, splitUnits } from '../../../src/debuginfo/dwarf/parallel-index.ts';
import { DwarfSections } from '../../../src/debuginfo/dwarf/sections.ts';
import { readUnitHeaders } from '../../../src/debuginfo/dwarf/unit.ts';
import { NodeFileSource } from '../../../src/io/node-file.ts';
import { tinyVmlinux } from '../../helpers/fixtures.ts';

describe('the DWARF index built in parts', () => {
  it('splits units into consecutive byte-balanced ranges covering them all', () => {
    const h = (offset: number, end: number) => ({ offset, end, version: 4, is64: false, unitType: 1, abbrevOffset: 0, addrSize: 8, dieOffset: offset + 11 });
    const headers = [h(0, 100), h(100, 150), h(150, 400), h(400, 410), h(410, 1000)];
    for (const n of [1, 2, 3, 5, 8]) {
      const r = splitUnits(headers, n);
      expect(r[0][0]).toBe(0);
      expect(r[r.length - 1][1]).toBe(headers.length);
      for (let i = 1; i < r.length; i++) expect(r[i][0]).toBe(r[i - 1][1]);
      expect(r.length).toBeLessThanOrEqual(n);
    }
  });

  it('merges parts into exactly the index one pass builds (tiny kernel, 4 parts)', async () => {
    loadWasmNode();
    const dwarf = new DwarfSections(new ElfFile(NodeFileSource.open(tinyVmlinux())));
    const headers = readUnitHeaders(dwarf);
    const whole = DwarfIndex.build(dwarf).toBytes('k');
    const fractions: number[] = [];
    const merged = await buildIndexParallel(
      dwarf,
      headers,
      4,
      async (from, to, progress) => DwarfIndex.buildPart(dwarf, headers, from, to, progress),
      (f) => fractions.push(f),
    );
    expect(Buffer.from(merged.toBytes('k')).equals(Buffer.from(whole))).toBe(true);
    expect(fractions.length).toBeGreaterThan(0);
    expect(Math.max(...fractions)).toBeLessThanOrEqual(1);
  });
});
