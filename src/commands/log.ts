// crash's `log` command: the kernel log, formatted byte for byte as crash 8.0.6 prints it
// (printk.c dump_record() for the lockless ring buffer, kernel.c dump_log_entry() for log_buf records).
import { bootTime } from '../kernel/system.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, VmcoreinfoError } from '../errors.ts';
import { type LogRecord, type PrintkLog, readPrintkLog } from '../kernel/printk.ts';
import type { Command } from './command.ts';

export interface LogOptions {
  /** -t: no timestamps. */
  noTimestamps?: boolean;
  /** -T: wall-clock timestamps (needs LogContext.bootTime). */
  ctime?: boolean;
  /** -d: dev_printk() SUBSYSTEM/DEVICE (the dictionary on older kernels). */
  dict?: boolean;
  /** -m: the level as <N>. */
  level?: boolean;
  /** -c: the caller id, [Tpid] or [Ccpu]. */
  caller?: boolean;
  /** -a: audit buffers. */
  audit?: boolean;
  /** -s: printk safe per-CPU buffers. */
  safe?: boolean;
}

export interface LogContext {
  /** Seconds since the epoch at boot (crash: xtime minus jiffies uptime), for -T. */
  bootTime?: bigint;
  /** The kernel's pid_max, which sets the width of -c's column; crash reads the pid_max variable. */
  pidMax?: number;
}

export const LOG_USAGE = 'Usage:\n  log [-Ttdmasc]\nEnter "help log" for details.\n';

/** Parses `log` arguments the way crash's getopt("Ttdmasc") does; non-option words are ignored as crash does. */
export function parseLogArgs(args: readonly string[]): { options: LogOptions; error?: string } {
  const options: LogOptions = {};
  for (const a of args) {
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') continue;
    for (const c of a.slice(1)) {
      switch (c) {
        case 'T': options.ctime = true; break;
        case 't': options.noTimestamps = true; break;
        case 'd': options.dict = true; break;
        case 'm': options.level = true; break;
        case 'a': options.audit = true; break;
        case 's': options.safe = true; break;
        case 'c': options.caller = true; break;
        default:
          return { options, error: `log: invalid option -- '${c}'\n${LOG_USAGE}` };
      }
    }
  }
  return { options };
}

// The log is read once per session: `log` runs again with other options, and the session asks it for the
// panic line.
const cache = new WeakMap<Session, PrintkLog>();

/** The session's kernel log, read on first use. */
export function sessionLog(session: Session): PrintkLog {
  let log = cache.get(session);
  if (!log) {
    if (!session.vmcoreinfo) throw new VmcoreinfoError('the dump has no VMCOREINFO: the kernel log cannot be found');
    log = readPrintkLog(session.kernel, session.vmcoreinfo);
    cache.set(session, log);
  }
  return log;
}

export const logCmd: Command = {
  name: 'log',
  summary: 'dump system message buffer',
  run({ session, args }) {
    const parsed = parseLogArgs(args);
    // crash prints getopt's complaint followed by the usage; the session prefixes "log: ".
    if (parsed.error !== undefined) throw new CommandError(parsed.error.replace(/^log: /, '').replace(/\n$/, ''));
    const ctx: LogContext = parsed.options.caller ? { pidMax: pidMax(session) } : {};
    if (parsed.options.ctime) {
      try {
        ctx.bootTime = bootTime(session.program);
      } catch {
        // No types for this dump (no BTF, no vmlinux): -T says the boot time is unknown.
      }
    }
    return formatLog(sessionLog(session), parsed.options, ctx);
  },
};

/** The kernel's pid_max, for -c's column width; undefined when no symbol table can say where it is. */
function pidMax(session: Session): number | undefined {
  for (const table of [() => session.symbols, () => session.debugInfo?.symbols]) {
    try {
      const sym = table()?.find('pid_max');
      if (sym) return session.kernel.readU32(sym.address);
    } catch {
      // No kallsyms in the dump, or the page is missing: try the next source, else crash's usual width.
    }
  }
  return undefined;
}

/** `log [-Ttdmasc]`, as crash prints it. `args` are the words after "log". */
export function logCommand(log: PrintkLog | LogRecord[], args: readonly string[] = [], ctx: LogContext = {}): string {
  const parsed = parseLogArgs(args);
  if (parsed.error !== undefined) return parsed.error;
  return formatLog(log, parsed.options, ctx);
}

export function formatLog(log: PrintkLog | LogRecord[], o: LogOptions, ctx: LogContext = {}): string {
  const pl: PrintkLog = Array.isArray(log) ? { source: 'printk_ringbuffer', records: log, warnings: [] } : log;
  if (o.ctime && ctx.bootTime === undefined) {
    return 'log: WARNING: -T needs the boot time, which is not known for this dump\n';
  }
  // crash finds the audit buffers through debuginfo types, which a dump's VMCOREINFO does not describe.
  if (o.audit) return 'log: -a option not supported or applicable on this architecture or kernel\n';
  // Safe buffers (printk_safe_seq_buf) were gone by 5.15, and need debuginfo before that; for kernels
  // without them crash prints nothing, not even the log.
  if (o.safe) return '';

  const legacy = pl.source === 'log_buf';
  // crash sizes the -c column from pid_max: 6 characters up to 99999, 7 up to 999999, else 8; the older
  // log_buf path always uses 8.
  const pid = ctx.pidMax;
  const callerWidth = legacy || pid === undefined ? (legacy ? 8 : 6) : pid <= 99999 ? 6 : pid <= 999999 ? 7 : 8;

  const parts: string[] = [];
  for (const r of pl.records) {
    // A record without a text block: crash prints just the newline.
    if (r.dataless && !legacy) {
      parts.push('\n');
      continue;
    }
    let prefix = '';
    if (!o.noTimestamps) {
      const secs = r.ts_nsec / 1_000_000_000n;
      if (o.ctime) prefix += `[${ctime((ctx.bootTime ?? 0n) + secs)}] `;
      else {
        const usec = (r.ts_nsec % 1_000_000_000n) / 1000n;
        prefix += `[${secs.toString().padStart(5)}.${usec.toString().padStart(6, '0')}] `;
      }
    }
    if (o.caller && pl.hasCallerId !== false) {
      const cid = r.caller_id >>> 0;
      const tag = `${cid & 0x80000000 ? 'C' : 'T'}${cid & 0x7fffffff}`;
      prefix += `[${tag.padStart(callerWidth)}] `;
    }
    if (o.level) prefix += `<${r.level.toString(16)}>`;
    const indent = ' '.repeat(prefix.length);
    let line = prefix + textOf(r.bytes, indent);
    if (o.dict) line += legacy ? legacyDict(r, indent) : devInfo(r, indent);
    parts.push(line, '\n');
  }
  for (const w of pl.warnings) parts.push(`log: WARNING: ${w}\n`);
  return parts.join('');
}

/** The message as crash writes it: newlines continue under the prefix; bytes that are neither printable
 *  ASCII nor C whitespace (isprint/isspace in crash's locale) become '.'. */
function textOf(bytes: Uint8Array, indent: string): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0x0a) s += `\n${indent}`;
    else if ((b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d)) s += String.fromCharCode(b);
    else s += '.';
  }
  return s;
}

function devInfo(r: LogRecord, indent: string): string {
  let s = '';
  if (r.subsystem) s += `\n${indent}SUBSYSTEM=${r.subsystem}`;
  if (r.device) s += `\n${indent}DEVICE=${r.device}`;
  return s;
}

/** Older kernels' dictionary: one KEY=value per line. crash 8.0.6 tests `dict_len & SHOW_LOG_DICT` (a bitwise
 *  AND with 2), so it prints a dictionary only when bit 1 of its length is set; we do the same, for parity. */
function legacyDict(r: LogRecord, indent: string): string {
  const dict = r.dict ?? [];
  const raw = dict.join('\0');
  if ((raw.length & 2) === 0) return '';
  let s = '\n';
  let atStart = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (atStart) {
      s += indent;
      atStart = false;
    }
    if (c >= 0x20 && c <= 0x7e) s += raw[i];
    else if (c === 0) {
      s += '\n';
      atStart = true;
    } else s += '.';
  }
  return s;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime("%a %b %e %T %Z %Y") in UTC, as crash's ctime_tz() prints with TZ=UTC. */
export function ctime(epochSeconds: bigint): string {
  const d = new Date(Number(epochSeconds) * 1000);
  const p2 = (n: number): string => n.toString().padStart(2, '0');
  const time = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate().toString().padStart(2)} ${time} UTC ${d.getUTCFullYear()}`;
}
