// crash's `mach` on x86-64 (x86_64.c x86_64_display_machine_stats): machine type, memory, CPUs, clock, the
// kernel's address-space layout and each CPU's IRQ and exception stacks. `mach -c` (per-CPU cpuinfo_x86) and
// `mach -m` (the e820 map) are not done yet.
import { hex } from '../addr.ts';
import { CommandError } from '../errors.ts';
import {
  START_KERNEL_MAP, cpuCounts, cpuStacks, hypervisor, kernelHz, kernelLayout, kernelStackSize, memorySize, offlineCpus,
  pagesToSize, processorMhz, utsname,
} from '../kernel/system.ts';
import type { Command } from './command.ts';
import { getopt, usage } from './crash-tools.ts';

const SYNOPSIS = '[-m | -c -[xd] | -o]';

export const machCommand: Command = {
  name: 'mach',
  summary: 'machine specific data',
  run({ session, args }) {
    // x86_64_cmd_mach(): getopt "cmxd"; -x / -d only set the radix of -c; words after the options are ignored.
    const g = getopt('mach', args, 'cmxd');
    const pre = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    if (g.errors.length) return pre + usage('mach', SYNOPSIS);
    const flags = new Set(g.opts.map((o) => o.c));
    if (flags.has('x') && flags.has('d')) throw new CommandError('-d and -x are mutually exclusive');
    if (flags.has('m') || flags.has('c')) throw new CommandError(`-${flags.has('m') ? 'm' : 'c'} is not supported yet`);
    const prog = session.program;
    const pageSize = session.mem.pageSize;
    const cpus = cpuCounts(prog);
    const offline = offlineCpus(cpus);
    const hyper = hypervisor(prog);
    const mhz = processorMhz(prog);
    const k = session.kernel;
    const layout = kernelLayout(prog, { levels: k.levels, pageOffset: k.pageOffset, kernelImageSize: session.vmcoreinfo?.tryNumber('KERNEL_IMAGE_SIZE') });
    const symbols = session.debugInfo?.symbols ?? session.symbols;
    const stacks = cpuStacks(prog, cpus.cpus, (a) => symbols.format(a));
    const hex16 = (v: bigint): string => hex(v).padStart(16, '0');
    const cpuLine = (c: number, v: bigint, suffix = ''): string => `${`CPU ${c}`.padStart(22)}: ${hex16(v)}${suffix}\n`;
    let s = `          MACHINE TYPE: ${utsname(prog).machine}\n`;
    s += `           MEMORY SIZE: ${pagesToSize(memorySize(prog, pageSize) / BigInt(pageSize), pageSize)}\n`;
    s += `                  CPUS: ${cpus.cpus}${offline ? ` [OFFLINE: ${offline}]` : ''}\n`;
    if (hyper !== '(undetermined)' && hyper !== 'bare hardware') s += `            HYPERVISOR: ${hyper}\n`;
    s += `       PROCESSOR SPEED: ${mhz ? `${mhz} Mhz` : '(unknown)'}\n`;
    s += `                    HZ: ${kernelHz(prog)}\n`;
    s += `             PAGE SIZE: ${pageSize}\n`;
    s += `   KERNEL VIRTUAL BASE: ${hex(layout.pageOffset)}\n`;
    s += `   KERNEL VMALLOC BASE: ${hex(layout.vmallocBase)}\n`;
    s += `   KERNEL VMEMMAP BASE: ${hex(layout.vmemmapBase)}\n`;
    s += `      KERNEL START MAP: ${hex(START_KERNEL_MAP)}\n`;
    s += `   KERNEL MODULES BASE: ${hex(layout.modulesBase)}\n`;
    s += `     KERNEL STACK SIZE: ${kernelStackSize(prog, pageSize)}\n`;
    s += `        IRQ STACK SIZE: ${stacks.irqStackSize}\n`;
    s += '            IRQ STACKS:\n';
    stacks.irqStacks.forEach((base, c) => (s += cpuLine(c, base)));
    for (const e of stacks.exceptionStacks) {
      s += `${e.name.padStart(11)} STACK SIZE: ${e.size}\n`;
      s += `${e.name} STACKS:`.padStart(23) + '\n';
      e.cpus.forEach((x, c) => (s += cpuLine(c, x.base, x.available ? '' : ' [unavailable]')));
    }
    return s;
  },
};
