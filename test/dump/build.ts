// Small dumps built in code, laid out as the real writers lay them out (kernel/QEMU ELF cores, makedumpfile
// KDUMP files and flattened streams), for edge cases the fixtures do not have.
import { zlibSync } from 'fflate';
import { BufferSource, type ByteSource, SliceSource } from '../../src/io/byte-source.ts';
import type { CpuRegisters } from '../../src/dump/physical-memory.ts';
import { PR_REG_ORDER } from '../../src/dump/elf-notes.ts';
import { ConcatSource } from './sources.ts';

export const PAGE = 4096;

/** A deterministic PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A page whose bytes say which page it is. */
export function pageOf(tag: number, size = PAGE): Uint8Array {
  const p = new Uint8Array(size);
  const v = new DataView(p.buffer);
  for (let i = 0; i < size; i += 8) {
    v.setUint32(i, tag, true);
    v.setUint32(i + 4, i, true);
  }
  return p;
}

class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private ensure(end: number): void {
    if (end <= this.buf.length) return;
    const b = new Uint8Array(Math.max(end, this.buf.length * 2));
    b.set(this.buf);
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  at(off: number, size: number): DataView {
    this.ensure(off + size);
    this.length = Math.max(this.length, off + size);
    return this.view;
  }
  u8(off: number, v: number): void {
    this.at(off, 1).setUint8(off, v);
  }
  u16(off: number, v: number): void {
    this.at(off, 2).setUint16(off, v, true);
  }
  u32(off: number, v: number): void {
    this.at(off, 4).setUint32(off, v >>> 0, true);
  }
  i32(off: number, v: number): void {
    this.at(off, 4).setInt32(off, v, true);
  }
  u64(off: number, v: bigint | number): void {
    this.at(off, 8).setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
  }
  bytes(off: number, b: Uint8Array): void {
    this.at(off, b.length);
    this.buf.set(b, off);
  }
  str(off: number, s: string): void {
    this.bytes(off, new TextEncoder().encode(s));
  }
  done(size = this.length): Uint8Array {
    this.ensure(size);
    return this.buf.slice(0, size);
  }
}

// ---- notes ----

export function note(name: string, type: number, desc: Uint8Array): Uint8Array {
  const namesz = name.length + 1;
  const nameLen = (namesz + 3) & ~3;
  const descLen = (desc.length + 3) & ~3;
  const w = new Writer();
  w.u32(0, namesz);
  w.u32(4, desc.length);
  w.u32(8, type);
  w.str(12, name);
  w.bytes(12 + nameLen, desc);
  return w.done(12 + nameLen + descLen);
}

export function regs(seed: number): CpuRegisters {
  const r = {} as Record<keyof CpuRegisters, bigint>;
  PR_REG_ORDER.forEach((k, i) => (r[k] = BigInt(seed) * 0x1000n + BigInt(i) + 0xffffffff81000000n));
  return r;
}

export function prstatusDesc(pid: number, r: CpuRegisters): Uint8Array {
  const w = new Writer();
  w.i32(32, pid);
  PR_REG_ORDER.forEach((k, i) => w.u64(112 + i * 8, r[k]));
  return w.done(336);
}

export interface QemuCpu {
  gprs: bigint[]; // rax rbx rcx rdx rsi rdi rsp rbp r8..r15
  rip: bigint;
  rflags: bigint;
  selectors: number[]; // cs ds es fs gs ss
  fsBase: bigint;
  gsBase: bigint;
  cr: bigint[]; // cr0..cr4
  kernelGsBase?: bigint;
}

export function qemuDesc(c: QemuCpu): Uint8Array {
  const size = c.kernelGsBase === undefined ? 432 : 440;
  const w = new Writer();
  w.u32(0, 1);
  w.u32(4, size);
  c.gprs.forEach((v, i) => w.u64(8 + i * 8, v));
  w.u64(136, c.rip);
  w.u64(144, c.rflags);
  c.selectors.forEach((s, i) => w.u32(152 + i * 24, s));
  w.u64(152 + 3 * 24 + 16, c.fsBase);
  w.u64(152 + 4 * 24 + 16, c.gsBase);
  c.cr.forEach((v, i) => w.u64(392 + i * 8, v));
  if (c.kernelGsBase !== undefined) w.u64(432, c.kernelGsBase);
  return w.done(size);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---- ELF cores ----

export interface LoadSpec {
  paddr: number;
  data: Uint8Array;
  /** Defaults to data.length; more makes an excluded tail (as makedumpfile -E writes). */
  memsz?: number;
  vaddr?: bigint;
}

export interface ElfSpec {
  loads: LoadSpec[];
  /** One PT_NOTE segment per entry. */
  notes?: Uint8Array[];
  eflags?: number;
  /** QEMU 7.2's layout: two section headers at 64, program headers after them, p_vaddr 0. */
  qemuLayout?: boolean;
  /** e_phnum = PN_XNUM with the count in section header 0's sh_info. */
  xnum?: boolean;
  type?: number;
  machine?: number;
}

export function buildElf(spec: ElfSpec): Uint8Array {
  const w = new Writer();
  const notes = spec.notes ?? [];
  const phnum = notes.length + spec.loads.length;
  w.bytes(0, Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1));
  w.u16(16, spec.type ?? 4);
  w.u16(18, spec.machine ?? 62);
  w.u32(20, 1);
  w.u32(48, spec.eflags ?? 0);
  w.u16(52, spec.qemuLayout ? 8 : 64);
  w.u16(54, 56);
  let phoff = 64;
  if (spec.qemuLayout || spec.xnum) {
    // Section headers first (null + one more), program headers after them.
    w.u64(40, 64);
    w.u16(58, 64);
    w.u16(60, 2);
    w.u16(62, 1);
    if (spec.xnum) w.u32(64 + 44, phnum);
    phoff = 64 + 2 * 64;
  }
  w.u64(32, phoff);
  w.u16(56, spec.xnum ? 0xffff : phnum);
  let data = phoff + phnum * 56;
  let ph = phoff;
  for (const n of notes) {
    w.u32(ph, 4);
    w.u64(ph + 8, data);
    w.u64(ph + 32, n.length);
    w.u64(ph + 40, n.length);
    w.bytes(data, n);
    data += n.length;
    ph += 56;
  }
  for (const l of spec.loads) {
    w.u32(ph, 1);
    w.u32(ph + 4, 7);
    w.u64(ph + 8, l.data.length ? data : 0);
    w.u64(ph + 16, spec.qemuLayout ? 0n : (l.vaddr ?? 0xffff888000000000n + BigInt(l.paddr)));
    w.u64(ph + 24, l.paddr);
    w.u64(ph + 32, l.data.length);
    w.u64(ph + 40, l.memsz ?? l.data.length);
    w.bytes(data, l.data);
    data += l.data.length;
    ph += 56;
  }
  return w.done(Math.max(w.length, data));
}

// ---- KDUMP ----

export type PageSpec = Uint8Array | { data: Uint8Array; codec: 'raw' | 'zlib' };

export interface KdumpSpec {
  maxMapnr: number;
  /** pfn -> content for dumped pages; all-zero pages share one zero page, as makedumpfile writes them. */
  pages: Map<number, PageSpec>;
  /** RAM pfns (1st bitmap); defaults to every pfn below maxMapnr. */
  ram?: (pfn: number) => boolean;
  signature?: string;
  version?: number;
  status?: number;
  dumpLevel?: number;
  split?: { start: number; end: number };
  vmcoreinfo?: string;
  notes?: Uint8Array;
  nodename?: string;
  timestamp?: bigint;
  /** One bitmap (RAM = dumped) instead of two. */
  oneBitmap?: boolean;
  /** Descriptor indexes to leave empty (offset 0), as an incomplete dump has them. */
  emptyDescriptors?: Set<number>;
}

export interface BuiltKdump {
  bytes: Uint8Array;
  descStart: number;
  bitmapStart: number;
  /** pfn -> [descriptor offset, data offset, data size] */
  layout: Map<number, [number, number, number]>;
}

export function buildKdump(spec: KdumpSpec): BuiltKdump {
  const bs = PAGE;
  const w = new Writer();
  const version = spec.version ?? 6;
  w.str(0, spec.signature ?? 'KDUMP   ');
  w.i32(8, version);
  ['Linux', spec.nodename ?? 'synthetic', '6.1.0-test', '#1 SMP', 'x86_64', '(none)'].forEach((s, i) => w.str(12 + i * 65, s));
  w.u64(408, spec.timestamp ?? 1700000000n);
  w.u32(424, spec.status ?? 0);
  w.i32(428, bs);
  const notes = spec.notes ?? new Uint8Array(0);
  const vmci = new TextEncoder().encode(spec.vmcoreinfo ?? 'OSRELEASE=6.1.0-test\nPAGESIZE=4096\n');
  const subBytes = 104 + notes.length + vmci.length;
  const subBlocks = Math.ceil(subBytes / bs);
  const oneBitmap = Math.ceil(Math.ceil(spec.maxMapnr / 8) / bs) * bs;
  const bitmapBytes = spec.oneBitmap ? oneBitmap : 2 * oneBitmap;
  w.i32(432, subBlocks);
  w.u32(436, bitmapBytes / bs);
  w.u32(440, spec.maxMapnr);
  w.i32(460, 2);
  // sub header
  w.u64(bs, 0x1000000n);
  w.i32(bs + 8, spec.dumpLevel ?? 31);
  if (spec.split) {
    w.i32(bs + 12, 1);
    w.u64(bs + 16, spec.split.start);
    w.u64(bs + 24, spec.split.end);
    w.u64(bs + 80, spec.split.start);
    w.u64(bs + 88, spec.split.end);
  }
  w.u64(bs + 96, spec.maxMapnr);
  const noteOff = bs + 104;
  if (notes.length) {
    w.u64(bs + 48, noteOff);
    w.u64(bs + 56, notes.length);
    w.bytes(noteOff, notes);
  }
  const vmciOff = noteOff + notes.length;
  w.u64(bs + 32, vmciOff);
  w.u64(bs + 40, vmci.length);
  w.bytes(vmciOff, vmci);
  // bitmaps
  const bitmapStart = (1 + subBlocks) * bs;
  const ram = spec.ram ?? (() => true);
  const dumpedBase = spec.oneBitmap ? bitmapStart : bitmapStart + oneBitmap;
  w.at(bitmapStart, bitmapBytes);
  const setBit = (base: number, pfn: number): void => w.u8(base + (pfn >> 3), (w.at(base + (pfn >> 3), 1).getUint8(base + (pfn >> 3)) | (1 << (pfn & 7))));
  for (let pfn = 0; pfn < spec.maxMapnr; pfn++) if (ram(pfn) && !spec.oneBitmap) setBit(bitmapStart, pfn);
  const dumped = [...spec.pages.keys()].sort((a, b) => a - b);
  for (const pfn of dumped) setBit(dumpedBase, pfn);
  // descriptors and data: only this part's range for a split part
  const mine = dumped.filter((p) => !spec.split || (p >= spec.split.start && p < spec.split.end));
  const descStart = bitmapStart + bitmapBytes;
  let data = descStart + mine.length * 24;
  const layout = new Map<number, [number, number, number]>();
  let zeroOff = -1;
  mine.forEach((pfn, i) => {
    const d = descStart + i * 24;
    if (spec.emptyDescriptors?.has(i)) return;
    const p = spec.pages.get(pfn)!;
    const content = p instanceof Uint8Array ? p : p.data;
    const codec = p instanceof Uint8Array ? 'raw' : p.codec;
    let off: number;
    let bytes = content;
    let flags = 0;
    if (codec === 'raw' && content.every((b) => b === 0)) {
      if (zeroOff < 0) {
        zeroOff = data;
        w.bytes(data, new Uint8Array(bs));
        data += bs;
      }
      off = zeroOff;
    } else {
      if (codec === 'zlib') {
        bytes = zlibSync(content, { level: 1 });
        flags = 1;
      }
      off = data;
      w.bytes(data, bytes);
      data += bytes.length;
    }
    w.u64(d, off);
    w.u32(d + 8, bytes.length);
    w.u32(d + 12, flags);
    layout.set(pfn, [d, off, bytes.length]);
  });
  return { bytes: w.done(Math.max(w.length, data)), descStart, bitmapStart, layout };
}

// ---- flattened ----

function flatHeader(): Uint8Array {
  const h = new Uint8Array(4096);
  h.set(new TextEncoder().encode('makedumpfile'));
  const v = new DataView(h.buffer);
  v.setBigInt64(16, 1n);
  v.setBigInt64(24, 1n);
  return h;
}

function recordHeader(offset: bigint, size: bigint): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, offset);
  v.setBigInt64(8, size);
  return b;
}

export type FlatRecord = { offset: number; size: number } | { offset: number; bytes: Uint8Array };

/**
 * A flattened stream of `file`, written as the given records in the given order (a record with `bytes`
 * writes those instead of the file's). Built virtually: the file's bytes are not copied.
 */
export function flatten(file: ByteSource, records: FlatRecord[], opts: { end?: boolean; name?: string } = {}): ByteSource {
  const parts: ByteSource[] = [new BufferSource('hdr', flatHeader())];
  for (const r of records) {
    if ('bytes' in r) {
      parts.push(new BufferSource('rec', recordHeader(BigInt(r.offset), BigInt(r.bytes.length))));
      parts.push(new BufferSource('data', r.bytes));
    } else {
      parts.push(new BufferSource('rec', recordHeader(BigInt(r.offset), BigInt(r.size))));
      parts.push(new SliceSource(file, r.offset, r.size));
    }
  }
  if (opts.end ?? true) parts.push(new BufferSource('end', recordHeader(-1n, -1n)));
  return new ConcatSource(opts.name ?? `${file.name}.flat`, parts);
}

/** Cuts [0, size) into random chunks and shuffles them. */
export function shuffledRecords(size: number, seed: number, maxChunk = 1 << 16): { offset: number; size: number }[] {
  const r = rng(seed);
  const out: { offset: number; size: number }[] = [];
  for (let at = 0; at < size; ) {
    const n = Math.min(size - at, 1 + Math.floor(r() * maxChunk));
    out.push({ offset: at, size: n });
    at += n;
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
