// The UI's handle on the engine worker. One worker per opened dump: closing a dump terminates its worker, so
// nothing from one dump (caches, WASM memory) can leak into the next, and a runaway command can be stopped.
import { proxy, wrap, type Remote } from 'comlink';
import type { CommandResult, EngineApi, OpenProgress, OpenSummary } from '../engine/api.ts';

export type Phase = 'idle' | 'opening' | 'ready' | 'failed';

export class Engine {
  phase = $state<Phase>('idle');
  progress = $state<OpenProgress>({ fraction: 0, what: '' });
  summary = $state.raw<OpenSummary | null>(null);
  error = $state<string | null>(null);
  /** The files of the current (or last attempted) open, for the header and error messages. */
  files = $state.raw<File[]>([]);
  commandNames = $state.raw<string[]>([]);
  /** Commands in flight; the UI shows a busy indicator while > 0. */
  busy = $state(0);
  /** Bumped on every successful open, so per-dump view state can be keyed on it. */
  generation = $state(0);

  #worker: Worker | null = null;
  #api: Remote<EngineApi> | null = null;
  /** Ends a pending open when the worker is terminated (a terminated worker never answers). */
  #abort: (() => void) | null = null;

  async open(files: File[]): Promise<void> {
    if (files.length === 0) return;
    this.close();
    this.files = files;
    this.phase = 'opening';
    this.progress = { fraction: 0, what: 'Starting the engine' };
    this.error = null;
    // Vite bundles the worker only from this exact `new Worker(new URL(…))` form; the URL is not state.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'crashlens-engine' });
    this.#worker = worker;
    const api = wrap<EngineApi>(worker);
    this.#api = api;
    // A worker that fails to load (script error) never answers: surface it instead of hanging on the bar.
    const failed = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (e) => reject(new Error(`the engine worker failed${e.message ? `: ${e.message}` : ''}`)), { once: true });
      this.#abort = () => reject(new Error('cancelled'));
    });
    failed.catch(() => {}); // settles after a successful open too (close, crash): nobody is waiting then
    try {
      const summary = await Promise.race([
        api.open(
          files,
          proxy((p: OpenProgress) => {
            if (this.#worker === worker) this.progress = p;
          }),
        ),
        failed,
      ]);
      if (this.#worker !== worker) return; // closed or replaced while opening
      this.summary = summary;
      this.commandNames = await api.commandNames().catch(() => []);
      this.generation++;
      this.phase = 'ready';
    } catch (e) {
      if (this.#worker !== worker) return;
      this.error = e instanceof Error ? e.message : String(e);
      this.phase = 'failed';
      this.#stop();
    }
  }

  /** Runs one command line; never rejects (a dead worker becomes a failed result). */
  async run(line: string): Promise<CommandResult> {
    const api = this.#api;
    if (!api || this.phase !== 'ready') return { output: 'no dump is open', failed: true };
    this.busy++;
    try {
      return await api.run(line);
    } catch (e) {
      return { output: e instanceof Error ? e.message : String(e), failed: true };
    } finally {
      this.busy--;
    }
  }

  close(): void {
    this.#stop();
    this.phase = 'idle';
    this.summary = null;
    this.commandNames = [];
    this.busy = 0;
  }

  #stop(): void {
    this.#abort?.();
    this.#abort = null;
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
  }
}
