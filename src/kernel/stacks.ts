// The kernel stacks a backtrace can run on, found as crash 8.0.6 finds them (x86_64.c x86_64_per_cpu_init,
// x86_64_ist_init, x86_64_exception_stacks_init; task.c task_to_stackbase):
//   - a task's stack: task->stack (THREAD_INFO_IN_TASK), THREAD_SIZE bytes (sizeof(union thread_union),
//     else __end_init_stack - __start_init_stack, else two pages);
//   - each CPU's hard-IRQ stack: the per-CPU hardirq_stack_ptr (or pcpu_hot.hardirq_stack_ptr, Linux 6.2+),
//     which points 8 bytes below the top of an irq_stack;
//   - each CPU's exception (IST) stacks: the per-CPU TSS's ist[] tops (cpu_tss_rw.x86_tss.ist), named after
//     the IDT entries that use them (nmi, double fault, debug, machine check, vmm communication) and sized
//     from struct cea_exception_stacks; a stack with no IDT name gets size 0, as in crash;
//   - with KPTI, the per-CPU entry trampoline stack (entry_stack_storage).
import { kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import type { Session } from '../engine/session.ts';
import { CrashlensError } from '../errors.ts';
import { type Type, findMember, memberOffset, sizeOf } from '../types/type.ts';

export const MAX_EXCEPTION_STACKS = 7;
/** crash's NR_CPUS for x86_64: the most CPUs it looks at. */
const NR_CPUS = 8192;

/** What this module needs to know about the kernel. */
export interface StackEnv {
  mem: KernelMemory;
  /** A kernel symbol's address (per-CPU symbols: their offset in the per-CPU area). */
  symbol(name: string): bigint | undefined;
  /** A type by C spelling, if the type source has it. */
  type(spec: string): Type | undefined;
  /** value_to_symstr(): "name" or "name+off" for an address, "" when none. */
  symbolize(addr: bigint): string;
}

export class KernelStacks {
  /** kt->cpus: CPUs with a per-CPU area whose cpu_number matches (or the highest present + 1). */
  readonly cpus: number;
  /** THREAD_SIZE as crash takes it. */
  readonly stackSize: number;
  readonly perCpuOffset: bigint[];
  readonly irqSize: number;
  /** Per CPU: the IRQ stack's base (0 when unknown). */
  readonly irqBase: bigint[];
  /** Per IST slot: "NMI", "DOUBLEFAULT", "DEBUG", "MCE", "VC", "STACKFAULT" or "(unknown)". */
  readonly estackNames: string[];
  readonly estackSize: number[];
  /** [cpu][slot]: each exception stack's base (0 when the slot is unused). */
  readonly estackBase: bigint[][];
  /** [cpu][slot]: crash 8.0.6 takes every slot as readable except an unmapped VC stack. */
  readonly estackAvailable: boolean[][];
  readonly nmiIndex: number;
  /** KPTI's entry stack: per-CPU offset of entry_stack_storage's stack and its size. */
  readonly kptiEntryStack?: { offset: bigint; size: number };
  private readonly taskStackOffset: number | undefined;

  constructor(private readonly env: StackEnv) {
    const t = (spec: string): Type | undefined => env.type(spec);
    this.stackSize = threadSize(env);
    const task = t('struct task_struct');
    this.taskStackOffset = task ? memberOffset(task, 'stack')?.offset : undefined;

    // Per-CPU areas, counted as crash counts them.
    const offsetsAt = env.symbol('__per_cpu_offset');
    const perCpuLoad = env.symbol('__per_cpu_load');
    const pcpuHot = env.symbol('pcpu_hot');
    const hot = t('struct pcpu_hot');
    const hardirqAt = pcpuHot !== undefined && hot ? pcpuHot + BigInt(memberOffset(hot, 'hardirq_stack_ptr')?.offset ?? 0) : env.symbol('hardirq_stack_ptr');
    const cpuNumberAt = pcpuHot !== undefined && hot ? pcpuHot + BigInt(memberOffset(hot, 'cpu_number')?.offset ?? 0) : env.symbol('cpu_number');
    const irqStack = t('struct irq_stack');
    const irqMember = irqStack ? findMember(irqStack, 'stack') : undefined;
    this.irqSize = (irqMember && sizeOf(irqMember.member.type)) || 16384;
    this.perCpuOffset = [];
    this.irqBase = [];
    let cpus = 0;
    if (offsetsAt !== undefined && cpuNumberAt !== undefined) {
      for (let i = 0; i < NR_CPUS; i++) {
        const off = this.u64(offsetsAt + BigInt(i) * 8n);
        if (off === undefined || (perCpuLoad !== undefined && off === perCpuLoad)) break;
        const n = this.u32(BigInt.asUintN(64, cpuNumberAt + off));
        if (n !== cpus) break;
        this.perCpuOffset.push(off);
        cpus++;
        let base = 0n;
        if (hardirqAt !== undefined) {
          let ptr = this.u64(BigInt.asUintN(64, hardirqAt + off));
          if (ptr !== undefined) {
            if (ptr % 4096n !== 0n) ptr += 8n;
            base = BigInt.asUintN(64, ptr - BigInt(this.irqSize));
          }
        }
        this.irqBase.push(base);
      }
    }
    const present = cpuMaskBits(env, '__cpu_present_mask');
    this.cpus = present.length > 0 && (cpus === 0 || present.length < cpus) ? Math.max(...present) + 1 : Math.max(cpus, 1);
    while (this.perCpuOffset.length < this.cpus && offsetsAt !== undefined) {
      this.perCpuOffset.push(this.u64(offsetsAt + BigInt(this.perCpuOffset.length) * 8n) ?? 0n);
      this.irqBase.push(0n);
    }

    // Exception stacks.
    const { names, nmiIndex } = exceptionStackNames(env);
    this.estackNames = names;
    this.nmiIndex = nmiIndex;
    const cea = t('struct cea_exception_stacks') ?? t('struct exception_stacks');
    const memberSize = (name: string): number => {
      const m = cea ? findMember(cea, name) : undefined;
      return (m && sizeOf(m.member.type)) || 0;
    };
    const sizeByName: Record<string, string> = { DEBUG: 'DB_stack', NMI: 'NMI_stack', DOUBLEFAULT: 'DF_stack', MCE: 'MCE_stack', VC: 'VC_stack' };
    this.estackSize = names.map((n) => (sizeByName[n] ? memberSize(sizeByName[n]) : 0));
    this.estackBase = [];
    this.estackAvailable = [];
    const tss = env.symbol('cpu_tss_rw') ?? env.symbol('cpu_tss') ?? env.symbol('init_tss');
    const tssType = t('struct tss_struct');
    const hwTss = t('struct x86_hw_tss');
    const istOffset = tssType ? (memberOffset(tssType, 'x86_tss')?.offset ?? 0) + (hwTss ? (memberOffset(hwTss, 'ist')?.offset ?? 0) : 0) : undefined;
    let stop = false;
    for (let c = 0; c < this.cpus; c++) {
      const row = new Array<bigint>(MAX_EXCEPTION_STACKS).fill(0n);
      // crash stops at the first CPU without a per-CPU offset or without an IST[0].
      if (this.perCpuOffset[c] === undefined || this.perCpuOffset[c] === 0n) stop = true;
      if (!stop && tss !== undefined && istOffset !== undefined) {
        const at = BigInt.asUintN(64, tss + this.perCpuOffset[c] + BigInt(istOffset));
        for (let i = 0; i < MAX_EXCEPTION_STACKS; i++) row[i] = this.u64(at + BigInt(i) * 8n) ?? 0n;
        if (row[0] === 0n) stop = true;
      }
      const avail = new Array<boolean>(MAX_EXCEPTION_STACKS).fill(false);
      for (let i = 0; i < MAX_EXCEPTION_STACKS; i++) {
        if (row[i]) row[i] = BigInt.asUintN(64, row[i] - BigInt(this.estackSize[i]));
        avail[i] = names[i] === 'VC' ? this.readable(row[i]) : true;
      }
      this.estackBase.push(row);
      this.estackAvailable.push(avail);
    }

    // KPTI entry stack (crash's x86_64_entry_trampoline_init, the 4.15+ layout).
    const entryStack = env.symbol('entry_stack_storage');
    const page = t('struct entry_stack_page');
    const words = t('struct entry_stack');
    if ((env.symbol('pti_init') !== undefined || env.symbol('kaiser_init') !== undefined) && entryStack !== undefined && page && words) {
      const off = memberOffset(page, 'stack')?.offset;
      const w = findMember(words, 'words');
      if (off !== undefined && w) this.kptiEntryStack = { offset: entryStack + BigInt(off), size: sizeOf(w.member.type) ?? 512 };
    }
  }

  /** task_to_stackbase(): task->stack. */
  taskStackBase(task: bigint): bigint {
    if (this.taskStackOffset === undefined) throw new CrashlensError('struct task_struct has no member stack: cannot find task stacks');
    const v = this.u64(task + BigInt(this.taskStackOffset));
    if (v === undefined) throw new CrashlensError(`cannot read task_struct.stack of task ${task.toString(16)}`);
    return v;
  }

  /** x86_64_in_irqstack(): the IRQ stack holding rsp, or 0. */
  inIrqStack(rsp: bigint): bigint {
    for (let c = 0; c < this.cpus; c++) {
      const base = this.irqBase[c];
      if (!base) break;
      if (rsp >= base && rsp < base + BigInt(this.irqSize)) return base;
    }
    return 0n;
  }

  /** x86_64_in_exception_stack(): the exception stack holding rsp and its IST slot. */
  inExceptionStack(rsp: bigint): { base: bigint; index: number } | undefined {
    for (let c = 0; c < this.cpus; c++) {
      for (let i = 0; i < MAX_EXCEPTION_STACKS; i++) {
        const base = this.estackBase[c][i];
        if (base === 0n || !this.estackAvailable[c][i]) break;
        if (rsp >= base && rsp < base + BigInt(this.estackSize[i])) return { base, index: i };
      }
    }
    return undefined;
  }

  /** x86_64_in_alternate_stack(): rsp on this CPU's IRQ stack or one of its exception stacks. */
  inAlternateStack(cpu: number, rsp: bigint): boolean {
    if (cpu < 0 || cpu >= this.cpus) return false;
    const ib = this.irqBase[cpu];
    if (ib && rsp >= ib && rsp < ib + BigInt(this.irqSize)) return true;
    for (let i = 0; i < MAX_EXCEPTION_STACKS; i++) {
      const b = this.estackBase[cpu][i];
      if (b && rsp >= b && rsp < b + BigInt(this.estackSize[i])) return true;
    }
    return false;
  }

  /** x86_64_in_kpti_entry_stack(): the entry-stack pt_regs address when rsp is on it, else 0. */
  inKptiEntryStack(cpu: number, rsp: bigint, ptRegsSize: number): bigint {
    if (!this.kptiEntryStack) return 0n;
    const off = this.perCpuOffset[cpu];
    if (!off) return 0n;
    const base = BigInt.asUintN(64, this.kptiEntryStack.offset + off);
    const end = base + BigInt(this.kptiEntryStack.size > 0 ? this.kptiEntryStack.size : 512);
    return rsp >= base && rsp < end ? end - BigInt(ptRegsSize) : 0n;
  }

  private readable(addr: bigint): boolean {
    return this.u64(addr) !== undefined;
  }

  private u64(addr: bigint): bigint | undefined {
    try {
      return this.env.mem.readU64(kv(addr));
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  }

  private u32(addr: bigint): number | undefined {
    try {
      return this.env.mem.readU32(kv(addr));
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  }
}

const perSession = new WeakMap<Session, KernelStacks>();

/** The session's stacks, found once: symbols from the vmlinux when given, else kallsyms; types likewise. */
export function kernelStacksOf(session: Session): KernelStacks {
  let k = perSession.get(session);
  if (!k) {
    const symbols = session.debugInfo?.symbols ?? session.symbols;
    const prog = session.program;
    k = new KernelStacks({
      mem: session.kernel,
      symbol: (name) => symbols.find(name)?.address,
      type: (spec) => prog.tryType(spec),
      symbolize: (a) => {
        const r = symbols.resolve(a);
        return r ? (r.offset ? `${r.symbol.name}+${r.offset}` : r.symbol.name) : '';
      },
    });
    perSession.set(session, k);
  }
  return k;
}

/** machdep->stacksize: sizeof(union thread_union), else the init stack's extent, else two pages. */
function threadSize(env: StackEnv): number {
  const u = env.type('union thread_union');
  const size = u ? sizeOf(u) : undefined;
  if (size) return size;
  for (const [a, b] of [['__start_init_stack', '__end_init_stack'], ['__start_init_task', '__end_init_task']]) {
    const s = env.symbol(a);
    const e = env.symbol(b);
    if (s !== undefined && e !== undefined && e > s) return Number(e - s);
  }
  return 8192;
}

/** The CPUs set in a cpumask variable (__cpu_present_mask, __cpu_online_mask). */
export function cpuMaskBits(env: Pick<StackEnv, 'mem' | 'symbol'>, name: string, max = 64 * 8): number[] {
  const at = env.symbol(name);
  if (at === undefined) return [];
  const out: number[] = [];
  try {
    for (let w = 0; w < max / 64; w++) {
      const word = env.mem.readU64(kv(at + BigInt(w) * 8n));
      for (let b = 0; b < 64; b++) if ((word >> BigInt(b)) & 1n) out.push(w * 64 + b);
    }
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
  }
  return out;
}

/** x86_64_exception_stacks_init(): IST slot names from the IDT entries that use them. */
function exceptionStackNames(env: StackEnv): { names: string[]; nmiIndex: number } {
  const names = new Array<string>(MAX_EXCEPTION_STACKS).fill('(unknown)');
  let nmiIndex = -1;
  const idt = env.symbol('idt_table');
  if (idt === undefined) return { names, nmiIndex };
  let table: Uint8Array;
  try {
    table = env.mem.read(kv(idt), 16 * 256);
  } catch (e) {
    if (e instanceof CrashlensError) return { names, nmiIndex };
    throw e;
  }
  const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let i = 0; i < 256; i++) {
    const lo = v.getBigUint64(i * 16, true);
    const hi = v.getBigUint64(i * 16 + 8, true);
    const ist = Number((lo >> 32n) & 7n);
    if (!ist) continue;
    const addr = ((hi << 32n) & 0xffffffff00000000n) | (lo & 0xffffn) | ((lo >> 32n) & 0xffff0000n);
    const name = env.symbolize(addr) || addr.toString(16).padStart(16, '0');
    if (name.includes('nmi')) {
      nmiIndex = ist - 1;
      names[ist - 1] = 'NMI';
    }
    if (name.includes('debug')) names[ist - 1] = 'DEBUG';
    if (name.includes('stack')) names[ist - 1] = 'STACKFAULT';
    if (name.includes('double')) names[ist - 1] = 'DOUBLEFAULT';
    if (name.includes('machine')) names[ist - 1] = 'MCE';
    if (name.includes('vmm')) names[ist - 1] = 'VC';
  }
  return { names, nmiIndex };
}
