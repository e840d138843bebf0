// A Program: kernel memory + types + symbols, the drgn-like entry point kernel helpers and commands use.
// Types come from the vmlinux's DWARF when the user gave one, otherwise from the BTF in the dump; symbols
// from the vmlinux symbol table or the dump's kallsyms. Kernel helpers depend on this, never on where the
// facts came from.
import { type KVAddr, kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import { CrashlensError } from '../errors.ts';
import { type Type, type TypeSource, findMember, strip } from '../types/type.ts';
import { Obj } from './object.ts';

export class SymbolNotFound extends CrashlensError {
  override name = 'SymbolNotFound';
  constructor(readonly symbol: string) {
    super(`symbol not found: ${symbol}`);
  }
}

export class TypeNotFound extends CrashlensError {
  override name = 'TypeNotFound';
  constructor(readonly spec: string) {
    super(`type not found: ${spec}`);
  }
}

/** What a Program needs of a symbol table. */
export interface SymbolLookup {
  /** A symbol's address, by exact name. */
  address(name: string): bigint | undefined;
}

/** A type source that can also type global variables (DWARF can; BTF only for per-CPU ones). */
export interface ProgramTypes extends TypeSource {
  variableType?(name: string): Type | undefined;
}

/** Upper bound on the length of any list we walk: a corrupt list must not loop forever. */
export const MAX_LIST_ENTRIES = 1 << 20;

export class Program {
  constructor(
    readonly memory: KernelMemory,
    readonly types: ProgramTypes,
    readonly symbols: SymbolLookup,
    /** Types for globals the type source cannot type (BTF): name → C type spelling. */
    private readonly knownGlobals: ReadonlyMap<string, string> = new Map(),
  ) {}

  type(spec: string): Type {
    const s = spec.trim();
    // Leading qualifiers: "volatile unsigned long", "const struct cred *".
    const q = /^(const|volatile)\s+(.*)$/.exec(s);
    if (q) return { kind: q[1] as 'const' | 'volatile', target: this.type(q[2]) };
    // Pointer spellings: "struct task_struct *".
    const stars = /\*+$/.exec(s.replace(/\s+\*/g, '*'));
    if (stars) {
      let t = this.type(s.slice(0, s.indexOf('*')).trim());
      for (let i = 0; i < stars[0].length; i++) t = { kind: 'pointer', size: 8, target: t, tags: [] };
      return t;
    }
    const t = this.types.findType(s) ?? this.types.findType(s.replace(/^unsigned long$/, 'long unsigned int').replace(/^unsigned int$/, 'unsigned int'));
    if (!t) throw new TypeNotFound(spec);
    return t;
  }

  tryType(spec: string): Type | undefined {
    try {
      return this.type(spec);
    } catch {
      return undefined;
    }
  }

  symbolAddress(name: string): KVAddr {
    const a = this.symbols.address(name);
    if (a === undefined) throw new SymbolNotFound(name);
    return kv(a);
  }

  /** A global variable as a typed object. */
  variable(name: string): Obj {
    const address = this.symbolAddress(name);
    let type = this.types.variableType?.(name);
    if (!type) {
      const spelled = this.knownGlobals.get(name);
      if (spelled) type = this.type(spelled);
    }
    if (!type) throw new CrashlensError(`no type information for ${name}`);
    return Obj.at(this, type, address);
  }

  object(type: Type | string, address: bigint): Obj {
    return Obj.at(this, typeof type === 'string' ? this.type(type) : type, address);
  }

  /** Does `struct`/`union` spelled `spec` have member `name`? (Kernel differences are found this way.) */
  hasMember(spec: string, name: string): boolean {
    const t = this.tryType(spec);
    return t !== undefined && findMember(t, name) !== undefined;
  }

  /**
   * The nodes of a circular list_head list, `head` excluded: each node's address. Stops (without throwing)
   * at a NULL or unreadable link, and after MAX_LIST_ENTRIES.
   */
  *listNodes(head: bigint): Generator<KVAddr> {
    let node = this.memory.readU64(kv(head));
    for (let n = 0; node !== head && node !== 0n && n < MAX_LIST_ENTRIES; n++) {
      yield kv(node);
      node = this.memory.readU64(kv(node));
    }
  }

  /** list_for_each_entry: the containing objects of a list_head list. */
  *listEntries(head: bigint, type: Type | string, member: string): Generator<Obj> {
    const t = typeof type === 'string' ? this.type(type) : type;
    const hit = findMember(t, member);
    if (!hit) throw new CrashlensError(`${typeof type === 'string' ? type : 'type'} has no member ${member}`);
    const offset = BigInt(hit.bitOffset / 8);
    for (const node of this.listNodes(head)) yield Obj.at(this, t, node - offset);
  }

  /** The nodes of an hlist (hlist_head.first → hlist_node.next → … → NULL). */
  *hlistNodes(head: bigint): Generator<KVAddr> {
    let node = this.memory.readU64(kv(head));
    for (let n = 0; node !== 0n && n < MAX_LIST_ENTRIES; n++) {
      yield kv(node);
      node = this.memory.readU64(kv(node));
    }
  }

  /** In-order nodes of an rb_root (rb_node: __rb_parent_color, rb_right, rb_left). */
  *rbNodes(root: bigint): Generator<KVAddr> {
    const stack: bigint[] = [];
    let node = this.memory.readU64(kv(root));
    let n = 0;
    while ((node !== 0n || stack.length > 0) && n++ < MAX_LIST_ENTRIES) {
      while (node !== 0n && stack.length < 4096) {
        stack.push(node);
        node = this.memory.readU64(kv(node + 16n)); // rb_left
      }
      const cur = stack.pop()!;
      yield kv(cur);
      node = this.memory.readU64(kv(cur + 8n)); // rb_right
    }
  }

  /** A per-CPU variable's instance on `cpu`: its address plus __per_cpu_offset[cpu]. */
  perCpu(name: string, cpu: number): Obj {
    const base = this.variable(name);
    const offsets = this.symbolAddress('__per_cpu_offset');
    const off = this.memory.readU64(kv(offsets + BigInt(cpu) * 8n));
    return Obj.at(this, base.type, BigInt.asUintN(64, base.address! + off));
  }

  /** The type under typedefs and qualifiers (convenience for helpers). */
  static strip = strip;
}
