import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../../src/codec/wasm-node.ts';
import { ElfFile } from '../../../src/debuginfo/elf.ts';
import { DwarfSections } from '../../../src/debuginfo/dwarf/sections.ts';
import { DwarfIndex } from '../../../src/debuginfo/dwarf/name-index.ts';
import { DwarfTypes } from '../../../src/debuginfo/dwarf/types.ts';
import { NodeFileSource } from '../../../src/io/node-file.ts';
import { declaration, findMember, sizeOf, strip, typeName } from '../../../src/types/type.ts';
import { FIXTURES, tinyVmlinux } from '../../helpers/fixtures.ts';

describe('DWARF 4 types of the tiny kernel', () => {
  let types: DwarfTypes;
  beforeAll(() => {
    loadWasmNode();
    const elf = new ElfFile(NodeFileSource.open(tinyVmlinux()));
    types = new DwarfTypes(DwarfIndex.build(new DwarfSections(elf)));
  });

  it('finds struct task_struct with every member offset crash prints', () => {
    const task = types.findType('struct task_struct');
    expect(task?.kind).toBe('struct');
    // crash's `struct task_struct -o` lines: "    [32] void *stack;" — compare each top-level member's offset.
    const ref = readFileSync(join(FIXTURES, 't-tiny-la57', 'crash', 'mdf-d31-lzo.kdump', 'struct-task_struct-o.txt'), 'latin1');
    let checked = 0;
    for (const line of ref.split('\n')) {
      const m = /^ *\[(\d+)\] (.*?)([A-Za-z_][A-Za-z0-9_]*)(\[\d*\])*(?: : \d+)?;$/.exec(line);
      if (!m) continue;
      const hit = findMember(task!, m[3]);
      if (!hit) continue;
      expect(Math.floor(hit.bitOffset / 8), m[3]).toBe(Number(m[1]));
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    const size = /^SIZE: (\d+)/m.exec(ref);
    expect(sizeOf(task!)).toBe(Number(size![1]));
  });

  it('spells declarations as gdb does', () => {
    const task = types.findType('struct task_struct')!;
    expect(declaration(findMember(task, 'comm')!.member.type, 'comm')).toBe('char comm[16]');
    expect(typeName(findMember(task, 'parent')!.member.type)).toBe('struct task_struct *');
    expect(strip(types.findType('pid_t')!).kind).toBe('int');
  });

  it('types jiffies from its extern declaration', () => {
    const t = types.variableType('jiffies');
    expect(t && typeName(t)).toBe('volatile unsigned long');
  });
});
