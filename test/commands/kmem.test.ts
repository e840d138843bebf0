// kmem -i against crash 8.0.6: the fixtures' kmem-i.txt on every dump (the Debian dumps both from their own
// BTF and with the DWARF vmlinux; the tiny kernel, which has no BTF, with its vmlinux), and crash's usage.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { Session } from '../../src/engine/session.ts';
import { DiskCache } from '../../src/io/disk-cache.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { type FixtureDump, allDumps, fixture, tinyVmlinux } from '../helpers/fixtures.ts';
import { fixtureCommand } from './vectors/crash-vectors.ts';

loadWasmNode();
const DEBIAN_VMLINUX = process.env.CRASHLENS_DEBIAN_VMLINUX ?? join(homedir(), '.cache', 'crashlens', '129a1775d581', 'vmlinux-6.1.0-53-cloud-amd64');
const hasDebian = existsSync(DEBIAN_VMLINUX);

const sources: NodeFileSource[] = [];
const sessions = new Map<string, Session>();
afterAll(() => {
  for (const s of sources) s.close();
  sessions.clear();
});

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

describe('kmem -i is identical to crash on every fixture dump (kmem-i.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'kmem-i.txt');
    for (const how of modes(d)) {
      it.skipIf(!ref)(`${d.scenario}/${d.name} (${how === 'btf' ? 'BTF' : 'vmlinux'})`, () => {
        expect(open(d, how).run(ref!.command).output).toBe(ref!.expected);
      });
    }
  }
});

describe('kmem options', () => {
  // crash 8.0.6: printf 'kmem\nkmem -q\nq\n' | crash -s VMLINUX DUMP
  const usage =
    'Usage:\n  kmem [-f|-F|-c|-C|-i|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]]\n' +
    '       [[-s|-S|-S=cpu[s]|-r] [slab] [-I slab[,slab]]] [-g [flags]] [[-P] address]]\nEnter "help kmem" for details.\n';
  const s = (): Session => open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
  it('no option prints the usage', () => {
    expect(s().run('kmem').output).toBe(usage);
  });
  it('an unknown option prints getopt\'s complaint and the usage', () => {
    expect(s().run('kmem -q').output).toBe(`kmem: invalid option -- 'q'\n${usage}`);
  });
  it('the forms not done yet say so', () => {
    for (const c of ['kmem -p', 'kmem -z', 'kmem -i -f', 'kmem ffffffff81000000']) {
      const r = s().run(c);
      expect(r.failed).toBe(true);
      expect(r.output).toMatch(/^kmem: .*not supported yet/);
    }
  });
});
