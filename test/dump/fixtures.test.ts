// Every real fixture dump opens, is recognised by its content, and agrees with what crash 8.0.6 printed for
// it (help -D header fields and registers, sys's [PARTIAL DUMP]).
import { beforeAll, describe, expect, it } from 'vitest';
import { hex, phys } from '../../src/addr.ts';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { ElfVmcore } from '../../src/dump/elf-vmcore.ts';
import { openDump, sniff } from '../../src/dump/open.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { allDumps, type FixtureDump } from '../helpers/fixtures.ts';
import { crashReference as crashFile } from '../helpers/sessions.ts';

beforeAll(() => {
  loadWasmNode();
});

const RELEASE: Record<string, string> = {
  'a-qemu-sysrq': '6.1.0-53-cloud-amd64',
  'k-kdump': '6.1.0-53-cloud-amd64',
  't-tiny-la57': '6.1.192-crashlens-tiny',
};

function expectedFormat(d: FixtureDump): string {
  if (d.name.endsWith('.elf')) return 'ELF';
  const codec = /-(lzo|zlib|snappy|zstd)\./.exec(d.name)?.[1] ?? '?';
  return d.name.endsWith('.flat') || d.name.startsWith('qemu-kdump') ? `flattened KDUMP (${codec})` : `KDUMP (${codec})`;
}

const fromQemu = (d: FixtureDump): boolean => d.scenario === 'a-qemu-sysrq' || (d.scenario === 't-tiny-la57' && !d.name.startsWith('kdump-'));

describe.each(allDumps().map((d) => [`${d.scenario}/${d.name}`, d] as const))('%s', (_, d) => {
  it('opens by content, with VMCOREINFO, 2 CPUs of registers, a sensible size', () => {
    const src = NodeFileSource.open(d.path);
    expect(sniff(src)).toBe(d.name.endsWith('.elf') ? 'elf-core' : d.name.endsWith('.flat') || d.name.startsWith('qemu-kdump') ? 'flattened' : 'kdump');
    const m = openDump([src]);
    expect(m.format).toBe(expectedFormat(d));
    expect(m.warnings).toEqual([]);
    expect(m.incomplete).toBe(false);
    expect(m.notes.vmcoreinfo).toContain(`OSRELEASE=${RELEASE[d.scenario]}\n`);
    expect(m.notes.prstatus).toHaveLength(2);
    expect(m.notes.qemuCpus).toHaveLength(fromQemu(d) ? 2 : 0);
    // 128-640 MiB of RAM; QEMU's ELF and kdump reach the BIOS ROM just below 4 GiB.
    expect(m.maxPfn).toBeGreaterThanOrEqual(0x8000n);
    expect(m.maxPfn).toBeLessThanOrEqual(0x100000n);
    expect(m.describe().length).toBeGreaterThan(5);
    let present = 0;
    let first = -1n;
    for (let p = 0n; p < m.maxPfn; p++)
      if (m.pageState(p) === 'present') {
        present++;
        if (first < 0n) first = p;
      }
    expect(present).toBeGreaterThan(5000);
    expect(m.read(phys(first * 4096n), 4096)).toHaveLength(4096);
  });

  it("agrees with crash's sys ([PARTIAL DUMP]) and help -D (header, registers)", () => {
    const m = openDump([NodeFileSource.open(d.path)]);
    const sys = crashFile(d, 'sys.txt');
    if (sys) expect(m.partial).toBe(/DUMPFILE: .*\[PARTIAL DUMP\]/.test(sys));
    const helpD = crashFile(d, 'help-D.txt');
    if (!helpD) return;
    const mapnr = /max_mapnr: (\d+)/.exec(helpD);
    if (mapnr) expect(m.maxPfn).toBe(BigInt(mapnr[1]!));
    const loads = /num_pt_load_segments: (\d+)/.exec(helpD);
    if (loads) expect((m as ElfVmcore).segments.filter((s) => s.type === 1)).toHaveLength(Number(loads[1]));
    const rips = [...helpD.matchAll(/RIP: ([0-9a-f]{16})/g)].map((x) => BigInt(`0x${x[1]}`)).sort();
    const ours = [...m.notes.prstatus.map((p) => p.regs.rip), ...m.notes.qemuCpus.map((c) => c.regs.rip)].sort();
    expect(ours.map(hex)).toEqual(rips.map(hex));
    const cr3 = [...helpD.matchAll(/CR3: ([0-9a-f]{16})/g)].map((x) => BigInt(`0x${x[1]}`));
    expect(m.notes.qemuCpus.map((c) => hex(c.cr3))).toEqual(cr3.map(hex));
    const pids = [...helpD.matchAll(/ pid: (\d+) /g)].map((x) => Number(x[1]));
    expect(m.notes.prstatus.map((p) => p.pid)).toEqual(pids);
  });
});
