// Column and sort shapes for DataTable.svelte.
import type { Snippet } from 'svelte';

export interface Column<R> {
  key: string;
  label: string;
  /** CSS grid track: "7ch", "minmax(12ch, 1fr)". */
  width: string;
  align?: 'left' | 'right';
  /** The value sorted by, and shown when there is no snippet. */
  value: (r: R) => string | number | null;
  cell?: Snippet<[R]>;
  title?: string;
}

export interface Sort {
  key: string;
  desc: boolean;
}
