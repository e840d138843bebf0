// A small synchronous key → bytes cache for derived data that is slow to build (the DWARF name index),
// keyed by what identifies its input (a vmlinux build-id and size). The command line keeps entries in the
// user's cache directory; the browser worker loads the entry from IndexedDB before opening and writes new
// ones back in the background, so the engine itself stays synchronous.
export interface KeyValueCache {
  get(key: string): Uint8Array | undefined;
  set(key: string, value: Uint8Array): void;
}

/** A cache in memory: what the browser worker fills from IndexedDB, and tests use. */
export class MemoryCache implements KeyValueCache {
  readonly entries = new Map<string, Uint8Array>();
  constructor(private readonly onSet?: (key: string, value: Uint8Array) => void) {}
  get(key: string): Uint8Array | undefined {
    return this.entries.get(key);
  }
  set(key: string, value: Uint8Array): void {
    this.entries.set(key, value);
    this.onSet?.(key, value);
  }
}
