// kmem -i against crash 8.0.6: the fixtures' kmem-i.txt on every dump (the Debian dumps both from their own
// BTF and with the DWARF vmlinux; the tiny kernel, which has no BTF, with its vmlinux), and crash's usage.
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/engine/session.ts';
import { allDumps, fixture } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand } from './vectors/crash-vectors.ts';

describe('kmem -i is identical to crash on every fixture dump (kmem-i.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'kmem-i.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        expect(open(d, how).run(ref!.command).output).toBe(ref!.expected);
      });
    }
  }
});

describe('kmem options', () => {
  // crash 8.0.6: printf 'kmem\nkmem -q\nq\n' | crash -s VMLINUX DUMP
  const usage =
    'Usage:\n  kmem [-f|-F|-c|-C|-i|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]]\n' +
    '       [[-s|-S|-S=cpu[s]|-r] [slab] [-I slab[,slab]]] [-g [flags]] [[-P] address]]\nEnter "help kmem" for details.\n';
  const s = (): Session => open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
  it('no option prints the usage', () => {
    expect(s().run('kmem').output).toBe(usage);
  });
  it('an unknown option prints getopt\'s complaint and the usage', () => {
    expect(s().run('kmem -q').output).toBe(`kmem: invalid option -- 'q'\n${usage}`);
  });
  it('the forms not done yet say so', () => {
    for (const c of ['kmem -p', 'kmem -z', 'kmem -i -f']) {
      const r = s().run(c);
      expect(r.failed).toBe(true);
      expect(r.output).toMatch(/^kmem: .*not supported yet/);
    }
  });
});
