// The app's typed rows and the object explorer's data, on the real kdump capture the app ships as its
// sample (k-kdump, BTF + kallsyms, no vmlinux), checked against crash's own output for the same dump.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kv } from '../../src/addr.ts';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { Session } from '../../src/engine/session.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import {
  completeSymbols,
  completeTypes,
  moduleRows,
  parseBacktraces,
  parseKmemInfo,
  parseKmemSlabs,
  parseModTable,
  taskRows,
} from '../../src/engine/views.ts';
import { describeObject, guessEntries, identifyAddress, listPage, parseKmemObject, slabType } from '../../src/engine/explore.ts';
import { fixture } from '../helpers/fixtures.ts';

const dump = fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump');
const crash = (name: string): string => readFileSync(join(dump.crashDir, name), 'utf8');

let src: NodeFileSource;
let s: Session;
beforeAll(() => {
  loadWasmNode();
  src = NodeFileSource.open(dump.path);
  s = Session.open([src]);
});
afterAll(() => src?.close());

describe('task rows', () => {
  it("match crash's ps: pid, ppid, cpu, task, state, %MEM, VSZ, RSS, comm, active", () => {
    const { rows, memNote } = taskRows(s);
    expect(memNote).toBeUndefined();
    const ps = crash('ps.txt')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim());
    expect(rows).toHaveLength(ps.length);
    ps.forEach((line, i) => {
      const m = /^(>?)\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9a-f]+)\s+(\S\S)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line)!;
      const r = rows[i];
      expect([r.active, r.pid, r.ppid, r.cpu, r.task, r.state, r.pctMem!.toFixed(1), r.vszKB, r.rssKB]).toEqual([
        m[1] === '>',
        +m[2],
        +m[3],
        +m[4],
        m[5],
        m[6],
        m[7],
        +m[8],
        +m[9],
      ]);
      expect(r.kthread ? `[${r.comm}]` : r.comm).toBe(m[10]);
    });
    expect(rows.filter((r) => r.panic).map((r) => r.pid)).toEqual([1]);
  });
});

describe('crash tables parsed into rows', () => {
  it('kmem -i', () => {
    const k = parseKmemInfo(crash('kmem-i.txt'))!;
    expect(k.groups.map((g) => g.length)).toEqual([7, 2, 3, 2]);
    expect(k.groups[0][0]).toEqual({ label: 'TOTAL MEM', pages: 111364, size: '435 MB', percent: undefined, of: undefined });
    expect(k.groups[0][1]).toEqual({ label: 'FREE', pages: 94791, size: '370.3 MB', percent: 85, of: 'TOTAL MEM' });
    expect(k.groups[0][4]).toMatchObject({ label: 'BUFFERS', pages: 0, size: '0', percent: 0 });
    expect(k.groups[3][1]).toMatchObject({ label: 'COMMITTED', of: 'TOTAL LIMIT' });
  });

  it('kmem -s', () => {
    const rows = parseKmemSlabs(crash('kmem-s.txt'))!;
    expect(rows.length).toBe(crash('kmem-s.txt').trim().split('\n').length - 1);
    expect(rows[0]).toEqual({ cache: 'ffff8ab0820d0100', objsize: 128, allocated: 16, total: 21, slabs: 1, ssize: '4k', name: 'bio-128' });
  });

  it('mod, and the module list read from the dump agrees with it', () => {
    const parsed = parseModTable(crash('mod.txt'))!;
    expect(parsed.map((m) => [m.name, m.object])).toEqual([
      ['dummy', '(not loaded)  [CONFIG_KALLSYMS]'],
      ['loop', '(not loaded)  [CONFIG_KALLSYMS]'],
    ]);
    expect(moduleRows(s)).toEqual(parsed.map(({ object: _, ...rest }) => rest));
  });

  it('bt -a: one backtrace per task, frames, exception lines kept with their frame', () => {
    const bts = parseBacktraces(crash('bt-a.txt'));
    expect(bts.map((b) => b.pid)).toEqual([0, 1]);
    expect(bts[0].frames).toHaveLength(13);
    expect(bts[0].frames[3]).toMatchObject({ level: 3, func: 'end_repeat_nmi', sp: 'fffffe000000def0', pc: 'ffffffffa1201680' });
    expect(bts[0].frames[3].extra[0]).toContain('[exception RIP: read_hpet+145]');
    expect(bts[0].frames[3].extra.at(-1)).toBe('--- <NMI exception stack> ---');
    expect(bts[1]).toMatchObject({ task: 'ffff8ab0811fe000', cpu: '1', command: 'init' });
    expect(bts[1].frames[2].func).toBe('panic');
  });

  it('bt -l: the source line is attached to its frame', () => {
    const [bt] = parseBacktraces('PID: 1  TASK: ffff8ab0811fe000  CPU: 1  COMMAND: "init"\n #0 [ffffd18dc0013958] machine_kexec at ffffffffa066c57f\n    /build/arch/x86/kernel/machine_kexec_64.c: 391\n');
    expect(bt.frames[0]).toMatchObject({ func: 'machine_kexec', source: '/build/arch/x86/kernel/machine_kexec_64.c: 391', extra: [] });
  });
});

describe('completion', () => {
  it('symbols by prefix from kallsyms, types from BTF', () => {
    expect(completeSymbols(s, 'init_ta')).toEqual(['init_task']);
    expect(completeSymbols(s, '')).toEqual([]);
    expect(completeTypes(s, 'task_str')[0]).toBe('struct task_struct');
    expect(completeTypes(s, 'struct mm_')).toContain('struct mm_struct');
  });
});

describe('the object explorer', () => {
  it('describes a task: members with values, pointers typed, lists with their entry type', () => {
    const d = describeObject(s, { address: 'ffff8ab082106000', type: 'struct task_struct' });
    expect(d.title).toBe('PID 102 "syslogd"  CPU 1');
    const f = (name: string) => d.fields.find((x) => x.name === name)!;
    expect(f('pid')).toMatchObject({ kind: 'scalar', value: '102' });
    expect(f('comm').kind).toBe('string');
    expect(f('comm').value).toMatch(/^"syslogd\\000/);
    expect(f('parent').pointer).toEqual({ address: 'ffff8ab0811fe000', type: 'struct task_struct', null: false });
    expect(f('mm').pointer?.type).toBe('struct mm_struct');
    expect(f('children').list).toMatchObject({ empty: true, entryType: 'struct task_struct', member: 'sibling' });
    expect(f('se')).toMatchObject({ kind: 'struct', expandable: true });
  });

  it('follows a pointer and expands an embedded struct by path', () => {
    const d = describeObject(s, { address: 'ffff8ab082106000', type: 'struct task_struct' });
    const parent = d.fields.find((x) => x.name === 'parent')!.pointer!;
    const init = describeObject(s, { address: parent.address, type: parent.type! });
    expect(init.title).toBe('PID 1 "init"  CPU 1');
    const mm = init.fields.find((x) => x.name === 'mm')!.pointer!;
    const mmDesc = describeObject(s, { address: mm.address, type: mm.type! });
    expect(mmDesc.type).toBe('struct mm_struct');
    expect(mmDesc.error).toBeUndefined();
    const se = d.fields.find((x) => x.name === 'se')!;
    const inner = describeObject(s, { address: d.address, type: d.type, path: se.path });
    expect(inner.type).toBe('struct sched_entity');
    expect(BigInt(`0x${inner.address}`) - BigInt(`0x${d.address}`)).toBe(BigInt(se.offset));
  });

  it('pages an array', () => {
    const d = describeObject(s, { address: 'ffff8ab0811fe000', type: 'struct task_struct' });
    const links = d.fields.find((x) => x.name === 'pid_links')!;
    const page = describeObject(s, { address: d.address, type: d.type, path: links.path, start: 1, count: 2 });
    expect([page.length, page.start, page.fields.map((x) => x.name)]).toEqual([4, 1, ['[1]', '[2]']]);
  });

  it("lists init's children through their sibling members", () => {
    const d = describeObject(s, { address: 'ffff8ab0811fe000', type: 'struct task_struct' });
    const list = d.fields.find((x) => x.name === 'children')!.list!;
    const page = listPage(s, { head: list.head, kind: 'list', entryType: list.entryType, member: list.member, start: 0, count: 3 });
    const children = crash('ps.txt')
      .split('\n')
      .filter((l) => /^\S?\s+\d+\s+1\s/.test(l));
    expect(page.total).toBe(children.length);
    expect(page.entries.map((e) => e.title)).toEqual(['PID 102 "syslogd"  CPU 1', 'PID 104 "klogd"  CPU 1', 'PID 105 "sleep"  CPU 1']);
    const raw = listPage(s, { head: list.head, kind: 'list', start: 0, count: 1 });
    expect(raw.entries[0]).toEqual({ node: page.entries[0].node });
  });

  it('identifies addresses: a task, a variable, inside a variable, a module', () => {
    expect(identifyAddress(s, 'ffff8ab082106000').candidates.map((c) => c.type)).toEqual(['struct task_struct']);
    const inside = identifyAddress(s, 'ffffffffa201ab00');
    expect(inside.symbol).toBe('init_task+0xc0');
    expect(inside.candidates[0]).toMatchObject({ type: 'struct task_struct', address: 'ffffffffa201aa40' });
    expect(identifyAddress(s, 'ffffffffc024d100').candidates[0]).toMatchObject({ type: 'struct module', why: 'module dummy' });
    expect(identifyAddress(s, '10').readable).toBe(false);
  });

  it('guesses list entries for known lists and same-member lists', () => {
    expect(guessEntries('task_struct', 'children')).toMatchObject({ entryType: 'struct task_struct', member: 'sibling' });
    expect(guessEntries(undefined, 'modules')).toMatchObject({ entryType: 'struct module', member: 'list' });
    expect(guessEntries('inode', 'i_lru')).toMatchObject({ entryType: 'struct inode', member: 'i_lru' });
    expect(guessEntries(undefined, 'whatever')).toEqual({});
  });
});

describe('what an address is', () => {
  it('inside a task: the task and the member', () => {
    const id = identifyAddress(s, 'ffff8ab0811fe990');
    expect(id.candidates[0]).toMatchObject({ type: 'struct task_struct', address: 'ffff8ab0811fe000' });
    expect(id.candidates[0].why).toBe('inside task PID 1 "init": +0x990 (children.next)');
  });

  it("crash's kmem <address> for a slab object, and the cache's type", () => {
    const text = [
      'CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME',
      'ffff8ab081042600     9728         63        66     22    32k  task_struct',
      '  SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE',
      '  ffffe3a444047e00  ffff8ab0811f8000     0      3          3     0',
      '  FREE / [ALLOCATED]',
      '  [ffff8ab0811fe000]',
      '',
    ].join('\n');
    expect(parseKmemObject(text)).toEqual({ cache: 'ffff8ab081042600', name: 'task_struct', object: 'ffff8ab0811fe000' });
    expect(parseKmemObject('kmem: nothing\n')).toBeUndefined();
    const types = new Set(['struct task_struct', 'struct files_struct']);
    expect(slabType('task_struct', (t) => types.has(t))).toBe('struct task_struct');
    expect(slabType('files_cache', (t) => types.has(t))).toBe('struct files_struct');
    expect(slabType('kmalloc-64', (t) => types.has(t))).toBeUndefined();
  });
});

describe('a dump without type information (no BTF, no vmlinux)', () => {
  it('still says what it can about an address; typed requests say why not', () => {
    const tiny = NodeFileSource.open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path);
    try {
      const t = Session.open([tiny]);
      const id = identifyAddress(t, 'ffffffffc02d2000');
      expect(id.readable).toBe(true);
      expect(id.candidates).toEqual([]);
      expect(() => describeObject(t, { address: 'ffffffffc02d2000', type: 'int' })).toThrow(/no type information/);
      expect(() => taskRows(t)).toThrow(/no type information/);
    } finally {
      tiny.close();
    }
  });
});

describe('an object partly outside the dump', () => {
  it('shows what is readable and marks the rest', () => {
    // The first page of the direct map followed by one the filtered dump left out.
    let edge: bigint | undefined;
    const readable = (a: bigint): boolean => {
      try {
        s.kernel.read(kv(a), 1);
        return true;
      } catch {
        return false;
      }
    };
    for (let a = s.kernel.pageOffset + 0x100000n; a < s.kernel.pageOffset + 0x10000000n; a += 4096n) {
      if (readable(a) && !readable(a + 4096n)) {
        edge = a + 4096n;
        break;
      }
    }
    expect(edge).toBeDefined();
    const d = describeObject(s, { address: (edge! - 16n).toString(16), type: 'struct list_head [4]', path: [] });
    expect(d.length).toBe(4);
    const whole = describeObject(s, { address: (edge! - 64n).toString(16), type: 'struct task_struct' });
    expect(whole.error).toMatch(/^part of it is not in the dump: \+0x40\.\./);
    expect(whole.fields[0]).toMatchObject({ name: 'thread_info', offset: 0 });
    expect(whole.fields[0].value).not.toBe('<not in the dump>');
    expect(whole.fields.at(-1)!.value).toBe('<not in the dump>');
  });
});
