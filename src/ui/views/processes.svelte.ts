// The Processes view's state: the task table from the engine (typed rows, not ps text), the filter, the
// sort, the tree's collapsed nodes and the selection, kept while the user visits other views.
import type { TaskRow, TaskTable } from '../../engine/api.ts';
import type { Sort } from '../components/table.ts';
import { Cancelled } from '../engine.svelte.ts';
import type { Workspace } from '../workspace.svelte.ts';

export const STATES: Record<string, string> = {
  RU: 'running',
  IN: 'interruptible sleep',
  UN: 'uninterruptible (D)',
  ID: 'idle kernel thread',
  ZO: 'zombie',
  ST: 'stopped',
  TR: 'traced',
  DE: 'dead',
  SW: 'swapping',
  PA: 'parked',
  WA: 'waking',
  NE: 'new',
};

export interface TreeRow extends TaskRow {
  depth: number;
  /** Children (threads and child processes) under this row in the tree. */
  kids: number;
}

export class ProcessesState {
  table = $state.raw<TaskTable | null>(null);
  error = $state<string | null>(null);
  filter = $state('');
  /** Hide kernel threads / user tasks. */
  show = $state<'all' | 'user' | 'kernel'>('all');
  /** Only these states (empty: all). */
  states = $state<string[]>([]);
  mode = $state<'table' | 'tree'>('table');
  sort = $state<Sort | undefined>(undefined);
  selected = $state<string | null>(null);
  collapsed = $state<string[]>([]);

  readonly rows = $derived(this.table?.rows ?? []);

  readonly stateCounts = $derived.by(() => {
    const c: Record<string, number> = {};
    for (const r of this.rows) c[r.state] = (c[r.state] ?? 0) + 1;
    return c;
  });

  readonly filtered = $derived.by(() => {
    const words = this.filter.split(/\s+/).filter(Boolean);
    return this.rows.filter((r) => {
      if (this.show === 'user' && r.kthread) return false;
      if (this.show === 'kernel' && !r.kthread) return false;
      if (this.states.length && !this.states.includes(r.state)) return false;
      return words.every((w) => matches(r, w));
    });
  });

  /** The process tree: threads under their leader, processes under their parent, depth-first. */
  readonly tree = $derived.by((): TreeRow[] => {
    // Scratch maps built and dropped inside this derivation; nothing reads them reactively.
    /* eslint-disable svelte/prefer-svelte-reactivity */
    const rows = this.rows;
    const byPid = new Map<number, TaskRow>();
    for (const r of rows) if (!byPid.has(r.pid)) byPid.set(r.pid, r);
    const kids = new Map<string, TaskRow[]>();
    const roots: TaskRow[] = [];
    for (const r of rows) {
      const leader = r.pid !== r.tgid ? byPid.get(r.tgid) : undefined;
      const parent = leader ?? (r.pid === 0 ? undefined : byPid.get(r.ppid));
      if (!parent || parent === r) roots.push(r);
      else {
        const k = kids.get(parent.task) ?? [];
        k.push(r);
        kids.set(parent.task, k);
      }
    }
    // Only the rows the filter keeps, with their ancestors so each stays in place.
    const keep = new Set(this.filtered.map((r) => r.task));
    const visible = new Map<string, boolean>();
    const anyKept = (r: TaskRow, depth = 0): boolean => {
      const v = visible.get(r.task);
      if (v !== undefined) return v;
      const res = keep.has(r.task) || (depth < 512 && (kids.get(r.task) ?? []).some((k) => anyKept(k, depth + 1)));
      visible.set(r.task, res);
      return res;
    };
    const collapsed = new Set(this.collapsed);
    const out: TreeRow[] = [];
    const walk = (r: TaskRow, depth: number): void => {
      if (!anyKept(r) || depth > 512) return;
      const k = kids.get(r.task) ?? [];
      out.push({ ...r, depth, kids: k.length });
      if (!collapsed.has(r.task)) for (const c of k) walk(c, depth + 1);
    };
    for (const r of roots) walk(r, 0);
    /* eslint-enable svelte/prefer-svelte-reactivity */
    return out;
  });

  constructor(private readonly ws: Workspace) {
    queueMicrotask(() => void this.load());
  }

  async load(): Promise<void> {
    this.error = null;
    try {
      const r = await this.ws.engine.call('task table', (api) => api.tasks());
      if (r.ok) this.table = r.value;
      else this.error = r.error;
    } catch (e) {
      this.error = e instanceof Cancelled ? 'cancelled' : e instanceof Error ? e.message : String(e);
    }
  }

  toggleState(s: string): void {
    this.states = this.states.includes(s) ? this.states.filter((x) => x !== s) : [...this.states, s];
  }

  toggleCollapsed(task: string): void {
    this.collapsed = this.collapsed.includes(task) ? this.collapsed.filter((x) => x !== task) : [...this.collapsed, task];
  }
}

/**
 * A filter word: a pid (exact), a state in capitals (RU, UN, ...), or part of a command name or task address
 * (any case).
 */
function matches(r: TaskRow, word: string): boolean {
  if (/^\d+$/.test(word)) return r.pid === Number(word) || r.comm.includes(word);
  if (word in STATES) return r.state === word;
  const w = word.toLowerCase();
  return r.comm.toLowerCase().includes(w) || r.task.includes(w);
}
