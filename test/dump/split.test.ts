// A split set made from a real KDUMP the way makedumpfile --split lays parts out: each part has the full
// bitmaps, split=1 with its [start_pfn, end_pfn), and a descriptor table starting at start_pfn's page. Built
// virtually (header patches and slices of the real file), with page data left at its original offsets.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { KdumpFile } from '../../src/dump/kdump-compressed.ts';
import { openDump } from '../../src/dump/open.ts';
import { SplitKdump } from '../../src/dump/split.ts';
import { BufferSource, type ByteSource, SliceSource } from '../../src/io/byte-source.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { dumps, fixture } from '../helpers/fixtures.ts';
import { ConcatSource, MutatedSource } from './sources.ts';

beforeAll(() => {
  loadWasmNode();
});

function splitPart(whole: ByteSource, k: KdumpFile, start: number, end: number, name: string): ByteSource {
  const bs = k.header.blockSize;
  const descStart = (1 + k.header.subHdrSize + k.header.bitmapBlocks) * bs;
  const descEnd = descStart + k.descriptorCount() * 24;
  // Descriptor index of `start` in the whole file: count the dumped pages before it.
  let skip = 0;
  for (let p = 0n; p < BigInt(start); p++) if (k.pageState(p) === 'present' || k.pageState(p) === 'lost') skip++;
  const head = new MutatedSource(new SliceSource(whole, 0, descStart), name)
    .u32(bs + 12, 1)
    .u64(bs + 16, BigInt(start))
    .u64(bs + 24, BigInt(end))
    .u64(bs + 80, BigInt(start))
    .u64(bs + 88, BigInt(end));
  return new ConcatSource(name, [
    head,
    new SliceSource(whole, descStart + skip * 24, descEnd - descStart - skip * 24),
    new BufferSource('pad', new Uint8Array(skip * 24)),
    new SliceSource(whole, descEnd, whole.size - descEnd),
  ]);
}

describe.skipIf(!dumps('t-tiny-la57').some((d) => d.name === 'kdump-path-d31-lzo.kdump'))('split set from t-tiny-la57/kdump-path-d31-lzo.kdump', () => {
  const load = () => {
    const whole = NodeFileSource.open(fixture('t-tiny-la57', 'kdump-path-d31-lzo.kdump').path);
    const k = KdumpFile.open(whole);
    const max = Number(k.maxPfn);
    const cuts = [0, 0x12c00, 0x17800, max];
    const parts = [0, 1, 2].map((i) => splitPart(whole, k, cuts[i]!, cuts[i + 1]!, `split${i + 1}.kdump`));
    return { k, parts };
  };

  it('reads page for page like the whole dump, whatever order the parts come in', () => {
    const { k, parts } = load();
    const m = openDump([parts[2]!, parts[0]!, parts[1]!]);
    expect(m).toBeInstanceOf(SplitKdump);
    expect(m.warnings).toEqual([]);
    expect(m.incomplete).toBe(false);
    expect(m.notes.vmcoreinfo).toBe(k.notes.vmcoreinfo);
    const a = new Uint8Array(4096);
    const b = new Uint8Array(4096);
    let n = 0;
    for (let p = 0n; p < k.maxPfn; p++) {
      const s = k.pageState(p);
      if (m.pageState(p) !== s) expect.fail(`pfn 0x${p.toString(16)}: ${m.pageState(p)} vs ${s}`);
      if (s !== 'present') continue;
      k.readPage(p, a);
      m.readPage(p, b);
      if (Buffer.compare(a, b) !== 0) expect.fail(`pfn 0x${p.toString(16)} differs`);
      n++;
    }
    expect(n).toBe(6234);
  });

  it("without its middle part: that range's RAM is lost, not-RAM stays absent, the rest reads", () => {
    const { k, parts } = load();
    const m = openDump([parts[0]!, parts[2]!]);
    expect(m.incomplete).toBe(true);
    expect(m.warnings).toEqual([expect.stringMatching(/no part of the split dump holds pfns 0x12c00-0x177ff: a file of the set is missing/)]);
    let lost = 0;
    for (let p = 0x12c00n; p < 0x17800n; p++) {
      const want = k.pageState(p) === 'absent' ? 'absent' : 'lost';
      if (m.pageState(p) !== want) expect.fail(`pfn 0x${p.toString(16)}: ${m.pageState(p)}, want ${want}`);
      if (want === 'lost') lost++;
    }
    expect(lost).toBeGreaterThan(1000);
    const present = [...Array(0x12c00).keys()].find((p) => k.pageState(BigInt(p)) === 'present')!;
    const out = new Uint8Array(4096);
    m.readPage(BigInt(present), out);
    const firstLost = [...Array(0x4c00).keys()].map((i) => BigInt(0x12c00 + i)).find((p) => m.pageState(p) === 'lost')!;
    expect(() => m.readPage(firstLost, out)).toThrow(/split1\.kdump, split3\.kdump: page lost: .*holding pfns 0x12c00-0x177ff was not given/);
  });

  it('a part opened alone knows what it does not hold', () => {
    const { parts } = load();
    const alone = KdumpFile.open(parts[1]!);
    expect(alone.splitRange).toEqual({ start: 0x12c00n, end: 0x17800n });
    const first = [...Array(0x1000).keys()].map((p) => BigInt(p)).find((p) => alone.pageState(p) === 'lost');
    expect(first).toBeDefined();
    expect(() => alone.readPage(first!, new Uint8Array(4096))).toThrow(/held by another part of this split dump/);
  });
});
