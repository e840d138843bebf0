// BTF read out of real dumps' memory: Debian's kernel has it (checked against crash's `struct task_struct
// -o`), the tiny kernel has none. Then the real blob, mutated thousands of ways, must give BtfErrors only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { Session } from '../../src/engine/session.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { Btf, BtfError } from '../../src/types/btf.ts';
import { type Type, declaration, findMember, sizeOf, strip, typeName } from '../../src/types/type.ts';
import { fixture } from '../helpers/fixtures.ts';

beforeAll(() => {
  loadWasmNode();
});

const openSession = (scenario: 'a-qemu-sysrq' | 'k-kdump' | 't-tiny-la57', name: string): Session =>
  Session.open([NodeFileSource.open(fixture(scenario, name).path)]);

let sysrqBtf: Btf | undefined;
function debianBtf(): Btf {
  if (!sysrqBtf) {
    const btf = openSession('a-qemu-sysrq', 'mdf-d31-lzo.kdump').btf;
    if (!btf) throw new Error('a-qemu-sysrq has no BTF');
    sysrqBtf = btf;
  }
  return sysrqBtf;
}

describe('BTF from a-qemu-sysrq dump memory', () => {
  it('has struct task_struct with char comm[16] and crash\'s size', () => {
    const btf = debianBtf();
    expect(btf.count).toBeGreaterThan(50_000);
    const ts = btf.findType('struct task_struct');
    expect(ts).toBeDefined();
    const comm = findMember(ts as Type, 'comm');
    expect(comm).toBeDefined();
    expect(typeName(comm!.member.type)).toBe('char [16]');
    expect(sizeOf(comm!.member.type)).toBe(16);
    const crash = readFileSync(join(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump').crashDir, 'struct-task_struct-o.txt'), 'utf8');
    expect(sizeOf(ts as Type)).toBe(Number(/SIZE: (\d+)/.exec(crash)![1]));
  });

  it('matches every member offset (and declaration) crash lists for task_struct', () => {
    const btf = debianBtf();
    const ts = btf.findType('struct task_struct') as Type;
    const crash = readFileSync(join(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump').crashDir, 'struct-task_struct-o.txt'), 'utf8');
    let compared = 0;
    const wrong: string[] = [];
    for (const line of crash.split('\n')) {
      const m = /^\s*\[(\d+)\]\s+(.*);$/.exec(line);
      if (!m) continue;
      const decl = m[2].trim();
      // The member's name: the last identifier, after function-pointer parameters, array sizes and a bit-field width.
      const name = /(\w+)(\[\d*\])*(\s*:\s*\d+)?$/.exec(decl.replace(/\)\(.*\)$/, '').replace(/\)$/, ''))![1];
      const hit = findMember(ts, name);
      compared++;
      if (!hit) {
        wrong.push(`${name}: not in BTF`);
        continue;
      }
      // crash (gdb) shows a bit field at the byte holding its first bit.
      const offset = Math.floor(hit.bitOffset / 8);
      const mine = declaration(hit.member.type, name) + (hit.member.bitSize ? ` : ${hit.member.bitSize}` : '');
      if (offset !== Number(m[1]) || mine !== decl) wrong.push(`${name}: [${offset}] ${mine} vs [${m[1]}] ${decl}`);
    }
    expect(compared).toBeGreaterThan(240);
    expect(wrong).toEqual([]);
  });

  it('k-kdump (same kernel, another boot and KASLR offset) carries the same BTF bytes', () => {
    const other = openSession('k-kdump', 'kdump-mdf-d31-lzo.kdump').btf;
    expect(other).toBeDefined();
    expect(Buffer.from(other!.bytes).equals(Buffer.from(debianBtf().bytes))).toBe(true);
  });
});

describe('BTF from the tiny kernel', () => {
  it('is absent, and says why', () => {
    const s = openSession('t-tiny-la57', 'mdf-d31-lzo.kdump');
    const loaded = s.loadedSymbols();
    expect(loaded.btf).toBeUndefined();
    expect(s.btf).toBeUndefined();
    expect(loaded.noBtf).toMatch(/no BTF \(no __start_BTF symbol: built without CONFIG_DEBUG_INFO_BTF\)/);
  });
});

/** A small deterministic PRNG (mulberry32): the same mutations on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Uses a parsed blob the way commands would: decode types near `pos` and random ones, two levels deep;
 * with `lookups`, also build the name indexes and look a few names up (the costly part, so not every time).
 */
function exercise(btf: Btf, pos: number, rand: () => number, lookups: boolean): void {
  // The id whose record holds pos (binary search over record offsets).
  let lo = 1;
  let hi = btf.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (btf.recordOffset(mid) <= pos) lo = mid;
    else hi = mid - 1;
  }
  const ids = new Set<number>();
  for (let d = -3; d <= 3; d++) if (lo + d >= 1 && lo + d < btf.count) ids.add(lo + d);
  for (let i = 0; i < 10; i++) ids.add(1 + Math.floor(rand() * (btf.count - 1)));
  const touch = (t: Type, depth: number): void => {
    typeName(t);
    sizeOf(t);
    const s = strip(t);
    if (depth > 0 && (s.kind === 'struct' || s.kind === 'union')) for (const m of s.members) touch(m.type, depth - 1);
    if (depth > 0 && s.kind === 'pointer') touch(s.target, depth - 1);
  };
  for (const id of ids) {
    const e = btf.entry(id);
    if (e.kind === 'func' || e.kind === 'var') touch(e.type, 2);
    else if (e.kind === 'datasec') e.vars.forEach((v) => v.entry.name);
    else if (e.kind !== 'decl_tag') touch(e, 2);
  }
  if (!lookups) return;
  for (const spec of ['struct task_struct', 'struct module', 'pid_t', 'unsigned long']) {
    const t = btf.findType(spec);
    if (t) touch(t, 1);
  }
  btf.findFunc('schedule');
}

describe('BTF fuzz: mutations of the real blob', () => {
  it('2,000 mutations give a parse or a BtfError, never a hang or another error', () => {
    const original = debianBtf().bytes;
    const blob = original.slice();
    const view = new DataView(blob.buffer);
    const rand = rng(0x5eed);
    const typeStart = 24;
    const typeLen = view.getUint32(12, true);
    const counts = { parsed: 0, rejected: 0 };
    const started = Date.now();
    let n = 0;
    const attempt = (bytes: Uint8Array, pos: number): void => {
      try {
        const btf = Btf.parse(bytes, 'fuzz');
        exercise(btf, pos, rand, n++ % 10 === 0);
        counts.parsed++;
      } catch (e) {
        if (!(e instanceof BtfError)) throw new Error(`mutation near byte ${pos} gave ${String(e)}`, { cause: e });
        counts.rejected++;
      }
    };
    for (let i = 0; i < 2000; i++) {
      const kind = i % 6;
      if (kind === 0 || kind === 1) {
        // Bit flips: mostly in the type section (records), some in header and strings.
        const pos = kind === 0 ? typeStart + Math.floor(rand() * typeLen) : Math.floor(rand() * blob.length);
        const bit = 1 << Math.floor(rand() * 8);
        blob[pos] ^= bit;
        attempt(blob, pos);
        blob[pos] ^= bit;
      } else if (kind === 2) {
        // Truncation anywhere, including inside the header.
        const len = i % 12 === 2 ? Math.floor(rand() * 64) : Math.floor(rand() * blob.length);
        attempt(blob.subarray(0, len), len);
      } else if (kind === 3) {
        // Header fields set to boundary and random values.
        const field = 4 + 4 * Math.floor(rand() * 5);
        const old = view.getUint32(field, true);
        const choices = [0, 1, 3, 24, 0xffffffff, 0x80000000, typeLen, typeLen + 4, blob.length, Math.floor(rand() * 0xffffffff)];
        view.setUint32(field, choices[Math.floor(rand() * choices.length)], true);
        attempt(blob, typeStart);
        view.setUint32(field, old, true);
      } else {
        // A record word (name offset, info, size/type, member entries) replaced: bad ids, kinds, vlens, offsets.
        const pos = typeStart + 4 * Math.floor((rand() * typeLen) / 4);
        const old = view.getUint32(pos, true);
        const choices = [0, 0xffffffff, 0x000fffff, 0x7fffffff, old + 1, old ^ 0x1f000000, old | 0x80000000, old & 0xffff, Math.floor(rand() * 0xffffffff)];
        view.setUint32(pos, choices[Math.floor(rand() * choices.length)], true);
        attempt(blob, pos);
        view.setUint32(pos, old, true);
      }
    }
    expect(Buffer.from(blob).equals(Buffer.from(original))).toBe(true);
    expect(counts.parsed + counts.rejected).toBe(2000);
    expect(counts.rejected).toBeGreaterThan(300);
    expect(counts.parsed).toBeGreaterThan(300);
    // Bounded work: each parse is one pass; the whole run stays well inside a minute.
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
