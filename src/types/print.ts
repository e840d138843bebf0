// C type declarations spelled exactly as gdb's C type printer (c-typeprint.c) spells them inside crash:
// `ptype` bodies with four-space indentation per level, anonymous struct/union members expanded in place,
// named struct members by tag only, bit fields "x : 3", function pointers "void (*fn)(struct x *)",
// enums "{A, B = 4, C}". crash patches gdb so an unnamed member keeps its parent's `show` level, which is why
// anonymous blocks nest without limit while a named member of anonymous type goes one level deeper.
import { type ArrayType, type CompositeType, type EnumType, type Member, type Type, scalarName } from './type.ts';

type Qual = 'const' | 'volatile' | 'restrict';
const QUAL_ORDER: readonly Qual[] = ['const', 'volatile', 'restrict'];

/** Qualifier and typedef chains longer than this are corrupt input, not C. */
const MAX_CHAIN = 64;

interface Peeled {
  quals: Set<Qual>;
  core: Type;
}

/** gdb keeps qualifiers as flags on a type; the model wraps types in them. Unwrap and collect. */
function peel(t: Type): Peeled {
  const quals = new Set<Qual>();
  let cur = t;
  for (let i = 0; i < MAX_CHAIN && (cur.kind === 'const' || cur.kind === 'volatile' || cur.kind === 'restrict'); i++) {
    quals.add(cur.kind);
    cur = cur.target;
  }
  return { quals, core: cur };
}

function withQuals(quals: Set<Qual>, t: Type): Type {
  let out = t;
  for (const q of [...QUAL_ORDER].reverse()) if (quals.has(q)) out = { kind: q, target: out };
  return out;
}

/** gdb's check_typedef: typedefs resolved, the qualifiers met on the way kept. */
export function checkTypedef(t: Type): Type {
  const quals = new Set<Qual>();
  let cur = t;
  for (let i = 0; i < MAX_CHAIN; i++) {
    const p = peel(cur);
    for (const q of p.quals) quals.add(q);
    if (p.core.kind !== 'typedef') return withQuals(quals, p.core);
    cur = p.core.target;
  }
  return cur;
}

/** What gdb calls the type's name (a tag for struct/union/enum); undefined for derived types. */
function gdbName(core: Type): string | undefined {
  if (core.kind === 'struct' || core.kind === 'union' || core.kind === 'enum') return core.name;
  return scalarName(core);
}

/** c_type_print_modifier: "const", "volatile", "restrict" with the spaces the caller asks for. */
function modifier(quals: Set<Qual>, preSpace: boolean, postSpace: boolean): string {
  let s = '';
  let did = false;
  for (const q of QUAL_ORDER) {
    if (!quals.has(q)) continue;
    if (did || preSpace) s += ' ';
    s += q;
    did = true;
  }
  if (did && postSpace) s += ' ';
  return s;
}

/**
 * gdb's c_print_type: `t` declared as `name` ("" for the type alone). `show` > 0 expands struct, union and
 * enum bodies (and resolves a top-level typedef); <= 0 prints named types by name; < 0 also abbreviates
 * anonymous bodies to "{...}". `level` is the indentation of the line this declaration is on.
 */
export function printType(t: Type, name: string, show: number, level: number): string {
  return printTypeAt(t, name, show, level, 0);
}

function printTypeAt(t: Type, name: string, show: number, level: number, depth: number): string {
  if (depth > MAX_CHAIN) return `?${name}`;
  const ty = show > 0 ? checkTypedef(t) : t;
  const { core } = peel(ty);
  let out = printBase(ty, show, level, depth);
  const derived = core.kind === 'pointer' || core.kind === 'function' || core.kind === 'array';
  if (name !== '' || ((show > 0 || gdbName(core) === undefined) && derived)) out += ' ';
  out += prefix(ty, show, false, name !== '', depth);
  out += name;
  out += suffix(ty, show, false, depth);
  return out;
}

/** c_type_print_varspec_prefix: the stars and opening parentheses before the name. */
function prefix(t: Type, show: number, passedPtr: boolean, needPostSpace: boolean, depth: number): string {
  if (depth > MAX_CHAIN * 4) return '';
  const { quals, core } = peel(t);
  if (gdbName(core) !== undefined && show <= 0) return '';
  switch (core.kind) {
    case 'pointer':
      return prefix(core.target, show, true, true, depth + 1) + '*' + modifier(quals, true, needPostSpace);
    case 'function':
      return prefix(core.returnType, show, false, false, depth + 1) + (passedPtr ? '(' : '');
    case 'array':
      return prefix(core.element, show, false, needPostSpace, depth + 1) + (passedPtr ? '(' : '');
    case 'typedef':
      return prefix(core.target, show, passedPtr, false, depth + 1);
    default:
      return '';
  }
}

/** c_type_print_varspec_suffix: array bounds, parameter lists and closing parentheses after the name. */
function suffix(t: Type, show: number, passedPtr: boolean, depth: number): string {
  if (depth > MAX_CHAIN * 4) return '';
  const { core } = peel(t);
  if (gdbName(core) !== undefined && show <= 0) return '';
  switch (core.kind) {
    case 'array':
      return `${passedPtr ? ')' : ''}[${arrayBound(core)}]` + suffix(core.element, show, false, depth + 1);
    case 'pointer':
      return suffix(core.target, show, true, depth + 1);
    case 'function': {
      const params = core.params.map((p) => printTypeAt(p.type, '', 0, 0, depth + 1));
      if (params.length > 0 && core.variadic) params.push('...');
      const list = params.length === 0 ? 'void' : params.join(', ');
      return `${passedPtr ? ')' : ''}(${list})` + suffix(core.returnType, show, passedPtr, depth + 1);
    }
    case 'typedef':
      return suffix(core.target, show, passedPtr, depth + 1);
    default:
      return '';
  }
}

/** "16", "0" for a declared zero-length array, "" for a flexible one (or when the source cannot tell). */
function arrayBound(a: ArrayType): string {
  if (a.length > 0) return String(a.length);
  return a.flexible === false ? '0' : '';
}

/** c_type_print_base: the type the declarator is built around, with a struct/union/enum body when shown. */
function printBase(t: Type, show: number, level: number, depth: number): string {
  if (depth > MAX_CHAIN * 4) return '?';
  const { quals, core } = peel(t);
  const name = gdbName(core);
  if (show <= 0 && name !== undefined) {
    const kw = core.kind === 'struct' || core.kind === 'union' || core.kind === 'enum' ? `${core.kind} ` : '';
    return modifier(quals, false, true) + kw + name;
  }
  switch (core.kind) {
    case 'typedef':
      return printBase(withQuals(quals, core.target), show, level, depth + 1);
    case 'function':
      return printBase(core.returnType, show, level, depth + 1);
    case 'pointer':
      return printBase(core.target, show, level, depth + 1);
    case 'array':
      return printBase(core.element, show, level, depth + 1);
    case 'struct':
    case 'union':
      return modifier(quals, false, true) + compositeBody(core, show, level, depth);
    case 'enum':
      return modifier(quals, false, true) + enumBody(core, show);
    default:
      return modifier(quals, false, true) + (name ?? '?');
  }
}

function compositeBody(t: CompositeType, show: number, level: number, depth: number): string {
  let s = `${t.kind} `;
  if (t.name !== undefined) {
    s += t.name;
    if (show > 0) s += ' ';
  }
  if (show < 0) return t.name === undefined ? `${s}{...}` : s;
  s += '{\n';
  const pad = ' '.repeat(level + 4);
  if (t.members.length === 0) s += `${pad}${t.complete ? '<no data fields>' : '<incomplete type>'}\n`;
  t.members.forEach((m, i) => {
    // crash's gdb patch: an unnamed member is printed at its parent's show level.
    const newshow = m.name === undefined ? show : show - 1;
    s += pad + printTypeAt(memberType(t, m, i), m.name ?? '', newshow, level + 4, depth + 1);
    if (m.bitSize) s += ` : ${m.bitSize}`;
    s += ';\n';
  });
  return `${s}${' '.repeat(level)}}`;
}

/**
 * BTF records both `x[]` and `x[0]` as zero elements. The kernel declares flexible arrays last, so a
 * zero-length array that some other member follows is taken as the explicit `[0]` gdb would print.
 */
function memberType(parent: CompositeType, m: Member, index: number): Type {
  const { quals, core } = peel(m.type);
  if (core.kind !== 'array' || core.length !== 0 || core.flexible !== undefined) return m.type;
  if (index === parent.members.length - 1) return m.type;
  return withQuals(quals, { ...core, flexible: false });
}

function enumBody(t: EnumType, show: number): string {
  let s = 'enum ';
  if (t.name !== undefined) {
    s += t.name;
    if (show > 0) s += ' ';
  }
  if (show < 0) return t.name === undefined ? `${s}{...}` : s;
  let last = 0n;
  const items = t.values.map((v) => {
    let item = v.name;
    if (v.value !== last) {
      item += ` = ${v.value}`;
      last = v.value;
    }
    last++;
    return item;
  });
  return `${s}{${items.join(', ')}}`;
}

/** What gdb's `ptype` prints after "type = " for a type. */
export function ptype(t: Type): string {
  return printType(t, '', 1, 0);
}

/** What gdb's `whatis` prints after "type = " for an expression of this type (named types by name). */
export function whatisType(t: Type): string {
  return printType(t, '', -1, 0);
}
