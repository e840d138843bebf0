// IRQ descriptors of real dumps: the radix tree (an xarray with 16-slot nodes on the tiny kernel, 64 on
// Debian's), action chains and names, chips and per-CPU counts as crash's irq and irq -s show them.
import { describe, expect, it } from 'vitest';
import { Irqs } from '../../src/kernel/irq.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openSession } from '../helpers/sessions.ts';

describe('irq descriptors', () => {
  it('tiny kernel: nr_irqs, descriptors 0-15, the timer and cascade actions', () => {
    const irqs = new Irqs(openSession(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf').program);
    expect(irqs.nrIrqs()).toBe(440);
    expect(irqs.desc(0)).toBe(0xff2d6b9b80141200n);
    expect(irqs.desc(15)).toBe(0xff2d6b9b80143000n);
    expect(irqs.desc(16)).toBe(0n);
    const a = irqs.actions(irqs.action(irqs.desc(2)));
    expect(a.map((x) => [x.action, irqs.string(x.name)])).toEqual([[0xff2d6b9b80134e80n, 'cascade']]);
    expect(irqs.chipName(irqs.chip(irqs.desc(2)))).toBe('XT-PIC');
    expect(irqs.descName(irqs.desc(2))).toBeUndefined();
    expect(irqs.count(irqs.desc(0), 0)).toBe(268);
    expect(irqs.count(irqs.desc(4), 1)).toBe(56);
  });

  it('Debian kernel (BTF): the same reads without a vmlinux', () => {
    const irqs = new Irqs(openSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf').program);
    expect(irqs.nrIrqs()).toBe(440);
    expect(irqs.desc(9)).toBe(0xffff88cb411b0200n);
    expect(irqs.chipName(irqs.chip(irqs.desc(9)))).toBe('IO-APIC');
    expect(irqs.descName(irqs.desc(9))).toBe('fasteoi');
    expect(irqs.affinity(irqs.desc(9), 8)[0]).toBe(3);
    expect(irqs.softirqVec(() => 80)).toHaveLength(10);
  });
});
