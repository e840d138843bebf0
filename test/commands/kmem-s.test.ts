// kmem -s against crash 8.0.6: the fixtures' kmem-s.txt on every dump (SLUB on the Debian dumps, both from
// their own BTF and with the DWARF vmlinux; SLAB on the tiny kernel, with its vmlinux), and the captured
// vectors of the other forms (test/commands/vectors/*kmem-s*.txt, *kmem-addr.txt: -s NAME / ADDRESS, -S,
// -I, list, and kmem ADDRESS). kmem.ts dispatches -s/-S/-I and bare addresses here; the tests call
// kmemSlabs() / kmemAddress() themselves so they do not depend on that wiring.
import { describe, expect, it } from 'vitest';
import { kmemAddress, kmemSlabs } from '../../src/commands/kmem-s.ts';
import { Session } from '../../src/engine/session.ts';
import { CommandError } from '../../src/errors.ts';
import { allDumps } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

/** "kmem ARGS" as the session prints it: the output, or "kmem: <error>". */
function kmem(s: Session, command: string): string {
  const args = command.split(/\s+/).slice(1);
  try {
    const slabForm = args.some((a) => /^-[sSI]/.test(a));
    const out = slabForm ? kmemSlabs(s, args) : kmemAddress(s, args);
    return out.endsWith('\n') || out === '' ? out : `${out}\n`;
  } catch (e) {
    if (e instanceof CommandError) return `kmem: ${e.message}\n`;
    throw e;
  }
}

describe('kmem -s is identical to crash on every fixture dump (kmem-s.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'kmem-s.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        expect(kmem(open(d, how), ref!.command)).toBe(ref!.expected);
      });
    }
  }
});

/** Without the vmlinux there are no source lines for a text symbol's " file: line". */
const needsLines = (expected: string): boolean => /^[0-9a-f]+ \([tT]\) \S+ \S+: \d+$/m.test(expected);

describe('kmem -s / -S / ADDRESS match crash (captured vectors)', () => {
  for (const v of vectors('kmem')) {
    for (const how of modes(v.dump)) {
      it.skipIf(how === 'btf' && needsLines(v.expected))(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(kmem(open(v.dump, how), v.command)).toBe(v.expected);
      });
    }
  }
});
