// mount against crash 8.0.6: the fixtures' mount.txt on every dump (the Debian dumps both from their own BTF
// and with the DWARF vmlinux; the tiny kernel, which has no BTF, with its vmlinux), and the captured vectors
// (test/commands/vectors/*--files-vm-mount.txt): -n, and -f, -i and search arguments, which crash 8.0.6
// refuses on a kernel without super_block.s_files / s_dirty.
import { describe, expect, it } from 'vitest';
import { allDumps } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

describe('mount is identical to crash on every fixture dump (mount.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'mount.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        expect(open(d, how).run(ref!.command).output).toBe(ref!.expected);
      });
    }
  }
});

describe('mount options match crash (captured vectors)', () => {
  for (const v of vectors('mount')) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});
