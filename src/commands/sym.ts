// sym: crash's cmd_sym (symbols.c) — a symbol to its address or an address to symbol+offset, the whole
// table (-l), a module's symbols (-m / -M), a substring search (-q / -Q), with neighbours (-n / -p).
// With a vmlinux, text symbols get crash's " file: line" suffix from its DWARF line tables; without one
// that suffix is left off, and -s (sections) cannot be answered.
import { hex } from '../addr.ts';
import { CommandError } from '../errors.ts';
import type { ModuleInfo } from '../symbols/kallsyms.ts';
import type { SymbolEntry, SymbolTable } from '../symbols/symbol-table.ts';
import { type Command, parseOptions } from './command.ts';
import type { Session } from '../engine/session.ts';

const USAGE = 'Usage:\n  sym [-l] | [-M] | [-m module] | [-p|-n] | [-q string] | [symbol | vaddr]\nEnter "help sym" for details.\n';

/** crash's show_symbol(): "<addr> (<type>) <name>[+0x<off>][ [module]]". */
function showSymbol(s: SymbolEntry, offset: bigint, withModule: boolean, where?: LineOf): string {
  let line =
    offset !== 0n ? `${hex(s.address + offset)} (${s.type}) ${s.name}+0x${hex(offset)}` : `${hex(s.address)} (${s.type}) ${s.name}`;
  if (withModule && s.module) line += ` [${s.module.name}]`;
  else if (where && (s.type === 'T' || s.type === 't')) {
    const at = where(s.address + offset);
    if (at) line += ` ${at.file}: ${at.line}`;
  }
  return line;
}

type LineOf = (addr: bigint) => { file: string; line: number } | undefined;

/** Source lines from the vmlinux's DWARF (link-time addresses: the KASLR offset removed). */
function lineOf(session: Session): LineOf | undefined {
  const d = session.debugInfo;
  if (!d) return undefined;
  return (addr) => {
    try {
      return d.lines.lookup(BigInt.asUintN(64, addr - d.kaslrOffset));
    } catch {
      return undefined;
    }
  };
}

/** crash's hexadecimal(): only hex digits and x/X, at least one digit. */
function looksHex(s: string): boolean {
  return /^[0-9a-fA-FxX]+$/.test(s) && /[0-9a-fA-F]/.test(s);
}

/** crash's clean_arg(): a trailing ',' or ':' after a number is dropped. */
function cleanArg(s: string): string {
  if ((s.endsWith(',') || s.endsWith(':')) && /^(0x)?[0-9a-f]+$/i.test(s.slice(0, -1))) return s.slice(0, -1);
  return s;
}

/** One module's lines as symbol_dump() prints them: core markers and symbols, then the init region's. */
export function moduleDump(table: SymbolTable, m: ModuleInfo): string[] {
  const lines: string[] = [];
  const entries = table.moduleSymbols(m);
  const end = m.base + BigInt(m.size);
  const core = entries.filter((e) => (e.pseudo ? e.pseudo === 'start' || e.pseudo === 'end' : e.address >= m.base && e.address <= end));
  const init = entries.filter((e) => (e.pseudo ? e.pseudo === 'init_start' || e.pseudo === 'init_end' : !(e.address >= m.base && e.address <= end)));
  for (const e of [...core, ...init]) {
    if (e.pseudo === 'start') lines.push(`${hex(e.address)} MODULE START: ${m.name}`);
    else if (e.pseudo === 'end') lines.push(`${hex(e.address)} MODULE END: ${m.name}`);
    else if (e.pseudo === 'init_start') lines.push(`${hex(e.address)} MODULE INIT START: ${m.name}`);
    else if (e.pseudo === 'init_end') lines.push(`${hex(e.address)} MODULE INIT END: ${m.name}`);
    else lines.push(showSymbol(e, 0n, false));
  }
  return lines;
}

export const symCommand: Command = {
  name: 'sym',
  summary: 'translate a symbol to its virtual address, or vice-versa',
  run({ session, args }) {
    const opts = parseOptions(args, 'lLQ:q:npsMm:');
    if (opts.flags.has('s')) throw new CommandError('-s needs the kernel\'s section headers: open the dump with its vmlinux');
    const loaded = session.loadedSymbols();
    const table = loaded.table;
    // Asking for module symbols that could not be read is an error, not an empty answer.
    if ((opts.values.has('m') || opts.flags.has('M')) && loaded.modulesSkipped) throw new CommandError(loaded.modulesSkipped);
    const out: string[] = [];
    let others = false;
    const next = opts.flags.has('n');
    const prev = opts.flags.has('p');
    const where = lineOf(session);

    const Q = opts.values.get('Q');
    if (Q !== undefined) {
      const hits = table.query(Q);
      out.push(`${hits.length} found ${hits.length ? `(${hits[hits.length - 1].name})` : ''}`);
      others = true;
    }
    const q = opts.values.get('q');
    if (q !== undefined) {
      const hits = table.query(q);
      for (const h of hits) out.push(showSymbol(h, 0n, true));
      if (hits.length === 0) out.push('(none found)');
      others = true;
    }
    const mod = opts.values.get('m');
    if (mod !== undefined) {
      for (const m of table.modules) if (m.name === mod) out.push(...moduleDump(table, m));
      others = true;
    }
    if (opts.flags.has('M')) {
      for (const m of table.modules) out.push(...moduleDump(table, m));
      others = true;
    }
    if (opts.flags.has('l') || opts.flags.has('L')) {
      for (const s of table.kernelSymbols()) out.push(showSymbol(s, 0n, false));
      for (const m of table.modules) out.push(...moduleDump(table, m));
      others = true;
    }

    if (opts.rest.length === 0) {
      if (!others) return USAGE;
      return out.join('\n');
    }

    for (const raw of opts.rest) {
      const arg = cleanArg(raw);
      const named = table.findAll(arg);
      if (named.length === 0 && looksHex(arg)) {
        const digits = /^0x/i.test(arg) ? arg.slice(2) : arg;
        const value = /^[0-9a-f]{1,16}$/i.test(digits) ? BigInt(`0x${digits}`) : undefined;
        if (value === undefined || !table.inRange(value)) {
          out.push(`sym: invalid address: ${raw}`);
          continue;
        }
        const r = table.resolve(value);
        if (!r) {
          out.push(`symbol not found: ${raw}`);
          continue;
        }
        if (prev) {
          const p = table.prev(r.symbol);
          if (p) out.push(showSymbol(p, 0n, true));
        }
        out.push(showSymbol(r.symbol, r.offset, true, where));
        if (next) {
          const n = table.next(r.symbol);
          if (n) out.push(showSymbol(n, 0n, true));
        }
        continue;
      }
      if (named.length === 0) {
        out.push(`symbol not found: ${raw}`, 'possible alternatives:');
        const alts = table.query(arg);
        for (const a of alts) out.push(`  ${showSymbol(a, 0n, true)}`);
        if (alts.length === 0) out.push('  (none found)');
        continue;
      }
      for (const s of named) {
        if (prev) {
          const p = table.prev(s);
          if (p) out.push(showSymbol(p, 0n, true));
        }
        out.push(showSymbol(s, 0n, true, where));
        if (next) {
          const n = table.next(s);
          if (n) out.push(showSymbol(n, 0n, true));
        }
      }
    }
    return out.join('\n');
  },
};
