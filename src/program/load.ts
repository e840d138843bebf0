// Builds a Program from what the user gave: the dump plus a vmlinux (DWARF types, ELF symbols) or the dump
// alone (BTF types and kallsyms read from its memory). The vmlinux must be the kernel that crashed: its
// build-id is compared with VMCOREINFO's, and a mismatch is an error naming both (unless forced).
import { START_KERNEL_MAP } from '../arch/x86-64-paging.ts';
import { ElfFile, SHT_NOBITS } from '../debuginfo/elf.ts';
import { DwarfIndex } from '../debuginfo/dwarf/name-index.ts';
import { DwarfSections } from '../debuginfo/dwarf/sections.ts';
import { DwarfTypes } from '../debuginfo/dwarf/types.ts';
import { SourceLines } from '../debuginfo/dwarf/source-lines.ts';
import { CrashlensError } from '../errors.ts';
import type { ByteSource } from '../io/byte-source.ts';
import type { KeyValueCache } from '../io/kv-cache.ts';
import { SymbolTable } from '../symbols/symbol-table.ts';
import { stripCloneSuffix } from '../symbols/kallsyms.ts';
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

/** nm's letter for the symbols of each section (T text, B bss, D data, R read-only). */
function sectionLetters(elf: ElfFile): string[] {
  return elf.sections.map((sec) =>
    sec.flags & SHF_EXECINSTR ? 'T' : sec.type === SHT_NOBITS ? 'B' : sec.flags & SHF_WRITE ? 'D' : sec.flags & SHF_ALLOC ? 'R' : 'N',
  );
}

/** nm's letter for an ELF symbol (T/t text, D/d data, B/b bss, R/r read-only, A absolute, W/V weak). */
function nmLetter(letters: string[], type: number, bind: number, shndx: number): string {
  const letter = shndx === SHN_ABS ? 'A' : (letters[shndx] ?? 'U');
  if (bind === STB_WEAK) return type === STT_OBJECT ? 'V' : 'W';
  return bind === STB_LOCAL ? letter.toLowerCase() : letter;
}

/**
 * The vmlinux symbol table, relocated by the KASLR offset (only kernel-image addresses move). Built as
 * columns and sorted through 32-bit halves of the addresses: the 120,000 symbols of a distribution kernel
 * would otherwise cost a second of bigint garbage.
 */
export function vmlinuxSymbols(elf: ElfFile, kaslrOffset: bigint): SymbolTable {
  const c = elf.symbolColumns();
  const letters = sectionLetters(elf);
  const keep: number[] = [];
  const relocated = new BigUint64Array(c.names.length);
  for (let i = 0; i < c.names.length; i++) {
    const type = c.info[i] & 0xf;
    if (!c.names[i] || type === STT_SECTION || type === STT_FILE) continue;
    if (type !== STT_FUNC && type !== STT_OBJECT && type !== 0) continue;
    const v = c.values[i];
    relocated[i] = v >= START_KERNEL_MAP && c.shndx[i] !== SHN_ABS ? BigInt.asUintN(64, v + kaslrOffset) : v;
    keep.push(i);
  }
  const halves = new Uint32Array(relocated.buffer);
  // crash's order: by address, then by name (symbols sharing an address, e.g. __sched_text_start and
  // __schedule, resolve to the last one, as crash resolves them).
  const names0 = c.names.map(stripCloneSuffix);
  keep.sort((a, b) => halves[2 * a + 1] - halves[2 * b + 1] || halves[2 * a] - halves[2 * b] || (names0[a] < names0[b] ? -1 : names0[a] > names0[b] ? 1 : 0));
  const addresses = new BigUint64Array(keep.length);
  const names = new Array<string>(keep.length);
  const types = new Array<string>(keep.length);
  keep.forEach((i, k) => {
    addresses[k] = relocated[i];
    names[k] = names0[i];
    types[k] = nmLetter(letters, c.info[i] & 0xf, c.info[i] >> 4, c.shndx[i]);
  });
  return new SymbolTable({ addresses, names, types });
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

/** The vmlinux's linux_banner string ("Linux version ..."), from its symbol table and data. */
export function vmlinuxBanner(elf: ElfFile): string | undefined {
  const c = elf.symbolColumns();
  const i = c.names.indexOf('linux_banner');
  if (i < 0) return undefined;
  const bytes = elf.readAt(c.values[i], Math.min(Number(c.sizes[i]) || 256, 1024));
  if (!bytes) return undefined;
  const end = bytes.indexOf(0);
  return new TextDecoder('latin1').decode(end >= 0 ? bytes.subarray(0, end) : bytes);
}

/**
 * Is this vmlinux the kernel that crashed? By build-id when both have one (VMCOREINFO BUILD-ID, Linux
 * commit 0935288c6e00, v5.9); otherwise by linux_banner (read from the dump) or at least by release.
 */
function checkMatch(elf: ElfFile, name: string, info: Vmcoreinfo | undefined, dumpBanner?: () => string | undefined): void {
  const advice = 'Give the vmlinux of the kernel that crashed (or --force to go on anyway).';
  const fileId = elf.buildId();
  const dumpId = info?.buildId;
  if (fileId && dumpId) {
    if (!fileId.startsWith(dumpId.toLowerCase()))
      throw new KernelMismatch(`${name} does not match the dump: its build-id is ${fileId}, the crashed kernel's (VMCOREINFO BUILD-ID) is ${dumpId}. ${advice}`);
    return;
  }
  const banner = vmlinuxBanner(elf);
  if (!banner) return;
  let theirs: string | undefined;
  try {
    theirs = dumpBanner?.();
  } catch {
    theirs = undefined;
  }
  if (theirs !== undefined && theirs.trim() !== banner.trim())
    throw new KernelMismatch(`${name} does not match the dump: its banner is "${banner.trim()}", the crashed kernel's is "${theirs.trim()}". ${advice}`);
  const release = info?.osrelease;
  if (theirs === undefined && release && !banner.includes(`Linux version ${release} `))
    throw new KernelMismatch(`${name} does not match the dump: its banner is "${banner.trim()}", the crashed kernel is ${release}. ${advice}`);
}

/** Opens a vmlinux for a dump: checks it matches, indexes its DWARF, relocates its symbols. */
export function loadVmlinux(
  vmlinux: ByteSource,
  info: Vmcoreinfo | undefined,
  opts: {
    force?: boolean;
    onProgress?: (fraction: number, what: string) => void;
    cache?: KeyValueCache;
    /** The crashed kernel's linux_banner read from the dump, when it can be (for dumps without BUILD-ID). */
    dumpBanner?: () => string | undefined;
  } = {},
): VmlinuxDebugInfo {
  const elf = new ElfFile(vmlinux);
  if (!opts.force) checkMatch(elf, vmlinux.name, info, opts.dumpBanner);
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

