// The kernel's own symbol table, read out of a dump with no vmlinux: kallsyms (kernel/kallsyms.c, built by
// scripts/kallsyms.c) for the kernel image, located through VMCOREINFO (Linux 6.0+ exports
// kallsyms_names, _num_syms, _token_table, _token_index, _offsets and _relative_base), and each loaded
// module's ELF symbol table (struct module.core_kallsyms), walked from the `modules` list with offsets
// taken from a type source (BTF). Every loop is bounded by a count read from the dump and checked first.
import { type KVAddr, hex, kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import { CrashlensError } from '../errors.ts';
import { type Type, type TypeSource, findMember, memberOffset, sizeOf, strip } from '../types/type.ts';
import type { Vmcoreinfo } from '../vmcoreinfo.ts';

export class KallsymsError extends CrashlensError {
  override name = 'KallsymsError';
}

/** Where the kallsyms tables are, from VMCOREINFO. */
export interface KallsymsLocations {
  numSyms: KVAddr;
  names: KVAddr;
  tokenTable: KVAddr;
  tokenIndex: KVAddr;
  /** CONFIG_KALLSYMS_BASE_RELATIVE (every x86-64 kernel since 4.6): 32-bit offsets and a base. */
  offsets?: KVAddr;
  relativeBase?: KVAddr;
  /** Otherwise a plain array of addresses. */
  addresses?: KVAddr;
  /** VMCOREINFO's _stext: tells which way the offsets are to be read. */
  stext?: KVAddr;
}

const REQUIRED = ['kallsyms_num_syms', 'kallsyms_names', 'kallsyms_token_table', 'kallsyms_token_index'] as const;

/** The kallsyms table addresses VMCOREINFO gives; a KallsymsError naming what is missing otherwise. */
export function kallsymsLocations(info: Vmcoreinfo): KallsymsLocations {
  const missing: string[] = REQUIRED.filter((n) => info.trySymbol(n) === undefined);
  const offsets = info.trySymbol('kallsyms_offsets');
  const relativeBase = info.trySymbol('kallsyms_relative_base');
  const addresses = info.trySymbol('kallsyms_addresses');
  if (addresses === undefined && (offsets === undefined || relativeBase === undefined))
    missing.push('kallsyms_offsets', 'kallsyms_relative_base');
  if (missing.length > 0)
    throw new KallsymsError(
      `VMCOREINFO has no ${missing.map((m) => `SYMBOL(${m})`).join(', ')}: kernel symbols cannot be read from the dump without a vmlinux (kernels before 6.0 do not export kallsyms)`,
    );
  return {
    numSyms: info.symbol('kallsyms_num_syms'),
    names: info.symbol('kallsyms_names'),
    tokenTable: info.symbol('kallsyms_token_table'),
    tokenIndex: info.symbol('kallsyms_token_index'),
    offsets,
    relativeBase,
    addresses,
    stext: info.trySymbol('_stext'),
  };
}

/** More than any real kernel has (allyesconfig is ~500k): a larger count is corrupt data. */
const MAX_SYMS = 4_000_000;
/** The compressed names of the largest kernels are a few MB. */
const MAX_NAMES_BYTES = 64 << 20;
const NAMES_CHUNK = 64 << 10;

/**
 * Since Linux 6.1 (commit 73bbb94466fd, "kallsyms: support big kernel symbols") a name's token count is
 * ULEB128: a first byte with the top bit set takes a second byte. The layout carries no marker, so the
 * release decides, as drgn does.
 */
export function usesLongNames(osrelease: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(osrelease ?? '');
  if (!m) return true;
  const major = Number(m[1]);
  return major > 6 || (major === 6 && Number(m[2]) >= 1);
}

/** Sequential reads of a kernel-memory stream in large chunks, never past `limit` bytes. */
class StreamReader {
  private buf = new Uint8Array(0);
  private bufStart = 0;
  pos = 0;
  constructor(private readonly mem: KernelMemory, private readonly base: KVAddr, private readonly limit: number, private readonly what: string) {}

  byte(): number {
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel < this.buf.length) {
      this.pos++;
      return this.buf[rel];
    }
    if (this.pos >= this.limit) throw new KallsymsError(`${this.what}: runs past ${this.limit} bytes: corrupt or not kallsyms`);
    const at = kv(this.base + BigInt(this.pos));
    const len = Math.min(NAMES_CHUNK, this.limit - this.pos);
    try {
      this.buf = this.mem.read(at, len).slice();
    } catch (e) {
      // A big read can reach a page the dump lacks beyond the stream's end: retry to the page boundary only.
      if (!(e instanceof CrashlensError)) throw e;
      const toPage = Math.min(4096 - Number(at & 0xfffn), this.limit - this.pos);
      if (toPage >= len) throw new KallsymsError(`${this.what}: unreadable at byte ${this.pos}: ${e.message}`);
      try {
        this.buf = this.mem.read(at, toPage).slice();
      } catch (e2) {
        if (!(e2 instanceof CrashlensError)) throw e2;
        throw new KallsymsError(`${this.what}: unreadable at byte ${this.pos}: ${e2.message}`);
      }
    }
    this.bufStart = this.pos;
    this.pos++;
    return this.buf[0];
  }
}

export class Kallsyms {
  private constructor(
    /** Names as the kernel has them (".isra.0" and ".constprop.0" suffixes kept). */
    readonly names: string[],
    /** nm-style type letters, as char codes ('T' = 84). */
    readonly types: Uint8Array,
    readonly addresses: BigUint64Array,
    /** CONFIG_KALLSYMS_ABSOLUTE_PERCPU: non-negative offsets are absolute (per-CPU) values. */
    readonly absolutePercpu: boolean,
    readonly relativeBase: bigint | undefined,
  ) {}

  get count(): number {
    return this.names.length;
  }

  type(i: number): string {
    return String.fromCharCode(this.types[i]);
  }

  /** Reads the whole table from the dump. */
  static read(mem: KernelMemory, loc: KallsymsLocations, opts: { longNames?: boolean; osrelease?: string } = {}): Kallsyms {
    const longNames = opts.longNames ?? usesLongNames(opts.osrelease);
    const count = mem.readU32(loc.numSyms);
    if (count === 0 || count > MAX_SYMS) throw new KallsymsError(`kallsyms_num_syms = ${count} at 0x${hex(loc.numSyms)}: not a plausible symbol count`);
    const tokens = readTokens(mem, loc);
    // scripts/kallsyms.c lays the names out before the token table; when it is so here, it bounds the stream.
    const gap = loc.tokenTable > loc.names ? Number(loc.tokenTable - loc.names) : MAX_NAMES_BYTES;
    const reader = new StreamReader(mem, loc.names, Math.min(gap, MAX_NAMES_BYTES), `kallsyms_names at 0x${hex(loc.names)}`);
    const names = new Array<string>(count);
    const types = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      let len = reader.byte();
      if (len & 0x80 && longNames) len = (len & 0x7f) | (reader.byte() << 7);
      if (len === 0) throw new KallsymsError(`kallsyms_names: symbol ${i} of ${count} has no tokens (at byte ${reader.pos - 1}): corrupt`);
      let s = '';
      for (let j = 0; j < len; j++) s += tokens[reader.byte()];
      if (s.length < 2) throw new KallsymsError(`kallsyms_names: symbol ${i} of ${count} expands to "${s}": corrupt`);
      types[i] = s.charCodeAt(0);
      names[i] = s.slice(1);
    }
    const addresses = new BigUint64Array(count);
    let absolutePercpu = false;
    let relativeBase: bigint | undefined;
    if (loc.offsets !== undefined && loc.relativeBase !== undefined) {
      relativeBase = mem.readU64(loc.relativeBase);
      const raw = readWords(mem, loc.offsets, count);
      absolutePercpu = chooseAbsolutePercpu(names, raw, relativeBase, loc.stext);
      for (let i = 0; i < count; i++) addresses[i] = symbolAddress(raw[i], relativeBase, absolutePercpu);
    } else if (loc.addresses !== undefined) {
      const bytes = mem.read(loc.addresses, count * 8).slice();
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < count; i++) addresses[i] = view.getBigUint64(i * 8, true);
    } else throw new KallsymsError('kallsyms: neither kallsyms_offsets nor kallsyms_addresses is known');
    return new Kallsyms(names, types, addresses, absolutePercpu, relativeBase);
  }
}

/** The 256 tokens, each a NUL-terminated string at token_table + token_index[i]. */
function readTokens(mem: KernelMemory, loc: KallsymsLocations): string[] {
  const idxBytes = mem.read(loc.tokenIndex, 512).slice();
  const idx = new DataView(idxBytes.buffer);
  let max = 0;
  for (let i = 0; i < 256; i++) max = Math.max(max, idx.getUint16(i * 2, true));
  const table = mem.read(loc.tokenTable, max + 1).slice();
  // The token starting last runs past what was read: fetch its bytes one by one (a token is a short
  // substring of names), never more than a page, so no read strays past the table into unmapped memory.
  const tail: number[] = [];
  const at = (p: number): number => {
    if (p < table.length) return table[p];
    while (p - table.length >= tail.length) {
      if (tail.length >= 4096) throw new KallsymsError(`kallsyms_token_table at 0x${hex(loc.tokenTable)}: last token not NUL-terminated within 4 KiB: corrupt`);
      tail.push(mem.readU8(kv(loc.tokenTable + BigInt(table.length + tail.length))));
    }
    return tail[p - table.length];
  };
  const tokens: string[] = [];
  for (let i = 0; i < 256; i++) {
    let s = '';
    for (let p = idx.getUint16(i * 2, true); ; p++) {
      const b = at(p);
      if (b === 0) break;
      s += String.fromCharCode(b);
    }
    tokens.push(s);
  }
  return tokens;
}

function readWords(mem: KernelMemory, addr: KVAddr, count: number): Int32Array {
  const bytes = mem.read(addr, count * 4).slice();
  return new Int32Array(bytes.buffer, 0, count);
}

/** kernel/kallsyms.c kallsyms_sym_address(). */
function symbolAddress(off: number, base: bigint, absolutePercpu: boolean): bigint {
  if (!absolutePercpu) return BigInt.asUintN(64, base + BigInt(off >>> 0));
  // Non-negative values are absolute (per-CPU offsets, not moved by KASLR); negative ones count down from base-1.
  if (off >= 0) return BigInt(off);
  return BigInt.asUintN(64, base - 1n - BigInt(off));
}

/**
 * CONFIG_KALLSYMS_ABSOLUTE_PERCPU changes how offsets read and is not recorded anywhere: decode _stext both
 * ways and keep the one VMCOREINFO agrees with. Without _stext, a negative offset can only mean the
 * absolute-percpu form.
 */
function chooseAbsolutePercpu(names: string[], raw: Int32Array, base: bigint, stext: KVAddr | undefined): boolean {
  const i = names.indexOf('_stext');
  if (stext === undefined || i < 0) return raw.some((v) => v < 0);
  const rel = symbolAddress(raw[i], base, false);
  const abs = symbolAddress(raw[i], base, true);
  if (abs === stext) return true;
  if (rel === stext) return false;
  throw new KallsymsError(
    `kallsyms_offsets: _stext decodes to 0x${hex(abs)} or 0x${hex(rel)}, but VMCOREINFO says 0x${hex(stext)}: the tables do not match this kernel`,
  );
}

// ---- modules ----------------------------------------------------------------------------------------

/** Byte offsets in struct module (and friends) needed to read module symbols; from BTF or DWARF. */
export interface ModuleLayout {
  list: number;
  name: number;
  nameSize: number;
  syms: number;
  numSyms: number;
  gplSyms: number;
  numGplSyms: number;
  coreBase: number;
  coreSize: number;
  initBase: number;
  initSize: number;
  symtab: number;
  numSymtab: number;
  strtab: number;
  /** struct kernel_symbol: PREL32 (int value_offset, name_offset) or absolute pointers. */
  kernelSymbol: { size: number; prel32: boolean; value: number; name: number };
}

/** The layout from a type source; a string saying what is missing when it cannot be had. */
export function moduleLayout(types: TypeSource): ModuleLayout | string {
  const mod = types.findType('struct module');
  if (!mod) return 'no struct module type';
  const need = (t: Type, path: string): number => {
    const hit = memberOffset(t, path);
    if (!hit) throw new KallsymsError(`struct module has no member ${path}`);
    return hit.offset;
  };
  try {
    const nameHit = memberOffset(mod, 'name');
    const nameType = nameHit ? strip(nameHit.type) : undefined;
    // 6.1 has core_layout/init_layout; 6.4+ split modules into mem[] regions, which this reader does not cover.
    if (!memberOffset(mod, 'core_layout')) return 'struct module has no core_layout (Linux 6.4+ module memory layout is not supported yet)';
    const ks = types.findType('struct kernel_symbol');
    if (!ks) return 'no struct kernel_symbol type';
    const prel32 = findMember(ks, 'value_offset') !== undefined;
    const kernelSymbol = {
      size: sizeOf(ks) ?? 0,
      prel32,
      value: need(ks, prel32 ? 'value_offset' : 'value'),
      name: need(ks, prel32 ? 'name_offset' : 'name'),
    };
    if (kernelSymbol.size === 0) return 'struct kernel_symbol has no size';
    return {
      list: need(mod, 'list'),
      name: need(mod, 'name'),
      nameSize: nameType?.kind === 'array' ? nameType.length : 56,
      syms: need(mod, 'syms'),
      numSyms: need(mod, 'num_syms'),
      gplSyms: need(mod, 'gpl_syms'),
      numGplSyms: need(mod, 'num_gpl_syms'),
      coreBase: need(mod, 'core_layout.base'),
      coreSize: need(mod, 'core_layout.size'),
      initBase: need(mod, 'init_layout.base'),
      initSize: need(mod, 'init_layout.size'),
      symtab: need(mod, 'core_kallsyms.symtab'),
      numSymtab: need(mod, 'core_kallsyms.num_symtab'),
      strtab: need(mod, 'core_kallsyms.strtab'),
      kernelSymbol,
    };
  } catch (e) {
    if (e instanceof KallsymsError) return e.message;
    throw e;
  }
}

export type PseudoKind = 'start' | 'end' | 'init_start' | 'init_end';

export interface ModuleSymbol {
  readonly name: string;
  /** crash's letter: from the ELF st_info byte ('t', 'T', else the byte itself if printable, else '?'). */
  readonly type: string;
  readonly address: bigint;
  /** crash's _MODULE_START_ / _MODULE_END_ markers. */
  readonly pseudo?: PseudoKind;
}

export interface ModuleInfo {
  readonly name: string;
  /** Address of its struct module. */
  readonly struct: KVAddr;
  readonly base: bigint;
  readonly size: number;
  readonly initBase: bigint;
  readonly initSize: number;
  /** In crash's order: by address, markers first/last, with the module's own order kept among equals. */
  readonly symbols: readonly ModuleSymbol[];
}

/** More modules than this on one list means the list is corrupt (or circular without its head). */
const MAX_MODULES = 10_000;
const MAX_MODULE_SYMS = 1_000_000;
const ELF64_SYM_SIZE = 24;
const SHN_UNDEF = 0;

/** crash's Elf64_Sym_to_common(): the letter shown for a module symbol. */
function stInfoLetter(info: number): string {
  if (info >= 0x20 && info < 0x7f) return String.fromCharCode(info);
  if (info === 0x02) return 't';
  if (info === 0x12) return 'T';
  return '?';
}

/** crash strips gcc's clone suffixes from names (strip_symbol_end in symbols.c). */
export function stripCloneSuffix(name: string): string {
  for (const s of ['.isra.', '.part.', '.llvm.']) {
    const i = name.indexOf(s);
    if (i >= 0) return name.slice(0, i);
  }
  return name;
}

/** crash's strip_module_symbol_end(): drops an old modversions "_R<hex>" / "_Rsmp_" tail. */
function stripModversions(name: string): string {
  const r = name.lastIndexOf('R');
  if (r < 1 || name[r - 1] !== '_') return name;
  if (name.startsWith('_Rsmp_', r - 1)) return name.slice(0, r - 1);
  return /^[0-9a-fA-F]+$/.test(name.slice(r + 1)) ? name.slice(0, r - 1) : name;
}

function cstring(bytes: Uint8Array, at: number, max = 512): string {
  let s = '';
  for (let i = at; i < bytes.length && i < at + max && bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/**
 * Every module on the `modules` list (its head's address), with its symbols as crash builds them
 * (store_module_symbols_v2 + store_module_kallsyms_v2). A module whose memory cannot be read gets a
 * warning and its markers only.
 */
export function readModules(mem: KernelMemory, modulesHead: KVAddr, layout: ModuleLayout): { modules: ModuleInfo[]; warnings: string[] } {
  const modules: ModuleInfo[] = [];
  const warnings: string[] = [];
  const seen = new Set<bigint>();
  let node = mem.readU64(modulesHead);
  while (node !== modulesHead) {
    if (modules.length >= MAX_MODULES || seen.has(node)) throw new KallsymsError(`modules list at 0x${hex(modulesHead)} does not return to its head: corrupt`);
    seen.add(node);
    const struct = kv(node - BigInt(layout.list));
    const m = readModule(mem, struct, layout, warnings);
    modules.push(m);
    node = mem.readU64(kv(node));
  }
  modules.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  return { modules, warnings };
}

function readModule(mem: KernelMemory, struct: KVAddr, L: ModuleLayout, warnings: string[]): ModuleInfo {
  const at = (off: number): KVAddr => kv(struct + BigInt(off));
  const name = cstring(mem.read(at(L.name), L.nameSize).slice(), 0, L.nameSize);
  const base = mem.readU64(at(L.coreBase));
  const size = mem.readU32(at(L.coreSize));
  const initBase = mem.readU64(at(L.initBase));
  const initSize = mem.readU32(at(L.initSize));
  const inCore = (a: bigint): boolean => a >= base && a < base + BigInt(size);
  const inInit = (a: bigint): boolean => initSize > 0 && a >= initBase && a < initBase + BigInt(initSize);

  const syms: ModuleSymbol[] = [{ name: `_MODULE_START_${name}`, type: 'm', address: base, pseudo: 'start' }];
  if (initSize > 0) syms.push({ name: `_MODULE_INIT_START_${name}`, type: 'm', address: initBase, pseudo: 'init_start' });
  const firstReal = syms.length;

  try {
    // Exported symbols first, typed '?' until the module's ELF table says better.
    for (const [arrOff, numOff, kind] of [[L.syms, L.numSyms, 'syms'], [L.gplSyms, L.numGplSyms, 'gpl_syms']] as const) {
      const arr = mem.readU64(at(arrOff));
      let n = mem.readU32(at(numOff));
      if (n > MAX_MODULE_SYMS) throw new KallsymsError(`${name}: module.${kind} count ${n} is not plausible`);
      if (n > 0 && !inCore(arr)) {
        warnings.push(`[${name}] module.${kind} outside of module address space (${hex(arr)})`);
        n = 0;
      }
      if (n === 0) continue;
      const K = L.kernelSymbol;
      const table = mem.read(kv(arr), n * K.size).slice();
      const view = new DataView(table.buffer);
      for (let i = 0; i < n; i++) {
        const entry = arr + BigInt(i * K.size);
        let value: bigint;
        let nameAddr: bigint;
        if (K.prel32) {
          value = BigInt.asUintN(64, entry + BigInt(K.value) + BigInt(view.getInt32(i * K.size + K.value, true)));
          nameAddr = BigInt.asUintN(64, entry + BigInt(K.name) + BigInt(view.getInt32(i * K.size + K.name, true)));
        } else {
          value = view.getBigUint64(i * K.size + K.value, true);
          nameAddr = view.getBigUint64(i * K.size + K.name, true);
        }
        const sname = stripCloneSuffix(stripModversions(mem.readCString(kv(nameAddr), 512)));
        if (sname) syms.push({ name: sname, type: '?', address: value });
      }
    }
    const exportedEnd = syms.length;

    // The module's ELF symbol table (core part, kept after init), skipping entry 0 as ELF does.
    const symtab = mem.readU64(at(L.symtab));
    const nsym = mem.readU32(at(L.numSymtab));
    const strtab = mem.readU64(at(L.strtab));
    if (nsym > MAX_MODULE_SYMS) throw new KallsymsError(`${name}: core_kallsyms.num_symtab ${nsym} is not plausible`);
    if (nsym > 0 && !inCore(symtab) && !inInit(symtab)) warnings.push(`${name}: module.symtab outside of module address space`);
    else if (nsym > 0 && !inCore(strtab) && !inInit(strtab)) warnings.push(`${name}: module.strtab outside of module address space`);
    else if (nsym > 1) {
      const table = mem.read(kv(symtab), nsym * ELF64_SYM_SIZE).slice();
      const view = new DataView(table.buffer);
      // The string table is inside the module: read up to the end of its region once.
      const strEnd = inCore(strtab) ? base + BigInt(size) : initBase + BigInt(initSize);
      const strings = mem.read(kv(strtab), Number(strEnd - strtab)).slice();
      const exported = syms.slice(firstReal, exportedEnd);
      for (let i = 1; i < nsym; i++) {
        const o = i * ELF64_SYM_SIZE;
        const stName = view.getUint32(o, true);
        const stInfo = table[o + 4];
        const shndx = view.getUint16(o + 6, true);
        const value = view.getBigUint64(o + 8, true);
        if (!inCore(value) && !inInit(value)) continue;
        if (shndx === SHN_UNDEF) continue;
        if (stName >= strings.length) continue;
        const raw = cstring(strings, stName);
        if (!raw) continue;
        const sname = stripCloneSuffix(raw);
        const letter = stInfoLetter(stInfo);
        const dup = exported.findIndex((e) => e.address === value && e.name === sname);
        if (dup >= 0) {
          const e = exported[dup];
          if (e.type === '?') syms[firstReal + dup] = { ...e, type: letter };
          exported[dup] = syms[firstReal + dup];
          continue;
        }
        syms.push({ name: sname, type: letter, address: value });
      }
    }
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
    warnings.push(`${name}: cannot read module symbols: ${e.message}`);
    syms.length = firstReal;
  }

  syms.push({ name: `_MODULE_END_${name}`, type: 'm', address: base + BigInt(size), pseudo: 'end' });
  if (initSize > 0) syms.push({ name: `_MODULE_INIT_END_${name}`, type: 'm', address: initBase + BigInt(initSize), pseudo: 'init_end' });
  return { name, struct, base, size, initBase, initSize, symbols: sortModuleSymbols(syms) };
}

/** crash's compare_syms() under a stable sort: by address; a start marker before anything at its address. */
function sortModuleSymbols(syms: ModuleSymbol[]): ModuleSymbol[] {
  const rank = (s: ModuleSymbol): number => (s.pseudo === 'start' || s.pseudo === 'init_start' ? 0 : 1);
  return syms
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (a.s.address < b.s.address ? -1 : a.s.address > b.s.address ? 1 : rank(a.s) - rank(b.s) || a.i - b.i))
    .map((x) => x.s);
}
