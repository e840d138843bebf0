// The UI's handle on the engine worker. One worker per opened dump: closing a dump terminates its worker, so
// nothing from one dump (caches, WASM memory) can leak into the next. Work in the worker is synchronous, so
// the only way to stop a runaway command is to end the worker: cancelling does that and opens the same
// files again in a fresh one (the views and their state stay).
import { proxy, wrap, type Remote } from 'comlink';
import { untrack } from 'svelte';
import type { CommandResult, EngineApi, OpenProgress, OpenSummary } from '../engine/api.ts';

export type Phase = 'idle' | 'opening' | 'ready' | 'failed';

/** What a call that was cancelled (or whose worker died) resolves with. */
export class Cancelled extends Error {
  override name = 'Cancelled';
}

export interface Job {
  id: number;
  /** What is being done, for the busy bar ("ps", "explore struct task_struct"). */
  what: string;
  since: number;
}

interface Worker_ {
  worker: Worker;
  api: Remote<EngineApi>;
  /** Rejects every pending call when the worker is ended. */
  abort: (e: Error) => void;
  aborted: Promise<never>;
}

export class Engine {
  phase = $state<Phase>('idle');
  progress = $state<OpenProgress>({ fraction: 0, what: '' });
  summary = $state.raw<OpenSummary | null>(null);
  error = $state<string | null>(null);
  /** The files of the current (or last attempted) open, for the header and error messages. */
  files = $state.raw<File[]>([]);
  commandNames = $state.raw<string[]>([]);
  /** Calls in flight, oldest first; the UI shows the oldest after a second, with Cancel. */
  jobs = $state.raw<Job[]>([]);
  /** Set while a cancelled engine is being reopened. */
  restarting = $state(false);
  /** Bumped on every successful open, so per-dump view state can be keyed on it. */
  generation = $state(0);

  #w: Worker_ | null = null;
  /** Resolves once the current worker has opened the files (a restart replaces it). */
  #ready: Promise<Worker_> | null = null;
  #nextJob = 1;

  get busy(): number {
    return this.jobs.length;
  }

  #spawn(): Worker_ {
    // Vite bundles the worker only from this exact `new Worker(new URL(…))` form; the URL is not state.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'crashlens-engine' });
    let abort: (e: Error) => void = () => {};
    const aborted = new Promise<never>((_, reject) => {
      abort = reject;
      // A worker that fails to load (script error) never answers: surface it instead of hanging.
      worker.addEventListener('error', (e) => reject(new Error(`the engine worker failed${e.message ? `: ${e.message}` : ''}`)), { once: true });
    });
    aborted.catch(() => {}); // settles at close too, when nobody is waiting
    return { worker, api: wrap<EngineApi>(worker), abort, aborted };
  }

  async #openIn(w: Worker_, files: File[], report: boolean): Promise<OpenSummary> {
    return Promise.race([
      w.api.open(
        files,
        proxy((p: OpenProgress) => {
          if (report && this.#w === w) this.progress = p;
        }),
      ),
      w.aborted,
    ]);
  }

  async open(files: File[]): Promise<void> {
    if (files.length === 0) return;
    this.close();
    this.files = files;
    this.phase = 'opening';
    this.progress = { fraction: 0, what: 'Starting the engine' };
    this.error = null;
    const w = this.#spawn();
    this.#w = w;
    let resolveReady: (x: Worker_) => void = () => {};
    this.#ready = new Promise((ok) => (resolveReady = ok));
    try {
      const summary = await this.#openIn(w, files, true);
      if (this.#w !== w) return; // closed or replaced while opening
      this.summary = summary;
      this.commandNames = await Promise.race([w.api.commandNames(), w.aborted]).catch(() => []);
      resolveReady(w);
      this.generation++;
      this.phase = 'ready';
    } catch (e) {
      if (this.#w !== w) return;
      this.error = e instanceof Error ? e.message : String(e);
      this.phase = 'failed';
      this.#stop(new Cancelled('the engine stopped'));
    }
  }

  /**
   * Calls the engine; `what` labels the busy bar. Rejects with Cancelled when the user cancels (or the
   * worker dies), with the engine's error otherwise.
   */
  async call<T>(what: string, f: (api: EngineApi) => Promise<T>): Promise<T> {
    // Untracked: a call made from a template or effect must not depend on the busy list it changes.
    const job = untrack(() => {
      if (!this.#ready || this.phase !== 'ready') return null;
      const j: Job = { id: this.#nextJob++, what, since: performance.now() };
      this.jobs = [...this.jobs, j];
      return j;
    });
    const ready = this.#ready;
    if (!job || !ready) throw new Cancelled('no dump is open');
    try {
      const w = await ready;
      // Every method but open() takes and returns plain data, so the remote is used as the interface itself
      // (comlink's Remote<> type splits union results into unions of promises).
      return await Promise.race([f(w.api as unknown as EngineApi), w.aborted]);
    } finally {
      untrack(() => (this.jobs = this.jobs.filter((j) => j !== job)));
    }
  }

  /** Runs one command line; never rejects (a cancelled or dead call becomes a failed result). */
  async run(line: string): Promise<CommandResult & { cancelled?: boolean }> {
    try {
      return await this.call(line, (api) => api.run(line));
    } catch (e) {
      if (e instanceof Cancelled) return { output: `${line}: cancelled\n`, failed: true, cancelled: true };
      return { output: e instanceof Error ? e.message : String(e), failed: true };
    }
  }

  /** Stops whatever the engine is doing: ends the worker and opens the same files in a new one. */
  async cancel(): Promise<void> {
    if (this.phase !== 'ready' || this.restarting) return;
    const files = this.files;
    this.restarting = true;
    this.#stop(new Cancelled('cancelled'));
    const w = this.#spawn();
    this.#w = w;
    let resolveReady: (x: Worker_) => void = () => {};
    this.#ready = new Promise((ok) => (resolveReady = ok));
    try {
      await this.#openIn(w, files, false);
      if (this.#w !== w) return;
      resolveReady(w);
    } catch (e) {
      if (this.#w !== w) return;
      this.error = `the engine could not be restarted: ${e instanceof Error ? e.message : String(e)}`;
      this.phase = 'failed';
    } finally {
      if (this.#w === w) this.restarting = false;
    }
  }

  close(): void {
    this.#stop(new Cancelled('closed'));
    this.#ready = null;
    this.phase = 'idle';
    this.summary = null;
    this.commandNames = [];
    this.jobs = [];
    this.restarting = false;
  }

  #stop(reason: Error): void {
    const w = this.#w;
    this.#w = null;
    if (!w) return;
    w.abort(reason);
    w.worker.terminate();
  }
}
