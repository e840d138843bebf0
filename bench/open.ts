// From open to an answer: the time for `sys`, `bt` and `log` on each stored fixture dump, through the
// crashlens command line, against crash running the same three commands in the same run (crash 8.0.6 from
// ../shared/tools/get-crash-8.0.6.sh, or Debian's crash where installed).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allDumps, tinyVmlinux } from '../test/helpers/fixtures.ts';
import { num, table } from './report.ts';
import { CLI, debianVmlinux, findCrash, medianOf, timed } from './processes.ts';
import type { Json, Section } from './section.ts';

export const openSection: Section = {
  name: 'open',
  description: 'time from open to sys + bt + log output on each fixture, crashlens against crash',
  async run(ctx) {
    const crash = findCrash();
    const debian = debianVmlinux();
    const rounds = ctx.options.quick ? 1 : 3;
    const rows: string[][] = [];
    const result: Record<string, Json> = {};
    const cache = mkdtempSync(join(tmpdir(), 'crashlens-bench-cache-'));
    try {
      for (const d of allDumps()) {
        if (!existsSync(d.crashDir)) continue;
        const vmlinux = d.scenario === 't-tiny-la57' ? tinyVmlinux() : debian;
        if (!vmlinux) continue;
        const args = [CLI, vmlinux, d.path, '-c', 'sys', '-c', 'bt', '-c', 'log'];
        timed('node', args, { env: { XDG_CACHE_HOME: cache } }); // the DWARF index is built once, cached
        const ours: number[] = [];
        const theirs: number[] = [];
        for (let i = 0; i < rounds; i++) {
          ours.push(timed('node', args, { env: { XDG_CACHE_HOME: cache } }).ms);
          if (crash) {
            const r = timed(crash, ['-s', vmlinux, d.path], { input: 'sys\nbt\nlog\nq\n' });
            if (r.ok) theirs.push(r.ms);
          }
        }
        const o = medianOf(ours);
        const c = theirs.length ? medianOf(theirs) : NaN;
        const name = `${d.scenario}/${d.name}`;
        rows.push([name, `${num(o / 1000)} s`, crash ? `${num(c / 1000)} s` : 'not installed', crash ? num(c / o) : '-']);
        result[name] = { crashlensMs: o, crashMs: crash ? c : null };
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
    for (const line of table(['dump', 'crashlens', 'crash', 'crash/crashlens'], rows, ['left', 'right', 'right', 'right'])) ctx.log(line);
    ctx.log('');
    ctx.log('crashlens: the command line with a cached DWARF index; ratios > 1 mean crashlens is faster.');
    return result;
  },
};
