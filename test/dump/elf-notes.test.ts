import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotes } from '../../src/dump/elf-notes.ts';
import { FIXTURES } from '../helpers/fixtures.ts';
import { concat, note, prstatusDesc, qemuDesc, regs } from './build.ts';

const qemu = {
  gprs: Array.from({ length: 16 }, (_, i) => BigInt(i + 1)),
  rip: 0xffffffffc0326230n,
  rflags: 0x6n,
  selectors: [0x10, 0, 0, 0, 0, 0x18],
  fsBase: 0x3e87f3c0n,
  gsBase: 0xffff88cb47a00000n,
  cr: [0x80050033n, 0n, 0x5eaeb0n, 0x23fe000n, 0x6b0n],
};

describe('parseNotes', () => {
  it('reads NT_PRSTATUS, QEMU and VMCOREINFO notes in file order', () => {
    const area = concat(
      note('CORE', 1, prstatusDesc(1, regs(1))),
      note('CORE', 1, prstatusDesc(2, regs(2))),
      note('QEMU', 0, qemuDesc({ ...qemu, kernelGsBase: 0xfeedn })),
      note('QEMU', 0, qemuDesc(qemu)),
      note('VMCOREINFO', 0, new TextEncoder().encode('OSRELEASE=6.1.0\nPAGESIZE=4096\n\0\0')),
      note('CORE', 6, new Uint8Array(20)), // NT_AUXV-like: kept as an entry, not interpreted
    );
    const n = parseNotes(area, 'f', 0x1000);
    expect(n.warnings).toEqual([]);
    expect(n.prstatus.map((p) => p.pid)).toEqual([1, 2]);
    expect(n.prstatus[1]!.regs).toEqual(regs(2));
    expect(n.qemuCpus).toHaveLength(2);
    const c = n.qemuCpus[0]!;
    expect(c.regs.rax).toBe(1n);
    expect(c.regs.rbx).toBe(2n);
    expect(c.regs.rsp).toBe(7n);
    expect(c.regs.rbp).toBe(8n);
    expect(c.regs.r15).toBe(16n);
    expect(c.regs.rip).toBe(qemu.rip);
    expect(c.regs.eflags).toBe(6n);
    expect(c.regs.cs).toBe(0x10n);
    expect(c.regs.ss).toBe(0x18n);
    expect(c.regs.fs_base).toBe(qemu.fsBase);
    expect(c.regs.gs_base).toBe(qemu.gsBase);
    expect([c.cr0, c.cr2, c.cr3, c.cr4]).toEqual([0x80050033n, 0x5eaeb0n, 0x23fe000n, 0x6b0n]);
    expect(c.kernelGsBase).toBe(0xfeedn);
    expect(n.qemuCpus[1]!.kernelGsBase).toBe(0n); // an older QEMU's 432-byte state has none
    expect(n.vmcoreinfo).toBe('OSRELEASE=6.1.0\nPAGESIZE=4096\n');
    expect(n.entries.map((e) => [e.name, e.type])).toEqual([
      ['CORE', 1], ['CORE', 1], ['QEMU', 0], ['QEMU', 0], ['VMCOREINFO', 0], ['CORE', 6],
    ]);
    expect(n.entries[0]!.offset).toBe(0x1000);
  });

  it('stops at the empty note the kernel ends a buffer with, and at padding', () => {
    const area = concat(note('CORE', 1, prstatusDesc(7, regs(7))), new Uint8Array(64));
    const n = parseNotes(area, 'f', 0);
    expect(n.prstatus).toHaveLength(1);
    expect(n.warnings).toEqual([]);
  });

  it('a note running past its area: keeps the ones before, warns with the offset', () => {
    const good = note('CORE', 1, prstatusDesc(1, regs(1)));
    const bad = note('CORE', 1, prstatusDesc(2, regs(2)));
    new DataView(bad.buffer).setUint32(4, 0x7fffffff, true);
    const n = parseNotes(concat(good, bad), 'dump.elf', 0x200);
    expect(n.prstatus).toHaveLength(1);
    expect(n.warnings[0]).toMatch(/dump\.elf: note at file offset 0x(\w+) .*runs past the end/);
    expect(n.warnings[0]).toContain(`0x${(0x200 + good.length).toString(16)}`);
  });

  it('huge namesz, short descriptors, trailing garbage: bounded, no throw', () => {
    const short = note('CORE', 1, new Uint8Array(100));
    const shortQemu = note('QEMU', 0, new Uint8Array(64));
    const hugeName = new Uint8Array(12);
    new DataView(hugeName.buffer).setUint32(0, 0xffffffff, true);
    const n = parseNotes(concat(short, shortQemu, hugeName, Uint8Array.of(1, 2, 3)), 'f', 0);
    expect(n.prstatus).toHaveLength(0);
    expect(n.qemuCpus).toHaveLength(0);
    expect(n.warnings).toHaveLength(3);
    expect(parseNotes(Uint8Array.of(5, 0, 0), 'f', 0).entries).toEqual([]);
    expect(parseNotes(new Uint8Array(0), 'f', 0).entries).toEqual([]);
  });

  it('a name without its NUL and a descriptor not padded at the end of the area', () => {
    const d = new Uint8Array(5).fill(0x41);
    const b = new Uint8Array(12 + 12 + 5);
    const v = new DataView(b.buffer);
    v.setUint32(0, 10, true); // "VMCOREINFO" without NUL
    v.setUint32(4, 5, true);
    b.set(new TextEncoder().encode('VMCOREINFO'), 12);
    b.set(d, 24);
    expect(parseNotes(b, 'f', 0).vmcoreinfo).toBe('AAAAA');
  });

  it("reads a real kdump /proc/vmcore's notes (k-kdump, first 64 KiB)", () => {
    const bytes = readFileSync(join(FIXTURES, 'k-kdump', 'logs', 'proc-vmcore-first64k.bin'));
    const n = parseNotes(bytes.subarray(0x1000, 0x1000 + 0xfb4), 'proc-vmcore', 0x1000);
    expect(n.prstatus.map((p) => p.pid)).toEqual([0, 1]);
    expect(n.prstatus[0]!.regs.rip).toBe(0xffffffffa0671441n);
    expect(n.prstatus[1]!.regs.rip).toBe(0xffffffffa076409an);
    expect(n.prstatus[1]!.regs.rdi).toBe(0xffffd18dc0013a60n);
    expect(n.vmcoreinfo).toMatch(/^OSRELEASE=6\.1\.0-53-cloud-amd64\n/);
  });
});

describe('parseNotes alignment', () => {
  it('notes padded to 8 bytes (gABI ELF64) are read too', () => {
    const note8 = (name: string, type: number, desc: Uint8Array): Uint8Array => {
      const pad = (n: number): number => Math.ceil(n / 8) * 8;
      const b = new Uint8Array(12 + pad(name.length + 1) + pad(desc.length));
      const v = new DataView(b.buffer);
      v.setUint32(0, name.length + 1, true);
      v.setUint32(4, desc.length, true);
      v.setUint32(8, type, true);
      b.set(new TextEncoder().encode(name), 12);
      b.set(desc, 12 + pad(name.length + 1));
      return b;
    };
    const area = concat(note8('VMCOREINFO', 0, new TextEncoder().encode('OSRELEASE=x\n')), note8('CORE', 1, prstatusDesc(3, regs(3))));
    const n = parseNotes(area, 'f', 0);
    expect(n.vmcoreinfo).toBe('OSRELEASE=x\n');
    expect(n.prstatus.map((p) => p.pid)).toEqual([3]);
    expect(n.warnings).toEqual(['f: notes at file offset 0x0 are padded to 8 bytes, not 4']);
  });
});
