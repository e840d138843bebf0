// mod against crash 8.0.6: the fixtures' mod.txt on every dump (the Debian dumps both from their own BTF and
// with the DWARF vmlinux; the tiny kernel, which has no BTF, with its vmlinux), and crash's usage text.
import { describe, expect, it } from 'vitest';
import { allDumps, fixture } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand } from './vectors/crash-vectors.ts';

describe('mod is identical to crash on every fixture dump (mod.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'mod.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        expect(open(d, how).run(ref!.command).output).toBe(ref!.expected);
      });
    }
  }
});

describe('mod options', () => {
  it("an unknown option prints crash's usage", () => {
    // crash 8.0.6: printf 'mod -x\nq\n' | crash -s vmlinux mdf-d31-lzo.kdump
    const s = open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
    expect(s.run('mod -x').output).toBe(
      "mod: invalid option -- 'x'\nUsage:\n  mod -s module [objfile] | -d module | -S [directory] [-D|-t|-r|-R|-o|-g]\nEnter \"help mod\" for details.\n",
    );
  });
  it('the options not done yet say so', () => {
    const r = open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf').run('mod -t');
    expect(r.failed).toBe(true);
    expect(r.output).toMatch(/^mod: .*not supported yet/);
  });
});
