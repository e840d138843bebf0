// sys against crash 8.0.6: the fixtures' sys.txt and sys-i.txt on every dump (the Debian dumps both from
// their own BTF and with the DWARF vmlinux; the tiny kernel has no BTF, so with its vmlinux). crash names the
// files as it was given them (paths), we by their base names, so the KERNEL and DUMPFILE values are compared
// without the name itself; without a vmlinux the KERNEL line names the release instead.
import { describe, expect, it } from 'vitest';
import { allDumps, fixture } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand } from './vectors/crash-vectors.ts';

/** The KERNEL and DUMPFILE values without the file name: what is left is crash's markers. */
const unnamed = (text: string): string => text.replace(/^( +(?:KERNEL|DUMPFILE): )\S+/gm, '$1<file>');

describe('sys is identical to crash on every fixture dump (sys.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'sys.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        const s = open(d, how);
        const out = s.run(ref!.command).output;
        const kernel = (t: string): string => t.split('\n')[0];
        const rest = (t: string): string => unnamed(t.split('\n').slice(1).join('\n'));
        expect(rest(out)).toBe(rest(ref!.expected));
        if (how === 'btf') expect(kernel(out)).toBe(`      KERNEL: ${s.vmcoreinfo!.osrelease} (no vmlinux)${kernel(ref!.expected).includes('[TAINTED]') ? '  [TAINTED]' : ''}`);
        else expect(unnamed(kernel(out))).toBe(unnamed(kernel(ref!.expected)));
      });
    }
  }
});

describe('sys -i is identical to crash (sys-i.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'sys-i.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        expect(open(d, how).run(ref!.command).output).toBe(ref!.expected);
      });
    }
  }
});

// Captured from crash 8.0.6: printf 'sys -t\nsys -i\nsys -x\nsys foo\nsys -p foo\nq\n' | crash -s VMLINUX DUMP.
describe('sys options and errors match crash', () => {
  const usage = 'Usage:\n  sys [-c [name|number]] [-t] [-i] config\nEnter "help sys" for details.\n';
  const tiny = fixture('t-tiny-la57', 'mdf-d31-lzo.kdump');
  const kdump = fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump');
  it('sys -t: the tainted mask and its letters', () => {
    expect(open(tiny, 'dwarf').run('sys -t').output).toBe('TAINTED_MASK: 1000  O\n');
    for (const how of modes(kdump)) expect(open(kdump, how).run('sys -t').output).toBe('TAINTED_MASK: 0  \n');
  });
  it('sys -i on a kernel without DMI', () => {
    const r = open(tiny, 'dwarf').run('sys -i');
    expect(r.output).toBe('sys: dmi_ident does not exist in this kernel\n');
    expect(r.failed).toBe(true);
  });
  it('bad options and arguments print the usage', () => {
    const s = open(tiny, 'dwarf');
    expect(s.run('sys -x').output).toBe(`sys: invalid option -- 'x'\n${usage}`);
    expect(s.run('sys foo').output).toBe(usage);
    expect(s.run('sys -p foo').output).toBe(usage);
  });
});
