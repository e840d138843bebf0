// The symbol table commands resolve through: the kernel's symbols sorted by address (as crash keeps them)
// plus each module's, with name lookup and crash's address→symbol rules (value_search in symbols.c:
// an exact hit gives the first symbol at that address, an address inside one gives the last symbol below
// it). Kernel symbols are held in flat arrays (150k+ of them); entry objects are made only when asked for.
import { type KVAddr, hex, kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import { CrashlensError } from '../errors.ts';
import { Btf } from '../types/btf.ts';
import type { TypeSource } from '../types/type.ts';
import type { Vmcoreinfo } from '../vmcoreinfo.ts';
import {
  Kallsyms,
  type ModuleInfo,
  type PseudoKind,
  kallsymsLocations,
  moduleLayout,
  readModules,
  stripCloneSuffix,
} from './kallsyms.ts';

/** A symbol name with no symbol: the one name a user typed, for the message. */
export class SymbolNotFound extends CrashlensError {
  override name = 'SymbolNotFound';
  constructor(readonly symbol: string) {
    super(`symbol not found: ${symbol}`);
  }
}

export interface SymbolEntry {
  readonly name: string;
  /** nm-style letter: T/t text, D/d data, B/b bss, R/r read-only, V/W weak, m a module marker, '?' unknown. */
  readonly type: string;
  readonly address: KVAddr;
  /** The module it belongs to; undefined for the kernel image. */
  readonly module?: ModuleInfo;
  /** crash's _MODULE_START_/_MODULE_END_ markers. */
  readonly pseudo?: PseudoKind;
  /** Position in the kernel table, or in its module's symbol list. */
  readonly index: number;
}

export interface Resolved {
  symbol: SymbolEntry;
  /** addr - symbol.address */
  offset: bigint;
}

/** Symbols as parallel arrays, sorted by address. */
export interface SymbolColumns {
  addresses: BigUint64Array;
  names: string[];
  types: string[];
}

export interface RawSymbol {
  name: string;
  type: string;
  address: bigint;
}

/**
 * crash's x86_64_verify_symbol(): below _text only the per-CPU area's symbols count (data and per_cpu*
 * ones, once __per_cpu_start exists); other early symbols are dropped. Everything from _text/_stext on is
 * kept. kallsyms marks per-CPU symbols 'A' (absolute) where vmlinux has D/d, and may list one before
 * __per_cpu_start at the same offset 0, so here presence, not order, decides.
 */
function crashFilter(list: RawSymbol[]): RawSymbol[] {
  const out: RawSymbol[] = [];
  let started = false;
  const percpu = list.some((s) => s.name === '__per_cpu_start');
  for (const s of list) {
    if (!s.name) continue;
    if (started) {
      out.push(s);
      continue;
    }
    if (s.name === '_text' || s.name === '_stext') {
      started = true;
      out.push(s);
    } else if (
      percpu &&
      (s.name === '__per_cpu_start' || s.name.startsWith('per_cpu') || s.name === '__per_cpu_end' || 'VdDA'.includes(s.type))
    ) {
      out.push(s);
    }
  }
  return out;
}

export class SymbolTable {
  private readonly addrs: BigUint64Array;
  private readonly names: string[];
  private readonly types: string[];
  private readonly firstByName = new Map<string, number>();
  private readonly nextSame: Int32Array;
  private readonly moduleByName = new Map<string, ModuleInfo>();
  /** crash's first_ksymbol: addresses below it are per-CPU offsets, not kernel addresses. */
  readonly firstKernelAddress: bigint;
  /** Last symbol crash counts for its kernel range (it skips trailing xen_elfnote entries). */
  private readonly lastInRange: number;

  /**
   * `kernel` in crash's order (by address), as symbol objects or as columns already sorted (the fast path
   * for a vmlinux's 120,000 symbols: no object per symbol); `modules` by base address.
   */
  constructor(kernel: RawSymbol[] | SymbolColumns, readonly modules: readonly ModuleInfo[] = []) {
    let n: number;
    if (Array.isArray(kernel)) {
      const sorted = isSorted(kernel) ? kernel : [...kernel].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
      n = sorted.length;
      this.addrs = new BigUint64Array(n);
      this.names = new Array<string>(n);
      this.types = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const s = sorted[i];
        this.addrs[i] = BigInt.asUintN(64, s.address);
        this.names[i] = s.name;
        this.types[i] = s.type;
      }
    } else {
      n = kernel.names.length;
      this.addrs = kernel.addresses;
      this.names = kernel.names;
      this.types = kernel.types;
    }
    this.nextSame = new Int32Array(n).fill(-1);
    const lastSame = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const name = this.names[i];
      const prev = lastSame.get(name);
      if (prev === undefined) this.firstByName.set(name, i);
      else this.nextSame[prev] = i;
      lastSame.set(name, i);
    }
    let first = n > 0 ? this.addrs[0] : 0n;
    const t = this.firstByName.get('_text') ?? this.firstByName.get('_stext');
    if (t !== undefined) first = this.addrs[t];
    this.firstKernelAddress = first;
    let last = n - 1;
    while (last > 0 && this.names[last].includes('xen_elfnote')) last--;
    this.lastInRange = last;
    for (const m of modules) this.moduleByName.set(m.name, m);
  }

  /**
   * The table crash would build from these kallsyms: its x86-64 filter, clone suffixes stripped. `extra`
   * symbols known otherwise (see kallsymsTablesFromVmcoreinfo) are merged in by address.
   */
  static fromKallsyms(k: Kallsyms, modules: readonly ModuleInfo[] = [], extra: RawSymbol[] = []): SymbolTable {
    const raw: RawSymbol[] = new Array(k.count);
    for (let i = 0; i < k.count; i++) raw[i] = { name: stripCloneSuffix(k.names[i]), type: k.type(i), address: k.addresses[i] };
    const known = new Set(k.names);
    const add = extra.filter((e) => !known.has(e.name));
    // crash's order: by address, then by name, as it sorts a vmlinux's symbols (so symbols sharing an
    // address resolve to the same one whether the table came from kallsyms or from the vmlinux).
    const all = [...raw, ...add].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return new SymbolTable(crashFilter(all), modules);
  }

  /** Number of kernel symbols. */
  get size(): number {
    return this.names.length;
  }

  /** The i-th kernel symbol in address order. */
  at(i: number): SymbolEntry {
    return { name: this.names[i], type: this.types[i], address: kv(this.addrs[i]), index: i };
  }

  *kernelSymbols(): IterableIterator<SymbolEntry> {
    for (let i = 0; i < this.names.length; i++) yield this.at(i);
  }

  private moduleEntry(m: ModuleInfo, i: number): SymbolEntry {
    const s = m.symbols[i];
    return { name: s.name, type: s.type, address: kv(s.address), module: m, pseudo: s.pseudo, index: i };
  }

  /** A module's symbols in crash's order, markers included. */
  moduleSymbols(m: ModuleInfo): SymbolEntry[] {
    return m.symbols.map((_, i) => this.moduleEntry(m, i));
  }

  module(name: string): ModuleInfo | undefined {
    return this.moduleByName.get(name);
  }

  /** Every symbol with this name: the kernel's first, then modules' (markers only when asked for by name). */
  findAll(name: string): SymbolEntry[] {
    const out: SymbolEntry[] = [];
    for (let i = this.firstByName.get(name) ?? -1; i >= 0; i = this.nextSame[i]) out.push(this.at(i));
    const pseudo = /^_MODULE_(INIT_)?(START|END)_/.test(name);
    for (const m of this.modules)
      m.symbols.forEach((s, i) => {
        if (s.name === name && (pseudo || !s.pseudo)) out.push(this.moduleEntry(m, i));
      });
    return out;
  }

  find(name: string): SymbolEntry | undefined {
    const i = this.firstByName.get(name);
    if (i !== undefined) return this.at(i);
    return this.findAll(name)[0];
  }

  /** The symbol, or SymbolNotFound naming it. */
  lookup(name: string): SymbolEntry {
    const s = this.find(name);
    if (!s) throw new SymbolNotFound(name);
    return s;
  }

  value(name: string): KVAddr {
    return this.lookup(name).address;
  }

  /** crash's in_ksymbol_range(), kernel part: from the first symbol to the last, per-CPU offsets excluded. */
  inKernelRange(addr: bigint): boolean {
    if (this.names.length === 0) return false;
    return addr >= this.addrs[0] && addr <= this.addrs[this.lastInRange] && addr >= this.firstKernelAddress;
  }

  /** The module whose core (or init) region holds addr. */
  moduleAt(addr: bigint): ModuleInfo | undefined {
    return this.modules.find(
      (m) => (addr >= m.base && addr < m.base + BigInt(m.size)) || (m.initSize > 0 && addr >= m.initBase && addr < m.initBase + BigInt(m.initSize)),
    );
  }

  /** Whether crash would take addr as a symbol address at all (kernel range or a module). */
  inRange(addr: bigint): boolean {
    return this.inKernelRange(addr) || this.moduleAt(addr) !== undefined;
  }

  /** crash's value_search(): the symbol an address is in, and the offset into it. */
  resolve(addr: bigint): Resolved | undefined {
    const a = BigInt.asUintN(64, addr);
    if (this.inKernelRange(a)) {
      // Last index with address <= a.
      let lo = 0;
      let hi = this.addrs.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.addrs[mid] <= a) lo = mid;
        else hi = mid - 1;
      }
      let i = lo;
      if (this.addrs[i] === a) {
        while (i > 0 && this.addrs[i - 1] === a) i--;
        i = this.preferAlias(i);
      }
      return { symbol: this.at(i), offset: a - this.addrs[i] };
    }
    const m = this.moduleAt(a);
    if (!m) return undefined;
    let best = -1;
    for (let i = 0; i < m.symbols.length; i++) {
      const s = m.symbols[i];
      if (s.pseudo) continue;
      if (s.address === a) {
        best = i;
        break;
      }
      if (s.address < a && (best < 0 || s.address >= m.symbols[best].address)) best = i;
    }
    if (best < 0) return undefined;
    return { symbol: this.moduleEntry(m, best), offset: a - m.symbols[best].address };
  }

  /** crash skips a few alias names at an exact address in favour of the real symbol that follows. */
  private preferAlias(i: number): number {
    const next = i + 1 < this.names.length && this.addrs[i + 1] === this.addrs[i] ? i + 1 : -1;
    if (next < 0) return i;
    const name = this.names[i];
    if (name.startsWith('.text.') || name.startsWith('SyS_') || name.startsWith('compat_SyS_')) return next;
    if (name.endsWith('_text_start')) return next;
    return i;
  }

  /** "schedule+0x12", "schedule", or the bare hex address when nothing holds it. */
  format(addr: bigint): string {
    const r = this.resolve(addr);
    if (!r) return hex(addr);
    return r.offset === 0n ? r.symbol.name : `${r.symbol.name}+0x${hex(r.offset)}`;
  }

  /** crash's next_symbol(): the next symbol at a higher address (kernel), or the next in module order. */
  next(s: SymbolEntry): SymbolEntry | undefined {
    if (!s.module) {
      for (let i = s.index + 1; i < this.names.length; i++) if (this.addrs[i] > s.address) return this.at(i);
      return this.moduleFlat()[0];
    }
    const flat = this.moduleFlat();
    const k = flat.findIndex((e) => e.module === s.module && e.index === s.index);
    return k >= 0 ? flat[k + 1] : undefined;
  }

  /** crash's prev_symbol(): the entry just before (kernel), or the previous in module order. */
  prev(s: SymbolEntry): SymbolEntry | undefined {
    if (!s.module) return s.index > 0 ? this.at(s.index - 1) : undefined;
    const flat = this.moduleFlat();
    const k = flat.findIndex((e) => e.module === s.module && e.index === s.index);
    if (k > 0) return flat[k - 1];
    return k === 0 && this.names.length > 0 ? this.at(this.names.length - 1) : undefined;
  }

  private moduleFlat(): SymbolEntry[] {
    const out: SymbolEntry[] = [];
    for (const m of this.modules) m.symbols.forEach((s, i) => s.pseudo || out.push(this.moduleEntry(m, i)));
    return out;
  }

  /** Symbols whose name contains `text`: kernel first, then modules (markers never). */
  query(text: string): SymbolEntry[] {
    const out: SymbolEntry[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i].includes(text)) out.push(this.at(i));
    for (const m of this.modules) m.symbols.forEach((s, i) => !s.pseudo && s.name.includes(text) && out.push(this.moduleEntry(m, i)));
    return out;
  }
}

function isSorted(list: RawSymbol[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i].address < list[i - 1].address) return false;
  return true;
}

/**
 * kallsyms cannot list its own tables (scripts/kallsyms.c emits them after collecting the symbols), but
 * VMCOREINFO names six of them; a vmlinux's table (so crash's) has them as data symbols ('D' in
 * System.map).
 */
export function kallsymsTablesFromVmcoreinfo(info: Vmcoreinfo): RawSymbol[] {
  const out: RawSymbol[] = [];
  for (const name of ['kallsyms_offsets', 'kallsyms_relative_base', 'kallsyms_num_syms', 'kallsyms_names', 'kallsyms_token_table', 'kallsyms_token_index', 'kallsyms_addresses']) {
    const a = info.trySymbol(name);
    if (a !== undefined) out.push({ name, type: 'D', address: a });
  }
  return out;
}

export interface LoadedSymbols {
  table: SymbolTable;
  kallsyms: Kallsyms;
  /** The kernel's BTF, when the image has one (CONFIG_DEBUG_INFO_BTF). */
  btf: Btf | undefined;
  /** Why there is no BTF, when there is none. */
  noBtf?: string;
  /** Why module symbols are missing, when modules are loaded but could not be read. */
  modulesSkipped?: string;
  /** Things the user should know: modules skipped and why, unreadable modules. */
  warnings: string[];
}

/** The kernel's BTF from memory, between its __start_BTF and __stop_BTF symbols. */
export function readDumpBtf(mem: KernelMemory, k: Kallsyms): { btf?: Btf; reason?: string } {
  const start = k.names.indexOf('__start_BTF');
  const stop = k.names.indexOf('__stop_BTF');
  if (start < 0 || stop < 0) return { reason: 'the kernel has no BTF (no __start_BTF symbol: built without CONFIG_DEBUG_INFO_BTF)' };
  try {
    return { btf: Btf.fromKernelMemory(mem, kv(k.addresses[start]), kv(k.addresses[stop])) };
  } catch (e) {
    if (e instanceof CrashlensError) return { reason: `the kernel's BTF cannot be read: ${e.message}` };
    throw e;
  }
}

/**
 * Everything a dump alone gives about symbols: kallsyms for the kernel, its BTF, and module symbols when
 * a type source (`types`, e.g. a vmlinux's DWARF, else the BTF) supplies struct module's layout; without
 * one, modules are left out and a warning says so.
 */
export function loadSymbols(mem: KernelMemory, info: Vmcoreinfo, types?: TypeSource): LoadedSymbols {
  const kallsyms = Kallsyms.read(mem, kallsymsLocations(info), { osrelease: info.osrelease });
  const warnings: string[] = [];
  const { btf, reason } = readDumpBtf(mem, kallsyms);
  let modules: ModuleInfo[] = [];
  let modulesSkipped: string | undefined;
  const head = kallsyms.names.indexOf('modules');
  if (head >= 0) {
    const headAddr = kv(kallsyms.addresses[head]);
    let empty: boolean;
    try {
      empty = mem.readU64(headAddr) === headAddr;
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      warnings.push(`module list unreadable: ${e.message}`);
      empty = true;
    }
    if (!empty) {
      const source = types ?? btf;
      const layout = source ? moduleLayout(source) : reason;
      if (typeof layout === 'string' || layout === undefined)
        modulesSkipped = `module symbols not loaded: ${layout ?? 'no type information'}; a vmlinux would supply struct module`;
      else {
        try {
          const r = readModules(mem, headAddr, layout);
          modules = r.modules;
          warnings.push(...r.warnings);
        } catch (e) {
          if (!(e instanceof CrashlensError)) throw e;
          modulesSkipped = `module symbols not loaded: ${e.message}`;
        }
      }
      if (modulesSkipped) warnings.push(modulesSkipped);
    }
  }
  return { table: SymbolTable.fromKallsyms(kallsyms, modules, kallsymsTablesFromVmcoreinfo(info)), kallsyms, btf, noBtf: reason, modulesSkipped, warnings };
}
