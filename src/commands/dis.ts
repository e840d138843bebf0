// crash's `dis` (kernel.c cmd_dis()): disassembly of kernel text as crash prints gdb's `x/Ni` output after
// its x86-64 filter (x86_64.c x86_64_dis_filter()): "0x<addr> <symbol+offset>:\t<instruction>", branch
// and %rip-relative targets named after crash's own symbol table, ftrace call sites marked. Options:
// a whole function (a text symbol), COUNT instructions, -r (from the function start up to an address),
// -f (from an address to the function end), -l (source file: line as it changes), -x / -d (offset radix).
import { hex } from '../addr.ts';
import { type Insn, disassemble, formatInsn } from '../arch/x86-64-disasm.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import type { SymbolEntry, SymbolTable } from '../symbols/symbol-table.ts';
import { START_KERNEL_MAP } from '../arch/x86-64-paging.ts';
import type { Command } from './command.ts';
import { CrashReader } from './rd.ts';
import { mmOf } from './vtop.ts';
import { CrashFatal, finish, getopt, htol, isHexadecimal, stol, usage } from './crash-tools.ts';

const SYNOPSIS = '[-rfludxs][-b [num]] [address | symbol | (expression)] [count]';
const DIS_ERR = (a: bigint): string => `gdb unable to disassemble kernel virtual address ${hex(a)}`;
/** The longest x86 instruction. */
const MAX_INSN = 15;

/** crash's strip_symbol_end(): gcc's clone suffixes are not part of crash's symbol names. */
export function crashSymbolName(name: string): string {
  const m = /\.(isra|part|llvm)\./.exec(name);
  return m ? name.slice(0, m.index) : name;
}

/**
 * The kernel symbols as crash holds them: sorted by address and then by name (numeric_forward() in
 * symbols.c), so among aliases value_search() returns the first name for an exact address and the last
 * one for an address inside the symbol.
 */
export class CrashSymbols {
  private byStripped: Map<string, SymbolEntry[]> | undefined;

  constructor(
    readonly table: SymbolTable,
    /** The dump's kallsyms, for module symbols a vmlinux does not carry. */
    private readonly modules?: SymbolTable,
  ) {}

  /** value_search(): the symbol holding `addr` and the offset into it. */
  search(addr: bigint): { symbol: SymbolEntry; offset: bigint } | undefined {
    let r = this.table.resolve(addr);
    if (!r && this.modules && this.modules !== this.table) r = this.modules.resolve(addr);
    if (!r) return undefined;
    let symbol = r.symbol;
    if (!symbol.module) {
      const t = this.table;
      let lo = symbol.index;
      let hi = symbol.index;
      while (lo > 0 && t.at(lo - 1).address === symbol.address) lo--;
      while (hi + 1 < t.size && t.at(hi + 1).address === symbol.address) hi++;
      if (hi > lo) {
        const group: SymbolEntry[] = [];
        for (let i = lo; i <= hi; i++) group.push(t.at(i));
        group.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        if (r.offset !== 0n) symbol = group[group.length - 1];
        else {
          // value_search()'s preferences among names at an exact address.
          let i = 0;
          const n = group[0].name;
          if (group.length > 1 && (n.startsWith('.text.') || n.startsWith('SyS_') || n.startsWith('compat_SyS_') || n.endsWith('_text_start'))) i = 1;
          symbol = group[i];
        }
      }
    }
    return { symbol: { ...symbol, name: crashSymbolName(symbol.name) }, offset: r.offset };
  }

  /** value_to_symstr(): "name", "name+off" (radix 10) or "name+0xoff" (radix 16); '' when none. */
  symstr(addr: bigint, radix: 10 | 16): string {
    const r = this.search(addr);
    if (!r) return '';
    if (r.offset === 0n) return r.symbol.name;
    return radix === 16 ? `${r.symbol.name}+0x${hex(r.offset)}` : `${r.symbol.name}+${r.offset}`;
  }

  /** Every symbol crash would find under `name` (clone suffixes stripped), in table order. */
  findAll(name: string): SymbolEntry[] {
    if (!this.byStripped) {
      this.byStripped = new Map();
      for (const s of this.table.kernelSymbols()) {
        const n = crashSymbolName(s.name);
        if (n !== s.name) {
          const l = this.byStripped.get(n) ?? [];
          l.push(s);
          this.byStripped.set(n, l);
        }
      }
    }
    const all = [...this.table.findAll(name), ...(this.byStripped.get(name) ?? [])];
    // A vmlinux's table has no module symbols: those come from the dump's kallsyms.
    if (this.modules && this.modules !== this.table) all.push(...this.modules.findAll(name).filter((s) => s.module));
    return all
      .sort((a, b) => (a.module || b.module ? 0 : a.address < b.address ? -1 : a.address > b.address ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((s) => ({ ...s, name: crashSymbolName(s.name) }));
  }

  /** next_symbol(): the next symbol at a higher address, in the table `s` came from. */
  next(s: SymbolEntry): SymbolEntry | undefined {
    if (s.module) return (this.modules ?? this.table).next(s);
    const t = this.table;
    for (let i = s.index + 1; i < t.size; i++) {
      const n = t.at(i);
      if (n.address > s.address) return n;
    }
    return t.next(t.at(t.size - 1));
  }

  /** value_search_module(): is `addr` inside a module symbol (what gdb asks crash when it has none)? */
  inModule(addr: bigint): boolean {
    const r = this.search(addr);
    return r !== undefined && r.symbol.module !== undefined;
  }

  /** Is there a symbol at exactly this address (value_symbol())? */
  isSymbolAddress(addr: bigint): boolean {
    const r = this.search(addr);
    return r !== undefined && r.offset === 0n;
  }
}

/** crash's is_symbol_text(). */
function isText(s: SymbolEntry, stext: bigint, etext: bigint): boolean {
  if (s.type === 'T' || s.type === 't') return true;
  return (s.type === 'W' || s.type === 'w') && s.address >= stext && s.address < etext;
}

interface MinSym {
  addr: bigint;
  size: bigint;
  section: number;
  abs: boolean;
}

/**
 * gdb's minimal symbols from the vmlinux ELF symbol table, to decide where gdb prints "<symbol>" at all:
 * lookup_minimal_symbol_by_pc_section() skips absolute symbols and those of another section, and refuses
 * an address past the end of a sized symbol. Compiler labels (".L...") are not minimal symbols.
 */
class GdbMinimalSymbols {
  private readonly syms: MinSym[] = [];
  private readonly sections: { start: bigint; end: bigint; index: number }[] = [];

  constructor(session: Session) {
    const d = session.debugInfo;
    if (!d) return;
    const reloc = (a: bigint): bigint => (a >= START_KERNEL_MAP ? BigInt.asUintN(64, a + d.kaslrOffset) : a);
    d.elf.sections.forEach((s, index) => {
      // SHF_ALLOC sections in the kernel image (the per-CPU section links at 0 and is not text gdb maps).
      if ((s.flags & 2n) === 0n || s.addr < START_KERNEL_MAP || s.size === 0) return;
      this.sections.push({ start: reloc(s.addr), end: reloc(s.addr) + BigInt(s.size), index });
    });
    for (const s of d.elf.symbols()) {
      if (!s.name || s.type === 3 /* STT_SECTION */ || s.type === 4 /* STT_FILE */ || s.shndx === 0) continue;
      if (s.name.startsWith('.L')) continue;
      const abs = s.shndx === 0xfff1;
      this.syms.push({ addr: abs ? s.value : reloc(s.value), size: s.size, section: s.shndx, abs });
    }
    this.syms.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  }

  get available(): boolean {
    return this.syms.length > 0;
  }

  /** Is there a minimal symbol gdb would name `pc` after? */
  has(pc: bigint): boolean {
    return this.lookup(pc) !== undefined;
  }

  /** lookup_minimal_symbol_by_pc_section(): the index of the minimal symbol holding `pc`. */
  lookup(pc: bigint): number | undefined {
    const sec = this.sections.find((s) => pc >= s.start && pc < s.end);
    if (!sec) return undefined;
    const syms = this.syms;
    if (syms.length === 0 || syms[0].addr > pc) return undefined;
    let lo = 0;
    let hi = syms.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (syms[mid].addr <= pc) lo = mid;
      else hi = mid - 1;
    }
    let i = lo;
    let bestZero = -1;
    while (i >= 0) {
      const m = syms[i];
      if (m.abs || m.section !== sec.index) {
        i--;
        continue;
      }
      if (m.size === 0n) {
        if (bestZero < 0) bestZero = i;
        i--;
        continue;
      }
      break;
    }
    if (bestZero >= 0 && (i < 0 || syms[i].size === 0n)) i = bestZero;
    if (i < 0) return undefined;
    if (syms[i].size !== 0n && pc >= syms[i].addr + syms[i].size) return bestZero >= 0 ? bestZero : undefined;
    return i;
  }

  /**
   * find_pc_partial_function() without DWARF blocks: the range of the minimal symbol holding `pc`, its
   * size when it has one, else up to the next minimal symbol of its section (minimal_symbol_upper_bound()).
   */
  functionRange(pc: bigint): { low: bigint; high: bigint } | undefined {
    const i = this.lookup(pc);
    if (i === undefined) return undefined;
    const m = this.syms[i];
    if (m.size !== 0n) return { low: m.addr, high: m.addr + m.size };
    for (let j = i + 1; j < this.syms.length; j++) {
      const n = this.syms[j];
      if (n.addr > m.addr && n.section === m.section && !n.abs) return { low: m.addr, high: n.addr };
    }
    const sec = this.sections.find((s) => m.addr >= s.start && m.addr < s.end);
    return sec ? { low: m.addr, high: sec.end } : undefined;
  }
}

const perSession = new WeakMap<Session, { symbols: CrashSymbols; gdb: GdbMinimalSymbols }>();

export function symbolsFor(session: Session): { symbols: CrashSymbols; gdb: GdbMinimalSymbols } {
  let s = perSession.get(session);
  if (!s) {
    let kallsyms: SymbolTable | undefined;
    try {
      kallsyms = session.symbols;
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
    }
    const table = session.debugInfo?.symbols ?? kallsyms;
    if (!table) throw new CommandError('no kernel symbol table: dis needs the dump\'s kallsyms or a vmlinux');
    s = { symbols: new CrashSymbols(table, kallsyms), gdb: new GdbMinimalSymbols(session) };
    perSession.set(session, s);
  }
  return s;
}

/** Source "file: line" for a runtime text address, as crash's get_line_number() gives it. */
export function lineOf(session: Session, addr: bigint): string {
  const d = session.debugInfo;
  if (!d) return '';
  try {
    const at = d.lines.lookup(BigInt.asUintN(64, addr - d.kaslrOffset));
    return at ? `${at.file.replace(/\/\/+/g, '/')}: ${at.line}` : '';
  } catch (e) {
    if (e instanceof CrashlensError) return '';
    throw e;
  }
}

/**
 * crash's get_text_function_range() for the symbol `start`: gdb's range of the function holding it, if it
 * holds the symbol's own address; else the next symbol's address (next_symbol()).
 */
function functionEnd(symbols: CrashSymbols, gdb: GdbMinimalSymbols, start: SymbolEntry): bigint | undefined {
  if (!start.module && gdb.available) {
    const r = gdb.functionRange(start.address);
    if (r && start.address >= r.low && start.address < r.high) return r.high;
  }
  return symbols.next(start)?.address;
}

/** What `dis` was asked to show. */
interface DisRequest {
  addr: bigint;
  /** Instructions to print; undefined to stop at `end`. */
  count?: bigint;
  end?: bigint;
  /** -r: print up to and including the instruction at `target`. */
  reverseTarget?: bigint;
  /** -f: skip instructions before `target`. */
  forwardTarget?: bigint;
}

export const disCommand: Command = {
  name: 'dis',
  summary: 'disassemble',
  run({ session, args }) {
    if (args.length === 1 && args[0] === '-b') return 'encoded bytes being skipped after ud2a: 0\n';
    const g = getopt('dis', args, 'dxhulsrfUb:B:');
    let radix: 10 | 16 | undefined;
    let reverse = false;
    let forward = false;
    let lines = false;
    let user = false;
    let sources = false;
    let unfiltered = false;
    let bugBytes = false;
    let out = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    let argerrs = g.errors.length;
    for (const { c } of g.opts) {
      switch (c) {
        case 'd':
          if (radix === 16) throw new CrashFatal('-d and -x are mutually exclusive');
          radix = 10;
          break;
        case 'x':
        case 'h':
          if (radix === 10) throw new CrashFatal('-d and -x are mutually exclusive');
          radix = 16;
          break;
        case 'U':
          unfiltered = true;
          break;
        case 'u':
          if (sources) throw new CrashFatal('-s can only be used with kernel addresses');
          user = true;
          break;
        case 'r':
          if (forward) throw new CrashFatal('-r and -f are mutually exclusive');
          if (sources) throw new CrashFatal('-r and -s are mutually exclusive');
          reverse = true;
          break;
        case 'f':
          if (reverse) throw new CrashFatal('-r and -f are mutually exclusive');
          if (sources) throw new CrashFatal('-f and -s are mutually exclusive');
          forward = true;
          break;
        case 'l':
          if (!session.debugInfo) out += 'dis: line numbers are not available\n';
          else lines = true;
          break;
        case 's':
          if (reverse) throw new CrashFatal('-r and -s are mutually exclusive');
          if (forward) throw new CrashFatal('-f and -s are mutually exclusive');
          if (user) throw new CrashFatal('-s can only be used with kernel addresses');
          sources = true;
          break;
        case 'b':
        case 'B':
          // x86-64 kernels since 2.6.20 put no bytes after ud2 (BUG_x86_64()): nothing to skip either way.
          bugBytes = true;
          break;
        default:
          argerrs++;
      }
    }
    if (argerrs) return out + usage('dis', SYNOPSIS);
    if (g.rest.length === 0) {
      if (bugBytes) return out;
      return out + usage('dis', SYNOPSIS);
    }
    const outputRadix: 10 | 16 = radix ?? 10;
    const { symbols, gdb } = symbolsFor(session);
    const table = symbols.table;
    const stext = table.find('_stext')?.address ?? 0n;
    const etext = table.find('_etext')?.address ?? (1n << 64n) - 1n;

    // The address: an expression, a hex address, or a symbol (crash's order of attempts).
    const word = g.rest[0];
    let addr: bigint;
    let sp: SymbolEntry | undefined;
    let functionOnly = false;
    const expr = parseExpression(word);
    if (expr) {
      const base = symbols.findAll(expr.name);
      if (base.length === 0) throw new CrashFatal(`invalid expression: ${word}`);
      const texts = base.filter((s) => isText(s, stext, etext));
      if (texts.length > 1) return out + duplicates(session, word, texts);
      addr = BigInt.asUintN(64, (texts[0] ?? base[0]).address + expr.offset);
    } else if (isHexadecimal(word) && symbols.findAll(word).length === 0) {
      addr = htol(word);
      const r = symbols.search(addr);
      if (!user && !r) {
        out += `dis: WARNING: ${hex(addr)}: no associated kernel symbol found\n`;
        unfiltered = true;
      }
      if (r && r.offset === 0n && isText(r.symbol, stext, etext)) {
        sp = r.symbol;
        functionOnly = true;
      }
    } else {
      const all = symbols.findAll(word);
      if (all.length === 0) {
        let alt: string[] = [];
        try {
          alt = table.query(word).map((e) => `  ${hex(e.address)} (${e.type}) ${crashSymbolName(e.name)}${e.module ? ` [${e.module.name}]` : ''}`);
        } catch (e) {
          if (!(e instanceof CrashlensError)) throw e;
        }
        return `${out}symbol not found: ${word}\npossible alternatives:\n${alt.length ? alt.join('\n') : '  (none found)'}\n`;
      }
      const texts = all.filter((s) => isText(s, stext, etext));
      if (texts.length > 1) return out + duplicates(session, word, texts);
      sp = texts[0] ?? all[0];
      addr = sp.address;
      if (isText(sp, stext, etext)) functionOnly = true;
    }

    let count: bigint | undefined;
    if (g.rest[1] !== undefined) {
      forward = false;
      count = stol(g.rest[1]);
      functionOnly = false;
      if (count === 0n) throw new CrashFatal('invalid count argument: 0');
    }
    if (sources) throw new CommandError('-s: source listings need the kernel sources, which Crashlens does not have');
    if (user) throw new CommandError('-u: user-space disassembly needs a task context, which Crashlens does not read yet');
    if (unfiltered) throw new CommandError(`${hex(addr)}: gdb's unfiltered x/i output is not reproduced; give an address inside a kernel symbol`);
    if (!mmOf(session).layout.isKvaddr(addr)) throw new CrashFatal(`${hex(addr)} is not a kernel virtual address`);

    const req: DisRequest = { addr };
    if (reverse || forward || functionOnly) {
      const base = sp ?? symbols.search(addr)?.symbol;
      if (!base) throw new CrashFatal(DIS_ERR(addr));
      const end = functionEnd(symbols, gdb, base);
      if (end === undefined) throw new CrashFatal(`unable to determine symbol after ${base.name}`);
      req.end = end;
    }
    if (reverse || forward) {
      const start = symbols.search(addr);
      if (!start) throw new CrashFatal(`cannot resolve address: ${hex(addr)}`);
      if (reverse) req.reverseTarget = addr;
      else req.forwardTarget = addr;
      req.addr = start.symbol.address;
    }
    if (count !== undefined) req.count = count;
    // A data symbol or an address inside a function: one instruction (x/1i).
    else if (req.end === undefined && req.reverseTarget === undefined) req.count = 1n;
    try {
      return out + disassembleRange(session, symbols, gdb, req, { lines, radix: outputRadix });
    } catch (e) {
      return finish('dis', out, e);
    }
  },
};

/** "(symbol+offset)", "symbol+offset", "symbol-offset": what crash's expressions give dis in practice. */
function parseExpression(word: string): { name: string; offset: bigint } | undefined {
  const m = /^\(?\s*([A-Za-z_.$][\w.$]*)\s*([+-])\s*(0x[0-9a-fA-F]+|\d+)\s*\)?$/.exec(word);
  if (!m) return undefined;
  const n = BigInt(m[3]);
  return { name: m[1], offset: m[2] === '-' ? -n : n };
}

/** resolve_text_symbol()'s answer to a name shared by several text symbols. */
function duplicates(session: Session, word: string, texts: SymbolEntry[]): string {
  let out = `dis: ${word}: duplicate text symbols found:\n`;
  for (const s of texts) {
    let line = `${hex(s.address)} (${s.type}) ${s.name}`;
    // show_symbol(SHOW_LINENUM|SHOW_MODULE) leaves a space where a module symbol's line number would go.
    if (s.module) line += ` [${s.module.name}] `;
    else {
      const at = lineOf(session, s.address);
      if (at) line += ` ${at}`;
    }
    out += `${line}\n`;
  }
  return out;
}

/** Kernel text from `addr` on, up to `length` bytes: as many as can be read, and the read error where it stopped. */
function readText(session: Session, addr: bigint, length: number): { bytes: Uint8Array; error?: { at: bigint; message: string } } {
  const reader = new CrashReader(session);
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const a = BigInt.asUintN(64, addr + BigInt(done));
    const n = Math.min(Number(4096n - (a % 4096n)), length - done);
    try {
      out.set(reader.read(a, 'KVADDR', n, 'gdb_readmem_callback'), done);
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      return { bytes: out.subarray(0, done), error: { at: a, message: e.message } };
    }
    done += n;
  }
  return { bytes: out };
}

function disassembleRange(
  session: Session,
  symbols: CrashSymbols,
  gdb: GdbMinimalSymbols,
  req: DisRequest,
  opts: { lines: boolean; radix: 10 | 16 },
): string {
  // Instructions to decode: enough to reach the end (or the target), or COUNT of them.
  const limitAddr = req.reverseTarget !== undefined ? req.reverseTarget + 1n : req.end;
  const maxInsns = req.count !== undefined && req.reverseTarget === undefined ? Number(req.count) : Number.MAX_SAFE_INTEGER;
  const span = limitAddr !== undefined ? Number(limitAddr - req.addr) + MAX_INSN : Math.min(maxInsns, 1 << 20) * MAX_INSN;
  const { bytes, error } = readText(session, req.addr, Math.max(span, MAX_INSN));
  let insns: Insn[] = disassemble(bytes, req.addr, maxInsns);
  // An instruction cut short by the end of the readable bytes is where gdb's read failed.
  let failedAt: bigint | undefined;
  const readEnd = req.addr + BigInt(bytes.length);
  const cut = insns.findIndex((i) => i.address + BigInt(i.length) > readEnd);
  if (error && cut >= 0) {
    failedAt = insns[cut].address;
    insns = insns.slice(0, cut);
  } else if (error && insns.length === 0) failedAt = req.addr;
  if (error && failedAt === undefined && (limitAddr === undefined || readEnd < limitAddr) && insns.length < maxInsns) failedAt = readEnd;

  // Which of the decoded instructions crash prints.
  let shown: Insn[] = [];
  if (req.reverseTarget !== undefined) {
    const t = req.reverseTarget;
    const k = insns.findIndex((i) => i.address >= t);
    shown = k >= 0 ? insns.slice(0, k + 1) : insns;
    if (req.count !== undefined && k >= 0) shown = shown.slice(Math.max(0, shown.length - Number(req.count)));
  } else {
    for (const i of insns) {
      if (req.forwardTarget !== undefined && i.address < req.forwardTarget) continue;
      if (req.count === undefined && req.end !== undefined && i.address >= req.end) break;
      shown.push(i);
      if (req.count !== undefined && BigInt(shown.length) >= req.count) break;
    }
  }
  const reachedEnd =
    (req.count !== undefined && BigInt(shown.length) >= req.count) ||
    (req.reverseTarget !== undefined && shown.length > 0 && shown[shown.length - 1].address >= req.reverseTarget) ||
    (req.end !== undefined && req.count === undefined && insns.some((i) => i.address >= req.end!));

  const symstr = (a: bigint): string => symbols.symstr(a, opts.radix);
  let text = '';
  let lastLine = '';
  const lineFor = (addr: bigint): void => {
    if (!opts.lines) return;
    const l = lineOf(session, addr);
    if (l !== lastLine) {
      text += `${l}\n`;
      lastLine = l;
    }
  };
  for (const i of shown) {
    lineFor(i.address);
    let body = formatInsn(i, (target) => {
      // gdb names a target only where it has a minimal symbol; crash then substitutes its own name. For
      // jumps crash adds the name itself when gdb gave none.
      // Where gdb has no symbol it asks crash for a module one (gdb_lookup_module_symbol()).
      const named = !gdb.available || gdb.has(target) || symbols.inModule(target) || (i.branchTarget !== undefined && i.mnemonic.startsWith('j'));
      if (!named) return undefined;
      const s = symstr(target);
      return s === '' && i.branchTarget !== undefined ? undefined : s;
    });
    if (symbols.isSymbolAddress(i.address) && (body.includes('nopl   0x0(%rax,%rax,1)') || body.includes('data32 data32 data32 xchg %ax,%ax'))) {
      body += ' [FTRACE NOP]';
    }
    text += `0x${hex(i.address)} <${symstr(i.address)}>:\t${body}\n`;
  }
  if (failedAt !== undefined && !reachedEnd) {
    // gdb's read fails (crash reports "page excluded ... gdb_readmem_callback" on the console, not in
    // the command's output, which goes to a temporary file then), and the line gdb had started stays
    // unfinished.
    lineFor(failedAt);
    text += `0x${hex(failedAt)} <${symstr(failedAt)}>:\t`;
  }
  return text;
}
