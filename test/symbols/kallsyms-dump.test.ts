// kallsyms read from every fixture dump agrees with the kernel's System.map: each symbol kallsyms lists
// is in System.map at its link address plus KERNELOFFSET (per-CPU offsets, which KASLR does not move,
// unshifted). System.map also lists the kallsyms tables themselves, absolute symbols and the
// init_per_cpu__ aliases, which kallsyms leaves out; kallsyms marks per-CPU symbols 'A' where
// System.map has D/d.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { START_KERNEL_MAP } from '../../src/arch/x86-64-paging.ts';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { Session } from '../../src/engine/session.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { Kallsyms, kallsymsLocations } from '../../src/symbols/kallsyms.ts';
import { FIXTURES, allDumps, type Scenario } from '../helpers/fixtures.ts';

beforeAll(() => {
  loadWasmNode();
});

const SYSTEM_MAP: Record<Scenario, string> = {
  'a-qemu-sysrq': join(FIXTURES, 'kernel', 'System.map-6.1.0-53-cloud-amd64'),
  'k-kdump': join(FIXTURES, 'kernel', 'System.map-6.1.0-53-cloud-amd64'),
  't-tiny-la57': join(FIXTURES, 't-tiny-la57', 'kernel', 'System.map'),
};

interface MapEntry {
  type: string;
  address: bigint;
}

const maps = new Map<string, Map<string, MapEntry[]>>();
function systemMap(path: string): Map<string, MapEntry[]> {
  let m = maps.get(path);
  if (!m) {
    m = new Map();
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const [a, type, name] = line.split(' ');
      if (!name) continue;
      const list = m.get(name) ?? [];
      list.push({ type, address: BigInt(`0x${a}`) });
      m.set(name, list);
    }
    maps.set(path, m);
  }
  return m;
}

describe('kallsyms vs System.map', () => {
  it.each(allDumps().map((d) => [`${d.scenario}/${d.name}`, d] as const))('%s', (_, d) => {
    const s = Session.open([NodeFileSource.open(d.path)]);
    const info = s.vmcoreinfo!;
    const k = Kallsyms.read(s.kernel, kallsymsLocations(info), { osrelease: info.osrelease });
    const map = systemMap(SYSTEM_MAP[d.scenario]);
    const offset = info.kernelOffset;
    const relocate = (a: bigint): bigint => (a >= START_KERNEL_MAP ? a + offset : a);
    let matched = 0;
    const wrong: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < k.count; i++) {
      const name = k.names[i];
      seen.add(name);
      const entries = map.get(name) ?? [];
      const hit = entries.find((e) => relocate(e.address) === k.addresses[i]);
      if (!hit) {
        wrong.push(`${name} ${k.addresses[i].toString(16)}: System.map has ${entries.map((e) => relocate(e.address).toString(16)).join(',') || 'nothing'}`);
        continue;
      }
      const t = k.type(i);
      if (t !== hit.type && !(t === 'A' && hit.address < START_KERNEL_MAP && 'Dd'.includes(hit.type))) wrong.push(`${name}: type ${t} vs ${hit.type}`);
      matched++;
    }
    expect(wrong).toEqual([]);
    const onlyInMap = [...map.keys()].filter((n) => !seen.has(n));
    for (const n of onlyInMap) {
      const absolute = map.get(n)!.every((e) => e.type === 'A');
      expect(absolute || n.startsWith('kallsyms_') || n.startsWith('init_per_cpu__'), `${n} only in System.map`).toBe(true);
    }
    // Every kallsyms symbol matched; System.map's extra names are the few kinds above.
    expect(matched).toBe(k.count);
    expect(k.count).toBeGreaterThan(d.scenario === 't-tiny-la57' ? 30_000 : 85_000);
    expect(onlyInMap.length).toBeLessThan(20);
    expect(k.absolutePercpu).toBe(true);
  });
});
