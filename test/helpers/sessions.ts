// Fixture sessions shared by the tests: a dump opened from its BTF alone ('btf') or with its vmlinux
// ('dwarf'; the tiny kernel, which has no BTF, always with its vmlinux). Sessions are memoized per process,
// and the DWARF name index goes to a test-only DiskCache under $TMPDIR, so the Debian vmlinux's index is
// built once for a whole test run instead of once per test file.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { Session } from '../../src/engine/session.ts';
import { DiskCache } from '../../src/io/disk-cache.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { debianVmlinux } from './debian-vmlinux.ts';
import { type FixtureDump, tinyVmlinux } from './fixtures.ts';

export type Mode = 'btf' | 'dwarf';

/** The Debian fixture kernel's debug vmlinux ($CRASHLENS_DEBIAN_VMLINUX, else where get-vmlinux.sh puts it). */
export const DEBIAN_VMLINUX: string | undefined = process.env.CRASHLENS_DEBIAN_VMLINUX ?? debianVmlinux();
export const hasDebian = DEBIAN_VMLINUX !== undefined && existsSync(DEBIAN_VMLINUX);

/** The ways a dump can be opened here: the tiny kernel only with its vmlinux, the Debian ones also from BTF. */
export const modes = (d: FixtureDump): Mode[] => (d.scenario === 't-tiny-la57' ? ['dwarf'] : hasDebian ? ['btf', 'dwarf'] : ['btf']);

/** The test run's own index cache, apart from the user's ~/.cache/crashlens/index. */
export const testCache = new DiskCache(join(process.env.TMPDIR ?? tmpdir(), 'crashlens-test-cache', 'index'));

const sources: NodeFileSource[] = [];
const sessions = new Map<string, Session>();
afterAll(() => {
  for (const s of sources.splice(0)) s.close();
  sessions.clear();
});

/** The vmlinux a dump is opened with in a mode, if any. */
export function vmlinuxFor(d: FixtureDump, how: Mode): string | undefined {
  if (d.scenario === 't-tiny-la57') return tinyVmlinux();
  if (how !== 'dwarf') return undefined;
  if (!DEBIAN_VMLINUX) throw new Error('the Debian fixture vmlinux is missing (get-vmlinux.sh)');
  return DEBIAN_VMLINUX;
}

/** A session on a fixture dump: 'btf' from the dump alone, 'dwarf' with its vmlinux (the tiny kernel always). */
export function openSession(d: FixtureDump, how: Mode): Session {
  const vmlinux = vmlinuxFor(d, how);
  const key = `${d.path}|${vmlinux ?? ''}`;
  let s = sessions.get(key);
  if (!s) {
    loadWasmNode();
    const files = [d.path, ...(vmlinux ? [vmlinux] : [])].map((f) => NodeFileSource.open(f));
    sources.push(...files);
    s = Session.open(files, { cache: testCache });
    sessions.set(key, s);
  }
  return s;
}

/** crash's reference output for a dump, crash/<dump>/<file>, or undefined when it was not captured. */
export function crashReference(d: FixtureDump, file: string): string | undefined {
  const p = join(d.crashDir, file);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}
