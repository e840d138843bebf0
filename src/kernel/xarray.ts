// A bounded walker over a kernel xarray (lib/xarray.c; the radix tree became a thin layer over it in Linux
// commit f8d5d0cc145c "xarray: Add definition of struct xarray", v4.20, so a `struct radix_tree_root` is a
// `struct xarray` since): every present entry with its index, in index order, as crash's do_xarray() lists
// them (irq_desc_tree, request_queue.hctx_table, ...).
//
// The format (include/linux/xarray.h): xarray.xa_head holds either the only entry (index 0) or a pointer to
// a struct xa_node tagged "internal" (low bits 0b10). A node covers XA_CHUNK_SIZE slots; its `shift` says
// how many index bits lie below it (0 for a leaf). XA_CHUNK_SHIFT is 6 on most kernels but 4 with
// CONFIG_BASE_SMALL, so it is read from the kernel's own type: the length of xa_node.slots[].
import { hex, kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import { CrashlensError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import { findMember, strip } from '../types/type.ts';

/** Bounds on a walk of a damaged tree. */
export const MAX_XA_NODES = 1 << 16;
export const MAX_XA_ENTRIES = 1 << 20;

const TAG_MASK = 3n;
const TAG_INTERNAL = 2n;

/** Where the walker finds things in struct xarray / xa_node, from the kernel's types. */
export interface XaLayout {
  /** xarray.xa_head */
  head: number;
  /** xa_node.shift (an unsigned char) */
  shift: number;
  /** xa_node.slots */
  slots: number;
  /** log2 of the length of xa_node.slots[]: XA_CHUNK_SHIFT. */
  chunkShift: number;
}

export interface XaEntry {
  index: bigint;
  /** The slot's contents (for irq_desc_tree, a struct irq_desc address). */
  value: bigint;
}

export class XarrayError extends CrashlensError {
  override name = 'XarrayError';
}

/** The layout of this kernel's xarray, or undefined when it has none (before v4.20). */
export function xarrayLayout(prog: Program): XaLayout | undefined {
  const xa = prog.tryType('struct xarray');
  const node = prog.tryType('struct xa_node');
  if (!xa || !node) return undefined;
  const head = findMember(xa, 'xa_head');
  const shift = findMember(node, 'shift');
  const slots = findMember(node, 'slots');
  if (!head || !shift || !slots) return undefined;
  const t = strip(slots.member.type);
  if (t.kind !== 'array' || t.length <= 0 || (t.length & (t.length - 1)) !== 0) return undefined;
  return { head: head.bitOffset / 8, shift: shift.bitOffset / 8, slots: slots.bitOffset / 8, chunkShift: Math.log2(t.length) };
}

/**
 * The entries of the xarray at `root` (the address of a struct xarray), in index order. NULL slots are
 * skipped. A node seen twice stops the walk with crash's "duplicate tree node" error, as does a tree
 * deeper than an index can be.
 */
export function xarrayEntries(mem: KernelMemory, layout: XaLayout, root: bigint): XaEntry[] {
  const out: XaEntry[] = [];
  const head = mem.readU64(kv(root + BigInt(layout.head)));
  if (head === 0n) return out;
  if ((head & TAG_MASK) !== TAG_INTERNAL) {
    out.push({ index: 0n, value: head });
    return out;
  }
  const size = 1 << layout.chunkShift;
  const seen = new Set<bigint>();
  const walk = (node: bigint, height: number, base: bigint): void => {
    if (seen.has(node)) throw new XarrayError(`duplicate tree node: ${hex(node)}`);
    if (seen.size >= MAX_XA_NODES) throw new XarrayError(`xarray at ${hex(root)}: more than ${MAX_XA_NODES} nodes`);
    seen.add(node);
    const shift = BigInt((height - 1) * layout.chunkShift);
    const slots = mem.read(kv(node + BigInt(layout.slots)), size * 8);
    const dv = new DataView(slots.buffer, slots.byteOffset, slots.byteLength);
    for (let off = 0; off < size; off++) {
      let slot = dv.getBigUint64(off * 8, true);
      if (slot === 0n) continue;
      const index = base | (BigInt(off) << shift);
      const internal = (slot & TAG_MASK) === TAG_INTERNAL;
      if (height > 1 && internal) {
        walk(slot & ~TAG_MASK, height - 1, index);
        continue;
      }
      // As crash does, a leaf's internal entries (sibling, retry) are given with the tag cleared.
      if (internal) slot &= ~TAG_INTERNAL;
      if (out.length >= MAX_XA_ENTRIES) throw new XarrayError(`xarray at ${hex(root)}: more than ${MAX_XA_ENTRIES} entries`);
      out.push({ index, value: slot });
    }
  };
  const top = head & ~TAG_MASK;
  const height = Math.floor(mem.readU8(kv(top + BigInt(layout.shift))) / layout.chunkShift) + 1;
  if ((height - 1) * layout.chunkShift >= 64) throw new XarrayError(`xarray at ${hex(root)}: node ${hex(top)} has impossible shift`);
  walk(top, height, 0n);
  return out;
}

/** The entry at `index`, or undefined. */
export function xarrayLoad(mem: KernelMemory, layout: XaLayout, root: bigint, index: bigint): bigint | undefined {
  return xarrayEntries(mem, layout, root).find((e) => e.index === index)?.value;
}
