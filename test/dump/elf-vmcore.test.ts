import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { phys } from '../../src/addr.ts';
import { ElfVmcore } from '../../src/dump/elf-vmcore.ts';
import { DumpFormatError, PageMissing } from '../../src/errors.ts';
import { BufferSource, SliceSource } from '../../src/io/byte-source.ts';
import { FIXTURES } from '../helpers/fixtures.ts';
import { buildElf, concat, note, PAGE, pageOf, prstatusDesc, regs } from './build.ts';

const notes = concat(
  note('CORE', 1, prstatusDesc(10, regs(0))),
  note('CORE', 1, prstatusDesc(11, regs(1))),
  note('VMCOREINFO', 0, new TextEncoder().encode('OSRELEASE=6.1.0-test\n')),
);

function pages(first: number, n: number): Uint8Array {
  return concat(...Array.from({ length: n }, (_, i) => pageOf(first + i)));
}

function open(bytes: Uint8Array, name = 'core.elf'): ElfVmcore {
  return ElfVmcore.open(new BufferSource(name, bytes));
}

function missingReason(f: () => void): string {
  try {
    f();
  } catch (e) {
    if (e instanceof PageMissing) return e.reason;
    throw e;
  }
  return 'read';
}

describe('ElfVmcore', () => {
  it('a minimal core: two PT_LOADs and a note', () => {
    const m = open(buildElf({ loads: [{ paddr: 0, data: pages(0, 4) }, { paddr: 0x10 * PAGE, data: pages(0x10, 2) }], notes: [notes] }));
    expect(m.format).toBe('ELF');
    expect(m.maxPfn).toBe(0x12n);
    expect(m.partial).toBe(false);
    expect(m.incomplete).toBe(false);
    expect(m.warnings).toEqual([]);
    expect(m.notes.prstatus.map((p) => p.pid)).toEqual([10, 11]);
    expect(m.notes.vmcoreinfo).toBe('OSRELEASE=6.1.0-test\n');
    const out = new Uint8Array(PAGE);
    for (const pfn of [0, 3, 0x10, 0x11]) {
      expect(m.pageState(BigInt(pfn))).toBe('present');
      m.readPage(BigInt(pfn), out);
      expect(out).toEqual(pageOf(pfn));
    }
    expect(m.pageState(4n)).toBe('absent');
    expect(m.pageState(0x12n)).toBe('absent');
    expect(m.pageState(-1n)).toBe('absent');
    expect(missingReason(() => m.readPage(5n, out))).toBe('absent');
    // A read across the two segments' gap fails naming the first missing page.
    expect(() => m.read(phys(3 * PAGE + 100), PAGE)).toThrow(/page absent: pfn 0x4 /);
    expect(m.read(phys(0x10 * PAGE + 8), 4)).toEqual(pageOf(0x10).subarray(8, 12));
    expect(m.read(phys(PAGE - 4), 8)).toEqual(concat(pageOf(0).subarray(PAGE - 4), pageOf(1).subarray(0, 4)));
    expect(m.describe().join('\n')).toMatch(/PT_LOAD p_offset/);
  });

  it('segments that do not start or end on page boundaries (kdump: 0x1000-0x9fc00)', () => {
    const a = pages(0, 2).subarray(0, PAGE + 0xc00); // ends inside page 1
    const b = pages(0x100, 2).subarray(0x800); // starts inside page 1 (paddr 0x1c00 .. )
    const m = open(buildElf({ loads: [{ paddr: 0, data: a }, { paddr: 0x2000 - (b.length - PAGE), data: b }] }));
    const out = new Uint8Array(PAGE).fill(0xee);
    m.readPage(1n, out);
    // bytes 0..0xc00 from a; 0xc00..0x1000 from b (b's first byte maps to paddr 0x1800 -> b covers from 0x800 in page 1)
    const bStartInPage = 0x2000 - (b.length - PAGE) - PAGE;
    expect(out.subarray(0, 0xc00)).toEqual(pageOf(1).subarray(0, 0xc00));
    expect(out.subarray(Math.max(0xc00, bStartInPage), PAGE)).toEqual(b.subarray(Math.max(0xc00, bStartInPage) - bStartInPage, PAGE - bStartInPage));
    // A page only partly covered reads its uncovered bytes as zero.
    const c = open(buildElf({ loads: [{ paddr: 0x1000, data: pageOf(9).subarray(0, 0xc00) }] }));
    c.readPage(1n, out);
    expect(out.subarray(0, 0xc00)).toEqual(pageOf(9).subarray(0, 0xc00));
    expect(out.subarray(0xc00).every((x) => x === 0)).toBe(true);
    expect(c.maxPfn).toBe(2n);
  });

  it("makedumpfile -E's p_memsz > p_filesz tail is 'excluded'; partial stays false as crash prints it", () => {
    const m = open(buildElf({ loads: [{ paddr: 0, data: pages(0, 2), memsz: 300 * PAGE }, { paddr: 300 * PAGE, data: pages(300, 1) }] }));
    expect(m.filtered).toBe(true);
    expect(m.partial).toBe(false);
    expect(m.pageState(1n)).toBe('present');
    expect(m.pageState(2n)).toBe('excluded');
    expect(m.pageState(299n)).toBe('excluded');
    expect(m.pageState(300n)).toBe('present');
    const out = new Uint8Array(PAGE);
    expect(() => m.readPage(2n, out)).toThrow(/page excluded: pfn 0x2 .*filtered out by makedumpfile/);
  });

  it("QEMU 7.2's layout: program headers after two section headers, p_vaddr 0", () => {
    const bytes = buildElf({ qemuLayout: true, loads: [{ paddr: 0, data: pages(0, 1) }], notes: [notes] });
    expect(new DataView(bytes.buffer).getBigUint64(32, true)).toBe(192n);
    const m = open(bytes);
    expect(m.notes.prstatus).toHaveLength(2);
    expect(m.pageState(0n)).toBe('present');
  });

  it('PN_XNUM: the program header count comes from section header 0', () => {
    const m = open(buildElf({ xnum: true, loads: [{ paddr: 0, data: pages(0, 1) }, { paddr: PAGE * 5, data: pages(5, 1) }], notes: [notes] }));
    expect(m.segments).toHaveLength(3);
    expect(m.pageState(5n)).toBe('present');
  });

  it('overlapping segments (the kernel-text PT_LOAD of /proc/vmcore) read once, from the first', () => {
    const m = open(buildElf({ loads: [{ paddr: 2 * PAGE, data: pages(2, 1) }, { paddr: 0, data: pages(0, 4) }] }));
    const out = new Uint8Array(PAGE);
    for (let p = 0; p < 4; p++) {
      m.readPage(BigInt(p), out);
      expect(out).toEqual(pageOf(p));
    }
  });

  it('e_flags DUMP_ELF_INCOMPLETE marks the dump incomplete', () => {
    const m = open(buildElf({ eflags: 1, loads: [{ paddr: 0, data: pages(0, 1) }] }));
    expect(m.incomplete).toBe(true);
    expect(m.warnings.join()).toMatch(/DUMP_ELF_INCOMPLETE/);
  });

  it("a truncated file: pages past the end are 'lost', the rest reads", () => {
    const bytes = buildElf({ loads: [{ paddr: 0, data: pages(0, 8) }], notes: [notes] });
    const cut = new SliceSource(new BufferSource('cut.elf', bytes), 0, bytes.length - 3 * PAGE - 10);
    const m = ElfVmcore.open(cut);
    expect(m.incomplete).toBe(true);
    expect(m.warnings.join()).toMatch(/truncated/);
    expect(m.pageState(3n)).toBe('present');
    expect(m.pageState(4n)).toBe('lost');
    expect(m.pageState(7n)).toBe('lost');
    const out = new Uint8Array(PAGE);
    m.readPage(3n, out);
    expect(out).toEqual(pageOf(3));
    expect(() => m.readPage(4n, out)).toThrow(/cut\.elf: page lost: pfn 0x4 .*past the end of the file/);
  });

  it('refuses what is not an x86-64 ELF core, naming the file and offset', () => {
    const base = buildElf({ loads: [{ paddr: 0, data: pages(0, 1) }] });
    const bad = (patch: (b: Uint8Array) => void): DumpFormatError => {
      const b = base.slice();
      patch(b);
      try {
        open(b, 'x.elf');
      } catch (e) {
        expect(e).toBeInstanceOf(DumpFormatError);
        return e as DumpFormatError;
      }
      throw new Error('opened');
    };
    expect(bad((b) => (b[4] = 1)).message).toMatch(/x\.elf: ELF class 1/);
    expect(bad((b) => (b[5] = 2)).message).toMatch(/little-endian/);
    expect(bad((b) => (b[16] = 2)).message).toMatch(/not ET_CORE/);
    expect(bad((b) => (b[18] = 3)).message).toMatch(/not x86-64/);
    expect(bad((b) => (b[54] = 20)).message).toMatch(/e_phentsize 20/);
    expect(bad((b) => (b[57] = 0x40)).message).toMatch(/program headers .* past the end/);
    expect(bad((b) => (b[39] = 0x10)).message).toMatch(/e_phoff .* past the end/);
    expect(() => open(base.subarray(0, 40), 'short.elf')).toThrow(/short\.elf: too short/);
  });

  it("a real kdump /proc/vmcore's first 64 KiB: notes read, later pages lost", () => {
    const bytes = readFileSync(join(FIXTURES, 'k-kdump', 'logs', 'proc-vmcore-first64k.bin'));
    const m = open(new Uint8Array(bytes), 'proc-vmcore-first64k.bin');
    expect(m.notes.prstatus).toHaveLength(2);
    expect(m.notes.vmcoreinfo).toMatch(/OSRELEASE=6\.1\.0-53-cloud-amd64/);
    expect(m.incomplete).toBe(true);
    // The kernel-text segment (p_paddr 0x20400000) starts at file offset 0x2000: 14 pages are in the file.
    expect(m.pageState(0x20400n)).toBe('present');
    expect(m.pageState(0x2040dn)).toBe('present');
    expect(m.pageState(0x2040en)).toBe('lost');
    expect(m.pageState(0x1n)).toBe('lost');
    expect(m.pageState(0x0n)).toBe('absent');
    expect(m.pageState(0x9fn)).toBe('lost'); // 0x9f000-0x9fc00 is covered, by data past the end
    expect(m.pageState(0xa0n)).toBe('absent');
    expect(m.maxPfn).toBe(0x27fdcn);
  });
});
