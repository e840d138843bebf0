import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ElfFile, ElfFormatError } from '../../src/debuginfo/elf.ts';
import { BufferSource, SliceSource } from '../../src/io/byte-source.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { FIXTURES, tinyVmlinux } from '../helpers/fixtures.ts';

describe('ElfFile on the tiny kernel vmlinux (DWARF 4, no BTF)', () => {
  const elf = new ElfFile(NodeFileSource.open(tinyVmlinux()));

  it('reads the build-id note', () => {
    expect(elf.buildId()).toBe('5fcb0ce79ded5043eaf090145b3a01d3eba5410e');
  });

  it('lists the debug sections', () => {
    for (const s of ['.text', '.debug_info', '.debug_abbrev', '.debug_str', '.debug_line', '.symtab']) expect(elf.section(s), s).toBeDefined();
    expect(elf.section('.BTF')).toBeUndefined();
  });

  it('has every System.map symbol at the same address', () => {
    // Local (static) symbols can share a name: compare only names that are unique in both lists.
    const map = new Map<string, bigint>();
    const dup = new Set<string>();
    for (const line of readFileSync(join(FIXTURES, 't-tiny-la57', 'kernel', 'System.map'), 'latin1').split('\n')) {
      const [addr, , name] = line.split(' ');
      if (!name) continue;
      if (map.has(name)) dup.add(name);
      map.set(name, BigInt(`0x${addr}`));
    }
    const syms = new Map<string, bigint>();
    for (const s of elf.symbols()) {
      if (syms.has(s.name)) dup.add(s.name);
      syms.set(s.name, s.value);
    }
    for (const d of dup) map.delete(d);
    let compared = 0;
    for (const [name, addr] of map) {
      const v = syms.get(name);
      if (v === undefined) continue;
      compared++;
      expect(v.toString(16), name).toBe(addr.toString(16));
    }
    expect(compared).toBeGreaterThan(map.size * 0.9);
  });

  it('reads linux_banner at its link address', () => {
    const sym = elf.symbols().find((s) => s.name === 'linux_banner');
    expect(sym).toBeDefined();
    const text = new TextDecoder().decode(elf.readAt(sym!.value, Number(sym!.size)));
    expect(text).toContain('Linux version 6.1.192-crashlens-tiny');
  });
});

describe('ElfFile on bad input', () => {
  it('names the file when the magic is wrong', () => {
    expect(() => new ElfFile(new BufferSource('junk.bin', new Uint8Array(128)))).toThrow(/junk\.bin: not an ELF file/);
  });

  it('reports truncated section headers instead of reading past the end', () => {
    const src = NodeFileSource.open(tinyVmlinux());
    for (const size of [10, 63, 64, 4096, src.size - 1000, src.size - 1]) {
      const cut = new SliceSource(src, 0, size);
      try {
        const e = new ElfFile(cut);
        e.symbols();
        throw new Error(`size ${size}: opened a truncated file silently`);
      } catch (err) {
        expect(err, `size ${size}`).toBeInstanceOf(ElfFormatError);
      }
    }
  });
});
