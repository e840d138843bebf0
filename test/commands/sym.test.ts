// sym against crash's reference output on every fixture dump. crash appends " file: line" to text
// symbols from the vmlinux's debuginfo, which a dump alone cannot give: that suffix is the one expected
// difference. Module symbols: Debian's kernel has BTF for struct module; the tiny kernel has none, so its
// module is read here with struct module's offsets taken once from its vmlinux (gdb ptype/o).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { moduleDump } from '../../src/commands/sym.ts';
import { Session } from '../../src/engine/session.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { loadSymbols } from '../../src/symbols/symbol-table.ts';
import { type CompositeType, type Type, type TypeSource, VOID } from '../../src/types/type.ts';
import { allDumps, dumps, fixture } from '../helpers/fixtures.ts';

beforeAll(() => {
  loadWasmNode();
});

const open = (path: string): Session => Session.open([NodeFileSource.open(path)]);
const crashFile = (dir: string, name: string): string | undefined => {
  const p = join(dir, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
};

describe('sym NAME on every dump', () => {
  it.each(allDumps().map((d) => [`${d.scenario}/${d.name}`, d] as const))('%s', (_, d) => {
    const s = open(d.path);
    const schedule = crashFile(d.crashDir, 'sym-schedule.txt');
    if (schedule !== undefined) {
      const mine = s.run('sym schedule');
      expect(mine.failed).toBe(false);
      const line = mine.output.trimEnd();
      // Same address, type and name; crash then adds the source line from debuginfo.
      expect(schedule.startsWith(`${line} `)).toBe(true);
      expect(schedule.slice(line.length + 1).trimEnd()).toMatch(/^\S+: \d+$/);
    }
    const initTask = crashFile(d.crashDir, 'sym-init_task.txt');
    if (initTask !== undefined) expect(s.run('sym init_task').output).toBe(initTask);
  });
});

const int = (name: string, size: number): Type => ({ kind: 'int', name, size, signed: false, isChar: false, bits: size * 8, bitOffset: 0 });
const ptr: Type = { kind: 'pointer', size: 8, target: VOID, tags: [] };
const u32 = int('unsigned int', 4);
function struct(name: string, size: number, members: [string, number, Type][]): CompositeType {
  return { kind: 'struct', name, size, complete: true, tags: [], members: members.map(([n, off, type]) => ({ name: n, type, bitOffset: off * 8, bitSize: 0, tags: [] })) };
}

/** struct module and friends in the tiny kernel, from `gdb -batch -ex 'ptype/o struct module'` on its vmlinux. */
const TINY_TYPES: TypeSource = (() => {
  const layout = struct('module_layout', 80, [['base', 0, ptr], ['size', 8, u32]]);
  const kallsyms = struct('mod_kallsyms', 32, [['symtab', 0, ptr], ['num_symtab', 8, u32], ['strtab', 16, ptr]]);
  const module = struct('module', 704, [
    ['list', 8, struct('list_head', 16, [])],
    ['name', 24, { kind: 'array', element: int('char', 1), length: 56 }],
    ['syms', 208, ptr],
    ['num_syms', 224, u32],
    ['num_gpl_syms', 276, u32],
    ['gpl_syms', 280, ptr],
    ['core_layout', 320, layout],
    ['init_layout', 400, layout],
    ['core_kallsyms', 528, kallsyms],
  ]);
  const ksym = struct('kernel_symbol', 12, [['value_offset', 0, int('int', 4)], ['name_offset', 4, int('int', 4)], ['namespace_offset', 8, int('int', 4)]]);
  const types: Record<string, Type> = { 'struct module': module, 'struct kernel_symbol': ksym };
  return { findType: (spec: string) => types[spec] };
})();

describe('sym -m on the tiny kernel', () => {
  it.each(dumps('t-tiny-la57').map((d) => [d.name, d] as const))('%s: module symbols match crash given struct module', (_, d) => {
    const expected = crashFile(d.crashDir, 'sym-m-crashlens_test.txt');
    if (expected === undefined) return;
    const s = open(d.path);
    const loaded = loadSymbols(s.kernel, s.vmcoreinfo!, TINY_TYPES);
    const m = loaded.table.module('crashlens_test');
    expect(m).toBeDefined();
    expect(`${moduleDump(loaded.table, m!).join('\n')}\n`).toBe(expected);
  });

  it('without BTF or a vmlinux, sym -m says why it cannot', () => {
    const s = open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path);
    const r = s.run('sym -m crashlens_test');
    expect(r.failed).toBe(true);
    expect(r.output).toBe(
      'sym: module symbols not loaded: the kernel has no BTF (no __start_BTF symbol: built without CONFIG_DEBUG_INFO_BTF); a vmlinux would supply struct module\n',
    );
    expect(s.warnings.some((w) => w.startsWith('module symbols not loaded'))).toBe(true);
    // Kernel symbols still work.
    expect(s.run('sym schedule').output).toBe('ffffffffbc66c947 (T) schedule\n');
  });
});

describe('modules from BTF on the Debian kernel', () => {
  it.each([
    ['a-qemu-sysrq', 'mdf-d31-lzo.kdump'],
    ['k-kdump', 'kdump-mdf-d31-lzo.kdump'],
  ] as const)('%s/%s: every module of crash\'s mod list, at its base and size', (scenario, name) => {
    const d = fixture(scenario, name);
    const s = open(d.path);
    const mods = readFileSync(join(d.crashDir, 'mod.txt'), 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim())
      .map((l) => l.trim().split(/\s+/));
    const table = s.symbols;
    expect(table.modules.map((m) => m.name).sort()).toEqual(mods.map((f) => f[1]).sort());
    for (const [struct, modName, base, size] of mods) {
      const m = table.module(modName)!;
      expect([m.struct.toString(16), m.base.toString(16), m.size]).toEqual([struct, base, Number(size)]);
      const out = s.run(`sym -m ${modName}`).output.trimEnd().split('\n');
      expect(out[0]).toBe(`${base} MODULE START: ${modName}`);
      expect(out[out.length - 1]).toBe(`${(BigInt(`0x${base}`) + BigInt(size)).toString(16)} MODULE END: ${modName}`);
      expect(out.length).toBeGreaterThan(5);
    }
    // A module address resolves inside its module, with the module named.
    const dummy = table.module('dummy')!;
    expect(s.run(`sym ${(dummy.base + 0x12n).toString(16)}`).output).toMatch(/^[0-9a-f]+ \(t\) \w+\+0x2 \[dummy\]\n$/);
  });
});

describe('sym forms', () => {
  const d = fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump');

  it('address, neighbours, search, errors and usage', () => {
    const s = open(d.path);
    expect(s.run('sym ffffffffb1c09390').output).toBe('ffffffffb1c09390 (T) schedule+0x10\n');
    expect(s.run('sym 0xffffffffb1c09380').output).toBe('ffffffffb1c09380 (T) schedule\n');
    expect(s.run('sym -p -n schedule').output).toBe('ffffffffb1c089a0 (t) __schedule\nffffffffb1c09380 (T) schedule\nffffffffb1c09450 (T) yield\n');
    expect(s.run('sym 10').output).toBe('sym: invalid address: 10\n');
    // kallsyms cannot list its own tables; VMCOREINFO names them (System.map: ffffffff82174fa0 D kallsyms_names).
    expect(s.run('sym kallsyms_names').output).toBe('ffffffffb2374fa0 (D) kallsyms_names\n');
    expect(s.run('sym no_such_symbol_here').output).toBe('symbol not found: no_such_symbol_here\npossible alternatives:\n  (none found)\n');
    expect(s.run('sym -q no_such_symbol_here').output).toBe('(none found)\n');
    expect(s.run('sym -q init_task').output).toContain('ffffffffb2c1aa40 (D) init_task\n');
    expect(s.run('sym -Q no_such_symbol_here').output).toBe('0 found \n');
    expect(s.run('sym').output).toBe('Usage:\n  sym [-l] | [-M] | [-m module] | [-p|-n] | [-q string] | [symbol | vaddr]\nEnter "help sym" for details.\n');
    expect(s.run('sym -x schedule')).toMatchObject({ failed: true, output: "sym: invalid option -- 'x'\n" });
    const all = s.run('sym -l').output.split('\n');
    expect(all).toContain('ffffffffb1c09380 (T) schedule');
    expect(all.filter((l) => l.includes('MODULE START')).length).toBe(4);
  });
});
