// What every opened dump offers beyond PhysicalMemory: the problems we tolerated while opening it.
import type { PhysicalMemory } from './physical-memory.ts';

export type DumpKind = 'elf-core' | 'kdump' | 'flattened' | 'elf-vmlinux' | 'unknown';

export interface DumpFile extends PhysicalMemory {
  /**
   * Damage or oddities that did not stop us (truncated notes, a missing end marker...). Each names the file
   * and, where it has one, the file offset.
   */
  readonly warnings: readonly string[];
}

export interface OpenOptions {
  /** Called during long passes (indexing a flattened stream): fraction done in [0, 1] and what is running. */
  onProgress?(fraction: number, what: string): void;
}

/**
 * A source that knows which of its bytes really exist: a file rebuilt from a flattened stream reads gaps as
 * zeros, but a page whose data falls in a gap was never written (a cut stream) and must not read as zeros.
 */
export interface SparseSource {
  covers(offset: number, length: number): boolean;
}

export function isSparse(src: object): src is SparseSource {
  return typeof (src as Partial<SparseSource>).covers === 'function';
}

/** A wrapper a dump was read through (a flattened stream): its problems and header lines join the dump's. */
export interface Container {
  readonly warnings: readonly string[];
  /** The wrapper lost the end of the dump. */
  readonly truncated: boolean;
  describe(): string[];
}
