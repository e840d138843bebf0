// Page corpora for the codec benchmark: every compressed page of the fixtures' KDUMP (and flattened) dumps,
// grouped by codec, collected by test/helpers/compressed-pages.ts through KdumpFile's `decode` hook (no decoding
// there: the benchmark verifies every decoder's output against ours afterwards).
import type { CodecName } from '../src/codec/codecs.ts';
import { collectPages } from '../test/helpers/compressed-pages.ts';
import { allDumps, type FixtureDump } from '../test/helpers/fixtures.ts';

/** Where a corpus's pages came from. */
export interface CorpusSource {
  /** scenario/name, e.g. "a-qemu-sysrq/mdf-d31-lzo.kdump". */
  file: string;
  /** Compressed pages collected from it. */
  pages: number;
  compressedBytes: number;
  /** Pages the file stores uncompressed (makedumpfile keeps a page raw when compressing does not shrink it). */
  rawPages: number;
}

export interface Corpus {
  codec: CodecName;
  /** The dumps' block size: every page decompresses to exactly this many bytes. */
  pageSize: number;
  /** Each page's compressed bytes, as views into one packed buffer. */
  pages: Uint8Array[];
  compressedBytes: number;
  uncompressedBytes: number;
  sources: CorpusSource[];
}

/** Fixture dumps that can hold compressed pages: KDUMP files and flattened streams (not the ELF ones). */
export function pageDumps(): FixtureDump[] {
  return allDumps().filter((d) => d.name.endsWith('.kdump') || d.name.endsWith('.flat'));
}

/** Packs many small arrays into one buffer (fewer heap objects to trace while timing) and returns views. */
function pack(list: Uint8Array[]): Uint8Array[] {
  const total = list.reduce((s, p) => s + p.length, 0);
  const buf = new Uint8Array(total);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of list) {
    buf.set(p, at);
    out.push(buf.subarray(at, at + p.length));
    at += p.length;
  }
  return out;
}

/** One corpus per codec found in the fixtures, in the order zlib, lzo, snappy, zstd, then any other. */
export function collectCorpora(log: (line: string) => void = () => {}): Corpus[] {
  const acc = new Map<CodecName, { pageSize: number; pages: Uint8Array[]; sources: CorpusSource[] }>();
  for (const d of pageDumps()) {
    const label = `${d.scenario}/${d.name}`;
    const t0 = performance.now();
    const got = collectPages(d.path);
    for (const [codec, pages] of got.byCodec) {
      let c = acc.get(codec);
      if (!c) acc.set(codec, (c = { pageSize: got.pageSize, pages: [], sources: [] }));
      if (c.pageSize !== got.pageSize) throw new Error(`${label}: block size ${got.pageSize}, other ${codec} dumps have ${c.pageSize}`);
      const compressedBytes = pages.reduce((s, p) => s + p.length, 0);
      c.sources.push({ file: label, pages: pages.length, compressedBytes, rawPages: got.rawPages });
      for (const p of pages) c.pages.push(p);
    }
    const codecs = [...got.byCodec.keys()].join('+') || 'none';
    log(`  ${label}: ${[...got.byCodec.values()].reduce((s, l) => s + l.length, 0)} ${codecs} pages, ${got.rawPages} raw (${(performance.now() - t0).toFixed(0)} ms)`);
  }
  const order: CodecName[] = ['zlib', 'lzo', 'snappy', 'zstd', 'deflate'];
  return [...acc.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([codec, c]) => {
      const compressedBytes = c.pages.reduce((s, p) => s + p.length, 0);
      return {
        codec,
        pageSize: c.pageSize,
        pages: pack(c.pages),
        compressedBytes,
        uncompressedBytes: c.pages.length * c.pageSize,
        sources: c.sources,
      };
    });
}
