// What a benchmark section is: a named, self-contained measurement that prints its own report and returns a
// JSON-able result for bench/results/latest.json. bench/run.ts keeps the registry.

export interface BenchOptions {
  /** Timed rounds per measurement (each round runs every contender once, in a rotating order). */
  rounds: number;
  /** Aim for at least this many milliseconds per timed sample (a sample repeats its workload to get there). */
  minSampleMs: number;
  /** Fewer, shorter rounds: for trying the bench out, not for numbers to quote. */
  quick: boolean;
}

export interface SectionContext {
  options: BenchOptions;
  /** Prints a line of the section's report (progress and tables). */
  log(line: string): void;
}

/** A JSON value (what a section's result must be made of). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Section {
  /** The name `npm run bench -- <name>` selects it by. */
  name: string;
  description: string;
  run(ctx: SectionContext): Promise<Json>;
}
