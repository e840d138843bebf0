// whatis and ptype. whatis is crash's cmd_whatis (symbols.c): a symbol's declaration ("struct task_struct
// init_task;", the name spliced into gdb's type text as whatis_variable does), a struct/union/typedef as the
// struct command prints it, an enum's enumerators one a line with values, an enumerator's enum and value,
// else gdb's whatis of the expression. ptype is gdb's own command, which crash passes through: "type = ..."
// with struct, union and enum bodies expanded.
import type { Session } from '../engine/session.ts';
import { CrashlensError } from '../errors.ts';
import { DW_AT, DW_TAG } from '../debuginfo/dwarf/constants.ts';
import { evaluate } from '../program/expression.ts';
import { Kind } from '../types/btf.ts';
import { ptype, whatisType } from '../types/print.ts';
import { type EnumType, type FunctionType, type Type, sizeOf } from '../types/type.ts';
import type { Command } from './command.ts';
import { type Datatype, datatypeDeclaration, findDatatype, memberPathOffset, typeFromSpelling } from './struct.ts';
import { finish, getopt, stol, usage } from './crash-tools.ts';

const STT_OBJECT = 1;
const WHATIS_SYNOPSIS = '[[-o] [struct | union | typedef | symbol]] | \n         [[-r [size|range]] [-m member]]';

/** A function's type by name: DWARF's subprogram, or the BTF FUNC record. */
function functionType(session: Session, name: string): FunctionType | undefined {
  const d = session.debugInfo;
  if (d) {
    const die = d.types.index.lookup('function', name);
    const t = die ? d.types.fromDie(die) : undefined;
    return t?.kind === 'function' ? t : undefined;
  }
  return session.btf?.findFunc(name)?.type;
}

const elfSizes = new WeakMap<Session, Map<string, bigint>>();

/** Object sizes from the vmlinux symbol table. */
function elfObjectSize(session: Session, name: string): bigint | undefined {
  const d = session.debugInfo;
  if (!d) return undefined;
  let m = elfSizes.get(session);
  if (!m) {
    m = new Map();
    for (const s of d.elf.symbols()) if (s.type === STT_OBJECT && !m.has(s.name)) m.set(s.name, s.size);
    elfSizes.set(session, m);
  }
  return m.get(name);
}

/**
 * A global's declared type: DWARF, BTF per-CPU variables, or the well-known globals table. The DWARF index
 * can hold only the extern declaration of an array ("char linux_banner[]") when the definition refers to
 * it by DW_AT_specification; gdb reads the definition, whose length the symbol's size gives.
 */
function variableType(session: Session, name: string): Type | undefined {
  const d = session.debugInfo;
  if (d) {
    const t = d.types.variableType(name);
    if (!t) return t;
    const quals: ('const' | 'volatile' | 'restrict')[] = [];
    let core: Type = t;
    while (core.kind === 'const' || core.kind === 'volatile' || core.kind === 'restrict') {
      quals.push(core.kind);
      core = core.target;
    }
    const esize = core.kind === 'array' ? sizeOf(core.element) : undefined;
    const size = elfObjectSize(session, name);
    if (core.kind !== 'array' || core.length !== 0 || !esize || !size || size % BigInt(esize) !== 0n) return t;
    let out: Type = { kind: 'array', element: core.element, length: Number(size / BigInt(esize)) };
    for (const q of quals.reverse()) out = { kind: q, target: out };
    return out;
  }
  const v = session.btf?.findVar(name);
  if (v) return v.type;
  try {
    return session.program.variable(name).type;
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

/** An enumerator constant: its enum (anonymous ones too) and value. */
function enumerator(session: Session, name: string): { type: EnumType; value: bigint } | undefined {
  const d = session.debugInfo;
  if (d) {
    const die = d.types.index.lookup('enumerator', name);
    if (!die) return undefined;
    const cv = die.attrs.get(DW_AT.const_value);
    const value = cv?.cls === 'const' ? (cv.signed ? BigInt.asIntN(64, cv.value) : cv.value) : 0n;
    // The enum is the nearest enumeration type before the enumerator among the unit's top-level DIEs.
    let parent: Type | undefined;
    for (const c of die.unit.children(die.unit.root())) {
      if (c.offset > die.offset) break;
      if (c.tag === DW_TAG.enumeration_type) parent = d.types.fromDie(c);
    }
    return parent?.kind === 'enum' ? { type: parent, value } : undefined;
  }
  const btf = session.btf;
  if (!btf) return undefined;
  for (let id = 1; id < btf.count; id++) {
    const k = btf.kindOf(id);
    if (k !== Kind.Enum && k !== Kind.Enum64) continue;
    const t = btf.type(id);
    if (t.kind !== 'enum') continue;
    const hit = t.values.find((v) => v.name === name);
    if (hit) return { type: t, value: hit.value };
  }
  return undefined;
}

function symbolEntry(session: Session, name: string): { type: string } | undefined {
  try {
    return (session.debugInfo?.symbols ?? session.symbols).find(name);
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

/** whatis_variable(): gdb's "type = ..." for the symbol with its name spliced in. */
function whatisVariable(session: Session, name: string, symType: string): string {
  const fn = functionType(session, name);
  const vt = fn ? undefined : variableType(session, name);
  let text: string;
  if (fn) text = whatisType(fn);
  else if (vt) text = whatisType(vt);
  else if (session.debugInfo) text = /^[tTwW]$/.test(symType) ? '<text variable, no debug info>' : '<data variable, no debug info>';
  else throw new CrashlensError(`no type information for ${name}: BTF describes functions and per-CPU variables only, open the dump with its vmlinux`);
  const bracket = text.indexOf('[');
  if (bracket >= 0) return `${text.slice(0, bracket)}${name}${text.slice(bracket)};\n`;
  const paren = text.indexOf('(');
  if (paren >= 0) {
    const at = paren === text.lastIndexOf('(') ? paren : text.indexOf(')');
    return `${text.slice(0, at)}${name}${text.slice(at)};\n`;
  }
  return `${text}${text.endsWith('*') ? '' : ' '}${name};\n`;
}

/** walk_enum() with GNU_PRINT_ENUMERATORS: one "  NAME = value" line per enumerator. */
function enumeratorList(dt: Datatype): string {
  const e = dt.core as EnumType;
  let out = dt.typedef ? 'typedef ' : '';
  out += e.name !== undefined ? `enum ${e.name} {\n` : 'enum {\n';
  for (const v of e.values) out += `  ${v.name} = ${v.value}\n`;
  out += e.name !== undefined ? '};\n' : `} ${dt.name};\n`;
  return out;
}

/** gdb's whatis of an expression, or undefined when gdb could not evaluate it. */
function gdbWhatis(session: Session, expr: string): string | undefined {
  const prog = session.program;
  const t = typeFromSpelling(prog, expr);
  if (t) return whatisType(t.kind === 'typedef' ? t.target : t);
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(expr)) {
    const fn = functionType(session, expr);
    if (fn) return whatisType(fn);
  }
  try {
    return whatisType(evaluate(prog, expr).type);
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

/** A named type as gdb's iterate_datatypes sees it: the LOC_TYPEDEF symbols of every unit. */
interface NamedType {
  name: string;
  size: bigint;
  type: () => Type;
}

/** Every named struct, union, enum, typedef and base type, unit by unit (DWARF) or id by id (BTF). */
function* namedTypes(session: Session, done?: ReadonlyMap<string, bigint>): Generator<NamedType> {
  const d = session.debugInfo;
  if (d) {
    const tags = new Set<number>([DW_TAG.structure_type, DW_TAG.class_type, DW_TAG.union_type, DW_TAG.enumeration_type, DW_TAG.typedef, DW_TAG.base_type]);
    for (const u of d.types.index.units) {
      for (const c of u.children(u.root())) {
        if (!tags.has(c.tag) || c.attrs.has(DW_AT.declaration)) continue;
        const n = c.attrs.get(DW_AT.name);
        if (n?.cls !== 'string' || done?.has(n.value)) continue;
        const bs = c.attrs.get(DW_AT.byte_size);
        const type = (): Type => d.types.fromDie(c);
        const size = c.tag !== DW_TAG.typedef && bs?.cls === 'const' ? bs.value : BigInt(sizeOf(type()) ?? 0);
        yield { name: n.value, size, type };
      }
    }
    return;
  }
  const btf = session.btf;
  if (!btf) return;
  const kinds = new Set<number>([Kind.Struct, Kind.Union, Kind.Enum, Kind.Enum64, Kind.Typedef, Kind.Int, Kind.Float]);
  for (let id = 1; id < btf.count; id++) {
    if (!kinds.has(btf.kindOf(id))) continue;
    const name = btf.nameOf(id);
    if (!name) continue;
    const t = btf.type(id);
    yield { name, size: BigInt(sizeOf(t) ?? 0), type: () => t };
  }
}

/**
 * lookup_struct_contents(): does some member's type name contain `wanted`? Array members count by their
 * element type, pointers by their target; members that are structs are searched inside first.
 */
function containsMemberType(t: Type, wanted: string, depth = 0): boolean {
  if (depth > 32 || (t.kind !== 'struct' && t.kind !== 'union')) return false;
  for (const m of t.members) {
    let ft = unqualifiedType(m.type);
    if (ft.kind === 'array') ft = unqualifiedType(ft.element);
    if (ft.kind === 'struct' && containsMemberType(ft, wanted, depth + 1)) return true;
    if (ft.kind === 'pointer') ft = unqualifiedType(ft.target);
    const name = gdbTypeName(ft);
    if (name !== undefined && name.includes(wanted)) return true;
  }
  return false;
}

function unqualifiedType(t: Type): Type {
  let cur = t;
  for (let i = 0; i < 64 && (cur.kind === 'const' || cur.kind === 'volatile' || cur.kind === 'restrict'); i++) cur = cur.target;
  return cur;
}

/** gdb's main_type name: a tag without "struct", a typedef's or base type's own name. */
function gdbTypeName(t: Type): string | undefined {
  switch (t.kind) {
    case 'struct':
    case 'union':
    case 'enum':
    case 'typedef':
    case 'int':
    case 'bool':
    case 'float':
      return t.name;
    case 'void':
      return 'void';
    default:
      return undefined;
  }
}

/** request_types(): types of a size (range) and/or with a member of a type, as "SIZE  TYPE" lines. */
function requestTypes(session: Session, lowest: bigint, highest: bigint, member: string | undefined): string {
  const found = new Map<string, bigint>();
  // Units repeat the same types: judge a name and size once (a name can be two different types).
  const seen = new Set<string>();
  for (const nt of namedTypes(session, found)) {
    const key = `${nt.name}/${nt.size}`;
    if (found.has(nt.name) || seen.has(key)) continue;
    seen.add(key);
    if (highest && !(lowest <= nt.size && nt.size <= highest)) continue;
    if (member !== undefined && !containsMemberType(nt.type(), member)) continue;
    found.set(nt.name, nt.size);
  }
  if (found.size === 0) return '(none found)\n';
  const rows = [...found].sort((a, b) => (a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const len = Math.max(String(rows[rows.length - 1][1]).length, 4);
  return `${'SIZE'.padStart(len)}  TYPE\n${rows.map(([n, sz]) => `${String(sz).padStart(len)}  ${n}\n`).join('')}`;
}

function runWhatis(session: Session, args: string[], w: { text: string }): void {
  const g = getopt('whatis', args, 'om:r:');
  if (g.errors.length) w.text += `${g.errors.join('\n')}\n`;
  let showOffset = false;
  let request = false;
  for (const o of g.opts) {
    if (o.c === 'o') showOffset = true;
    else if (o.c === 'm' || o.c === 'r') request = true;
  }
  if (!g.errors.length && request) {
    let lowest = 0n;
    let highest = 0n;
    let member: string | undefined;
    for (const o of g.opts) {
      if (o.c === 'm') member = o.arg;
      if (o.c === 'r') {
        // strncpy(buf, optarg, 15), then "low-high" or one size.
        const [lo, hi] = (o.arg ?? '').slice(0, 15).split('-');
        lowest = highest = stol(lo);
        if (hi !== undefined) highest = stol(hi);
      }
    }
    w.text += requestTypes(session, lowest, highest, member);
    return;
  }
  const rest = [...g.rest];
  if (g.errors.length || rest.length === 0) {
    w.text += usage('whatis', WHATIS_SYNOPSIS);
    return;
  }
  const failure = (): void => {
    w.text += `whatis: cannot resolve: ${args.join(' ')}\n${usage('whatis', WHATIS_SYNOPSIS)}`;
  };
  let arg = rest[0];
  if (arg === 'struct' || arg === 'union' || arg === 'enum') {
    rest.shift();
    if (rest.length === 0) {
      w.text += usage('whatis', WHATIS_SYNOPSIS);
      return;
    }
    arg = rest[0];
  } else {
    const sym = symbolEntry(session, arg);
    if (sym) {
      w.text += whatisVariable(session, arg, sym.type);
      return;
    }
  }
  const prog = session.program;
  // arg_to_datatype(): "name" or "name.member"; with two dots it gives up, leaving the name cut at the first.
  const dots = arg.split('.').length - 1;
  if (dots <= 1) {
    const [name, member] = arg.split('.');
    const dt = name ? findDatatype(prog, name) : undefined;
    if (dt && (member === undefined || ((dt.kind === 'struct' || dt.kind === 'union') && member !== '' && memberPathOffset(dt.type, member)))) {
      if (dt.kind === 'enum') {
        w.text += enumeratorList(dt);
        return;
      }
      w.text += datatypeDeclaration({ dt, member, showOffset, hex: false });
      return;
    }
    if (!dt && member === undefined) {
      const e = enumerator(session, name);
      if (e) {
        w.text += `enum ${e.type.name ?? '(unknown)'} = ${e.value}\n`;
        return;
      }
    }
  } else arg = arg.slice(0, arg.indexOf('.'));
  const expr = dots > 1 ? arg : [arg, ...rest.slice(1)].join(' ');
  const text = gdbWhatis(session, expr);
  if (text === undefined) {
    failure();
    return;
  }
  w.text += `${text}\n`;
}

export const whatisCommand: Command = {
  name: 'whatis',
  summary: 'search symbol table for data or type information',
  run({ session, args }) {
    const w = { text: '' };
    try {
      runWhatis(session, args, w);
      return w.text;
    } catch (e) {
      return finish('whatis', w.text, e);
    }
  },
};

/** gdb's ptype of a type name or an expression, passed through by crash. */
export const ptypeCommand: Command = {
  name: 'ptype',
  summary: "print a type's definition (gdb)",
  run({ session, args }) {
    const expr = args.join(' ').trim();
    const failed = `gdb: gdb request failed: ptype ${args.join(' ')}\n`;
    if (expr === '') return failed;
    const prog = session.program;
    let t = typeFromSpelling(prog, expr);
    if (!t && /^[A-Za-z_][A-Za-z0-9_]*$/.test(expr)) t = functionType(session, expr);
    if (!t) {
      try {
        t = evaluate(prog, expr).type;
      } catch (e) {
        if (e instanceof CrashlensError) return failed;
        throw e;
      }
    }
    return `type = ${ptype(t)}\n`;
  },
};
