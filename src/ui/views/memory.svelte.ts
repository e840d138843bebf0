// State of a filterable table kept across tab switches (the slab caches, the modules): sort, filter and
// selection.
import type { Sort } from '../components/table.ts';

export class TableState {
  sort = $state<Sort | undefined>(undefined);
  filter = $state('');
  selected = $state<string | null>(null);

  constructor(sort?: Sort) {
    this.sort = sort;
  }
}
