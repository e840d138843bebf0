// The VMA reader and the user page-table walk on structures built here: VMAs from a maple tree (Linux 6.1+)
// or the mmap list (before), vm_flags at their own size, crash's uvtop on 4- and 5-level tables (1 GiB,
// 2 MiB and 4 KiB pages, PROT_NONE, swap entries), and crash's vm -f names.
import { describe, expect, it } from 'vitest';
import { CrashlensError } from '../../src/errors.ts';
import { LAYOUT_64, MAPLE_ARANGE_64, MAPLE_LEAF_64, encodeNode } from '../../src/kernel/maple-tree.ts';
import { Mm, uvtop, vmFlagNames } from '../../src/kernel/mm.ts';
import { Program } from '../../src/program/program.ts';
import type { CompositeType, Type } from '../../src/types/type.ts';
import { FakeMemory } from '../symbols/fake-memory.ts';

const int = (size: number): Type => ({ kind: 'int', name: size === 8 ? 'unsigned long' : 'unsigned short', size, signed: false, isChar: false, bits: size * 8, bitOffset: 0 });
const ptr: Type = { kind: 'pointer', size: 8, target: { kind: 'void' }, tags: [] };
const arr = (n: number, t: Type = ptr): Type => ({ kind: 'array', element: t, length: n });
function struct(name: string, size: number, members: [string | undefined, number, Type][]): CompositeType {
  return { kind: 'struct', name, size, complete: true, tags: [], members: members.map(([n, off, type]) => ({ name: n, type, bitOffset: off * 8, bitSize: 0, tags: [] })) };
}
const union = (members: [string | undefined, number, Type][]): CompositeType => ({ ...struct('', 256, members), kind: 'union', name: undefined });

const r64 = struct('maple_range_64', 256, [['pivot', 8, arr(15, int(8))], ['slot', 128, arr(16)]]);
const a64 = struct('maple_arange_64', 256, [['pivot', 8, arr(9, int(8))], ['slot', 80, arr(10)]]);
/** Linux 6.1's maple tree types (struct maple_node's members sit in an anonymous union). */
const MAPLE: Record<string, Type> = {
  'struct maple_tree': struct('maple_tree', 16, [['ma_flags', 4, int(4)], ['ma_root', 8, ptr]]),
  'struct maple_node': struct('maple_node', 256, [[undefined, 0, union([['slot', 8, arr(31)], ['mr64', 0, r64], ['ma64', 0, a64]])]]),
  'struct maple_range_64': r64,
  'struct maple_arange_64': a64,
};

function vmaType(flagsSize: number, next: boolean): Type {
  const m: [string | undefined, number, Type][] = [['vm_start', 0, int(8)], ['vm_end', 8, int(8)], ['vm_mm', 64, ptr], ['vm_flags', 80, int(flagsSize)], ['vm_pgoff', 152, int(8)], ['vm_file', 160, ptr]];
  if (next) m.push(['vm_next', 16, ptr]);
  return struct('vm_area_struct', 192, m);
}

function program(mem: FakeMemory, types: Record<string, Type>): Program {
  return new Program(mem, { findType: (s) => types[s] }, { address: () => undefined });
}

function vma(mem: FakeMemory, at: bigint, start: bigint, end: bigint, flags: bigint, next = 0n, flagsSize = 8): void {
  const b = new Uint8Array(192);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, start, true);
  v.setBigUint64(8, end, true);
  v.setBigUint64(16, next, true);
  if (flagsSize === 2) v.setUint16(80, Number(flags), true);
  else v.setBigUint64(80, flags, true);
  mem.map(at, b);
}

const MM = 0xffff888000010000n;
const V = (i: number): bigint => 0xffff888000020000n + BigInt(i) * 0x100n;

describe('Mm.vmaList', () => {
  it('walks mm->mm_mt when the kernel has it and no mm->mmap (v6.1+)', () => {
    const mem = new FakeMemory();
    const types = { ...MAPLE, 'struct mm_struct': struct('mm_struct', 1024, [['mm_mt', 64, MAPLE['struct maple_tree']], ['pgd', 80, ptr]]), 'struct vm_area_struct': vmaType(8, false) };
    const leaf = 0xffff888000030000n;
    const root = 0xffff888000030100n;
    const leafBytes = new Uint8Array(256);
    const lv = new DataView(leafBytes.buffer);
    [0x3fffffn, 0x400fffn, 0x584fffn, (1n << 64n) - 1n].forEach((p, i) => lv.setBigUint64(LAYOUT_64.range64Pivot + i * 8, p, true));
    [0n, V(1), V(2)].forEach((s, i) => lv.setBigUint64(LAYOUT_64.range64Slot + i * 8, s, true));
    mem.map(leaf, leafBytes);
    const rootBytes = new Uint8Array(256);
    const rv = new DataView(rootBytes.buffer);
    rv.setBigUint64(LAYOUT_64.arange64Pivot, (1n << 64n) - 1n, true);
    rv.setBigUint64(LAYOUT_64.arange64Slot, encodeNode(leaf, MAPLE_LEAF_64), true);
    mem.map(root, rootBytes);
    const mmBytes = new Uint8Array(1024);
    new DataView(mmBytes.buffer).setBigUint64(64 + 8, encodeNode(root, MAPLE_ARANGE_64, true), true);
    mem.map(MM, mmBytes);
    vma(mem, V(1), 0x400000n, 0x401000n, 0x8000071n);
    vma(mem, V(2), 0x401000n, 0x585000n, 0x8000075n);
    const mm = new Mm(program(mem, types));
    expect(mm.usesMapleTree()).toBe(true);
    expect(mm.vmaList(MM)).toEqual({ vmas: [V(1), V(2)], warnings: [] });
    expect(mm.readVma(V(2))).toMatchObject({ start: 0x401000n, end: 0x585000n, flags: 0x8000075n, file: 0n });
  });

  it('follows mm->mmap and vm_next before v6.1, reading a 16-bit vm_flags at its size', () => {
    const mem = new FakeMemory();
    const types = { 'struct mm_struct': struct('mm_struct', 512, [['mmap', 0, ptr], ['pgd', 80, ptr]]), 'struct vm_area_struct': vmaType(2, true) };
    const mmBytes = new Uint8Array(512);
    new DataView(mmBytes.buffer).setBigUint64(0, V(1), true);
    mem.map(MM, mmBytes);
    vma(mem, V(1), 0x1000n, 0x2000n, 0xffffn, V(2), 2);
    vma(mem, V(2), 0x3000n, 0x4000n, 0x73n, 0n, 2);
    const mm = new Mm(program(mem, types));
    expect(mm.usesMapleTree()).toBe(false);
    expect(mm.vmaList(MM).vmas).toEqual([V(1), V(2)]);
    expect(mm.readVma(V(1)).flags).toBe(0xffffn);
  });

  it('a VMA that cannot be read is crash\'s fill_vma_cache read error', () => {
    const mem = new FakeMemory();
    const types = { 'struct mm_struct': struct('mm_struct', 512, [['mmap', 0, ptr]]), 'struct vm_area_struct': vmaType(8, true) };
    const mmBytes = new Uint8Array(512);
    new DataView(mmBytes.buffer).setBigUint64(0, V(9), true);
    mem.map(MM, mmBytes);
    expect(() => new Mm(program(mem, types)).vmaList(MM)).toThrow(`type: "fill_vma_cache"`);
  });
});

/** Physical memory of page tables: page address → 512 entries. */
class Tables {
  private readonly pages = new Map<bigint, BigUint64Array>();
  set(table: bigint, index: bigint, entry: bigint): void {
    let p = this.pages.get(table);
    if (!p) this.pages.set(table, (p = new BigUint64Array(512)));
    p[Number(index)] = entry;
  }
  read(addr: bigint, length: number): Uint8Array {
    const page = addr & ~0xfffn;
    const p = this.pages.get(page);
    if (!p) throw new CrashlensError(`no page ${page.toString(16)}`);
    const b = new Uint8Array(p.buffer);
    const off = Number(addr - page);
    return b.slice(off, off + length);
  }
}

const P = 0x1n;
const PSE = 0x80n;
const PROTNONE = 0x100n;
const NX = 1n << 63n;
const idx = (v: bigint, shift: bigint): bigint => (v >> shift) & 511n;

describe('uvtop (crash x86_64_uvtop_level4)', () => {
  const va = 0x7fffa72fd123n;
  it('4-level: a 4 KiB page, its offset kept and NX masked off', () => {
    const t = new Tables();
    t.set(0x1000n, idx(va, 39n), 0x2000n | P);
    t.set(0x2000n, idx(va, 30n), 0x3000n | P);
    t.set(0x3000n, idx(va, 21n), 0x4000n | P);
    t.set(0x4000n, idx(va, 12n), NX | 0x61f4000n | P | 0x60n);
    expect(uvtop(t, 0x1000n, 4, va)).toEqual({ phys: 0x61f4123n });
  });

  it('4-level: 1 GiB and 2 MiB pages', () => {
    const t = new Tables();
    t.set(0x1000n, idx(va, 39n), 0x2000n | P);
    t.set(0x2000n, idx(va, 30n), 0x40000000n | P | PSE);
    expect(uvtop(t, 0x1000n, 4, va)).toEqual({ phys: 0x40000000n + (va & 0x3fffffffn) });
    t.set(0x2000n, idx(va, 30n), 0x3000n | P);
    t.set(0x3000n, idx(va, 21n), 0x800000n | P | PSE);
    expect(uvtop(t, 0x1000n, 4, va)).toEqual({ phys: 0x800000n + (va & 0x1fffffn) });
  });

  it('a PROT_NONE pte maps; a non-present one is returned for the swap lookup; an absent table is unmapped', () => {
    const t = new Tables();
    t.set(0x1000n, idx(va, 39n), 0x2000n | P);
    t.set(0x2000n, idx(va, 30n), 0x3000n | P);
    t.set(0x3000n, idx(va, 21n), 0x4000n | P);
    t.set(0x4000n, idx(va, 12n), 0x5000n | PROTNONE);
    expect(uvtop(t, 0x1000n, 4, va)).toEqual({ phys: 0x5123n });
    t.set(0x4000n, idx(va, 12n), 0x1234600n);
    expect(uvtop(t, 0x1000n, 4, va)).toEqual({ pte: 0x1234600n });
    t.set(0x4000n, idx(va, 12n), 0n);
    expect(uvtop(t, 0x1000n, 4, va)).toEqual({ pte: 0n });
    t.set(0x2000n, idx(va, 30n), 0n);
    expect(uvtop(t, 0x1000n, 4, va)).toEqual({});
  });

  it('5-level: the top index from bits 48-56, then the p4d', () => {
    const v5 = 0x00ff7fffa72fd123n;
    const t = new Tables();
    t.set(0x1000n, idx(v5, 48n), 0x3000n | P);
    t.set(0x3000n, idx(v5, 39n), 0x2000n | P);
    t.set(0x2000n, idx(v5, 30n), 0x4000n | P);
    t.set(0x4000n, idx(v5, 21n), 0x5000n | P);
    t.set(0x5000n, idx(v5, 12n), 0xbfae000n | P);
    expect(uvtop(t, 0x1000n, 5, v5)).toEqual({ phys: 0xbfae123n });
  });

  it('a page-table page missing from the dump is crash\'s physical read error for that page', () => {
    const t = new Tables();
    t.set(0x1000n, idx(va, 39n), 0x9000n | P);
    expect(() => uvtop(t, 0x1000n, 4, va)).toThrow('read error: physical address: 9000  type: "pud page"');
  });
});

describe('vmFlagNames (crash do_vm_flags)', () => {
  const x86 = { growsUp: false, hugePage: true };
  it('names the bits as crash 8.0.6 does on x86-64', () => {
    expect(vmFlagNames(0x8100073n, x86).join('|')).toBe('READ|WRITE|MAYREAD|MAYWRITE|MAYEXEC|ACCOUNT|CAN_NONLINEAR');
    expect(vmFlagNames(0xc044411n, x86).join('|')).toBe('READ|MAYREAD|PFNMAP|IO|DONTEXPAND|ALWAYSDUMP|CAN_NONLINEAR');
    expect(vmFlagNames(0x4044411n, x86).join('|')).toBe('READ|MAYREAD|PFNMAP|IO|DONTEXPAND|ALWAYSDUMP');
    expect(vmFlagNames(0n, x86)).toEqual([]);
  });
  it('0x200 is GROWSUP where the kernel has expand_upwards, else NOHUGEPAGE; 0x1000000 HUGEPAGE or MAPPED_COPY', () => {
    expect(vmFlagNames(0x200n, x86)).toEqual(['NOHUGEPAGE']);
    expect(vmFlagNames(0x200n, { growsUp: true, hugePage: true })).toEqual(['GROWSUP']);
    expect(vmFlagNames(0x1000000n, x86)).toEqual(['HUGEPAGE']);
    expect(vmFlagNames(0x1000000n, { growsUp: false, hugePage: false })).toEqual(['MAPPED_COPY']);
    // HUGETLB is named before ACCOUNT, as crash prints them.
    expect(vmFlagNames(0x500000n, x86)).toEqual(['HUGETLB', 'ACCOUNT']);
  });
});
