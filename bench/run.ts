// `npm run bench [-- <section>... ] [--rounds=N] [--min-sample-ms=N] [--quick] [--list]`
// Runs the named benchmark sections (all of them by default), prints each one's report, and writes the
// results to bench/results/latest.json (sections not run this time keep their previous results there).
//
// To add a section: write a `Section` (bench/section.ts) in its own file and add it to SECTIONS below.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { codecsSection } from './codecs.ts';
import { dwarfSection } from './dwarf.ts';
import { openSection } from './open.ts';
import { appSection } from './app.ts';
import type { BenchOptions, Json, Section } from './section.ts';

const SECTIONS: Section[] = [codecsSection, dwarfSection, openSection, appSection];

const RESULTS = join(import.meta.dirname, 'results', 'latest.json');

function usage(): string {
  return [
    'usage: npm run bench -- [section...] [--rounds=N] [--min-sample-ms=N] [--quick] [--list]',
    'sections:',
    ...SECTIONS.map((s) => `  ${s.name.padEnd(10)} ${s.description}`),
  ].join('\n');
}

function parseArgs(argv: string[]): { names: string[]; options: BenchOptions } | null {
  const names: string[] = [];
  let quick = false;
  let rounds: number | undefined;
  let minSampleMs: number | undefined;
  for (const a of argv) {
    const [key, value] = a.split('=', 2) as [string, string | undefined];
    const int = (): number => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${key} needs a positive integer, got ${value ?? 'nothing'}`);
      return n;
    };
    if (key === '--quick') quick = true;
    else if (key === '--rounds') rounds = int();
    else if (key === '--min-sample-ms') minSampleMs = int();
    else if (key === '--list' || key === '--help' || key === '-h') return null;
    else if (key.startsWith('-')) throw new Error(`unknown option ${a}\n${usage()}`);
    else names.push(a);
  }
  return { names, options: { quick, rounds: rounds ?? (quick ? 3 : 5), minSampleMs: minSampleMs ?? (quick ? 50 : 200) } };
}

function gitCommit(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: import.meta.dirname, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: import.meta.dirname, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

function previousSections(): Record<string, Json> {
  if (!existsSync(RESULTS)) return {};
  try {
    const old = JSON.parse(readFileSync(RESULTS, 'utf8')) as { sections?: Record<string, Json> };
    return old.sections ?? {};
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!args) {
    console.log(usage());
    return;
  }
  const unknown = args.names.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`no bench section ${unknown.join(', ')}\n${usage()}`);
  const chosen = args.names.length ? SECTIONS.filter((s) => args.names.includes(s.name)) : SECTIONS;

  const cpu = cpus()[0]?.model ?? 'unknown';
  const machine = `${cpu}, ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
  console.log(`crashlens bench: node ${process.version}, ${machine}${args.options.quick ? ' (quick: numbers not for quoting)' : ''}`);

  const sections = previousSections();
  const timings: Record<string, Json> = {};
  const start = performance.now();
  for (const s of chosen) {
    console.log(`\n== ${s.name}: ${s.description}\n`);
    const t0 = performance.now();
    sections[s.name] = await s.run({ options: args.options, log: (line) => console.log(line) });
    timings[s.name] = Math.round(performance.now() - t0);
  }
  const totalS = (performance.now() - start) / 1000;
  console.log(`\n(${chosen.map((s) => s.name).join(', ')} in ${totalS.toFixed(1)} s)`);

  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  const out: Json = {
    generated: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    machine,
    options: { ...args.options },
    lastRun: { sections: chosen.map((s) => s.name), ms: timings },
    sections,
  };
  // Five significant digits are more than any of these measurements can claim.
  const round = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(5)) : v);
  writeFileSync(RESULTS, `${JSON.stringify(out, round, 2)}\n`);
  console.log(`results: ${RESULTS}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
