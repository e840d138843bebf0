// The views of an opened dump, in tab order. A new view is a component taking { ws: Workspace } plus one
// line here; its state lives in ws.state(id, ...) so it survives tab switches.
import type { Component } from 'svelte';
import type { Workspace } from '../workspace.svelte.ts';
import ConsoleView from './ConsoleView.svelte';
import LogView from './LogView.svelte';

export interface ViewDef {
  id: string;
  label: string;
  /** Tooltip: what the view shows, and the crash command behind it. */
  title: string;
  /** Alt+<key> shows the view. */
  key: string;
  component: Component<{ ws: Workspace }>;
}

export const VIEWS: readonly ViewDef[] = [
  { id: 'log', label: 'Log', title: 'Kernel message log (crash: log)', key: '1', component: LogView },
  { id: 'console', label: 'Console', title: 'Run crash commands', key: '2', component: ConsoleView },
];
