// crash's x86-64 stack walk on stacks and code built in code: a sleeping task's trace sized by ORC entries
// (a stale return address inside a frame is skipped), the same stack sized by counting pushes and stack
// adjustments in the functions' code (crash's gdb fallback), and `bt -f`'s frame words.
import { describe, expect, it } from 'vitest';
import { OrcTable } from '../../src/arch/orc.ts';
import { type BtMachine, type BtTask, FramesizeCache, PT_REGS_DEFAULT, X86_64_EXCEPTION_FUNCTIONS, crashBackTrace, formatFrames, framePointerUnwind, orcUnwind } from '../../src/arch/x86-64-unwind.ts';
import { KernelStacks } from '../../src/kernel/stacks.ts';
import { SymbolTable } from '../../src/symbols/symbol-table.ts';
import { FakeMemory, le32, le64 } from '../symbols/fake-memory.ts';

const TEXT = 0xffffffff81000000n;
const STACK = 0xffffc90000010000n;
const TASK = 0xffff888000100000n;
const THREAD_SP_OFFSET = 0x10;

// Functions, in address order: name, start offset in text, size.
const FUNCS: [string, number, number][] = [
  ['__schedule', 0x000, 0x100],
  ['schedule', 0x100, 0x40],
  ['stale_fn', 0x140, 0x40],
  ['worker_thread', 0x180, 0x80],
  ['kthread', 0x200, 0x80],
  ['ret_from_fork', 0x280, 0x40],
  ['_etext', 0x2c0, 0], // crash resolves nothing above the last symbol
];
const at = (name: string, off: number): bigint => TEXT + BigInt(FUNCS.find((f) => f[0] === name)![1] + off);
const THREAD_RETURN = at('__schedule', 0x80);

/**
 * The stack above thread.sp: the inactive_task_frame (r15 r14 r13 r12 bx bp, ret_addr), then each caller's
 * frame: __schedule's 16 bytes (one a stale text address), schedule's 8, worker_thread's 24, kthread's 0.
 */
function stackWords(): bigint[] {
  return [
    0n, 0n, 0n, 0n, 0n, 0n, // callee-saved registers
    THREAD_RETURN, // ret_addr: __schedule+0x80
    0x1111n, at('stale_fn', 0x10), // __schedule's frame
    at('schedule', 0x20), // return into schedule
    0x2222n, // schedule's frame
    at('worker_thread', 0x30),
    0x3333n, 0x4444n, 0x5555n, // worker_thread's frame
    at('kthread', 0x40),
    at('ret_from_fork', 0x10),
  ];
}

const SP = STACK + 0x3e00n;

function machine(opts: { orc: boolean; code?: Uint8Array }): BtMachine {
  const mem = new FakeMemory();
  const words = stackWords();
  const stack = new Uint8Array(16384);
  stack.set(le64(words), Number(SP - STACK));
  mem.map(STACK, stack);
  mem.map(TASK, le64([0n, 0n, SP]));
  mem.map(TEXT, opts.code ?? new Uint8Array(0x2c0), 0x1000 - 0x2c0);
  const table = new SymbolTable(FUNCS.map(([name, off]) => ({ name, type: 't', address: TEXT + BigInt(off) })));

  let orc: OrcTable | undefined;
  if (opts.orc) {
    // One ORC entry per function, from its start: a CALL frame whose CFA is sp_offset above the stack pointer.
    const ips = [at('__schedule', 0), at('schedule', 0), at('worker_thread', 0), at('kthread', 0), at('ret_from_fork', 0)];
    const spOffsets = [24, 16, 32, 8, 8];
    const ipTable = 0xffffffff82000000n;
    const unwind = 0xffffffff82100000n;
    mem.map(ipTable, le32(ips.map((ip, i) => Number(BigInt.asIntN(32, ip - (ipTable + BigInt(i) * 4n))))));
    const u = new Uint8Array(ips.length * 6);
    spOffsets.forEach((o, i) => {
      new DataView(u.buffer).setInt16(i * 6, o, true);
      u[i * 6 + 4] = 5; // sp_reg ORC_REG_SP, bp_reg undefined
    });
    mem.map(unwind, u);
    // orc_lookup[b]: the last entry at or below each 256-byte block's start; one more than the blocks.
    mem.map(0xffffffff82200000n, le32([0, 1, 3, 4]));
    mem.map(0xffffffff82300000n, le32([4]));
    const sym: Record<string, bigint> = {
      lookup_num_blocks: 0xffffffff82300000n,
      __start_orc_unwind_ip: ipTable,
      __stop_orc_unwind_ip: ipTable + 20n,
      __start_orc_unwind: unwind,
      __stop_orc_unwind: unwind + 30n,
      orc_lookup: 0xffffffff82200000n,
      _stext: TEXT,
      _etext: TEXT + 0x2c0n,
    };
    orc = OrcTable.fromMemory(mem, (n) => sym[n], { hasSignal: false, hasEnd: true }, { start: 0xffffffffc0000000n, end: 0xffffffffff000000n }, () => undefined);
  }

  // THREAD_SIZE from the init stack's extent, as crash takes it without a thread_union type.
  const sizes: Record<string, bigint> = { __start_init_task: 0xffffffff82400000n, __end_init_task: 0xffffffff82404000n };
  const stacks = new KernelStacks({ mem, symbol: (n) => sizes[n], type: () => undefined, symbolize: () => '' });
  return {
    readmem(addr, size, type) {
      try {
        return mem.read(addr as never, size).slice();
      } catch {
        return `invalid kernel virtual address: ${addr.toString(16)}  type: "${type}"`;
      }
    },
    valueSearch(addr) {
      const r = table.resolve(addr);
      return r ? { name: r.symbol.name, offset: r.offset, type: r.symbol.type } : undefined;
    },
    symbolValue: (name) => table.find(name)?.address,
    isKernelText: (addr) => addr >= TEXT && addr < TEXT + 0x2c0n,
    moduleOf: () => undefined,
    isKvaddr: (a) => a >= 0xffff800000000000n,
    isUvaddr: (a) => a < 0x800000000000n,
    isVmallocAddr: () => false,
    kvtopOk: () => false,
    modules: { start: 0xffffffffc0000000n, end: 0xffffffffff000000n },
    stacks,
    orc,
    orcTypeCall: 0,
    framePointer: false,
    ptRegs: PT_REGS_DEFAULT,
    inactiveFrame: { bp: 40, retAddr: 48 },
    threadSpOffset: THREAD_SP_OFFSET,
    threadInfoSize: 24,
    threadReturn: THREAD_RETURN,
    initBegin: 0n,
    initEnd: 0n,
    irqEframeLink: -32,
    exceptionFunctions: X86_64_EXCEPTION_FUNCTIONS,
    nestedNmi: true,
    hasAsmCommonInterrupt: true,
    hasUserRegs: true,
    cache: new FramesizeCache(),
    inUserStack: () => false,
    stackOwner: () => undefined,
  };
}

const task: BtTask = { task: TASK, pid: 7, cpu: 0, active: false, panic: false, kernelThread: true, stackBase: STACK };
const dump = { kind: 'compressed' as const, qemu: false, prstatus: () => undefined, prstatusCount: 0 };
const slot = (i: number): string => (SP + BigInt(i * 8)).toString(16);

const EXPECTED = [
  ` #0 [${slot(6)}] __schedule at ${THREAD_RETURN.toString(16)}`,
  ` #1 [${slot(9)}] schedule at ${at('schedule', 0x20).toString(16)}`,
  ` #2 [${slot(11)}] worker_thread at ${at('worker_thread', 0x30).toString(16)}`,
  ` #3 [${slot(15)}] kthread at ${at('kthread', 0x40).toString(16)}`,
  ` #4 [${slot(16)}] ret_from_fork at ${at('ret_from_fork', 0x10).toString(16)}`,
  '',
].join('\n');

describe('crashBackTrace on a sleeping task', () => {
  it('sizes frames by ORC and skips the stale address inside __schedule', () => {
    const r = crashBackTrace(machine({ orc: true }), dump, task);
    expect(r).toEqual({ text: EXPECTED, fatal: false });
  });

  it('without frame sizes (-o) shows every text address', () => {
    const r = crashBackTrace(machine({ orc: true }), dump, task, { old: true });
    expect(r.text).toContain(`[${slot(8)}] stale_fn at`);
  });

  it('prints the words between frames with -f', () => {
    const r = crashBackTrace(machine({ orc: true }), dump, task, { full: true });
    expect(r.text.split('\n').slice(1, 4)).toEqual([`    ${slot(7)}: 0000000000001111 ${at('stale_fn', 0x10).toString(16)} `, `    ${slot(9)}: ${at('schedule', 0x20).toString(16)} `, ` #1 [${slot(9)}] schedule at ${at('schedule', 0x20).toString(16)}`]);
  });

  it('sizes the same frames from the code when there is no ORC', () => {
    // Each function's code up to its return address: worker_thread pushes one register and subtracts 16;
    // kthread adjusts nothing. Calls: __schedule → stale_fn (standing in for __switch_to_asm), schedule →
    // __schedule, worker_thread → schedule.
    const code = new Uint8Array(0x2c0).fill(0x90);
    const call = (from: string, off: number, to: bigint): void => {
      const site = at(from, off);
      code.set([0xe8, ...le32([Number(BigInt.asIntN(32, to - (site + 5n)))])], Number(site - TEXT));
    };
    code.set([0x55, 0x48, 0x83, 0xec, 0x10], Number(at('worker_thread', 0) - TEXT));
    call('__schedule', 0x7b, at('stale_fn', 0));
    call('schedule', 0x1b, at('__schedule', 0));
    call('worker_thread', 0x2b, at('schedule', 0));
    const r = crashBackTrace(machine({ orc: false, code }), dump, task);
    // Without ORC, crash makes __schedule's level by hand at thread.sp, then finds schedule's return address
    // by what its call calls, and from there checks each caller calls the function above it.
    expect(r.text).toBe(
      [
        ` #0 [${slot(0)}] __schedule at ${THREAD_RETURN.toString(16)}`,
        ` #1 [${slot(9)}] schedule at ${at('schedule', 0x20).toString(16)}`,
        ` #2 [${slot(11)}] worker_thread at ${at('worker_thread', 0x30).toString(16)}`,
        ` #3 [${slot(15)}] kthread at ${at('kthread', 0x40).toString(16)}`,
        ` #4 [${slot(16)}] ret_from_fork at ${at('ret_from_fork', 0x10).toString(16)}`,
        '',
      ].join('\n'),
    );
  });
});

describe('real unwinders', () => {
  it('follows ORC from where the task resumes, as the kernel does', () => {
    // At ret_addr the task is back in __schedule with the stack just above the return address.
    const m = machine({ orc: true });
    const r = orcUnwind(m, { rip: THREAD_RETURN, rsp: SP + 7n * 8n, rbp: 0n });
    expect(r.error).toBeUndefined();
    expect(r.frames.map((f) => [f.sp, f.pc])).toEqual([
      [SP + 56n, THREAD_RETURN],
      [SP + 72n, at('schedule', 0x20)],
      [SP + 88n, at('worker_thread', 0x30)],
      [SP + 120n, at('kthread', 0x40)],
      [SP + 128n, at('ret_from_fork', 0x10)],
    ]);
    expect(formatFrames(m, r).split('\n')[1]).toBe(` #1 [${slot(9)}] schedule at ${at('schedule', 0x20).toString(16)}`);
  });

  it('follows the frame-pointer chain', () => {
    const mem = new FakeMemory();
    const base = 0xffffc90000020000n;
    // Frames: bp0 -> [bp1, ret into worker_thread]; bp1 -> [0, ret into kthread].
    mem.map(base, le64([0n, base + 0x20n, at('worker_thread', 0x30), 0n, 0n, at('kthread', 0x40)]));
    const m = { ...machine({ orc: false }), readmem: (a: bigint, n: number) => mem.read(a as never, n).slice() };
    const r = framePointerUnwind(m, { rip: at('schedule', 0x20), rsp: base, rbp: base + 8n });
    expect(r.frames.map((f) => f.pc)).toEqual([at('schedule', 0x20), at('worker_thread', 0x30), at('kthread', 0x40)]);
  });
});
