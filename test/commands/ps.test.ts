// ps against crash 8.0.6: the fixtures' ps.txt on every dump (the Debian dumps both from their own BTF and
// with the DWARF vmlinux; the tiny kernel has no BTF, so with its vmlinux), and the captured vectors of
// every option, -a's user stacks included (test/commands/vectors/*--ps.txt).
import { describe, expect, it } from 'vitest';
import { allDumps } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

describe('ps is identical to crash on every fixture dump (ps.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'ps.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        const r = open(d, how).run(ref!.command);
        expect(r.output).toBe(ref!.expected);
      });
    }
  }
});

describe('ps options match crash (captured vectors)', () => {
  for (const v of vectors('ps').filter((x) => x.file.endsWith('--ps.txt'))) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});
