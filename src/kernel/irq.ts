// Interrupt descriptors as crash's `irq` reads them (kernel.c get_irq_desc_addr and the generic irq
// display): each IRQ's struct irq_desc, its chain of struct irqaction (name, next), its chip
// (irq_data.chip) and per-CPU counts (kstat_irqs), its affinity mask. Also the x86-64 IDT and the softirq
// vector table.
//
// Where an IRQ's descriptor is, found by feature:
//   - a static irq_desc[NR_IRQS] array (no CONFIG_SPARSE_IRQ);
//   - irq_desc_tree, a radix tree of descriptors by IRQ number (Linux commit 1f5a5b87f78f "genirq: Implement
//     a sane sparse_irq allocator", v2.6.37), an xarray since v4.20;
//   - sparse_irqs, a maple tree (Linux commit 721255b9826b "genirq: Use a maple tree for interrupt
//     descriptor management", v6.5), whose entries are found by irq_data.irq.
// The count of IRQs is the array's length, else the kernel's nr_irqs.
// The affinity mask: irq_common_data.affinity (Linux commit 9df872faa7e1 "genirq: Move field 'affinity'
// from irq_data into irq_common_data", v4.3), else irq_data.affinity, else irq_desc.affinity; a pointer
// with CONFIG_CPUMASK_OFFSTACK, an embedded array otherwise (told by the member's type).
import { kv } from '../addr.ts';
import { CommandError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import { type Type, findMember, memberOffset, sizeOf, strip } from '../types/type.ts';
import { mapleEntries, mapleLayout } from './maple-tree.ts';
import { xarrayEntries, xarrayLayout } from './xarray.ts';

function off(t: Type | undefined, path: string): number | undefined {
  return t ? memberOffset(t, path)?.offset : undefined;
}

export class IrqError extends CommandError {
  override name = 'IrqError';
}

export class Irqs {
  readonly descType: Type;
  private descs: Map<number, bigint> | undefined;
  private nr: number | undefined;

  constructor(readonly prog: Program) {
    this.descType = prog.type('struct irq_desc');
  }

  private must(t: Type | undefined, path: string, what: string): number {
    const o = off(t, path);
    if (o === undefined) throw new IrqError(`${what} has no member ${path}`);
    return o;
  }

  /** Whether the kernel has struct irq_data (2.6.37+), which crash's table display needs. */
  get hasIrqData(): boolean {
    return this.prog.tryType('struct irq_data') !== undefined && findMember(this.descType, 'irq_data') !== undefined;
  }

  /** crash's machdep->nr_irqs: the irq_desc[] length, else nr_irqs, else NR_IRQS (224). */
  nrIrqs(): number {
    if (this.nr !== undefined) return this.nr;
    const p = this.prog;
    let n = 0;
    if (p.symbols.address('irq_desc') !== undefined) {
      const t = p.types.variableType?.('irq_desc');
      const s = t && strip(t);
      if (s && s.kind === 'array') n = s.length;
    } else if (p.symbols.address('nr_irqs') !== undefined) n = p.memory.readU32(p.symbolAddress('nr_irqs'));
    else n = 224;
    return (this.nr = n);
  }

  /** The irq_desc of an IRQ, or 0 when it has none. */
  desc(irq: number): bigint {
    const p = this.prog;
    const arr = p.symbols.address('irq_desc');
    if (arr !== undefined) return arr + BigInt(irq) * BigInt(sizeOf(this.descType) ?? 0);
    if (!this.descs) this.descs = this.collect();
    return this.descs.get(irq) ?? 0n;
  }

  /** Every descriptor of a sparse kernel by IRQ number. */
  private collect(): Map<number, bigint> {
    const p = this.prog;
    const out = new Map<number, bigint>();
    const maple = p.symbols.address('sparse_irqs');
    if (maple !== undefined) {
      const layout = mapleLayout(p);
      if (!layout) throw new IrqError('sparse_irqs: no maple tree types');
      const irqOff = this.must(this.descType, 'irq_data.irq', 'irq_desc');
      for (const e of mapleEntries(p.memory, layout, maple).entries) out.set(p.memory.readU32(kv(e.value + BigInt(irqOff))), e.value);
      return out;
    }
    const tree = p.symbols.address('irq_desc_tree');
    if (tree !== undefined) {
      const layout = xarrayLayout(p);
      const radix = p.tryType('struct radix_tree_root');
      if (!layout || (radix && !findMember(radix, 'xa_head'))) throw new IrqError('irq_desc_tree: only xarray-based radix trees (Linux 4.20 and later) are supported');
      for (const e of xarrayEntries(p.memory, layout, tree)) if (e.index < 1n << 31n) out.set(Number(e.index), e.value);
      return out;
    }
    if (p.symbols.address('irq_desc_ptrs') !== undefined) {
      const n = this.nrIrqs();
      const t = p.types.variableType?.('irq_desc_ptrs');
      const base = t && strip(t).kind === 'pointer' ? p.memory.readU64(p.symbolAddress('irq_desc_ptrs')) : p.symbolAddress('irq_desc_ptrs');
      for (let i = 0; i < n; i++) {
        const d = p.memory.readU64(kv(base + BigInt(i) * 8n));
        if (d) out.set(i, d);
      }
      return out;
    }
    throw new IrqError('neither irq_desc, _irq_desc, irq_desc_ptrs, irq_desc_tree or sparse_irqs symbols exist');
  }

  /** irq_desc.action: the first irqaction, 0 for none. */
  action(desc: bigint): bigint {
    return this.prog.memory.readU64(kv(desc + BigInt(this.must(this.descType, 'action', 'irq_desc'))));
  }

  /** The irqaction chain from `first` (bounded): each action and its name pointer. */
  actions(first: bigint): { action: bigint; name: bigint }[] {
    const ia = this.prog.type('struct irqaction');
    const nameOff = this.must(ia, 'name', 'irqaction');
    const nextOff = this.must(ia, 'next', 'irqaction');
    const out: { action: bigint; name: bigint }[] = [];
    for (let a = first; a !== 0n && out.length < 4096; a = this.prog.memory.readU64(kv(a + BigInt(nextOff)))) {
      out.push({ action: a, name: this.prog.memory.readU64(kv(a + BigInt(nameOff))) });
    }
    return out;
  }

  /** A C string crash's read_string() would get, or undefined when it cannot be read (or the pointer is 0). */
  string(addr: bigint): string | undefined {
    if (addr === 0n) return undefined;
    try {
      return this.prog.memory.readCString(kv(addr), 1499);
    } catch {
      return undefined;
    }
  }

  /** The chip (irq_data.chip, or the old irq_desc.chip / .handler), 0 when none. */
  chip(desc: bigint): bigint {
    const o = off(this.descType, 'irq_data.chip') ?? off(this.descType, 'chip') ?? off(this.descType, 'handler');
    if (o === undefined) throw new IrqError('irq_desc has no chip');
    return this.prog.memory.readU64(kv(desc + BigInt(o)));
  }

  /** The chip's name (irq_chip.name, or hw_interrupt_type.typename). */
  chipName(chip: bigint): string | undefined {
    const t = this.prog.tryType('struct irq_chip');
    const o = off(t, 'name') ?? off(this.prog.tryType('struct hw_interrupt_type'), 'typename');
    if (o === undefined || chip === 0n) return undefined;
    return this.string(this.prog.memory.readU64(kv(chip + BigInt(o))));
  }

  /** irq_desc.name (the flow handler's name: "edge", "fasteoi"...), or undefined. */
  descName(desc: bigint): string | undefined {
    const o = off(this.descType, 'name');
    return o === undefined ? undefined : this.string(this.prog.memory.readU64(kv(desc + BigInt(o))));
  }

  /** This CPU's count of the IRQ: *(kstat_irqs + __per_cpu_offset[cpu]). */
  count(desc: bigint, cpu: number): number {
    const o = this.must(this.descType, 'kstat_irqs', 'irq_desc');
    const ptr = this.prog.memory.readU64(kv(desc + BigInt(o)));
    const offsets = this.prog.symbolAddress('__per_cpu_offset');
    const pcpu = this.prog.memory.readU64(kv(offsets + BigInt(cpu) * 8n));
    return this.prog.memory.readU32(kv(ptr + pcpu));
  }

  /** The IRQ's affinity mask as `len` bytes. */
  affinity(desc: bigint, len: number): Uint8Array {
    const t = this.descType;
    const path = findMember(t, 'irq_common_data') && off(t, 'irq_common_data.affinity') !== undefined ? 'irq_common_data.affinity' : off(t, 'irq_data.affinity') !== undefined ? 'irq_data.affinity' : 'affinity';
    const m = memberOffset(t, path);
    if (!m) throw new CommandError('-a option not supported or applicable on this architecture or kernel');
    let addr = desc + BigInt(m.offset);
    if (strip(m.type).kind === 'pointer') addr = this.prog.memory.readU64(kv(addr));
    return this.prog.memory.read(kv(addr), len);
  }

  /** Whether an affinity mask exists anywhere crash looks. */
  get hasAffinity(): boolean {
    const t = this.descType;
    return off(t, 'irq_common_data.affinity') !== undefined || off(t, 'irq_data.affinity') !== undefined || off(t, 'affinity') !== undefined;
  }

  /** sizeof(cpumask_t), when the kernel's types have it. */
  cpumaskSize(): number | undefined {
    const t = this.prog.tryType('cpumask_t') ?? this.prog.tryType('struct cpumask');
    return t ? sizeOf(t) : undefined;
  }

  /** The 256 handler addresses of the x86-64 IDT (idt_table's gate descriptors). */
  idt(): bigint[] {
    const p = this.prog;
    const gate = p.tryType('gate_desc') ?? p.tryType('struct gate_struct');
    if (!gate) throw new CommandError('-d option not supported or applicable on this architecture or kernel');
    const size = sizeOf(gate) ?? 16;
    const b = p.memory.read(p.symbolAddress('idt_table'), size * 256);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out: bigint[] = [];
    for (let i = 0; i < 256; i++) {
      const lo = v.getBigUint64(i * size, true);
      const hi = v.getBigUint64(i * size + 8, true);
      out.push(((hi << 32n) & 0xffffffff00000000n) | (lo & 0xffffn) | ((lo >> 32n) & 0xffff0000n));
    }
    return out;
  }

  /**
   * softirq_vec[]: each vector's action (0 when unset). Its length is the array's when the global is typed;
   * BTF does not type globals (and NR_SOFTIRQS is an anonymous enumerator), so then `bytes`, the room up to
   * the next symbol, bounds it: entries past NR_SOFTIRQS there are padding, zero, and shown by no one.
   */
  softirqVec(bytes: () => number): bigint[] {
    const p = this.prog;
    const addr = p.symbolAddress('softirq_vec');
    const size = sizeOf(p.type('struct softirq_action')) ?? 8;
    let len: number;
    const t = p.types.variableType?.('softirq_vec');
    const s = t && strip(t);
    if (s && s.kind === 'array') len = s.length;
    else len = Math.min(Math.floor(bytes() / size), 32);
    if (len <= 0) throw new IrqError('cannot determine softirq_vec array length');
    const b = p.memory.read(addr, size * len);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return [...Array(len).keys()].map((i) => v.getBigUint64(i * size, true));
  }
}
