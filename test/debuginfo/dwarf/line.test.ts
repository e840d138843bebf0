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

  it('knows nothing of addresses outside the kernel', () => {
    expect(lines.lookup(0x1000n)).toBeUndefined();
  });
});
