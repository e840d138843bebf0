// Timing whole programs: the crashlens CLI, crash and drgn run as child processes, each measured for wall
// time and peak memory (getrusage of the child: ru_maxrss), so engines in different languages are compared
// the way a user experiences them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  ms: number;
  /** Peak resident memory of the child, KiB. */
  maxRssKb: number;
  ok: boolean;
  stdout: string;
}

/** Runs `cmd args` with optional stdin, timing it; peak RSS through GNU time when present. */
export function timed(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): RunResult {
  const useTime = existsSync('/usr/bin/time');
  const argv = useTime ? ['-f', '%M', cmd, ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(useTime ? '/usr/bin/time' : cmd, argv, {
    input: opts.input,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 256 << 20,
  });
  const ms = performance.now() - t0;
  const lastLine = (r.stderr ?? '').trim().split('\n').pop() ?? '';
  return { ms, maxRssKb: useTime ? Number(lastLine) || 0 : 0, ok: r.status === 0, stdout: r.stdout ?? '' };
}

export const ROOT = join(import.meta.dirname, '..');
export const CLI = join(ROOT, 'bin', 'crashlens.mjs');

/** crash 8.0.6 unpacked by ../shared/tools/get-crash-8.0.6.sh, else a `crash` on PATH (Debian's), else none. */
export function findCrash(): string | undefined {
  const unpacked = join(homedir(), '.cache', 'crashlens', 'crash-8.0.6', 'crash');
  if (process.env.CRASH && existsSync(process.env.CRASH)) return process.env.CRASH;
  if (existsSync(unpacked)) return unpacked;
  const which = spawnSync('sh', ['-c', 'command -v crash'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** The Python that has Debian's python3-drgn (the system one, not a pyenv shim), if any. */
export function drgnPython(): string | undefined {
  for (const py of ['/usr/bin/python3', 'python3']) if (spawnSync(py, ['-c', 'import drgn'], { encoding: 'utf8' }).status === 0) return py;
  return undefined;
}

/** The Debian fixture vmlinux fetched by kernel/get-vmlinux.sh, if present in the cache. */
export function debianVmlinux(): string | undefined {
  const dir = join(homedir(), '.cache', 'crashlens');
  const r = spawnSync('sh', ['-c', `ls ${dir}/*/vmlinux-6.1.0-53-cloud-amd64 2>/dev/null | head -1`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return p && existsSync(p) ? p : undefined;
}

export function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}
