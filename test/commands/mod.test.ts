// mod against crash 8.0.6: the fixtures' mod.txt on every dump (the Debian dumps both from their own BTF and
// with the DWARF vmlinux; the tiny kernel, which has no BTF, with its vmlinux), and crash's usage text.
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
  it('the options that load symbols say they are not supported yet', () => {
    const r = open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf').run('mod -S');
    expect(r.failed).toBe(true);
    expect(r.output).toMatch(/^mod: .*not supported yet/);
  });
});
