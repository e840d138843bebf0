// irq against crash 8.0.6: the fixtures' irq.txt on every dump (the Debian dumps both from their own BTF and
// with the DWARF vmlinux; the tiny kernel has no BTF, so with its vmlinux), and the captured vectors of its
// options and errors (test/commands/vectors/*--net-dev-irq-runq-timer.txt).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/engine/session.ts';
import { DiskCache } from '../../src/io/disk-cache.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { type FixtureDump, allDumps, tinyVmlinux } from '../helpers/fixtures.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

const DEBIAN_VMLINUX = process.env.CRASHLENS_DEBIAN_VMLINUX ?? join(homedir(), '.cache', 'crashlens', '129a1775d581', 'vmlinux-6.1.0-53-cloud-amd64');
const hasDebian = existsSync(DEBIAN_VMLINUX);

const sources: NodeFileSource[] = [];
const sessions = new Map<string, Session>();
afterAll(() => {
  for (const s of sources) s.close();
  sessions.clear();
});

/** A session on a dump: 'btf' from the dump alone, 'dwarf' with its vmlinux (the tiny kernel always). */
function open(d: FixtureDump, how: 'btf' | 'dwarf'): Session {
  const vmlinux = d.scenario === 't-tiny-la57' ? tinyVmlinux() : how === 'dwarf' ? DEBIAN_VMLINUX : undefined;
  const key = `${d.path}|${vmlinux ?? ''}`;
  let s = sessions.get(key);
  if (!s) {
    const files = [d.path, ...(vmlinux ? [vmlinux] : [])].map((f) => NodeFileSource.open(f));
    sources.push(...files);
    s = Session.open(files, { cache: new DiskCache() });
    sessions.set(key, s);
  }
  return s;
}

const modes = (d: FixtureDump): ('btf' | 'dwarf')[] => (d.scenario === 't-tiny-la57' ? ['dwarf'] : hasDebian ? ['btf', 'dwarf'] : ['btf']);

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
