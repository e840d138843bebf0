// Builds a Program from what the user gave: the dump plus a vmlinux (DWARF types, ELF symbols) or the dump
// alone (BTF types and kallsyms read from its memory). The vmlinux must be the kernel that crashed: its
// build-id is compared with VMCOREINFO's, and a mismatch is an error naming both (unless forced).
import { START_KERNEL_MAP } from '../arch/x86-64-paging.ts';
import { ElfFile, type ElfSymbol, SHT_NOBITS } from '../debuginfo/elf.ts';
import { DwarfIndex } from '../debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../debuginfo/dwarf/sections.ts';
import { DwarfTypes } from '../debuginfo/dwarf/types.ts';
import { SourceLines } from '../debuginfo/dwarf/source-lines.ts';
import { CrashlensError } from '../errors.ts';
import type { ByteSource } from '../io/byte-source.ts';
import type { KeyValueCache } from '../io/kv-cache.ts';
import { type RawSymbol, SymbolTable } from '../symbols/symbol-table.ts';
import type { Vmcoreinfo } from '../vmcoreinfo.ts';

export class KernelMismatch extends CrashlensError {
  override name = 'KernelMismatch';
}

const SHN_ABS = 0xfff1;
const STB_LOCAL = 0;
const STB_WEAK = 2;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_SECTION = 3;
const STT_FILE = 4;
const SHF_WRITE = 1n;
const SHF_ALLOC = 2n;
const SHF_EXECINSTR = 4n;

/** nm's letter for an ELF symbol (T/t text, D/d data, B/b bss, R/r read-only, A absolute, W/V weak). */
function nmLetter(elf: ElfFile, s: ElfSymbol): string {
  let letter: string;
  if (s.shndx === SHN_ABS) letter = 'A';
  else {
    const sec = elf.sections[s.shndx];
    if (!sec) letter = 'U';
    else if (sec.flags & SHF_EXECINSTR) letter = 'T';
    else if (sec.type === SHT_NOBITS) letter = 'B';
    else if (sec.flags & SHF_WRITE) letter = 'D';
    else if (sec.flags & SHF_ALLOC) letter = 'R';
    else letter = 'N';
  }
  if (s.bind === STB_WEAK) return s.type === STT_OBJECT ? 'V' : 'W';
  return s.bind === STB_LOCAL ? letter.toLowerCase() : letter;
}

/** The vmlinux symbol table, relocated by the KASLR offset (only kernel-image addresses move). */
export function vmlinuxSymbols(elf: ElfFile, kaslrOffset: bigint): SymbolTable {
  const raw: RawSymbol[] = [];
  for (const s of elf.symbols()) {
    if (!s.name || s.type === STT_SECTION || s.type === STT_FILE) continue;
    if (s.type !== STT_FUNC && s.type !== STT_OBJECT && s.type !== 0) continue;
    const address = s.value >= START_KERNEL_MAP && s.shndx !== SHN_ABS ? BigInt.asUintN(64, s.value + kaslrOffset) : s.value;
    raw.push({ name: s.name, type: nmLetter(elf, s), address });
  }
  raw.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return new SymbolTable(raw);
}

export interface VmlinuxDebugInfo {
  elf: ElfFile;
  types: DwarfTypes;
  symbols: SymbolTable;
  /** Address → file:line; takes link-time addresses (subtract `kaslrOffset`). */
  lines: SourceLines;
  kaslrOffset: bigint;
}

/** The DWARF index is cached under what identifies the file: its build-id and size. */
export function dwarfIndexKey(elf: ElfFile): string {
  return `dwarf-${elf.buildId() ?? 'no-build-id'}-${elf.source.size}`;
}

/** Opens a vmlinux for a dump: checks it matches, indexes its DWARF, relocates its symbols. */
export function loadVmlinux(
  vmlinux: ByteSource,
  info: Vmcoreinfo | undefined,
  opts: { force?: boolean; onProgress?: (fraction: number, what: string) => void; cache?: KeyValueCache } = {},
): VmlinuxDebugInfo {
  const elf = new ElfFile(vmlinux);
  const fileId = elf.buildId();
  const dumpId = info?.buildId;
  if (fileId && dumpId && !fileId.startsWith(dumpId.toLowerCase()) && !opts.force)
    throw new KernelMismatch(
      `${vmlinux.name} does not match the dump: its build-id is ${fileId}, the crashed kernel's (VMCOREINFO BUILD-ID) is ${dumpId}. ` +
        'Give the vmlinux of the kernel that crashed (or force the pairing to go on anyway).',
    );
  if (!elf.section('.debug_info')) throw new CrashlensError(`${vmlinux.name} has no DWARF debug information (.debug_info): give the debug vmlinux`);
  const dwarf = new DwarfSections(elf);
  const key = dwarfIndexKey(elf);
  const cached = opts.cache?.get(key);
  let index = cached ? DwarfIndex.fromBytes(dwarf, cached, key) : undefined;
  if (!index) {
    index = DwarfIndex.build(dwarf, opts.onProgress);
    opts.cache?.set(key, index.toBytes(key));
  }
  const kaslrOffset = info?.kernelOffset ?? 0n;
  return { elf, types: new DwarfTypes(index), symbols: vmlinuxSymbols(elf, kaslrOffset), lines: new SourceLines(index), kaslrOffset };
}

