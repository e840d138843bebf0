// The command line as a user runs it: the bundled CLI (built by `npm test`'s pretest), files in any order,
// several -c, the DWARF index built by worker threads and cached, and clear errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, tinyVmlinux } from '../helpers/fixtures.ts';

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'crashlens.mjs');
const cache = mkdtempSync(join(tmpdir(), 'crashlens-cli-test-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

function run(...args: string[]): { out: string; err: string; status: number | null } {
  const r = spawnSync('node', [CLI, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cache }, timeout: 120_000 });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

describe('crashlens command line', () => {
  const dump = fixture('t-tiny-la57', 'mdf-d31-lzo.kdump');

  it('answers with a vmlinux given after the dump, builds and caches the DWARF index', () => {
    const r = run(dump.path, tinyVmlinux(), '-c', 'p jiffies', '-c', 'sym schedule');
    expect(r.status).toBe(0);
    const [pLine, symLine] = r.out.trim().split('\n');
    expect(pLine).toBe(readFileSync(join(dump.crashDir, 'p-jiffies.txt'), 'latin1').trim());
    expect(symLine).toBe(readFileSync(join(dump.crashDir, 'sym-schedule.txt'), 'latin1').trim());
    expect(readdirSync(join(cache, 'crashlens', 'index')).some((f) => f.startsWith('dwarf-5fcb0ce79ded'))).toBe(true);
    // Second run: from the cache, same answer.
    expect(run(tinyVmlinux(), dump.path, '-c', 'p jiffies', '-c', 'sym schedule').out).toBe(r.out);
  });

  it('rebuilds a damaged cache entry instead of trusting it', () => {
    const dir = join(cache, 'crashlens', 'index');
    for (const f of readdirSync(dir)) writeFileSync(join(dir, f), 'garbage');
    const r = run(tinyVmlinux(), dump.path, '-c', 'p jiffies');
    expect(r.status).toBe(0);
    expect(r.out).toContain('jiffies = $1 = ');
  });

  it('reads the log with no vmlinux', () => {
    const r = run(dump.path, '-c', 'log');
    expect(r.out).toBe(readFileSync(join(dump.crashDir, 'log.txt'), 'latin1'));
  });

  it('names a file that is not a dump', () => {
    const junk = join(cache, 'not-a-dump.bin');
    writeFileSync(junk, Buffer.alloc(8192, 0x41));
    const r = run(junk, '-c', 'log');
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/not-a-dump\.bin/);
  });

  it('refuses a vmlinux of another kernel, naming both build-ids', () => {
    const r = run(tinyVmlinux(), fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump').path, '-c', 'log');
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/does not match the dump.*5fcb0ce79ded.*4409ab2b8a5a/s);
    // --force goes on anyway: what needs no types still answers.
    const a = fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump');
    const forced = run('--force', tinyVmlinux(), a.path, '-c', 'log');
    expect(forced.status).toBe(0);
    expect(forced.out).toBe(readFileSync(join(a.crashDir, 'log.txt'), 'latin1'));
  });
});
