// mach against crash 8.0.6: the fixtures' mach.txt (the tiny kernel's dumps, with its vmlinux), and crash's
// output captured on a Debian kdump, both from its BTF and with the DWARF vmlinux (there no IDT gate uses the
// MCE IST slot, so crash calls it "(unknown)" with size 0, and the VC stacks are unmapped: "[unavailable]").
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/engine/session.ts';
import { dumps, fixture } from '../helpers/fixtures.ts';
import { openSession as open, hasDebian } from '../helpers/sessions.ts';
import { fixtureCommand } from './vectors/crash-vectors.ts';

describe('mach is identical to crash on the tiny kernel (mach.txt)', () => {
  for (const d of dumps('t-tiny-la57')) {
    const ref = fixtureCommand(d, 'mach.txt');
    it.skipIf(!ref)(d.name, () => {
      expect(open(d, 'dwarf').run(ref!.command).output).toBe(ref!.expected);
    });
  }
});

// crash 8.0.6: printf 'mach\nq\n' | crash -s vmlinux-6.1.0-53-cloud-amd64 k-kdump/dumps/kdump-mdf-d31-lzo.kdump
const K_KDUMP_MACH =
    '          MACHINE TYPE: x86_64\n' +
    '           MEMORY SIZE: 639.5 MB\n' +
    '                  CPUS: 2\n' +
    '       PROCESSOR SPEED: 2596 Mhz\n' +
    '                    HZ: 250\n' +
    '             PAGE SIZE: 4096\n' +
    '   KERNEL VIRTUAL BASE: ffff8ab080000000\n' +
    '   KERNEL VMALLOC BASE: ffffd18dc0000000\n' +
    '   KERNEL VMEMMAP BASE: fffff98000000000\n' +
    '      KERNEL START MAP: ffffffff80000000\n' +
    '   KERNEL MODULES BASE: ffffffffc0000000\n' +
    '     KERNEL STACK SIZE: 16384\n' +
    '        IRQ STACK SIZE: 16384\n' +
    '            IRQ STACKS:\n' +
    '                 CPU 0: ffffd18dc0000000\n' +
    '                 CPU 1: ffffd18dc00cd000\n' +
    'DOUBLEFAULT STACK SIZE: 8192\n' +
    '    DOUBLEFAULT STACKS:\n' +
    '                 CPU 0: fffffe0000009000\n' +
    '                 CPU 1: fffffe0000044000\n' +
    '        NMI STACK SIZE: 8192\n' +
    '            NMI STACKS:\n' +
    '                 CPU 0: fffffe000000c000\n' +
    '                 CPU 1: fffffe0000047000\n' +
    '      DEBUG STACK SIZE: 8192\n' +
    '          DEBUG STACKS:\n' +
    '                 CPU 0: fffffe000000f000\n' +
    '                 CPU 1: fffffe000004a000\n' +
    '  (unknown) STACK SIZE: 0\n' +
    '      (unknown) STACKS:\n' +
    '                 CPU 0: fffffe0000014000\n' +
    '                 CPU 1: fffffe000004f000\n' +
    '         VC STACK SIZE: 8192\n' +
    '             VC STACKS:\n' +
    '                 CPU 0: fffffe0000015000 [unavailable]\n' +
    '                 CPU 1: fffffe0000050000 [unavailable]\n';

describe('mach on a Debian kdump', () => {
  const d = fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump');
  it('from the dump\'s BTF', () => {
    expect(open(d, 'btf').run('mach').output).toBe(K_KDUMP_MACH);
  });
  it.skipIf(!hasDebian)('with the DWARF vmlinux', () => {
    expect(open(d, 'dwarf').run('mach').output).toBe(K_KDUMP_MACH);
  });
});

describe('mach options', () => {
  const s = (): Session => open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
  it('-x or -d alone change nothing without -c', () => {
    expect(s().run('mach -x').output).toBe(s().run('mach').output);
  });
  it('-x with -d is refused as crash refuses it', () => {
    expect(s().run('mach -x -d').output).toBe('mach: -d and -x are mutually exclusive\n');
  });
  it('an unknown option prints the usage', () => {
    expect(s().run('mach -q').output).toBe("mach: invalid option -- 'q'\nUsage:\n  mach [-m | -c -[xd] | -o]\nEnter \"help mach\" for details.\n");
  });
});
