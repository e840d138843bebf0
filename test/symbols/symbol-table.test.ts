// The symbol table's lookup rules on lists built in code: crash's value_search (first symbol on an exact
// hit, last one below an address inside), the per-CPU range, aliases, neighbours, modules.
import { describe, expect, it } from 'vitest';
import { kv } from '../../src/addr.ts';
import type { ModuleInfo } from '../../src/symbols/kallsyms.ts';
import { type RawSymbol, SymbolNotFound, SymbolTable } from '../../src/symbols/symbol-table.ts';

const T = 0xffffffff81000000n;
const KERNEL: RawSymbol[] = [
  { name: '__per_cpu_start', type: 'A', address: 0n },
  { name: 'runqueues', type: 'A', address: 0x2c000n },
  { name: '_stext', type: 'T', address: T },
  { name: '_text', type: 'T', address: T },
  { name: 'SyS_read', type: 'T', address: T + 0x100n },
  { name: 'sys_read', type: 'T', address: T + 0x100n },
  { name: 'schedule', type: 'T', address: T + 0x200n },
  { name: 'schedule_alias', type: 't', address: T + 0x200n },
  { name: 'yield', type: 'T', address: T + 0x300n },
  { name: 'dup', type: 'd', address: T + 0x400n },
  { name: 'dup', type: 'd', address: T + 0x500n },
  { name: 'init_task', type: 'D', address: T + 0x600n },
];

const MOD: ModuleInfo = {
  name: 'm1',
  struct: kv(0xffffffffc0002080n),
  base: 0xffffffffc0000000n,
  size: 0x4000,
  initBase: 0n,
  initSize: 0,
  symbols: [
    { name: '_MODULE_START_m1', type: 'm', address: 0xffffffffc0000000n, pseudo: 'start' },
    { name: 'm1_fn', type: 't', address: 0xffffffffc0000000n },
    { name: 'm1_data', type: '?', address: 0xffffffffc0002000n },
    { name: 'dup', type: '?', address: 0xffffffffc0002100n },
    { name: '_MODULE_END_m1', type: 'm', address: 0xffffffffc0004000n, pseudo: 'end' },
  ],
};

describe('SymbolTable', () => {
  const table = new SymbolTable(KERNEL, [MOD]);

  it('finds by name, kernel first, and names a missing symbol', () => {
    expect(table.lookup('schedule').address).toBe(T + 0x200n);
    expect(table.findAll('dup').map((s) => [s.address, s.module?.name])).toEqual([
      [T + 0x400n, undefined],
      [T + 0x500n, undefined],
      [0xffffffffc0002100n, 'm1'],
    ]);
    expect(() => table.lookup('nope')).toThrow(SymbolNotFound);
    expect(() => table.lookup('nope')).toThrow('symbol not found: nope');
    expect(table.find('_MODULE_START_m1')?.pseudo).toBe('start');
    expect(table.findAll('m1_fn')[0].module?.name).toBe('m1');
  });

  it('resolves an exact address to the first symbol there, an inner one to the last below', () => {
    expect(table.format(T + 0x200n)).toBe('schedule');
    expect(table.format(T + 0x212n)).toBe('schedule_alias+0x12');
    expect(table.resolve(T + 0x212n)?.offset).toBe(0x12n);
    // crash skips the SyS_ alias on an exact hit.
    expect(table.format(T + 0x100n)).toBe('sys_read');
    expect(table.format(T + 0x600n)).toBe('init_task');
  });

  it('keeps per-CPU offsets and addresses past the last symbol out of the kernel range', () => {
    expect(table.firstKernelAddress).toBe(T);
    expect(table.inKernelRange(0x2c010n)).toBe(false);
    expect(table.resolve(0x2c010n)).toBeUndefined();
    expect(table.inKernelRange(T + 0x601n)).toBe(false);
    expect(table.format(0x1234n)).toBe('1234');
  });

  it('resolves module addresses inside the module', () => {
    expect(table.moduleAt(0xffffffffc0002004n)?.name).toBe('m1');
    expect(table.format(0xffffffffc0002004n)).toBe('m1_data+0x4');
    expect(table.format(0xffffffffc0000000n)).toBe('m1_fn');
    expect(table.resolve(0xffffffffc0004000n)).toBeUndefined();
  });

  it('gives neighbours as crash does', () => {
    const s = table.lookup('schedule');
    expect(table.next(s)?.name).toBe('yield');
    expect(table.prev(s)?.name).toBe('sys_read');
    expect(table.next(table.lookup('init_task'))?.name).toBe('m1_fn');
    const m = table.findAll('m1_data')[0];
    expect(table.prev(m)?.name).toBe('m1_fn');
    expect(table.next(m)?.name).toBe('dup');
  });

  it('searches by substring, kernel then modules, never markers', () => {
    expect(table.query('m1').map((s) => s.name)).toEqual(['m1_fn', 'm1_data']);
    expect(table.query('sched').map((s) => s.name)).toEqual(['schedule', 'schedule_alias']);
  });

  it('sorts an unsorted list', () => {
    const t = new SymbolTable([...KERNEL].reverse());
    expect(t.at(0).address).toBe(0n);
    expect(t.at(t.size - 1).name).toBe('init_task');
  });
});
