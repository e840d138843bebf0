// The real compressed pages of the fixtures' KDUMP (and flattened) dumps, collected through KdumpFile's
// `decode` hook, so they are exactly the bytes the engine hands to a decoder; the hook only copies them (no
// decoding here). Pages makedumpfile stored raw never reach the hook. Used by the codec tests and the codec
// benchmark (bench/pages.ts).
import type { CodecName } from '../../src/codec/codecs.ts';
import { FlattenedSource, isFlattened } from '../../src/dump/flattened.ts';
import { KdumpFile } from '../../src/dump/kdump-compressed.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';

export interface CollectedPages {
  /** The dump's block size: every page decompresses to exactly this many bytes. */
  pageSize: number;
  /** Each codec's pages in page-frame order, as copies. */
  byCodec: Map<CodecName, Uint8Array[]>;
  /** Pages the file stores uncompressed (makedumpfile keeps a page raw when compressing does not shrink it). */
  rawPages: number;
}

/** Reads every present page of one dump, keeping a copy of each compressed page the decoder would get. */
export function collectPages(path: string): CollectedPages {
  const file = NodeFileSource.open(path);
  try {
    const byCodec = new Map<CodecName, Uint8Array[]>();
    let decoded = 0;
    const decode = (codec: CodecName, src: Uint8Array, dst: Uint8Array): number => {
      let list = byCodec.get(codec);
      if (!list) byCodec.set(codec, (list = []));
      list.push(src.slice());
      decoded++;
      return dst.length; // KdumpFile checks the count only: claim a full page
    };
    const head = file.read(0, Math.min(64, file.size));
    const dump = isFlattened(head)
      ? (() => {
          const flat = new FlattenedSource(file);
          return KdumpFile.open(flat, { decode, container: flat, formatPrefix: 'flattened ' });
        })()
      : KdumpFile.open(file, { decode });
    const page = new Uint8Array(dump.pageSize);
    let present = 0;
    for (let pfn = 0n; pfn < dump.maxPfn; pfn++) {
      if (dump.pageState(pfn) !== 'present') continue;
      present++;
      dump.readPage(pfn, page);
    }
    return { pageSize: dump.pageSize, byCodec, rawPages: present - decoded };
  } finally {
    file.close();
  }
}

const collected = new Map<string, CollectedPages>();

/**
 * A dump's `codec`-compressed pages in page-frame order (collected once per process): every `step`-th one,
 * at most `max` of them.
 */
export function compressedPages(path: string, codec: CodecName, { step = 1, max = Infinity }: { step?: number; max?: number } = {}): Uint8Array[] {
  let c = collected.get(path);
  if (!c) collected.set(path, (c = collectPages(path)));
  return (c.byCodec.get(codec) ?? []).filter((_, i) => i % step === 0).slice(0, max);
}
