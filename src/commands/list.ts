// list: crash's cmd_list / do_list (tools.c). Walks a chain of "next" pointers (at -o offset in each entry,
// or a list_head embedded in a structure with -h/-H) and prints each entry's address, optionally followed by
// the structure or chosen members (-s, as `struct` prints them; -S, read directly as print_value does).
import { hex, kv } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CrashlensError } from '../errors.ts';
import { ptype } from '../types/print.ts';
import { type Type, findMember, sizeOf, strip } from '../types/type.ts';
import type { Command } from './command.ts';
import {
  type Datatype,
  findDatatype,
  memberPathOffset,
  parseForMember,
  parseForMemberExtended,
  printObjectText,
} from './struct.ts';
import { CrashReader } from './rd.ts';
import { mmOf } from './vtop.ts';
import { CrashFatal, finish, getopt, htol, stol, usage, isANumber, readString, radixOption } from './crash-tools.ts';

const SYNOPSIS = '[[-o] offset][-e end][-[s|S] struct[.member[,member] [-l offset]] -[x|d]]\n       [-r|-B] [-h [-O head_offset]|-H] start';

/** Entries beyond this are a corrupt (or enormous) list: crash would walk on, we stop with an error. */
const MAX_ENTRIES = 1 << 20;

interface ListData {
  start: bigint;
  end: bigint;
  memberOffset: bigint;
  listHeadOffset: bigint;
  structListOffset: bigint;
  headFormat: boolean;
  structs: string[];
  readMember: boolean;
  radix: 0 | 10 | 16;
}

/** crash's hexadecimal_only(): hex digits with at least one of a-f or x. */
function hexadecimalOnly(s: string): boolean {
  return /^[0-9a-fA-FxX]+$/.test(s) && /[a-fA-FxX]/.test(s);
}

/** arg_to_datatype() for "struct.member": the member's offset, or undefined. */
function memberArgOffset(session: Session, arg: string): bigint | undefined {
  const dot = arg.indexOf('.');
  if (dot <= 0 || dot === arg.length - 1 || arg.slice(dot + 1).includes('.')) return undefined;
  const dt = findDatatype(session.program, arg.slice(0, dot));
  if (!dt) return undefined;
  const hit = findMember(dt.type, arg.slice(dot + 1));
  return hit ? BigInt(Math.floor(hit.bitOffset / 8)) : undefined;
}

function symbolAddress(session: Session, name: string): bigint | undefined {
  try {
    return (session.debugInfo?.symbols ?? session.symbols).find(name)?.address;
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

/** can_eval(): "(...)" or two operands around an operator. */
function canEval(s: string): boolean {
  if (s.startsWith('(') && s.endsWith(')') && s.length > 2 && s.split('(').length === 2 && s.split(')').length === 2) return true;
  const op = s.search(/[><+\-&|*/%^]/);
  return op > 0 && op < s.length - 1;
}

/** eval() for the simple "symbol+offset" / "addr-offset" forms. */
function evalSimple(session: Session, s: string): bigint | undefined {
  const m = /^\(?([^()+-]+)([+-])([^()+-]+)\)?$/.exec(s);
  if (!m) return undefined;
  const side = (x: string): bigint | undefined => symbolAddress(session, x) ?? (isANumber(x) ? htol(x) : undefined);
  const a = side(m[1]);
  const b = side(m[3]);
  if (a === undefined || b === undefined) return undefined;
  return BigInt.asUintN(64, m[2] === '+' ? a + b : a - b);
}

function runList(session: Session, args: string[], w: { text: string }): void {
  const g = getopt('list', args, 'BHhrs:S:e:o:O:xdl:');
  if (g.errors.length) w.text += `${g.errors.join('\n')}\n`;
  let argerrs = g.errors.length > 0;
  const ld: ListData = {
    start: 0n,
    end: 0n,
    memberOffset: 0n,
    listHeadOffset: 0n,
    structListOffset: 0n,
    headFormat: false,
    structs: [],
    readMember: false,
    radix: 0,
  };
  let headPointer = false;
  let reverse = false;
  let offsetEntered = false;
  let startEntered = false;
  let headOffset: bigint | undefined;
  let parseMember = false;
  let structListOffset = 0n;
  for (const o of g.opts) {
    const a = o.arg ?? '';
    switch (o.c) {
      case 'B':
        break;
      case 'H':
        ld.headFormat = true;
        headPointer = true;
        break;
      case 'h':
        ld.headFormat = true;
        break;
      case 'r':
        ld.headFormat = true;
        reverse = true;
        break;
      case 's':
      case 'S':
        ld.structs.push(a);
        if (o.c === 's') parseMember = true;
        else ld.readMember = true;
        if (parseMember && ld.readMember) throw new CrashFatal('-S and -s options are mutually exclusive');
        break;
      case 'l': {
        const v = isANumber(a) ? stol(a) : memberArgOffset(session, a);
        if (v === undefined) throw new CrashFatal(`invalid -l option: ${a}`);
        structListOffset = v;
        break;
      }
      case 'O': {
        if (headOffset !== undefined) throw new CrashFatal(`offset value ${headOffset} (0x${hex(headOffset)}) already entered`);
        const v = isANumber(a) ? stol(a) : memberArgOffset(session, a);
        if (v === undefined) throw new CrashFatal(`invalid -O argument: ${a}`);
        headOffset = v;
        break;
      }
      case 'o': {
        if (offsetEntered) throw new CrashFatal(`offset value ${ld.memberOffset} (0x${hex(ld.memberOffset)}) already entered`);
        const v = isANumber(a) ? stol(a) : memberArgOffset(session, a);
        if (v === undefined) throw new CrashFatal(`invalid -o argument: ${a}`);
        ld.memberOffset = v;
        offsetEntered = true;
        break;
      }
      case 'e':
        ld.end = htol(a);
        break;
      case 'x':
      case 'd':
        ld.radix = radixOption(ld.radix, o.c);
        break;
      default:
        argerrs = true;
    }
  }
  if (argerrs) {
    w.text += usage('list', SYNOPSIS);
    return;
  }
  const rest = g.rest;
  if (rest.length > 2) {
    w.text += `list: too many arguments\n${usage('list', SYNOPSIS)}`;
    return;
  }
  if (ld.structs.length) ld.structListOffset = structListOffset;
  else if (structListOffset) {
    w.text += `list: -l option can only be used with -s or -S option\n${usage('list', SYNOPSIS)}`;
    return;
  }
  const { layout } = mmOf(session);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const off = arg.includes('.') ? memberArgOffset(session, arg) : undefined;
    if (off !== undefined) {
      if (offsetEntered) throw new CrashFatal(`offset value ${ld.memberOffset} (0x${hex(ld.memberOffset)}) already entered`);
      ld.memberOffset = off;
      offsetEntered = true;
      continue;
    }
    const sym = symbolAddress(session, arg);
    if (sym !== undefined) {
      if (startEntered) throw new CrashFatal('list start already entered');
      ld.start = sym;
      startEntered = true;
      continue;
    }
    if (!isANumber(arg)) {
      if (canEval(arg)) {
        const v = evalSimple(session, arg);
        if (v !== undefined && layout.isKvaddr(v)) {
          if (startEntered) throw new CrashFatal('list start already entered');
          ld.start = v;
          startEntered = true;
          continue;
        }
      }
      throw new CrashFatal(`invalid argument: ${arg}`);
    }
    if (startEntered) {
      ld.memberOffset = stol(arg);
      offsetEntered = true;
      break;
    }
    if (offsetEntered || i + 1 >= rest.length) {
      const v = htol(arg);
      if (!layout.isKvaddr(v)) throw new CrashFatal(`invalid kernel virtual address: ${arg}`);
      ld.start = v;
      startEntered = true;
      break;
    }
    const next = rest[i + 1];
    if (symbolAddress(session, next) !== undefined) {
      ld.memberOffset = stol(arg);
      offsetEntered = true;
      continue;
    }
    if (!isANumber(next) && !canEval(next) && !next.includes('.')) throw new CrashFatal(`symbol not found: ${next}`);
    if (hexadecimalOnly(arg)) {
      const v = htol(arg);
      if (layout.isKvaddr(v)) {
        ld.start = v;
        startEntered = true;
        continue;
      }
    }
    ld.memberOffset = stol(arg);
    offsetEntered = true;
  }
  if (!startEntered) {
    w.text += `list: starting address required\n${usage('list', SYNOPSIS)}`;
    return;
  }
  if (offsetEntered && ld.structListOffset) {
    w.text += `list: -l and -o are mutually exclusive\n${usage('list', SYNOPSIS)}`;
    return;
  }
  const reader = new CrashReader(session);
  const readPtr = (a: bigint, what: string): bigint => u64(reader.read(BigInt.asUintN(64, a), 'KVADDR', 8, what));
  if (ld.headFormat) {
    ld.listHeadOffset = ld.memberOffset;
    ld.memberOffset = reverse ? 8n : 0n;
    if (headPointer) {
      if (!ld.end) ld.end = ld.start;
      ld.start = readPtr(ld.start + ld.memberOffset, 'LIST_HEAD contents');
      if (ld.start === ld.end) {
        w.text += '(empty)\n';
        return;
      }
    } else if (headOffset !== undefined) {
      if (!ld.end) ld.end = ld.start + headOffset;
      ld.start = readPtr(ld.start + headOffset, 'LIST_HEAD contents');
      if (ld.start === ld.end) {
        w.text += '(empty)\n';
        return;
      }
    } else ld.start = BigInt.asUintN(64, ld.start + ld.listHeadOffset);
  }
  doList(session, ld, w, parseMember, readPtr);
}

function u64(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** A -S member as fill_member_offsets() prepares it. */
interface FastMember {
  name: string;
  offset: number;
  width: number;
  isPtr: boolean;
  isStr: boolean;
}

/** is_string(): the struct's ptype has a "char [*]member;" or "char member[" line. */
function isString(dt: Datatype, member: string): boolean {
  for (const line of `type = ${ptype(dt.type)}`.split('\n')) {
    const at = line.indexOf('char ');
    if (at < 0) continue;
    let t = line.slice(at + 5);
    if (t.startsWith('*')) t = t.slice(1);
    if (!t.startsWith(member)) continue;
    const c = t[member.length];
    if (c === ';' || c === '[') return true;
  }
  return false;
}

function fastMembers(session: Session, arg: string): { dt: Datatype | undefined; name: string; members: FastMember[] } {
  const dot = arg.indexOf('.');
  const name = dot >= 0 ? arg.slice(0, dot) : arg;
  const dt = findDatatype(session.program, name);
  if (dot < 0) return { dt, name, members: [] };
  const members: FastMember[] = [];
  for (const m of arg.slice(dot + 1).split(',').filter((x) => x !== '')) {
    const hit = dt && memberPathOffset(dt.type, m);
    if (!dt || !hit) throw new CrashFatal(`Can't get offset of '${name}.${m}'`);
    const t: Type = hit.type;
    members.push({ name: m, offset: hit.offset, width: sizeOf(t) ?? 0, isPtr: t.kind === 'pointer', isStr: isString(dt, m) });
  }
  return { dt, name, members };
}

function printValue(session: Session, m: FastMember, base: bigint, radix: number): string {
  const addr = base + BigInt(m.offset);
  let v = 0n;
  if (m.width <= 8) {
    try {
      const b = session.program.memory.read(kv(addr), m.width);
      for (let i = m.width - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      return `list: cannot access member: ${m.name} at ${hex(addr)}\n`;
    }
  }
  let out = '';
  if (m.width === 1 || m.width === 2 || m.width === 4 || m.width === 8) out += `  ${m.name} = ${radix === 16 ? `0x${v.toString(16)}` : v.toString()}`;
  if (m.isStr) {
    if (m.isPtr) out += `  "${readString(session, v, 1500)}"`;
    else out += `  ${m.name} = "${readString(session, addr, m.width)}"`;
  } else {
    const table = session.debugInfo?.symbols ?? session.symbols;
    const r = table.inRange(v) ? table.resolve(v) : undefined;
    if (r && /^[tTwW]$/.test(r.symbol.type)) out += ` <${r.symbol.name}>`;
  }
  return `${out}\n`;
}

function doList(session: Session, ld: ListData, w: { text: string }, parseMember: boolean, readPtr: (a: bigint, what: string) => bigint): void {
  let next = ld.start;
  const first = readPtr(next + ld.memberOffset, 'first list entry');
  const offset = ld.listHeadOffset + ld.structListOffset;
  const fast = ld.readMember ? ld.structs.map((s) => fastMembers(session, s)) : [];
  const hexRadix = ld.radix === 16;
  const seen = new Set<bigint>();
  let count = 0;
  for (;;) {
    w.text += `${hex(BigInt.asUintN(64, next - ld.listHeadOffset))}\n`;
    ld.structs.forEach((s, i) => {
      const at = BigInt.asUintN(64, next - offset);
      const dot = s.indexOf('.');
      if (dot < 0) {
        const dt = findDatatype(session.program, s);
        if (!dt || (strip(dt.type).kind !== 'struct' && strip(dt.type).kind !== 'union')) throw new CrashFatal(`invalid structure name: ${s}`);
        w.text += printObjectText(session, dt, at, { hex: hexRadix }, 'list');
      } else if (parseMember) {
        const name = s.slice(0, dot);
        const dt = findDatatype(session.program, name);
        if (!dt || (strip(dt.type).kind !== 'struct' && strip(dt.type).kind !== 'union')) throw new CrashFatal(`invalid structure name: ${name}`);
        // dump_struct_member() prints the whole object for each member; the text is the same each time.
        const text = printObjectText(session, dt, at, { hex: hexRadix }, 'list');
        for (const m of s.slice(dot + 1).split(',').filter((x) => x !== '')) {
          if (findMember(dt.type, m)) w.text += parseForMember(text, m);
          else {
            const r = parseForMemberExtended(text, m);
            w.text += r.found ? r.out : `list: invalid data structure member reference: ${m}\n`;
          }
        }
      } else {
        const f = fast[i];
        // dump_struct_members_fast() prints nothing for an entry that is not a kernel address.
        if (!mmOf(session).layout.isKvaddr(at)) return;
        for (const m of f.members) {
          if (m.width > 0 && (m.width <= 8 || m.isStr)) w.text += printValue(session, m, at, m.isPtr ? 16 : ld.radix || 10);
          else if (f.dt) {
            const text = printObjectText(session, f.dt, at, { hex: hexRadix }, 'list');
            w.text += findMember(f.dt.type, m.name) ? parseForMember(text, m.name) : parseForMemberExtended(text, m.name).out;
          }
        }
      }
    });
    const entry = BigInt.asUintN(64, next - ld.listHeadOffset);
    if (next && seen.has(entry)) throw new CrashFatal(`\nduplicate list entry: ${hex(next)}`);
    seen.add(entry);
    count++;
    if (count >= MAX_ENTRIES) throw new CrashFatal(`list has more than ${MAX_ENTRIES} entries: stopped`);
    const last = next;
    next = readPtr(next + ld.memberOffset, 'list entry');
    if (next === 0n) {
      if (ld.headFormat) {
        w.text += '\nlist: invalid list entry: 0\n';
        return;
      }
      break;
    }
    if (next === ld.end || next === ld.start || next === last) break;
    if (next === first && count !== 1) break;
  }
}

export const listCommand: Command = {
  name: 'list',
  summary: 'linked list',
  run({ session, args }) {
    const w = { text: '' };
    try {
      runList(session, args, w);
      return w.text;
    } catch (e) {
      // crash's "\nlist: ..." errors start a line of their own.
      if (e instanceof CrashFatal && e.message.startsWith('\n')) {
        w.text += '\n';
        e.message = e.message.slice(1);
      }
      return finish('list', w.text, e);
    }
  },
};
