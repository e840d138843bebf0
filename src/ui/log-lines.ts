// Splits the text of crash's `log` / `log -m` into lines the Log view can filter and colour. Pure: the text
// is the engine's, this only finds the timestamp prefix, the `<level>` that `log -m` adds, and notable lines.

export const LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export interface LogLine {
  /** 0 (emerg) .. 7 (debug); -1 when the text carries no level. */
  level: number;
  /** "[    7.245052] " or "" — kept apart so it can be dimmed. */
  ts: string;
  /** The message, without the level marker. */
  text: string;
  /** A line that starts an oops/panic/BUG report: shown highlighted, and a jump target. */
  event: boolean;
}

export interface ParsedLog {
  lines: LogLine[];
  /** Whether levels were found (the text came from `log -m`). */
  hasLevels: boolean;
  /** Number of lines at each level, index = level. */
  counts: number[];
  /** Length of the longest line in characters, for the horizontal scroll extent. */
  maxWidth: number;
}

// crash prints "[%5lu.%06lu] " for each record; `log -m` adds "<L>" (decimal or hex, facility bits included
// on some kernels) before or after it. Only digits and a-f count, so "<TASK>" in a stack trace is text.
const TS = /^\[\s*\d+\.\d+\] ?/;
const LEVEL = /^<([0-9a-f]{1,3})>/;

const EVENTS = [
  /Kernel panic - not syncing/,
  /^BUG: /,
  /^Oops: /,
  /^general protection fault/,
  /^kernel BUG at /,
  /^Unable to handle kernel/,
  /^WARNING: CPU: \d+ PID: /,
  /^watchdog: BUG: /,
  /^INFO: task .* blocked for more than/,
  /^Out of memory: Killed process/,
];

export function isEventText(text: string): boolean {
  return EVENTS.some((re) => re.test(text));
}

export function parseLog(output: string, withLevels: boolean): ParsedLog {
  const raw = output.split('\n');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  const lines: LogLine[] = [];
  const counts = new Array<number>(LEVEL_NAMES.length).fill(0);
  let hasLevels = false;
  let maxWidth = 0;
  let prevLevel = -1;
  for (const line of raw) {
    let rest = line;
    let level = -1;
    let ts = '';
    if (withLevels) {
      const m = LEVEL.exec(rest);
      if (m) {
        level = parseInt(m[1], 16) & 7;
        rest = rest.slice(m[0].length);
      }
    }
    const t = TS.exec(rest);
    if (t) {
      ts = t[0];
      rest = rest.slice(ts.length);
    }
    if (withLevels && level < 0) {
      const m = LEVEL.exec(rest);
      if (m) {
        level = parseInt(m[1], 16) & 7;
        rest = rest.slice(m[0].length);
      }
    }
    if (level >= 0) hasLevels = true;
    // A record's continuation lines carry no prefix: they belong to the record above.
    else if (!ts && withLevels) level = prevLevel;
    prevLevel = level;
    if (level >= 0) counts[level]++;
    const width = ts.length + rest.length;
    if (width > maxWidth) maxWidth = width;
    lines.push({ level, ts, text: rest, event: isEventText(rest) });
  }
  return { lines, hasLevels, counts, maxWidth };
}

/** The line to show first: the panic message when known, else the first oops/BUG line. */
export function panicLine(lines: readonly LogLine[], panic?: string): number {
  if (panic) {
    const i = lines.findIndex((l) => l.text.includes(panic));
    if (i >= 0) return i;
  }
  const p = lines.findIndex((l) => l.text.includes('Kernel panic - not syncing'));
  if (p >= 0) return p;
  return lines.findIndex((l) => l.event);
}

/** A search query: plain text (case-insensitive) or /regex/flags. Returns null for an invalid regex. */
export function compileQuery(q: string): RegExp | null {
  if (!q) return null;
  const re = /^\/(.+)\/([a-z]*)$/.exec(q);
  try {
    if (re) return new RegExp(re[1], re[2].replace(/[gy]/g, '') + 'g');
    return new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  } catch {
    return null;
  }
}

/** Splits text into alternating [plain, match, plain, match, ...] pieces for highlighting as text nodes. */
export function splitMatches(text: string, re: RegExp | null): string[] {
  if (!re) return [text];
  const out: string[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out.push(text.slice(last, m.index), m[0]);
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}
