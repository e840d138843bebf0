// crash's command-line tools (tools.c and friends) that every command shares: column padding (mkstring),
// number parsing (htol, stol, hexadecimal), GNU getopt with crash's option strings, the usage text, and how a
// command ends with an error after partial output.
import { kv } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';


export const VADDR_PRLEN = 16;
/** x86-64 UVADDR_PRLEN (defs.h). */
export const UVADDR_PRLEN = 10;

export type Justify = 'left' | 'right' | 'center-left' | 'center-right';

/** crash's mkstring(): pads `s` to `size` columns; an odd centring remainder goes right (LJUST) or left (RJUST). */
export function mkstring(s: string, size: number, how: Justify): string {
  const extra = size - s.length;
  if (extra <= 0) return s;
  if (how === 'left') return s + ' '.repeat(extra);
  if (how === 'right') return ' '.repeat(extra) + s;
  const half = Math.floor(extra / 2);
  const left = extra % 2 && how === 'center-right' ? half + 1 : half;
  return ' '.repeat(left) + s + ' '.repeat(extra - left);
}

/**
 * A crash FATAL error: the command stops and crash prints "<cmd>: <message>" after what it printed so far.
 * `partial` is output the failing step had printed itself before it failed.
 */
export class CrashFatal extends CommandError {
  override name = 'CrashFatal';
  constructor(message: string, readonly partial = '') {
    super(message);
  }
}

/** crash's htol()/htoll(): hex digits with optional 0x; 'x', 'X' and 'h' are skipped anywhere. */
export function htol(s: string): bigint {
  const body = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s;
  if (body.length > 16) throw new CrashFatal(`input string too large: "${body}" (${body.length} vs 16)`);
  let n = 0n;
  for (const ch of body) {
    if (ch === 'x' || ch === 'X' || ch === 'h') continue;
    const d = parseInt(ch, 16);
    if (Number.isNaN(d)) throw new CrashFatal(`invalid input: "${body}"`);
    n = n * 16n + BigInt(d);
  }
  return BigInt.asUintN(64, n);
}

/** crash's hexadecimal(): only hex digits and x/X (a trailing space allowed), with at least one digit. */
export function isHexadecimal(s: string): boolean {
  return /^[0-9a-fA-FxX]*[0-9a-fA-F][0-9a-fA-FxX]* ?$/.test(s);
}

/** crash's IS_A_NUMBER(): decimal or hexadecimal. */
export function isANumber(s: string): boolean {
  return /^[0-9]+$/.test(s) || isHexadecimal(s);
}

/** crash's stol(): decimal if all digits, else hex if it looks hex, else "not a valid number". */
export function stol(s: string): bigint {
  if (/^[0-9]+$/.test(s)) return BigInt.asIntN(64, BigInt(s));
  if (isHexadecimal(s)) return BigInt.asIntN(64, htol(s.trimEnd()));
  throw new CrashFatal(`not a valid number: ${s}`);
}

export interface Getopt {
  /** Options in the order given, each with its argument when the spec asks for one. */
  opts: { c: string; arg?: string }[];
  /** Non-option words, in order (GNU getopt moves them after the options). */
  rest: string[];
  /** getopt's own complaints, as it prints them ("rd: invalid option -- 'q'"). */
  errors: string[];
}

/** GNU getopt(3) with a crash option string ("Raxme:r:..."): options may follow operands; "--" ends them. */
export function getopt(cmd: string, args: string[], spec: string): Getopt {
  const out: Getopt = { opts: [], rest: [], errors: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      out.rest.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.rest.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const at = spec.indexOf(c);
      if (c === ':' || at < 0) {
        out.errors.push(`${cmd}: invalid option -- '${c}'`);
        out.opts.push({ c: '?' });
        continue;
      }
      if (spec[at + 1] !== ':') {
        out.opts.push({ c });
        continue;
      }
      const arg = j + 1 < a.length ? a.slice(j + 1) : args[++i];
      if (arg === undefined) {
        out.errors.push(`${cmd}: option requires an argument -- '${c}'`);
        out.opts.push({ c: '?' });
      } else out.opts.push({ c, arg });
      break;
    }
  }
  return out;
}

/** crash's cmd_usage(SYNOPSIS) text. */
export function usage(cmd: string, synopsis: string): string {
  return `Usage:\n  ${cmd} ${synopsis}\nEnter "help ${cmd}" for details.\n`;
}

/**
 * Ends a command the way crash does: what it printed, then its error on the same stream. With nothing printed
 * the error is thrown, so the session marks the command failed.
 */
export function finish(cmd: string, out: string, e: unknown): string {
  if (!(e instanceof CrashlensError)) throw e;
  if (out === '') throw e instanceof CommandError ? e : new CommandError(e.message);
  return `${out}${cmd}: ${e.message}\n`;
}

/** crash's read_string(): the bytes before the first NUL, at most max-1 of them; stops at the first unreadable byte. */
export function readString(session: Session, addr: bigint, max: number): string {
  let s = '';
  for (let i = 0; i < max - 1; i++) {
    let b: number;
    try {
      b = session.program.memory.read(kv(addr + BigInt(i)), 1)[0];
    } catch {
      break;
    }
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}

/** The -x / -d pair every printing command takes: the radix they choose, refusing both together. */
export function radixOption(current: number | undefined, c: 'x' | 'd'): 10 | 16 {
  if (current && current !== (c === 'x' ? 16 : 10)) throw new CrashFatal('-d and -x are mutually exclusive');
  return c === 'x' ? 16 : 10;
}
