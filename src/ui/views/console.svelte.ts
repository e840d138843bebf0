// The console's scrollback and command history. History is kept in localStorage (command lines only, never
// dump contents) so `bt -a` is an arrow-up away in the next session too.
import type { Engine } from '../engine.svelte.ts';

export interface ConsoleEntry {
  id: number;
  line: string;
  output: string;
  failed: boolean;
  running: boolean;
  ms: number;
}

const HISTORY_KEY = 'crashlens.history';
const HISTORY_MAX = 500;

function loadHistory(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(-HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

export class ConsoleState {
  entries = $state<ConsoleEntry[]>([]);
  /** The text being typed; kept here so it survives switching tabs. */
  input = $state('');
  readonly history: string[] = loadHistory();
  /** Position while browsing history with the arrows; history.length = the line being typed. */
  #pos = this.history.length;
  #draft = '';
  #nextId = 1;

  constructor(private readonly engine: Engine) {}

  async run(line: string): Promise<void> {
    const cmd = line.trim();
    this.input = '';
    this.#remember(cmd);
    if (!cmd) return;
    if (cmd === 'clear') {
      this.entries = [];
      return;
    }
    const entry: ConsoleEntry = { id: this.#nextId++, line: cmd, output: '', failed: false, running: true, ms: 0 };
    this.entries.push(entry);
    const e = this.entries[this.entries.length - 1]; // the reactive proxy, so updates re-render
    const t0 = performance.now();
    const r = await this.engine.run(cmd);
    e.output = r.output;
    e.failed = r.failed;
    e.ms = performance.now() - t0;
    e.running = false;
  }

  clear(): void {
    this.entries = [];
  }

  /** Arrow up (-1) / down (+1) through history; returns the line to show. */
  browse(dir: -1 | 1): string {
    if (this.#pos === this.history.length) this.#draft = this.input;
    this.#pos = Math.max(0, Math.min(this.history.length, this.#pos + dir));
    this.input = this.#pos === this.history.length ? this.#draft : this.history[this.#pos];
    return this.input;
  }

  #remember(cmd: string): void {
    if (cmd && this.history[this.history.length - 1] !== cmd) {
      this.history.push(cmd);
      if (this.history.length > HISTORY_MAX) this.history.splice(0, this.history.length - HISTORY_MAX);
      try {
        localStorage.setItem(HISTORY_KEY, JSON.stringify(this.history));
      } catch {
        // Storage may be disabled or full: history then lasts for this tab only.
      }
    }
    this.#pos = this.history.length;
    this.#draft = '';
  }
}
