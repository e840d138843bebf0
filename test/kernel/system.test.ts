// The facts behind sys and mach, each checked against what crash 8.0.6 says on the fixture dumps (values taken
// from its sys, mach and `log -T` output), and crash's number formatting on its edge cases.
import { describe, expect, it } from 'vitest';
import { ctime } from '../../src/commands/log.ts';
import type { Session } from '../../src/engine/session.ts';
import {
  bootTime, cpuCounts, crashTime, formatUptime, kernelHz, memorySize, pagesToSize, panicMessage, uptimeJiffies,
} from '../../src/kernel/system.ts';
import { fixture } from '../helpers/fixtures.ts';
import { hasDebian, openSession } from '../helpers/sessions.ts';

/** One session per dump for the file, opened on first use. */
const qemu = (): Session => openSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf');
const kdump = (): Session => openSession(fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump'), 'btf');
const tiny = (): Session => openSession(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');

describe("crash's number formats", () => {
  it('pages_to_size: KB truncated, MB/GB to one decimal with ".0" dropped', () => {
    expect(pagesToSize(0)).toBe('0');
    expect(pagesToSize(1)).toBe('4 KB');
    expect(pagesToSize(255)).toBe('1020 KB');
    expect(pagesToSize(256)).toBe('1 MB');
    expect(pagesToSize(32637)).toBe('127.5 MB');
    expect(pagesToSize(262144)).toBe('1 GB');
    expect(pagesToSize(262144 + 26215)).toBe('1.1 GB');
  });
  it('pages_to_size rounds an exact half to even, as glibc printf does', () => {
    expect(pagesToSize(320)).toBe('1.2 MB'); // 1.25
    expect(pagesToSize(448)).toBe('1.8 MB'); // 1.75
    expect(pagesToSize(352)).toBe('1.4 MB'); // 1.375
  });
  it('convert_time: hours, minutes, seconds, and days when there are any', () => {
    expect(formatUptime(1041n, 250)).toBe('00:00:04');
    expect(formatUptime(BigInt((2 * 86400 + 3 * 3600 + 4 * 60 + 5) * 100), 100)).toBe('2 days, 03:04:05');
  });
  it('ctime in UTC', () => {
    expect(ctime(1795689277n)).toBe('Thu Nov 26 10:34:37 UTC 2026');
  });
});

describe('system facts from the dump (BTF) and from a vmlinux', () => {
  it('HZ: tick_nsec without DWARF, mq-deadline write_expire with it', () => {
    expect(kernelHz(kdump().program)).toBe(250);
    expect(kernelHz(tiny().program)).toBe(1000);
  });
  it.skipIf(!hasDebian)('HZ from the Debian DWARF agrees with tick_nsec', () => {
    expect(kernelHz(openSession(fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump'), 'dwarf').program)).toBe(250);
  });
  it('DATE is the timekeeper time, also on dumps without CRASHTIME', () => {
    const q = qemu();
    expect(q.vmcoreinfo?.crashTime).toBeUndefined();
    expect(ctime(crashTime(q.program)!)).toBe('Thu Nov 26 10:34:37 UTC 2026');
    expect(ctime(crashTime(kdump().program)!)).toBe('Thu Nov 26 10:38:34 UTC 2026');
  });
  it('uptime undoes INITIAL_JIFFIES', () => {
    const p = qemu().program;
    expect(formatUptime(uptimeJiffies(p, 250), 250)).toBe('00:00:04');
  });
  it("boot time is crash's log -T base (DATE minus whole seconds of uptime)", () => {
    expect(bootTime(kdump().program)).toBe(1795689504n);
    expect(bootTime(tiny().program)).toBe(1795695203n);
  });
  it('CPUs: per-CPU areas counted, offline from the online mask', () => {
    expect(cpuCounts(qemu().program)).toEqual({ cpus: 2, online: 1 });
    expect(cpuCounts(kdump().program)).toEqual({ cpus: 2, online: 2 });
  });
  it('MEMORY: the nodes\' present pages, NUMA (node_data) and not (contig_page_data)', () => {
    expect(memorySize(qemu().program)).toBe(32637n * 4096n);
    expect(pagesToSize(memorySize(kdump().program) / 4096n)).toBe('639.5 MB');
    expect(pagesToSize(memorySize(tiny().program) / 4096n)).toBe('191.5 MB');
  });
});

describe("panic message (crash's get_panicmsg)", () => {
  const p = tiny;
  it('the most telling panic string wins over an earlier, lesser one', () => {
    const lines = ['Oops: 0002 [#1] SMP', 'Kernel panic - not syncing: Fatal exception'];
    expect(panicMessage(p().program, lines)).toBe('Kernel panic - not syncing: Fatal exception');
  });
  it('then the first line with a panic keyword, else nothing', () => {
    expect(panicMessage(p().program, ['x', 'BUG: unable to handle page fault', 'Oopsie'])).toBe('Oopsie');
    expect(panicMessage(p().program, ['nothing to see'])).toBe('');
  });
});
