import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { FlattenedSource } from '../../src/dump/flattened.ts';
import { KdumpFile } from '../../src/dump/kdump-compressed.ts';
import { openDump } from '../../src/dump/open.ts';
import type { PhysicalMemory } from '../../src/dump/physical-memory.ts';
import { DumpFormatError } from '../../src/errors.ts';
import { BufferSource, type ByteSource, SliceSource } from '../../src/io/byte-source.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { dumps, fixture } from '../helpers/fixtures.ts';
import { buildElf, buildKdump, flatten, PAGE, pageOf, rng, shuffledRecords } from './build.ts';
import { ConcatSource } from './sources.ts';

beforeAll(() => {
  loadWasmNode();
});

const file = new BufferSource('file', Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));

/** Every page present in `a` is present in `b` with the same bytes, and the reverse. */
function samePages(a: PhysicalMemory, b: PhysicalMemory): number {
  expect(b.maxPfn).toBe(a.maxPfn);
  const pa = new Uint8Array(a.pageSize);
  const pb = new Uint8Array(b.pageSize);
  let n = 0;
  for (let pfn = 0n; pfn < a.maxPfn; pfn++) {
    const s = a.pageState(pfn);
    expect(b.pageState(pfn), `pfn 0x${pfn.toString(16)}`).toBe(s);
    if (s !== 'present') continue;
    a.readPage(pfn, pa);
    b.readPage(pfn, pb);
    if (Buffer.compare(pa, pb) !== 0) expect.fail(`pfn 0x${pfn.toString(16)} differs`);
    n++;
  }
  return n;
}

describe('FlattenedSource', () => {
  it('rebuilds a file from out-of-order records; reads within and across records', () => {
    const flat = new FlattenedSource(flatten(file, shuffledRecords(file.size, 1, 3000)));
    expect(flat.size).toBe(file.size);
    expect(flat.truncated).toBe(false);
    expect(flat.warnings).toEqual([]);
    expect(flat.covers(0, file.size)).toBe(true);
    const r = rng(2);
    for (let i = 0; i < 500; i++) {
      const off = Math.floor(r() * file.size);
      const len = Math.min(file.size - off, Math.floor(r() * 9000));
      if (Buffer.compare(flat.read(off, len), file.read(off, len)) !== 0) expect.fail(`read(${off}, ${len}) differs`);
    }
    expect(() => flat.read(file.size - 1, 2)).toThrow(/past the end/);
  });

  it('gaps read as zeros and are not covered; a later record overwrites an earlier one', () => {
    const records = [
      { offset: 1000, bytes: new Uint8Array(500).fill(0xaa) }, // overwritten below
      { offset: 0, size: 800 },
      { offset: 1200, size: 100 },
      { offset: 900, size: 400 },
      { offset: 5000, size: 10 },
    ];
    const flat = new FlattenedSource(flatten(file, records));
    expect(flat.size).toBe(5010);
    expect(flat.read(0, 800)).toEqual(file.read(0, 800));
    expect(flat.read(800, 100)).toEqual(new Uint8Array(100));
    expect(flat.read(900, 400)).toEqual(file.read(900, 400));
    expect(flat.read(1300, 200)).toEqual(new Uint8Array(200).fill(0xaa));
    expect(flat.read(1500, 3500)).toEqual(new Uint8Array(3500));
    expect(flat.covers(0, 800)).toBe(true);
    expect(flat.covers(700, 200)).toBe(false);
    expect(flat.covers(900, 600)).toBe(true);
    expect(flat.covers(1400, 200)).toBe(false);
    expect(flat.covers(5000, 10)).toBe(true);
    expect(flat.covers(5000, 11)).toBe(false);
  });

  it('a stream cut short: keeps what was indexed, warns, reports progress', () => {
    const stream = flatten(file, shuffledRecords(file.size, 3, 4000));
    const cut = new SliceSource(stream, 0, Math.floor(stream.size * 0.6));
    const progress: number[] = [];
    const flat = new FlattenedSource(cut, { onProgress: (f) => progress.push(f) });
    expect(flat.truncated).toBe(true);
    expect(flat.warnings.join()).toMatch(/without its end marker: truncated/);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1]!))).toBe(true);
    // whatever it covers reads as in the original
    for (let off = 0; off + 100 <= flat.size; off += 997) if (flat.covers(off, 100)) expect(flat.read(off, 100)).toEqual(file.read(off, 100));
  });

  it('refuses bad headers and impossible records, naming the offset', () => {
    const good = flatten(file, [{ offset: 0, size: 100 }]);
    const bytes = good.read(0, good.size).slice();
    const with_ = (patch: (v: DataView) => void): ByteSource => {
      const b = bytes.slice();
      patch(new DataView(b.buffer));
      return new BufferSource('f.flat', b);
    };
    expect(() => new FlattenedSource(with_((v) => v.setBigInt64(16, 2n)))).toThrow(/type 2 is not 1/);
    expect(() => new FlattenedSource(with_((v) => v.setBigInt64(4096, -7n)))).toThrow(DumpFormatError);
    expect(() => new FlattenedSource(with_((v) => v.setBigInt64(4096 + 8, -2n)))).toThrow(/record 0 has an impossible/);
    expect(() => new FlattenedSource(with_((v) => v.setBigInt64(4096, 1n << 62n)))).toThrow(/at file offset 0x1000/);
    const huge = new FlattenedSource(with_((v) => v.setBigInt64(4096 + 8, 1n << 40n)));
    expect(huge.truncated).toBe(true);
    expect(huge.warnings.join()).toMatch(/claims 1099511627776 bytes/);
    expect(() => new FlattenedSource(new BufferSource('tiny', bytes.subarray(0, 100)))).toThrow(/too short/);
  });

  it('a flattened KDUMP reads like the KDUMP it came from, and a truncated one loses only its tail', () => {
    const pages = new Map(Array.from({ length: 40 }, (_, i) => [i * 2, pageOf(i)] as const));
    const kd = new BufferSource('k.kdump', buildKdump({ maxMapnr: 100, pages }).bytes);
    const flat = flatten(kd, shuffledRecords(kd.size, 9, 5000), { name: 'k.flat' });
    const a = openDump([kd]);
    const b = openDump([flat]);
    expect(b.format).toBe('flattened KDUMP (uncompressed)');
    expect(samePages(a, b)).toBe(40);
    expect(b.describe().join('\n')).toMatch(/makedumpfile header/);
    // Drop the records holding the last pages' data: those pages read as lost, not as zeros.
    const kept = shuffledRecords(kd.size, 9, 5000).filter((r) => r.offset + r.size <= kd.size - 3 * PAGE);
    const partial = openDump([flatten(kd, kept, { end: false, name: 'cut.flat' })]);
    expect(partial.incomplete).toBe(true);
    expect(partial.pageState(78n)).toBe('lost');
    const out = new Uint8Array(PAGE);
    partial.readPage(0n, out);
    expect(out).toEqual(pageOf(0));
  });

  it('a flattened ELF core opens too (makedumpfile -E -F)', () => {
    const elf = new BufferSource('e.elf', buildElf({ loads: [{ paddr: 0, data: pageOf(3) }] }));
    const m = openDump([flatten(elf, shuffledRecords(elf.size, 4, 700))]);
    expect(m.format).toBe('flattened ELF');
    const out = new Uint8Array(PAGE);
    m.readPage(0n, out);
    expect(out).toEqual(pageOf(3));
  });
});

describe('flattened fixtures', () => {
  it('t-tiny-la57: kdump-path-d31-lzo.kdump re-flattened out of order reads page for page like the .kdump', () => {
    const kd = NodeFileSource.open(fixture('t-tiny-la57', 'kdump-path-d31-lzo.kdump').path);
    const a = KdumpFile.open(kd);
    const b = openDump([flatten(kd, shuffledRecords(kd.size, 42, 1 << 17), { name: 'reflat' })]);
    expect(b.format).toBe('flattened KDUMP (lzo)');
    expect(b.notes.vmcoreinfo).toBe(a.notes.vmcoreinfo);
    expect(samePages(a, b)).toBeGreaterThan(6000);
  });

  it('a-qemu-sysrq: mdf-d31-zlib.flat (makedumpfile -F) reads the same pages as qemu-elf.elf', () => {
    const names = dumps('a-qemu-sysrq').map((d) => d.name);
    if (!names.includes('mdf-d31-zlib.flat') || !names.includes('qemu-elf.elf')) return;
    const flat = openDump([NodeFileSource.open(fixture('a-qemu-sysrq', 'mdf-d31-zlib.flat').path)]);
    const elf = openDump([NodeFileSource.open(fixture('a-qemu-sysrq', 'qemu-elf.elf').path)]);
    expect(flat.format).toBe('flattened KDUMP (zlib)');
    expect(flat.warnings).toEqual([]);
    const pa = new Uint8Array(PAGE);
    const pb = new Uint8Array(PAGE);
    let n = 0;
    for (let pfn = 0n; pfn < flat.maxPfn; pfn++) {
      if (flat.pageState(pfn) !== 'present') continue;
      expect(elf.pageState(pfn)).toBe('present');
      flat.readPage(pfn, pa);
      elf.readPage(pfn, pb);
      if (Buffer.compare(pa, pb) !== 0) expect.fail(`pfn 0x${pfn.toString(16)} differs`);
      n++;
    }
    expect(n).toBe(15120);
  });

  it('the flattened index reads only record headers', () => {
    const src = NodeFileSource.open(fixture('a-qemu-sysrq', 'qemu-kdump-zlib.kdump').path);
    let bytes = 0;
    const counting: ByteSource = { name: src.name, size: src.size, read: (o, l) => ((bytes += l), src.read(o, l)) };
    const flat = new FlattenedSource(counting);
    expect(flat.recordCount).toBe(1177);
    expect(bytes).toBeLessThan(4096 + 32 + 16 * 1178);
  });
});

// Keep ConcatSource exercised for multi-part reads (the flatten() helper relies on it).
describe('ConcatSource', () => {
  it('reads across parts', () => {
    const c = new ConcatSource('c', [new BufferSource('a', Uint8Array.of(1, 2)), new BufferSource('b', new Uint8Array(0)), new BufferSource('c', Uint8Array.of(3, 4, 5))]);
    expect(c.read(1, 3)).toEqual(Uint8Array.of(2, 3, 4));
    expect(c.read(4, 1)).toEqual(Uint8Array.of(5));
  });
});
