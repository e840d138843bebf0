// A module's debug info from its .ko, as crash's `mod -s` loads it: the object is checked to be the module,
// its .debug_* sections relocated (a .ko is ET_REL: string offsets and the like are RELA entries against
// section symbols), its DWARF indexed, and the module's symbols retyped from the .ko's symbol table.
import { ElfFile, SHT_NOBITS } from '../debuginfo/elf.ts';
import { DwarfIndex } from '../debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../debuginfo/dwarf/sections.ts';
import { DwarfTypes } from '../debuginfo/dwarf/types.ts';
import { CrashlensError } from '../errors.ts';
import { BufferSource, type ByteSource } from '../io/byte-source.ts';
import { type ModuleInfo, type ModuleSymbol, stripCloneSuffix } from '../symbols/kallsyms.ts';

export interface ModuleDebugInfo {
  name: string;
  /** The object file as the user named it (crash's OBJECT FILE column). */
  file: string;
  types: DwarfTypes;
  module: ModuleInfo;
  /** The kallsyms-derived symbols, put back when the debug info is unloaded. */
  kallsymsSymbols: readonly ModuleSymbol[];
}

const ET_REL = 1;
const SHT_RELA = 4;
const SHF_WRITE = 1n;
const SHF_ALLOC = 2n;
const SHF_EXECINSTR = 4n;
const SHF_COMPRESSED = 0x800n;
const STT_SECTION = 3;
const STT_FILE = 4;
const STB_LOCAL = 0;
const STB_WEAK = 2;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const R_X86_64_64 = 1;
const R_X86_64_32 = 10;
const R_X86_64_32S = 11;

/** The module name a .ko declares: .modinfo's "name=", else struct module's name in .gnu.linkonce.this_module. */
export function koModuleName(elf: ElfFile): string | undefined {
  const info = elf.section('.modinfo');
  if (info) {
    const text = String.fromCharCode(...elf.sectionData(info));
    const kv = text.split('\0').find((s) => s.startsWith('name='));
    if (kv) return kv.slice(5);
  }
  const tm = elf.section('.gnu.linkonce.this_module');
  if (!tm) return undefined;
  // struct module: enum state (4, padded to 8), struct list_head list (16), then char name[].
  const b = elf.sectionData(tm).subarray(24, 24 + 56);
  const end = b.indexOf(0);
  return String.fromCharCode(...b.subarray(0, end < 0 ? b.length : end)) || undefined;
}

/** Applies the absolute RELA relocations of every .debug_* section in place (symbol value + addend). */
function relocateDebugSections(elf: ElfFile, bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const rela of elf.sections) {
    if (rela.type !== SHT_RELA) continue;
    const target = elf.sections[rela.info];
    const symtab = elf.sections[rela.link];
    if (!target || !symtab || !target.name.startsWith('.debug_')) continue;
    if (target.flags & SHF_COMPRESSED) throw new CrashlensError(`${elf.source.name}: compressed ${target.name} cannot be relocated`);
    for (let o = rela.offset; o + 24 <= rela.offset + rela.size; o += 24) {
      const where = Number(view.getBigUint64(o, true));
      const info = view.getBigUint64(o + 8, true);
      const addend = view.getBigInt64(o + 16, true);
      const sym = Number(info >> 32n);
      const type = Number(info & 0xffffffffn);
      const symOff = symtab.offset + sym * 24;
      if (symOff + 24 > symtab.offset + symtab.size || where >= target.size) continue;
      const value = BigInt.asUintN(64, view.getBigUint64(symOff + 8, true) + addend);
      const at = target.offset + where;
      if (type === R_X86_64_64 && where + 8 <= target.size) view.setBigUint64(at, value, true);
      else if ((type === R_X86_64_32 || type === R_X86_64_32S) && where + 4 <= target.size) view.setUint32(at, Number(value & 0xffffffffn), true);
    }
  }
}

/** nm's letter for a .ko symbol from its section's flags (global upper case, weak W/V). */
function letterOf(elf: ElfFile, info: number, shndx: number): string {
  const sec = elf.sections[shndx];
  const type = info & 0xf;
  const bind = info >> 4;
  if (bind === STB_WEAK) return type === 1 ? 'V' : 'W';
  const l = !sec ? '?' : sec.flags & SHF_EXECINSTR ? 'T' : sec.type === SHT_NOBITS ? 'B' : sec.flags & SHF_WRITE ? 'D' : sec.flags & SHF_ALLOC ? 'R' : 'N';
  return bind === STB_LOCAL ? l.toLowerCase() : l;
}

/**
 * The module's symbols as crash has them after loading the .ko: every .ko symbol (section symbols named
 * by their section, unless that starts with '.') in a loaded section, at the section's address in the
 * dump. Section addresses come from the kallsyms symbols the .ko also defines.
 */
function koSymbols(elf: ElfFile, m: ModuleInfo): ModuleSymbol[] {
  const c = elf.symbolColumns();
  const known = new Map<string, bigint>();
  for (const s of m.symbols) if (!s.pseudo && !known.has(s.name)) known.set(s.name, s.address);
  const sectionBase = new Map<number, bigint>();
  for (let i = 0; i < c.names.length; i++) {
    const a = known.get(stripCloneSuffix(c.names[i]));
    if (a !== undefined && c.shndx[i] !== SHN_UNDEF && c.shndx[i] < SHN_LORESERVE && !sectionBase.has(c.shndx[i]))
      sectionBase.set(c.shndx[i], BigInt.asUintN(64, a - c.values[i]));
  }
  const inModule = (a: bigint): boolean => (a >= m.base && a < m.base + BigInt(m.size)) || (m.initSize > 0 && a >= m.initBase && a < m.initBase + BigInt(m.initSize));
  const out: ModuleSymbol[] = [];
  const names = new Set<string>();
  for (let i = 0; i < c.names.length; i++) {
    const type = c.info[i] & 0xf;
    const base = sectionBase.get(c.shndx[i]);
    if (base === undefined || type === STT_FILE) continue;
    const name = type === STT_SECTION ? (elf.sections[c.shndx[i]]?.name ?? '') : stripCloneSuffix(c.names[i]);
    if (!name || name.startsWith('.')) continue;
    const address = BigInt.asUintN(64, base + c.values[i]);
    if (!inModule(address)) continue;
    out.push({ name, type: letterOf(elf, c.info[i], c.shndx[i]), address });
    names.add(name);
  }
  // Whatever kallsyms knew that the .ko could not place stays as it was.
  for (const s of m.symbols) if (s.pseudo || !names.has(s.name)) out.push(s);
  const rank = (s: ModuleSymbol): number => (s.pseudo === 'start' || s.pseudo === 'init_start' ? 0 : s.pseudo ? 2 : 1);
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
}

/** Reads a module's .ko: checks it is `m`, relocates and indexes its DWARF, and retypes m's symbols. */
export function loadModuleDebugInfo(src: ByteSource, m: ModuleInfo, file = src.name): ModuleDebugInfo {
  // A copy: the relocations are written into it, and a .ko is small.
  const bytes = src.read(0, src.size).slice();
  const raw = new ElfFile(new BufferSource(src.name, bytes));
  if (raw.type !== ET_REL) throw new CrashlensError(`${file}: not a kernel module object (ELF type ${raw.type})`);
  const name = koModuleName(raw);
  if (name !== m.name) throw new CrashlensError(`${file}: is the object of module ${name ?? '(unknown)'}, not ${m.name}`);
  if (!raw.section('.debug_info')) throw new CrashlensError(`${file}: no debugging data available`);
  relocateDebugSections(raw, bytes);
  const elf = new ElfFile(new BufferSource(src.name, bytes));
  const types = new DwarfTypes(DwarfIndex.build(new DwarfSections(elf)));
  const kallsymsSymbols = m.symbols;
  (m as { symbols: readonly ModuleSymbol[] }).symbols = koSymbols(elf, m);
  return { name, file, types, module: m, kallsymsSymbols };
}

/** Undoes loadModuleDebugInfo's retyping of the module's symbols. */
export function unloadModuleDebugInfo(d: ModuleDebugInfo): void {
  (d.module as { symbols: readonly ModuleSymbol[] }).symbols = d.kallsymsSymbols;
}
