// What the views of one opened dump share: the engine, the summary, which view is shown, each view's state
// (kept when switching tabs), command outputs that several views use (fetched once per dump), and the
// cross-view moves: open an address in the explorer, show a task's backtrace.
import type { CommandResult, OpenSummary, ParseAs, ParsedResult } from '../engine/api.ts';
import { Cancelled } from './engine.svelte.ts';
import type { Engine } from './engine.svelte.ts';
import { ConsoleState } from './views/console.svelte.ts';
import { ExplorerState } from './views/explorer.svelte.ts';

export class Workspace {
  view = $state('overview');
  /** The task the Backtrace view shows (a pid or a task address), set from Processes. */
  btTask = $state<string | null>(null);
  /** The Backtrace view's options: every CPU's active task (bt -a), file:line (bt -l). */
  btAll = $state(false);
  btLines = $state(true);
  // Lookup tables, not rendered: the values they hold carry their own reactivity.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #state = new Map<string, unknown>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #results = new Map<string, Promise<CommandResult>>();
  /** The console's scrollback and history; any view may send it a command. */
  readonly console: ConsoleState;
  /** The object explorer's history; any address link lands here. */
  readonly explorer: ExplorerState;

  constructor(
    readonly engine: Engine,
    readonly summary: OpenSummary,
  ) {
    this.console = new ConsoleState(engine);
    this.explorer = new ExplorerState(engine);
  }

  /** A view's state, created on first use and kept for as long as this dump is open. */
  state<T>(key: string, make: () => T): T {
    let s = this.#state.get(key) as T | undefined;
    if (s === undefined) {
      // Made in a root of its own: deriveds created while a view is being set up would otherwise belong to
      // that view and go stale when it is destroyed (switching tabs), while the state lives on.
      let made: T | undefined;
      $effect.root(() => {
        made = make();
      });
      s = made as T;
      this.#state.set(key, s);
    }
    return s;
  }

  /** The output of a command that does not change while the dump is open (dumps are read-only). */
  cached(line: string): Promise<CommandResult> {
    let r = this.#results.get(line);
    if (!r) {
      r = this.engine.run(line).then((x) => {
        // A cancelled run has no answer to keep: the next view that asks runs it again.
        if ('cancelled' in x && x.cancelled) this.#results.delete(line);
        return x;
      });
      this.#results.set(line, r);
    }
    return r;
  }

  /** A command's output parsed into rows by the engine (crash's tables), cached like cached(). */
  parsed(line: string, as: ParseAs): Promise<ParsedResult> {
    const key = `${as}\0${line}`;
    let r = this.#results.get(key) as Promise<ParsedResult> | undefined;
    if (!r) {
      r = this.engine
        .call(line, (api) => api.runParsed(line, as))
        .catch((e: unknown): ParsedResult => {
          this.#results.delete(key);
          return { output: e instanceof Cancelled ? `${line}: cancelled\n` : e instanceof Error ? e.message : String(e), failed: true };
        });
      this.#results.set(key, r);
    }
    return r;
  }

  /** Whether the engine has a command (the commands are being written; views say when one is missing). */
  has(command: string): boolean {
    return this.engine.commandNames.includes(command);
  }

  show(view: string): void {
    this.view = view;
  }

  /** Opens an address in the object explorer, typed when the caller knows the type. */
  explore(address: string, type?: string): void {
    this.explorer.go({ address, type });
    this.view = 'explorer';
  }

  /** Shows a task's backtrace (pid or task address). */
  backtrace(task: string): void {
    this.btTask = task;
    this.btAll = false;
    this.view = 'backtrace';
  }

  /** Runs a command in the console and switches to it. */
  runInConsole(line: string): void {
    this.view = 'console';
    void this.console.run(line);
  }
}
