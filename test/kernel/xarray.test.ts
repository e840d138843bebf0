// The xarray walker on trees built in code, with 16-slot nodes (CONFIG_BASE_SMALL, XA_CHUNK_SHIFT 4, as the
// tiny kernel has) and 64-slot nodes (XA_CHUNK_SHIFT 6, Debian's), and the chunk shift read from real kernels'
// types: 16 on the tiny kernel (DWARF), 64 on Debian's (BTF).
import { describe, expect, it } from 'vitest';
import { type XaLayout, XarrayError, xarrayEntries, xarrayLayout, xarrayLoad } from '../../src/kernel/xarray.ts';
import { FakeMemory, le64 } from '../symbols/fake-memory.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openSession } from '../helpers/sessions.ts';

/** struct xarray { spinlock_t xa_lock; gfp_t xa_flags; void *xa_head; } and struct xa_node's shift / slots. */
const layout = (chunkShift: number): XaLayout => ({ head: 8, shift: 0, slots: 40, chunkShift });
const INTERNAL = 2n;
const ROOT = 0xffff888000001000n;

/** Builds an xarray in fake memory: `nodes` maps a node address to its shift and slot values. */
function build(chunkShift: number, head: bigint, nodes: Map<bigint, { shift: number; slots: Map<number, bigint> }>): FakeMemory {
  const mem = new FakeMemory();
  mem.map(ROOT, le64([0n, head]));
  const size = 1 << chunkShift;
  for (const [addr, n] of nodes) {
    const bytes = new Uint8Array(40 + size * 8);
    bytes[0] = n.shift;
    const slots = le64([...Array(size).keys()].map((i) => n.slots.get(i) ?? 0n));
    bytes.set(slots, 40);
    mem.map(addr, bytes);
  }
  return mem;
}

const N1 = 0xffff888000100000n;
const N2 = 0xffff888000200000n;
const N3 = 0xffff888000300000n;

describe.each([4, 6])('xarray with %i-bit chunks', (chunkShift) => {
  const size = 1 << chunkShift;

  it('is empty when xa_head is NULL', () => {
    expect(xarrayEntries(build(chunkShift, 0n, new Map()), layout(chunkShift), ROOT)).toEqual([]);
  });

  it('holds a lone entry at index 0 in xa_head itself', () => {
    const e = 0xffff888012345600n;
    expect(xarrayEntries(build(chunkShift, e, new Map()), layout(chunkShift), ROOT)).toEqual([{ index: 0n, value: e }]);
  });

  it('walks a single leaf node', () => {
    const nodes = new Map([[N1, { shift: 0, slots: new Map([[0, 0xaa0n], [3, 0xbb0n], [size - 1, 0xcc0n]]) }]]);
    const got = xarrayEntries(build(chunkShift, N1 | INTERNAL, nodes), layout(chunkShift), ROOT);
    expect(got).toEqual([
      { index: 0n, value: 0xaa0n },
      { index: 3n, value: 0xbb0n },
      { index: BigInt(size - 1), value: 0xcc0n },
    ]);
  });

  it('gives each leaf slot the index its path spells, chunk by chunk', () => {
    const nodes = new Map([
      [N1, { shift: chunkShift, slots: new Map([[0, N2 | INTERNAL], [3, N3 | INTERNAL]]) }],
      [N2, { shift: 0, slots: new Map([[1, 0x1000n]]) }],
      [N3, { shift: 0, slots: new Map([[5, 0x2000n], [size - 1, 0x3000n]]) }],
    ]);
    const mem = build(chunkShift, N1 | INTERNAL, nodes);
    const got = xarrayEntries(mem, layout(chunkShift), ROOT);
    expect(got).toEqual([
      { index: 1n, value: 0x1000n },
      { index: BigInt(3 * size + 5), value: 0x2000n },
      { index: BigInt(3 * size + size - 1), value: 0x3000n },
    ]);
    expect(xarrayLoad(mem, layout(chunkShift), ROOT, BigInt(3 * size + 5))).toBe(0x2000n);
    expect(xarrayLoad(mem, layout(chunkShift), ROOT, 2n)).toBeUndefined();
  });

  it('gives a leaf internal entry (sibling, retry) with its tag cleared, as crash does', () => {
    const nodes = new Map([[N1, { shift: 0, slots: new Map([[0, 0x5000n], [1, (0n << 2n) | INTERNAL]]) }]]);
    const got = xarrayEntries(build(chunkShift, N1 | INTERNAL, nodes), layout(chunkShift), ROOT);
    // A sibling of slot 0 (xa_mk_sibling(0)) reads as 0 once untagged, listed like any entry.
    expect(got).toEqual([
      { index: 0n, value: 0x5000n },
      { index: 1n, value: 0n },
    ]);
    const retry = new Map([[N1, { shift: 0, slots: new Map([[2, 0x100n | INTERNAL]]) }]]);
    expect(xarrayEntries(build(chunkShift, N1 | INTERNAL, retry), layout(chunkShift), ROOT)).toEqual([{ index: 2n, value: 0x100n }]);
  });

  it('stops at a node it has seen before', () => {
    const nodes = new Map([
      [N1, { shift: 2 * chunkShift, slots: new Map([[0, N2 | INTERNAL]]) }],
      [N2, { shift: chunkShift, slots: new Map([[0, N2 | INTERNAL]]) }],
    ]);
    expect(() => xarrayEntries(build(chunkShift, N1 | INTERNAL, nodes), layout(chunkShift), ROOT)).toThrow(XarrayError);
  });
});

it('the same tree read with the wrong chunk size names other indices: the shift must come from the kernel', () => {
  const nodes = new Map([
    [N1, { shift: 4, slots: new Map([[3, N3 | INTERNAL]]) }],
    [N3, { shift: 0, slots: new Map([[5, 0x2000n]]) }],
  ]);
  const mem16 = build(4, N1 | INTERNAL, nodes);
  expect(xarrayEntries(mem16, layout(4), ROOT)).toEqual([{ index: 53n, value: 0x2000n }]);
});

describe('XA_CHUNK_SHIFT from the kernel types', () => {
  it('is 4 on the tiny kernel (CONFIG_BASE_SMALL: 16-slot xa_node)', () => {
    const s = openSession(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
    expect(xarrayLayout(s.program)?.chunkShift).toBe(4);
    // Its irq_desc_tree walks to the descriptors crash lists (irq.txt): 16 IRQs, 0..15.
    const entries = xarrayEntries(s.program.memory, xarrayLayout(s.program)!, s.program.symbolAddress('irq_desc_tree'));
    expect(entries.map((e) => Number(e.index))).toEqual([...Array(16).keys()]);
    expect(entries[0].value).toBe(0xff2d6b9b80141200n);
  });

  it("is 6 on Debian's kernel (64-slot xa_node), from its BTF", () => {
    const s = openSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf');
    expect(xarrayLayout(s.program)?.chunkShift).toBe(6);
    const entries = xarrayEntries(s.program.memory, xarrayLayout(s.program)!, s.program.symbolAddress('irq_desc_tree'));
    expect(entries.find((e) => e.index === 4n)?.value).toBe(0xffff88cb41158c00n);
  });
});
