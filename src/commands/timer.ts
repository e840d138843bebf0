// timer: the timer wheel of each CPU as crash 8.0.6 prints it (kernel.c dump_timer_data_timer_bases), or
// with -r the hrtimer clock bases (dump_hrtimer_data); -C restricts the CPUs.
import { hex, kv } from '../addr.ts';
import { CommandError } from '../errors.ts';
import { parseCpuSpec } from '../kernel/sched.ts';
import { kernelHz, uptimeJiffies } from '../kernel/system.ts';
import { tasksOf } from '../kernel/tasks.ts';
import { type SymbolSource, Timers, isKernelText, symstr } from '../kernel/timers.ts';
import type { Session } from '../engine/session.ts';
import type { Command } from './command.ts';
import { finish, getopt, mkstring, usage } from './crash-tools.ts';

const SYNOPSIS = '[-r][-C cpu]';
const VADDR_PRLEN = 16;

/**
 * The symbols crash would name addresses with: the vmlinux's when given (its aliases are crash's), with
 * module addresses from the dump's module symbol tables, which only kallsyms loading reads.
 */
export function symbolsOf(session: Session): SymbolSource {
  const debug = session.debugInfo?.symbols;
  if (!debug) return session.symbols;
  return {
    find: (name) => debug.find(name),
    resolve(addr) {
      if (debug.inKernelRange(addr)) return debug.resolve(addr);
      try {
        return session.symbols.resolve(addr);
      } catch {
        return undefined;
      }
    },
  };
}

export const timerCommand: Command = {
  name: 'timer',
  summary: 'timer queue data',
  run({ session, args }) {
    const g = getopt('timer', args, 'rC:');
    let out = g.errors.map((e) => `${e}\n`).join('');
    let rflag = false;
    let cpus: Set<number> | undefined;
    const ncpus = tasksOf(session).cpuCount();
    for (const { c, arg } of g.opts) {
      if (c === 'r') rflag = true;
      else if (c === 'C') {
        try {
          cpus = parseCpuSpec(arg!, ncpus);
        } catch (e) {
          return finish('timer', out, e);
        }
      }
    }
    if (g.errors.length || g.rest.length) return out + usage('timer', SYNOPSIS);
    try {
      if (rflag) hrtimers(session, ncpus, cpus, (s) => (out += s));
      else wheel(session, ncpus, cpus, (s) => (out += s));
    } catch (e) {
      return finish('timer', out, e);
    }
    return out;
  },
};

function wheel(session: Session, ncpus: number, cpus: Set<number> | undefined, emit: (s: string) => void): void {
  const t = new Timers(session.program);
  if (!t.hasTimerBases) throw new CommandError('only the per-CPU timer_bases wheel (Linux 4.8 and later) is supported');
  const symbols = symbolsOf(session);
  const nrBases = t.nrBases();
  const jiffies = t.jiffies();
  const js = String(jiffies);
  const flen = Math.max(js.length, 'JIFFIES'.length);
  emit(`${'JIFFIES'.padEnd(flen)}\n${js.padStart(flen)}\n\n`);
  let shown = 0;
  for (let cpu = 0; cpu < ncpus; cpu++) {
    if (cpus && !cpus.has(cpu)) continue;
    if (shown++) emit('\n');
    for (let base = 0; base < nrBases; base++) {
      const addr = t.timerBase(cpu, base);
      emit(`TIMER_BASES[${cpu}][${base === 0 ? 'BASE_STD' : 'BASE_DEF'}]: ${hex(addr)}\n`);
      // crash sorts with glibc's qsort, a merge sort: equal expiries keep bucket order, as here.
      const timers = t.wheelTimers(addr, jiffies).sort((a, b) => (a.expires < b.expires ? -1 : a.expires > b.expires ? 1 : 0));
      let highest = 0n;
      for (const x of timers) {
        const a = x.tte < 0n ? -x.tte : x.tte;
        if (a > highest) highest = a;
      }
      const tlen = Math.max(String(highest).length + 1, 3);
      emit(`  ${'EXPIRES'.padEnd(flen)}     ${'TTE'.padEnd(tlen)}     TIMER_LIST     FUNCTION\n`);
      for (const x of timers) {
        // On a dump crash shows every timer; the symbol is of the function, or of what it points to when
        // that is text (a function descriptor).
        let fn = x.function;
        if (!isKernelText(symbols, fn)) {
          try {
            const p = session.program.memory.readU64(kv(fn));
            if (isKernelText(symbols, p)) fn = p;
          } catch {
            /* not readable: the function itself */
          }
        }
        emit(
          `  ${String(x.expires).padStart(flen)}  ${String(x.tte).padStart(tlen)}  ${hex(x.address).padStart(VADDR_PRLEN)}  ${hex(x.function).padStart(VADDR_PRLEN)}  <${symstr(symbols, fn)}>\n`,
        );
      }
      if (!timers.length) emit('  (none)\n');
    }
  }
}

function hrtimers(session: Session, ncpus: number, cpus: Set<number> | undefined, emit: (s: string) => void): void {
  const t = new Timers(session.program);
  const symbols = symbolsOf(session);
  const nbases = t.clockBases();
  const hz = kernelHz(session.program);
  const names = t.getTime(t.clockBase(t.cpuBase(0), 0)) === undefined ? t.baseTypeNames() : undefined;
  let k = 0;
  for (let cpu = 0; cpu < ncpus; cpu++) {
    if (cpus && !cpus.has(cpu)) continue;
    if (k++) emit('\n');
    const cpuBase = t.cpuBase(cpu);
    emit(`CPU: ${cpu}  HRTIMER_CPU_BASE: ${hex(cpuBase)}\n`);
    for (let j = 0; j < nbases; j++) {
      if (j) emit('\n');
      const base = t.clockBase(cpuBase, j);
      const getTime = t.getTime(base);
      if (getTime !== undefined) emit(`  CLOCK: ${j}  HRTIMER_CLOCK_BASE: ${hex(base)}  [${symstr(symbols, getTime)}]\n`);
      else if (names) emit(`  CLOCK: ${j}  HRTIMER_CLOCK_BASE: ${hex(base)}  [${names.get(t.baseIndex(base)) ?? '(null)'}]\n`);
      else emit(`  CLOCK: ${j}  HRTIMER_CLOCK_BASE: ${hex(base)}\n`);
      const now = BigInt.asUintN(64, uptimeJiffies(session.program, hz) * (1000000000n / BigInt(hz)) + t.baseOffset(base));
      activeTimers(t, symbols, base, now, emit);
    }
  }
}

/** crash's dump_active_timers(): columns sized from the last (latest) timer. */
function activeTimers(t: Timers, symbols: SymbolSource, base: bigint, now: bigint, emit: (s: string) => void): void {
  const { timers, duplicate } = t.activeTimers(base);
  if (duplicate !== undefined) {
    emit(`timer: duplicate rb_node: ${hex(duplicate)}\n`);
    return;
  }
  if (!timers.length) {
    emit('  (empty)\n');
    return;
  }
  const s64 = (v: bigint): string => String(BigInt.asIntN(64, v));
  const last = timers[timers.length - 1];
  const expiresLen = Math.max(s64(last.expires).length, 7);
  const soft = last.softexpires !== undefined;
  const softLen = soft ? Math.max(s64(last.softexpires!).length, 11) : -1;
  const tteLen = s64(last.expires - now).length;
  const nowText = s64(now);
  if (soft) {
    emit(`  ${mkstring('CURRENT', softLen, 'center-right')}\n  ${mkstring(nowText, softLen, 'center-right')}\n`);
    emit(
      `  ${mkstring('SOFTEXPIRES', softLen, 'center-right')}  ${mkstring('EXPIRES', expiresLen, 'center-right')}  ${mkstring('TTE', tteLen, 'center-right')}  ${mkstring('HRTIMER', VADDR_PRLEN, 'center-left')}  ${mkstring('FUNCTION', VADDR_PRLEN, 'center-left')}\n`,
    );
  } else {
    emit(`  ${mkstring('CURRENT', expiresLen, 'center-right')}\n  ${mkstring(nowText, expiresLen, 'center-right')}\n`);
    emit(
      `  ${mkstring('EXPIRES', expiresLen, 'center-right')}  ${mkstring('TTE', tteLen, 'center-right')}  ${mkstring('HRTIMER', VADDR_PRLEN, 'center-left')}  ${mkstring('FUNCTION', VADDR_PRLEN, 'center-left')}\n`,
    );
  }
  for (const x of timers) {
    if (!x.readable) {
      emit('  (destroyed timer)\n');
      continue;
    }
    let line = '  ';
    if (x.softexpires !== undefined) line += `${mkstring(s64(x.softexpires), softLen, 'center-right')}  `;
    line += `${mkstring(s64(x.expires), expiresLen, 'center-right')}  `;
    line += `${s64(x.expires - now).padStart(tteLen)}  `;
    line += `${hex(x.address)}  `;
    if (x.function !== undefined) line += `${hex(x.function)}  <${symstr(symbols, x.function)}>`;
    emit(`${line}\n`);
  }
}
