// Locating the real fixture dumps (../shared/fixtures, or $CRASHLENS_FIXTURES). Dumps stored as X.zst are
// decompressed once into $TMPDIR/crashlens-fixtures/<scenario>--<name>, the same place parity.py uses.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

export const FIXTURES = resolve(process.env.CRASHLENS_FIXTURES ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures'));
export const SCENARIOS = ['a-qemu-sysrq', 'k-kdump', 't-tiny-la57'] as const;
export type Scenario = (typeof SCENARIOS)[number];

function unzst(path: string, scenario: string): string {
  const cache = join(process.env.TMPDIR ?? tmpdir(), 'crashlens-fixtures');
  mkdirSync(cache, { recursive: true });
  const out = join(cache, `${scenario}--${basename(path, '.zst')}`);
  if (!existsSync(out)) {
    execFileSync('zstd', ['-q', '-d', '-f', path, '-o', `${out}.part`]);
    renameSync(`${out}.part`, out);
  }
  return out;
}

export interface FixtureDump {
  scenario: Scenario;
  /** The variant name, as under crash/: e.g. "mdf-d31-lzo.kdump", "qemu-elf.elf". */
  name: string;
  /** A readable path (decompressed if stored as .zst). */
  path: string;
  /** crash's reference output directory for this dump. */
  crashDir: string;
}

/** Every dump stored in a scenario (not the .txt files). */
export function dumps(scenario: Scenario): FixtureDump[] {
  const dir = join(FIXTURES, scenario, 'dumps');
  return readdirSync(dir)
    .filter((f) => f !== 'SHA256SUMS' && !f.endsWith('.txt'))
    .sort()
    .map((f) => {
      const name = f.endsWith('.zst') ? f.slice(0, -4) : f;
      return {
        scenario,
        name,
        get path() {
          return f.endsWith('.zst') ? unzst(join(dir, f), scenario) : join(dir, f);
        },
        crashDir: join(FIXTURES, scenario, 'crash', name),
      };
    });
}

export function allDumps(): FixtureDump[] {
  return SCENARIOS.flatMap(dumps);
}

export function fixture(scenario: Scenario, name: string): FixtureDump {
  const d = dumps(scenario).find((x) => x.name === name);
  if (!d) throw new Error(`no fixture ${scenario}/${name}`);
  return d;
}

/** The tiny kernel's vmlinux, decompressed once. */
export function tinyVmlinux(): string {
  return unzst(join(FIXTURES, 't-tiny-la57', 'kernel', 'vmlinux.zst'), 't-tiny-la57');
}
