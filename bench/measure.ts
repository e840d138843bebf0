// Timing that stays meaningful on a busy machine: every contender is warmed up, then measured in several
// rounds; each round runs all contenders once, in an order rotated by one per round (so none always runs
// first, right after a collection, or last); a forced GC before each sample keeps one contender's garbage
// from being collected on another's clock. We report the median over rounds and the min-max spread, and
// compare contenders by the median of their per-round ratios: two samples from the same round saw about
// the same load from other processes, so their ratio is steadier than either number. Each sample is also
// timed by the main thread's CPU clock, which other processes cannot slow: on a busy machine that is the
// number to trust (sections say which one their verdict used).
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A forced full GC, or nothing if the runtime will not give us one. */
export const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return () => void gc();
  } catch {
    // fall through
  }
  return () => {};
})();

/**
 * CPU time of the calling (main JS) thread in ms, from Linux's /proc/thread-self/schedstat (ns on-CPU). It does
 * not count time other processes took, nor V8's helper threads (concurrent GC and compilers), so it tracks what
 * the wall clock would say on an idle machine. Elsewhere: the whole process's user+system time.
 */
export const cpuClock: { name: string; ms(): number } = (() => {
  const path = '/proc/thread-self/schedstat';
  try {
    const read = (): number => Number(readFileSync(path, 'latin1').split(' ', 1)[0]) / 1e6;
    if (Number.isFinite(read()) && read() > 0) return { name: 'main-thread CPU time (schedstat)', ms: read };
  } catch {
    // not Linux
  }
  return {
    name: 'process CPU time (user+system, all threads)',
    ms: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    },
  };
})();

export interface Stats {
  median: number;
  min: number;
  max: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function stats(xs: readonly number[]): Stats {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** A contender: `run(reps)` does its whole workload `reps` times. */
export interface Contender {
  name: string;
  run(reps: number): void;
}

export interface RoundsResult {
  /** Per contender (same order as given): wall-clock milliseconds per single workload, one entry per round. */
  msPerRep: number[][];
  /** The same by `cpuClock`. */
  cpuMsPerRep: number[][];
  /** Workload repetitions per sample, per contender (chosen from the warm-up). */
  reps: number[];
  /** Warm-up time of one workload, per contender. */
  warmupMs: number[];
}

/**
 * Warms every contender up with one run (timed only to choose how many repetitions make a sample last at
 * least `minSampleMs`, then discarded), then runs `rounds` rounds in rotating order.
 */
export function measureRounds(contenders: readonly Contender[], rounds: number, minSampleMs: number, onRound?: (r: number) => void): RoundsResult {
  const n = contenders.length;
  const warmupMs: number[] = [];
  const reps: number[] = [];
  for (const c of contenders) {
    collectGarbage();
    const t0 = performance.now();
    c.run(1);
    const ms = performance.now() - t0;
    warmupMs.push(ms);
    reps.push(Math.max(1, Math.min(50, Math.ceil(minSampleMs / Math.max(ms, 0.01)))));
  }
  const msPerRep: number[][] = contenders.map(() => []);
  const cpuMsPerRep: number[][] = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < n; k++) {
      const i = (r + k) % n;
      collectGarbage();
      const c0 = cpuClock.ms();
      const t0 = performance.now();
      contenders[i]!.run(reps[i]!);
      const ms = performance.now() - t0;
      const cpu = cpuClock.ms() - c0;
      msPerRep[i]!.push(ms / reps[i]!);
      cpuMsPerRep[i]!.push(cpu / reps[i]!);
    }
    onRound?.(r);
  }
  return { msPerRep, cpuMsPerRep, reps, warmupMs };
}
