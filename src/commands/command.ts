// What a command is: crash's name, its one-line summary, and a function from arguments to the text crash
// would print. Commands throw CommandError for their own errors; the session prints "<name>: <message>".
import type { Session } from '../engine/session.ts';

export interface CommandContext {
  session: Session;
  /** Arguments after the command name, split as crash's shell does (quotes kept together). */
  args: string[];
  /** The whole line as typed. */
  line: string;
}

export interface Command {
  name: string;
  /** One line for `help`. */
  summary: string;
  run(ctx: CommandContext): string;
}

/** Splits a command line into words: whitespace-separated, with '...' and "..." kept whole. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

export interface ParsedOptions {
  flags: Set<string>;
  values: Map<string, string>;
  rest: string[];
}

/**
 * getopt as crash uses it: `spec` lists option letters, a letter followed by ':' takes a value
 * ("-c 3" or "-c3"). Multi-character options such as rd's -16/-32/-64 are listed in `words`.
 * GNU getopt permutes, so options may follow the positional words, as crash accepts; "--" ends options.
 */
export function parseOptions(args: string[], spec: string, words: string[] = []): ParsedOptions {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const rest: string[] = [];
  const takesValue = new Set<string>();
  for (let i = 0; i < spec.length; i++) if (spec[i + 1] === ':') takesValue.add(spec[i]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a.length === 1) {
      rest.push(a);
      continue;
    }
    if (words.includes(a.slice(1))) {
      flags.add(a.slice(1));
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if (!spec.includes(c) || c === ':') throw new OptionError(`invalid option -- '${c}'`);
      if (takesValue.has(c)) {
        const v = j + 1 < a.length ? a.slice(j + 1) : args[++i];
        if (v === undefined) throw new OptionError(`option requires an argument -- '${c}'`);
        values.set(c, v);
        break;
      }
      flags.add(c);
    }
  }
  return { flags, values, rest };
}

export class OptionError extends Error {
  override name = 'OptionError';
}
