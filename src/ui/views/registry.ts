// The views of an opened dump, in tab order. A new view is a component taking { ws: Workspace } plus one
// line here; its state lives in ws.state(id, ...) so it survives tab switches.
import type { Component } from 'svelte';
import type { Workspace } from '../workspace.svelte.ts';
import BacktraceView from './BacktraceView.svelte';
import ConsoleView from './ConsoleView.svelte';
import ExplorerView from './ExplorerView.svelte';
import LogView from './LogView.svelte';
import MemoryView from './MemoryView.svelte';
import ModulesView from './ModulesView.svelte';
import OverviewView from './OverviewView.svelte';
import ProcessesView from './ProcessesView.svelte';

export interface ViewDef {
  id: string;
  label: string;
  /** Tooltip: what the view shows, and the crash command behind it. */
  title: string;
  /** Alt+<key> shows the view. */
  key: string;
  component: Component<{ ws: Workspace }>;
  /** Shown when only a kernel log (no dump) is open. */
  logOnly?: boolean;
}

export const VIEWS: readonly ViewDef[] = [
  { id: 'overview', label: 'Overview', title: 'What went wrong: panic, backtrace, system, end of the log', key: '1', component: OverviewView, logOnly: true },
  { id: 'log', label: 'Log', title: 'Kernel message log (crash: log)', key: '2', component: LogView, logOnly: true },
  { id: 'processes', label: 'Processes', title: 'Every task, as a table or a tree (crash: ps)', key: '3', component: ProcessesView },
  { id: 'backtrace', label: 'Backtrace', title: "A task's stack (crash: bt)", key: '4', component: BacktraceView },
  { id: 'memory', label: 'Memory', title: 'Memory use and slab caches (crash: kmem -i, kmem -s)', key: '5', component: MemoryView },
  { id: 'modules', label: 'Modules', title: 'Loaded modules (crash: mod)', key: '6', component: ModulesView },
  { id: 'explorer', label: 'Explorer', title: 'The typed object at an address: members, pointers, lists, memory', key: '7', component: ExplorerView },
  { id: 'console', label: 'Console', title: 'Run crash commands', key: '8', component: ConsoleView, logOnly: true },
];
