import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../../src/codec/wasm-node.ts';
import { ElfFile } from '../../../src/debuginfo/elf.ts';
import { DwarfSections } from '../../../src/debuginfo/dwarf/sections.ts';
import { DwarfIndex } from '../../../src/debuginfo/dwarf/name-index.ts';
import { SourceLines } from '../../../src/debuginfo/dwarf/source-lines.ts';
import { NodeFileSource } from '../../../src/io/node-file.ts';
import { FIXTURES, tinyVmlinux } from '../../helpers/fixtures.ts';
import { requireDebianVmlinuxInCi } from '../../helpers/debian-vmlinux.ts';

describe('DWARF 4 line tables of the tiny kernel', () => {
  let lines: SourceLines;
  let elf: ElfFile;
  beforeAll(() => {
    loadWasmNode();
    elf = new ElfFile(NodeFileSource.open(tinyVmlinux()));
    lines = new SourceLines(DwarfIndex.build(new DwarfSections(elf)));
  });

  it("gives the file:line crash's `sym schedule` prints (an inlined callee at the function's first address)", () => {
    const ref = readFileSync(join(FIXTURES, 't-tiny-la57', 'crash', 'mdf-d31-lzo.kdump', 'sym-schedule.txt'), 'latin1').trim();
    const m = /^\S+ \(T\) schedule (.*): (\d+)$/.exec(ref);
    expect(m).not.toBeNull();
    const schedule = elf.symbols().find((s) => s.name === 'schedule')!;
    expect(lines.lookup(schedule.value)).toEqual({ file: m![1], line: Number(m![2]) });
  });

  it('finds the same lines through the units\' own ranges (DWARF 4 .debug_ranges) when aranges are ignored', () => {
    const fallback = new SourceLines(DwarfIndex.build(new DwarfSections(elf)), false);
    const syms = elf.symbols().filter((s) => s.type === 2 && s.value > 0n);
    let compared = 0;
    for (let i = 0; i < syms.length; i += Math.floor(syms.length / 200)) {
      const a = syms[i].value + 3n;
      expect(fallback.lookup(a), syms[i].name).toEqual(lines.lookup(a));
      compared++;
    }
    expect(compared).toBeGreaterThan(150);
  });

  it('knows nothing of addresses outside the kernel', () => {
    expect(lines.lookup(0x1000n)).toBeUndefined();
  });
});

const debian = requireDebianVmlinuxInCi();
describe.skipIf(!debian)('DWARF 5 line tables of the Debian kernel', () => {
  it('finds the same lines through the units\' own ranges (.debug_rnglists) as through .debug_aranges', () => {
    loadWasmNode();
    const elf = new ElfFile(NodeFileSource.open(debian!));
    const index = DwarfIndex.build(new DwarfSections(elf));
    const viaAranges = new SourceLines(index);
    const viaRanges = new SourceLines(index, false);
    const c = elf.symbolColumns();
    let compared = 0;
    let found = 0;
    for (let i = 0; i < c.names.length; i += 997) {
      if ((c.info[i] & 0xf) !== 2 || c.values[i] === 0n) continue;
      const a = c.values[i] + 1n;
      const want = viaAranges.lookup(a);
      expect(viaRanges.lookup(a), c.names[i]).toEqual(want);
      compared++;
      if (want) found++;
    }
    expect(found).toBeGreaterThan(compared / 2);
  });
});
