// A bounded walker over a kernel maple tree (lib/maple_tree.c, Linux commit 54a611b60590 "Maple Tree: add new
// data structure", v6.1): every non-NULL entry with the range it covers, in index order, walked exactly as
// crash's maple_tree.c do_maple_tree() walks it (so `vm` lists the same VMAs crash lists).
//
// The format (include/linux/maple_tree.h): maple_tree.ma_root holds either a single entry (for index 0) or
// an encoded node pointer: the 256-byte-aligned struct maple_node address, the node type in bits 3-6
// (maple_dense, maple_leaf_64, maple_range_64, maple_arange_64) and the xarray "internal" tag 0b10, so
// xa_is_node() tells them apart. A range node has pivots (each slot's inclusive upper bound) and slots; the
// last slot's bound is the node's max; a 0 pivot past the first ends the node. A dense node holds one entry
// per index. The slot and pivot counts are read from the kernel's own types (MAPLE_NODE_SLOTS,
// MAPLE_RANGE64_SLOTS, MAPLE_ARANGE64_SLOTS depend on the word size).
import { hex, kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import { CrashlensError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import { type Type, findMember, sizeOf, strip } from '../types/type.ts';

export const MAPLE_DENSE = 0;
export const MAPLE_LEAF_64 = 1;
export const MAPLE_RANGE_64 = 2;
export const MAPLE_ARANGE_64 = 3;

const MAPLE_NODE_MASK = 0xffn;
const MAPLE_NODE_TYPE_SHIFT = 3n;
const MAPLE_NODE_TYPE_MASK = 0xfn;
const ULONG_MAX = (1n << 64n) - 1n;

/** Deeper than MAPLE_HEIGHT_MAX (31) is a corrupt tree, not a kernel's. */
const MAX_DEPTH = 31;
/** Bounds on a walk of a damaged tree: nodes read and entries given. */
export const MAX_MAPLE_NODES = 1 << 16;
export const MAX_MAPLE_ENTRIES = 1 << 20;

/** Where the walker finds things in struct maple_tree / maple_node, from the kernel's types. */
export interface MapleLayout {
  /** maple_tree.ma_root */
  root: number;
  /** sizeof(struct maple_node) */
  nodeSize: number;
  /** maple_node.slot (dense nodes) and its length (MAPLE_NODE_SLOTS). */
  denseSlot: number;
  denseSlots: number;
  /** maple_node.mr64 + maple_range_64.pivot / .slot, and MAPLE_RANGE64_SLOTS. */
  range64Pivot: number;
  range64Slot: number;
  range64Slots: number;
  /** maple_node.ma64 + maple_arange_64.pivot / .slot, and MAPLE_ARANGE64_SLOTS. */
  arange64Pivot: number;
  arange64Slot: number;
  arange64Slots: number;
}

export interface MapleWalk {
  entries: MapleEntry[];
  /** crash's complaints about a damaged tree, in the order it prints them. */
  warnings: string[];
}

export interface MapleEntry {
  /** The entry (for the VMA tree, a struct vm_area_struct address). */
  value: bigint;
  /** The range of indices it covers. */
  first: bigint;
  last: bigint;
}

/** A node or the tree root could not be read. */
export class MapleReadError extends CrashlensError {
  override name = 'MapleReadError';
  constructor(
    readonly address: bigint,
    /** crash's readmem() type string for this read. */
    readonly what: string,
    cause: unknown,
  ) {
    super(`read error: kernel virtual address: ${hex(address)}  type: "${what}"`, { cause });
  }
}

function arrayLength(t: Type): number {
  const s = strip(t);
  return s.kind === 'array' ? s.length : 0;
}

function member(t: Type, name: string, what: string): { offset: number; type: Type } {
  const hit = findMember(t, name);
  if (!hit) throw new CrashlensError(`${what} has no member ${name}`);
  return { offset: hit.bitOffset / 8, type: hit.member.type };
}

/** The layout of this kernel's maple tree types; undefined when it has none (before v6.1). */
export function mapleLayout(prog: Program): MapleLayout | undefined {
  const tree = prog.tryType('struct maple_tree');
  const node = prog.tryType('struct maple_node');
  const r64 = prog.tryType('struct maple_range_64');
  const a64 = prog.tryType('struct maple_arange_64');
  if (!tree || !node || !r64 || !a64) return undefined;
  const slot = member(node, 'slot', 'maple_node');
  const mr64 = member(node, 'mr64', 'maple_node').offset;
  const ma64 = member(node, 'ma64', 'maple_node').offset;
  const rPivot = member(r64, 'pivot', 'maple_range_64');
  const rSlot = member(r64, 'slot', 'maple_range_64');
  const aPivot = member(a64, 'pivot', 'maple_arange_64');
  const aSlot = member(a64, 'slot', 'maple_arange_64');
  return {
    root: member(tree, 'ma_root', 'maple_tree').offset,
    nodeSize: sizeOf(node) ?? 256,
    denseSlot: slot.offset,
    denseSlots: arrayLength(slot.type),
    range64Pivot: mr64 + rPivot.offset,
    range64Slot: mr64 + rSlot.offset,
    range64Slots: arrayLength(rSlot.type),
    arange64Pivot: ma64 + aPivot.offset,
    arange64Slot: ma64 + aSlot.offset,
    arange64Slots: arrayLength(aSlot.type),
  };
}

/** The layout of Linux 6.1 on a 64-bit machine (what the kernel's headers give), for tests and defaults. */
export const LAYOUT_64: MapleLayout = {
  root: 8,
  nodeSize: 256,
  denseSlot: 8,
  denseSlots: 31,
  range64Pivot: 8,
  range64Slot: 8 + 15 * 8,
  range64Slots: 16,
  arange64Pivot: 8,
  arange64Slot: 8 + 9 * 8,
  arange64Slots: 10,
};

/** xa_is_node(): an internal entry (low bits 0b10) above the reserved range. */
export function isNode(entry: bigint): boolean {
  return (entry & 3n) === 2n && entry > 4096n;
}

export function nodeType(enode: bigint): number {
  return Number((enode >> MAPLE_NODE_TYPE_SHIFT) & MAPLE_NODE_TYPE_MASK);
}

export function nodeAddress(enode: bigint): bigint {
  return enode & ~MAPLE_NODE_MASK;
}

/** The kernel's maple tree encoding of a node pointer (mt_mk_node(); the root adds MAPLE_ROOT_NODE). */
export function encodeNode(node: bigint, type: number, root = false): bigint {
  return node | (BigInt(type) << MAPLE_NODE_TYPE_SHIFT) | 4n | (root ? 2n : 0n);
}

class Walk {
  private nodes = 0;
  readonly out: MapleEntry[] = [];
  /** What crash prints in the middle of a walk of a damaged tree (a pivot past the node's max...). */
  readonly warnings: string[] = [];

  constructor(
    private readonly mem: KernelMemory,
    private readonly L: MapleLayout,
  ) {}

  private read(node: bigint, what: string): DataView {
    if (++this.nodes > MAX_MAPLE_NODES) throw new CrashlensError(`maple tree: more than ${MAX_MAPLE_NODES} nodes: corrupt tree?`);
    let b: Uint8Array;
    try {
      b = this.mem.read(kv(node), this.L.nodeSize);
    } catch (e) {
      if (e instanceof CrashlensError) throw new MapleReadError(node, what, e);
      throw e;
    }
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  entry(value: bigint, first: bigint, last: bigint): void {
    if (value === 0n) return;
    if (this.out.length >= MAX_MAPLE_ENTRIES) throw new CrashlensError(`maple tree: more than ${MAX_MAPLE_ENTRIES} entries: corrupt tree?`);
    this.out.push({ value, first, last });
  }

  node(enode: bigint, min: bigint, max: bigint, depth: number): void {
    if (depth > MAX_DEPTH) throw new CrashlensError(`maple tree deeper than ${MAX_DEPTH} levels at node ${hex(nodeAddress(enode))}: corrupt tree?`);
    // crash reads every node once here before looking at its type, so this read names a failure.
    const v = this.read(nodeAddress(enode), 'mt_dump_node read maple_node');
    switch (nodeType(enode)) {
      case MAPLE_DENSE:
        for (let i = 0; i < this.L.denseSlots; i++) {
          const at = min + BigInt(i);
          if (at > max) this.warnings.push('OUT OF RANGE: ');
          this.entry(v.getBigUint64(this.L.denseSlot + i * 8, true), at, at);
        }
        return;
      case MAPLE_LEAF_64:
      case MAPLE_RANGE_64:
        this.ranged(v, enode, min, max, depth, this.L.range64Pivot, this.L.range64Slot, this.L.range64Slots, false);
        return;
      case MAPLE_ARANGE_64:
        this.ranged(v, enode, min, max, depth, this.L.arange64Pivot, this.L.arange64Slot, this.L.arange64Slots, true);
        return;
      default:
        this.warnings.push(' UNKNOWN TYPE');
    }
  }

  /**
   * A range node: slot i covers [first, pivot[i]]; the last slot (which has no pivot) ends at the node's
   * max. As crash does, the walk stops at an empty last slot (for range_64 nodes only when the node's max is
   * not ULONG_MAX), at a 0 pivot past the first slot, and once a slot reaches the node's max.
   */
  private ranged(v: DataView, enode: bigint, min: bigint, max: bigint, depth: number, pivotOff: number, slotOff: number, slots: number, arange: boolean): void {
    const leaf = nodeType(enode) < MAPLE_RANGE_64;
    const slot = (i: number): bigint => v.getBigUint64(slotOff + i * 8, true);
    let first = min;
    for (let i = 0; i < slots; i++) {
      let last = max;
      if (i < slots - 1) last = v.getBigUint64(pivotOff + i * 8, true);
      else if (slot(i) === 0n && (arange || max !== ULONG_MAX)) break;
      if (last === 0n && i > 0) break;
      if (leaf) this.entry(slot(i), first, last);
      else if (slot(i) !== 0n) this.node(slot(i), first, last, depth + 1);
      if (last === max) break;
      if (last > max) {
        this.warnings.push(`node ${hex(nodeAddress(enode))} last (${last}) > max (${max}) at pivot ${i}!`);
        break;
      }
      first = last + 1n;
    }
  }
}

/**
 * Every non-NULL entry of the maple tree at `tree` (a struct maple_tree address), in index order, as crash's
 * do_maple_tree(MAPLE_TREE_GATHER) returns them. A root that is not a node is one entry at index 0.
 */
export function mapleEntries(mem: KernelMemory, layout: MapleLayout, tree: bigint): MapleWalk {
  let root: bigint;
  try {
    root = mem.readU64(kv(tree + BigInt(layout.root)));
  } catch (e) {
    if (e instanceof CrashlensError) throw new MapleReadError(tree, 'mt_dump read maple_tree', e);
    throw e;
  }
  const w = new Walk(mem, layout);
  if (!isNode(root)) w.entry(root, 0n, 0n);
  else w.node(root, 0n, nodeType(root) === MAPLE_DENSE ? BigInt(layout.denseSlots) : ULONG_MAX, 0);
  return { entries: w.out, warnings: w.warnings };
}
