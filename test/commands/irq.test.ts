// irq against crash 8.0.6: the fixtures' irq.txt on every dump (the Debian dumps both from their own BTF and
// with the DWARF vmlinux; the tiny kernel has no BTF, so with its vmlinux), and the captured vectors of its
// options and errors (test/commands/vectors/*--net-dev-irq-runq-timer.txt).
import { describe, expect, it } from 'vitest';
import { allDumps } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

describe('irq is identical to crash on every fixture dump', () => {
  for (const d of allDumps()) {
    for (const file of ['irq.txt']) {
      const ref = fixtureCommand(d, file);
      for (const how of modes(d)) {
        it.skipIf(!ref)(`${d.scenario}/${d.name} ${file} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
          expect(open(d, how).run(ref!.command).output).toBe(ref!.expected);
        });
      }
    }
  }
});

describe('irq options match crash (captured vectors)', () => {
  for (const v of vectors('irq')) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});
