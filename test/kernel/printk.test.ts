// The printk readers against rings built in code: the kernel's own layout (6.1, x86-64), with the cases a
// real dump rarely shows — a wrapping text block, free/reserved descriptors, ids wrapping at 2^62, pages
// missing from the dump, a corrupt tail — plus the pre-5.10 log_buf format.
import { describe, expect, it } from 'vitest';
import { type KVAddr, type PhysAddr, phys } from '../../src/addr.ts';
import type { KernelMemory } from '../../src/arch/kernel-memory.ts';
import { PageNotPresent } from '../../src/errors.ts';
import { LOG_CONT, LOG_NEWLINE, readPrintkLog } from '../../src/kernel/printk.ts';
import { logCommand } from '../../src/commands/log.ts';
import { Vmcoreinfo } from '../../src/vmcoreinfo.ts';

/** Sparse kernel memory: 4 KiB pages that exist only once written; dropping one models a page not dumped. */
class FakeMemory implements KernelMemory {
  readonly pages = new Map<bigint, Uint8Array>();

  write(addr: bigint, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const a = addr + BigInt(i);
      const base = a & ~0xfffn;
      let p = this.pages.get(base);
      if (!p) this.pages.set(base, (p = new Uint8Array(4096)));
      p[Number(a & 0xfffn)] = bytes[i];
    }
  }
  u16(addr: bigint, v: number): void {
    this.write(addr, new Uint8Array(new Uint16Array([v]).buffer));
  }
  u32(addr: bigint, v: number): void {
    this.write(addr, new Uint8Array(new Uint32Array([v]).buffer));
  }
  u64(addr: bigint, v: bigint): void {
    this.write(addr, new Uint8Array(new BigUint64Array([BigInt.asUintN(64, v)]).buffer));
  }
  /** Makes sure a range exists (zero-filled), as kernel memory would. */
  zero(addr: bigint, len: number): void {
    for (let a = addr & ~0xfffn; a < addr + BigInt(len); a += 4096n) if (!this.pages.has(a)) this.pages.set(a, new Uint8Array(4096));
  }
  drop(addr: bigint): void {
    this.pages.delete(addr & ~0xfffn);
  }

  read(addr: KVAddr, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const a = addr + BigInt(i);
      const p = this.pages.get(a & ~0xfffn);
      if (!p) throw new PageNotPresent(a, 'PTE', Number((a >> 12n) & 511n), 0n);
      const off = Number(a & 0xfffn);
      const n = Math.min(length - i, 4096 - off);
      out.set(p.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }
  readU8(addr: KVAddr): number {
    return this.read(addr, 1)[0];
  }
  readU16(addr: KVAddr): number {
    return new DataView(this.read(addr, 2).buffer).getUint16(0, true);
  }
  readU32(addr: KVAddr): number {
    return new DataView(this.read(addr, 4).buffer).getUint32(0, true);
  }
  readU64(addr: KVAddr): bigint {
    return new DataView(this.read(addr, 8).buffer).getBigUint64(0, true);
  }
  readCString(addr: KVAddr, max = 256): string {
    const b = this.read(addr, max);
    const n = b.indexOf(0);
    return new TextDecoder().decode(n < 0 ? b : b.subarray(0, n));
  }
  translate(addr: KVAddr): PhysAddr {
    return phys(addr & 0xffffffffn);
  }
}

// Linux 6.1 x86-64 VMCOREINFO printk entries, as in the fixtures.
const PRB_VMCOREINFO = `OSRELEASE=6.1.0-test
PAGESIZE=4096
SYMBOL(prb)=ffffffff81000000
SIZE(printk_ringbuffer)=88
OFFSET(printk_ringbuffer.desc_ring)=0
OFFSET(printk_ringbuffer.text_data_ring)=48
OFFSET(printk_ringbuffer.fail)=80
SIZE(prb_desc_ring)=48
OFFSET(prb_desc_ring.count_bits)=0
OFFSET(prb_desc_ring.descs)=8
OFFSET(prb_desc_ring.infos)=16
OFFSET(prb_desc_ring.head_id)=24
OFFSET(prb_desc_ring.tail_id)=32
SIZE(prb_desc)=24
OFFSET(prb_desc.state_var)=0
OFFSET(prb_desc.text_blk_lpos)=8
SIZE(prb_data_blk_lpos)=16
OFFSET(prb_data_blk_lpos.begin)=0
OFFSET(prb_data_blk_lpos.next)=8
SIZE(printk_info)=88
OFFSET(printk_info.seq)=0
OFFSET(printk_info.ts_nsec)=8
OFFSET(printk_info.text_len)=16
OFFSET(printk_info.caller_id)=20
OFFSET(printk_info.dev_info)=24
SIZE(dev_printk_info)=64
OFFSET(dev_printk_info.subsystem)=0
LENGTH(printk_info_subsystem)=16
OFFSET(dev_printk_info.device)=16
LENGTH(printk_info_device)=48
SIZE(prb_data_ring)=32
OFFSET(prb_data_ring.size_bits)=0
OFFSET(prb_data_ring.data)=8
OFFSET(prb_data_ring.head_lpos)=16
OFFSET(prb_data_ring.tail_lpos)=24
`;

const PRB = 0xffffffff81000000n;
const RB = 0xffffffff81001000n;
const DESCS = 0xffff888000100000n;
const INFOS = 0xffff888000200000n;
const DATA = 0xffff888000300000n;
const ID_MASK = (1n << 62n) - 1n;
const enc = new TextEncoder();

interface Rec {
  text?: string | Uint8Array;
  ts?: bigint;
  level?: number;
  flags?: number;
  facility?: number;
  caller?: number;
  subsystem?: string;
  device?: string;
  state?: bigint;
  /** Override text_len (e.g. longer than the block holds). */
  textLen?: number;
}

/** A printk ring buffer laid out as Linux 6.1 lays it out, written the way prb_reserve/prb_commit do. */
class Ring {
  readonly mem = new FakeMemory();
  readonly count: number;
  readonly size: number;
  /** Next descriptor id and data lpos, starting where the kernel starts them (DESC0_ID, BLK0_LPOS)... */
  id: bigint;
  lpos: bigint;
  seq = 0n;
  head: bigint | undefined;
  tail: bigint | undefined;
  readonly ids: bigint[] = [];

  constructor(readonly countBits: number, readonly sizeBits: number, opts: { firstId?: bigint; firstLpos?: bigint } = {}) {
    this.count = 1 << countBits;
    this.size = 1 << sizeBits;
    this.id = opts.firstId ?? (BigInt.asUintN(64, -BigInt(this.count + 1)) & ID_MASK);
    this.lpos = opts.firstLpos ?? BigInt.asUintN(64, -BigInt(this.size));
    const m = this.mem;
    m.u64(PRB, RB);
    m.zero(RB, 88);
    m.u32(RB + 0n, countBits);
    m.u64(RB + 8n, DESCS);
    m.u64(RB + 16n, INFOS);
    m.u32(RB + 48n, sizeBits);
    m.u64(RB + 56n, DATA);
    m.zero(DESCS, 24 * this.count);
    m.zero(INFOS, 88 * this.count);
    m.zero(DATA, this.size);
  }

  private wraps(lpos: bigint): bigint {
    return BigInt.asUintN(64, lpos) >> BigInt(this.sizeBits);
  }

  /** Live blocks, oldest first: what the kernel's tail pushing would invalidate. */
  private readonly live: { id: bigint; begin: bigint; next: bigint }[] = [];

  /** Appends a record: allocates a data block as 6.1's data_alloc/get_next_lpos do, and commits it. Older
   *  records whose descriptor slot or text the new one reuses become reusable and the tail moves past
   *  them, as desc_push_tail/data_push_tail do. */
  add(r: Rec): bigint {
    const id = this.id;
    this.id = (this.id + 1n) & ID_MASK;
    const bytes = typeof r.text === 'string' || r.text === undefined ? enc.encode(r.text ?? '') : r.text;
    let begin: bigint;
    let next: bigint;
    if (bytes.length === 0) {
      begin = next = 3n; // NO_LPOS: an empty message has no data block
    } else {
      const size = (8 + bytes.length + 7) & ~7;
      begin = this.lpos;
      next = BigInt.asUintN(64, begin + BigInt(size));
      if (this.wraps(begin) !== this.wraps(next)) {
        // Wrapping: the block's content goes at the ring's start; next counts from that wrap's start.
        this.mem.u64(DATA + (begin & BigInt(this.size - 1)), id);
        next = BigInt.asUintN(64, (next & ~BigInt(this.size - 1)) + BigInt(size));
      }
      this.lpos = next;
    }
    // Invalidate what this record overwrites: its descriptor slot's previous owner, and text blocks that
    // begin more than a ring's size before the new block's end.
    const overwritten = (b: { id: bigint; begin: bigint; next: bigint }): boolean =>
      ((id - b.id) & ID_MASK) >= BigInt(this.count) ||
      ((b.begin & 1n) === 0n && (begin & 1n) === 0n && BigInt.asUintN(64, next - b.begin) > BigInt(this.size));
    while (this.live.length && overwritten(this.live[0])) {
      const old = this.live.shift()!;
      this.mem.u64(DESCS + BigInt(Number(old.id & BigInt(this.count - 1))) * 24n, (3n << 62n) | old.id);
      this.tail = this.live[0]?.id;
    }
    if (bytes.length) {
      const at = this.wraps(begin) !== this.wraps(next - 1n) ? 0n : begin & BigInt(this.size - 1);
      this.mem.u64(DATA + at, id);
      this.mem.write(DATA + at + 8n, bytes);
    }
    this.put(id, begin, next, { ...r, text: bytes });
    this.live.push({ id, begin, next });
    this.head = id;
    this.tail ??= id;
    this.ids.push(id);
    this.writeHeadTail();
    return id;
  }

  /** Writes a descriptor and its info directly. */
  put(id: bigint, begin: bigint, next: bigint, r: Rec): void {
    const slot = BigInt(Number(id & BigInt(this.count - 1)));
    const d = DESCS + slot * 24n;
    const i = INFOS + slot * 88n;
    const m = this.mem;
    const bytes = typeof r.text === 'string' || r.text === undefined ? enc.encode(r.text ?? '') : r.text;
    m.u64(d, ((r.state ?? 2n) << 62n) | id);
    m.u64(d + 8n, begin);
    m.u64(d + 16n, next);
    m.u64(i, this.seq++);
    m.u64(i + 8n, r.ts ?? 0n);
    m.u16(i + 16n, r.textLen ?? bytes.length);
    m.write(i + 18n, new Uint8Array([r.facility ?? 0, ((r.level ?? 6) << 5) | (r.flags ?? LOG_NEWLINE)]));
    m.u32(i + 20n, r.caller ?? 1);
    m.write(i + 24n, new Uint8Array(64));
    m.write(i + 24n, enc.encode(r.subsystem ?? ''));
    m.write(i + 40n, enc.encode(r.device ?? ''));
  }

  writeHeadTail(): void {
    this.mem.u64(RB + 24n, this.head ?? 0n);
    this.mem.u64(RB + 32n, this.tail ?? 0n);
  }

  read() {
    return readPrintkLog(this.mem, new Vmcoreinfo(PRB_VMCOREINFO));
  }
}

describe('lockless printk ring buffer', () => {
  it('reads records with their fields, in order', () => {
    const r = new Ring(4, 10);
    r.add({ text: 'Linux version 6.1', ts: 0n, level: 5, caller: 0 });
    r.add({ text: 'pci 0000:00:01.0: BAR 0', ts: 523_468_123n, level: 6, subsystem: 'pci', device: '+pci:0000:00:01.0', caller: 1 });
    r.add({ text: 'irq work', ts: 7_245_081_999n, level: 0, caller: 0x80000001, facility: 1, flags: LOG_CONT });
    const log = r.read();
    expect(log.warnings).toEqual([]);
    expect(log.source).toBe('printk_ringbuffer');
    expect(log.records.map((x) => x.text)).toEqual(['Linux version 6.1', 'pci 0000:00:01.0: BAR 0', 'irq work']);
    expect(log.records[1]).toMatchObject({ seq: 1n, ts_nsec: 523_468_123n, level: 6, subsystem: 'pci', device: '+pci:0000:00:01.0' });
    expect(log.records[2]).toMatchObject({ level: 0, facility: 1, flags: LOG_CONT, caller_id: 0x80000001 });
    expect(logCommand(log)).toBe(
      '[    0.000000] Linux version 6.1\n[    0.523468] pci 0000:00:01.0: BAR 0\n[    7.245081] irq work\n',
    );
    expect(logCommand(log, ['-m', '-c'])).toBe(
      '[    0.000000] [    T0] <5>Linux version 6.1\n[    0.523468] [    T1] <6>pci 0000:00:01.0: BAR 0\n[    7.245081] [    C1] <0>irq work\n',
    );
    expect(logCommand(log, ['-td'])).toBe(
      'Linux version 6.1\npci 0000:00:01.0: BAR 0\nSUBSYSTEM=pci\nDEVICE=+pci:0000:00:01.0\nirq work\n',
    );
  });

  it('follows a text block that wraps to the start of the data ring', () => {
    const r = new Ring(4, 8); // 256-byte text ring
    for (let i = 0; i < 7; i++) r.add({ text: `message number ${i} with some padding` }); // 48-byte blocks
    // Blocks 0-4 fill offsets 0..240; block 5 does not fit the 16 bytes left, so it is stored at offset 0
    // (records 0 and 1 are overwritten and become reusable), and block 6 follows it.
    const log = r.read();
    expect(log.warnings).toEqual([]);
    expect(log.records.map((x) => x.text)).toEqual([2, 3, 4, 5, 6].map((i) => `message number ${i} with some padding`));
  });

  it('reads a block that ends exactly at the ring end as not wrapping (kernels after 6.1 write these)', () => {
    const r = new Ring(4, 8, { firstLpos: 0n });
    r.add({ text: 'x'.repeat(240) }); // 8 + 240 = 248
    r.add({ text: '' }); // data-less, keeps lpos at 248
    // Hand-place a block 248..256: the later kernels' perfectly fitting block.
    const fit = r.id;
    r.id = (r.id + 1n) & ID_MASK;
    r.mem.u64(DATA + 248n, fit);
    r.put(fit, 248n, 256n, { text: '', textLen: 0 });
    r.head = fit;
    r.writeHeadTail();
    const log = r.read();
    expect(log.warnings).toEqual([]);
    expect(log.records.map((x) => [x.text.length, x.dataless])).toEqual([[240, false], [0, true], [0, false]]);
  });

  it('skips free and reserved descriptors, and ids that do not match their slot', () => {
    const r = new Ring(3, 10);
    r.add({ text: 'one' });
    r.add({ text: 'reserved', state: 0n });
    r.add({ text: 'committed', state: 1n });
    r.add({ text: 'reusable', state: 3n });
    const stale = r.add({ text: 'stale' });
    // An older lap's id in the slot: the descriptor no longer describes this id.
    r.mem.u64(DESCS + BigInt(Number(stale & 7n)) * 24n, (2n << 62n) | ((stale - 8n) & ID_MASK));
    r.add({ text: 'last' });
    expect(r.read().records.map((x) => x.text)).toEqual(['one', 'committed', 'last']);
  });

  it('walks ids across the 2^62 wrap of the id space', () => {
    const r = new Ring(3, 10, { firstId: ID_MASK - 2n });
    for (const t of ['a', 'b', 'c', 'd', 'e']) r.add({ text: t });
    expect(r.ids.at(-1)).toBe(1n);
    expect(r.read().records.map((x) => x.text)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('prints a data-less (empty) record as a bare empty line, as crash does', () => {
    const r = new Ring(3, 10);
    r.add({ text: 'before', ts: 1_000_000n });
    r.add({ text: '', ts: 2_000_000n });
    r.add({ text: 'after', ts: 3_000_000n });
    const log = r.read();
    expect(log.records[1]).toMatchObject({ dataless: true, text: '' });
    expect(logCommand(log)).toBe('[    0.001000] before\n\n[    0.003000] after\n');
  });

  it('truncates text_len to the block, as the kernel and crash do', () => {
    const r = new Ring(3, 10);
    r.add({ text: 'short', textLen: 200 });
    expect(r.read().records[0].text).toBe('short\0\0\0'); // the block is 16 bytes: 8 of id, 8 of text
  });

  it('skips a record whose text page is missing, says so, and keeps the rest', () => {
    const r = new Ring(4, 13); // 8 KiB text ring: two pages
    for (let i = 0; i < 12; i++) r.add({ text: `${i}`.padEnd(500, '.') }); // 512-byte blocks: 8 per page
    r.mem.drop(DATA + 4096n);
    const log = r.read();
    expect(log.records.map((x) => x.text.slice(0, 2).replace('.', ''))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/^skipped 4 records \(record ids \d+\.\.\d+\): text not readable: virtual address 0xffff888000301000 not mapped/);
    expect(logCommand(log).split('\n').at(-2)).toMatch(/^log: WARNING: skipped 4 records/);
  });

  it('skips records whose descriptor or info page is missing', () => {
    const r = new Ring(8, 14); // 256 descriptors: 24*256 = 6 KiB of descs, 22 KiB of infos
    for (let i = 0; i < 200; i++) r.add({ text: `m${i}` });
    r.mem.drop(INFOS + 4096n);
    // Records whose 88-byte info slot touches the dropped page [4096, 8192) are lost.
    const lost = r.ids.filter((id) => {
      const at = Number(id & 255n) * 88;
      return at + 88 > 4096 && at < 8192;
    }).length;
    expect(lost).toBe(48);
    const log = r.read();
    expect(log.records).toHaveLength(200 - lost);
    expect(log.warnings).toEqual([expect.stringMatching(/^skipped 48 records .*printk_info not readable/)]);
    r.mem.drop(DESCS); // descriptors 0..170
    expect(r.read().warnings[0]).toMatch(/descriptor not readable/);
  });

  it('does not loop forever on a corrupt tail_id', () => {
    const r = new Ring(3, 10);
    for (const t of ['a', 'b', 'c']) r.add({ text: t });
    r.tail = (r.head! + 5n) & ID_MASK; // "ahead" of head: 2^62-5 ids behind it
    r.writeHeadTail();
    const log = r.read();
    expect(log.records.map((x) => x.text)).toEqual(['a', 'b', 'c']);
    expect(log.warnings[0]).toMatch(/tail_id .* reading the newest 8/);
  });

  it('gives a warning, not an exception, when the ring buffer itself is not in the dump', () => {
    const r = new Ring(3, 10);
    r.add({ text: 'a' });
    r.mem.drop(RB);
    const log = r.read();
    expect(log.records).toEqual([]);
    expect(log.warnings[0]).toMatch(/cannot read the printk ring buffer/);
  });

  it('formats bytes as crash does: continuation lines indented, unprintable bytes as dots', () => {
    const r = new Ring(3, 10);
    r.add({ text: 'first\n  second\tTAB\nthird', ts: 4_617_031_000n });
    r.add({ text: new Uint8Array([0x41, 0x01, 0xc3, 0xa9, 0x0d, 0x42]), ts: 0n });
    const log = r.read();
    expect(log.records[1].text).toBe('A\u0001é\rB');
    expect(logCommand(log)).toBe(
      '[    4.617031] first\n                 second\tTAB\n               third\n[    0.000000] A...\rB\n',
    );
    expect(logCommand(log, ['-m'])).toBe(
      '[    4.617031] <6>first\n                    second\tTAB\n                  third\n[    0.000000] <6>A...\rB\n',
    );
  });
});

describe('log options', () => {
  const r = new Ring(3, 10);
  r.add({ text: 'hello', ts: 1_500_000_000n, caller: 1234567 });
  const log = r.read();

  it('sizes the -c column from pid_max', () => {
    expect(logCommand(log, ['-tc'], { pidMax: 4194304 })).toBe('[T1234567] hello\n');
    expect(logCommand(log, ['-tc'], { pidMax: 500000 })).toBe('[T1234567] hello\n');
    expect(logCommand(log, ['-tc'])).toBe('[T1234567] hello\n');
    const small = new Ring(3, 10);
    small.add({ text: 'x', caller: 42 });
    expect(logCommand(small.read(), ['-tc'], { pidMax: 4194304 })).toBe('[     T42] x\n');
    expect(logCommand(small.read(), ['-tc'], { pidMax: 999999 })).toBe('[    T42] x\n');
  });

  it('-T prints wall-clock time from the boot time', () => {
    expect(logCommand(log, ['-T'], { bootTime: 1795695203n })).toBe('[Thu Nov 26 12:13:24 UTC 2026] hello\n');
    expect(logCommand(log, ['-T'])).toMatch(/boot time/);
  });

  it('rejects unknown options with crash usage, ignores stray words, -s prints nothing', () => {
    expect(logCommand(log, ['-x'])).toBe('log: invalid option -- \'x\'\nUsage:\n  log [-Ttdmasc]\nEnter "help log" for details.\n');
    expect(logCommand(log, ['foo'])).toBe('[    1.500000] hello\n');
    expect(logCommand(log, ['-s'])).toBe('');
  });
});

// Pre-5.10 kernels: struct printk_log records in log_buf (3.11–5.9 layout: 16-byte header, caller_id).
const LOGBUF_VMCOREINFO = `OSRELEASE=5.4.0-test
PAGESIZE=4096
SYMBOL(log_buf)=ffffffff82000000
SYMBOL(log_buf_len)=ffffffff82000008
SYMBOL(log_first_idx)=ffffffff8200000c
SYMBOL(clear_idx)=ffffffff82000010
SYMBOL(log_next_idx)=ffffffff82000014
SIZE(printk_log)=20
OFFSET(printk_log.ts_nsec)=0
OFFSET(printk_log.len)=8
OFFSET(printk_log.text_len)=10
OFFSET(printk_log.dict_len)=12
OFFSET(printk_log.caller_id)=16
`;

describe('log_buf (variable-length records)', () => {
  const BUF = 0xffff888000400000n;
  function build(entries: { text: string; dict?: string; ts: bigint; level?: number }[], len: number, startIdx: number) {
    const m = new FakeMemory();
    m.u64(0xffffffff82000000n, BUF);
    m.u32(0xffffffff82000008n, len);
    m.zero(BUF, len);
    let idx = startIdx;
    const first = idx;
    for (const e of entries) {
      const t = enc.encode(e.text);
      const d = enc.encode(e.dict ?? '');
      const size = (20 + t.length + d.length + 7) & ~7;
      if (idx + size + 20 > len) {
        m.u16(BUF + BigInt(idx) + 8n, 0); // end-of-buffer marker: continue at 0
        idx = 0;
      }
      const a = BUF + BigInt(idx);
      m.u64(a, e.ts);
      m.u16(a + 8n, size);
      m.u16(a + 10n, t.length);
      m.u16(a + 12n, d.length);
      m.write(a + 14n, new Uint8Array([0, (e.level ?? 6) << 5]));
      m.u32(a + 16n, 7);
      m.write(a + 20n, t);
      m.write(a + 20n + BigInt(t.length), d);
      idx += size;
    }
    m.u32(0xffffffff8200000cn, first);
    m.u32(0xffffffff82000014n, idx);
    return m;
  }

  it('reads the records, wrapping at the end-of-buffer marker', () => {
    const m = build(
      [
        { text: 'old one', ts: 1_000n },
        { text: 'e1000: eth0 up', dict: 'SUBSYSTEM=net\0DEVICE=n2', ts: 2_000_000n, level: 4 },
        { text: 'wrapped', ts: 3_000_000_000n },
      ],
      256,
      150,
    );
    const log = readPrintkLog(m, new Vmcoreinfo(LOGBUF_VMCOREINFO));
    expect(log.warnings).toEqual([]);
    expect(log.source).toBe('log_buf');
    expect(log.records.map((x) => x.text)).toEqual(['old one', 'e1000: eth0 up', 'wrapped']);
    expect(log.records[1]).toMatchObject({ level: 4, subsystem: 'net', device: 'n2', caller_id: 7 });
    expect(logCommand(log, ['-m'])).toBe('[    0.000001] <6>old one\n[    0.002000] <4>e1000: eth0 up\n[    3.000000] <6>wrapped\n');
    expect(logCommand(log, ['-td', '-c'])).toBe(
      '[      T7] old one\n[      T7] e1000: eth0 up\n           SUBSYSTEM=net\n           DEVICE=n2\n[      T7] wrapped\n',
    );
  });

  it('prints the dictionary only when crash would', () => {
    // dict_len 20 has bit 1 clear: crash 8.0.6 tests `dict_len & SHOW_LOG_DICT`, so it prints no dictionary.
    const m = build([{ text: 'x', dict: 'SUBSYSTEM=pci\0DEV=+p', ts: 0n }], 4096, 0);
    const log = readPrintkLog(m, new Vmcoreinfo(LOGBUF_VMCOREINFO));
    expect(log.records[0].subsystem).toBe('pci');
    expect(logCommand(log, ['-d'])).toBe('[    0.000000] x\n');
  });

  it('stops on a missing page with a warning', () => {
    const m = build([{ text: 'a', ts: 0n }, { text: 'b'.repeat(9000), ts: 0n }, { text: 'c', ts: 0n }], 16384, 0);
    m.drop(BUF + 4096n);
    const log = readPrintkLog(m, new Vmcoreinfo(LOGBUF_VMCOREINFO));
    expect(log.records.map((x) => x.text)).toEqual(['a', 'c']);
    expect(log.warnings[0]).toMatch(/skipped log_buf record at index 24/);
  });
});

describe('no log', () => {
  it('says so when VMCOREINFO names no log buffer', () => {
    const log = readPrintkLog(new FakeMemory(), new Vmcoreinfo('OSRELEASE=x\n'));
    expect(log.records).toEqual([]);
    expect(log.warnings[0]).toMatch(/no kernel log buffer/);
  });
});
