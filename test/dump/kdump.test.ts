import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { KdumpFile } from '../../src/dump/kdump-compressed.ts';
import { openDump } from '../../src/dump/open.ts';
import { SplitKdump } from '../../src/dump/split.ts';
import { DumpFormatError, PageCorrupt, PageMissing } from '../../src/errors.ts';
import { BufferSource, SliceSource } from '../../src/io/byte-source.ts';
import { buildKdump, concat, type KdumpSpec, note, PAGE, pageOf, prstatusDesc, regs } from './build.ts';
import { MutatedSource } from './sources.ts';

beforeAll(() => {
  loadWasmNode();
});

const zero = new Uint8Array(PAGE);
const notes = concat(note('CORE', 1, prstatusDesc(1, regs(1))), note('CORE', 1, prstatusDesc(2, regs(2))));

/** 3 raw pages, 2 zero pages (sharing one), a zlib page; pfn 8 is not RAM, pfn 5 is RAM but excluded. */
function small(extra: Partial<KdumpSpec> = {}): KdumpSpec {
  return {
    maxMapnr: 16,
    ram: (p) => p !== 8,
    pages: new Map<number, Uint8Array | { data: Uint8Array; codec: 'zlib' }>([
      [1, pageOf(1)],
      [2, pageOf(2)],
      [3, zero],
      [4, pageOf(4)],
      [6, zero],
      [7, { data: pageOf(7), codec: 'zlib' }],
    ]),
    notes,
    ...extra,
  };
}

function open(bytes: Uint8Array, name = 'small.kdump'): KdumpFile {
  return KdumpFile.open(new BufferSource(name, bytes));
}

function reason(f: () => void): string {
  try {
    f();
    return 'read';
  } catch (e) {
    if (e instanceof PageMissing) return e.reason;
    if (e instanceof PageCorrupt) return 'corrupt';
    throw e;
  }
}

describe('KdumpFile', () => {
  it('a minimal KDUMP: raw pages, the shared zero page, a zlib page; excluded and absent pfns', () => {
    const built = buildKdump(small());
    // makedumpfile writes one zero page and points every zero page at it.
    expect(built.layout.get(3)![1]).toBe(built.layout.get(6)![1]);
    const m = open(built.bytes);
    expect(m.format).toBe('KDUMP (uncompressed)');
    expect(m.maxPfn).toBe(16n);
    expect(m.partial).toBe(true);
    expect(m.incomplete).toBe(false);
    expect(m.warnings).toEqual([]);
    expect(m.notes.prstatus.map((p) => p.pid)).toEqual([1, 2]);
    expect(m.notes.vmcoreinfo).toMatch(/^OSRELEASE=6\.1\.0-test/);
    expect(m.descriptorCount()).toBe(6);
    const out = new Uint8Array(PAGE);
    for (const pfn of [1, 2, 4, 7]) {
      m.readPage(BigInt(pfn), out);
      expect(out).toEqual(pageOf(pfn));
    }
    out.fill(1);
    m.readPage(6n, out);
    expect(out).toEqual(zero);
    expect(m.pageState(0n)).toBe('excluded');
    expect(m.pageState(5n)).toBe('excluded');
    expect(m.pageState(8n)).toBe('absent');
    expect(m.pageState(16n)).toBe('absent');
    expect(() => m.readPage(5n, out)).toThrow(/small\.kdump: page excluded: pfn 0x5 /);
    expect(() => m.readPage(8n, out)).toThrow(/page absent: pfn 0x8 .*not RAM/);
    expect(m.describe().join('\n')).toMatch(/header_version: 6/);
  });

  it('header versions before 6 and dump_level 0', () => {
    const m = open(buildKdump(small({ version: 2, dumpLevel: 0 })).bytes);
    expect(m.partial).toBe(false);
    expect(m.notes.vmcoreinfo).toBeUndefined(); // offset_vmcoreinfo arrived in version 3
    expect(m.notes.prstatus).toHaveLength(0); // offset_note in version 4
    const out = new Uint8Array(PAGE);
    m.readPage(2n, out);
    expect(out).toEqual(pageOf(2));
  });

  it('the old DISKDUMP signature: pages read the same way, no sub header', () => {
    const m = open(buildKdump(small({ signature: 'DISKDUMP' })).bytes);
    expect(m.format).toBe('DISKDUMP');
    expect(m.partial).toBe(false);
    const out = new Uint8Array(PAGE);
    m.readPage(4n, out);
    expect(out).toEqual(pageOf(4));
  });

  it('one bitmap (too small for two): used for RAM and dumped alike', () => {
    const m = open(buildKdump(small({ oneBitmap: true })).bytes);
    expect(m.warnings.join()).toMatch(/one bitmap/);
    expect(m.pageState(5n)).toBe('absent');
    const out = new Uint8Array(PAGE);
    m.readPage(7n, out);
    expect(out).toEqual(pageOf(7));
  });

  it("DUMP_DH_COMPRESSED_INCOMPLETE: empty descriptors are 'lost', the rest reads", () => {
    const m = open(buildKdump(small({ status: 0x8, emptyDescriptors: new Set([4, 5]) })).bytes);
    expect(m.incomplete).toBe(true);
    expect(m.pageState(6n)).toBe('lost');
    expect(m.pageState(7n)).toBe('lost');
    const out = new Uint8Array(PAGE);
    expect(() => m.readPage(7n, out)).toThrow(/page lost: pfn 0x7 .*descriptor #5 .*incomplete/);
    m.readPage(4n, out);
    expect(out).toEqual(pageOf(4));
  });

  it('damaged descriptors and data: PageCorrupt naming pfn and codec, or lost past the end', () => {
    const built = buildKdump(small());
    const src = new BufferSource('d.kdump', built.bytes);
    const out = new Uint8Array(PAGE);
    const [d7, off7] = built.layout.get(7)!;
    const [d2] = built.layout.get(2)!;
    const [d4] = built.layout.get(4)!;
    // zlib data with a flipped byte
    const flipped = KdumpFile.open(new MutatedSource(src).xor(off7 + 5, 0xff));
    expect(() => flipped.readPage(7n, out)).toThrow(PageCorrupt);
    expect(() => flipped.readPage(7n, out)).toThrow(/d\.kdump: corrupt zlib page: pfn 0x7/);
    // raw page with a wrong size
    const raw = KdumpFile.open(new MutatedSource(src).u32(d2 + 8, 100));
    expect(() => raw.readPage(2n, out)).toThrow(/corrupt raw page: pfn 0x2: .*100 bytes/);
    // size over block_size
    const big = KdumpFile.open(new MutatedSource(src).u32(d2 + 8, 9000));
    expect(reason(() => big.readPage(2n, out))).toBe('corrupt');
    // data offset past the end
    const past = KdumpFile.open(new MutatedSource(src).u64(d4, BigInt(built.bytes.length + 10)));
    expect(past.pageState(4n)).toBe('lost');
    expect(() => past.readPage(4n, out)).toThrow(/page lost: pfn 0x4 .*past the end of the file/);
    // data offset into the headers, or negative
    const into = KdumpFile.open(new MutatedSource(src).u64(d4, 100n));
    expect(reason(() => into.readPage(4n, out))).toBe('corrupt');
    const neg = KdumpFile.open(new MutatedSource(src).u64(d4, -5n));
    expect(reason(() => neg.readPage(4n, out))).toBe('corrupt');
    // a zlib page marked lzo: decodes as garbage, caught
    const wrong = KdumpFile.open(new MutatedSource(src).u32(d7 + 12, 2));
    expect(reason(() => wrong.readPage(7n, out))).toBe('corrupt');
    // other pages of each damaged file still read
    for (const m of [flipped, raw, big, past, into, neg, wrong]) {
      m.readPage(1n, out);
      expect(out).toEqual(pageOf(1));
    }
  });

  it("a truncated file: descriptors or data past the end are 'lost'", () => {
    const built = buildKdump(small());
    const src = new BufferSource('t.kdump', built.bytes);
    const [, off4] = built.layout.get(4)!;
    const m = KdumpFile.open(new SliceSource(src, 0, off4 + 10));
    expect(m.incomplete).toBe(true);
    expect(m.warnings.join()).toMatch(/truncated/);
    const out = new Uint8Array(PAGE);
    m.readPage(2n, out);
    expect(out).toEqual(pageOf(2));
    expect(m.pageState(4n)).toBe('lost');
    expect(m.pageState(7n)).toBe('lost');
    const noDesc = KdumpFile.open(new SliceSource(src, 0, built.descStart + 24 * 2));
    expect(noDesc.pageState(1n)).toBe('lost');
    expect(() => noDesc.readPage(1n, out)).toThrow(/page lost: pfn 0x1 .*data at .* past the end of the file/);
    expect(() => noDesc.readPage(4n, out)).toThrow(/descriptor \(#3 .*past the end of the file/);
    // cut inside the bitmaps: nothing to read pages by
    expect(() => KdumpFile.open(new SliceSource(src, 0, built.descStart - 100))).toThrow(/bitmaps .* run past the end of the file/);
  });

  it('refuses impossible headers with DumpFormatError naming the field offset', () => {
    const base = buildKdump(small()).bytes;
    const bad = (patch: (m: MutatedSource) => void): string => {
      const m = new MutatedSource(new BufferSource('h.kdump', base));
      patch(m);
      try {
        KdumpFile.open(m);
      } catch (e) {
        expect(e).toBeInstanceOf(DumpFormatError);
        return (e as Error).message;
      }
      return 'opened';
    };
    expect(bad((m) => m.u32(428, 1000))).toMatch(/block_size 1000 .*\(at file offset 0x1ac\)/);
    expect(bad((m) => m.u32(436, 0xffffff))).toMatch(/bitmaps .* run past the end/);
    expect(bad((m) => m.u32(436, 0))).toMatch(/bitmap_blocks is 0/);
    expect(bad((m) => m.u32(432, 0x7fffffff))).toMatch(/sub_hdr_size/);
    expect(bad((m) => m.u32(8, 0x12345))).toMatch(/header_version/);
    expect(bad((m) => m.set(0, new TextEncoder().encode('KDUMPX')))).toMatch(/not a KDUMP file/);
    // max_mapnr larger than the bitmap: clamped, with a warning
    const m = KdumpFile.open(new MutatedSource(new BufferSource('h.kdump', base)).u64(PAGE + 96, 1n << 40n));
    expect(m.maxPfn).toBe(BigInt(PAGE * 8));
    expect(m.warnings.join()).toMatch(/max_mapnr .* more than the bitmap describes/);
    // notes and VMCOREINFO pointing outside the file: warnings, the pages still read
    const n = KdumpFile.open(new MutatedSource(new BufferSource('h.kdump', base)).u64(PAGE + 48, 1n << 50n).u64(PAGE + 40, 1n << 40n));
    expect(n.notes.prstatus).toHaveLength(0);
    expect(n.notes.vmcoreinfo).toBeUndefined();
    expect(n.warnings).toHaveLength(2);
  });
});

describe('split KDUMP sets', () => {
  const all = new Map<number, Uint8Array>(Array.from({ length: 20 }, (_, i) => [i * 3, pageOf(i * 3)] as const));
  const part = (start: number, end: number, extra: Partial<KdumpSpec> = {}): BufferSource =>
    new BufferSource(`part-${start}`, buildKdump({ maxMapnr: 64, pages: all, split: { start, end }, ...extra }).bytes);

  it('two parts read as one memory, dispatching by pfn', () => {
    const m = openDump([part(30, 64), part(0, 30)]);
    expect(m).toBeInstanceOf(SplitKdump);
    expect(m.format).toMatch(/KDUMP .*split in 2/);
    expect(m.maxPfn).toBe(64n);
    expect(m.incomplete).toBe(false);
    const out = new Uint8Array(PAGE);
    for (const [pfn, data] of all) {
      m.readPage(BigInt(pfn), out);
      expect(out).toEqual(data);
    }
    expect(m.pageState(1n)).toBe('excluded');
    expect(m.pageState(31n)).toBe('excluded');
  });

  it("a missing part: its range is 'lost' with a clear message; the rest reads", () => {
    const m = openDump([part(0, 30)]);
    expect(m.incomplete).toBe(true);
    expect(m.warnings.join()).toMatch(/no part of the split dump holds pfns 0x1e-0x3f/);
    expect(m.pageState(33n)).toBe('lost');
    const out = new Uint8Array(PAGE);
    expect(() => m.readPage(33n, out)).toThrow(/page lost: pfn 0x21 .*split dump holding pfns 0x1e-0x3f was not given/);
    m.readPage(27n, out);
    expect(out).toEqual(pageOf(27));
  });

  it('refuses parts of different dumps, overlapping parts and a non-split file among them', () => {
    expect(() => openDump([part(0, 30), part(30, 64, { nodename: 'other' })])).toThrow(/part-30: not a part of the same dump as part-0: utsname\.nodename/);
    expect(() => openDump([part(0, 30), part(30, 64, { timestamp: 5n })])).toThrow(/timestamp/);
    expect(() => openDump([part(0, 40), part(30, 64)])).toThrow(/overlapping/);
    const whole = new BufferSource('whole', buildKdump({ maxMapnr: 64, pages: all }).bytes);
    expect(() => openDump([part(0, 30), whole])).toThrow(DumpFormatError);
    expect(() => openDump([part(0, 30), whole])).toThrow(/whole: not part of a split dump/);
  });
});
