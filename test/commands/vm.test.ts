// vm against crash 8.0.6: the fixtures' vm.txt on every dump (the Debian dumps both from their own BTF and
// with the DWARF vmlinux; the tiny kernel, which has no BTF, with its vmlinux), and the captured vectors
// (test/commands/vectors/*--files-vm-mount.txt, *--foreach-files-vm.txt): the maple tree of VMAs, RSS,
// -f, -m, -v, -x, -p/-P through 4- and 5-level user page tables (file offsets, unmapped pages), -M, -R.
import { describe, expect, it } from 'vitest';
import { allDumps } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

describe('vm is identical to crash on every fixture dump (vm.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'vm.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        expect(open(d, how).run(ref!.command).output).toBe(ref!.expected);
      });
    }
  }
});

describe('vm options match crash (captured vectors)', () => {
  const all = [...vectors('vm'), ...vectors('foreach').filter((x) => x.command.split(/\s+/)[1] === 'vm')];
  for (const v of all) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});
