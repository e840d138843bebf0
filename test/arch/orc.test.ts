// ORC tables built in code: crash 8.0.6's orc_find() lookup (256-byte blocks from _stext, a binary search
// for the last entry at or below the address), module tables, and the entry bit layouts of 6.1, 6.3, 6.4.
import { describe, expect, it } from 'vitest';
import { OrcTable, decodeOrcEntry, orcTypeCall, type OrcEntry } from '../../src/arch/orc.ts';
import { FakeMemory, le32 } from '../symbols/fake-memory.ts';

const TEXT = 0xffffffff81000000n;
const TEXT_END = TEXT + 0x1000n;
const IP_TABLE = 0xffffffff82000000n;
const UNWIND = 0xffffffff82100000n;
const LOOKUP = 0xffffffff82200000n;
const MODULES = { start: 0xffffffffc0000000n, end: 0xffffffffff000000n };
const L61 = { hasSignal: false, hasEnd: true };

/** 6.1's packed orc_entry: s16 sp_offset, s16 bp_offset, sp_reg:4 bp_reg:4 type:2 end:1. */
function entry(spOffset: number, bpOffset: number, spReg: number, bpReg: number, type: number, end = 0): Uint8Array {
  const b = new Uint8Array(6);
  const v = new DataView(b.buffer);
  v.setInt16(0, spOffset, true);
  v.setInt16(2, bpOffset, true);
  b[4] = spReg | (bpReg << 4);
  b[5] = type | (end << 2);
  return b;
}

/** Lays out ip/unwind tables for `ips` (ascending) at `ipAt`/`unwindAt`; entry i gets sp_offset 8 * (i + 1). */
function tables(mem: FakeMemory, ips: bigint[], ipAt: bigint, unwindAt: bigint): void {
  mem.map(ipAt, le32(ips.map((ip, i) => Number(BigInt.asIntN(32, ip - (ipAt + BigInt(i) * 4n))))));
  const u = new Uint8Array(ips.length * 6);
  ips.forEach((_, i) => u.set(entry(8 * (i + 1), 0, 5, 0, 0), i * 6));
  mem.map(unwindAt, u);
}

function kernelTable(ips: bigint[], numBlocks?: number): { mem: FakeMemory; orc: OrcTable } {
  const mem = new FakeMemory();
  tables(mem, ips, IP_TABLE, UNWIND);
  // orc_lookup[b]: the last entry at or below block b's start (what unwind_orc.c's orc_init computes).
  const blocks = Number((TEXT_END - TEXT) / 256n);
  const lookup: number[] = [];
  for (let b = 0; b <= blocks; b++) {
    const start = TEXT + BigInt(b) * 256n;
    let idx = 0;
    ips.forEach((ip, i) => {
      if (ip <= start) idx = i;
    });
    lookup.push(idx);
  }
  mem.map(LOOKUP, le32(lookup));
  const sym: Record<string, bigint> = {
    lookup_num_blocks: 0xffffffff82300000n,
    __start_orc_unwind_ip: IP_TABLE,
    __stop_orc_unwind_ip: IP_TABLE + BigInt(ips.length * 4),
    __start_orc_unwind: UNWIND,
    __stop_orc_unwind: UNWIND + BigInt(ips.length * 6),
    orc_lookup: LOOKUP,
    _stext: TEXT,
    _etext: TEXT_END,
  };
  mem.map(sym.lookup_num_blocks, le32([numBlocks ?? blocks + 1]));
  const modIps = [0xffffffffc0001000n, 0xffffffffc0001020n];
  tables(mem, modIps, 0xffffffffc0100000n, 0xffffffffc0200000n);
  const orc = OrcTable.fromMemory(mem, (n) => sym[n], L61, MODULES, (ip) =>
    ip >= 0xffffffffc0000000n && ip < 0xffffffffc0300000n ? { numOrcs: 2, ip: 0xffffffffc0100000n, unwind: 0xffffffffc0200000n } : undefined,
  )!;
  return { mem, orc };
}

const spOffsetOf = (e: OrcEntry | string): number | string => (typeof e === 'string' ? e : e.spOffset);

describe('OrcTable.find (crash orc_find)', () => {
  const ips = [TEXT, TEXT + 0x10n, TEXT + 0x40n, TEXT + 0x100n, TEXT + 0x180n, TEXT + 0x300n, TEXT + 0x8f0n];
  const { orc } = kernelTable(ips);

  it('takes the last entry at or below the address', () => {
    expect(spOffsetOf(orc.find(TEXT))).toBe(8);
    expect(spOffsetOf(orc.find(TEXT + 0x3fn))).toBe(16);
    expect(spOffsetOf(orc.find(TEXT + 0x40n))).toBe(24);
    expect(spOffsetOf(orc.find(TEXT + 0x17fn))).toBe(32);
    expect(spOffsetOf(orc.find(TEXT + 0x2ffn))).toBe(40);
    expect(spOffsetOf(orc.find(TEXT + 0x8ffn))).toBe(56);
  });

  it('searches only the block lookup range, like the kernel', () => {
    // Block 4 (0x400) starts after the entry at 0x300: the range is [5, lookup[5] + 1].
    expect(spOffsetOf(orc.find(TEXT + 0x4a0n))).toBe(48);
  });

  it('looks up module addresses in the module tables', () => {
    expect(spOffsetOf(orc.find(0xffffffffc0001010n))).toBe(8);
    expect(spOffsetOf(orc.find(0xffffffffc0001020n))).toBe(16);
    expect(orc.find(0xffffffffc0400000n)).toBe('no-module');
  });

  it('says why it gives up', () => {
    expect(orc.find(TEXT - 1n)).toBe('outside');
    expect(orc.find(TEXT_END)).toBe('outside');
    // crash refuses a block at or past lookup_num_blocks - 1.
    const short = kernelTable(ips, 4).orc;
    expect(spOffsetOf(short.find(TEXT + 0x2ffn))).toBe(40);
    expect(short.find(TEXT + 0x300n)).toBe('bad-lookup');
  });

  it('is undefined when the kernel has no ORC symbols', () => {
    expect(OrcTable.fromMemory(new FakeMemory(), () => undefined, L61, MODULES, () => undefined)).toBeUndefined();
  });
});

describe('decodeOrcEntry', () => {
  it('reads 6.1 entries (type:2 end:1)', () => {
    expect(decodeOrcEntry(entry(-24, 16, 4, 1, 1, 1), L61)).toEqual({ spOffset: -24, bpOffset: 16, spReg: 4, bpReg: 1, type: 1, signal: 0, end: 1 });
  });

  it('reads 6.3 entries (type:2 signal:1 end:1)', () => {
    const b = entry(8, 0, 5, 0, 2);
    b[5] |= 0b1100;
    expect(decodeOrcEntry(b, { hasSignal: true, hasEnd: true })).toMatchObject({ type: 2, signal: 1, end: 1 });
  });

  it('reads 6.4 entries (type:3 signal:1) and knows their CALL type', () => {
    const b = entry(8, 0, 3, 8, 0);
    b[5] = 2 | (1 << 3);
    const layout = { hasSignal: true, hasEnd: false };
    expect(decodeOrcEntry(b, layout)).toMatchObject({ spReg: 3, bpReg: 8, type: 2, signal: 1 });
    expect(orcTypeCall(layout)).toBe(2);
    expect(orcTypeCall(L61)).toBe(0);
  });
});
