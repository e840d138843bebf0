// irq: interrupt descriptors as crash 8.0.6 prints them on 2.6.37+ kernels (kernel.c cmd_irq and
// generic_dump_irq's irq_desc/irq_data table): all IRQs, the given ones, or with -u only those with a
// descriptor; -a each used IRQ's CPU affinity, -s the per-CPU counts (-c selects CPUs), -b the softirq
// vectors, -d the x86-64 IDT.
import { hex, kv } from '../addr.ts';
import { CommandError } from '../errors.ts';
import { Irqs } from '../kernel/irq.ts';
import { dtoi, parseCpuSpec } from '../kernel/sched.ts';
import { tasksOf } from '../kernel/tasks.ts';
import { type SymbolSource, symstr } from '../kernel/timers.ts';
import type { Session } from '../engine/session.ts';
import type { Command } from './command.ts';
import { symbolsOf } from './timer.ts';
import { finish, getopt, mkstring, usage } from './crash-tools.ts';

const SYNOPSIS = '[[[index ...] | -u ] | -d | -b | -a | -s [-c cpu]]';
const VADDR_PRLEN = 16;
const DESC_W = Math.max(VADDR_PRLEN, 'IRQ_DESC/_DATA'.length);
const ACTION_W = Math.max(VADDR_PRLEN, 'IRQACTION'.length);

const irqsBySession = new WeakMap<Session, Irqs>();

export function irqsOf(session: Session): Irqs {
  let i = irqsBySession.get(session);
  if (!i) {
    i = new Irqs(session.program);
    irqsBySession.set(session, i);
  }
  return i;
}

function notSupported(c: string): CommandError {
  return new CommandError(`-${c} option not supported or applicable on this architecture or kernel`);
}

export const irqCommand: Command = {
  name: 'irq',
  summary: 'IRQ data',
  run({ session, args }) {
    const g = getopt('irq', args, 'dbuasc:');
    let out = g.errors.map((e) => `${e}\n`).join('');
    let argerrs = g.errors.length > 0;
    let inUse = false;
    let showIntr = false;
    let cpuArg: string | undefined;
    const emit = (s: string): void => {
      out += s;
    };
    try {
      const irqs = irqsOf(session);
      const symbols = symbolsOf(session);
      for (const { c, arg } of g.opts) {
        switch (c) {
          case 'd':
            idt(session, irqs, symbols, emit);
            return out;
          case 'b':
            softirqs(irqs, symbols, emit);
            return out;
          case 'u':
            inUse = true;
            break;
          case 'a':
            if (!irqs.hasAffinity) throw notSupported('a');
            affinity(session, irqs, emit);
            return out;
          case 's':
            showIntr = true;
            break;
          case 'c':
            if (cpuArg !== undefined) {
              emit('irq: only one -c option allowed\n');
              argerrs = true;
            } else cpuArg = arg!;
            break;
          default:
            argerrs = true;
        }
      }
      if (argerrs) return out + usage('irq', SYNOPSIS);
      const nr = irqs.nrIrqs();
      if (nr === 0) throw new CommandError('cannot determine number of IRQs');
      if (showIntr) {
        const ncpus = tasksOf(session).cpuCount();
        const cpus = cpuArg !== undefined ? parseCpuSpec(cpuArg, ncpus) : new Set([...Array(ncpus).keys()]);
        interrupts(irqs, nr, ncpus, cpus, emit);
        return out;
      }
      if (!irqs.hasIrqData) throw new CommandError('only the irq_desc/irq_data display of Linux 2.6.37 and later is supported');
      const header = { printed: false };
      if (g.rest.length === 0) {
        for (let i = 0; i < nr; i++) dumpIrq(irqs, i, inUse, header, emit);
        return out;
      }
      for (const a of g.rest) {
        const i = dtoi(a);
        if (i >= nr) throw new CommandError(`invalid IRQ value: ${i}  (${nr - 1} max)`);
        dumpIrq(irqs, i, false, header, emit);
      }
    } catch (e) {
      return finish('irq', out, e);
    }
    return out;
  },
};

/** One row of the irq_desc/irq_data table: the descriptor, then each action of its chain. */
function dumpIrq(irqs: Irqs, irq: number, inUse: boolean, header: { printed: boolean }, emit: (s: string) => void): void {
  const desc = irqs.desc(irq);
  const action = desc ? irqs.action(desc) : 0n;
  if (!header.printed) {
    emit(` IRQ  ${mkstring('IRQ_DESC/_DATA', VADDR_PRLEN, 'center-left')}  ${mkstring('IRQACTION', VADDR_PRLEN, 'center-left')}  NAME\n`);
    header.printed = true;
  }
  if (!desc && inUse) return;
  let line = `${mkstring(String(irq), 4, 'center-right')}  ${mkstring(desc ? hex(desc) : '(unused)', DESC_W, 'center-left')}  `;
  const chain = action ? irqs.actions(action) : [];
  if (!chain.length) line += `${mkstring('(unused)', ACTION_W, 'center-left')}  `;
  chain.forEach((a, k) => {
    if (k) line += `\n${' '.repeat(4 + 2 + DESC_W + 2)}`;
    line += `${mkstring(hex(a.action), ACTION_W, 'center-left')}  `;
    const name = irqs.string(a.name);
    if (name !== undefined) line += `"${name}"`;
  });
  emit(`${line}\n`);
}

/** The action names of an IRQ joined by commas, as -a and -s show them. */
function actionNames(irqs: Irqs, action: bigint): string {
  return irqs
    .actions(action)
    .map((a) => irqs.string(a.name))
    .filter((n): n is string => n !== undefined)
    .join(',');
}

/** irq -a: "IRQ NAME AFFINITY" for each IRQ with an action; CPU runs as "0-3,6". */
function affinity(session: Session, irqs: Irqs, emit: (s: string) => void): void {
  const nr = irqs.nrIrqs();
  if (nr === 0) throw new CommandError('cannot determine number of IRQs');
  const ncpus = tasksOf(session).cpuCount();
  emit('IRQ NAME                 AFFINITY\n');
  let len = Math.ceil(ncpus / 64) * 8;
  const cm = irqs.cpumaskSize();
  if (cm && cm > 0 && cm < len) len = cm;
  for (let i = 0; i < nr; i++) {
    const desc = irqs.desc(i);
    if (!desc) continue;
    const action = irqs.action(desc);
    if (!action) continue;
    const mask = irqs.affinity(desc, len);
    emit(`${String(i).padStart(3)} ${actionNames(irqs, action).padEnd(20)} ${cpuRuns(mask, ncpus)}\n`);
  }
}

/** crash's display_cpu_affinity(). */
function cpuRuns(mask: Uint8Array, ncpus: number): string {
  const has = (c: number): boolean => (c >> 3 < mask.length ? (mask[c >> 3] & (1 << (c & 7))) !== 0 : false);
  const runs: string[] = [];
  let start = -1;
  for (let cpu = 0; cpu <= ncpus; cpu++) {
    if (cpu < ncpus && has(cpu)) {
      if (start < 0) start = cpu;
    } else if (start >= 0) {
      runs.push(start === cpu - 1 ? String(start) : `${start}-${cpu - 1}`);
      start = -1;
    }
  }
  return runs.join(',');
}

/** irq -s: like /proc/interrupts, one column per selected CPU. */
function interrupts(irqs: Irqs, nr: number, ncpus: number, cpus: Set<number>, emit: (s: string) => void): void {
  let head = '     ';
  for (let c = 0; c < ncpus; c++) if (cpus.has(c)) head += `${`CPU${c}`.padStart(10)} `;
  emit(`${head}\n`);
  for (let i = 0; i < nr; i++) {
    const desc = irqs.desc(i);
    if (!desc) continue;
    const action = irqs.action(desc);
    if (!action) continue;
    let line = `${String(i).padStart(3)}: `;
    for (let c = 0; c < ncpus; c++) if (cpus.has(c)) line += `${String(irqs.count(desc, c)).padStart(10)} `;
    const chip = irqs.chip(desc);
    const chipName = irqs.chipName(chip);
    if (chipName !== undefined) line += chipName.padStart(8);
    const flow = irqs.descName(desc);
    if (flow !== undefined) line += `-${flow.padEnd(8)}`;
    emit(`${line} ${actionNames(irqs, action)}\n`);
  }
}

/** irq -b: the softirq vectors that have an action. */
function softirqs(irqs: Irqs, symbols: SymbolSource, emit: (s: string) => void): void {
  const vec = irqs.softirqVec(() => {
    // Without the array's type: the room before the next symbol.
    const s = symbols.find('softirq_vec');
    const next = s && symbols.resolve(s.address + 8n);
    let end = s ? s.address + 8n : 0n;
    for (let r = next; s && r && r.symbol.address === s.address && end < s.address + 256n; r = symbols.resolve(end)) end += 8n;
    return s ? Number(end - s.address) : 0;
  });
  emit(`SOFTIRQ_VEC ${mkstring('ACTION', VADDR_PRLEN, 'center-right')}\n`);
  vec.forEach((fn, i) => {
    if (!fn) return;
    const r = symbols.resolve(fn);
    const name = r && r.offset === 0n ? r.symbol.name : '(null)';
    const mod = r?.symbol.module ? `  [${r.symbol.module.name}]` : '';
    emit(`    [${i}]${i < 10 ? '    ' : '   '} ${mkstring(hex(fn), VADDR_PRLEN, 'center-right')}  <${name}>${mod}\n`);
  });
}

/** irq -d: each IDT vector's handler, by symbol; an address without one, with what its direct-map alias names. */
function idt(session: Session, irqs: Irqs, symbols: SymbolSource, emit: (s: string) => void): void {
  irqs.idt().forEach((addr, i) => {
    let text = symstr(symbols, addr);
    if (!text) {
      text = addr.toString(16).padStart(16, '0');
      try {
        const phys = session.kernel.translate(kv(addr));
        text += `  <${symstr(symbols, BigInt.asUintN(64, session.kernel.pageOffset + phys))}>`;
      } catch {
        /* unmapped: the address alone */
      }
    }
    emit(`${i < 10 ? '  ' : i < 100 ? ' ' : ''}[${i}] ${text}\n`);
  });
}
