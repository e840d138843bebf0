// The kernel's ORC unwind tables (CONFIG_UNWINDER_ORC; Linux arch/x86/include/asm/orc_types.h and
// arch/x86/kernel/unwind_orc.c), read from the dump's memory as the running kernel keeps them:
//   __start_orc_unwind_ip .. __stop_orc_unwind_ip   s32 per entry, each relative to its own address
//   __start_orc_unwind   .. __stop_orc_unwind       struct orc_entry (6 bytes), same order
//   orc_lookup .. orc_lookup_end, lookup_num_blocks  u32 first-entry index per 256-byte block of text,
//                                                    from _stext (built at boot: .orc_lookup is NOBITS in
//                                                    the vmlinux, so only memory has it)
// and each module's module->arch.{num_orcs, orc_unwind_ip, orc_unwind}.
// The lookup follows crash 8.0.6's orc_find()/__orc_find() (x86_64.c) exactly, including where it gives up.
import { type KVAddr, kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import type { KernelMemory } from './kernel-memory.ts';

/** One orc_entry, widened (crash's struct orc_entry). */
export interface OrcEntry {
  spOffset: number;
  bpOffset: number;
  spReg: number;
  bpReg: number;
  type: number;
  signal: number;
  end: number;
}

export const ORC_REG_UNDEFINED = 0;
export const ORC_REG_PREV_SP = 1;
export const ORC_REG_BP = 4;
export const ORC_REG_SP = 5;

/** How entries are laid out: Linux 6.1–6.2 (type:2 end:1), 6.3 (type:2 signal:1 end:1), 6.4+ (type:3 signal:1). */
export interface OrcLayout {
  hasSignal: boolean;
  hasEnd: boolean;
}

/** ORC_TYPE_CALL: 0 before Linux 6.4 (commit fb799447ae29 renumbered the types), 2 after. */
export function orcTypeCall(layout: OrcLayout): number {
  return layout.hasSignal && !layout.hasEnd ? 2 : 0;
}

/** Decodes one 6-byte entry as crash's kernel_orc_entry / kernel_orc_entry_6_4 bit fields do. */
export function decodeOrcEntry(b: Uint8Array, layout: OrcLayout): OrcEntry {
  const spOffset = (b[0] | (b[1] << 8)) << 16 >> 16;
  const bpOffset = (b[2] | (b[3] << 8)) << 16 >> 16;
  const spReg = b[4] & 0xf;
  const bpReg = b[4] >> 4;
  if (layout.hasSignal && !layout.hasEnd) return { spOffset, bpOffset, spReg, bpReg, type: b[5] & 7, signal: (b[5] >> 3) & 1, end: 0 };
  const type = b[5] & 3;
  const bit2 = (b[5] >> 2) & 1;
  const bit3 = (b[5] >> 3) & 1;
  // 6.1 has `end` where 6.3 put `signal` (crash: "entry->end = korc.signal; /* on purpose */").
  if (layout.hasSignal) return { spOffset, bpOffset, spReg, bpReg, type, signal: bit2, end: bit3 };
  return { spOffset, bpOffset, spReg, bpReg, type, signal: 0, end: layout.hasEnd ? bit2 : 0 };
}

export const ORC_ENTRY_SIZE = 6;
const LOOKUP_BLOCK_SIZE = 256n;

/** Where the kernel image's tables are. */
export interface KernelOrcTables {
  startIp: bigint;
  stopIp: bigint;
  startUnwind: bigint;
  stopUnwind: bigint;
  lookup: bigint;
  lookupNumBlocks: number;
  /** LOOKUP_START_IP / LOOKUP_STOP_IP: _stext and _etext. */
  textStart: bigint;
  textEnd: bigint;
}

/** A module's tables (module->arch). */
export interface ModuleOrcTables {
  numOrcs: number;
  ip: bigint;
  unwind: bigint;
}

/** Why a lookup found nothing, for a caller that wants to say so (crash prints a WARNING for 'outside'). */
export type OrcMiss = 'outside' | 'no-module' | 'bad-lookup' | 'unreadable';

export class OrcTable {
  constructor(
    private readonly mem: KernelMemory,
    readonly kernel: KernelOrcTables,
    readonly layout: OrcLayout,
    /** The module range crash checks (MODULES_VADDR..MODULES_END). */
    private readonly modulesRange: { start: bigint; end: bigint },
    /** A module's tables for an address inside a module, if it has any. */
    private readonly moduleTables: (ip: bigint) => ModuleOrcTables | undefined,
  ) {}

  /** Reads the kernel tables' bounds from memory, by symbol. Undefined when the kernel has no ORC. */
  static fromMemory(
    mem: KernelMemory,
    symbol: (name: string) => bigint | undefined,
    layout: OrcLayout,
    modulesRange: { start: bigint; end: bigint },
    moduleTables: (ip: bigint) => ModuleOrcTables | undefined,
  ): OrcTable | undefined {
    const names = ['lookup_num_blocks', '__start_orc_unwind_ip', '__stop_orc_unwind_ip', '__start_orc_unwind', '__stop_orc_unwind', 'orc_lookup', '_stext', '_etext'];
    const at = names.map(symbol);
    if (at.some((a) => a === undefined)) return undefined;
    const [numBlocks, startIp, stopIp, startUnwind, stopUnwind, lookup, textStart, textEnd] = at as bigint[];
    let lookupNumBlocks: number;
    try {
      lookupNumBlocks = mem.readU32(kv(numBlocks));
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
    return new OrcTable(mem, { startIp, stopIp, startUnwind, stopUnwind, lookup, lookupNumBlocks, textStart, textEnd }, layout, modulesRange, moduleTables);
  }

  /** crash's orc_find(): the entry for `ip`, or why there is none. */
  find(ip: bigint): OrcEntry | OrcMiss {
    const k = this.kernel;
    if (ip < k.textStart || ip >= k.textEnd) {
      if (ip >= this.modulesRange.start && ip < this.modulesRange.end) {
        const m = this.moduleTables(ip);
        if (!m) return 'no-module';
        return this.search(m.ip, m.unwind, m.numOrcs, ip);
      }
      return 'outside';
    }
    const idx = Number((ip - k.textStart) / LOOKUP_BLOCK_SIZE);
    // crash compares unsigned: lookup_num_blocks - 1 wraps when it is 0.
    if (idx >= (k.lookupNumBlocks - 1) >>> 0) return 'bad-lookup';
    const start = this.u32(k.lookup + BigInt(idx) * 4n);
    const stop0 = this.u32(k.lookup + BigInt(idx + 1) * 4n);
    if (start === undefined || stop0 === undefined) return 'unreadable';
    const stop = (stop0 + 1) >>> 0;
    if (k.startUnwind + BigInt(start) * 6n >= k.stopUnwind) return 'bad-lookup';
    if (k.startUnwind + BigInt(stop) * 6n > k.stopUnwind) return 'bad-lookup';
    return this.search(k.startIp + BigInt(start) * 4n, k.startUnwind + BigInt(start) * 6n, (stop - start) >>> 0, ip);
  }

  /**
   * The kernel's own fallback for .init.text (unwind_orc.c orc_find: "vmlinux .init slow lookup"): the
   * whole table, searched. crash does not do this; the real unwinder does.
   */
  findInitText(ip: bigint): OrcEntry | OrcMiss {
    const k = this.kernel;
    return this.search(k.startIp, k.startUnwind, Number((k.stopIp - k.startIp) / 4n), ip);
  }

  /** __orc_find(): binary search for the last entry whose ip is <= ip (the first one if none is). */
  private search(ipTable: bigint, unwindTable: bigint, count: number, ip: bigint): OrcEntry | OrcMiss {
    // crash keeps the count in a uint and does int-pointer arithmetic: a zero count makes `last` the entry
    // before `first`, so the loop does not run and the first entry is taken.
    let first = 0;
    let last = count - 1;
    let found = 0;
    while (first <= last) {
      const mid = first + Math.floor((last - first) / 2);
      const at = ipTable + BigInt(mid) * 4n;
      const rel = this.i32(at);
      if (rel === undefined) return 'unreadable';
      const vaddr = BigInt.asUintN(64, at + BigInt(rel));
      if (vaddr === 0n) return 'unreadable';
      if (vaddr <= ip) {
        found = mid;
        first = mid + 1;
      } else last = mid - 1;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.mem.read(kv(unwindTable + BigInt(found) * 6n), ORC_ENTRY_SIZE);
    } catch (e) {
      if (e instanceof CrashlensError) return 'unreadable';
      throw e;
    }
    return decodeOrcEntry(bytes, this.layout);
  }

  private u32(addr: bigint): number | undefined {
    try {
      return this.mem.readU32(kv(addr) as KVAddr);
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  }

  private i32(addr: bigint): number | undefined {
    const v = this.u32(addr);
    return v === undefined ? undefined : v | 0;
  }
}
