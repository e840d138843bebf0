// The browser app: time from file selection to the dashboard (the Overview showing the panic) on each
// fixture, in Debian's headless Chromium against the built app (dist/) served from localhost. The Debian
// dumps are opened alone (BTF and kallsyms from the dump); the tiny kernel's with its vmlinux (its DWARF
// index built by the worker pool on the first open, from IndexedDB after).
import { rmSync } from 'node:fs';
import { allDumps, tinyVmlinux } from '../test/helpers/fixtures.ts';
import { DIST, launchChromium, serve } from '../test/helpers/browser.ts';
import { num, table } from './report.ts';
import { medianOf } from './processes.ts';
import type { Json, Section } from './section.ts';

export const appSection: Section = {
  name: 'app',
  description: 'browser: time from file selection to the dashboard on each fixture (headless Chromium)',
  async run(ctx) {
    const rounds = ctx.options.quick ? 1 : 3;
    const { server, origin } = await serve(DIST);
    const { context, profile } = await launchChromium();
    const rows: string[][] = [];
    const result: Record<string, Json> = {};
    try {
      for (const d of allDumps()) {
        const files = d.scenario === 't-tiny-la57' ? [tinyVmlinux(), d.path] : [d.path];
        const times: number[] = [];
        for (let i = 0; i < rounds; i++) {
          const page = await context.newPage();
          await page.goto(origin);
          await page.getByTestId('file-input').waitFor();
          const t0 = performance.now();
          await page.getByTestId('file-input').setInputFiles(files);
          await page.getByTestId('overview-panic').waitFor({ timeout: 120_000 });
          times.push(performance.now() - t0);
          await page.close();
        }
        const name = `${d.scenario}/${d.name}${files.length > 1 ? ' + vmlinux' : ''}`;
        rows.push([name, `${num(times[0] / 1000)} s`, `${num(medianOf(times.slice(1).length ? times.slice(1) : times) / 1000)} s`]);
        result[name] = { firstMs: times[0], medianMs: medianOf(times) };
      }
    } finally {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    }
    for (const line of table(['fixture', 'first open', 'later opens (median)'], rows, ['left', 'right', 'right'])) ctx.log(line);
    ctx.log('');
    ctx.log('From setInputFiles to the Overview showing the panic: reading, decoding, symbols, types, sys, bt and log.');
    return result;
  },
};
