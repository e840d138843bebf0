// The DWARF name index: time and peak memory to build it for a vmlinux (cold: empty cache), to open with it
// cached (warm), and drgn's time to load the same vmlinux and dump (python3-drgn, where installed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, tinyVmlinux } from '../test/helpers/fixtures.ts';
import { num, table } from './report.ts';
import { CLI, debianVmlinux, drgnPython, medianOf, timed } from './processes.ts';
import type { Json, Section } from './section.ts';

const DRGN_LOAD = `
import sys, time, drgn
t0 = time.perf_counter()
prog = drgn.Program()
prog.set_core_dump(sys.argv[2])
prog.load_debug_info([sys.argv[1]])
prog['init_task'].comm
print(time.perf_counter() - t0)
`;

export const dwarfSection: Section = {
  name: 'dwarf',
  description: 'DWARF name index: cold build and cached open, time and peak memory, against drgn loading the same vmlinux',
  async run(ctx) {
    const kernels = [
      { name: 'tiny (DWARF 4, 89 MB)', vmlinux: tinyVmlinux(), dump: fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path },
      ...(debianVmlinux() ? [{ name: 'Debian (DWARF 5, 588 MB)', vmlinux: debianVmlinux()!, dump: fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump').path }] : []),
    ];
    const rounds = ctx.options.quick ? 1 : 3;
    const python = drgnPython();
    const drgn = python !== undefined;
    const rows: string[][] = [];
    const result: Record<string, Json> = {};
    for (const k of kernels) {
      const cold: number[] = [];
      const coldRss: number[] = [];
      const warm: number[] = [];
      const warmRss: number[] = [];
      const drgnMs: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const cache = mkdtempSync(join(tmpdir(), 'crashlens-bench-cache-'));
        try {
          const env = { XDG_CACHE_HOME: cache };
          const c = timed('node', [CLI, k.vmlinux, k.dump, '-c', 'p jiffies'], { env });
          const w = timed('node', [CLI, k.vmlinux, k.dump, '-c', 'p jiffies'], { env });
          if (!c.ok || !w.ok) throw new Error(`crashlens failed on ${k.vmlinux}`);
          cold.push(c.ms);
          coldRss.push(c.maxRssKb);
          warm.push(w.ms);
          warmRss.push(w.maxRssKb);
        } finally {
          rmSync(cache, { recursive: true, force: true });
        }
        if (drgn) {
          const d = timed(python!, ['-c', DRGN_LOAD, k.vmlinux, k.dump]);
          if (d.ok) drgnMs.push(d.ms);
        }
      }
      const c = medianOf(cold);
      const w = medianOf(warm);
      const d = drgnMs.length ? medianOf(drgnMs) : NaN;
      rows.push([
        k.name,
        `${num(c / 1000)} s`,
        `${Math.round(medianOf(coldRss) / 1024)} MB`,
        `${num(w / 1000)} s`,
        `${Math.round(medianOf(warmRss) / 1024)} MB`,
        drgn ? `${num(d / 1000)} s` : 'not installed',
        drgn ? num(d / c) : '-',
        drgn ? num(d / w) : '-',
      ]);
      result[k.name] = { coldMs: c, coldPeakMb: medianOf(coldRss) / 1024, warmMs: w, warmPeakMb: medianOf(warmRss) / 1024, drgnMs: drgn ? d : null };
    }
    for (const line of table(
      ['vmlinux', 'cold open', 'peak', 'cached open', 'peak', 'drgn load', 'drgn/cold', 'drgn/cached'],
      rows,
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ))
      ctx.log(line);
    ctx.log('');
    ctx.log('Each open is the whole command line (node start, dump open, index, `p jiffies`); ratios > 1 mean crashlens is faster.');
    return result;
  },
};
