// The C type model every type source (BTF now, DWARF later) decodes into, and the few operations commands
// need on it: sizes, member lookup through anonymous members, and C spelling as gdb (so crash) prints it.
// Types are plain objects; references between them (a pointer's target, a struct's members) may be lazy
// getters so a source decodes only what is asked for. Cycles (struct list_head { struct list_head *next; })
// are therefore fine: nothing here walks a type graph without a bound.

export type Type =
  | VoidType
  | IntType
  | BoolType
  | FloatType
  | PointerType
  | CompositeType
  | ArrayType
  | EnumType
  | TypedefType
  | FunctionType
  | QualifiedType;

export type TypeKind = Type['kind'];

export interface VoidType {
  readonly kind: 'void';
}

export interface IntType {
  readonly kind: 'int';
  /** As the source spells it ("long unsigned int"); typeName() prints it as gdb does ("unsigned long"). */
  readonly name: string;
  readonly size: number;
  readonly signed: boolean;
  /** A character type (char, signed char, unsigned char): printed as characters. */
  readonly isChar: boolean;
  /** Value bits; less than size*8 only for BTF's rare packed ints. */
  readonly bits: number;
  /** Bit offset of the value inside its storage (BTF_INT_OFFSET); almost always 0. */
  readonly bitOffset: number;
}

export interface BoolType {
  readonly kind: 'bool';
  readonly name: string;
  readonly size: number;
}

export interface FloatType {
  readonly kind: 'float';
  readonly name: string;
  readonly size: number;
}

export interface PointerType {
  readonly kind: 'pointer';
  readonly size: number;
  readonly target: Type;
  /** btf_type_tag annotations on the pointee ("user", "percpu", "rcu"); invisible in C spelling. */
  readonly tags: readonly string[];
}

export interface Member {
  /** undefined for an anonymous struct/union member (its members are reachable by name from the parent). */
  readonly name: string | undefined;
  readonly type: Type;
  /** From the start of the enclosing struct/union. */
  readonly bitOffset: number;
  /** Width of a bit field; 0 when the member is not one. */
  readonly bitSize: number;
  /** btf_decl_tag annotations. */
  readonly tags: readonly string[];
}

export interface CompositeType {
  readonly kind: 'struct' | 'union';
  readonly name: string | undefined;
  /** undefined for a declaration only (struct x;). */
  readonly size: number | undefined;
  readonly complete: boolean;
  readonly members: readonly Member[];
  readonly tags: readonly string[];
}

export interface ArrayType {
  readonly kind: 'array';
  readonly element: Type;
  /** 0 for a flexible or zero-length array. */
  readonly length: number;
  /**
   * For length 0: true for a flexible array (`x[]`, no bound), false for a declared `x[0]`; undefined when
   * the source cannot tell (BTF records both as zero elements).
   */
  readonly flexible?: boolean;
}

export interface Enumerator {
  readonly name: string;
  readonly value: bigint;
}

export interface EnumType {
  readonly kind: 'enum';
  readonly name: string | undefined;
  readonly size: number;
  readonly signed: boolean;
  /** false for a declaration only (enum x;). */
  readonly complete: boolean;
  readonly values: readonly Enumerator[];
}

export interface TypedefType {
  readonly kind: 'typedef';
  readonly name: string;
  readonly target: Type;
}

export interface Param {
  readonly name: string | undefined;
  readonly type: Type;
}

export interface FunctionType {
  readonly kind: 'function';
  readonly returnType: Type;
  readonly params: readonly Param[];
  readonly variadic: boolean;
}

export interface QualifiedType {
  readonly kind: 'const' | 'volatile' | 'restrict';
  readonly target: Type;
}

/** Anything that can find a type by its C spelling: "struct task_struct", "union x", "enum y", "pid_t", "int". */
export interface TypeSource {
  findType(spec: string): Type | undefined;
}

export const VOID: VoidType = Object.freeze({ kind: 'void' });

/**
 * Defines `key` on `obj` as a getter computed once, on first use: how sources make references lazy
 * without a class per kind.
 */
export function defineLazy<T extends object, K extends keyof T>(obj: T, key: K, compute: () => T[K]): void {
  Object.defineProperty(obj, key, {
    configurable: true,
    enumerable: true,
    get(): T[K] {
      const value = compute();
      Object.defineProperty(obj, key, { value, enumerable: true, writable: false, configurable: false });
      return value;
    },
  });
}

/** Qualifier and typedef chains longer than this are corrupt input, not C. */
const MAX_CHAIN = 64;

/** The type with qualifiers removed (typedefs kept). */
export function unqualified(t: Type): Type {
  for (let i = 0; i < MAX_CHAIN; i++) {
    if (t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict') return t;
    t = t.target;
  }
  throw new TypeError('qualifier chain too long');
}

/** The underlying type: qualifiers and typedefs removed. */
export function strip(t: Type): Type {
  for (let i = 0; i < MAX_CHAIN; i++) {
    if (t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'typedef') return t;
    t = t.target;
  }
  throw new TypeError('typedef/qualifier chain too long');
}

/** sizeof, as gdb computes it (void and functions are 1); undefined for an incomplete type. */
export function sizeOf(t: Type): number | undefined {
  const s = strip(t);
  switch (s.kind) {
    case 'void':
    case 'function':
      return 1;
    case 'array': {
      const e = sizeOf(s.element);
      return e === undefined ? undefined : e * s.length;
    }
    case 'struct':
    case 'union':
    case 'int':
    case 'bool':
    case 'float':
    case 'pointer':
    case 'enum':
      return s.size;
    default:
      return undefined; // strip() leaves no typedef or qualifier
  }
}

export interface MemberHit {
  member: Member;
  /** From the start of the outermost struct searched, through any anonymous members. */
  bitOffset: number;
}

/**
 * A member by name, looking inside anonymous struct/union members as C does. `t` may be a typedef or
 * qualified; undefined if it is not a struct/union or has no such member.
 */
export function findMember(t: Type, name: string): MemberHit | undefined {
  return findMemberIn(t, name, 0);
}

function findMemberIn(t: Type, name: string, depth: number): MemberHit | undefined {
  if (depth > MAX_CHAIN) return undefined;
  const s = strip(t);
  if (s.kind !== 'struct' && s.kind !== 'union') return undefined;
  for (const m of s.members) {
    if (m.name === name) return { member: m, bitOffset: m.bitOffset };
    if (m.name === undefined) {
      const inner = findMemberIn(m.type, name, depth + 1);
      if (inner) return { member: inner.member, bitOffset: m.bitOffset + inner.bitOffset };
    }
  }
  return undefined;
}

/** Byte offset of a member path ("core_layout.base", "se.exec_start"); undefined if any step is missing. */
export function memberOffset(t: Type, path: string): { offset: number; type: Type } | undefined {
  let cur = t;
  let bits = 0;
  for (const part of path.split('.')) {
    const hit = findMember(cur, part);
    if (!hit) return undefined;
    bits += hit.bitOffset;
    cur = hit.member.type;
  }
  return { offset: Math.floor(bits / 8), type: cur };
}

/** gdb prints GCC's integer spellings in their short C form. */
const INT_SPELLING: Record<string, string> = {
  'long int': 'long',
  'long unsigned int': 'unsigned long',
  'long long int': 'long long',
  'long long unsigned int': 'unsigned long long',
  'short int': 'short',
  'short unsigned int': 'unsigned short',
};

/** The name gdb gives a named scalar or typedef ("unsigned long", "_Bool", "pid_t"); undefined otherwise. */
export function scalarName(t: Type): string | undefined {
  switch (t.kind) {
    case 'void':
      return 'void';
    case 'int':
      return INT_SPELLING[t.name] ?? t.name;
    case 'bool':
    case 'float':
    case 'typedef':
      return t.name;
    default:
      return undefined;
  }
}

function baseName(t: Type): string | undefined {
  if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'enum') return t.name === undefined ? `${t.kind} {...}` : `${t.kind} ${t.name}`;
  return scalarName(t);
}

/**
 * The C declaration of `name` with type `t`, as gdb prints it: "char comm[16]", "const struct cred *cred",
 * "void (*func)(struct callback_head *)". With an empty name, the type's own spelling ("char [16]").
 */
export function declaration(t: Type, name: string): string {
  return declare(t, name, 0).trim();
}

/** The spelling of a type alone: "struct task_struct *", "unsigned long", "char [16]". */
export function typeName(t: Type): string {
  return declaration(t, '');
}

function declare(t: Type, inner: string, depth: number): string {
  if (depth > MAX_CHAIN * 4) return `?${inner}`; // only corrupt input nests this deep
  const base = baseName(t);
  if (base !== undefined) return inner ? `${base} ${inner}` : base;
  switch (t.kind) {
    case 'const':
    case 'volatile':
    case 'restrict': {
      const target = unqualifiedOnce(t.target);
      // A qualified pointer qualifies the declarator ("char * const p"); anything else qualifies the base
      // type, written first ("const char *p").
      if (target.kind === 'pointer') return declare(t.target, inner ? `${t.kind} ${inner}` : t.kind, depth + 1);
      return `${t.kind} ${declare(t.target, inner, depth + 1)}`;
    }
    case 'pointer': {
      const target = unqualifiedOnce(t.target);
      const star = /^(const|volatile|restrict)\b/.test(inner) ? `* ${inner}` : `*${inner}`;
      const wrapped = target.kind === 'array' || target.kind === 'function' ? `(${star})` : star;
      return declare(t.target, wrapped, depth + 1);
    }
    case 'array':
      return declare(t.element, `${inner}[${t.length > 0 ? t.length : t.flexible === false ? '0' : ''}]`, depth + 1);
    case 'function': {
      const params = t.params.map((p) => typeNameAt(p.type, depth + 1));
      if (t.variadic) params.push('...');
      const list = params.length === 0 ? 'void' : params.join(', ');
      return declare(t.returnType, `${inner}(${list})`, depth + 1);
    }
    default:
      return inner;
  }
}

function typeNameAt(t: Type, depth: number): string {
  return declare(t, '', depth).trim();
}

function unqualifiedOnce(t: Type): Type {
  let cur = t;
  for (let i = 0; i < MAX_CHAIN && (cur.kind === 'const' || cur.kind === 'volatile' || cur.kind === 'restrict'); i++) cur = cur.target;
  return cur;
}
