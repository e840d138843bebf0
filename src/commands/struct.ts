// struct, union and `*`: crash's cmd_datatype_common (symbols.c). Without an address they print the type's
// declaration (gdb's ptype text reworked by do_datatype_declaration: -o puts "[offset]" before each member
// as show_member_offset does); with one, the object as gdb's `output` prints it, "struct name " first, or just
// the chosen members, cut out of that text by parse_for_member's line matching, quirks included.
import { hex, kv } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { ValuePrinter } from '../program/format.ts';
import type { Program } from '../program/program.ts';
import { tasksOf } from '../kernel/tasks.ts';
import { ptype } from '../types/print.ts';
import { type Type, findMember, sizeOf, strip } from '../types/type.ts';
import type { Command } from './command.ts';
import { CrashReader } from './rd.ts';
import { mmOf } from './vtop.ts';
import { CrashFatal, finish, getopt, htol, isHexadecimal, stol, usage, readString } from './crash-tools.ts';

const SHF_ALLOC = 2n;
const SHF_EXECINSTR = 4n;
const STT_SECTION = 3;
const STT_FILE = 4;
const START_KERNEL_MAP = 0xffffffff80000000n;

// ---------------------------------------------------------------------------------------------------------
// gdb's "<symbol+offset>" after pointers (print symbol on): the minimal symbol lookup of
// lookup_minimal_symbol_by_pc_section and build_address_symbolic, over the vmlinux sections.

interface MinSym {
  name: string;
  addr: bigint;
  size: bigint;
}

interface SymSection {
  start: bigint;
  end: bigint;
  text: boolean;
  syms: MinSym[];
}

const symbolizers = new WeakMap<Session, (addr: bigint) => string | undefined>();

/** How gdb inside crash names an address a pointer holds: "init_task+168", "schedule", or undefined. */
export function gdbSymbolizer(session: Session): (addr: bigint) => string | undefined {
  let f = symbolizers.get(session);
  if (!f) {
    const sections = session.debugInfo ? elfSections(session) : kallsymsSections(session);
    f = (addr) => lookupMinSym(sections, addr);
    symbolizers.set(session, f);
  }
  return f;
}

function elfSections(session: Session): SymSection[] {
  const d = session.debugInfo!;
  const slide = session.vmcoreinfo?.kernelOffset ?? 0n;
  const byIndex = new Map<number, SymSection>();
  for (const s of d.elf.sections) {
    // Only the kernel image: the zero-based per-CPU section does not name small numbers (crash shows none).
    if (!(s.flags & SHF_ALLOC) || s.size === 0 || s.addr < START_KERNEL_MAP) continue;
    const start = BigInt.asUintN(64, s.addr + slide);
    byIndex.set(s.index, { start, end: start + BigInt(s.size), text: (s.flags & SHF_EXECINSTR) !== 0n, syms: [] });
  }
  for (const sym of d.elf.symbols()) {
    if (!sym.name || sym.type === STT_SECTION || sym.type === STT_FILE) continue;
    const sec = byIndex.get(sym.shndx);
    if (!sec) continue;
    sec.syms.push({ name: sym.name, addr: BigInt.asUintN(64, sym.value + slide), size: sym.size });
  }
  const out = [...byIndex.values()];
  for (const s of out) s.syms.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return out.sort((a, b) => (a.start < b.start ? -1 : 1));
}

/**
 * Without a vmlinux there are no sections or sizes: the kernel image from _text to _end is one section and
 * each symbol reaches to the next, which names what the vmlinux would except in padding between objects.
 */
const LINKER_LABEL = /^(__(start|stop|end)_|_(s|e)(text|data|bss|rodata|inittext|initdata)$|__(bss_start|bss_stop|init_begin|init_end)$)/;

function kallsymsSections(session: Session): SymSection[] {
  let table;
  try {
    table = session.symbols;
  } catch (e) {
    if (e instanceof CrashlensError) return [];
    throw e;
  }
  const start = table.find('_text')?.address ?? table.find('_stext')?.address;
  const end = table.find('_end')?.address;
  if (start === undefined || end === undefined) return [];
  const etext = table.find('_etext')?.address ?? start;
  const syms: MinSym[] = [];
  for (let i = 0; i < table.size; i++) {
    const e = table.at(i);
    if (e.address >= start && e.address < end) syms.push({ name: e.name, addr: e.address, size: 0n });
  }
  for (let i = 0; i < syms.length; ) {
    let j = i + 1;
    while (j < syms.length && syms[j].addr === syms[i].addr) j++;
    // Linker-script labels are zero-sized in the vmlinux, and so are the other names at their address.
    const label = syms.slice(i, j).some((x) => LINKER_LABEL.test(x.name));
    const size = label ? 0n : (j < syms.length ? syms[j].addr : end) - syms[i].addr;
    for (let k = i; k < j; k++) syms[k] = { ...syms[k], size };
    i = j;
  }
  const text = syms.filter((s) => s.addr < etext);
  const data = syms.filter((s) => s.addr >= etext);
  return [
    { start, end: etext, text: true, syms: text },
    { start: etext, end, text: false, syms: data },
  ];
}

function lookupMinSym(sections: SymSection[], pc: bigint): string | undefined {
  const sec = sections.find((s) => pc >= s.start && pc < s.end);
  if (!sec || sec.syms.length === 0) return undefined;
  const syms = sec.syms;
  let lo = 0;
  let hi = syms.length - 1;
  if (syms[0].addr > pc) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (syms[mid].addr <= pc) lo = mid;
    else hi = mid - 1;
  }
  hi = lo;
  // Prefer a symbol with a size; remember the first zero-sized one met on the way back.
  let bestZero = -1;
  while (hi >= 0 && syms[hi].size === 0n) {
    if (bestZero === -1) bestZero = hi;
    hi--;
  }
  if (bestZero !== -1 && hi < 0) hi = bestZero;
  if (hi >= 0 && syms[hi].size !== 0n && pc >= syms[hi].addr + syms[hi].size) {
    if (bestZero === -1) return undefined;
    hi = bestZero;
  }
  if (hi < 0) return undefined;
  const s = syms[hi];
  // build_address_symbolic ignores zero-sized data symbols.
  if (s.size === 0n && !sec.text) return undefined;
  const off = pc - s.addr;
  return off ? `${s.name}+${off}` : s.name;
}

// ---------------------------------------------------------------------------------------------------------
// Data types by crash's names: arg_to_datatype / datatype_info through gdb_get_datatype.

export type DatatypeKind = 'struct' | 'union' | 'enum' | 'int' | 'pointer' | 'function' | 'array' | 'other';

export interface Datatype {
  /** The name as given ("task_struct", "atomic_t"). */
  name: string;
  /** The type found: a struct/union/enum for a tag, else the typedef or base type. */
  type: Type;
  /** The typedef resolved, qualifiers dropped. */
  core: Type;
  kind: DatatypeKind;
  typedef: boolean;
  size: number;
}

function kindOf(t: Type): DatatypeKind {
  switch (t.kind) {
    case 'struct':
    case 'union':
    case 'enum':
    case 'pointer':
    case 'function':
    case 'array':
      return t.kind;
    case 'int':
    case 'bool':
      return 'int';
    default:
      return 'other';
  }
}

/** gdb's C spellings of the base types, to the names compilers give them in debug info. */
export const BASE_ALIASES: Record<string, string> = {
  unsigned: 'unsigned int',
  signed: 'int',
  'signed int': 'int',
  long: 'long int',
  'signed long': 'long int',
  'long signed int': 'long int',
  'unsigned long': 'long unsigned int',
  'unsigned long int': 'long unsigned int',
  short: 'short int',
  'unsigned short': 'short unsigned int',
  'unsigned short int': 'short unsigned int',
  'long long': 'long long int',
  'unsigned long long': 'long long unsigned int',
  'unsigned long long int': 'long long unsigned int',
};

/** gdb_get_datatype: a struct/union/enum tag first, then a typedef or base type name. */
export function findDatatype(prog: Program, name: string): Datatype | undefined {
  const n = name.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_ ]*$/.test(n)) return undefined;
  for (const tag of ['struct', 'union', 'enum'] as const) {
    const t = prog.types.findType(`${tag} ${n}`);
    if (t && t.kind === tag) return { name: n, type: t, core: t, kind: tag, typedef: false, size: sizeOf(t) ?? 0 };
  }
  const t = prog.types.findType(BASE_ALIASES[n] ?? n) ?? prog.types.findType(n);
  if (!t || t.kind === 'struct' || t.kind === 'union' || t.kind === 'enum') return undefined;
  const core = strip(t);
  return { name: n, type: t, core, kind: kindOf(core), typedef: t.kind === 'typedef', size: sizeOf(core) ?? 0 };
}

/** A type spelled in C ("struct list_head *", "unsigned long", "pid_t"), or undefined. */
export function typeFromSpelling(prog: Program, spec: string): Type | undefined {
  const m = /^(?:(struct|union|enum)\s+)?([A-Za-z_][A-Za-z0-9_]*(?:\s+[A-Za-z_][A-Za-z0-9_]*)*)\s*(\**)$/.exec(spec.trim().replace(/\s+/g, ' '));
  if (!m) return undefined;
  const [, tag, name, stars] = m;
  let t: Type | undefined;
  if (tag) {
    t = prog.types.findType(`${tag} ${name}`);
    if (t && t.kind !== tag) t = undefined;
  } else if (name === 'void') t = { kind: 'void' };
  else {
    t = prog.types.findType(BASE_ALIASES[name] ?? name) ?? prog.types.findType(name);
    if (t && (t.kind === 'struct' || t.kind === 'union' || t.kind === 'enum')) t = undefined;
  }
  if (!t) return undefined;
  for (let i = 0; i < stars.length; i++) t = { kind: 'pointer', size: 8, target: t, tags: [] };
  return t;
}

/** gdb's &((struct x *)0)->path: a member path with "." and "[n]" steps, through anonymous members. */
export function memberPathOffset(t: Type, path: string): { offset: number; type: Type; bitSize: number } | undefined {
  let cur = t;
  let bits = 0;
  let bitSize = 0;
  const re = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)(?:\.|$)/;
  let rest = path;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) return undefined;
    const hit = findMember(cur, m[1]);
    if (!hit) return undefined;
    bits += hit.bitOffset;
    bitSize = hit.member.bitSize;
    cur = hit.member.type;
    for (const idx of m[2].match(/\d+/g) ?? []) {
      const a = strip(cur);
      if (a.kind !== 'array') return undefined;
      bits += Number(idx) * (sizeOf(a.element) ?? 0) * 8;
      cur = a.element;
      bitSize = 0;
    }
    rest = rest.slice(m[0].length);
  }
  return { offset: Math.floor(bits / 8), type: cur, bitSize };
}

// ---------------------------------------------------------------------------------------------------------
// Declarations: do_datatype_declaration and show_member_offset over gdb's ptype text.

export interface DeclarationRequest {
  dt: Datatype;
  /** "struct" / "union" for the ptype command crash sends; ignored for a typedef. */
  member?: string;
  showOffset: boolean;
  hex: boolean;
  vaddr?: bigint;
}

/** The lines gdb's "ptype struct x" / "ptype x" prints, each with its newline. */
function ptypeLines(dt: Datatype): string[] {
  return fgetsLines(`type = ${ptype(dt.type)}\n`);
}

/** crash's BUFSIZE: fgets() hands a longer line over in pieces of BUFSIZE - 1 characters. */
const BUFSIZE = 1500;

/** Text as crash reads it back from a temporary file with fgets(): lines, long ones in pieces. */
export function fgetsLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    for (let i = 0; i < line.length; i += BUFSIZE - 1) out.push(line.slice(i, i + BUFSIZE - 1));
  }
  return out;
}

function countLeadingSpaces(s: string): number {
  let n = 0;
  while (s[n] === ' ') n++;
  return n;
}

/** crash's strip_linefeeds(): trailing newlines off. */
function stripLinefeeds(s: string): string {
  return s.replace(/\n+$/, '');
}

export function datatypeDeclaration(req: DeclarationRequest): string {
  const { dt } = req;
  if (req.member?.includes('.')) throw new CrashFatal(`invalid data structure reference: ${dt.name}.${req.member}`);
  const showOffset = req.showOffset || req.member !== undefined;
  const state = { inUnion: false, inStruct: false };
  let out = '';
  let multiline = false;
  // crash only asks gdb for structs, unions and typedefs; anything else has no ptype text.
  const lines = dt.typedef || dt.kind === 'struct' || dt.kind === 'union' ? ptypeLines(dt) : [];
  for (const buf of lines) {
    if (buf.startsWith('type = ')) {
      multiline = buf.includes('{');
      if (dt.typedef) out += 'typedef ';
      const p1 = buf.slice('type = '.length);
      let at: number;
      if ((at = p1.indexOf('(*)()')) >= 0) out += `${p1.slice(0, at)}(*${dt.name})();\n`;
      else if ((at = p1.indexOf('()')) >= 0) out += `${p1.slice(0, at)}(${dt.name})();\n`;
      else if (multiline) out += p1;
      else out += `${stripLinefeeds(p1)} ${dt.name};\n`;
    } else if (multiline && buf.startsWith('}') && dt.typedef) {
      out += buf.includes('} **()') ? `} **(${dt.name})();\n` : `${stripLinefeeds(buf)} ${dt.name};\n`;
    } else if (showOffset && /^\s/.test(buf)) {
      out += showMemberOffset(req, state, buf);
    } else out += buf;
  }
  if (req.member === undefined) out += req.hex ? `SIZE: 0x${dt.size.toString(16)}\n` : `SIZE: ${dt.size}\n`;
  return out;
}

function showMemberOffset(req: DeclarationRequest, state: { inUnion: boolean; inStruct: boolean }, inbuf: string): string {
  const { dt } = req;
  if (!inbuf.startsWith('    ')) return `rejecting: ${inbuf}`;
  if (inbuf.startsWith('    union {')) state.inUnion = true;
  if (inbuf.startsWith('    struct {')) state.inStruct = true;
  const endOfBlock = inbuf.startsWith('    } ');
  const sizeStr = req.hex ? `0x${dt.size.toString(16)}` : `${dt.size}`;
  const len = sizeStr.length + 4;
  const args = inbuf.trim().split(/\s+/).filter((a) => a !== '');
  let target: string | undefined;
  if (inbuf.includes(':')) {
    for (let i = 1; i < args.length; i++) {
      if (args[i] === ':') {
        target = args[i - 1];
        break;
      }
    }
  } else if (args.length > 0) {
    let i = 0;
    for (; i < args.length; i++) {
      if (!inbuf.includes('(*')) continue;
      let t: string;
      if (args[i].startsWith('(*')) t = args[i].slice(2);
      else if (args[i].startsWith('*(*')) t = args[i].slice(3);
      else if (args[i].startsWith('**(*')) t = args[i].slice(4);
      else continue;
      const close = t.indexOf(')');
      if (close < 0) continue;
      target = t.slice(0, close);
      break;
    }
    if (i === args.length) {
      target = args[args.length - 1];
      if (!target.includes(';')) target = undefined;
    }
  }
  const empty = (): string => {
    if (endOfBlock) state.inUnion = state.inStruct = false;
    if (req.member !== undefined) return '';
    return ' '.repeat(sizeStr.length + 1) + inbuf;
  };
  if (target === undefined) return empty();
  // replace_string("*[];()" → ' '), clean_line(), null_first_space()
  target = target.replace(/[*[\];()]/g, ' ').trim().split(' ')[0];
  if (target === '') return empty();
  if (req.member !== undefined && req.member !== target) {
    if (endOfBlock) state.inUnion = state.inStruct = false;
    return '';
  }
  const hit = findMember(dt.type, target);
  if (!hit) return empty();
  const offset = Math.floor(hit.bitOffset / 8);
  let out = '';
  if (endOfBlock && req.member !== undefined) {
    out += ' '.repeat(len + 1);
    if (state.inUnion && !state.inStruct) out += 'union {\n';
    else if (state.inStruct && !state.inUnion) out += 'struct {\n';
    state.inUnion = state.inStruct = false;
  }
  const buf1 = req.vaddr !== undefined ? `  [${hex(BigInt.asUintN(64, req.vaddr + BigInt(offset)))}]` : req.hex ? `  [0x${offset.toString(16)}]` : `  [${offset}]`;
  return out + buf1.padStart(len) + inbuf.slice(3);
}

// ---------------------------------------------------------------------------------------------------------
// Data: print_struct / print_union, then parse_for_member or parse_for_member_extended on the text.

export interface DataOptions {
  hex: boolean;
}

/**
 * print_struct() / print_union(): "struct name " + gdb's output of the object (+ "\n" for a struct only).
 * When the object cannot be read, crash's readmem error (for the command `cmd`) takes the place of the value.
 */
export function printObjectText(session: Session, dt: Datatype, addr: bigint, opts: DataOptions, cmd: string): string {
  const printer = new ValuePrinter(session.program, { hex: opts.hex, symbol: gdbSymbolizer(session) });
  const union = dt.core.kind === 'union';
  const head = `${union ? 'union' : 'struct'} ${dt.name} `;
  let body: string;
  try {
    const bytes = new CrashReader(session).read(addr, 'KVADDR', dt.size, 'gdb_readmem_callback');
    body = printer.ofBytes(dt.type, bytes, addr);
  } catch (e) {
    if (!(e instanceof CrashFatal)) throw e;
    body = `${cmd}: ${e.message}\n`;
  }
  return union ? head + body : `${head + body}\n`;
}

/** parse_for_member(PARSE_FOR_DATA): the lines of one member cut from the whole object's text. */
export function parseForMember(text: string, member: string): string {
  const lines = fgetsLines(text);
  const lookfor1 = `  ${member} `;
  const lookfor2 = `  ${member}[`;
  let indent = 0;
  let array = false;
  let on = 0;
  let embed = 0;
  let idx = 0;
  let out = '';
  for (;;) {
    while (idx < lines.length) {
      let buf = lines[idx++];
      const lead = countLeadingSpaces(buf);
      if ((embed && lead === embed) || (buf.includes('}}') && embed === lead - 2)) embed = 0;
      if (!on && !embed && buf.includes('= {') && !buf.includes(lookfor1)) embed = lead;
      if (embed) continue;
      if (buf.includes(lookfor1) || buf.includes(lookfor2)) {
        on++;
        if (buf.includes('= {')) indent = lead;
        if (buf.includes('[')) array = true;
      }
      if (!on) continue;
      if ((indent && on > 1 && lead === indent && !buf.includes('}')) || buf[0] === '}') break;
      if (indent && on > 1 && indent === lead - 2 && buf.includes('}}')) {
        out += buf;
        break;
      }
      if (!indent) {
        const c = buf.indexOf(', \n');
        if (c >= 0) buf = `${buf.slice(0, c)}\n`;
        out += buf;
        break;
      }
      if (buf.includes('}') && lead === indent) {
        const c = buf.indexOf('}, \n');
        if (c >= 0) buf = `${buf.slice(0, c)}}\n`;
        out += buf;
        break;
      }
      out += buf;
      on++;
    }
    if (!array) break;
    on = 0;
    array = false;
  }
  return out;
}

interface Elem {
  fieldName: string;
  fieldLen: number;
  value: string;
  isArrayRoot: boolean;
  parent: Elem | undefined;
  inner: Elem | undefined;
  next: Elem | undefined;
}

function newElem(parent: Elem | undefined): Elem {
  return { fieldName: '', fieldLen: 0, value: '', isArrayRoot: false, parent, inner: undefined, next: undefined };
}

function isRightBrace(b: string): number {
  let i = 0;
  while (b[i] === ' ') i++;
  let r = 0;
  if (b[i] === '}') {
    i++;
    r = 1;
    if (b[i] === '}') {
      r = 2;
      i++;
    }
  }
  if (b[i] === ',') i++;
  return i === b.length ? r : 0;
}

function findNode(start: Elem | undefined, n: string): Elem | undefined {
  if (n === '' || !start) return start;
  let p = n.indexOf('.');
  if (p < 0) p = n.length;
  let b = 0;
  while (b < p && n[b] !== '[') b++;
  for (let s: Elem | undefined = start; s; s = s.next) {
    if (s.fieldName === '') continue;
    if (b !== s.fieldLen || s.fieldName.slice(0, b) !== n.slice(0, b)) continue;
    if (s.isArrayRoot && n[b] !== '[' && p < n.length) return undefined;
    let node: Elem | undefined = s;
    if (n[b] === '[') {
      const m = /^\d*/.exec(n.slice(b + 1))![0];
      const e = b + 1 + m.length;
      let i = m === '' ? 0 : parseInt(m, 10);
      if (!(s.isArrayRoot && n[e] === ']' && e !== b + 1)) return undefined;
      for (node = s.inner; node && i; node = node.next, i--);
      if (i || !node) return undefined;
    }
    if (p === n.length) return node;
    return findNode(node.inner, n.slice(p + 1));
  }
  for (let s: Elem | undefined = start; s; s = s.next) {
    if (s.fieldName !== '') continue;
    const t = findNode(s.inner, n);
    if (t) return t;
  }
  return undefined;
}

function dumpNode(start: Elem | undefined, f: string | undefined, level: number, isArray: number, out: string[]): void {
  let p = start;
  if (!p) return;
  const put = (m: number, s: string): void => {
    out.push(' '.repeat(2 + 2 * (m * isArray + level)) + s);
  };
  do {
    if (p.inner) {
      const open = p.inner.isArrayRoot ? '{{' : '{';
      if (p.fieldName) put(1, `${f ?? p.fieldName} = ${open}\n`);
      else {
        if (f) put(1, `${f} = `);
        put(1, `${open}\n`);
      }
      dumpNode(p.inner, undefined, isArray + level + 1, p.inner.isArrayRoot ? 1 : 0, out);
      put(1, `${p.inner.isArrayRoot ? '}}' : '}'}${p.next && !p.next.isArrayRoot ? ',' : ''}\n`);
    } else put(1, `${f ?? p.fieldName} = ${p.value}${p.next ? ',\n' : '\n'}`);
    if (level) {
      p = p.next;
      if (p && p.isArrayRoot) put(0, '}, {\n');
    }
  } while (p && level);
}

/** parse_for_member_extended(): a member path ("se.avg", "pid_links[1]") found in the object's text. */
export function parseForMemberExtended(text: string, member: string): { out: string; found: boolean } {
  const root = newElem(undefined);
  let current: Elem = root;
  const allocInner = (): void => {
    current.inner = newElem(current);
    current = current.inner;
  };
  const allocNext = (): void => {
    current.next = newElem(current.parent);
    current = current.next;
  };
  allocInner();
  for (const line of fgetsLines(text)) {
    // Trailing whitespace and control characters (the newline) cut off.
    let buf = line.trimEnd();
    if (buf === '') continue;
    const trailingComma = buf.endsWith(',');
    if (trailingComma) buf = buf.slice(0, -1);
    let braces = isRightBrace(buf);
    if (braces) {
      for (; braces && current; braces--) current = current.parent!;
      if (current.parent === root || trailingComma) allocNext();
      continue;
    }
    let p1 = 0;
    while (buf[p1] === ' ') p1++;
    const p = buf.indexOf(' = ');
    const se = p >= 0 ? p + 3 : p1;
    if (p >= 0) {
      current.fieldName = buf.slice(p1, p);
      current.fieldLen = p - p1;
    }
    const last = buf[buf.length - 1];
    if (p >= 0 && (buf[se] !== '{' || last === '}')) {
      current.value = buf.slice(se);
      if (trailingComma) allocNext();
    } else if (buf[se] === '{') {
      allocInner();
      if (buf[se + 1] === '{') {
        current.parent!.isArrayRoot = true;
        allocInner();
      }
    } else if (buf.slice(se).includes('}, {')) {
      current = current.parent!;
      allocNext();
      allocInner();
    } else if (buf.startsWith('struct ')) {
      const brace = buf.indexOf(' {');
      current.fieldName = buf.slice(7, brace < 0 ? buf.length : brace);
      allocInner();
    }
  }
  for (let i = root.inner; i; i = i.next) {
    const node = findNode(i.inner, member);
    if (node) {
      const out: string[] = [];
      dumpNode(node, member, 0, 0, out);
      return { out: out.join(''), found: true };
    }
  }
  return { out: '', found: false };
}

// ---------------------------------------------------------------------------------------------------------
// -p: print_struct_with_dereference / dereference_pointer, following each top-level pointer member.

/** get_symbol_type(): the code of a global's declared type (typedefs not resolved, as gdb reports it). */
function symbolTypeKind(session: Session, name: string): Type['kind'] | undefined {
  let t: Type | undefined;
  const d = session.debugInfo;
  if (d) t = d.types.variableType(name);
  else {
    t = session.btf?.findVar(name)?.type;
    if (!t) {
      try {
        t = session.program.variable(name).type;
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
      }
    }
  }
  while (t && (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict')) t = t.target;
  return t?.kind;
}

/** value_symbol(): the name of the symbol exactly at `value`. */
function valueSymbol(session: Session, value: bigint): string | undefined {
  const table = session.debugInfo?.symbols ?? safeSymbols(session);
  if (!table || !table.inRange(value)) return undefined;
  const r = table.resolve(value);
  return r && r.offset === 0n ? r.symbol.name : undefined;
}

function readTarget(session: Session, addr: bigint): bigint | undefined {
  try {
    return session.program.memory.readU64(kv(addr));
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

/** dereference_pointer(): the member's pointer and what it points to, or undefined to print it plainly. */
function dereferencePointer(session: Session, dt: Datatype, member: string, addr: bigint, hexRadix: boolean): string | undefined {
  const hit = findMember(dt.type, member);
  if (!hit) return undefined;
  let line: string | undefined;
  let kind: 'ptr' | 'ptrptr' | 'func' | 'typedef' = 'ptr';
  for (const buf of ptypeLines(dt)) {
    if (buf[4] === ' ') continue;
    if (buf.includes(` *${member};`)) {
      line = buf;
      kind = 'ptr';
      break;
    }
    if (buf.includes(`**${member};`)) {
      line = buf;
      kind = 'ptrptr';
      break;
    }
    if (buf.includes(`(*${member})(`)) {
      line = buf;
      kind = 'func';
      break;
    }
    if (buf.includes(` ${member};`)) {
      const word = buf.slice(4).split(' ')[0];
      if (findDatatype(session.program, word)?.kind === 'pointer') {
        line = buf;
        kind = 'typedef';
        break;
      }
    }
  }
  if (line === undefined) return undefined;
  const decl = line.slice(4);
  let typeptr: string;
  let charptr = false;
  let voidptr = false;
  if (kind === 'func') typeptr = decl.slice(0, decl.indexOf(';'));
  else if (kind === 'ptrptr') typeptr = decl.slice(0, decl.indexOf('**') + 2);
  else if (kind === 'typedef') typeptr = decl.slice(0, decl.indexOf(' '));
  else {
    typeptr = decl.slice(0, decl.indexOf('*') + 1);
    charptr = typeptr.includes('char *');
    voidptr = typeptr.includes('void *');
  }
  const target = readTarget(session, addr + BigInt(Math.floor(hit.bitOffset / 8)));
  if (target === undefined) return `struct: cannot access ${dt.name}.${member} ${hex(addr + BigInt(Math.floor(hit.bitOffset / 8)))}\n`;
  const sym = valueSymbol(session, target);
  const symKind = sym ? symbolTypeKind(session, sym) : undefined;
  const useSymbol = symKind === 'array' || symKind === 'union' || symKind === 'struct' || symKind === 'int' || symKind === 'pointer';
  const accessible = target !== 0n && readTarget(session, target) !== undefined;
  const head = (sep: string): string => `  ${typeptr}${sep}${member} = 0x${hex(target)}\n  -> `;
  if (kind === 'func') return `  ${typeptr} = 0x${hex(target)}\n  -> ${sym ? `<${sym}>` : target ? '(unknown)' : 'NULL'}\n`;
  if (charptr) {
    let out = head('');
    if (sym) out += `<${sym}> `;
    if (!target) return `${out}NULL\n`;
    const str = accessible ? readString(session, target, 1500) : '';
    return str === '' ? `${out}(not accessible)\n` : `${out}"${str}"\n`;
  }
  if (voidptr && !useSymbol) return `${head('')}${sym ? `<${sym}>` : !target ? 'NULL' : '(unknown target type)'}\n`;
  if (!target || !accessible) return `${head(kind === 'typedef' ? ' ' : '')}${!target ? 'NULL' : '(not accessible)'}\n`;
  if (kind === 'ptrptr') {
    const v = readTarget(session, target);
    return `${head('')}${sym ? `<${sym}> ` : ''}${v === undefined ? '' : hex(v)}\n`;
  }
  // gdb: "p SYM" or "p *((TYPE *)(0xTARGET))", its "$N = " cut off and later lines indented by five.
  const pointee = kind === 'typedef' ? typeptr : typeptr.slice(0, typeptr.indexOf('*') - 1);
  const printer = new ValuePrinter(session.program, { hex: hexRadix, symbol: gdbSymbolizer(session) });
  let valueType: Type | undefined;
  if (useSymbol) valueType = session.debugInfo?.types.variableType(sym!) ?? session.btf?.findVar(sym!)?.type;
  else {
    const ptr = kind === 'typedef' ? findDatatype(session.program, pointee)?.core : undefined;
    valueType = ptr?.kind === 'pointer' ? ptr.target : typeFromSpelling(session.program, pointee);
  }
  if (!valueType) return `  ${typeptr} ${kind === 'typedef' ? '' : '*'}${member} = 0x${hex(target)}\n  -> (${pointee}: no debuginfo data)\n`;
  let text: string;
  try {
    text = printer.atAddress(valueType, target);
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
  let out = `  ${pointee} ${kind === 'typedef' ? '' : '*'}${member} = 0x${hex(target)}\n  -> `;
  for (const l of fgetsLines(`$1 = ${text}\n`)) {
    if (l.startsWith('$')) {
      if (sym) out += `<${sym}> `;
      if ((kind === 'typedef' || useSymbol) && l.includes('(') && l.includes(')')) {
        out += '\n';
        break;
      }
      out += l.slice(l.indexOf('=') + 2);
    } else out += `     ${l}`;
  }
  return out;
}

/** print_struct_with_dereference(): the object, with each top-level pointer member followed. */
function printWithDereference(session: Session, dt: Datatype, addr: bigint, hexRadix: boolean, cmd: string): string {
  let out = '';
  for (const buf of fgetsLines(printObjectText(session, dt, addr, { hex: hexRadix }, cmd))) {
    if (countLeadingSpaces(buf) !== 2 || buf.includes('{') || buf.includes('}')) {
      out += buf;
      continue;
    }
    const member = buf.slice(2, buf.indexOf(' ='));
    const shown = findMember(dt.type, member) ? dereferencePointer(session, dt, member, addr, hexRadix) : undefined;
    out += shown ?? buf;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The command.

const STRUCT_SYNOPSIS = 'struct_name[.member[,member]][-o][-l offset][-rfuxdp]\n         [address | symbol][:cpuspec] [count | -c count]';
const UNION_SYNOPSIS = 'union_name[.member[,member]] [-o][-l offset][-rfuxdp]\n         [address | symbol][:cpuspec] [count | -c count]';
const POINTER_SYNOPSIS = '(struct or union command arguments)';

type Request = 'struct' | 'union' | undefined;

/** crash's IS_A_NUMBER(): decimal or hexadecimal. */
function isANumber(s: string): boolean {
  return /^-?[0-9]+$/.test(s) || isHexadecimal(s);
}

/** crash's clean_arg(): a trailing ',' or ':' after a number is dropped. */
function cleanArg(s: string): string {
  if ((s.endsWith(',') || s.endsWith(':')) && isANumber(s.slice(0, -1))) return s.slice(0, -1);
  return s;
}

/** What a command has printed so far: crash's FATAL errors come after it. */
interface Output {
  text: string;
}

function datatypeCommon(session: Session, cmd: string, args: string[], request: Request): string {
  const synopsis = cmd === 'union' ? UNION_SYNOPSIS : cmd === '*' ? POINTER_SYNOPSIS : STRUCT_SYNOPSIS;
  const g = getopt(cmd, args, 'pxdhfuc:rvol:');
  const w: Output = { text: g.errors.length ? `${g.errors.join('\n')}\n` : '' };
  try {
    datatypeRun(session, cmd, g, request, synopsis, w);
    return w.text;
  } catch (e) {
    return finish(cmd, w.text, e);
  }
}

function datatypeRun(session: Session, cmd: string, g: ReturnType<typeof getopt>, request: Request, synopsis: string, w: Output): void {
  let radix = 0;
  let count: number | undefined;
  let showOffset = false;
  let raw = false;
  let verbose = false;
  let deref = false;
  let listHeadOffset = 0n;
  let argerrs = g.errors.length > 0;
  const prog = session.program;
  for (const o of g.opts) {
    switch (o.c) {
      case 'd':
        if (radix === 16) throw new CrashFatal('-d and -x are mutually exclusive');
        radix = 10;
        break;
      case 'h':
      case 'x':
        if (radix === 10) throw new CrashFatal('-d and -x are mutually exclusive');
        radix = 16;
        break;
      case 'c':
        count = parseInt(o.arg ?? '0', 10) || 0;
        break;
      case 'o':
        showOffset = true;
        break;
      case 'r':
        raw = true;
        break;
      case 'v':
        verbose = true;
        break;
      case 'l': {
        const a = o.arg ?? '';
        if (isANumber(a)) listHeadOffset = stol(a);
        else {
          const dot = a.indexOf('.');
          const dt = dot > 0 ? findDatatype(prog, a.slice(0, dot)) : undefined;
          const hit = dt && memberPathOffset(dt.type, a.slice(dot + 1));
          if (!hit || a.slice(dot + 1).includes('.')) throw new CrashFatal(`invalid -l option: ${a}`);
          listHeadOffset = BigInt(hit.offset);
        }
        break;
      }
      case 'p':
        deref = true;
        break;
      case 'f':
      case 'u':
        throw new CommandError(`-${o.c} is not supported: only kernel virtual addresses are`);
      default:
        argerrs = true;
    }
  }
  if (argerrs || g.rest.length === 0) {
    w.text += usage(cmd, synopsis);
    return;
  }
  const spec = g.rest[0];
  if (spec.split(',').length > 256) throw new CrashFatal('too many members in comma-separated list!');
  if (spec.endsWith(',') || spec.endsWith('.')) throw new CrashFatal(`invalid format: ${spec}`);

  // Address, symbol and count; "addr:cpuspec" / "symbol:cpuspec" for per-CPU data.
  let addr: bigint | undefined;
  let cpuspec: string | undefined;
  const { layout } = mmOf(session);
  for (const word of g.rest.slice(1)) {
    if (addr !== undefined && count !== undefined) throw new CrashFatal('too many arguments!');
    let a = word;
    if (addr === undefined && a.includes(':')) {
      cpuspec = a.slice(a.indexOf(':') + 1);
      a = a.slice(0, a.indexOf(':'));
    }
    a = cleanArg(a);
    if (isANumber(a)) {
      if (addr !== undefined) count = Number(stol(a));
      else if (cpuspec !== undefined) addr = htol(a);
      else {
        const v = htol(a);
        if (!layout.isKvaddr(v)) throw new CrashFatal(`invalid kernel virtual address: ${a}`);
        addr = v;
      }
    } else {
      const table = session.debugInfo?.symbols ?? safeSymbols(session);
      const sym = table?.find(a);
      if (!sym) {
        const alts = safeSymbols(session)?.query(a) ?? [];
        const list = alts.map((e) => `  ${hex(e.address)} (${e.type}) ${e.name}${e.module ? ` [${e.module.name}]` : ''}\n`).join('');
        w.text += `symbol not found: ${a}\npossible alternatives:\n${list || '  (none found)\n'}`;
        return;
      }
      if (cpuspec !== undefined && !isPercpuSymbol(table!, sym.address)) {
        w.text += `WARNING: ${sym.name} is not percpu; cpuspec ignored.\n`;
        cpuspec = undefined;
      }
      addr = sym.address;
    }
  }
  const cpus = cpuspec === undefined ? undefined : cpuList(session, cpuspec);
  if (count === undefined) count = 1;
  else if (addr === undefined) throw new CrashFatal('no kernel virtual address argument entered');
  if (deref && addr === undefined) throw new CrashFatal('-p option requires address argument');
  if (addr !== undefined) addr = BigInt.asUintN(64, addr - listHeadOffset);

  const dot = spec.indexOf('.');
  const structname = dot >= 0 ? spec.slice(0, dot) : spec;
  let members = dot >= 0 ? spec.slice(dot + 1).split(',').filter((m) => m !== '') : [];
  const dt = findDatatype(prog, structname);
  if (!dt) throw new CrashFatal(`invalid data structure reference: ${structname}`);
  const kind = dt.core.kind === 'struct' || dt.core.kind === 'union' ? dt.core.kind : undefined;
  // `*` takes whichever the type is; struct and union insist on their own.
  if (!request && !kind) throw new CrashFatal('invalid argument');
  if (request && request !== kind) throw new CrashFatal(`data type mismatch: ${dt.name} is not a ${request}`);

  if (members.length > 1 && addr === undefined) {
    w.text += `${cmd}: ${showOffset ? '-o option not valid with multiple member format' : 'multiple member format not supported in this syntax'}\n`;
    members = [];
    showOffset = true;
  }
  if (members.length > 1 && addr !== undefined && showOffset) throw new CrashFatal('-o option not valid with multiple member format');
  const hexRadix = radix === 16;

  const checkMember = (m: string): void => {
    if (!memberPathOffset(dt.type, m)) throw new CrashFatal(`invalid data structure reference: ${dt.name}.${m}`);
  };

  if (addr === undefined) {
    if (members.length) checkMember(members[0]);
    w.text += datatypeDeclaration({ dt, member: members[0], showOffset, hex: hexRadix });
    return;
  }

  const size = BigInt(dt.size);
  const n = count;
  // One address: `count` objects from it (before it for a negative count), member by member.
  const dataAt = (at: bigint): void => {
    for (let c = 0; c < Math.abs(n); c++) {
      if (c) w.text += '\n';
      const base = BigInt.asUintN(64, (n < 0 ? at - size * BigInt(Math.abs(n)) + size : at) + size * BigInt(c));
      const list = members.length ? members : [undefined];
      let text: string | undefined;
      for (const m of list) {
        if (m !== undefined) checkMember(m);
        if (showOffset) {
          w.text += datatypeDeclaration({ dt, member: m, showOffset, hex: hexRadix, vaddr: base });
        } else if (raw) {
          if (members.length > 1) throw new CrashFatal('only one structure member allowed with -r');
          let start = base;
          let len = dt.size;
          if (m !== undefined) {
            const hit = memberPathOffset(dt.type, m)!;
            start = base + BigInt(hit.offset);
            len = sizeOf(hit.type) ?? 0;
          }
          const words = Math.ceil(len / 8);
          const width = len === 1 ? '-8 ' : len === 2 ? '-16 ' : len === 4 ? '-32 ' : '';
          const r = session.run(`rd ${verbose ? '-s ' : ''}${width}${hex(start)} ${len <= 4 && width ? 1 : words}`);
          w.text += r.output;
        } else if (deref && m === undefined) {
          w.text += printWithDereference(session, dt, base, hexRadix, cmd);
        } else {
          // Printed again for each member by crash; the same text each time.
          text ??= printObjectText(session, dt, base, { hex: hexRadix }, cmd);
          const shown = deref && m !== undefined ? dereferencePointer(session, dt, m, base, hexRadix) : undefined;
          if (shown !== undefined) w.text += shown;
          else if (m === undefined) w.text += text;
          else if (m.includes('.') || m.includes('[')) {
            const r = parseForMemberExtended(text, m);
            w.text += r.found ? r.out : `${cmd}: invalid data structure member reference: ${m}\n`;
          } else w.text += parseForMember(text, m);
        }
      }
    }
  };
  if (!cpus) {
    dataAt(addr);
    return;
  }
  const offsets = session.program.symbolAddress('__per_cpu_offset');
  for (const c of cpus) {
    const off = session.program.memory.readU64(kv(offsets + BigInt(c) * 8n));
    const cpuaddr = BigInt.asUintN(64, addr + off);
    w.text += `[${c}]: ${hex(cpuaddr)}\n`;
    dataAt(cpuaddr);
  }
}

/** is_percpu_symbol(): inside the kernel's per-CPU section. */
function isPercpuSymbol(table: { find(name: string): { address: bigint } | undefined }, addr: bigint): boolean {
  const start = table.find('__per_cpu_start')?.address;
  const end = table.find('__per_cpu_end')?.address;
  return start !== undefined && end !== undefined && addr >= start && addr < end;
}

/** make_cpumask(): "" is the current context's CPU, "a"/"all" every CPU, else "0,2-3" style lists. */
function cpuList(session: Session, spec: string): number[] {
  const tasks = tasksOf(session);
  const ncpus = tasks.cpuCount();
  if (spec === '') {
    const panic = tasks.panicTask();
    return [panic === undefined ? 0 : tasks.info(panic).cpu];
  }
  if (spec === 'a' || spec === 'all') return [...Array(ncpus).keys()];
  const set = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CrashFatal(`invalid cpu specification: ${spec}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi >= ncpus) throw new CrashFatal(`invalid cpu specification: ${spec}`);
    for (let c = lo; c <= hi; c++) set.add(c);
  }
  return [...set].sort((a, b) => a - b);
}

function safeSymbols(session: Session): ReturnType<() => Session['symbols']> | undefined {
  try {
    return session.symbols;
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

export const structCommand: Command = {
  name: 'struct',
  summary: 'structure contents',
  run: ({ session, args }) => datatypeCommon(session, 'struct', args, 'struct'),
};

export const unionCommand: Command = {
  name: 'union',
  summary: 'union contents',
  run: ({ session, args }) => datatypeCommon(session, 'union', args, 'union'),
};

export const pointerCommand: Command = {
  name: '*',
  summary: 'pointer-to short-cut',
  run: ({ session, args }) => datatypeCommon(session, '*', args, undefined),
};
