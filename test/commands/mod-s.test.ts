// `mod -s` against crash 8.0.6: the reference session loads crashlens_test.ko into the tiny kernel's dump
// and then prints the module's symbols and variables with the module's own types. The commands are
// replayed in order and each output must be the next piece of crash's; commands not implemented yet suspend
// the comparison until a later output is found again (the ones this feature is about must match).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, dumps, tinyVmlinux } from '../helpers/fixtures.ts';
import { crashReference, openSession } from '../helpers/sessions.ts';

const KO = join(FIXTURES, 't-tiny-la57', 'kernel', 'crashlens_test.ko');
const MUST = ['mod -s', 'sym -m', 'sym crashlens_test_data', 'p/x crashlens_test_data', 'p/x *crashlens_test_data.buf@8', 'p crashlens_banner', 'list -o crashlens_node.link'];

for (const d of dumps('t-tiny-la57')) {
  const ref = crashReference(d, 'session-crashlens_test-values.txt');
  if (!ref) continue;
  describe(`mod -s on ${d.name}`, () => {
    it('matches crash command by command', () => {
      const lines = ref.split('\n');
      const commands = lines.filter((l) => l.startsWith('# crash> ')).map((l) => l.slice('# crash> '.length));
      let rest = lines.filter((l) => !l.startsWith('# ')).join('\n');
      const s = openSession(d, 'dwarf');
      const reached: string[] = [];
      let synced = true;
      try {
        for (const c of commands) {
          const r = s.run(c.replace(/ crashlens_test\.ko$/, ` ${KO}`));
          // crash names the object file as given; the test gives a full path.
          const out = r.output.replace(KO, 'crashlens_test.ko');
          const must = MUST.some((m) => c.startsWith(m));
          // After a command that is not like crash yet, the next output is looked for further on.
          const at = r.failed || out === '' ? -1 : synced ? (rest.startsWith(out) ? 0 : -1) : rest.indexOf(out);
          if (must) expect(out).toBe(rest.slice(Math.max(at, 0), Math.max(at, 0) + out.length));
          if (at < 0) {
            synced = false;
            continue;
          }
          rest = rest.slice(at + out.length);
          synced = true;
          reached.push(c);
        }
        for (const m of MUST) expect(reached.some((c) => c.startsWith(m)), m).toBe(true);
      } finally {
        s.run('mod -d crashlens_test');
      }
    });
  });
}

describe('mod -s / -S / -d as crash answers them', () => {
  // Captured from crash 8.0.6 on mdf-d31-lzo.kdump, one command after another.
  const header = '     MODULE       NAME                  BASE         SIZE  OBJECT FILE\n';
  const row = (file: string): string => `${header}ffffffffc02d2080  crashlens_test  ffffffffc02d0000  16384  ${file}\n`;
  it('loads, lists, deletes and searches a directory', () => {
    const s = openSession(dumps('t-tiny-la57').find((d) => d.name === 'mdf-d31-lzo.kdump')!, 'dwarf');
    const dir = join(FIXTURES, 't-tiny-la57', 'kernel');
    try {
      expect(s.run(`mod -s crashlens_test ${KO}`).output).toBe(row(`${KO} `));
      expect(s.run('mod').output).toBe(row(`${KO} `));
      expect(s.run('mod -d crashlens_test').output).toBe('');
      expect(s.run('mod').output).toBe(row('(not loaded)  [CONFIG_KALLSYMS]'));
      expect(s.run('sym crashlens_test_data').output).toBe('ffffffffc02d2000 (?) crashlens_test_data [crashlens_test]\n');
      expect(s.run('mod -s nosuch x.ko').output).toBe(
        'Usage:\n  mod -s module [objfile] | -d module | -S [directory] [-D|-t|-r|-R|-o|-g]\nEnter "help mod" for details.\n',
      );
      expect(s.run('mod -s crashlens_test /nonexist.ko').output).toBe('mod: crashlens_test: cannot find or load object file: /nonexist.ko\n');
      expect(s.run('mod -d crashlens_test').output).toBe('');
      // No /lib/modules/<release> here, as on the machine crash ran on.
      expect(s.run('mod -S').output).toBe('mod: cannot find or load object file for crashlens_test module\n');
      expect(s.run('mod -s crashlens_test').output).toBe('mod: cannot find or load object file for crashlens_test module\n');
      expect(s.run('mod -S /nonexist').output).toBe(
        'mod: /nonexist is not a directory\nUsage:\n  mod -s module [objfile] | -d module | -S [directory] [-D|-t|-r|-R|-o|-g]\nEnter "help mod" for details.\n',
      );
      expect(s.run(`mod -S ${dir}`).output).toBe(row(`${dir}/crashlens_test.ko `));
      expect(s.run('sym crashlens_test_data').output).toBe('ffffffffc02d2000 (D) crashlens_test_data [crashlens_test]\n');
    } finally {
      s.run('mod -d crashlens_test');
    }
  });

  it('refuses the object of another module', () => {
    const s = openSession(dumps('t-tiny-la57')[0], 'dwarf');
    const r = s.run(`mod -s crashlens_test ${tinyVmlinux()}`);
    expect(r.failed).toBe(true);
    expect(s.moduleDebugInfo).toHaveLength(0);
  });
});
