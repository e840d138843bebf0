// The command line's cache: one file per key under $XDG_CACHE_HOME/crashlens/index (~/.cache/...).
// Writes go to a temporary file renamed into place, so a crash mid-write never leaves a half entry.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KeyValueCache } from './kv-cache.ts';

export class DiskCache implements KeyValueCache {
  constructor(readonly dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'crashlens', 'index')) {}

  private path(key: string): string {
    return join(this.dir, key.replace(/[^A-Za-z0-9._-]/g, '_'));
  }

  get(key: string): Uint8Array | undefined {
    const p = this.path(key);
    try {
      return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: Uint8Array): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${this.path(key)}.${process.pid}.tmp`;
      writeFileSync(tmp, value);
      renameSync(tmp, this.path(key));
    } catch {
      // A cache that cannot be written only costs time on the next open.
    }
  }
}
