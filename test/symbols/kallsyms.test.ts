// kallsyms decoding on tables built in code: token expansion, both offset encodings, 6.1's two-byte
// lengths, and corrupt tables.
import { describe, expect, it } from 'vitest';
import { kv } from '../../src/addr.ts';
import { Kallsyms, KallsymsError, kallsymsLocations, readModules, usesLongNames, type ModuleLayout } from '../../src/symbols/kallsyms.ts';
import { Vmcoreinfo } from '../../src/vmcoreinfo.ts';
import { FakeMemory, le32, le64 } from './fake-memory.ts';

const MULTI: Record<number, string> = { 0x80: 'sched', 0x81: 'Tsch', 0x82: '_task' };

function tokens(): string[] {
  return Array.from({ length: 256 }, (_, b) => MULTI[b] ?? (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?'));
}

function encode(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    const multi = Object.entries(MULTI)
      .filter(([, t]) => s.startsWith(t, i))
      .sort((a, b) => b[1].length - a[1].length)[0];
    if (multi) {
      out.push(Number(multi[0]));
      i += multi[1].length;
    } else out.push(s.charCodeAt(i++));
  }
  return out;
}

interface Sym {
  type: string;
  name: string;
  address: bigint;
}

const BASE = 0xffffffff81000000n;
const A = {
  offsets: 0xffffffff82000000n,
  relativeBase: 0xffffffff82100000n,
  numSyms: 0xffffffff82100008n,
  names: 0xffffffff82100010n,
  tokenTable: 0xffffffff82200000n,
  tokenIndex: 0xffffffff82300000n,
};

/** A kallsyms image in fake memory and the VMCOREINFO pointing at it. */
function build(syms: Sym[], opts: { absolutePercpu?: boolean; longNames?: boolean; stext?: bigint; numSyms?: number } = {}) {
  const mem = new FakeMemory();
  const abs = opts.absolutePercpu ?? true;
  const raw = syms.map((s) => {
    if (!abs) return Number(s.address - BASE);
    if (s.address < 0x100000000n) return Number(s.address); // per-CPU: absolute
    return Number(-(s.address - BASE + 1n)); // counted down from base - 1
  });
  mem.map(A.offsets, le32(raw));
  mem.map(A.relativeBase, le64([BASE]));
  mem.map(A.numSyms, le32([opts.numSyms ?? syms.length]));
  const names: number[] = [];
  for (const s of syms) {
    const enc = encode(s.type + s.name);
    if (enc.length > 127 && (opts.longNames ?? true)) names.push((enc.length & 0x7f) | 0x80, enc.length >> 7);
    else names.push(enc.length);
    names.push(...enc);
  }
  mem.map(A.names, new Uint8Array(names), 0x10000);
  const table: number[] = [];
  const index: number[] = [];
  for (const t of tokens()) {
    index.push(table.length);
    for (const c of t) table.push(c.charCodeAt(0));
    table.push(0);
  }
  mem.map(A.tokenTable, new Uint8Array(table));
  const idx = new Uint8Array(512);
  index.forEach((x, i) => new DataView(idx.buffer).setUint16(i * 2, x, true));
  mem.map(A.tokenIndex, idx);
  const stext = opts.stext ?? syms.find((s) => s.name === '_stext')?.address;
  const info = new Vmcoreinfo(
    [
      'OSRELEASE=6.1.0-test',
      `SYMBOL(kallsyms_names)=${A.names.toString(16)}`,
      `SYMBOL(kallsyms_num_syms)=${A.numSyms.toString(16)}`,
      `SYMBOL(kallsyms_token_table)=${A.tokenTable.toString(16)}`,
      `SYMBOL(kallsyms_token_index)=${A.tokenIndex.toString(16)}`,
      `SYMBOL(kallsyms_offsets)=${A.offsets.toString(16)}`,
      `SYMBOL(kallsyms_relative_base)=${A.relativeBase.toString(16)}`,
      ...(stext !== undefined ? [`SYMBOL(_stext)=${stext.toString(16)}`] : []),
    ].join('\n'),
  );
  return { mem, info };
}

const SYMS: Sym[] = [
  { type: 'A', name: '__per_cpu_start', address: 0n },
  { type: 'A', name: 'runqueues', address: 0x2c000n },
  { type: 'T', name: '_stext', address: BASE },
  { type: 'T', name: 'schedule', address: BASE + 0xa09380n },
  { type: 't', name: 'sched_tick', address: BASE + 0xa0a000n },
  { type: 'D', name: 'init_task', address: BASE + 0x1a1aa40n },
];

describe('kallsyms', () => {
  it('expands tokens (type letter first) and reads absolute-percpu offsets', () => {
    const { mem, info } = build(SYMS);
    const k = Kallsyms.read(mem, kallsymsLocations(info), { osrelease: info.osrelease });
    expect(k.absolutePercpu).toBe(true);
    expect(k.relativeBase).toBe(BASE);
    expect(k.names).toEqual(SYMS.map((s) => s.name));
    expect([...k.types].map((c) => String.fromCharCode(c)).join('')).toBe('AATTtD');
    expect([...k.addresses]).toEqual(SYMS.map((s) => s.address));
  });

  it('reads plain relative offsets when _stext says so', () => {
    const syms = SYMS.filter((s) => s.address >= BASE);
    const { mem, info } = build(syms, { absolutePercpu: false });
    const k = Kallsyms.read(mem, kallsymsLocations(info));
    expect(k.absolutePercpu).toBe(false);
    expect([...k.addresses]).toEqual(syms.map((s) => s.address));
  });

  it('without _stext, negative offsets mean the absolute-percpu form', () => {
    const { mem, info } = build(SYMS, { stext: undefined });
    const loc = { ...kallsymsLocations(info), stext: undefined };
    expect(Kallsyms.read(mem, loc).absolutePercpu).toBe(true);
  });

  it('reads 6.1 two-byte token counts for names of more than 127 tokens', () => {
    const long = `x${'y'.repeat(140)}`;
    const syms = [...SYMS.slice(0, 4), { type: 't', name: long, address: BASE + 0xa09400n }, ...SYMS.slice(4)];
    const { mem, info } = build(syms);
    const k = Kallsyms.read(mem, kallsymsLocations(info), { osrelease: '6.1.0' });
    expect(k.names[4]).toBe(long);
    expect(k.names[5]).toBe('sched_tick');
    expect(usesLongNames('6.0.19')).toBe(false);
    expect(usesLongNames('6.1.0-53-cloud-amd64')).toBe(true);
    expect(usesLongNames('6.1.192-crashlens-tiny')).toBe(true);
  });

  it('names what VMCOREINFO lacks', () => {
    expect(() => kallsymsLocations(new Vmcoreinfo('OSRELEASE=5.15.0\n'))).toThrow(
      /VMCOREINFO has no SYMBOL\(kallsyms_num_syms\), SYMBOL\(kallsyms_names\), .*kernels before 6.0 do not export kallsyms/,
    );
  });

  it('rejects corrupt tables with a KallsymsError', () => {
    const zero = build(SYMS, { numSyms: 0 });
    expect(() => Kallsyms.read(zero.mem, kallsymsLocations(zero.info))).toThrow(/kallsyms_num_syms = 0 .*not a plausible symbol count/);
    const huge = build(SYMS, { numSyms: 0xffffffff });
    expect(() => Kallsyms.read(huge.mem, kallsymsLocations(huge.info))).toThrow(KallsymsError);
    // More symbols claimed than the names stream holds: decoding walks into what follows it.
    const more = build(SYMS, { numSyms: SYMS.length + 5 });
    expect(() => Kallsyms.read(more.mem, kallsymsLocations(more.info))).toThrow(/symbol 6 of 11 has no tokens/);
    const wrongStext = build(SYMS, { stext: BASE + 0x1000n });
    expect(() => Kallsyms.read(wrongStext.mem, kallsymsLocations(wrongStext.info))).toThrow(/_stext decodes to 0x[0-9a-f]+ or 0x[0-9a-f]+, but VMCOREINFO says 0xffffffff81001000/);
  });

  it('a zero token count is corruption', () => {
    const { mem, info } = build(SYMS);
    mem.map(A.names, new Uint8Array([0, 1, 2]), 0x20000); // later maps shadow earlier ones
    expect(() => Kallsyms.read(mem, kallsymsLocations(info))).toThrow(/symbol 0 of 6 has no tokens/);
  });
});

describe('module list', () => {
  it('a list that never returns to its head is an error, not a hang', () => {
    const mem = new FakeMemory();
    const head = 0xffffffff83000000n;
    const node = 0xffffffffc0001008n;
    mem.map(head, le64([node, node]));
    // The module's list entry points at itself: a cycle without the head.
    const struct = new Uint8Array(1024);
    new DataView(struct.buffer).setBigUint64(8, node, true);
    mem.map(node - 8n, struct);
    const layout: ModuleLayout = {
      list: 8, name: 24, nameSize: 56, syms: 208, numSyms: 224, gplSyms: 280, numGplSyms: 276, coreBase: 320, coreSize: 328,
      initBase: 400, initSize: 408, symtab: 528, numSymtab: 536, strtab: 544, kernelSymbol: { size: 12, prel32: true, value: 0, name: 4 },
    };
    expect(() => readModules(mem, kv(head), layout)).toThrow(/does not return to its head/);
  });
});
