// The maple tree walker on nodes built here in the kernel's 64-bit format (include/linux/maple_tree.h:
// 256-byte nodes, 16-slot range_64 / leaf_64, 10-slot arange_64, 31-slot dense), including the quirks of
// crash's walk that vm's output depends on; and the layout read from a real kernel's types.
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/engine/session.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import {
  LAYOUT_64,
  MAPLE_ARANGE_64,
  MAPLE_DENSE,
  MAPLE_LEAF_64,
  MAPLE_RANGE_64,
  MapleReadError,
  encodeNode,
  isNode,
  mapleEntries,
  mapleLayout,
  nodeAddress,
  nodeType,
} from '../../src/kernel/maple-tree.ts';
import { CrashlensError } from '../../src/errors.ts';
import { FakeMemory } from '../symbols/fake-memory.ts';
import { fixture, tinyVmlinux } from '../helpers/fixtures.ts';

const MAX = (1n << 64n) - 1n;
const TREE = 0xffff888000001000n;
const NODES = 0xffff888000100000n;

/** A tree in fake memory: maple_tree at TREE (ma_root at +8), nodes at NODES + 256 * i. */
class Builder {
  readonly mem = new FakeMemory();
  private next = 0;

  constructor() {
    this.root(0n);
  }

  root(entry: bigint): void {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(8, entry, true);
    this.mem.map(TREE, b);
  }

  private node(words: Map<number, bigint>): bigint {
    const addr = NODES + BigInt(this.next++) * 256n;
    const b = new Uint8Array(256);
    const v = new DataView(b.buffer);
    for (const [off, val] of words) v.setBigUint64(off, BigInt.asUintN(64, val), true);
    this.mem.map(addr, b);
    return addr;
  }

  /** A leaf_64 / range_64 node: pivots (up to 15) and slots (up to 16). */
  range(type: number, pivots: bigint[], slots: bigint[]): bigint {
    const w = new Map<number, bigint>();
    pivots.forEach((p, i) => w.set(LAYOUT_64.range64Pivot + i * 8, p));
    slots.forEach((s, i) => w.set(LAYOUT_64.range64Slot + i * 8, s));
    return encodeNode(this.node(w), type);
  }

  /** An arange_64 node: pivots (up to 9) and slots (up to 10). */
  arange(pivots: bigint[], slots: bigint[]): bigint {
    const w = new Map<number, bigint>();
    pivots.forEach((p, i) => w.set(LAYOUT_64.arange64Pivot + i * 8, p));
    slots.forEach((s, i) => w.set(LAYOUT_64.arange64Slot + i * 8, s));
    return encodeNode(this.node(w), MAPLE_ARANGE_64);
  }

  dense(slots: bigint[]): bigint {
    const w = new Map<number, bigint>();
    slots.forEach((s, i) => w.set(LAYOUT_64.denseSlot + i * 8, s));
    return encodeNode(this.node(w), MAPLE_DENSE);
  }

  walk(): ReturnType<typeof mapleEntries> {
    return mapleEntries(this.mem, LAYOUT_64, TREE);
  }
}

const asRoot = (enode: bigint): bigint => enode | 2n;
const vma = (n: number): bigint => 0xffff888000200000n + BigInt(n) * 0x88n;

describe('node pointer encoding', () => {
  it('separates the node address, its type and the internal-entry tag', () => {
    const e = encodeNode(0xffff888012345600n, MAPLE_ARANGE_64, true);
    expect(isNode(e)).toBe(true);
    expect(nodeType(e)).toBe(MAPLE_ARANGE_64);
    expect(nodeAddress(e)).toBe(0xffff888012345600n);
    // A VMA pointer (8-byte aligned) and small internal values are not nodes.
    expect(isNode(vma(1))).toBe(false);
    expect(isNode(0x402n)).toBe(false);
  });
});

describe('mapleEntries', () => {
  it('an empty tree has no entries; a root that is not a node is one entry at 0', () => {
    const b = new Builder();
    expect(b.walk().entries).toEqual([]);
    b.root(vma(1));
    expect(b.walk().entries).toEqual([{ value: vma(1), first: 0n, last: 0n }]);
  });

  it('a single leaf: each non-NULL slot with its range, the first from the node min', () => {
    const b = new Builder();
    // [0, 0x3fffff] empty, vma1, vma2, a gap, then vma3 up to the node max (its pivot is the max).
    const leaf = b.range(MAPLE_LEAF_64, [0x3fffffn, 0x400fffn, 0x584fffn, 0x7ffffffeffffn, MAX], [0n, vma(1), vma(2), 0n, vma(3)]);
    b.root(asRoot(leaf));
    expect(b.walk().entries).toEqual([
      { value: vma(1), first: 0x400000n, last: 0x400fffn },
      { value: vma(2), first: 0x401000n, last: 0x584fffn },
      { value: vma(3), first: 0x7fffffff0000n, last: MAX },
    ]);
  });

  it('stops at a 0 pivot past the first slot, and once a pivot reaches the node max', () => {
    const b = new Builder();
    const leaf = b.range(MAPLE_LEAF_64, [0xfffn, 0x1fffn, MAX], [vma(1), vma(2), vma(3), vma(4)]);
    b.root(asRoot(leaf));
    const got = b.walk().entries;
    expect(got.map((e) => e.value)).toEqual([vma(1), vma(2), vma(3)]);
    expect(got[2]).toEqual({ value: vma(3), first: 0x2000n, last: MAX });
  });

  it('uses the 16th slot of a full leaf, bounded by the node max', () => {
    const b = new Builder();
    const pivots = Array.from({ length: 15 }, (_, i) => BigInt(i + 1) * 0x1000n - 1n);
    const slots = Array.from({ length: 16 }, (_, i) => vma(i + 1));
    b.root(asRoot(b.range(MAPLE_LEAF_64, pivots, slots)));
    const got = b.walk().entries;
    expect(got).toHaveLength(16);
    expect(got[15]).toEqual({ value: vma(16), first: 0xf000n, last: MAX });
  });

  it('walks an arange_64 root (the mm tree) into leaves, each child bounded by its parent pivots', () => {
    const b = new Builder();
    const left = b.range(MAPLE_LEAF_64, [0x3fffffn, 0x400fffn, 0x584fffn], [0n, vma(1), vma(2), 0n]);
    const right = b.range(MAPLE_LEAF_64, [0x7fffa72fcfffn, 0x7fffa731dfffn], [0n, vma(3), 0n]);
    b.root(asRoot(b.arange([0x5fffffn, MAX], [left, right])));
    const got = b.walk();
    expect(got.warnings).toEqual([]);
    expect(got.entries).toEqual([
      { value: vma(1), first: 0x400000n, last: 0x400fffn },
      { value: vma(2), first: 0x401000n, last: 0x584fffn },
      { value: vma(3), first: 0x7fffa72fd000n, last: 0x7fffa731dfffn },
    ]);
  });

  it('walks range_64 internal nodes and skips NULL children', () => {
    const b = new Builder();
    const l1 = b.range(MAPLE_LEAF_64, [0xfffn, 0x1fffn], [vma(1), vma(2)]);
    const l2 = b.range(MAPLE_LEAF_64, [0x3fffn, MAX], [vma(3), vma(4)]);
    b.root(asRoot(b.range(MAPLE_RANGE_64, [0x1fffn, 0x2fffn, MAX], [l1, 0n, l2, 0n])));
    expect(b.walk().entries).toEqual([
      { value: vma(1), first: 0n, last: 0xfffn },
      { value: vma(2), first: 0x1000n, last: 0x1fffn },
      { value: vma(3), first: 0x3000n, last: 0x3fffn },
      { value: vma(4), first: 0x4000n, last: MAX },
    ]);
  });

  it('a node with its 16th slot empty ends after the 15th', () => {
    const b = new Builder();
    const pivots = Array.from({ length: 15 }, (_, i) => BigInt(i + 1) * 0x10n - 1n);
    // A child whose max (0x1000) is not ULONG_MAX: slot 15 is empty, so the walk ends after slot 14.
    const child = b.range(MAPLE_LEAF_64, pivots, Array.from({ length: 15 }, (_, i) => vma(i + 1)));
    b.root(asRoot(b.range(MAPLE_RANGE_64, [0x1000n, MAX], [child, 0n])));
    expect(b.walk().entries).toHaveLength(15);
  });

  it('reports a pivot beyond its node max as crash does, and stops that node', () => {
    const b = new Builder();
    const child = b.range(MAPLE_LEAF_64, [0xfffn, 0x5000n], [vma(1), vma(2), vma(3)]);
    b.root(asRoot(b.arange([0x1fffn, MAX], [child, 0n])));
    const got = b.walk();
    expect(got.entries.map((e) => e.value)).toEqual([vma(1), vma(2)]);
    expect(got.warnings).toEqual([`node ${nodeAddress(child).toString(16)} last (20480) > max (8191) at pivot 1!`]);
  });

  it('lists a dense node slot by slot, one index each', () => {
    const b = new Builder();
    const d = b.dense([vma(1), 0n, vma(3)]);
    b.root(asRoot(d));
    expect(b.walk().entries).toEqual([
      { value: vma(1), first: 0n, last: 0n },
      { value: vma(3), first: 2n, last: 2n },
    ]);
  });

  it('is bounded: a node that points back at itself is an error, not a hang', () => {
    const b = new Builder();
    // Node 0 will be at NODES; make its slot 0 point to itself.
    const self = encodeNode(NODES, MAPLE_RANGE_64);
    const n = b.range(MAPLE_RANGE_64, [MAX], [self]);
    expect(n).toBe(self);
    b.root(asRoot(n));
    expect(() => b.walk()).toThrow(CrashlensError);
  });

  it('a node outside memory is crash\'s read error for that node', () => {
    const b = new Builder();
    b.root(asRoot(encodeNode(0xffff888000900000n, MAPLE_ARANGE_64)));
    expect(() => b.walk()).toThrow(MapleReadError);
    expect(() => b.walk()).toThrow('read error: kernel virtual address: ffff888000900000  type: "mt_dump_node read maple_node"');
  });
});

describe('mapleLayout from a kernel', () => {
  loadWasmNode();
  it('is Linux 6.1 x86-64 on the Debian kernel (BTF) and on the tiny kernel (DWARF)', () => {
    const d = fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump');
    const src = NodeFileSource.open(d.path);
    try {
      expect(mapleLayout(Session.open([src]).program)).toEqual(LAYOUT_64);
    } finally {
      src.close();
    }
    const t = fixture('t-tiny-la57', 'mdf-d31-lzo.kdump');
    const files = [NodeFileSource.open(t.path), NodeFileSource.open(tinyVmlinux())];
    try {
      expect(mapleLayout(Session.open(files).program)).toEqual(LAYOUT_64);
    } finally {
      for (const f of files) f.close();
    }
  });
});
