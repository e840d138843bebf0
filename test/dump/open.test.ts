import { describe, expect, it } from 'vitest';
import { openDump, sniff } from '../../src/dump/open.ts';
import { DumpFormatError } from '../../src/errors.ts';
import { BufferSource } from '../../src/io/byte-source.ts';
import { buildElf, buildKdump, flatten, pageOf } from './build.ts';

const elfCore = buildElf({ loads: [{ paddr: 0, data: pageOf(0) }] });
const kdump = buildKdump({ maxMapnr: 8, pages: new Map([[1, pageOf(1)]]) }).bytes;

const vmlinuxHeader = (type: number): Uint8Array => buildElf({ loads: [], type });

describe('sniff', () => {
  it('tells formats apart by content, whatever the file is called', () => {
    expect(sniff(new BufferSource('dump.kdump', elfCore))).toBe('elf-core');
    expect(sniff(new BufferSource('vmcore.elf', kdump))).toBe('kdump');
    const diskdump = kdump.slice();
    diskdump.set(new TextEncoder().encode('DISKDUMP'));
    expect(sniff(new BufferSource('x', diskdump))).toBe('kdump');
    const flat = flatten(new BufferSource('k', kdump), [{ offset: 0, size: kdump.length }]);
    expect(sniff(flat)).toBe('flattened');
    expect(sniff(new BufferSource('vmlinux', vmlinuxHeader(2)))).toBe('elf-vmlinux');
    expect(sniff(new BufferSource('vmlinux.so', vmlinuxHeader(3)))).toBe('elf-vmlinux');
    expect(sniff(new BufferSource('mod.ko', vmlinuxHeader(1)))).toBe('unknown');
    expect(sniff(new BufferSource('empty', new Uint8Array(0)))).toBe('unknown');
    expect(sniff(new BufferSource('text', new TextEncoder().encode('hello world, this is not a dump')))).toBe('unknown');
    expect(sniff(new BufferSource('short-elf', Uint8Array.of(0x7f, 0x45, 0x4c, 0x46)))).toBe('unknown');
  });
});

describe('openDump', () => {
  it('names the file and shows its first bytes when it is not a dump', () => {
    expect(() => openDump([new BufferSource('notes.txt', new TextEncoder().encode('hello world'))])).toThrow(
      /^notes\.txt: not a crash dump .*68 65 6c 6c 6f 20 77 6f 72 6c 64 {2}"hello world" \(at file offset 0x0\)$/,
    );
    expect(() => openDump([new BufferSource('empty', new Uint8Array(0))])).toThrow(/empty: not a crash dump .*an empty file/);
    expect(() => openDump([new BufferSource('vmlinux', vmlinuxHeader(2))])).toThrow(/vmlinux: is an ELF executable .*not a crash dump/);
    expect(() => openDump([])).toThrow(DumpFormatError);
  });

  it('opens each format through one call', () => {
    expect(openDump([new BufferSource('a', elfCore)]).format).toBe('ELF');
    expect(openDump([new BufferSource('b', kdump)]).format).toBe('KDUMP (uncompressed)');
    const flat = flatten(new BufferSource('k', kdump), [{ offset: 0, size: kdump.length }]);
    const progress: [number, string][] = [];
    const m = openDump([flat], { onProgress: (f, what) => progress.push([f, what]) });
    expect(m.format).toBe('flattened KDUMP (uncompressed)');
    expect(progress.at(-1)).toEqual([1, 'indexing flattened dump']);
  });

  it('a flattened stream holding something else is refused', () => {
    const junk = new BufferSource('junk', new TextEncoder().encode('x'.repeat(5000)));
    expect(() => openDump([flatten(junk, [{ offset: 0, size: 5000 }], { name: 'junk.flat' })])).toThrow(/junk\.flat: flattened stream does not hold a KDUMP or ELF dump/);
  });

  it('several files must all be parts of one split KDUMP', () => {
    expect(() => openDump([new BufferSource('a.elf', elfCore), new BufferSource('b.kdump', kdump)])).toThrow(/a\.elf: is ELF: several files must all be parts/);
    expect(() => openDump([new BufferSource('b.kdump', kdump), new BufferSource('c.kdump', kdump)])).toThrow(/b\.kdump: not part of a split dump/);
  });
});
