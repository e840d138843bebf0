// crash's `sys` (kernel.c cmd_sys / display_sys_stats): the system summary; `sys -i` (DMI strings) and
// `sys -t` (taint letters). `sys -c` (the system call table) and `sys config` (IKCONFIG) are not done yet.
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { Tasks } from '../kernel/tasks.ts';
import {
  cpuCounts, crashTime, dmiInfo, formatUptime, isTainted, kernelHz, loadAverage, memorySize, offlineCpus, pagesToSize,
  panicMessage, processorMhz, taintLetters, uptimeJiffies, utsname,
} from '../kernel/system.ts';
import { loadedModules } from '../kernel/modules.ts';
import type { Command } from './command.ts';
import { ctime, formatLog, sessionLog } from './log.ts';
import { getopt, usage } from './crash-tools.ts';

const SYNOPSIS = '[-c [name|number]] [-t] [-i] config';

export const sysCommand: Command = {
  name: 'sys',
  summary: 'system data',
  run({ session, args }) {
    const g = getopt('sys', args, 'ctip:');
    const pre = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    let argerrs = 0;
    let syscalls = false;
    // Options act in order, as crash's getopt loop does: -t and -i print and return at once.
    for (const o of g.opts) {
      if (o.c === 'p') {
        if (o.arg !== 'anic') argerrs++;
        else throw new CommandError('cannot panic a dump file');
      } else if (o.c === 'c') syscalls = true;
      else if (o.c === 't') return pre + taints(session);
      else if (o.c === 'i') return pre + dmiInfo(session.program);
      else argerrs++;
    }
    if (argerrs) return pre + usage('sys', SYNOPSIS);
    if (g.rest.length === 0 && !syscalls) return systemSummary(session);
    if (!syscalls && g.rest.some((r) => r !== 'config')) return usage('sys', SYNOPSIS);
    throw new CommandError(syscalls ? '-c (the system call table) is not supported yet' : 'config (IKCONFIG) is not supported yet');
  },
};

function taints(session: Session): string {
  const prog = session.program;
  const t = taintLetters(prog);
  if (!t) {
    if (prog.symbols.address('tainted') !== undefined) return `TAINTED: ${(prog.memory.readU32(prog.symbolAddress('tainted')) >>> 0).toString(16)}\n`;
    throw new CommandError('-t option not supported or applicable on this architecture or kernel');
  }
  return `TAINTED_MASK: ${t.mask.toString(16)}  ${t.letters}\n`;
}

/** The KERNEL line's value: the vmlinux as given, or, with none, the release the dump says it ran. */
function kernelName(session: Session): string {
  if (session.vmlinux) return session.vmlinux.name;
  return `${session.vmcoreinfo?.osrelease ?? 'unknown kernel'} (no vmlinux)`;
}

/** crash's DUMPFILE line (DUMPFILES for a split set), with the partial / incomplete markers it adds. */
function dumpfileLine(session: Session): string {
  const mem = session.mem;
  // crash marks a compressed (diskdump) file " " + " [PARTIAL DUMP]"..., an ELF one "  [PARTIAL DUMP]"....
  const compressed = /KDUMP/.test(mem.format);
  let marks = '';
  if (compressed && (mem.partial || mem.incomplete)) marks = ` ${mem.partial ? ' [PARTIAL DUMP]' : ''}${mem.incomplete ? ' [INCOMPLETE]' : ''}`;
  else if (!compressed) marks = `${mem.partial ? '  [PARTIAL DUMP]' : ''}${mem.incomplete ? '  [INCOMPLETE]' : ''}`;
  if (session.dumpFiles.length > 1) {
    const each = `${mem.partial ? ' [PARTIAL DUMP]' : ''}${mem.incomplete ? ' [INCOMPLETE]' : ''}`;
    return `   DUMPFILES: ${session.dumpFiles.map((f) => `${f}${each}`).join(`\n${' '.repeat(14)}`)}\n`;
  }
  return `    DUMPFILE: ${session.dumpFiles[0]}${marks}\n`;
}

/** The panic line as `log -t` would show it; "" when the log cannot be read. */
function panicLine(session: Session): string {
  let text: string;
  try {
    text = formatLog(sessionLog(session), { noTimestamps: true });
  } catch (e) {
    if (e instanceof CrashlensError) return '';
    throw e;
  }
  return panicMessage(session.program, text.split('\n'));
}

/** crash's livepatch marker: a 'K' taint, or the kpatch module loaded. */
function isLivepatch(session: Session): boolean {
  try {
    if (taintLetters(session.program)?.letters.includes('K')) return true;
    return loadedModules(session.program).modules.some((m) => m.name === 'kpatch');
  } catch (e) {
    if (e instanceof CrashlensError) return false;
    throw e;
  }
}

/** `sys` with no arguments: display_sys_stats(). */
export function systemSummary(session: Session): string {
  const prog = session.program;
  const uts = utsname(prog);
  const hz = kernelHz(prog);
  const cpus = cpuCounts(prog);
  const offline = offlineCpus(cpus);
  const date = crashTime(prog) ?? 0n;
  const mhz = processorMhz(prog);
  const panic = panicLine(session);
  const lines = [
    `      KERNEL: ${kernelName(session)}${isLivepatch(session) ? '  [LIVEPATCH]' : ''}${isTainted(prog) ? '  [TAINTED]' : ''}\n`,
    dumpfileLine(session),
    `        CPUS: ${cpus.cpus}${offline ? ` [OFFLINE: ${offline}]` : ''}\n`,
    `        DATE: ${ctime(date)}\n`,
    `      UPTIME: ${formatUptime(uptimeJiffies(prog, hz), hz)}\n`,
    `LOAD AVERAGE: ${loadAverage(prog)}\n`,
    `       TASKS: ${new Tasks(prog).all().length}\n`,
    `    NODENAME: ${uts.nodename}\n`,
    `     RELEASE: ${uts.release}\n`,
    `     VERSION: ${uts.version}\n`,
    `     MACHINE: ${uts.machine}  (${mhz ? `${mhz} Mhz` : 'unknown Mhz'})\n`,
    `      MEMORY: ${pagesToSize(memorySize(prog, session.mem.pageSize) / BigInt(session.mem.pageSize), session.mem.pageSize)}\n`,
    `       PANIC: "${panic}"${panic.includes('Oops: ') ? ' (check log for details)' : ''}\n`,
  ];
  return lines.join('');
}
