// crash's `rd`: memory as hex / decimal / ASCII / symbols, exactly as memory.c cmd_rd() and display_memory()
// print it, read the way crash's readmem() reads (kernel text and the direct map linearly, the rest through
// the page tables; the dump reader's own error words when a page is missing).
import { hex, phys } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError, PageMissing } from '../errors.ts';
import type { Command } from './command.ts';
import { kvtop, missingKind, mmOf, symbolsOf, tableReadError } from './vtop.ts';
import { CrashFatal, VADDR_PRLEN, finish, getopt, htol, isHexadecimal, mkstring, stol, usage } from './crash-tools.ts';

export type MemType = 'KVADDR' | 'UVADDR' | 'PHYSADDR';

const MEMTYPE_WORDS: Record<MemType, string> = { KVADDR: 'kernel virtual', UVADDR: 'user virtual', PHYSADDR: 'physical' };
const PAGE_SIZE = 4096n;

/**
 * crash's readmem() with FAULT_ON_ERROR: bytes, or a CrashFatal worded as crash words it ("page excluded:
 * kernel virtual address: ffff...  type: \"64-bit KVADDR\""). Translations are remembered per page for the
 * life of one command.
 */
export class CrashReader {
  private readonly pages = new Map<bigint, bigint | undefined>();
  private readonly elf: boolean;

  constructor(private readonly session: Session) {
    this.elf = /\bELF\b/.test(session.mem.format);
  }

  read(addr: bigint, memtype: MemType, size: number, type: string): Uint8Array {
    const invalid = (a: bigint): CrashFatal =>
      new CrashFatal(`invalid ${memtype === 'UVADDR' ? 'user' : 'kernel'} virtual address: ${hex(a)}  type: "${type}"`);
    // No task context yet: a user address never translates, as for a task without it mapped.
    if (memtype === 'UVADDR') throw invalid(addr);
    if (memtype === 'KVADDR' && !mmOf(this.session).layout.isKvaddr(addr)) throw invalid(addr);
    const out = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const a = BigInt.asUintN(64, addr + BigInt(done));
      let paddr: bigint;
      if (memtype === 'PHYSADDR') paddr = a;
      else {
        const page = this.translatePage(a - (a % PAGE_SIZE));
        if (page === undefined) throw invalid(a);
        paddr = page + (a % PAGE_SIZE);
      }
      const n = Math.min(Number(PAGE_SIZE - (paddr % PAGE_SIZE)), size - done);
      try {
        out.set(this.session.mem.read(phys(paddr), n), done);
      } catch (e) {
        // crash's ELF reader zero-fills the [p_filesz, p_memsz) tail of a segment, which our reader calls excluded.
        if (!(e instanceof PageMissing && this.elf && e.reason === 'excluded')) {
          if (e instanceof PageMissing) throw new CrashFatal(`${missingKind(this.session, e)}: ${MEMTYPE_WORDS[memtype]} address: ${hex(a)}  type: "${type}"`);
          if (e instanceof CrashlensError) throw new CrashFatal(`read error: ${MEMTYPE_WORDS[memtype]} address: ${hex(a)}  type: "${type}"`);
          throw e;
        }
      }
      done += n;
    }
    return out;
  }

  private translatePage(vpage: bigint): bigint | undefined {
    if (this.pages.has(vpage)) return this.pages.get(vpage);
    let p: bigint | undefined;
    try {
      p = kvtop(this.session, vpage);
    } catch (e) {
      if (e instanceof PageMissing) throw tableReadError(this.session, e);
      throw e;
    }
    if (p !== undefined) p -= p % PAGE_SIZE;
    this.pages.set(vpage, p);
    return p;
  }
}

type Display = 8 | 16 | 32 | 64 | 'ascii';

/** cmd_rd()'s flag word, one field per bit group it tests. */
export interface RdFlags {
  display: Display;
  hexadecimal: boolean;
  decimal: boolean;
  udecimal: boolean;
  symbolic: boolean;
  noAscii: boolean;
  netEndian: boolean;
}

/** ASCII_UNLIMITED: `rd -a` without a count stops at the first unprintable byte. */
const ASCII_UNLIMITED = -1n;

const RD_SYNOPSIS = '[-adDsSupxmfNR][-8|-16|-32|-64][-o offs][-e addr][-r file][address|symbol]\n     [count]';

/** Bytes per item and items per line for each width (display_memory()'s ENTRIES_*). */
const WIDTH: Record<Exclude<Display, 'ascii'>, { size: number; perLine: number; asciiStart: number; hexDigits: number }> = {
  64: { size: 8, perLine: 2, asciiStart: 37 + VADDR_PRLEN, hexDigits: 16 },
  32: { size: 4, perLine: 4, asciiStart: 39 + VADDR_PRLEN, hexDigits: 8 },
  16: { size: 2, perLine: 8, asciiStart: 43 + VADDR_PRLEN, hexDigits: 4 },
  8: { size: 1, perLine: 16, asciiStart: 51 + VADDR_PRLEN, hexDigits: 2 },
};

const isPrint = (b: number): boolean => b >= 0x20 && b < 0x7f;

function readLE(bytes: Uint8Array, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function swapBytes(v: bigint, size: number): bigint {
  let out = 0n;
  for (let i = 0; i < size; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * display_memory(): `count` items from `addr`. Returns what crash prints; a read failure ends the output
 * where crash's does, followed by its error.
 */
export function displayMemory(session: Session, addr: bigint, count: bigint, flags: RdFlags, memtype: MemType): string {
  if (count <= 0n && count !== ASCII_UNLIMITED) throw new CommandError(`invalid count request: ${count}`);
  const reader = new CrashReader(session);
  const symbols = flags.symbolic ? symbolsOf(session) : undefined;
  const asciiEndline = flags.hexadecimal && !flags.symbolic && !flags.noAscii && flags.display !== 'ascii';
  const addrCol = (a: bigint): string => `${mkstring(hex(a), VADDR_PRLEN, 'right')}:  `;
  let out = '';
  try {
    if (flags.display === 'ascii') {
      const type = 'ascii';
      let a = 0;
      let displayed = 0;
      for (let i = 0n; count === ASCII_UNLIMITED || i < count; i++) {
        const at = BigInt.asUintN(64, addr + i);
        const b = reader.read(at, memtype, 1, type)[0];
        if (isPrint(b)) {
          if (a % 60 === 0) {
            if (displayed && i) out += '\n';
            out += addrCol(at);
          }
          out += String.fromCharCode(b);
          displayed++;
          a++;
        } else {
          if (count === ASCII_UNLIMITED) return out;
          a = 0;
        }
      }
      return `${out}\n`;
    }
    const w = WIDTH[flags.display];
    const type = `${flags.display}-bit ${memtype}`;
    let hexchars = '';
    let linelen = 0;
    for (let i = 0n; i < count; i++) {
      const at = BigInt.asUintN(64, addr + i * BigInt(w.size));
      const bytes = reader.read(at, memtype, w.size, type);
      if (i % BigInt(w.perLine) === 0n) {
        if (i) out += `${asciiEndline ? `  ${hexchars}` : ''}\n`;
        out += addrCol(at);
        hexchars = '';
        linelen = VADDR_PRLEN + 3;
      }
      let v = readLE(bytes, w.size);
      // -N swaps 16- and 32-bit items to network order (htons/htonl); the ASCII column shows the swapped bytes.
      if (flags.netEndian && (w.size === 2 || w.size === 4)) v = swapBytes(v, w.size);
      const sym = w.size === 8 && flags.symbolic && flags.hexadecimal ? symbols?.symbolize(v) : undefined;
      if (sym !== undefined) {
        out += `${sym.padEnd(16)} `;
        linelen += sym.length + 1;
      } else if (flags.hexadecimal) {
        out += `${hex(v).padStart(w.hexDigits, '0')} `;
        linelen += w.hexDigits + 1;
      } else if (flags.decimal) out += decimal(v, w.size, true);
      else if (flags.udecimal) out += decimal(v, w.size, false);
      if (flags.hexadecimal) {
        for (let j = 0; j < w.size; j++) {
          const b = Number((v >> BigInt(8 * j)) & 0xffn);
          hexchars += isPrint(b) ? String.fromCharCode(b) : '.';
        }
      }
    }
    if (asciiEndline && hexchars) out += `${' '.repeat(Math.max(0, w.asciiStart - linelen))}  ${hexchars}`;
    return `${out}\n`;
  } catch (e) {
    return finish('rd', out, e);
  }
}

/** The decimal formats: 64-bit %15ld / %20lu, 32-bit %12d / %12u, 16- and 8-bit %5d / %3d of the unsigned value. */
function decimal(v: bigint, size: number, signed: boolean): string {
  if (size === 8) return `${(signed ? BigInt.asIntN(64, v) : v).toString().padStart(signed ? 15 : 20)} `;
  if (size === 4) return `${(signed ? BigInt.asIntN(32, v) : v).toString().padStart(12)} `;
  return `${v.toString().padStart(size === 2 ? 5 : 3)} `;
}

export const rdCommand: Command = {
  name: 'rd',
  summary: 'read memory',
  run({ session, args }) {
    const g = getopt('rd', args, 'Raxme:r:pfudDusSNo:81:3:6:');
    const flags: RdFlags = { display: 64, hexadecimal: true, decimal: false, udecimal: false, symbolic: false, noAscii: false, netEndian: false };
    let memtype: MemType = 'KVADDR';
    let reverse = false;
    let endaddr = 0n;
    let offset: bigint | undefined;
    const messages = [...g.errors];
    let argerrs = g.errors.length;
    for (const { c, arg } of g.opts) {
      switch (c) {
        case 'R': reverse = true; break;
        case 'a': flags.display = 'ascii'; break;
        case '8': flags.display = 8; break;
        case '1':
        case '3':
        case '6': {
          const want = { '1': '6', '3': '2', '6': '4' }[c];
          if (arg !== want) {
            messages.push(`rd: invalid option: ${c}${arg}`);
            argerrs++;
          } else flags.display = Number(c + arg) as Display;
          break;
        }
        case 'e': endaddr = htol(arg ?? ''); break;
        case 'r': throw new CommandError('-r: writing memory to a file is not supported');
        case 's':
        case 'S':
          // Only the 64-bit display has a symbolic form (DISPLAY_DEFAULT is DISPLAY_64 on x86-64).
          if (flags.display === 64) flags.symbolic = true;
          else {
            messages.push(`rd: -${c} option is only allowed with 64-bit display`);
            argerrs++;
          }
          break;
        case 'o': offset = stol(arg ?? ''); break;
        case 'p': memtype = 'PHYSADDR'; break;
        case 'u': memtype = 'UVADDR'; break;
        case 'd': flags.hexadecimal = false; flags.decimal = true; break;
        case 'D': flags.hexadecimal = false; flags.udecimal = true; break;
        case 'm': throw new CommandError('-m option only applies to xen architecture');
        case 'f': throw new CommandError('-f: reading the dump file by file offset is not supported');
        case 'x': flags.noAscii = true; break;
        case 'N': flags.netEndian = true; break;
        default: argerrs++;
      }
    }
    const pre = messages.length ? `${messages.join('\n')}\n` : '';
    if (argerrs || g.rest.length === 0) return pre + usage('rd', RD_SYNOPSIS);

    const word = g.rest[0];
    let addr: bigint;
    if (word.startsWith('(')) throw new CommandError(`${word}: expressions are not supported yet`);
    if (isHexadecimal(word)) addr = htol(word);
    else {
      const symbols = symbolsOf(session);
      if (!symbols) throw new CommandError(`cannot look up symbol "${word}": no kernel symbol table is loaded; give a hex address`);
      const at = symbols.lookup(word);
      if (at === undefined) {
        const alt = symbols.alternatives(word);
        return `symbol not found: ${word}\npossible alternatives:\n${alt.length ? alt.join('\n') : '  (none found)'}\n`;
      }
      addr = at;
    }
    if (offset !== undefined) addr = BigInt.asUintN(64, addr + offset);

    let count = g.rest[1] !== undefined ? stol(g.rest[1]) : -1n;
    let warning = '';
    const size = flags.display === 'ascii' ? 1n : BigInt(flags.display / 8);
    if (count === -1n) {
      if (endaddr) {
        if (endaddr <= addr) throw new CommandError(`invalid ending address: ${hex(endaddr)}`);
        count = (endaddr - addr) / size;
      } else count = flags.display === 'ascii' ? ASCII_UNLIMITED : 1n;
    } else if (endaddr) warning = 'WARNING: ending address ignored when count is specified\n';

    if (memtype === 'KVADDR' && !mmOf(session).layout.isKvaddr(addr)) memtype = 'UVADDR';
    // -R: the count items ending at the address, printed in ascending order.
    if (reverse && count > 1n) addr = BigInt.asUintN(64, addr - (count * size - size));

    try {
      return warning + displayMemory(session, addr, count, flags, memtype);
    } catch (e) {
      return finish('rd', warning, e);
    }
  },
};
