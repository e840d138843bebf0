// Damaged input, at least 2,000 mutations per format (ELF, KDUMP, flattened), made from real fixtures
// without copying them: truncations (SliceSource) and overlays (MutatedSource). Each must either fail to open
// with a DumpFormatError, or open and then report PageMissing / PageCorrupt for the damaged pages while the
// others still read -- within a time bound and a read budget (no hang, no unbounded scan or allocation).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import type { DumpFile } from '../../src/dump/dump-file.ts';
import { ElfVmcore } from '../../src/dump/elf-vmcore.ts';
import { KdumpFile } from '../../src/dump/kdump-compressed.ts';
import { openDump } from '../../src/dump/open.ts';
import { DumpFormatError, PageCorrupt, PageMissing } from '../../src/errors.ts';
import { type ByteSource, SliceSource } from '../../src/io/byte-source.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { dumps, fixture, type Scenario } from '../helpers/fixtures.ts';
import { rng } from './build.ts';
import { BudgetSource, MutatedSource } from './sources.ts';

beforeAll(() => {
  loadWasmNode();
});

const PAGE = 4096;
const READ_BUDGET = 24 << 20; // per mutation: headers, bitmaps and a few dozen pages, plus at most 16 MiB of notes
const TIME_BOUND_MS = 2000;

interface Mutation {
  what: string;
  src: ByteSource;
  /** For truncations: the new size. Pages then must be present exactly when all their bytes survive. */
  cut?: number;
}

interface Tally {
  openErrors: number;
  opened: number;
  read: number;
  missing: number;
  corrupt: number;
}

const has = (scenario: Scenario, name: string): boolean => dumps(scenario).some((d) => d.name === name);

/** A spread of pages: present ones across the dump, the first and last, and some that are not present. */
function samplePages(m: DumpFile, n = 24): bigint[] {
  const present: bigint[] = [];
  const other: bigint[] = [];
  for (let p = 0n; p < m.maxPfn; p++) (m.pageState(p) === 'present' ? present : other).push(p);
  const pick = (a: bigint[], k: number): bigint[] => Array.from({ length: Math.min(k, a.length) }, (_, i) => a[Math.floor((i * (a.length - 1)) / Math.max(1, k - 1))]!);
  return [...new Set([...pick(present, n), ...pick(other, 4), m.maxPfn - 1n, m.maxPfn])];
}

function probe(
  m: Mutation,
  pristine: DumpFile,
  pristinePages: Map<bigint, Uint8Array>,
  sample: bigint[],
  tally: Tally,
  expectPresent?: (pfn: bigint, cut: number) => boolean,
): void {
  const t0 = performance.now();
  const src = new BudgetSource(m.src, READ_BUDGET);
  const fail = (why: string): never => expect.fail(`${m.what}: ${why}`);
  let d: DumpFile;
  try {
    d = openDump([src]);
  } catch (e) {
    if (!(e instanceof DumpFormatError)) fail(`open threw ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
    if (!(e as Error).message.startsWith(`${m.src.name}: `)) fail(`error does not name the file: ${(e as Error).message}`);
    tally.openErrors++;
    return;
  }
  tally.opened++;
  void d.incomplete;
  void d.describe();
  const out = new Uint8Array(PAGE);
  for (const pfn of sample) {
    let state: string;
    try {
      state = d.pageState(pfn);
      d.readPage(pfn, out);
      if (state !== 'present') fail(`pfn 0x${pfn.toString(16)} read although its state is ${state}`);
      tally.read++;
      if (m.cut !== undefined) {
        const want = pristinePages.get(pfn);
        if (!want || Buffer.compare(want, out) !== 0) fail(`pfn 0x${pfn.toString(16)} reads different bytes after truncation`);
      }
    } catch (e) {
      if (e instanceof PageMissing) tally.missing++;
      else if (e instanceof PageCorrupt) tally.corrupt++;
      else fail(`pfn 0x${pfn.toString(16)}: ${(e as Error).name}: ${(e as Error).message}\n${(e as Error).stack}`);
    }
    if (m.cut !== undefined && expectPresent) {
      const want = pristine.pageState(pfn) === 'present' && expectPresent(pfn, m.cut);
      if ((d.pageState(pfn) === 'present') !== want) fail(`pfn 0x${pfn.toString(16)}: state ${d.pageState(pfn)}, expected ${want ? 'present' : 'not present'}`);
    }
  }
  const ms = performance.now() - t0;
  if (ms > TIME_BOUND_MS) fail(`took ${ms.toFixed(0)} ms`);
}

function run(
  pristine: DumpFile,
  mutations: Mutation[],
  expectPresent?: (pfn: bigint, cut: number) => boolean,
): Tally {
  const sample = samplePages(pristine);
  const pages = new Map<bigint, Uint8Array>();
  for (const p of sample)
    if (pristine.pageState(p) === 'present') {
      const b = new Uint8Array(PAGE);
      pristine.readPage(p, b);
      pages.set(p, b);
    }
  const tally: Tally = { openErrors: 0, opened: 0, read: 0, missing: 0, corrupt: 0 };
  for (const m of mutations) probe(m, pristine, pages, sample, tally, expectPresent);
  if (process.env.CRASHLENS_MUTATION_STATS) console.log(pristine.fileName, mutations.length, 'mutations', tally);
  return tally;
}

// ---- mutation generators ----

function truncations(base: ByteSource, headerEnd: number, randomCuts: number, seed: number): Mutation[] {
  const out: Mutation[] = [];
  const cuts = new Set<number>([0, 1, 7, 63, 64, 100]);
  for (let b = 0; b <= Math.min(headerEnd, base.size); b += PAGE) for (const d of [-1, 0, 1]) if (b + d >= 0 && b + d < base.size) cuts.add(b + d);
  const r = rng(seed);
  const target = cuts.size + randomCuts;
  while (cuts.size < target) cuts.add(Math.floor(r() * base.size));
  for (const c of [...cuts].sort((a, b) => a - b)) out.push({ what: `truncated to ${c} bytes`, src: new SliceSource(base, 0, c), cut: c });
  return out;
}

function bitFlips(base: ByteSource, from: number, to: number, label: string, every = 1): Mutation[] {
  const out: Mutation[] = [];
  for (let at = from; at < Math.min(to, base.size); at++)
    for (let bit = 0; bit < 8; bit += every) out.push({ what: `${label}: bit ${bit} of byte 0x${at.toString(16)} flipped`, src: new MutatedSource(base).xor(at, 1 << bit) });
  return out;
}

function randomFlips(base: ByteSource, from: number, to: number, n: number, seed: number, label: string): Mutation[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const at = from + Math.floor(r() * (to - from));
    const mask = 1 + Math.floor(r() * 255);
    return { what: `${label}: byte 0x${at.toString(16)} ^= 0x${mask.toString(16)}`, src: new MutatedSource(base).xor(at, mask) };
  });
}

const U32_VALUES = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0xfff, 0x1001, 0x10000];
const U64_VALUES = [0n, 1n, -1n, 1n << 62n, (1n << 63n) - 1n, 1n << 40n, 0x1000n, 0xfffn];

function fieldValues(base: ByteSource, fields: [number, 4 | 8, string][], extra64: bigint[] = []): Mutation[] {
  const out: Mutation[] = [];
  for (const [at, size, name] of fields) {
    if (size === 4) for (const v of U32_VALUES) out.push({ what: `${name} = ${v}`, src: new MutatedSource(base).u32(at, v) });
    else for (const v of [...U64_VALUES, ...extra64]) out.push({ what: `${name} = ${v}`, src: new MutatedSource(base).u64(at, v) });
  }
  return out;
}

// ---- the formats ----

describe.skipIf(!has('t-tiny-la57', 'mdf-d31-lzo.kdump'))('KDUMP mutations (t-tiny-la57/mdf-d31-lzo.kdump)', () => {
  it('at least 2,000 damaged files: typed errors, lost/corrupt pages, the rest reads', () => {
    const base = NodeFileSource.open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path);
    const pristine = KdumpFile.open(base);
    const size = base.size;
    const bs = pristine.header.blockSize;
    const descStart = (1 + pristine.header.subHdrSize + pristine.header.bitmapBlocks) * bs;
    const descEnd = descStart + pristine.descriptorCount() * 24;
    const bitmapStart = (1 + pristine.header.subHdrSize) * bs;
    const sample = samplePages(pristine).filter((p) => pristine.pageState(p) === 'present');
    const descs: Mutation[] = [];
    for (const pfn of sample) {
      const info = pristine.pageInfo(pfn);
      const d = info.descOffset!;
      const tag = `pfn 0x${pfn.toString(16)} descriptor`;
      for (const v of [0n, -1n, -4096n, 100n, BigInt(size), BigInt(size - 10), 1n << 62n, BigInt(descStart), BigInt(info.dataOffset! + 1)])
        descs.push({ what: `${tag} offset = ${v}`, src: new MutatedSource(base).u64(d, v) });
      for (const v of [0, 1, info.size! - 1, info.size! + 1, bs, bs + 1, 0xffffffff]) descs.push({ what: `${tag} size = ${v}`, src: new MutatedSource(base).u32(d + 8, v) });
      for (const v of [0, 1, 2, 4, 0x8, 0x20, 0x22, 0xff, 0xffffffff]) descs.push({ what: `${tag} flags = ${v}`, src: new MutatedSource(base).u32(d + 12, v) });
    }
    const header: [number, 4 | 8, string][] = [
      [8, 4, 'header_version'], [424, 4, 'status'], [428, 4, 'block_size'], [432, 4, 'sub_hdr_size'],
      [436, 4, 'bitmap_blocks'], [440, 4, 'max_mapnr'], [460, 4, 'nr_cpus'],
      [bs + 0, 8, 'phys_base'], [bs + 8, 4, 'dump_level'], [bs + 12, 4, 'split'], [bs + 16, 8, 'start_pfn'], [bs + 24, 8, 'end_pfn'],
      [bs + 32, 8, 'offset_vmcoreinfo'], [bs + 40, 8, 'size_vmcoreinfo'], [bs + 48, 8, 'offset_note'], [bs + 56, 8, 'size_note'],
      [bs + 80, 8, 'start_pfn_64'], [bs + 88, 8, 'end_pfn_64'], [bs + 96, 8, 'max_mapnr_64'],
    ];
    const mutations = [
      ...truncations(base, descEnd + PAGE, 300, 1),
      ...bitFlips(base, 0, 8, 'signature'),
      ...bitFlips(base, 8, 12, 'header_version'),
      ...bitFlips(base, 408, 464, 'disk_dump_header'),
      ...bitFlips(base, bs, bs + 104, 'kdump_sub_header'),
      ...randomFlips(base, 12, 408, 50, 2, 'utsname'),
      ...randomFlips(base, bs + 104, bitmapStart, 150, 3, 'notes/VMCOREINFO'),
      ...randomFlips(base, bitmapStart, descStart, 200, 4, 'bitmaps'),
      ...randomFlips(base, descStart, descEnd, 200, 5, 'page descriptors'),
      ...randomFlips(base, descEnd, size, 200, 6, 'page data'),
      ...fieldValues(base, header),
      ...descs,
    ];
    expect(mutations.length).toBeGreaterThanOrEqual(2000);
    const t = run(pristine, mutations, (pfn, cut) => {
      const i = pristine.pageInfo(pfn);
      return i.descOffset! + 24 <= cut && i.dataOffset! + i.size! <= cut;
    });
    expect(t.openErrors + t.opened).toBe(mutations.length);
    expect(t.openErrors).toBeGreaterThan(100);
    expect(t.opened).toBeGreaterThan(1000);
    expect(t.missing).toBeGreaterThan(1000);
    expect(t.corrupt).toBeGreaterThan(50);
    expect(t.read).toBeGreaterThan(10000);
  });

  it('zstd and snappy pages with damaged data: PageCorrupt, never a crash', () => {
    for (const [scenario, name] of [['a-qemu-sysrq', 'mdf-d31-zstd.kdump'], ['a-qemu-sysrq', 'mdf-d31-snappy.kdump'], ['t-tiny-la57', 'mdf-d31-zstd.kdump']] as const) {
      if (!has(scenario, name)) continue;
      const base = NodeFileSource.open(fixture(scenario, name).path);
      const pristine = KdumpFile.open(base);
      // Flip bytes inside the data of the pages the probe reads, so the decoders see damaged streams.
      const r = rng(7);
      const flips: Mutation[] = [];
      for (const pfn of samplePages(pristine)) {
        const i = pristine.pageInfo(pfn);
        if (i.state !== 'present' || !i.flags) continue;
        for (let k = 0; k < 16; k++) {
          const at = i.dataOffset! + Math.floor(r() * i.size!);
          const mask = 1 + Math.floor(r() * 255);
          flips.push({ what: `${name} pfn 0x${pfn.toString(16)}: byte 0x${at.toString(16)} ^= 0x${mask.toString(16)}`, src: new MutatedSource(base).xor(at, mask) });
        }
      }
      const t = run(pristine, flips);
      expect(t.opened).toBe(flips.length);
      expect(t.corrupt).toBeGreaterThan(flips.length / 4);
    }
  });
});

describe.skipIf(!has('t-tiny-la57', 'mdf-d31-elf.elf'))('ELF mutations (t-tiny-la57/mdf-d31-elf.elf)', () => {
  it('at least 2,000 damaged files: typed errors, lost/excluded pages, the rest reads', () => {
    const base = NodeFileSource.open(fixture('t-tiny-la57', 'mdf-d31-elf.elf').path);
    const pristine = ElfVmcore.open(base);
    const loads = pristine.segments.filter((s) => s.type === 1);
    const note = pristine.segments.find((s) => s.type === 4)!;
    const phEnd = 64 + pristine.segments.length * 56;
    const headerEnd = Number(note.offset + note.filesz);
    const phFields: [number, 4 | 8, string][] = [];
    for (const s of pristine.segments) {
      const at = 64 + s.index * 56;
      phFields.push([at, 4, `phdr ${s.index} p_type`], [at + 8, 8, `phdr ${s.index} p_offset`], [at + 24, 8, `phdr ${s.index} p_paddr`], [at + 32, 8, `phdr ${s.index} p_filesz`], [at + 40, 8, `phdr ${s.index} p_memsz`]);
    }
    const ehdrFields: [number, 4 | 8, string][] = [[32, 8, 'e_phoff'], [40, 8, 'e_shoff'], [48, 4, 'e_flags']];
    const u16 = (at: number, name: string): Mutation[] =>
      [0, 1, 2, 55, 56, 57, 0xfffe, 0xffff, 0x8000].map((v) => ({ what: `${name} = ${v}`, src: new MutatedSource(base).set(at, Uint8Array.of(v & 0xff, v >> 8)) }));
    const mutations = [
      ...truncations(base, headerEnd + PAGE, 400, 11),
      ...bitFlips(base, 0, 64, 'ELF header'),
      ...bitFlips(base, 64, phEnd, 'program headers', 2),
      ...bitFlips(base, Number(note.offset), Number(note.offset) + 16, 'first note header'),
      ...randomFlips(base, Number(note.offset), headerEnd, 200, 12, 'notes'),
      ...randomFlips(base, headerEnd, base.size, 100, 13, 'segment data'),
      ...fieldValues(base, [...ehdrFields, ...phFields], [BigInt(base.size), BigInt(base.size + 1), 0xffffffff00000000n]),
      ...u16(54, 'e_phentsize'), ...u16(56, 'e_phnum'), ...u16(58, 'e_shentsize'),
      // PN_XNUM with section header 0 wherever e_shoff points
      ...[0n, 64n, 0x1000n, BigInt(base.size - 10), 1n << 60n].map((sh) => ({ what: `PN_XNUM, e_shoff ${sh}`, src: new MutatedSource(base).set(56, Uint8Array.of(0xff, 0xff)).set(58, Uint8Array.of(64, 0)).u64(40, sh) })),
    ];
    expect(mutations.length).toBeGreaterThanOrEqual(2000);
    // A page survives a cut when every file byte backing it does.
    const t = run(pristine, mutations, (pfn, cut) => {
      const start = Number(pfn) * PAGE;
      for (const s of loads) {
        const p = Number(s.paddr);
        const fileEnd = Math.min(p + Number(s.filesz), start + PAGE);
        if (start < p + Number(s.filesz) && start + PAGE > p && Number(s.offset) + (fileEnd - p) > cut) return false;
      }
      return true;
    });
    expect(t.openErrors + t.opened).toBe(mutations.length);
    expect(t.openErrors).toBeGreaterThan(50);
    expect(t.opened).toBeGreaterThan(1000);
    expect(t.missing).toBeGreaterThan(1000);
    expect(t.read).toBeGreaterThan(10000);
  });
});

describe.skipIf(!has('a-qemu-sysrq', 'mdf-d31-zlib.flat'))('flattened mutations (a-qemu-sysrq/mdf-d31-zlib.flat)', () => {
  it('at least 2,000 damaged streams: typed errors, lost/corrupt pages, the rest reads', () => {
    const base = NodeFileSource.open(fixture('a-qemu-sysrq', 'mdf-d31-zlib.flat').path);
    const pristine = openDump([base]);
    // The record headers, found the way the reader finds them.
    const records: { at: number; offset: bigint; size: bigint }[] = [];
    for (let pos = 4096; pos + 16 <= base.size; ) {
      const v = new DataView(base.read(pos, 16).slice().buffer);
      const offset = v.getBigInt64(0);
      const size = v.getBigInt64(8);
      records.push({ at: pos, offset, size });
      if (offset === -1n) break;
      pos += 16 + Number(size);
    }
    const r = rng(21);
    const recordMutations: Mutation[] = [];
    for (const rec of records) {
      const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
      const tag = `record at 0x${rec.at.toString(16)}`;
      for (let k = 0; k < 2; k++) {
        const v = pick([-1n, -2n, 0n, 1n << 62n, rec.offset + 1n, rec.offset + 4096n, BigInt(base.size) * 4n]);
        recordMutations.push({ what: `${tag}: offset = ${v}`, src: new MutatedSource(base).u64(rec.at, v, false) });
      }
      for (let k = 0; k < 2; k++) {
        const v = pick([-1n, -2n, 0n, 1n << 62n, rec.size + 1n, rec.size - 1n, BigInt(base.size), 16n]);
        recordMutations.push({ what: `${tag}: size = ${v}`, src: new MutatedSource(base).u64(rec.at + 8, v, false) });
      }
    }
    // The rebuilt file's headers, bitmaps and descriptors come from the first records: cut every 4 KiB there.
    const descEnd = 0x5000 + 15120 * 24;
    const firstRegion = records.find((x) => x.offset > BigInt(descEnd))?.at ?? base.size;
    const mutations = [
      ...truncations(base, firstRegion + PAGE, 300, 22),
      ...bitFlips(base, 0, 32, 'makedumpfile_header'),
      ...randomFlips(base, 4096, base.size, 100, 23, 'stream'),
      ...records.slice(0, 40).flatMap((rec) => bitFlips(base, rec.at, rec.at + 16, 'record header', 4)),
      ...recordMutations,
    ];
    expect(mutations.length).toBeGreaterThanOrEqual(2000);
    const t = run(pristine, mutations);
    expect(t.openErrors + t.opened).toBe(mutations.length);
    expect(t.openErrors).toBeGreaterThan(20);
    expect(t.opened).toBeGreaterThan(1000);
    expect(t.missing).toBeGreaterThan(500);
    expect(t.read).toBeGreaterThan(10000);
  });
});
