// bt must print what crash 8.0.6 prints. On every fixture dump: `bt`, `bt -a`, `foreach bt` and (tiny
// kernel) `bt 56`/`bt 57` equal the fixtures' references — for the Debian dumps both from the dump alone
// (BTF, kallsyms, ORC read from memory) and with the vmlinux; the tiny kernel has no BTF, so only with its
// vmlinux. Then the captured variants in ../arch/vectors/bt--*.txt: -f -l -s -x -t -T -e -E -o -c -g, pids,
// errors.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { Session } from '../../src/engine/session.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { type FixtureDump, type Scenario, allDumps, fixture } from '../helpers/fixtures.ts';
import { hasDebian, testCache, vmlinuxFor } from '../helpers/sessions.ts';

beforeAll(() => {
  loadWasmNode();
});

/** A fresh session on a dump, closed after `f`: with its vmlinux or (Debian only) from its BTF alone. */
function withSession<T>(d: FixtureDump, vmlinux: boolean, f: (s: Session) => T): T {
  const files = [d.path];
  if (vmlinux) files.push(vmlinuxFor(d, 'dwarf')!);
  const sources = files.map((p) => NodeFileSource.open(p));
  try {
    return f(Session.open(sources, { cache: testCache }));
  } finally {
    for (const s of sources) s.close();
  }
}

/** Lines without trailing blanks; trailing empty lines dropped (crash's files end with one). */
const lines = (t: string): string[] => {
  const l = t.split('\n').map((s) => s.trimEnd());
  while (l.length && l[l.length - 1] === '') l.pop();
  return l;
};

/** The fixture references for bt and the command each came from (crash/<dump>/_commands.txt). */
function references(d: FixtureDump): { command: string; file: string; expected: string }[] {
  const list = join(d.crashDir, '_commands.txt');
  if (!existsSync(list)) return [];
  const out: { command: string; file: string; expected: string }[] = [];
  for (const line of readFileSync(list, 'utf8').split('\n')) {
    const m = /^(.*?)\s*>\s*(\S+)\s*$/.exec(line.trim());
    if (!m || !/^(bt|foreach bt)\b/.test(m[1])) continue;
    const p = join(d.crashDir, m[2]);
    if (existsSync(p)) out.push({ command: m[1], file: m[2], expected: readFileSync(p, 'utf8') });
  }
  return out;
}

describe('bt matches the fixtures on every dump', () => {
  for (const d of allDumps()) {
    const refs = references(d);
    const tiny = d.scenario === 't-tiny-la57';
    if (!tiny)
      it(`${d.scenario}/${d.name} (dump alone)`, () => {
        withSession(d, false, (s) => {
          for (const r of refs) expect(lines(s.run(r.command).output), `${r.command} (${r.file})`).toEqual(lines(r.expected));
        });
      });
    it.skipIf(!tiny && !hasDebian)(`${d.scenario}/${d.name} (with vmlinux)`, () => {
      withSession(d, true, (s) => {
        for (const r of refs) expect(lines(s.run(r.command).output), `${r.command} (${r.file})`).toEqual(lines(r.expected));
      });
    });
  }

  it('says why the tiny kernel needs its vmlinux', () => {
    withSession(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), false, (s) => {
      const r = s.run('bt');
      expect(r.failed).toBe(true);
      expect(r.output).toMatch(/^bt: .*no BTF.*vmlinux/);
    });
  });
});

interface Block {
  command: string;
  expected: string;
}

function vectorFiles(): { dump: FixtureDump; blocks: Block[]; file: string }[] {
  const dir = join(import.meta.dirname, '..', 'arch', 'vectors');
  return readdirSync(dir)
    .filter((f) => f.startsWith('bt--'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const m = /^# dump: (\S+) (\S+)$/m.exec(text)!;
      const blocks = text
        .slice(text.indexOf('crash> '))
        .split(/^crash> /m)
        .slice(1)
        .map((b) => ({ command: b.slice(0, b.indexOf('\n')), expected: b.slice(b.indexOf('\n') + 1) }));
      return { dump: fixture(m[1] as Scenario, m[2]), blocks, file };
    });
}

describe('bt variants match crash (captured vectors)', () => {
  for (const v of vectorFiles()) {
    const tiny = v.dump.scenario === 't-tiny-la57';
    // Line numbers come from the vmlinux's DWARF: -l is only comparable with it.
    if (!tiny)
      it(`${v.file} (dump alone, without -l)`, () => {
        withSession(v.dump, false, (s) => {
          for (const b of v.blocks.filter((x) => !/ -\w*l/.test(x.command)))
            expect(lines(s.run(b.command).output), b.command).toEqual(lines(b.expected));
        });
      });
    it.skipIf(!tiny && !hasDebian)(`${v.file} (with vmlinux)`, () => {
      withSession(v.dump, true, (s) => {
        for (const b of v.blocks) expect(lines(s.run(b.command).output), b.command).toEqual(lines(b.expected));
      });
    });
  }

  it('without a vmlinux, -l says there are no line numbers and traces anyway', () => {
    withSession(fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump'), false, (s) => {
      const out = s.run('bt -l').output;
      expect(out.split('\n')[0]).toBe('bt: line numbers are not available');
      expect(out).toContain(' #0 [ffffd18dc0013958] machine_kexec at ffffffffa066c57f');
    });
  });
});
