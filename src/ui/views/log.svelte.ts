// The Log view's state: the parsed kernel log and the reader's filter, search and position, kept while the
// user visits other tabs.
import { compileQuery, LEVEL_NAMES, panicLine, parseLog, type ParsedLog } from '../log-lines.ts';
import type { Workspace } from '../workspace.svelte.ts';

export class LogState {
  parsed = $state.raw<ParsedLog | null>(null);
  error = $state<string | null>(null);
  query = $state('');
  onlyMatches = $state(false);
  /** hidden[level] hides that level; lines without a level are always shown. */
  hidden = $state<boolean[]>(LEVEL_NAMES.map(() => false));
  /** Index into parsed.lines of the highlighted line (-1: none). */
  selected = $state(-1);
  /** Index into parsed.lines of the current search hit (-1: none); a line, so filtering cannot move it. */
  hit = $state(-1);
  /** The dump's own log, or the log file given with it (vmcore-dmesg.txt). */
  source = $state<'dump' | 'file'>('dump');
  /** Where the reader was; restored when the view is shown again. */
  scrollTop = -1;
  readonly panicIndex = $derived.by(() => (this.parsed ? panicLine(this.parsed.lines, this.ws.summary.panic) : -1));
  readonly regex = $derived(compileQuery(this.query));

  /** Indices into parsed.lines of the lines shown, after the level filter (and search, if "only matches"). */
  readonly visible = $derived.by(() => {
    const p = this.parsed;
    if (!p) return [];
    const re = this.onlyMatches ? this.regex : null;
    const out: number[] = [];
    for (let i = 0; i < p.lines.length; i++) {
      const l = p.lines[i];
      if (l.level >= 0 && this.hidden[l.level]) continue;
      if (re && !test(re, l.ts + l.text)) continue;
      out.push(i);
    }
    return out;
  });

  /** Positions in `visible` of the lines matching the search. */
  readonly matches = $derived.by(() => {
    const p = this.parsed;
    const re = this.regex;
    if (!p || !re) return [];
    const v = this.visible;
    const out: number[] = [];
    for (let k = 0; k < v.length; k++) {
      const l = p.lines[v[k]];
      if (test(re, l.ts + l.text)) out.push(k);
    }
    return out;
  });

  /** Position of the current hit in `matches` (-1: none, or filtered out). */
  readonly hitPos = $derived.by(() => (this.hit < 0 ? -1 : this.matches.findIndex((k) => this.visible[k] === this.hit)));

  constructor(private readonly ws: Workspace) {
    // Not synchronously: the constructor may run while a component is being set up, where state must not change.
    queueMicrotask(() => void this.load());
  }

  async load(): Promise<void> {
    this.error = null;
    if (this.source === 'file') {
      let text: string | null;
      try {
        text = await this.ws.engine.call('log file', (api) => api.logFileText());
      } catch (e) {
        this.error = e instanceof Error ? e.message : String(e);
        return;
      }
      if (text === null) {
        this.error = 'no log file was given';
        return;
      }
      this.parsed = parseLog(text, false);
      this.selected = this.panicIndex;
      return;
    }
    // `log -m` adds each record's level, which the filter needs; an engine without it still gets a log.
    const m = await this.ws.cached('log -m');
    let parsed = m.failed ? null : parseLog(m.output, true);
    if (!parsed?.hasLevels) {
      const r = await this.ws.cached('log');
      if (r.failed) {
        this.error = r.output || 'the log could not be read';
        return;
      }
      parsed = parseLog(r.output, false);
    }
    this.parsed = parsed;
    this.selected = this.panicIndex;
  }

  setSource(source: 'dump' | 'file'): void {
    if (source === this.source) return;
    this.source = source;
    this.parsed = null;
    this.scrollTop = -1;
    void this.load();
  }

  toggleLevel(level: number, solo: boolean): void {
    if (solo) this.hidden = this.hidden.map((_, i) => i !== level);
    else this.hidden[level] = !this.hidden[level];
  }
}

function test(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
}
