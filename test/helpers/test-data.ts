// Deterministic test inputs for the codec tests: a seeded xorshift32 and data of several kinds (random,
// zeros, text, repetitive, kernel-like, skewed, mixed, phrases) that exercise different compressor paths.

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export type DataKind = 'random' | 'zeros' | 'text' | 'repetitive' | 'kernel' | 'skewed' | 'mixed' | 'phrases';
const WORDS = 'the of and to in is was for task struct page memory kernel panic sysrq trigger crash dump cpu irq'.split(' ');

export function makeData(kind: DataKind, n: number, seed: number): Buffer {
  const r = rng(seed);
  const b = Buffer.alloc(n);
  if (kind === 'random') {
    for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0;
  } else if (kind === 'text') {
    let i = 0;
    while (i < n) {
      const word = WORDS[(r() * WORDS.length) | 0] + (r() < 0.1 ? '.\n' : ' ');
      i += b.write(word, i, 'latin1');
    }
  } else if (kind === 'repetitive') {
    // Short periods (the overlapping copies), copies from far back, and a little noise.
    let i = 0;
    while (i < n) {
      const c = r();
      const len = 1 + ((r() * 300) | 0);
      if (c < 0.3 && i > 0) {
        const period = 1 + ((r() * 9) | 0);
        for (let k = 0; k < len && i < n; k++, i++) b[i] = i >= period ? b[i - period] : (r() * 256) | 0;
      } else if (c < 0.7 && i > 0) {
        const from = (r() * i) | 0;
        for (let k = 0; k < len && i < n; k++, i++) b[i] = b[from + k];
      } else {
        for (let k = 0; k < len / 8 && i < n; k++, i++) b[i] = (r() * 256) | 0;
      }
    }
  } else if (kind === 'kernel') {
    // Mostly zeros with scattered kernel pointers and small counters, like slab and page-table pages.
    for (let i = 0; i + 8 <= n; i += 8) {
      const c = r();
      if (c < 0.2) {
        b.writeUInt32LE((((r() * 2 ** 32) >>> 0) & 0xfffff000) >>> 0, i);
        b.writeUInt32LE(0xffff8880, i + 4);
      } else if (c < 0.3) {
        b.writeUInt32LE((r() * 64) | 0, i);
      }
    }
  } else if (kind === 'skewed') {
    // A geometric byte distribution: deep Huffman trees, FSE-compressed weights.
    for (let i = 0; i < n; i++) {
      let v = 0;
      while (r() < 0.7 && v < 255) v++;
      b[i] = v;
    }
  } else if (kind === 'phrases') {
    // Random bytes, then only copies of them joined by one separator byte: at high levels every literal
    // is that byte, which the CLI sends as RLE literals.
    const head = Math.min(20000, n >> 3);
    for (let i = 0; i < head; i++) b[i] = (r() * 256) | 0;
    let i = head;
    while (i < n) {
      b[i++] = 0x78;
      const from = (r() * Math.max(1, head - 500)) | 0;
      const len = 20 + ((r() * 400) | 0);
      for (let k = 0; k < len && i < n; k++) b[i++] = b[from + k];
    }
  } else if (kind === 'mixed') {
    // Blocks switching between kinds, so later blocks repeat or replace earlier tables.
    let i = 0;
    let k = 0;
    while (i < n) {
      const len = Math.min(n - i, 1000 + ((r() * 30000) | 0));
      const sub: DataKind = (['random', 'text', 'zeros', 'skewed', 'repetitive'] as const)[k++ % 5];
      makeData(sub, len, seed + k).copy(b, i);
      i += len;
    }
  }
  return b;
}
