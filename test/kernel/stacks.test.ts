// The stacks crash's backtrace runs on, as crash 8.0.6 finds them: its `help -m` stkinfo for the fixture
// dumps (IRQ stack bases, exception stack names, sizes and bases per CPU), and the per-CPU counting,
// IDT naming and IST sizing on a machine built in code.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { Session } from '../../src/engine/session.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { KernelStacks, kernelStacksOf } from '../../src/kernel/stacks.ts';
import { frameLayout, inactiveFrame, prstatusRegisters } from '../../src/kernel/registers.ts';
import { tasksOf } from '../../src/kernel/tasks.ts';
import type { CompositeType, Type } from '../../src/types/type.ts';
import { fixture, tinyVmlinux } from '../helpers/fixtures.ts';
import { FakeMemory, le32, le64 } from '../symbols/fake-memory.ts';

beforeAll(() => {
  loadWasmNode();
});

function stacksOf(files: string[]): KernelStacks {
  const sources = files.map((f) => NodeFileSource.open(f));
  try {
    return kernelStacksOf(Session.open(sources));
  } finally {
    for (const s of sources) s.close();
  }
}

describe("crash's help -m stkinfo", () => {
  it('k-kdump (Debian 6.1, from the dump alone)', () => {
    const k = stacksOf([fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump').path]);
    expect(k.cpus).toBe(2);
    expect(k.stackSize).toBe(16384);
    expect(k.irqSize).toBe(16384);
    expect(k.irqBase).toEqual([0xffffd18dc0000000n, 0xffffd18dc00cd000n]);
    expect(k.estackNames).toEqual(['DOUBLEFAULT', 'NMI', 'DEBUG', '(unknown)', 'VC', '(unknown)', '(unknown)']);
    expect(k.estackSize).toEqual([8192, 8192, 8192, 0, 8192, 0, 0]);
    expect(k.nmiIndex).toBe(1);
    expect(k.estackBase).toEqual([
      [0xfffffe0000009000n, 0xfffffe000000c000n, 0xfffffe000000f000n, 0xfffffe0000014000n, 0xfffffe0000015000n, 0n, 0n],
      [0xfffffe0000044000n, 0xfffffe0000047000n, 0xfffffe000004a000n, 0xfffffe000004f000n, 0xfffffe0000050000n, 0n, 0n],
    ]);
    // 8.0.6 takes every stack as readable except an unmapped VC stack (SEV-ES is off here).
    expect(k.estackAvailable.map((r) => r.slice(0, 5))).toEqual([
      [true, true, true, true, false],
      [true, true, true, true, false],
    ]);
    expect(k.inExceptionStack(0xfffffe000000dea8n)).toEqual({ base: 0xfffffe000000c000n, index: 1 });
    expect(k.inIrqStack(0xffffd18dc00cf000n)).toBe(0xffffd18dc00cd000n);
    expect(k.inAlternateStack(1, 0xfffffe0000048000n)).toBe(true);
    expect(k.inAlternateStack(0, 0xfffffe0000048000n)).toBe(false);
    expect(k.kptiEntryStack).toBeUndefined();
  });

  it('t-tiny-la57 (custom 6.1, 5-level paging, with its vmlinux)', () => {
    const k = stacksOf([fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path, tinyVmlinux()]);
    expect(k.cpus).toBe(2);
    expect(k.irqBase).toEqual([0xff67d66b80000000n, 0xff67d66b800a9000n]);
    expect(k.estackNames).toEqual(['DOUBLEFAULT', 'NMI', 'DEBUG', '(unknown)', '(unknown)', '(unknown)', '(unknown)']);
    expect(k.estackSize).toEqual([8192, 8192, 8192, 0, 0, 0, 0]);
    expect(k.estackBase[0]).toEqual([0xfffffe0000009000n, 0xfffffe000000c000n, 0xfffffe000000f000n, 0xfffffe0000014000n, 0xfffffe0000017000n, 0n, 0n]);
    expect(k.estackBase[1]).toEqual([0xfffffe0000044000n, 0xfffffe0000047000n, 0xfffffe000004a000n, 0xfffffe000004f000n, 0xfffffe0000052000n, 0n, 0n]);
  });
});

const u64: Type = { kind: 'int', name: 'long unsigned int', size: 8, signed: false, isChar: false, bits: 64, bitOffset: 0 };
const arr = (n: number): Type => ({ kind: 'array', element: { kind: 'int', name: 'char', size: 1, signed: true, isChar: true, bits: 8, bitOffset: 0 }, length: n, size: n }) as Type;
function struct(name: string, size: number, members: [string, number, Type][]): CompositeType {
  return { kind: 'struct', name, size, complete: true, tags: [], members: members.map(([n, off, type]) => ({ name: n, type, bitOffset: off * 8, bitSize: 0, tags: [] })) };
}

describe('where tasks stopped', () => {
  it('a sleeping task resumes in __schedule; the panic CPU saved its registers on its own stack', () => {
    const src = NodeFileSource.open(fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump').path);
    try {
      const s = Session.open([src]);
      const layout = frameLayout((t) => s.program.tryType(t))!;
      expect(layout.retAddr).toBe(48);
      const tasks = tasksOf(s);
      const kthreadd = tasks.byPid(2)[0];
      const f = inactiveFrame(s.kernel, layout, kthreadd.task);
      // crash's bt 2 starts "#0 [ffffd18dc001be50] __schedule at ffffffffa1008ced": ret_addr's slot and value.
      expect(f.sp + BigInt(layout.retAddr!)).toBe(0xffffd18dc001be50n);
      expect(f.retAddr).toBe(0xffffffffa1008cedn);
      const regs = prstatusRegisters(s.mem.notes, 1)!;
      const stack = kernelStacksOf(s);
      const base = tasks.stackBase(tasks.byPid(1)[0]);
      expect(regs.rsp >= base && regs.rsp < base + BigInt(stack.stackSize)).toBe(true);
    } finally {
      src.close();
    }
  });
});

describe('KernelStacks built in code', () => {
  // Two CPUs with per-CPU areas at 0x100000 and 0x200000 above the per-CPU symbols' offsets; a third
  // offset equal to __per_cpu_load marks a CPU that never came up.
  const PCPU = [0xffff888000100000n, 0xffff888000200000n];
  const LOAD = 0xffffffff82000000n;
  const sym: Record<string, bigint> = {
    __per_cpu_offset: 0xffffffff81f00000n,
    __per_cpu_load: LOAD,
    cpu_number: 0x100n,
    hardirq_stack_ptr: 0x200n,
    cpu_tss_rw: 0x1000n,
    idt_table: 0xffffffff81e00000n,
    asm_exc_nmi: 0xffffffff81001000n,
    asm_exc_double_fault: 0xffffffff81002000n,
    __start_init_task: 0xffffffff82100000n,
    __end_init_task: 0xffffffff82104000n,
  };
  const mem = new FakeMemory();
  mem.map(sym.__per_cpu_offset, le64([...PCPU, LOAD, LOAD]));
  PCPU.forEach((base, cpu) => {
    mem.map(base + 0x100n, le32([cpu]));
    // hardirq_stack_ptr: top of the IRQ stack minus 8.
    mem.map(base + 0x200n, le64([0xffffc90000000000n + BigInt(cpu) * 0x10000n + 0x4000n - 8n]));
    // cpu_tss_rw.x86_tss.ist[]: tops of the DF and NMI stacks.
    const top = 0xfffffe0000000000n + BigInt(cpu) * 0x40000n;
    mem.map(base + 0x1000n + 0x24n, le64([top + 0xb000n, top + 0xe000n, 0n, 0n, 0n, 0n, 0n]));
  });
  // IDT: vector 2 (NMI) on IST 2, vector 8 (double fault) on IST 1.
  const idt = new Uint8Array(16 * 256);
  const gate = (vec: number, handler: bigint, ist: number): void => {
    const v = new DataView(idt.buffer, vec * 16, 16);
    v.setUint16(0, Number(handler & 0xffffn), true);
    v.setUint16(4, ist, true);
    v.setUint16(6, Number((handler >> 16n) & 0xffffn), true);
    v.setUint32(8, Number(handler >> 32n), true);
  };
  gate(2, sym.asm_exc_nmi, 2);
  gate(8, sym.asm_exc_double_fault, 1);
  mem.map(sym.idt_table, idt);
  const names = new Map([...Object.entries(sym)].map(([k, v]) => [v, k]));
  const types: Record<string, Type> = {
    'struct tss_struct': struct('tss_struct', 0x2000, [['x86_tss', 0, struct('x86_hw_tss', 104, [])]]),
    'struct x86_hw_tss': struct('x86_hw_tss', 104, [['ist', 0x24, u64]]),
    'struct irq_stack': struct('irq_stack', 16384, [['stack', 0, arr(16384)]]),
    'struct cea_exception_stacks': struct('cea_exception_stacks', 0x10000, [
      ['DF_stack', 0x1000, arr(8192)],
      ['NMI_stack', 0x4000, arr(8192)],
    ]),
  };
  const k = new KernelStacks({ mem, symbol: (n) => sym[n], type: (t) => types[t], symbolize: (a) => names.get(a) ?? '' });

  it('counts the CPUs whose per-CPU cpu_number says so', () => {
    expect(k.cpus).toBe(2);
    expect(k.perCpuOffset).toEqual(PCPU);
    expect(k.stackSize).toBe(16384);
  });

  it('finds each IRQ stack from hardirq_stack_ptr', () => {
    expect(k.irqBase).toEqual([0xffffc90000000000n, 0xffffc90000010000n]);
  });

  it('names IST stacks after their IDT handlers and sizes them from cea_exception_stacks', () => {
    expect(k.estackNames.slice(0, 3)).toEqual(['DOUBLEFAULT', 'NMI', '(unknown)']);
    expect(k.nmiIndex).toBe(1);
    expect(k.estackSize.slice(0, 3)).toEqual([8192, 8192, 0]);
    expect(k.estackBase[1].slice(0, 2)).toEqual([0xfffffe0000049000n, 0xfffffe000004c000n]);
  });
});
