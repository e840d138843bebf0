// The same machine state written by different tools must read back the same. Each scenario's unfiltered QEMU
// ELF is the reference: every page any other variant holds must be present there with identical bytes, so
// any two variants agree wherever both hold a page.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { openDump } from '../../src/dump/open.ts';
import type { PhysicalMemory } from '../../src/dump/physical-memory.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { dumps, type Scenario } from '../helpers/fixtures.ts';

beforeAll(() => {
  loadWasmNode();
});

const open = (path: string): PhysicalMemory => openDump([NodeFileSource.open(path)]);

/** Variants of one machine state: t-tiny-la57's kdump-path-* dumps are another boot. */
const RUNS: { scenario: Scenario; reference: string; member(name: string): boolean }[] = [
  { scenario: 'a-qemu-sysrq', reference: 'qemu-elf.elf', member: () => true },
  { scenario: 't-tiny-la57', reference: 'qemu-elf.elf', member: (n) => !n.startsWith('kdump-') },
];

for (const run of RUNS) {
  const all = dumps(run.scenario).filter((d) => run.member(d.name));
  const ref = all.find((d) => d.name === run.reference);
  const others = all.filter((d) => d !== ref);
  describe.skipIf(!ref || others.length === 0)(`${run.scenario}: variants agree with ${run.reference}`, () => {
    it.each(others.map((d) => [d.name, d] as const))('%s', (_, d) => {
      const a = open(ref!.path);
      const b = open(d.path);
      const pa = new Uint8Array(4096);
      const pb = new Uint8Array(4096);
      let compared = 0;
      for (let pfn = 0n; pfn < b.maxPfn; pfn++) {
        if (b.pageState(pfn) !== 'present') continue;
        if (a.pageState(pfn) !== 'present') expect.fail(`pfn 0x${pfn.toString(16)} is in ${d.name} but not in ${run.reference}`);
        a.readPage(pfn, pa);
        b.readPage(pfn, pb);
        if (Buffer.compare(pa, pb) !== 0) expect.fail(`pfn 0x${pfn.toString(16)} differs between ${run.reference} and ${d.name}`);
        compared++;
      }
      expect(compared).toBeGreaterThan(5000);
    });
  });
}

describe('KDUMP variants of one makedumpfile -d 31 run keep the same pages', () => {
  for (const scenario of ['a-qemu-sysrq', 't-tiny-la57'] as const) {
    const variants = dumps(scenario).filter((d) => /^mdf-d31-.*\.(kdump|flat)$/.test(d.name));
    it.skipIf(variants.length < 2)(`${scenario}: ${variants.map((v) => v.name).join(', ')}`, () => {
      const mems = variants.map((v) => open(v.path));
      const max = mems[0]!.maxPfn;
      for (const m of mems) expect(m.maxPfn).toBe(max);
      for (let pfn = 0n; pfn < max; pfn++) {
        const s = mems[0]!.pageState(pfn);
        for (let i = 1; i < mems.length; i++)
          if (mems[i]!.pageState(pfn) !== s) expect.fail(`pfn 0x${pfn.toString(16)}: ${variants[0]!.name} ${s}, ${variants[i]!.name} ${mems[i]!.pageState(pfn)}`);
      }
    });
  }
});
