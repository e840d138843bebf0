// What the views of one opened dump share: the engine, the summary, which view is shown, each view's state
// (kept when switching tabs), and command outputs that several views use (fetched once per dump).
import type { CommandResult, OpenSummary } from '../engine/api.ts';
import type { Engine } from './engine.svelte.ts';
import { ConsoleState } from './views/console.svelte.ts';

export class Workspace {
  view = $state('log');
  // Lookup tables, not rendered: the values they hold carry their own reactivity.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #state = new Map<string, unknown>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #results = new Map<string, Promise<CommandResult>>();
  /** The console's scrollback and history; any view may send it a command. */
  readonly console: ConsoleState;

  constructor(
    readonly engine: Engine,
    readonly summary: OpenSummary,
  ) {
    this.console = new ConsoleState(engine);
  }

  /** A view's state, created on first use and kept for as long as this dump is open. */
  state<T>(key: string, make: () => T): T {
    let s = this.#state.get(key) as T | undefined;
    if (s === undefined) {
      s = make();
      this.#state.set(key, s);
    }
    return s;
  }

  /** The output of a command that does not change while the dump is open (dumps are read-only). */
  cached(line: string): Promise<CommandResult> {
    let r = this.#results.get(line);
    if (!r) {
      r = this.engine.run(line);
      this.#results.set(line, r);
    }
    return r;
  }

  show(view: string): void {
    this.view = view;
  }

  /** Runs a command in the console and switches to it. */
  runInConsole(line: string): void {
    this.view = 'console';
    void this.console.run(line);
  }
}
