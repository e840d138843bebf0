// crash's `vtop`: a virtual address's translation, the page-table walk that gives it (memory.c do_vtop(),
// x86_64.c x86_64_kvtop() with verbose output, x86_64_translate_pte()) and the struct page of the result
// (memory.c dump_mem_map_SPARSEMEM()).
//
// Also home of what rd and ptov share with it: crash's view of the x86-64 kernel address space
// (KernelLayout: which addresses it walks through the page tables and which it maps linearly), its kvtop(),
// and the kernel symbols as these commands use them. crash's generic tools are in crash-tools.ts.
import { hex, kv } from '../addr.ts';
import { START_KERNEL_MAP, type Walk } from '../arch/x86-64-paging.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError, PageMissing } from '../errors.ts';
import { MemMap, type SymbolLookup } from '../kernel/mm-page.ts';
import type { SymbolTable } from '../symbols/symbol-table.ts';
import { memberOffset } from '../types/type.ts';
import type { Command } from './command.ts';
import { VADDR_PRLEN, UVADDR_PRLEN, mkstring, CrashFatal, htol, getopt, usage, finish } from './crash-tools.ts';

// ---------------------------------------------------------------------------------------------------------
// The session's kernel symbols (kallsyms from the dump) as rd, vtop and ptov use them. A dump whose symbols
// cannot be read still gets every answer that does not need them.

/** What crash's symbol_search / value_to_symstr / symbol_query give these commands. */
export interface CommandSymbols extends SymbolLookup {
  symbolize(value: bigint): string | undefined;
  /** symbol_query(): "  <addr> (<type>) <name>[ [module]]" lines for names containing `text`. */
  alternatives(text: string): string[];
}

export function symbolsOf(session: Session): CommandSymbols | undefined {
  let table: SymbolTable;
  try {
    table = session.symbols;
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
  return {
    lookup: (name) => table.find(name)?.address,
    // in_ksymbol_range() + value_to_symstr() with crash's default output radix (10).
    symbolize(value) {
      if (!table.inRange(value)) return undefined;
      const r = table.resolve(value);
      if (!r) return undefined;
      return r.offset ? `${r.symbol.name}+${r.offset}` : r.symbol.name;
    },
    alternatives: (text) =>
      table.query(text).map((e) => `  ${hex(e.address)} (${e.type}) ${e.name}${e.module ? ` [${e.module.name}]` : ''}`),
  };
}

// ---------------------------------------------------------------------------------------------------------
// crash's x86-64 address-space layout (x86_64.c x86_64_init(), IS_VMALLOC_ADDR, x86_64_VTOP).

const TB = 1n << 40n;
const GB = 1n << 30n;
const PAGE_OFFSET_4LEVEL_4_20 = 0xffff888000000000n;
const PAGE_OFFSET_5LEVEL_4_20 = 0xff11000000000000n;
const VMALLOC_START_2_6_31 = 0xffffc90000000000n;
const VMALLOC_END_2_6_31 = 0xffffe8ffffffffffn;
const VMEMMAP_START_2_6_31 = 0xffffea0000000000n;
const VMEMMAP_END_2_6_31 = 0xffffeaffffffffffn;
const MODULES_VADDR_2_6_31 = 0xffffffffa0000000n;
const MODULES_END_2_6_31 = 0xffffffffff000000n;
const VSYSCALL_START = 0xffffffffff600000n;
const VSYSCALL_END = 0xffffffffff601000n;
const CPU_ENTRY_AREA_START = 0xfffffe0000000000n;
const CPU_ENTRY_AREA_END = 0xfffffe7fffffffffn;

export class KernelLayout {
  readonly levels: 4 | 5;
  readonly pageOffset: bigint;
  readonly userspaceTop: bigint;
  /** CONFIG_RANDOMIZE_MEMORY: the direct map, vmalloc and vmemmap bases are randomized. */
  readonly randomized: boolean;
  readonly vmallocStart: bigint;
  readonly vmallocEnd: bigint;
  readonly vmemmapStart: bigint;
  readonly vmemmapEnd: bigint;
  readonly modulesStart: bigint;
  readonly modulesEnd: bigint;
  readonly physBase: bigint;
  /** crash's PHYSICAL_PAGE_MASK: 46 physical-address bits with 4-level paging, 52 with 5-level. */
  readonly physPageMask: bigint;
  /** How each base was found, for tests and `help`-style diagnostics. */
  readonly sources: Record<'pageOffset' | 'vmalloc' | 'vmemmap', string>;

  constructor(session: Session, memMap: MemMap | undefined) {
    const k = session.kernel;
    const info = k.info;
    const symbols = symbolsOf(session);
    const readSym = (name: string): bigint | undefined => {
      const at = symbols?.lookup(name);
      if (at === undefined) return undefined;
      try {
        return k.readU64(kv(at));
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
        return undefined;
      }
    };
    this.levels = k.levels;
    this.physBase = k.physBase;
    this.physPageMask = ((1n << (this.levels === 5 ? 52n : 46n)) - 1n) & ~0xfffn;
    this.userspaceTop = this.levels === 5 ? 0x0100000000000000n : 0x0000800000000000n;

    // crash reads page_offset_base / vmalloc_base / vmemmap_base. Without symbols: the direct map's base comes
    // from mem_section (X86_64AddressSpace.pageOffset), vmemmap_base from section_mem_map, and vmalloc_base
    // from the first vmalloc area (KASLR bases are 1 GiB aligned; the first area sits at the base).
    const symPageOffset = readSym('page_offset_base');
    const symVmalloc = readSym('vmalloc_base');
    const defaultOffset = this.levels === 5 ? PAGE_OFFSET_5LEVEL_4_20 : PAGE_OFFSET_4LEVEL_4_20;
    this.pageOffset = symPageOffset ?? k.pageOffset;
    this.randomized = symPageOffset !== undefined && symVmalloc !== undefined ? true : this.pageOffset !== defaultOffset;
    this.sources = {
      pageOffset: symPageOffset !== undefined ? 'page_offset_base' : 'mem_section',
      vmalloc: 'default',
      vmemmap: 'default',
    };
    if (this.randomized) {
      let vmalloc = symVmalloc;
      if (vmalloc !== undefined) this.sources.vmalloc = 'vmalloc_base';
      else {
        vmalloc = firstVmapArea(session);
        if (vmalloc !== undefined) {
          vmalloc &= ~(GB - 1n);
          this.sources.vmalloc = 'vmap_area_list';
        }
      }
      this.vmallocStart = vmalloc ?? VMALLOC_START_2_6_31;
      this.vmallocEnd = this.vmallocStart + (this.levels === 5 ? 1280n : 32n) * TB - 1n;
      let vmemmap = readSym('vmemmap_base');
      if (vmemmap !== undefined) this.sources.vmemmap = 'vmemmap_base';
      else {
        vmemmap = memMap?.vmemmapBase;
        if (vmemmap !== undefined) this.sources.vmemmap = 'mem_section';
      }
      if (vmemmap !== undefined) {
        this.vmemmapStart = vmemmap;
        this.vmemmapEnd = vmemmap + TB - 1n;
      } else {
        this.vmemmapStart = VMEMMAP_START_2_6_31;
        this.vmemmapEnd = VMEMMAP_END_2_6_31;
      }
    } else {
      // crash applies the 4-level defaults to any unrandomized 2.6.31+ kernel, 5-level included.
      this.vmallocStart = VMALLOC_START_2_6_31;
      this.vmallocEnd = VMALLOC_END_2_6_31;
      this.vmemmapStart = VMEMMAP_START_2_6_31;
      this.vmemmapEnd = VMEMMAP_END_2_6_31;
    }
    const kaslr = this.randomized || k.kernelOffset !== 0n;
    const imageSize = info.tryNumber('KERNEL_IMAGE_SIZE') ?? GB;
    this.modulesStart = kaslr ? START_KERNEL_MAP + imageSize : MODULES_VADDR_2_6_31;
    this.modulesEnd = MODULES_END_2_6_31;
  }

  isKvaddr(a: bigint): boolean {
    return a >= this.pageOffset;
  }

  isUvaddr(a: bigint): boolean {
    return a < this.userspaceTop;
  }

  /** Addresses crash translates through the page tables; the rest of kernel space is linear. */
  isVmalloc(a: bigint): boolean {
    return (
      (a >= this.vmallocStart && a <= this.vmallocEnd) ||
      (a >= this.vmemmapStart && a <= this.vmemmapEnd) ||
      (a >= this.modulesStart && a <= this.modulesEnd) ||
      (a >= VSYSCALL_START && a < VSYSCALL_END) ||
      (a >= CPU_ENTRY_AREA_START && a <= CPU_ENTRY_AREA_END) ||
      (this.levels === 5 && a > this.vmallocEnd && a < this.vmemmapStart)
    );
  }

  /** crash's x86_64_VTOP(): kernel text above __START_KERNEL_map, the direct map below. */
  linear(a: bigint): bigint {
    return BigInt.asUintN(64, a >= START_KERNEL_MAP ? a - START_KERNEL_MAP + this.physBase : a - this.pageOffset);
  }

  /** crash's PTOV(). */
  ptov(p: bigint): bigint {
    return BigInt.asUintN(64, p + this.pageOffset);
  }
}

/** va_start of the first entry of vmap_area_list (a list_head), from VMCOREINFO's offsets. */
function firstVmapArea(session: Session): bigint | undefined {
  const k = session.kernel;
  const info = k.info;
  const list = info.trySymbol('vmap_area_list');
  if (list === undefined || !info.has('OFFSET(vmap_area.list)') || !info.has('OFFSET(vmap_area.va_start)')) return undefined;
  try {
    const first = k.readU64(kv(list));
    if (first === list) return undefined;
    return k.readU64(kv(first - BigInt(info.offset('vmap_area.list')) + BigInt(info.offset('vmap_area.va_start'))));
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
    return undefined;
  }
}

interface SessionMm {
  layout: KernelLayout;
  memMap: MemMap | undefined;
}
const perSession = new WeakMap<Session, SessionMm>();

/** struct page's `index` member from the kernel's types (BTF or a vmlinux), when there are any. */
function pageIndexOffset(session: Session): number | undefined {
  try {
    const page = session.program.tryType('struct page');
    return page ? memberOffset(page, 'index')?.offset : undefined;
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

/** The session's layout and struct page lookup, built once. */
export function mmOf(session: Session): SessionMm {
  let mm = perSession.get(session);
  if (!mm) {
    const memMap = MemMap.tryCreate(session.kernel, session.kernel.info, symbolsOf(session), { indexOffset: pageIndexOffset(session) });
    mm = { layout: new KernelLayout(session, memMap), memMap };
    perSession.set(session, mm);
  }
  return mm;
}

/** The size of the page a completed walk ends in, from the level of its last entry. */
function walkPageSize(levels: number, w: Walk): bigint {
  return 1n << BigInt(12 + 9 * (levels - w.steps.length));
}

/**
 * crash's kvtop() without output: linear for kernel text and the direct map, a page-table walk for the
 * vmalloc-like regions. undefined when the address is not a kernel address or the walk finds no page.
 * A page-table page missing from the dump throws PageMissing.
 */
export function kvtop(session: Session, vaddr: bigint): bigint | undefined {
  const { layout } = mmOf(session);
  if (!layout.isKvaddr(vaddr)) return undefined;
  if (!layout.isVmalloc(vaddr)) return layout.linear(vaddr);
  const w = session.kernel.walk(kv(vaddr));
  if (w.phys === undefined) return undefined;
  const last = w.steps[w.steps.length - 1].entry;
  // crash adds the offset to the entry's address bits as they are (a huge page's PAT bit included).
  return (last & layout.physPageMask) + (vaddr & (walkPageSize(layout.levels, w) - 1n));
}

// ---------------------------------------------------------------------------------------------------------
// vtop itself.

const PAGE_PRESENT = 0x1n;
const PAGE_PSE = 0x80n;
const PAGE_GLOBAL = 0x100n;
/** _PAGE_PROTNONE is _PAGE_GLOBAL on 2.6.28+ kernels. */
const PAGE_PROTNONE = PAGE_GLOBAL;
const PTE_FLAG_NAMES: [bigint, string][] = [
  [0x1n, 'PRESENT'], [0x2n, 'RW'], [0x4n, 'USER'], [0x8n, 'PWT'], [0x10n, 'PCD'], [0x20n, 'ACCESSED'], [0x40n, 'DIRTY'],
];

/** x86_64_translate_pte() for a present (or PROT_NONE) entry: the PTE / PHYSICAL / FLAGS table. */
export function translatePte(pte: bigint, physPageMask: bigint): string {
  const ptebuf = hex(pte);
  const len1 = Math.max(ptebuf.length, 3);
  let out = `${mkstring('PTE', len1, 'center-left')}  `;
  if ((pte & (PAGE_PRESENT | PAGE_PROTNONE)) === 0n && pte !== 0n) {
    // A swap entry: crash names the swap device, which needs swap_info from the symbol table.
    throw new CrashFatal('cannot determine swap location', out);
  }
  const physbuf = hex(pte & physPageMask);
  const len2 = Math.max(physbuf.length, 8);
  out += `${mkstring('PHYSICAL', len2, 'center-left')}  FLAGS\n`;
  out += `${mkstring(ptebuf, len1, 'center-right')}  ${mkstring(physbuf, len2, 'center-right')}  (`;
  const names: string[] = [];
  if (pte !== 0n) {
    for (const [bit, name] of PTE_FLAG_NAMES) if (pte & bit) names.push(name);
    if (pte & PAGE_PSE && pte & PAGE_PRESENT) names.push('PSE');
    if (pte & PAGE_PROTNONE && !(pte & PAGE_PRESENT)) names.push('PROTNONE');
    if (pte & PAGE_GLOBAL) names.push('GLOBAL');
    if (pte >> 63n) names.push('NX');
  }
  return `${out}${pte !== 0n ? names.join('|') : 'no mapping'})\n`;
}

/** The verbose part of x86_64_kvtop(): the kernel page-table walk, entry by entry. */
export function walkText(session: Session, vaddr: bigint): string {
  const k = session.kernel;
  const { layout } = mmOf(session);
  let out = `PGD DIRECTORY: ${hex(k.rootVirt)}\n`;
  const w = k.walk(kv(vaddr));
  const [top, ...rest] = w.steps;
  out += `PAGE DIRECTORY: ${hex(top.entry)}\n`;
  if (!(top.entry & PAGE_PRESENT)) return out;
  for (const step of rest) {
    out += `   ${step.level}: ${hex(step.entryAddr)} => ${hex(step.entry)}\n`;
    if (!(step.entry & PAGE_PRESENT)) {
      if (step.level === 'PTE' && step.entry !== 0n) {
        out += '\n';
        try {
          out += translatePte(step.entry, layout.physPageMask);
        } catch (e) {
          if (e instanceof CrashFatal) throw new CrashFatal(e.message, out + e.partial);
          throw e;
        }
      }
      return out;
    }
    const huge = (step.level === 'PUD' || step.level === 'PMD') && step.entry & PAGE_PSE;
    if (huge || step.level === 'PTE') {
      const base = step.entry & ~0xfffn & layout.physPageMask;
      out += `  PAGE: ${hex(base)}${huge ? `  (${step.level === 'PUD' ? '1GB' : '2MB'})` : ''}\n\n`;
      return out + translatePte(step.entry, layout.physPageMask);
    }
  }
  return out;
}

/** dump_mem_map_SPARSEMEM()'s header for an address-specified lookup. */
export const PAGE_HEADER =
  `${mkstring('PAGE', VADDR_PRLEN, 'center-left')} ${mkstring('PHYSICAL', 8, 'right')} ` +
  `${mkstring('MAPPING', VADDR_PRLEN, 'center-right')} ${mkstring('INDEX', 8, 'center-right')}CNT FLAGS\n`;

/** The mem_map line for the page holding `phys` (crash's dump_mem_map, ADDRESS_SPECIFIED), or '' if it has no struct page. */
export function pageLine(session: Session, phys: bigint): string {
  const { memMap } = mmOf(session);
  if (!memMap) return '';
  const pfn = phys >> 12n;
  const addr = memMap.pfnToPage(pfn);
  if (addr === undefined) return '';
  const p = memMap.readPage(addr);
  return (
    `${hex(addr).padEnd(VADDR_PRLEN)} ${hex(pfn << 12n).padStart(8)} ${hex(p.mapping).padStart(VADDR_PRLEN)} ` +
    `${hex(p.index).padStart(8)} ${p.count.toString().padStart(2)} ${memMap.formatFlags(p.flags)}\n`
  );
}

const VTOP_SYNOPSIS = '[-c [pid | taskp]] [-u|-k] address ...';

/** How do_vtop() treats the address: -u / -k, or by its value (vaddr_type()). */
type VtopSpace = 'user' | 'kernel';

export const vtopCommand: Command = {
  name: 'vtop',
  summary: 'virtual to physical',
  run({ session, args }) {
    const g = getopt('vtop', args, 'ukc:');
    let forced: VtopSpace | undefined;
    let user = false;
    let kernel = false;
    let bad = g.errors.length > 0;
    for (const o of g.opts) {
      if (o.c === 'u') user = true;
      else if (o.c === 'k') kernel = true;
      else if (o.c === 'c') throw new CommandError(`-c ${o.arg}: translating through a task's page tables needs the task list, which Crashlens does not read yet`);
      else bad = true;
    }
    const pre = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    if (bad || g.rest.length === 0) return pre + usage('vtop', VTOP_SYNOPSIS);
    if (user && kernel) throw new CommandError('-u and -k options are mutually exclusive');
    if (user) forced = 'user';
    if (kernel) forced = 'kernel';

    const { layout } = mmOf(session);
    let out = '';
    let headerPrinted = false;
    try {
      for (const [n, word] of g.rest.entries()) {
        const vaddr = htol(word);
        let space = forced;
        if (!space) {
          const u = layout.isUvaddr(vaddr);
          const k = layout.isKvaddr(vaddr);
          if (u === k) throw new CrashFatal(`ambiguous address: ${hex(vaddr)}  (requires -u or -k)`);
          space = u ? 'user' : 'kernel';
        }
        if (n > 0) out += '\n';
        if (space === 'user') {
          // The current task's VMAs decide; without the task list crash's answer for a task without this
          // address mapped is the only one we can give.
          out += `${mkstring('VIRTUAL', UVADDR_PRLEN, 'left')}  ${mkstring('PHYSICAL', VADDR_PRLEN, 'left')}\n`;
          out += `${mkstring(hex(vaddr), UVADDR_PRLEN, 'left')}  (not accessible)\n\n`;
          continue;
        }
        out += `${mkstring('VIRTUAL', VADDR_PRLEN, 'left')}  ${mkstring('PHYSICAL', VADDR_PRLEN, 'left')}\n`;
        if (!layout.isKvaddr(vaddr)) {
          out += `${hex(vaddr).padEnd(8)}  (not a kernel virtual address)\n\n`;
          continue;
        }
        const phys = kvtop(session, vaddr);
        out += `${mkstring(hex(vaddr), VADDR_PRLEN, 'left')}  ${phys === undefined ? '(not mapped)' : mkstring(hex(phys), VADDR_PRLEN, 'left')}\n\n`;
        out += walkText(session, vaddr);
        out += '\n';
        if (phys !== undefined) {
          const line = pageLine(session, phys);
          if (line) {
            // crash prints the header once per command (HEADER_PRINTED).
            if (!headerPrinted) out += PAGE_HEADER;
            headerPrinted = true;
            out += line;
          }
        }
      }
    } catch (e) {
      if (e instanceof CrashFatal) return finish('vtop', out + e.partial, e);
      if (e instanceof PageMissing) return finish('vtop', out, tableReadError(session, e));
      return finish('vtop', out, e);
    }
    return out;
  },
};

/** A page-table page missing from the dump: crash's FILL_* readmem fails with the dump reader's error. */
export function tableReadError(session: Session, e: PageMissing): CrashFatal {
  return new CrashFatal(`${missingKind(session, e)}: physical address: ${hex(e.pfn << 12n)}  type: "page table"`);
}

/**
 * The word crash's readmem() uses for a page the dump cannot give: its diskdump reader says "seek error" for
 * pages that are not RAM or beyond max_mapnr, "page excluded" for filtered ones, "page incomplete" for the
 * empty descriptors of an incomplete dump; its ELF reader says "read error" for anything outside PT_LOAD data.
 */
export function missingKind(session: Session, e: PageMissing): string {
  const elf = /\bELF\b/.test(session.mem.format);
  if (elf) return 'read error';
  if (e.reason === 'excluded') return 'page excluded';
  if (e.reason === 'absent') return 'seek error';
  return session.mem.incomplete ? 'page incomplete' : 'read error';
}
