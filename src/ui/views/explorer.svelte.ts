// The object explorer's history (back/forward like a browser) and a cache of what the engine said about
// each place, so going back is instant. A place is an address plus a type; without a type the explorer
// first asks the engine what the address is.
import type { Identity, ObjectDesc, Outcome } from '../../engine/api.ts';
import { Cancelled, type Engine } from '../engine.svelte.ts';

export interface Place {
  address: string;
  type?: string;
}

export type Loaded = { kind: 'object'; desc: ObjectDesc } | { kind: 'identity'; identity: Identity } | { kind: 'error'; error: string };

const key = (p: Place): string => `${p.type ?? '?'}@${p.address}`;

export class ExplorerState {
  history = $state.raw<Place[]>([]);
  index = $state(-1);
  /** What is shown for the current place; null while loading. */
  loaded = $state.raw<Loaded | null>(null);
  /** The member table or the raw memory. */
  tab = $state<'members' | 'memory'>('members');
  readonly current = $derived(this.index >= 0 ? this.history[this.index] : undefined);
  // A cache, not rendered.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #cache = new Map<string, Promise<Loaded>>();

  constructor(private readonly engine: Engine) {}

  go(p: Place): void {
    const place: Place = { address: p.address.toLowerCase().replace(/^0x/, ''), type: p.type?.trim() || undefined };
    const cur = this.current;
    if (cur && key(cur) === key(place)) return;
    this.history = [...this.history.slice(0, this.index + 1), place];
    this.index = this.history.length - 1;
    void this.#load();
  }

  /** Replaces the current place (an identified address becomes its typed object, without a new step). */
  replace(p: Place): void {
    if (this.index < 0) return this.go(p);
    const h = [...this.history];
    h[this.index] = { address: p.address, type: p.type };
    this.history = h;
    void this.#load();
  }

  /** Asks the engine again for the current place (after a cancel, say). */
  reload(): void {
    const c = this.current;
    if (!c) return;
    this.#cache.delete(key(c));
    void this.#load();
  }

  /** Jumps to a place in the history (the trail of visited objects). */
  goTo(i: number): void {
    if (i >= 0 && i < this.history.length && i !== this.index) {
      this.index = i;
      void this.#load();
    }
  }

  back(): void {
    if (this.index > 0) {
      this.index--;
      void this.#load();
    }
  }

  forward(): void {
    if (this.index < this.history.length - 1) {
      this.index++;
      void this.#load();
    }
  }

  async #load(): Promise<void> {
    const place = this.current;
    if (!place) return;
    const k = key(place);
    let p = this.#cache.get(k);
    if (!p) {
      p = this.#fetch(place);
      this.#cache.set(k, p);
    }
    this.loaded = null;
    const r = await p;
    if (r.kind === 'error' && r.error === 'cancelled') this.#cache.delete(k);
    if (this.current && key(this.current) === k) this.loaded = r;
  }

  async #fetch(place: Place): Promise<Loaded> {
    try {
      if (place.type) {
        const r: Outcome<ObjectDesc> = await this.engine.call(`explore ${place.type} ${place.address}`, (api) => api.explore({ address: place.address, type: place.type! }));
        return r.ok ? { kind: 'object', desc: r.value } : { kind: 'error', error: r.error };
      }
      const r = await this.engine.call(`identify ${place.address}`, (api) => api.identify(place.address));
      return r.ok ? { kind: 'identity', identity: r.value } : { kind: 'error', error: r.error };
    } catch (e) {
      return { kind: 'error', error: e instanceof Cancelled ? 'cancelled' : e instanceof Error ? e.message : String(e) };
    }
  }
}
