// files against crash 8.0.6: the fixtures' files.txt on every dump (the Debian dumps both from their own
// BTF and with the DWARF vmlinux; the tiny kernel, which has no BTF, with its vmlinux), and the captured
// vectors (test/commands/vectors/*--files-vm-mount.txt): task selection, -d, -c, -R, pipes and sockets.
import { describe, expect, it } from 'vitest';
import { allDumps } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

describe('files is identical to crash on every fixture dump (files.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'files.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        expect(open(d, how).run(ref!.command).output).toBe(ref!.expected);
      });
    }
  }
});

describe('files options match crash (captured vectors)', () => {
  for (const v of vectors('files')) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});

describe('foreach files matches crash (fixture foreach-files.txt and captured vectors)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'foreach-files.txt');
    if (!ref) continue;
    it(`${d.scenario}/${d.name}: ${ref.command}`, () => {
      expect(open(d, 'dwarf').run(ref.command).output).toBe(ref.expected);
    });
  }
  for (const v of vectors('foreach').filter((x) => x.command.split(/\s+/)[1] === 'files')) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});
