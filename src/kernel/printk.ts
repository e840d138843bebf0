// The kernel log, read from a dump using only VMCOREINFO (no debuginfo).
//
// Linux 5.10+ keeps it in the lockless printk ring buffer (kernel/printk/printk_ringbuffer.[ch]): a ring of
// descriptors (state + text block position) with a parallel ring of printk_info (seq, timestamp, level...),
// and a byte ring of text blocks, each block starting with the id of the descriptor that owns it. Older
// kernels (3.5–5.9) keep variable-length `struct printk_log` records in one `log_buf` array. The kernel
// exports every offset a reader needs in VMCOREINFO for exactly this purpose.
//
// A dump may lack pages (makedumpfile filtering, truncation). A record whose descriptor, info or text cannot
// be read is skipped and named in `warnings`; it never stops the rest of the log from being read.
import { type KVAddr, hex, kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import type { Vmcoreinfo } from '../vmcoreinfo.ts';

/** printk_info.flags bits (kernel/printk/printk_ringbuffer.h). */
export const LOG_NEWLINE = 2;
export const LOG_CONT = 8;

export interface LogRecord {
  /** Sequence number (printk_info.seq; for log_buf kernels, the record's position). */
  seq: bigint;
  /** local_clock() time of the message, nanoseconds since boot. */
  ts_nsec: bigint;
  /** Console level 0 (emerg) – 7 (debug). */
  level: number;
  facility: number;
  /** LOG_NEWLINE / LOG_CONT. */
  flags: number;
  /** Bit 31 set: CPU number of a printk from interrupt context; clear: the calling thread's pid. 0 if absent. */
  caller_id: number;
  /** The message, decoded as UTF-8 (for display). */
  text: string;
  /** The message bytes exactly as stored (for byte-exact formatting). */
  bytes: Uint8Array;
  /** dev_printk() context; '' when none. */
  subsystem: string;
  device: string;
  /** Older kernels' dictionary (KEY=value entries), when it holds more than SUBSYSTEM/DEVICE. */
  dict?: string[];
  /** The record has no text block (empty message, or its text was lost in the kernel): crash prints a bare
   *  empty line for it, without a timestamp. */
  dataless: boolean;
}

export interface PrintkLog {
  /** Which buffer the records came from. */
  source: 'printk_ringbuffer' | 'log_buf' | 'none';
  records: LogRecord[];
  /** What could not be read, for the user: skipped records and why. */
  warnings: string[];
  /** Whether the records carry a caller id (always on 5.10+; CONFIG_PRINTK_CALLER before). */
  hasCallerId?: boolean;
}

const utf8 = new TextDecoder('utf-8');

/** Reads the whole kernel log that the dump holds. */
export function readPrintkLog(mem: KernelMemory, info: Vmcoreinfo): PrintkLog {
  if (info.has('SYMBOL(prb)')) return readLockless(mem, info);
  if (info.has('SYMBOL(log_buf)') && info.has('SYMBOL(log_first_idx)') && info.has('SYMBOL(log_next_idx)')) {
    return readLogBuf(mem, info);
  }
  return { source: 'none', records: [], warnings: ['VMCOREINFO describes no kernel log buffer (neither prb nor log_buf)'] };
}

// ---------------------------------------------------------------------------------------------------------
// A range of kernel memory read page by page, so one missing page costs only the records on it.

class Region {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Page-sized chunks that could not be read: chunk index -> why. */
  readonly missing = new Map<number, string>();
  private readonly firstChunkEnd: number;

  constructor(mem: KernelMemory, readonly base: KVAddr, readonly length: number, readonly pageSize: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
    // Chunks follow page boundaries of the virtual address, so a missing page maps to exactly one chunk.
    const mask = BigInt(pageSize - 1);
    this.firstChunkEnd = Math.min(length, Number(BigInt(pageSize) - (base & mask)));
    try {
      this.bytes.set(mem.read(base, length));
      return;
    } catch {
      // Some page is unreadable: fall back to reading page by page to find which.
    }
    for (let off = 0, i = 0; off < length; i++) {
      const end = i === 0 ? this.firstChunkEnd : Math.min(length, off + pageSize);
      try {
        this.bytes.set(mem.read(kv(base + BigInt(off)), end - off), off);
      } catch (e) {
        this.missing.set(i, e instanceof Error ? e.message : String(e));
      }
      off = end;
    }
  }

  private chunkOf(off: number): number {
    return off < this.firstChunkEnd ? 0 : 1 + Math.floor((off - this.firstChunkEnd) / this.pageSize);
  }

  /** Why [off, off+len) is not readable, or undefined when it all is. */
  problem(off: number, len: number): string | undefined {
    if (off < 0 || len < 0 || off + len > this.length) return `outside the ${this.length}-byte buffer`;
    if (this.missing.size === 0 || len === 0) return undefined;
    for (let c = this.chunkOf(off), last = this.chunkOf(off + len - 1); c <= last; c++) {
      const why = this.missing.get(c);
      if (why !== undefined) return why;
    }
    return undefined;
  }

  u8(off: number): number {
    return this.bytes[off];
  }
  u16(off: number): number {
    return this.view.getUint16(off, true);
  }
  u32(off: number): number {
    return this.view.getUint32(off, true);
  }
  u64(off: number): bigint {
    return this.view.getBigUint64(off, true);
  }
  cstring(off: number, max: number): string {
    const b = this.bytes.subarray(off, off + max);
    const nul = b.indexOf(0);
    return utf8.decode(nul < 0 ? b : b.subarray(0, nul));
  }
}

/** Collects skipped records by reason, so a lost page yields one line, not one per record. */
class Skips {
  private readonly byReason = new Map<string, { count: number; first: bigint; last: bigint }>();
  add(id: bigint, reason: string): void {
    const s = this.byReason.get(reason);
    if (s) {
      s.count++;
      s.last = id;
    } else this.byReason.set(reason, { count: 1, first: id, last: id });
  }
  report(what: string, warnings: string[]): void {
    for (const [reason, s] of this.byReason) {
      const which = s.count === 1 ? `${what} ${s.first}` : `${s.count} records (${what}s ${s.first}..${s.last})`;
      warnings.push(`skipped ${which}: ${reason}`);
    }
  }
}

const MAX_TEXT = 0xffff; // text_len is a u16

/** Completes a record with its display text. */
function record(partial: Omit<LogRecord, 'text'>): LogRecord {
  return { ...partial, text: utf8.decode(partial.bytes) };
}

// ---------------------------------------------------------------------------------------------------------
// Linux 5.10+: the lockless ring buffer.

/** Descriptor states: the top two bits of state_var (enum desc_state). */
const DESC_COMMITTED = 1n;
const DESC_FINALIZED = 2n;
const DESC_SV_BITS = 64n; // unsigned long on x86-64
const DESC_FLAGS_SHIFT = DESC_SV_BITS - 2n;
const DESC_ID_MASK = (1n << DESC_FLAGS_SHIFT) - 1n;
const U64 = (1n << 64n) - 1n;

function readLockless(mem: KernelMemory, info: Vmcoreinfo): PrintkLog {
  const warnings: string[] = [];
  const records: LogRecord[] = [];
  const out: PrintkLog = { source: 'printk_ringbuffer', records, warnings, hasCallerId: true };
  const pageSize = info.pageSize;

  // `prb` is a pointer to the ring buffer in use (printk_rb_static, or the dynamic one after setup_log_buf).
  let rbAddr: KVAddr;
  let rb: Region;
  try {
    rbAddr = kv(mem.readU64(info.symbol('prb')));
    rb = new Region(mem, rbAddr, info.size('printk_ringbuffer'), pageSize);
  } catch (e) {
    warnings.push(`cannot read the printk ring buffer: ${msg(e)}`);
    return out;
  }
  if (rb.missing.size) {
    warnings.push(`cannot read the printk ring buffer at 0x${hex(rbAddr)}: ${[...rb.missing.values()][0]}`);
    return out;
  }

  const descRing = info.offset('printk_ringbuffer.desc_ring');
  const textRing = info.offset('printk_ringbuffer.text_data_ring');
  const countBits = rb.u32(descRing + info.offset('prb_desc_ring.count_bits'));
  const sizeBits = rb.u32(textRing + info.offset('prb_data_ring.size_bits'));
  // Sanity limits: a corrupt header must not make us allocate gigabytes.
  if (countBits > 24 || sizeBits > 31 || sizeBits < 3) {
    warnings.push(`implausible printk ring buffer sizes (count_bits=${countBits}, size_bits=${sizeBits})`);
    return out;
  }
  const count = 1 << countBits;
  const dataSize = 1 << sizeBits;
  const descsAddr = kv(rb.u64(descRing + info.offset('prb_desc_ring.descs')));
  const infosAddr = kv(rb.u64(descRing + info.offset('prb_desc_ring.infos')));
  const dataAddr = kv(rb.u64(textRing + info.offset('prb_data_ring.data')));
  // head_id/tail_id are atomic_long_t: the counter is the struct's only member.
  const headId = rb.u64(descRing + info.offset('prb_desc_ring.head_id')) & DESC_ID_MASK;
  let tailId = rb.u64(descRing + info.offset('prb_desc_ring.tail_id')) & DESC_ID_MASK;

  const descSize = info.size('prb_desc');
  const infoSize = info.size('printk_info');
  const descs = new Region(mem, descsAddr, descSize * count, pageSize);
  const infos = new Region(mem, infosAddr, infoSize * count, pageSize);
  const data = new Region(mem, dataAddr, dataSize, pageSize);

  const oState = info.offset('prb_desc.state_var');
  const oLpos = info.offset('prb_desc.text_blk_lpos');
  const oBegin = oLpos + info.offset('prb_data_blk_lpos.begin');
  const oNext = oLpos + info.offset('prb_data_blk_lpos.next');
  const oSeq = info.offset('printk_info.seq');
  const oTs = info.offset('printk_info.ts_nsec');
  const oTextLen = info.offset('printk_info.text_len');
  // facility and the flags:5/level:3 bitfield byte follow the u16 text_len; bitfields have no OFFSET entry.
  const oFacility = oTextLen + 2;
  const oFlagsLevel = oTextLen + 3;
  const oCaller = info.offset('printk_info.caller_id');
  const oDev = info.offset('printk_info.dev_info');
  const oSubsys = oDev + info.offset('dev_printk_info.subsystem');
  const oDevice = oDev + info.offset('dev_printk_info.device');
  const subsysLen = info.has('LENGTH(printk_info_subsystem)') ? info.length('printk_info_subsystem') : 16;
  const deviceLen = info.has('LENGTH(printk_info_device)') ? info.length('printk_info_device') : 48;

  // The ring holds at most `count` descriptors, so tail..head spans fewer than that; more means a damaged
  // tail_id, and we keep only the newest `count` ids rather than walking 2^62 of them.
  const span = (headId - tailId) & DESC_ID_MASK;
  if (span >= BigInt(count)) {
    warnings.push(`printk ring buffer tail_id ${tailId} is ${span} ids behind head_id ${headId} (ring holds ${count}); reading the newest ${count}`);
    tailId = (headId - BigInt(count - 1)) & DESC_ID_MASK;
  }

  const skips = new Skips();
  const dataMask = BigInt(dataSize - 1);
  const wraps = (lpos: bigint): bigint => lpos >> BigInt(sizeBits);
  for (let id = tailId, n = 0; n < count; id = (id + 1n) & DESC_ID_MASK, n++) {
    const slot = Number(id & BigInt(count - 1));
    const d = slot * descSize;
    const why = descs.problem(d, descSize);
    if (why !== undefined) {
      skips.add(id, `descriptor not readable: ${why}`);
    } else {
      const sv = descs.u64(d + oState);
      const state = (sv >> DESC_FLAGS_SHIFT) & 3n;
      // Only committed/finalized descriptors whose id matches hold a record; reserved ones are still being
      // written and reusable ones are free (their data may already be overwritten) — crash skips them too.
      if ((sv & DESC_ID_MASK) === id && (state === DESC_COMMITTED || state === DESC_FINALIZED)) {
        const r = readRecord(id, slot, descs.u64(d + oBegin), descs.u64(d + oNext));
        if (typeof r === 'string') skips.add(id, r);
        else records.push(r);
      }
    }
    if (id === headId) break;
  }
  skips.report('record id', warnings);
  return out;

  function readRecord(id: bigint, slot: number, begin: bigint, next: bigint): LogRecord | string {
    const i = slot * infoSize;
    const why = infos.problem(i, infoSize);
    if (why !== undefined) return `printk_info not readable: ${why}`;
    const textLen = infos.u16(i + oTextLen);
    const fl = infos.u8(i + oFlagsLevel);
    const base = {
      seq: infos.u64(i + oSeq),
      ts_nsec: infos.u64(i + oTs),
      level: fl >> 5,
      facility: infos.u8(i + oFacility),
      flags: fl & 0x1f,
      caller_id: infos.u32(i + oCaller),
      subsystem: infos.cstring(i + oSubsys, subsysLen),
      device: infos.cstring(i + oDevice, deviceLen),
    };
    const empty = { ...base, bytes: new Uint8Array(0), dataless: true };
    // Data-less blocks (lpos with bit 0 set: NO_LPOS for empty messages, FAILED_LPOS for lost ones) and, as
    // crash sees them, blocks whose begin and next land on the same ring index.
    if ((begin & 1n) === 1n || (next & 1n) === 1n || (begin & dataMask) === (next & dataMask)) return record(empty);
    let start: number;
    let blockSize: number;
    // `next` is one past the block, so the block's last byte is next-1: a block ending exactly at the ring's
    // end does not wrap (6.1 never writes one; later kernels do).
    if (wraps(begin) === wraps((next - 1n) & U64) && begin < next) {
      start = Number(begin & dataMask);
      blockSize = Number(next - begin);
    } else if (wraps((begin + BigInt(dataSize)) & U64) === wraps((next - 1n) & U64)) {
      // A wrapping block: its whole content is stored at the start of the ring.
      start = 0;
      blockSize = Number(next & dataMask) || dataSize;
    } else {
      return `text block lpos ${begin}..${next} is not a valid block`;
    }
    if (blockSize < 8 || start + blockSize > dataSize) return `text block lpos ${begin}..${next} is not a valid block`;
    const len = Math.min(textLen, blockSize - 8, MAX_TEXT); // a block shorter than text_len holds a truncated text
    const why2 = data.problem(start, 8 + len);
    if (why2 !== undefined) return `text not readable: ${why2}`;
    return record({ ...base, bytes: data.bytes.slice(start + 8, start + 8 + len), dataless: false });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Linux 3.5–5.9: variable-length struct printk_log records in log_buf.

function readLogBuf(mem: KernelMemory, info: Vmcoreinfo): PrintkLog {
  const warnings: string[] = [];
  const records: LogRecord[] = [];
  const out: PrintkLog = { source: 'log_buf', records, warnings };
  let buf: Region;
  let first: number;
  let nextIdx: number;
  let len: number;
  try {
    const bufAddr = kv(mem.readU64(info.symbol('log_buf')));
    len = mem.readU32(info.symbol('log_buf_len'));
    first = mem.readU32(info.symbol('log_first_idx'));
    nextIdx = mem.readU32(info.symbol('log_next_idx'));
    if (len === 0 || len > 1 << 30) {
      warnings.push(`implausible log_buf_len ${len}`);
      return out;
    }
    buf = new Region(mem, bufAddr, len, info.pageSize);
  } catch (e) {
    warnings.push(`cannot read log_buf: ${msg(e)}`);
    return out;
  }
  // The struct was renamed from `log` to `printk_log` in 3.11; VMCOREINFO uses whichever name the kernel had.
  const st = info.has('SIZE(printk_log)') ? 'printk_log' : 'log';
  const hdr = info.size(st);
  const oTs = info.offset(`${st}.ts_nsec`);
  const oLen = info.offset(`${st}.len`);
  const oTextLen = info.offset(`${st}.text_len`);
  const oDictLen = info.offset(`${st}.dict_len`);
  const oFacility = oDictLen + 2; // u8 facility, then the u8 flags:5/level:3 bitfield
  const oFlagsLevel = oDictLen + 3;
  const oCaller = info.has(`OFFSET(${st}.caller_id)`) ? info.offset(`${st}.caller_id`) : undefined;
  out.hasCallerId = oCaller !== undefined;

  const seen = new Set<number>();
  let idx = first;
  let seq = 0n;
  // Every record is at least a header long, which bounds the walk even if the indexes are garbage.
  for (let n = 0; idx !== nextIdx && n <= len / Math.max(hdr, 1); n++) {
    if (idx + hdr > len) {
      warnings.push(`invalid log_buf index ${idx}`);
      break;
    }
    // Without this header there is no length to find the next record by: the rest is lost.
    const hdrWhy = buf.problem(idx, hdr);
    if (hdrWhy !== undefined) {
      warnings.push(`log_buf record at index ${idx} not readable (${hdrWhy}); the records after it are lost`);
      break;
    }
    // A zero length marks the end of the buffer: the record is really at the start.
    let at = idx;
    if (buf.u16(at + oLen) === 0) {
      at = 0;
      const why0 = buf.problem(0, hdr);
      if (why0 !== undefined) {
        warnings.push(`log_buf record at index 0 not readable (${why0}); the records after it are lost`);
        break;
      }
    }
    if (seen.has(at)) {
      warnings.push(`log_buf record at index ${at} seen twice; stopping`);
      break;
    }
    seen.add(at);
    const recLen = buf.u16(at + oLen);
    const textLen = buf.u16(at + oTextLen);
    const dictLen = buf.u16(at + oDictLen);
    const why = buf.problem(at + hdr, textLen + dictLen);
    if (recLen === 0) {
      warnings.push(`log_buf record at index ${at} has length 0; stopping`);
      break;
    }
    if (why !== undefined) {
      warnings.push(`skipped log_buf record at index ${at}: ${why}`);
    } else {
      const fl = buf.u8(at + oFlagsLevel);
      const dictBytes = buf.bytes.subarray(at + hdr + textLen, at + hdr + textLen + dictLen);
      const dict = dictLen ? Array.from(dictBytes, (b) => String.fromCharCode(b)).join('').split('\0') : [];
      const dictValue = (k: string): string => dict.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1) ?? '';
      records.push(
        record({
          seq: seq,
          ts_nsec: buf.u64(at + oTs),
          level: fl >> 5,
          facility: buf.u8(at + oFacility),
          flags: fl & 0x1f,
          caller_id: oCaller === undefined ? 0 : buf.u32(at + oCaller),
          bytes: buf.bytes.slice(at + hdr, at + hdr + textLen),
          subsystem: dictValue('SUBSYSTEM'),
          device: dictValue('DEVICE'),
          dict: dictLen ? dict : undefined,
          dataless: false,
        }),
      );
    }
    seq++;
    idx = at + recLen;
    if (idx >= len) {
      if (first > nextIdx) idx = 0;
      else {
        warnings.push(`invalid log_buf entry at index ${at}`);
        break;
      }
    }
  }
  return out;
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
