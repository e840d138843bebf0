// Section "codecs": page-decompression throughput on the fixtures' real pages, our WASM decoders against the
// decoders a user could pick instead. Every decoder decompresses each page into the same caller-given
// page-sized buffer (for decoders that only return a fresh array, the copy into that buffer is part of
// their time, as it would be for the engine). Before any timing, every decoder's output is checked equal
// to ours for every page; one that differs (or throws) is reported and not timed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { inflateSync as nodeInflateSync } from 'node:zlib';
import { type CodecName, decompress, hasCodec } from '../src/codec/codecs.ts';
import { loadWasmNode } from '../src/codec/wasm-node.ts';
import { type Contender, cpuClock, measureRounds, median, type Stats, stats } from './measure.ts';
import { type Corpus, collectCorpora } from './pages.ts';
import { mb, num, table } from './report.ts';
import type { Json, Section, SectionContext } from './section.ts';

/** Decompresses `src` into `dst`; returns the number of bytes now at the start of `dst`. */
type DecodeFn = (src: Uint8Array, dst: Uint8Array) => number;

type Kind = 'ours (AssemblyScript WASM)' | 'JS' | 'WASM (Emscripten C)' | 'native C (Node)';

interface Decoder {
  name: string;
  kind: Kind;
  /** Returns the decode function, or throws NotAvailable (not built, package missing). */
  load(pageSize: number): Promise<DecodeFn>;
}

class NotAvailable extends Error {
  constructor(readonly status: 'not built' | 'unavailable', detail: string) {
    super(detail);
  }
}

const require = createRequire(import.meta.url);

// --- the decoders ------------------------------------------------------------------------------------------

function ours(codec: CodecName): Decoder {
  return {
    name: 'ours',
    kind: 'ours (AssemblyScript WASM)',
    async load() {
      loadWasmNode();
      if (!hasCodec(codec)) throw new NotAvailable('not built', `build/crashlens.wasm has no ${codec} decoder (run npm run build:wasm)`);
      return (src, dst) => decompress(codec, src, dst);
    },
  };
}

const fflate: Decoder = {
  name: 'fflate unzlibSync',
  kind: 'JS',
  async load() {
    const { unzlibSync } = await import('fflate');
    // `out` makes fflate write into our buffer (it truncates at its end; the check catches a short page).
    return (src, dst) => unzlibSync(src, { out: dst }).length;
  },
};

const nodeZlib: Decoder = {
  name: 'node:zlib inflateSync',
  kind: 'native C (Node)',
  async load() {
    // No output-buffer option: it returns a fresh Buffer, copied into ours.
    return (src, dst) => {
      const out = nodeInflateSync(src);
      dst.set(out);
      return out.length;
    };
  },
};

const fzstd: Decoder = {
  name: 'fzstd decompress',
  kind: 'JS',
  async load() {
    const { decompress: fz } = await import('fzstd');
    // Not fz(src, dst): with an output buffer fzstd 0.1.1 is ~5x slower, because its frame-header reader
    // tests `w == 1` on that buffer, and loose equality turns the 4 KiB Uint8Array into a string of 4096
    // numbers on every call. Its own array plus our copy is its fastest way to fill a page.
    return (src, dst) => {
      const out = fz(src);
      dst.set(out);
      return out.length;
    };
  },
};

const zstddec: Decoder = {
  name: 'zstddec ZSTDDecoder',
  kind: 'WASM (Emscripten C)',
  async load(pageSize) {
    const { ZSTDDecoder } = await import('zstddec');
    const d = new ZSTDDecoder();
    await d.init();
    // decode() mallocs, decompresses, and returns a copy of the output (a slice of its heap).
    return (src, dst) => {
      const out = d.decode(src, pageSize);
      dst.set(out);
      return out.length;
    };
  },
};

interface SnappyJs {
  uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}

const snappyjs: Decoder = {
  name: 'snappyjs uncompress',
  kind: 'JS',
  async load(pageSize) {
    const s = require('snappyjs') as SnappyJs;
    return (src, dst) => {
      const out = s.uncompress(src, pageSize);
      dst.set(out);
      return out.length;
    };
  },
};

interface LzoWasmModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  cwrap(name: string, ret: string, args: string[]): (src: number, srcLen: number, outLen: number) => number;
}

const lzoWasm: Decoder = {
  name: 'lzo-wasm decompress',
  kind: 'WASM (Emscripten C)',
  async load(pageSize) {
    // The package's index.js imports the .wasm as a bundler asset and does not load in Node; its Emscripten
    // factory takes the bytes instead (as test/assembly/lzo1x.test.ts does). The call below is index.js's
    // decompress(), minus its second copy of the output and plus the free() of the input it forgets.
    const js = require.resolve('lzo-wasm/lzo-wasm.js');
    const mod = (await import(pathToFileURL(js).href)) as { default: (o: { wasmBinary: Uint8Array }) => Promise<LzoWasmModule> };
    const M = await mod.default({ wasmBinary: readFileSync(js.replace(/\.js$/, '.wasm')) });
    const dec = M.cwrap('decompress', 'number', ['number', 'number', 'number']);
    return (src, dst) => {
      const p = M._malloc(src.length);
      M.HEAPU8.set(src, p);
      const o = dec(p, src.length, pageSize);
      dst.set(M.HEAPU8.subarray(o, o + pageSize));
      M._free(o);
      M._free(p);
      return pageSize;
    };
  },
};

/** The contenders per codec: ours first. */
const DECODERS: Partial<Record<CodecName, Decoder[]>> = {
  zlib: [ours('zlib'), fflate, nodeZlib],
  lzo: [ours('lzo'), lzoWasm],
  snappy: [ours('snappy'), snappyjs],
  zstd: [ours('zstd'), fzstd, zstddec],
};

// --- one codec ---------------------------------------------------------------------------------------------

interface Loaded {
  decoder: Decoder;
  fn?: DecodeFn;
  status: 'ok' | 'not built' | 'unavailable' | 'mismatch' | 'error';
  detail?: string;
}

function sourceOf(corpus: Corpus, index: number): string {
  let i = index;
  for (const s of corpus.sources) {
    if (i < s.pages) return `${s.file} compressed page #${i}`;
    i -= s.pages;
  }
  return `page #${index}`;
}

/** Checks every page: each decoder's output against the reference (ours, or the first decoder that loaded). */
function verify(corpus: Corpus, loaded: Loaded[]): string {
  const live = loaded.filter((l) => l.fn);
  const ref = live[0];
  if (!ref) return 'none';
  const size = corpus.pageSize;
  const expected = new Uint8Array(size);
  const dst = new Uint8Array(size);
  const expectedBuf = Buffer.from(expected.buffer, expected.byteOffset, size);
  const dstBuf = Buffer.from(dst.buffer, dst.byteOffset, size);
  const fail = (l: Loaded, status: Loaded['status'], detail: string): void => {
    l.status = status;
    l.detail = detail;
    l.fn = undefined;
  };
  for (let i = 0; i < corpus.pages.length; i++) {
    const page = corpus.pages[i]!;
    for (const l of live) {
      if (!l.fn) continue;
      dst.fill(0xa5);
      let n: number;
      try {
        n = l.fn(page, dst);
      } catch (e) {
        fail(l, 'error', `${sourceOf(corpus, i)}: threw ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (n !== size) {
        fail(l, 'mismatch', `${sourceOf(corpus, i)}: ${n} bytes, expected ${size}`);
        continue;
      }
      if (l === ref) {
        expected.set(dst);
        continue;
      }
      if (!ref.fn) break; // the reference itself failed on this page: nothing to compare against
      if (!expectedBuf.equals(dstBuf)) {
        const at = dst.findIndex((b, j) => b !== expected[j]);
        fail(l, 'mismatch', `${sourceOf(corpus, i)}: differs from ${ref.decoder.name} at byte ${at}`);
      }
    }
  }
  return ref.decoder.name;
}

/** Throughput of one decoder by one clock: MB/s per round, and ours/this per round. */
interface Timing {
  samples: number[];
  mbps: Stats;
  /** ours / this decoder, paired per round (null for ours, or when ours was not timed). */
  ratio: Stats | null;
}

interface Timed {
  wall: Timing;
  cpu: Timing;
  repsPerSample: number;
}

interface CodecResult {
  codec: CodecName;
  corpus: Corpus;
  loaded: Loaded[];
  /** Per loaded decoder: its timings, or null when it was not timed. */
  timed: (Timed | null)[];
  /** Median share of one core the main thread got while timing (CPU time / wall time). */
  coreShare: number;
  /** Which clock the verdict trusts: CPU time when the machine was busy, else wall time. */
  basis: 'wall' | 'cpu';
  verdict: string;
}

/** Busier than this (a smaller share of a core while timing), and wall-clock numbers mostly measure the load. */
const BUSY_SHARE = 0.9;

function verdictFor(r: CodecResult): string {
  const c = r.codec;
  const our = r.loaded[0]!;
  if (our.status !== 'ok') return `${c}: ours ${our.status}: ${our.detail ?? ''}`;
  const parts: string[] = [];
  const jsWasm: { name: string; ratio: Stats }[] = [];
  for (let i = 1; i < r.loaded.length; i++) {
    const l = r.loaded[i]!;
    const ratio = r.timed[i]?.[r.basis].ratio;
    if (!ratio) {
      parts.push(`${l.decoder.name} not compared (${l.status})`);
      continue;
    }
    if (l.decoder.kind === 'native C (Node)') {
      parts.push(
        ratio.min > 1 ? `ours is ${num(ratio.median)}x faster even than Node's native C zlib (which builds a zlib stream and a 16 KiB Buffer per call)`
        : ratio.max < 1 ? `Node's native C zlib is ${num(1 / ratio.median)}x faster than ours (C vs WASM)`
        : `ours is on par with Node's native C zlib (${num(ratio.min)}x-${num(ratio.max)}x)`,
      );
    } else jsWasm.push({ name: l.decoder.name.split(' ')[0]!, ratio });
  }
  if (jsWasm.length) {
    const list = jsWasm.map((p) => `${num(p.ratio.median)}x ${p.name}`).join(', ');
    const slower = jsWasm.filter((p) => p.ratio.max < 1);
    if (jsWasm.every((p) => p.ratio.min > 1)) parts.unshift(`ours beats every JS/WASM peer in every round (${list})`);
    else if (slower.length) parts.unshift(`ours is SLOWER than ${slower.map((p) => p.name).join(', ')} (${list})`);
    else if (jsWasm.every((p) => p.ratio.median > 1)) parts.unshift(`ours beats every JS/WASM peer by the median (${list}; not in every round)`);
    else parts.unshift(`ours vs JS/WASM peers: ${list} (within round-to-round noise)`);
  }
  return `${c}: ${parts.join('; ')}${r.basis === 'cpu' ? ' [by CPU time: the machine was busy]' : ''}`;
}

function timing(samples: number[], ours: number[] | undefined, isOurs: boolean): Timing {
  const ratio = isOurs || !ours?.length ? null : stats(samples.map((x, r) => ours[r]! / x));
  return { samples, mbps: stats(samples), ratio };
}

async function benchCodec(corpus: Corpus, ctx: SectionContext): Promise<CodecResult> {
  const decoders = DECODERS[corpus.codec] ?? [ours(corpus.codec)];
  const loaded: Loaded[] = [];
  for (const d of decoders) {
    try {
      loaded.push({ decoder: d, fn: await d.load(corpus.pageSize), status: 'ok' });
    } catch (e) {
      if (e instanceof NotAvailable) loaded.push({ decoder: d, status: e.status, detail: e.message });
      else loaded.push({ decoder: d, status: 'unavailable', detail: e instanceof Error ? e.message : String(e) });
    }
  }
  const t0 = performance.now();
  const ref = verify(corpus, loaded);
  ctx.log(`  ${corpus.codec}: verified ${corpus.pages.length} pages against ${ref} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  for (const l of loaded) if (l.status !== 'ok') ctx.log(`    ${l.decoder.name}: ${l.status}: ${l.detail ?? ''}`);

  const live = loaded.map((l, i) => ({ fn: l.fn, i })).filter((x): x is { fn: DecodeFn; i: number } => x.fn !== undefined);
  const dst = new Uint8Array(corpus.pageSize);
  const pages = corpus.pages;
  const contenders: Contender[] = live.map(({ fn, i }) => ({
    name: loaded[i]!.decoder.name,
    run(reps: number) {
      for (let r = 0; r < reps; r++) for (let p = 0; p < pages.length; p++) fn(pages[p]!, dst);
    },
  }));
  const m = measureRounds(contenders, ctx.options.rounds, ctx.options.minSampleMs);
  const toMBps = (ms: number): number => corpus.uncompressedBytes / 1e6 / (ms / 1000);
  const wall: (number[] | undefined)[] = [];
  const cpu: (number[] | undefined)[] = [];
  live.forEach(({ i }, k) => {
    wall[i] = m.msPerRep[k]!.map(toMBps);
    cpu[i] = m.cpuMsPerRep[k]!.map(toMBps);
  });
  const timed = loaded.map((_, i): Timed | null => {
    const w = wall[i];
    const c = cpu[i];
    if (!w || !c) return null;
    return { wall: timing(w, wall[0], i === 0), cpu: timing(c, cpu[0], i === 0), repsPerSample: m.reps[live.findIndex((x) => x.i === i)]! };
  });
  const coreShare = median(m.msPerRep.flatMap((row, k) => row.map((ms, r) => m.cpuMsPerRep[k]![r]! / ms)));
  const result: CodecResult = { codec: corpus.codec, corpus, loaded, timed, coreShare, basis: coreShare < BUSY_SHARE ? 'cpu' : 'wall', verdict: '' };
  result.verdict = verdictFor(result);
  return result;
}

// --- the section -------------------------------------------------------------------------------------------

function corpusTable(corpora: Corpus[]): string[] {
  const rows = corpora.flatMap((c) => [
    ...c.sources.map((s) => [c.codec, s.file, String(s.pages), mb(s.compressedBytes), mb(s.pages * c.pageSize), `${num((s.pages * c.pageSize) / s.compressedBytes)}x`, String(s.rawPages)]),
    [c.codec, '(corpus)', String(c.pages.length), mb(c.compressedBytes), mb(c.uncompressedBytes), `${num(c.uncompressedBytes / c.compressedBytes)}x`, ''],
  ]);
  return table(['codec', 'dump', 'pages', 'compressed', 'uncompressed', 'ratio', 'raw pages (not in corpus)'], rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right']);
}

function resultTable(results: CodecResult[]): string[] {
  const range = (s: Stats | null | undefined): string => (s ? `${num(s.min)}-${num(s.max)}` : '');
  const rows = results.flatMap((r) =>
    r.loaded.map((l, i) => {
      const t = r.timed[i];
      if (!t) return [r.codec, l.decoder.name, l.decoder.kind, l.status];
      return [
        r.codec,
        l.decoder.name,
        l.decoder.kind,
        num(t.wall.mbps.median),
        range(t.wall.mbps),
        t.wall.ratio ? num(t.wall.ratio.median) : '1',
        range(t.wall.ratio),
        num(t.cpu.mbps.median),
        t.cpu.ratio ? num(t.cpu.ratio.median) : '1',
        range(t.cpu.ratio),
      ];
    }),
  );
  return table(
    ['codec', 'implementation', 'kind', 'MB/s', 'min-max', 'ours/peer', 'min-max', 'CPU MB/s', 'ours/peer', 'min-max'],
    rows,
    ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

function statsJson(s: Stats | null | undefined): Json {
  return s ? { median: s.median, min: s.min, max: s.max } : null;
}

function timingJson(t: Timing | undefined): Json {
  return t ? { mbps: statsJson(t.mbps), oursOverPeer: statsJson(t.ratio), samplesMBps: t.samples } : null;
}

async function run(ctx: SectionContext): Promise<Json> {
  const t0 = performance.now();
  ctx.log('collecting compressed pages from the fixtures (KdumpFile decode hook):');
  const corpora = collectCorpora((line) => ctx.log(line));
  ctx.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  ctx.log('');
  for (const line of corpusTable(corpora)) ctx.log(line);
  ctx.log('');
  ctx.log(`verifying, warming up, then ${ctx.options.rounds} rounds per codec (rotating order, forced GC before each sample, >= ${ctx.options.minSampleMs} ms per sample):`);
  const results: CodecResult[] = [];
  for (const c of corpora) {
    const t = performance.now();
    const r = await benchCodec(c, ctx);
    results.push(r);
    ctx.log(`  ${c.codec}: timed in ${((performance.now() - t) / 1000).toFixed(1)} s, getting ${Math.round(r.coreShare * 100)}% of a core`);
  }
  ctx.log('');
  ctx.log('MB/s = 10^6 bytes of decompressed output per second by the wall clock, median over rounds; each page into one');
  ctx.log('  caller-given buffer. ours/peer = median of per-round ratios (same round, same load): > 1 means ours is faster.');
  ctx.log(`CPU MB/s, ours/peer = the same by ${cpuClock.name}: not slowed by other processes taking the CPU.`);
  ctx.log('');
  for (const line of resultTable(results)) ctx.log(line);
  ctx.log('');
  for (const r of results) ctx.log(r.verdict);

  return {
    unit: 'MB/s = 10^6 bytes of decompressed output per second',
    cpuClock: cpuClock.name,
    rounds: ctx.options.rounds,
    minSampleMs: ctx.options.minSampleMs,
    codecs: results.map(
      (r): Json => ({
        codec: r.codec,
        corpus: {
          pages: r.corpus.pages.length,
          pageSize: r.corpus.pageSize,
          compressedBytes: r.corpus.compressedBytes,
          uncompressedBytes: r.corpus.uncompressedBytes,
          sources: r.corpus.sources.map((s): Json => ({ ...s })),
        },
        coreShare: r.coreShare,
        verdictBasis: r.basis,
        verdict: r.verdict,
        implementations: r.loaded.map(
          (l, i): Json => ({
            name: l.decoder.name,
            kind: l.decoder.kind,
            status: l.status,
            detail: l.detail ?? null,
            repsPerSample: r.timed[i]?.repsPerSample ?? null,
            wall: timingJson(r.timed[i]?.wall),
            cpu: timingJson(r.timed[i]?.cpu),
          }),
        ),
      }),
    ),
  };
}

export const codecsSection: Section = {
  name: 'codecs',
  description: "page decompression MB/s on the fixtures' real pages: ours vs fflate, node:zlib, fzstd, zstddec, snappyjs, lzo-wasm",
  run,
};
