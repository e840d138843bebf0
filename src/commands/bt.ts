// bt: crash's cmd_bt (kernel.c) on x86-64 — a task's kernel stack as crash 8.0.6 walks it (see
// arch/x86-64-unwind.ts for the walk). `bt` is the panic task (crash's current context), `bt PID|TASK`
// any task, `bt -a` each CPU's active task, with -f (frame words), -l (file: line, from the vmlinux),
// -s / -x / -d (symbol offsets and their radix), -t / -T (every text address), -o (no frame sizes), -e / -E
// (exception-frame search), -c, -g, -p, -r, -v. `foreach ... bt` plugs into foreach.ts.
import { hex, kv } from '../addr.ts';
import { parseCpuSpec } from '../kernel/sched.ts';
import {
  type BtDump,
  type BtMachine,
  type BtOptions,
  type BtSymbol,
  type BtTask,
  FramesizeCache,
  PT_REGS_DEFAULT,
  type PtRegsLayout,
  X86_64_EXCEPTION_FUNCTIONS,
  X86_64_EXCEPTION_FUNCTIONS_OLD,
  crashBackTrace,
  decodeInsn,
} from '../arch/x86-64-unwind.ts';
import { OrcTable, ORC_ENTRY_SIZE, orcTypeCall } from '../arch/orc.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { kernelStacksOf } from '../kernel/stacks.ts';
import { frameLayout, prstatusRegisters } from '../kernel/registers.ts';
import { type TaskInfo, type Tasks, taskHeader, tasksOf } from '../kernel/tasks.ts';
import { mmOfProgram } from '../kernel/mm.ts';
import { type ModuleInfo, moduleLayout, readModules } from '../symbols/kallsyms.ts';
import { SymbolTable, type Resolved } from '../symbols/symbol-table.ts';
import { type Type, findMember, memberOffset, sizeOf } from '../types/type.ts';
import { CrashReader, type MemType, displayMemory } from './rd.ts';
import { mmOf } from './vtop.ts';
import { CrashFatal } from './crash-tools.ts';
import type { Command } from './command.ts';
import { registerForeach } from './foreach.ts';

const SHF_EXECINSTR = 4n;
/** crash's x86_64_framepointer_init() candidates: 3 of them starting with push %rbp; mov %rsp,%rbp. */
const FRAMEPOINTER_CHECK = ['sys_open', 'sys_fork', 'sys_read', '__x64_sys_open', '__x64_sys_fork', '__x64_sys_read', 'do_futex', 'do_fork', '_do_fork', 'sys_write', 'vfs_read', '__schedule'];
const PUSH_RBP_MOV_RSP_RBP = 0xe5894855;

/** Everything about the kernel a backtrace needs, built once per session. */
interface BtContext {
  machine: BtMachine;
  dump: BtDump;
  tasks: Tasks;
}

const contexts = new WeakMap<Session, BtContext>();

/** The session's backtrace machine (symbols, stacks, ORC...), for callers that unwind by other means. */
export function btMachineOf(session: Session): BtMachine {
  return btContext(session).machine;
}

function btContext(session: Session): BtContext {
  let c = contexts.get(session);
  if (!c) {
    c = buildContext(session);
    contexts.set(session, c);
  }
  return c;
}

function buildContext(session: Session): BtContext {
  const prog = session.program;
  const mem = session.kernel;
  const debug = session.debugInfo;
  const kernelSyms: SymbolTable = debug?.symbols ?? session.symbols;
  const tasks = tasksOf(session);
  const type = (spec: string): Type | undefined => prog.tryType(spec);
  const symbol = (name: string): bigint | undefined => kernelSyms.find(name)?.address;

  // Modules: from the kallsyms table when it has them, else read with the program's types.
  let modules: readonly ModuleInfo[] = [];
  try {
    modules = session.symbols.modules;
  } catch (e) {
    // No kallsyms in the dump (before Linux 6.0): the vmlinux's symbols and types still do.
    if (!(e instanceof CrashlensError)) throw e;
  }
  if (modules.length === 0 && symbol('modules') !== undefined) {
    const layout = moduleLayout(prog.types);
    if (typeof layout !== 'string') {
      try {
        modules = readModules(mem, kv(symbol('modules')!), layout).modules;
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
      }
    }
  }
  const moduleTable = new SymbolTable([], modules);
  const moduleType = type('struct module');
  const textSizeAt = moduleType ? memberOffset(moduleType, 'core_layout.text_size')?.offset : undefined;
  const textSize = new Map<string, number>();
  for (const m of modules) {
    let size = m.size;
    if (textSizeAt !== undefined) {
      try {
        size = mem.readU32(kv(m.struct + BigInt(textSizeAt)));
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
      }
    }
    textSize.set(m.name, size);
  }

  const resolve = (addr: bigint): Resolved | undefined => crashResolve(kernelSyms, addr) ?? moduleTable.resolve(addr);
  const valueSearch = (addr: bigint): BtSymbol | undefined => {
    const r = resolve(addr);
    if (!r || r.symbol.pseudo) return undefined;
    return { name: r.symbol.name, offset: r.offset, type: r.symbol.type, module: r.symbol.module?.name };
  };

  const stext = symbol('_stext') ?? 0n;
  const etext = symbol('_etext') ?? 0n;
  // is_kernel_text(): the vmlinux's code sections when we have it; else the kernel's text ranges by symbol.
  const codeRanges: [bigint, bigint][] = [];
  if (debug) {
    for (const sec of debug.elf.sections) {
      if (!(sec.flags & SHF_EXECINSTR) || !sec.addr) continue;
      const start = BigInt.asUintN(64, sec.addr + debug.kaslrOffset);
      codeRanges.push([start, start + BigInt(sec.size)]);
    }
  } else {
    codeRanges.push([stext, etext]);
    const si = symbol('_sinittext');
    const ei = symbol('_einittext');
    if (si !== undefined && ei !== undefined) codeRanges.push([si, ei]);
  }
  const isSymbolText = (s: BtSymbol, addr: bigint): boolean => s.type === 'T' || s.type === 't' || ((s.type === 'W' || s.type === 'w') && addr - s.offset >= stext && addr - s.offset < etext);
  const isKernelText = (addr: bigint): boolean => {
    for (const [a, b] of codeRanges) if (addr >= a && addr < b) return true;
    const s = valueSearch(addr);
    if (s && isSymbolText(s, addr)) return true;
    const m = moduleTable.moduleAt(addr);
    if (!m) return false;
    if (addr >= m.base && addr < m.base + BigInt(m.size)) return addr < m.base + BigInt(textSize.get(m.name) ?? m.size);
    return true;
  };

  const reader = new CrashReader(session);
  const readmem = (addr: bigint, size: number, what: string): Uint8Array | string => {
    try {
      return reader.read(addr, 'KVADDR' as MemType, size, what);
    } catch (e) {
      if (e instanceof CrashFatal) return e.message;
      if (e instanceof CrashlensError) return `invalid kernel virtual address: ${hex(addr)}  type: "${what}"`;
      throw e;
    }
  };
  const layout = mmOf(session).layout;

  const stacks = kernelStacksOf(session);

  // FRAMEPOINTER: more than two of crash's sample functions start with push %rbp; mov %rsp,%rbp.
  let fpHits = 0;
  let framePointer = false;
  for (const name of FRAMEPOINTER_CHECK) {
    const at = symbol(name);
    if (at === undefined) continue;
    let w: number;
    try {
      w = mem.readU32(kv(at));
      if (w === 0x66666666 || w === 0x00441f0f) w = mem.readU32(kv(at + 5n));
    } catch (e) {
      if (e instanceof CrashlensError) break;
      throw e;
    }
    if (w === PUSH_RBP_MOV_RSP_RBP && ++fpHits > 2) {
      framePointer = true;
      break;
    }
  }

  // ORC (x86_64_ORC_init): not with frame pointers, and only with struct orc_entry of the known shape.
  let orc: OrcTable | undefined;
  const orcType = type('struct orc_entry');
  const has = (t: Type | undefined, m: string): boolean => t !== undefined && findMember(t, m) !== undefined;
  if (!framePointer && orcType && sizeOf(orcType) === ORC_ENTRY_SIZE && ['sp_offset', 'bp_offset', 'sp_reg', 'bp_reg', 'type'].every((m) => has(orcType, m))) {
    const orcLayout = { hasSignal: has(orcType, 'signal'), hasEnd: has(orcType, 'end') };
    const archAt = moduleType ? memberOffset(moduleType, 'arch')?.offset : undefined;
    const arch = type('struct mod_arch_specific');
    const archOff = (m: string): number | undefined => (arch ? memberOffset(arch, m)?.offset : undefined);
    const numOrcs = archOff('num_orcs');
    const ipAt = archOff('orc_unwind_ip');
    const unwindAt = archOff('orc_unwind');
    orc = OrcTable.fromMemory(mem, symbol, orcLayout, { start: layout.modulesStart, end: layout.modulesEnd }, (ip) => {
      const m = moduleTable.moduleAt(ip);
      if (!m || archAt === undefined || numOrcs === undefined || ipAt === undefined || unwindAt === undefined) return undefined;
      try {
        const base = m.struct + BigInt(archAt);
        return { numOrcs: mem.readU32(kv(base + BigInt(numOrcs))), ip: mem.readU64(kv(base + BigInt(ipAt))), unwind: mem.readU64(kv(base + BigInt(unwindAt))) };
      } catch (e) {
        if (e instanceof CrashlensError) return undefined;
        throw e;
      }
    });
  }
  const orcCall = orc ? orcTypeCall(orc.layout) : 0;

  const frame = frameLayout(type);
  if (!frame) throw new CommandError('task_struct has no thread.sp: cannot find where sleeping tasks stopped');

  const ptRegs = ptRegsLayout(type('struct pt_regs'));
  const cache = new FramesizeCache();

  const lineNumber = debug
    ? (addr: bigint): string => {
        if (moduleTable.moduleAt(addr)) return '';
        try {
          const l = debug.lines.lookup(BigInt.asUintN(64, addr - debug.kaslrOffset));
          return l ? `${l.file}: ${l.line}`.replace(/\/\/+/g, '/') : '';
        } catch (e) {
          if (e instanceof CrashlensError) return '';
          throw e;
        }
      }
    : undefined;

  const machine: BtMachine = {
    readmem,
    valueSearch,
    symbolValue: symbol,
    isKernelText,
    moduleOf: (addr) => moduleTable.moduleAt(addr)?.name,
    isKvaddr: (a) => layout.isKvaddr(a),
    isUvaddr: (a) => layout.isUvaddr(a),
    isVmallocAddr: (a) => layout.isVmalloc(a),
    kvtopOk: (a) => typeof readmem(a, 1, 'kvtop') !== 'string',
    modules: { start: layout.modulesStart, end: layout.modulesEnd },
    stacks,
    orc,
    orcTypeCall: orcCall,
    framePointer,
    ptRegs,
    inactiveFrame: frame.bp !== undefined || frame.retAddr !== undefined ? { bp: frame.bp, retAddr: frame.retAddr } : undefined,
    threadSpOffset: frame.threadSp,
    threadInfoSize: threadInfoSize(type),
    threadReturn: threadReturn(kernelSyms, (a, n) => {
      const b = readmem(a, n, 'x/i');
      return typeof b === 'string' ? undefined : b;
    }),
    initBegin: symbol('__init_begin') ?? 0n,
    initEnd: symbol('__init_end') ?? 0n,
    irqEframeLink: symbol('asm_common_interrupt') !== undefined ? (symbol('asm_call_on_stack') !== undefined ? -64 : -32) : 40,
    exceptionFunctions: symbol('asm_exc_divide_error') !== undefined ? X86_64_EXCEPTION_FUNCTIONS : X86_64_EXCEPTION_FUNCTIONS_OLD,
    nestedNmi: symbol('repeat_nmi') !== undefined,
    hasAsmCommonInterrupt: symbol('asm_common_interrupt') !== undefined,
    hasUserRegs: type('struct user_regs_struct') !== undefined,
    cache,
    lineNumber,
    inUserStack: (task, addr) => inUserStack(session, tasks, task, addr),
    stackOwner: (addr) => tasks.stackOwner(addr),
  };
  const notes = session.mem.notes;
  const dump: BtDump = {
    kind: /\bELF\b/.test(session.mem.format) ? 'elf' : 'compressed',
    qemu: notes.qemuCpus.length > 0,
    prstatus: (cpu) => prstatusRegisters(notes, cpu),
    prstatusCount: notes.prstatus.length,
  };
  return { machine, dump, tasks };
}

/**
 * value_search() as crash orders the kernel's symbols: by address and, at one address, by name (symbols.c
 * numeric_forward → non_numeric_forward). An address inside a function takes the last symbol at or below
 * it — so among names sharing an address, the greatest (__schedule, not __sched_text_start); an exact hit
 * takes the least, then crash's alias rules (.text.*, SyS_*, *_text_start give way to the next name).
 */
function crashResolve(table: SymbolTable, addr: bigint): Resolved | undefined {
  const r = table.resolve(addr);
  if (!r || r.symbol.module) return r;
  const at = r.symbol.address;
  let lo = r.symbol.index;
  let hi = r.symbol.index;
  while (lo > 0 && table.at(lo - 1).address === at) lo--;
  while (hi + 1 < table.size && table.at(hi + 1).address === at) hi++;
  if (lo === hi) return r;
  const group = [];
  for (let i = lo; i <= hi; i++) group.push(table.at(i));
  group.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (r.offset !== 0n) return { symbol: group[group.length - 1], offset: r.offset };
  let k = 0;
  if (group[k].name.startsWith('.text.') && k + 1 < group.length) k++;
  if ((group[k].name.startsWith('SyS_') || group[k].name.startsWith('compat_SyS_')) && k + 1 < group.length) k++;
  if (group[k].name.includes('_text_start') && k + 1 < group.length) k++;
  return { symbol: group[k], offset: 0n };
}

/** SIZE(thread_info) when task_struct has one (crash's THREAD_INFO), else SIZE(task_struct). */
function threadInfoSize(type: (spec: string) => Type | undefined): number {
  const task = type('struct task_struct');
  const ti = type('struct thread_info');
  if (task && findMember(task, 'thread_info') && ti) return sizeOf(ti) ?? 0;
  return (task && sizeOf(task)) ?? 0;
}

/** struct pt_regs offsets under crash's names (the kernel calls them bp, ax, ... since the x86 merge). */
function ptRegsLayout(t: Type | undefined): PtRegsLayout {
  if (!t) return PT_REGS_DEFAULT;
  const offsets = { ...PT_REGS_DEFAULT.offsets };
  const alias: Record<string, string> = { rbp: 'bp', rbx: 'bx', rax: 'ax', rcx: 'cx', rdx: 'dx', rsi: 'si', rdi: 'di', orig_rax: 'orig_ax', rip: 'ip', eflags: 'flags', rsp: 'sp' };
  for (const k of Object.keys(offsets) as (keyof PtRegsLayout['offsets'])[]) {
    const o = memberOffset(t, k)?.offset ?? (alias[k] ? memberOffset(t, alias[k])?.offset : undefined);
    if (o !== undefined) offsets[k] = o;
  }
  return { size: sizeOf(t) ?? PT_REGS_DEFAULT.size, offsets };
}

/**
 * x86_64_thread_return_init(): where a switched-out task resumes — the instruction after schedule()'s
 * (else __schedule()'s) call to __switch_to / __switch_to_asm, found by disassembling the function.
 */
function threadReturn(syms: SymbolTable, read: (addr: bigint, size: number) => Uint8Array | undefined): bigint {
  const direct = syms.find('thread_return');
  if (direct) return direct.address;
  const switchTo = syms.find('__switch_to')?.address;
  const switchToAsm = syms.find('__switch_to_asm')?.address;
  for (const name of ['schedule', '__schedule']) {
    const s = syms.find(name);
    if (!s) continue;
    const next = syms.next(s);
    if (!next) continue;
    const code = read(s.address, Number(next.address - s.address) + 16);
    if (!code) continue;
    let found = false;
    // gdb's x/Ni runs past the function's end, so the instruction after a final call still counts.
    for (let off = 0; off < Number(next.address - s.address) || found; ) {
      const insn = decodeInsn(code, off, s.address + BigInt(off));
      if (!insn) break;
      if (found) return s.address + BigInt(off);
      const target = insn.callTarget ?? (code[off] === 0xe9 ? s.address + BigInt(off + 5) + BigInt(new DataView(code.buffer, code.byteOffset).getInt32(off + 1, true)) : undefined);
      if (target !== undefined && (target === switchTo || (insn.word === 'call' && target === switchToAsm))) found = true;
      off += insn.length;
    }
  }
  return syms.find('schedule')?.address ?? 0n;
}

/** in_user_stack(): the address is in one of the task's VMAs that grows down or is read-write. */
function inUserStack(session: Session, tasks: Tasks, task: bigint, addr: bigint): boolean {
  const t = tasks.byTask(task);
  if (!t || !t.mm) return false;
  try {
    const mm = mmOfProgram(session.program);
    for (const vma of mm.vmaList(t.mm).vmas) {
      const v = mm.readVma(vma);
      if (addr < v.start || addr >= v.end) continue;
      if (v.flags & 0x100n) return true; // VM_GROWSDOWN
      return (v.flags & 3n) === 3n; // VM_READ|VM_WRITE: a thread's stack
    }
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
  }
  return false;
}

/** One task's trace, header first; `fatal` when crash's error(FATAL) ended it. */
function taskTrace(session: Session, t: TaskInfo, opts: BtOptions, newline: boolean, raw = false): { text: string; fatal: boolean } {
  const { machine, dump, tasks } = btContext(session);
  const header = taskHeader(t, newline);
  let stackBase: bigint;
  try {
    stackBase = tasks.stackBase(t);
  } catch (e) {
    if (e instanceof CrashlensError) return { text: `${header}(no stack)\n`, fatal: false };
    throw e;
  }
  if (raw) return { text: header + rawStack(session, stackBase, machine.stacks.stackSize), fatal: false };
  const bt: BtTask = {
    task: t.task,
    pid: t.pid,
    cpu: t.cpu,
    active: tasks.isActive(t),
    panic: tasks.panicTask() === t.task,
    kernelThread: tasks.isKernelThread(t),
    stackBase,
  };
  const r = crashBackTrace(machine, dump, bt, opts);
  return { text: header + r.text, fatal: r.fatal };
}

/** raw_stack_dump(): the whole stack as `rd -s` would show it. */
function rawStack(session: Session, base: bigint, size: number): string {
  try {
    return displayMemory(session, base, BigInt(size / 8), { display: 64, hexadecimal: true, decimal: false, udecimal: false, symbolic: true, noAscii: false, netEndian: false }, 'KVADDR');
  } catch (e) {
    if (e instanceof CrashFatal) return `${e.partial}bt: ${e.message}\n`;
    throw e;
  }
}

/** `bt -O` state: crash's kt->flags USE_OPT_BT, for the rest of the session. */
const oldByDefault = new WeakMap<Session, boolean>();

const USAGE =
  'Usage:\n  bt [-a|-c cpu(s)|-g|-r|-t|-T|-l|-e|-E|-f|-F|-o|-O|-v|-p] [-R ref] [-s [-x|d]]\n     [-I ip] [-S sp] [-n idle] [pid | task]\nEnter "help bt" for details.';

interface ParsedBt {
  opts: BtOptions;
  all: boolean;
  panic: boolean;
  group: boolean;
  raw: boolean;
  overflow: boolean;
  /** -O: flip the session's default to (or from) the old method. */
  toggleOld?: boolean;
  cpus?: string;
  rest: string[];
  /** What crash says before the traces (error(INFO) lines). */
  notes: string;
}

/** cmd_bt()'s getopt ("D:fFI:S:c:n:aAloreEgstTdxR:Ovp"): the options we act on; the rest refused. */
function parseBt(session: Session, args: string[]): ParsedBt {
  const p: ParsedBt = { opts: { old: oldByDefault.get(session) }, all: false, panic: false, group: false, raw: false, overflow: false, rest: [], notes: '' };
  const opts = p.opts;
  const takesValue = new Set(['D', 'I', 'S', 'c', 'n', 'R']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      p.rest.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a.length === 1) {
      p.rest.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      let value: string | undefined;
      if (takesValue.has(c)) {
        value = j + 1 < a.length ? a.slice(j + 1) : args[++i];
        if (value === undefined) throw new CommandError(`option requires an argument -- '${c}'\n${USAGE}`);
        j = a.length;
      }
      switch (c) {
        case 'f':
          opts.full = true;
          break;
        case 'l':
          if (session.debugInfo) opts.lineNumbers = true;
          else p.notes += 'bt: line numbers are not available\n';
          break;
        case 's':
          opts.symbolOffset = true;
          break;
        case 'x':
          if (opts.radix === 10) throw new CommandError('-d and -x are mutually exclusive');
          opts.radix = 16;
          break;
        case 'd':
          if (opts.radix === 16) throw new CommandError('-d and -x are mutually exclusive');
          opts.radix = 10;
          break;
        case 'a':
          p.all = true;
          break;
        case 'p':
          p.panic = true;
          break;
        case 'g':
          p.group = true;
          break;
        case 'r':
          p.raw = true;
          break;
        case 'T':
          opts.textSymbols = 'T';
          break;
        case 't':
          if (opts.textSymbols !== 'T') opts.textSymbols = 't';
          break;
        case 'v':
          p.overflow = true;
          break;
        case 'c':
          p.cpus = value;
          break;
        case 'n':
          // "-n idle" skips idle tasks in crash's x86-64 dumpfile search, but its get_stack_frame clears the
          // flag again before it counts, so 8.0.6 prints them all the same.
          if (value !== 'idle') throw new CommandError(`-n option not supported or applicable on this architecture or kernel`);
          break;
        case 'o':
          opts.old = true;
          break;
        case 'O':
          p.toggleOld = true;
          break;
        case 'e':
          if (opts.eframeSearch !== 'E') opts.eframeSearch = 'e';
          break;
        case 'E':
          opts.eframeSearch = 'E';
          break;
        case 'F':
        case 'A':
        case 'D':
        case 'I':
        case 'S':
        case 'R':
          throw new CommandError(`-${c}: not supported here yet`);
        default:
          throw new CommandError(`invalid option -- '${c}'\n${USAGE}`);
      }
    }
  }
  return p;
}

/** The task and the rest of its thread group (DO_THREAD_GROUP_BACKTRACE): the leader first. */
function threadGroup(tasks: Tasks, t: TaskInfo): TaskInfo[] {
  const leader = tasks.byPid(t.tgid)[0] ?? t;
  return [leader, ...tasks.all().filter((x) => x.tgid === t.tgid && x.pid !== t.tgid)];
}

/** check_stack_overflow() for THREAD_INFO_IN_TASK kernels: each stack's STACK_END_MAGIC word. */
function stackOverflows(session: Session, tasks: Tasks): string {
  const MAGIC = 0x57ac6e9dn;
  const mem = session.kernel;
  const read = (a: bigint): bigint | undefined => {
    try {
      return mem.readU64(kv(a));
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  };
  const base = (t: TaskInfo): bigint | undefined => {
    try {
      return tasks.stackBase(t);
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  };
  // stack_overflow_check_init(): only when one of pids 1-9 has the magic word.
  const known = [1, 2, 3, 4, 5, 6, 7, 8, 9].some((pid) => {
    const t = tasks.byPid(pid)[0];
    const b = t && base(t);
    return b !== undefined && read(b) === MAGIC;
  });
  if (!known) throw new CommandError('-v option not supported or applicable on this architecture or kernel');
  const init = session.symbols.find('init_task')?.address;
  let out = '';
  let total = 0;
  for (const t of tasks.all()) {
    const b = base(t);
    const magic = b === undefined ? undefined : read(b);
    if (magic === undefined) continue;
    if (t.pid === 0 && (init === undefined || t.task === init)) continue;
    if (magic !== MAGIC) {
      out += `${taskHeader(t)}  possible stack overflow: ${hex(b!)}: ${hex(magic)} != STACK_END_MAGIC\n\n`;
      total++;
    }
  }
  return total ? out : 'No stack overflows detected\n';
}

export const btCommand: Command = {
  name: 'bt',
  summary: 'backtrace',
  run({ session, args }) {
    const p = parseBt(session, args);
    if (p.toggleOld) {
      const now = !oldByDefault.get(session);
      oldByDefault.set(session, now);
      return `bt: use ${now ? 'old' : 'new'} bt method by default\n`;
    }
    const { tasks } = btContext(session);
    if (p.overflow) return stackOverflows(session, tasks);
    let out = p.notes;
    let subsequent = 0;
    if (p.opts.eframeSearch === 'E') {
      // -E borrows the current task's stack and prints no task header.
      const panicTask = tasks.panicTask();
      const t = (panicTask !== undefined ? tasks.byTask(panicTask) : undefined) ?? tasks.all()[0];
      return out + taskTrace(session, t, p.opts, false).text.slice(taskHeader(t).length);
    }
    // A FATAL error ends the command, except where crash catches it per task (-a, -g, a pid with several tasks).
    class Stop extends Error {}
    const one = (t: TaskInfo, caught = false): void => {
      const r = taskTrace(session, t, p.opts, subsequent++ > 0, p.raw);
      out += r.text;
      if (r.fatal && !caught) throw new Stop();
    };
    const group = (t: TaskInfo): void => {
      for (const g of threadGroup(tasks, t)) one(g, true);
    };
    try {
      if (p.cpus !== undefined) {
        if (p.group) throw new CommandError('-c option cannot be used with the -g option');
        const active = tasks.active();
        for (const cpu of [...parseCpuSpec(p.cpus, tasks.cpuCount())].sort((x, y) => x - y)) {
          const task = active.get(cpu);
          const t = task !== undefined ? tasks.byTask(task) : undefined;
          if (!t) throw new CommandError(`cannot determine active task on cpu ${cpu}`);
          one(t);
        }
        return out;
      }
      if (p.all) {
        if (p.group) throw new CommandError('-a option cannot be used with the -g option');
        const active = tasks.active();
        for (const cpu of [...active.keys()].sort((a, b) => a - b)) {
          const t = tasks.byTask(active.get(cpu)!);
          if (t) one(t, true);
        }
        return out;
      }
      if (p.rest.length === 0) {
        const panicTask = tasks.panicTask();
        if (p.panic && panicTask === undefined) throw new CommandError('no panic task found!');
        const t = (panicTask !== undefined ? tasks.byTask(panicTask) : undefined) ?? tasks.all()[0];
        if (p.group && t.pid) group(t);
        else one(t);
        return out;
      }
      for (const word of p.rest) {
        const arg = tasks.parseArg(word);
        if (arg.kind === 'invalid') {
          out += `${subsequent++ ? '\n' : ''}bt: invalid task or pid value: ${word}\n`;
          continue;
        }
        if (p.group && arg.tasks[0]?.pid) group(arg.tasks[0]);
        else for (const t of arg.tasks) one(t, arg.tasks.length > 1);
      }
      return out;
    } catch (e) {
      if (e instanceof Stop) return out;
      throw e;
    }
  },
};

// `foreach ... bt [-f -l -s -x -d -t -T -o -e -r]`: foreach (foreach.ts) prints each task's header; this
// gives the trace under it. crash checks -x/-d and -g in foreach itself.
registerForeach('bt', {
  start(session, o) {
    const f = o.flags;
    for (const c of ['F', 'FF']) if (f.has(c)) throw new CommandError(`bt -${c}: not supported here yet`);
    if (o.reference !== undefined) throw new CommandError('bt -R: not supported here yet');
    const opts: BtOptions = {
      full: f.has('f'),
      symbolOffset: f.has('s'),
      radix: f.has('x') ? 16 : f.has('d') ? 10 : 0,
      textSymbols: f.has('T') ? 'T' : f.has('t') ? 't' : undefined,
      old: f.has('o') || oldByDefault.get(session),
      eframeSearch: f.has('e') ? 'e' : undefined,
    };
    let preamble = '';
    if (f.has('l')) {
      if (session.debugInfo) opts.lineNumbers = true;
      else preamble = 'foreach: line numbers are not available\n';
    }
    const raw = f.has('r');
    return { header: true, preamble, task: (t) => taskTrace(session, t, opts, false, raw).text.slice(taskHeader(t).length) };
  },
});
