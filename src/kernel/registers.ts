// Where a backtrace starts: the registers a dump saved per CPU, and where a sleeping task stopped.
//   - Per-CPU registers: the NT_PRSTATUS notes, one per CPU in note order. kdump writes them from
//     crash_save_cpu() as each CPU stops; QEMU writes its vCPU state at the moment it dumped (after pvpanic
//     paused the guest, say) — which is why crash searches the stacks for the panic frame instead of
//     trusting them (arch/x86-64-unwind.ts, x86_64_get_dumpfile_stack_frame).
//   - A task that is not running: thread.sp points at its struct inactive_task_frame (Linux 4.9+): the
//     callee-saved registers __switch_to_asm pushed, then the return address into __schedule().
// Which task panicked is the task table's business (kernel/tasks.ts panicTask(), crash's get_panic_context).
import { kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import type { CpuRegisters, DumpNotes } from '../dump/physical-memory.ts';
import { CrashlensError } from '../errors.ts';
import { type Type, memberOffset, sizeOf } from '../types/type.ts';

/** The registers NT_PRSTATUS saved for `cpu` (crash's nt_prstatus_percpu[cpu]), if the dump has them. */
export function prstatusRegisters(notes: Pick<DumpNotes, 'prstatus'>, cpu: number): CpuRegisters | undefined {
  return notes.prstatus[cpu]?.regs;
}

/** Offsets of thread.sp within task_struct and of the inactive_task_frame members that matter. */
export interface FrameLayout {
  threadSp: number;
  bp?: number;
  retAddr?: number;
  /** sizeof(struct inactive_task_frame) */
  size?: number;
}

export function frameLayout(type: (spec: string) => Type | undefined): FrameLayout | undefined {
  const task = type('struct task_struct');
  const threadSp = task ? (memberOffset(task, 'thread.sp')?.offset ?? memberOffset(task, 'thread.rsp')?.offset) : undefined;
  if (threadSp === undefined) return undefined;
  const f = type('struct inactive_task_frame');
  if (!f) return { threadSp };
  return { threadSp, bp: memberOffset(f, 'bp')?.offset, retAddr: memberOffset(f, 'ret_addr')?.offset, size: sizeOf(f) };
}

/** A sleeping task's saved context: thread.sp and what the inactive_task_frame there holds. */
export interface InactiveFrame {
  /** task->thread.sp */
  sp: bigint;
  /** inactive_task_frame.bp, when the kernel has the struct. */
  bp?: bigint;
  /** inactive_task_frame.ret_addr: where __schedule() resumes. */
  retAddr?: bigint;
}

/** Reads where `task` stopped; throws a CrashlensError if thread.sp itself is unreadable. */
export function inactiveFrame(mem: KernelMemory, layout: FrameLayout, task: bigint): InactiveFrame {
  const sp = mem.readU64(kv(task + BigInt(layout.threadSp)));
  const read = (off: number | undefined): bigint | undefined => {
    if (off === undefined) return undefined;
    try {
      return mem.readU64(kv(sp + BigInt(off)));
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  };
  return { sp, bp: read(layout.bp), retAddr: read(layout.retAddr) };
}
