// Kernel timers as crash's `timer` reads them (kernel.c): the timer wheel of each CPU (per-CPU timer_bases,
// each base's vectors[] of hlist buckets of struct timer_list) and, for `timer -r`, the hrtimer clock bases
// of each CPU (per-CPU hrtimer_bases, each clock base a timerqueue: an rb-tree cached at its leftmost
// node). Also crash's value_to_symstr() and is_kernel_text(), which its timer, irq and dev output use.
//
// Kernel differences, found by feature:
//   - the wheel: per-CPU timer_bases[NR_BASES] of struct timer_base with vectors[] (Linux commit
//     500462a9de65 "timers: Switch to a non-cascading wheel", v4.8); NR_BASES is 2 (BASE_STD, BASE_DEF) with
//     CONFIG_NO_HZ_COMMON, else 1: read from the variable's array type, or as crash decides it, by
//     sysctl_timer_migration existing. Older tvec_bases wheels are not read;
//   - hrtimer expiry: hrtimer.node.expires of the timerqueue node (Linux commit 998adc3dda61 "hrtimers:
//     Convert to use timerqueue", v2.6.38) and _softexpires; the first timer via timerqueue_head.next, or
//     rb_root_cached.rb_leftmost once the timerqueue became cached (Linux commit 511885d7061e
//     "lib/timerqueue: Rely on rbtree semantics for next timer", v5.0);
//   - clock bases: HRTIMER_MAX_CLOCK_BASES entries of hrtimer_cpu_base.clock_base[], each named by its
//     get_time function (removed in Linux commit 009eb5da29a9, v6.18, where the enum names it).
import { type KVAddr, kv } from '../addr.ts';
import { CommandError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import type { Resolved, SymbolEntry } from '../symbols/symbol-table.ts';
import { type Type, findMember, memberOffset, strip } from '../types/type.ts';

/** What the symbol helpers need of a symbol table. */
export interface SymbolSource {
  resolve(addr: bigint): Resolved | undefined;
  find(name: string): SymbolEntry | undefined;
}

/** crash's value_to_symstr() with gdb's output radix 10: "name", "name+123", or "" when nothing holds it. */
export function symstr(symbols: SymbolSource, addr: bigint): string {
  const r = symbols.resolve(addr);
  if (!r) return '';
  return r.offset === 0n ? r.symbol.name : `${r.symbol.name}+${r.offset}`;
}

/**
 * crash's is_kernel_text(): inside the kernel's text (from _stext to _etext, or a text symbol), or a
 * module's text symbol.
 */
export function isKernelText(symbols: SymbolSource, addr: bigint): boolean {
  const start = symbols.find('_stext')?.address ?? symbols.find('_text')?.address;
  const end = symbols.find('_etext')?.address;
  if (start !== undefined && end !== undefined && addr >= start && addr < end) return true;
  const r = symbols.resolve(addr);
  return r !== undefined && (r.symbol.type === 'T' || r.symbol.type === 't');
}

export class TimerError extends CommandError {
  override name = 'TimerError';
}

export interface WheelTimer {
  /** The struct timer_list. */
  address: bigint;
  expires: bigint;
  function: bigint;
  /** expires - jiffies, signed. */
  tte: bigint;
}

export interface HrTimer {
  address: bigint;
  softexpires: bigint | undefined;
  expires: bigint;
  /** Whether the hrtimer itself could be read (crash prints "(destroyed timer)" otherwise). */
  readable: boolean;
  function: bigint | undefined;
}

function off(t: Type | undefined, path: string): number | undefined {
  return t ? memberOffset(t, path)?.offset : undefined;
}

export class Timers {
  constructor(readonly prog: Program) {}

  private must(t: Type | undefined, path: string, what: string): number {
    const o = off(t, path);
    if (o === undefined) throw new TimerError(`${what} has no member ${path}`);
    return o;
  }

  /** jiffies, as the unsigned long crash reads. */
  jiffies(): bigint {
    return this.prog.memory.readU64(this.prog.symbolAddress('jiffies'));
  }

  /** Whether this kernel's wheel is per-CPU timer_bases (v4.8+). */
  get hasTimerBases(): boolean {
    return this.prog.symbols.address('timer_bases') !== undefined && this.prog.tryType('struct timer_base') !== undefined;
  }

  /** NR_BASES: the length of the per-CPU timer_bases array, else crash's rule. */
  nrBases(): number {
    try {
      const t = strip(this.prog.perCpu('timer_bases', 0).type);
      if (t.kind === 'array' && t.length > 0) return t.length;
    } catch {
      /* untyped: fall back to crash's test */
    }
    return this.prog.symbols.address('sysctl_timer_migration') !== undefined ? 2 : 1;
  }

  /** The address of CPU `cpu`'s timer_bases[base]. */
  timerBase(cpu: number, base: number): KVAddr {
    const tb = this.prog.type('struct timer_base');
    const size = BigInt(tb.kind === 'struct' && tb.size ? tb.size : 0);
    const first = this.prog.perCpu('timer_bases', cpu).address!;
    return kv(first + BigInt(base) * size);
  }

  /**
   * The timers of one timer_base, in bucket order (crash sorts them by expiry after). A bucket whose chain
   * cannot be read is skipped, as crash ignores faulty chains.
   */
  wheelTimers(base: bigint, jiffies: bigint): WheelTimer[] {
    const tb = this.prog.type('struct timer_base');
    const v = findMember(tb, 'vectors');
    const vt = v && strip(v.member.type);
    if (!v || !vt || vt.kind !== 'array' || vt.length === 0) throw new TimerError('cannot determine timer_base.vectors[] array size');
    const tl = this.prog.type('struct timer_list');
    const entry = this.must(tl, 'entry', 'timer_list');
    const expiresOff = this.must(tl, 'expires', 'timer_list');
    const fnOff = this.must(tl, 'function', 'timer_list');
    const mem = this.prog.memory;
    const vectors = mem.read(kv(base + BigInt(v.bitOffset / 8)), vt.length * 8);
    const dv = new DataView(vectors.buffer, vectors.byteOffset, vectors.byteLength);
    const out: WheelTimer[] = [];
    for (let i = 0; i < vt.length; i++) {
      const first = dv.getBigUint64(i * 8, true);
      if (first === 0n) continue;
      const chain: bigint[] = [];
      const seen = new Set<bigint>();
      let ok = true;
      for (let node = first; node !== 0n; ) {
        if (seen.has(node) || seen.size > 1 << 20) {
          ok = false;
          break;
        }
        seen.add(node);
        chain.push(node - BigInt(entry));
        try {
          node = mem.readU64(kv(node));
        } catch {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      for (const t of chain) {
        let expires: bigint;
        let fn: bigint;
        try {
          expires = mem.readU64(kv(t + BigInt(expiresOff)));
          fn = mem.readU64(kv(t + BigInt(fnOff)));
        } catch {
          continue;
        }
        out.push({ address: t, expires, function: fn, tte: BigInt.asIntN(64, expires - jiffies) });
      }
    }
    return out;
  }

  // ---- hrtimers -------------------------------------------------------------------------------------

  /** How many clock bases crash shows per CPU: the clock_base[] length (2 before ktime_get_boottime). */
  clockBases(): number {
    const cb = this.prog.tryType('struct hrtimer_clock_base');
    const cpuBase = this.prog.tryType('struct hrtimer_cpu_base');
    if (!cb || !cpuBase) throw new CommandError('-r option not supported or applicable on this architecture or kernel');
    if (this.prog.symbols.address('ktime_get_boottime') === undefined) return 2;
    const m = findMember(cpuBase, 'clock_base');
    const t = m && strip(m.member.type);
    return t && t.kind === 'array' ? t.length : 2;
  }

  /** CPU `cpu`'s struct hrtimer_cpu_base. */
  cpuBase(cpu: number): KVAddr {
    return this.prog.perCpu('hrtimer_bases', cpu).address!;
  }

  /** clock_base[num] of a hrtimer_cpu_base. */
  clockBase(cpuBase: bigint, num: number): KVAddr {
    const cpuT = this.prog.type('struct hrtimer_cpu_base');
    const cb = this.prog.type('struct hrtimer_clock_base');
    const size = BigInt(cb.kind === 'struct' && cb.size ? cb.size : 0);
    return kv(cpuBase + BigInt(this.must(cpuT, 'clock_base', 'hrtimer_cpu_base')) + BigInt(num) * size);
  }

  /** A clock base's get_time function pointer, or undefined when the kernel names bases by index. */
  getTime(base: bigint): bigint | undefined {
    const o = off(this.prog.type('struct hrtimer_clock_base'), 'get_time');
    return o === undefined ? undefined : this.prog.memory.readU64(kv(base + BigInt(o)));
  }

  /** A clock base's index (hrtimer_clock_base.index). */
  baseIndex(base: bigint): number {
    const o = this.must(this.prog.type('struct hrtimer_clock_base'), 'index', 'hrtimer_clock_base');
    return this.prog.memory.readU32(kv(base + BigInt(o)));
  }

  /** hrtimer_clock_base.offset in nanoseconds (0 when the member does not exist or cannot be read). */
  baseOffset(base: bigint): bigint {
    const o = off(this.prog.type('struct hrtimer_clock_base'), 'offset');
    return o === undefined ? 0n : this.ktime(base + BigInt(o));
  }

  /** crash's ktime_to_ns(): the s64 at an address, 0 when it cannot be read. */
  ktime(addr: bigint): bigint {
    try {
      return this.prog.memory.readU64(kv(addr));
    } catch {
      return 0n;
    }
  }

  /**
   * The hrtimers of a clock base in expiry order: from the cached leftmost node (or timerqueue next) by
   * rb_next. A node seen twice ends the walk with crash's message.
   */
  activeTimers(base: bigint): { timers: HrTimer[]; duplicate?: bigint } {
    const mem = this.prog.memory;
    const cb = this.prog.type('struct hrtimer_clock_base');
    const hr = this.prog.type('struct hrtimer');
    const tqn = this.prog.tryType('struct timerqueue_node');
    const active = this.must(cb, 'active', 'hrtimer_clock_base');
    const tqh = this.prog.type('struct timerqueue_head');
    let firstOff = off(cb, 'first');
    if (firstOff === undefined) {
      const next = off(tqh, 'next');
      firstOff = active + (next ?? this.must(tqh, 'rb_root.rb_leftmost', 'timerqueue_head'));
    }
    const nodeOff = this.must(hr, 'node', 'hrtimer');
    const innerNode = off(tqn, 'node') ?? 0;
    const expiresOff = off(hr, 'expires') ?? off(hr, '_expires') ?? nodeOff + this.must(tqn, 'expires', 'timerqueue_node');
    const softOff = off(hr, '_softexpires');
    const fnOff = this.must(hr, 'function', 'hrtimer');
    const nodes: bigint[] = [];
    const seen = new Set<bigint>();
    let duplicate: bigint | undefined;
    for (let n = mem.readU64(kv(base + BigInt(firstOff))); n !== 0n; n = this.rbNext(n)) {
      if (seen.has(n)) {
        duplicate = n;
        break;
      }
      if (seen.size > 1 << 20) break;
      seen.add(n);
      nodes.push(n);
    }
    const timers = nodes.map((n): HrTimer => {
      const t = n - BigInt(innerNode) - BigInt(nodeOff);
      let readable = true;
      try {
        mem.readU8(kv(t));
      } catch {
        readable = false;
      }
      let fn: bigint | undefined;
      try {
        fn = mem.readU64(kv(t + BigInt(fnOff)));
      } catch {
        fn = undefined;
      }
      return {
        address: t,
        expires: this.ktime(t + BigInt(expiresOff)),
        softexpires: softOff === undefined ? undefined : this.ktime(t + BigInt(softOff)),
        readable,
        function: fn,
      };
    });
    return { timers, duplicate };
  }

  /** crash's rb_next(): 0 at the end or where a node cannot be read. */
  private rbNext(node: bigint): bigint {
    const mem = this.prog.memory;
    const read = (n: bigint): { parent: bigint; right: bigint; left: bigint } | undefined => {
      try {
        const b = mem.read(kv(n), 24);
        const v = new DataView(b.buffer, b.byteOffset, 24);
        return { parent: v.getBigUint64(0, true) & ~3n, right: v.getBigUint64(8, true), left: v.getBigUint64(16, true) };
      } catch {
        return undefined;
      }
    };
    let cur = read(node);
    if (!cur || cur.parent === node) return 0n;
    if (cur.right) {
      let n = cur.right;
      for (let i = 0; i < 4096; i++) {
        const x = read(n);
        if (!x) return 0n;
        if (!x.left) return n;
        n = x.left;
      }
      return 0n;
    }
    let n = node;
    for (let i = 0; i < 4096; i++) {
      const parent = cur!.parent;
      if (!parent) return 0n;
      const p = read(parent);
      if (!p) return 0n;
      if (n !== p.right) return parent;
      n = parent;
      cur = p;
    }
    return 0n;
  }

  /** The enumerator names of enum hrtimer_base_type by value (for kernels whose bases have no get_time). */
  baseTypeNames(): Map<number, string> | undefined {
    const t = this.prog.tryType('enum hrtimer_base_type');
    if (!t || t.kind !== 'enum') return undefined;
    return new Map(t.values.map((v) => [Number(v.value), v.name]));
  }
}
