// Values printed the way gdb prints them inside crash (`set print pretty on`): structs one member a line,
// char arrays as strings with \ooo escapes and <repeats N times>, arrays with repeat runs, pointers in hex,
// function pointers with their symbol, enums by name.
import { hex, kv } from '../addr.ts';
import { type Type, strip, typeName } from '../types/type.ts';
import type { Obj } from './object.ts';

/** gdb's defaults: `set print elements 200`, `set print repeats 10`. */
const PRINT_ELEMENTS = 200;
const REPEAT_THRESHOLD = 10;

export interface FormatOptions {
  /** Print integers in hex (crash's `p -x`). */
  hex?: boolean;
  /** Address → "<symbol+off>" for function pointers. */
  symbolize?: (addr: bigint) => string | undefined;
}

function charEscape(c: number, quote: string): string {
  switch (c) {
    case 0x07: return '\\a';
    case 0x08: return '\\b';
    case 0x09: return '\\t';
    case 0x0a: return '\\n';
    case 0x0b: return '\\v';
    case 0x0c: return '\\f';
    case 0x0d: return '\\r';
    case 0x1b: return '\\033';
    case 0x5c: return '\\\\';
  }
  if (String.fromCharCode(c) === quote) return `\\${quote}`;
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
  return `\\${c.toString(8).padStart(3, '0')}`;
}

/** A char array as gdb prints it: "abc", 'x' <repeats 20 times>, "def"... */
export function formatCharArray(bytes: Uint8Array): string {
  let n = bytes.length;
  // gdb treats one trailing NUL as the terminator, not as content ("print null-stop off").
  if (n > 0 && bytes[n - 1] === 0) n--;
  const limit = Math.min(n, PRINT_ELEMENTS);
  const parts: string[] = [];
  let quoted = '';
  let i = 0;
  while (i < limit) {
    let run = 1;
    while (i + run < n && bytes[i + run] === bytes[i]) run++;
    if (run > REPEAT_THRESHOLD) {
      if (quoted) parts.push(`"${quoted}"`);
      quoted = '';
      parts.push(`'${charEscape(bytes[i], "'")}' <repeats ${run} times>`);
      i += run;
    } else {
      quoted += charEscape(bytes[i], '"');
      i++;
    }
  }
  if (quoted) parts.push(`"${quoted}"`);
  if (parts.length === 0) return '""';
  return parts.join(', ') + (n > PRINT_ELEMENTS ? '...' : '');
}

function formatScalar(o: Obj, opts: FormatOptions): string {
  const t = strip(o.type);
  switch (t.kind) {
    case 'bool':
      return o.toBigInt() ? 'true' : 'false';
    case 'int': {
      const v = o.toBigInt();
      if (opts.hex) return `0x${hex(BigInt.asUintN(t.size * 8, v))}`;
      if (t.isChar && t.size === 1) return `${v} '${charEscape(Number(BigInt.asUintN(8, v)), "'")}'`;
      return v.toString();
    }
    case 'enum': {
      const v = o.toBigInt();
      const e = t.values.find((x) => x.value === v);
      return e ? e.name : opts.hex ? `0x${hex(v)}` : v.toString();
    }
    case 'pointer': {
      const v = o.toBigInt();
      const target = strip(t.target);
      if (target.kind === 'function') {
        const sym = v !== 0n ? opts.symbolize?.(v) : undefined;
        return sym ? `0x${hex(v)} <${sym}>` : `0x${hex(v)}`;
      }
      return `0x${hex(v)}`;
    }
    case 'float': {
      const b = o.bytes();
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return String(t.size === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true));
    }
    default:
      return '?';
  }
}

function formatArray(o: Obj, depth: number, opts: FormatOptions): string {
  const t = strip(o.type);
  if (t.kind !== 'array') return '?';
  const el = strip(t.element);
  if (el.kind === 'int' && el.isChar && el.size === 1) return formatCharArray(o.bytes());
  if (t.length === 0) return '0x' + hex(o.address ?? 0n);
  const items: string[] = [];
  let i = 0;
  const limit = Math.min(t.length, PRINT_ELEMENTS);
  while (i < limit) {
    const s = formatValue(o.index(i), depth, opts);
    let run = 1;
    while (i + run < t.length && formatValue(o.index(i + run), depth, opts) === s) run++;
    if (run > REPEAT_THRESHOLD) {
      items.push(`${s} <repeats ${run} times>`);
      i += run;
    } else {
      items.push(s);
      i++;
    }
  }
  return `{${items.join(', ')}${t.length > PRINT_ELEMENTS ? '...' : ''}}`;
}

function formatComposite(o: Obj, depth: number, opts: FormatOptions): string {
  const t = strip(o.type);
  if (t.kind !== 'struct' && t.kind !== 'union') return '?';
  if (t.members.length === 0) return '{}';
  const pad = '  '.repeat(depth + 1);
  const lines = t.members.map((m) => {
    const value = m.name === undefined ? o.member(firstNamed(m.type) ?? '') : o.member(m.name);
    const v = m.name === undefined ? formatAnonymous(o, m.type, depth + 1, opts) : formatValue(value, depth + 1, opts);
    return m.name === undefined ? `${pad}${v}` : `${pad}${m.name} = ${v}`;
  });
  return `{\n${lines.join(',\n')}\n${'  '.repeat(depth)}}`;
}

/** An anonymous struct/union member printed in place, as gdb does: "{ a = 1, ... }" without a name. */
function formatAnonymous(parent: Obj, type: Type, depth: number, opts: FormatOptions): string {
  const t = strip(type);
  if (t.kind !== 'struct' && t.kind !== 'union') return '?';
  const pad = '  '.repeat(depth + 1);
  const lines = t.members.map((m) => (m.name === undefined ? `${pad}${formatAnonymous(parent, m.type, depth + 1, opts)}` : `${pad}${m.name} = ${formatValue(parent.member(m.name), depth + 1, opts)}`));
  return `{\n${lines.join(',\n')}\n${'  '.repeat(depth)}}`;
}

function firstNamed(t: Type): string | undefined {
  const s = strip(t);
  if (s.kind !== 'struct' && s.kind !== 'union') return undefined;
  for (const m of s.members) if (m.name !== undefined) return m.name;
  return undefined;
}

/** A value as gdb prints it after "$1 = ". */
export function formatValue(o: Obj, depth = 0, opts: FormatOptions = {}): string {
  const t = strip(o.type);
  switch (t.kind) {
    case 'struct':
    case 'union':
      return formatComposite(o, depth, opts);
    case 'array':
      return formatArray(o, depth, opts);
    case 'function':
      return `{${typeName(o.type)}} 0x${hex(o.address ?? 0n)}`;
    case 'void':
      return 'void';
    default:
      return formatScalar(o, opts);
  }
}

/** gdb prefixes a top-level pointer with its type: "(struct task_struct *) 0xffff...". */
export function formatTopLevel(o: Obj, opts: FormatOptions = {}): string {
  const t = strip(o.type);
  if (t.kind === 'pointer') {
    const target = strip(t.target);
    const base = formatValue(o, 0, opts);
    if (target.kind === 'int' && target.isChar && target.size === 1 && !o.isNull()) {
      let s: string;
      try {
        const text = o.prog.memory.readCString(kv(o.toBigInt()), PRINT_ELEMENTS);
        s = ` "${[...text].map((c) => charEscape(c.charCodeAt(0), '"')).join('')}"`;
      } catch {
        s = ` <error: Cannot access memory at address 0x${hex(o.toBigInt())}>`;
      }
      return `0x${hex(o.toBigInt())}${s}`;
    }
    return `(${typeName(o.type)}) ${base}`;
  }
  return formatValue(o, 0, opts);
}

