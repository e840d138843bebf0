// Values printed the way gdb prints them inside crash. crash sets `print pretty on` (structs one member a
// line), `print elements 256` and an unlimited repeat threshold (so never "<repeats N times>"), and leaves
// gdb's other defaults: `print symbol on` (pointers into the kernel image get "<sym+off>"), max-depth 20,
// null-stop off. Char arrays print as strings with \ooo escapes, 1-byte integers with their character,
// enums by name (flag enums as "(A | B)"). With crash's hex radix (`struct -x`, `p -x`) integers and bools
// print in hex while enums, pointers and strings keep their form, as gdb's output-format does.
import { hex, kv } from '../addr.ts';
import { type Type, sizeOf, strip, typeName } from '../types/type.ts';
import { whatisType } from '../types/print.ts';
import type { Obj } from './object.ts';
import type { Program } from './program.ts';

/** crash's gdb settings: `set print elements 256`; repeats unlimited (crash sets the threshold to 0x7fffffff). */
export const PRINT_MAX = 256;
/** gdb's default `set print max-depth 20`. */
const MAX_DEPTH = 20;

export interface FormatOptions {
  /** Print integers in hex (crash's radix 16: `p -x`, `struct -x`). */
  hex?: boolean;
  /** gdb's /x print format (`p/x`): like hex, and char arrays print element by element too. */
  formatX?: boolean;
  /** Address → "<symbol+off>" text for function pointers only (used when `symbol` is not given). */
  symbolize?: (addr: bigint) => string | undefined;
  /** gdb's `print symbol`: "name" or "name+123" for any pointer into the kernel image, else undefined. */
  symbol?: (addr: bigint) => string | undefined;
}

/** gdb's print_wchar for one byte inside `quote`-delimited text. */
function charEscape(c: number, quote: string): string {
  switch (c) {
    case 0x07: return '\\a';
    case 0x08: return '\\b';
    case 0x09: return '\\t';
    case 0x0a: return '\\n';
    case 0x0b: return '\\v';
    case 0x0c: return '\\f';
    case 0x0d: return '\\r';
  }
  if (c >= 0x20 && c < 0x7f) {
    const ch = String.fromCharCode(c);
    return ch === quote || ch === '\\' ? `\\${ch}` : ch;
  }
  return `\\${c.toString(8).padStart(3, '0')}`;
}

/**
 * gdb's generic_printstr for bytes (C strings): one trailing NUL dropped, then runs of equal characters
 * taken whole until PRINT_MAX characters are reached; "..." when that stopped before the end.
 */
export function formatString(bytes: Uint8Array, forceEllipses = false): string {
  let length = bytes.length;
  if (!forceEllipses && length > 0 && bytes[length - 1] === 0) length--;
  if (length === 0) return '""';
  let printed = 0;
  let pos = 0;
  let text = '';
  while (printed < PRINT_MAX && pos < length) {
    let run = 1;
    while (pos + run < length && bytes[pos + run] === bytes[pos]) run++;
    const e = charEscape(bytes[pos], '"');
    text += e.repeat(run);
    printed += run;
    pos += run;
  }
  return `"${text}"${forceEllipses || pos < length ? '...' : ''}`;
}

/** A char array as gdb prints it (kept for callers of the earlier API). */
export function formatCharArray(bytes: Uint8Array): string {
  return formatString(bytes);
}

function readUnsigned(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

/** What one value is: its type, where its bytes are in `buf`, and (when in memory) its address. */
interface Place {
  buf: Uint8Array;
  off: number;
  addr: bigint | undefined;
  /** Bit field position (from `off`) and width; width 0 when not a bit field. */
  bitPos: number;
  bitSize: number;
}

/** gdb's value printer over a byte buffer: nothing is read from memory except what pointers point to. */
export class ValuePrinter {
  constructor(
    readonly prog: Program,
    readonly opts: FormatOptions = {},
  ) {}

  /** `t` at `addr` (its bytes read once), as gdb's `output` prints it. */
  atAddress(t: Type, addr: bigint): string {
    const size = sizeOf(t) ?? 0;
    const buf = this.prog.memory.read(kv(addr), size);
    return this.value(t, { buf, off: 0, addr, bitPos: 0, bitSize: 0 }, 0, MAX_DEPTH);
  }

  /** A value held as bytes (plus its address when it has one). */
  ofBytes(t: Type, buf: Uint8Array, addr: bigint | undefined, bitPos = 0, bitSize = 0): string {
    return this.value(t, { buf, off: 0, addr, bitPos, bitSize }, 0, MAX_DEPTH);
  }

  /** common_val_print: `recurse` is the nesting depth, `maxDepth` gdb's max-depth as anonymous members raise it. */
  value(t: Type, p: Place, recurse: number, maxDepth: number): string {
    const s = strip(t);
    const stringLike = s.kind === 'array' && isTextual(s.element) && !this.opts.formatX;
    if ((s.kind === 'struct' || s.kind === 'union' || s.kind === 'array') && !stringLike && recurse >= maxDepth) return '{...}';
    switch (s.kind) {
      case 'struct':
      case 'union': {
        if (s.members.length === 0) return '{<No data fields>}';
        const parts: string[] = [];
        const pad = ' '.repeat(2 + 2 * recurse);
        for (const m of s.members) {
          const byte = Math.floor(m.bitOffset / 8);
          const sub: Place = m.bitSize
            ? { buf: p.buf, off: p.off + byte, addr: p.addr === undefined ? undefined : p.addr + BigInt(byte), bitPos: m.bitOffset % 8, bitSize: m.bitSize }
            : { buf: p.buf, off: p.off + byte, addr: p.addr === undefined ? undefined : p.addr + BigInt(byte), bitPos: 0, bitSize: 0 };
          // An anonymous member prints without "name = " and counts as its parent's depth.
          const text = this.value(m.type, sub, recurse + 1, m.name === undefined ? maxDepth + 1 : maxDepth);
          parts.push(m.name === undefined ? `${pad}${text}` : `${pad}${m.name} = ${text}`);
        }
        return `{\n${parts.join(',\n')}\n${' '.repeat(2 * recurse)}}`;
      }
      case 'array': {
        const esize = sizeOf(s.element) ?? 0;
        if (s.length === 0 || esize === 0) return this.pointerText(s.element, p.addr ?? 0n);
        if (isTextual(s.element) && !this.opts.formatX) return formatString(p.buf.subarray(p.off, p.off + s.length * esize));
        const items: string[] = [];
        const n = Math.min(s.length, PRINT_MAX);
        for (let i = 0; i < n; i++) {
          const off = p.off + i * esize;
          items.push(this.value(s.element, { buf: p.buf, off, addr: p.addr === undefined ? undefined : p.addr + BigInt(i * esize), bitPos: 0, bitSize: 0 }, recurse + 1, maxDepth));
        }
        return `{${items.join(', ')}${s.length > n ? '...' : ''}}`;
      }
      case 'function':
        return `{${whatisType(t)}} 0x${hex(p.addr ?? 0n)}${this.symbolSuffix(p.addr ?? 0n, true)}`;
      case 'void':
        return 'void';
      default:
        return this.scalar(t, p);
    }
  }

  private raw(t: Type, p: Place): bigint {
    const s = strip(t);
    const size = sizeOf(s) ?? 0;
    const signed = (s.kind === 'int' || s.kind === 'enum') && s.signed;
    if (p.bitSize) {
      const bytes = Math.ceil((p.bitPos + p.bitSize) / 8);
      const v = (readUnsigned(p.buf, p.off, bytes) >> BigInt(p.bitPos)) & ((1n << BigInt(p.bitSize)) - 1n);
      return signed ? BigInt.asIntN(p.bitSize, v) : v;
    }
    const v = readUnsigned(p.buf, p.off, size);
    return signed ? BigInt.asIntN(size * 8, v) : v;
  }

  private hexOf(t: Type, v: bigint): string {
    const size = sizeOf(t) ?? 8;
    return `0x${BigInt.asUintN(size * 8, v).toString(16)}`;
  }

  private scalar(t: Type, p: Place): string {
    const s = strip(t);
    switch (s.kind) {
      case 'bool': {
        const v = this.raw(t, p);
        if (this.opts.hex) return this.hexOf(t, v);
        return v === 0n ? 'false' : v === 1n ? 'true' : v.toString();
      }
      case 'int': {
        const v = this.raw(t, p);
        if (this.opts.hex) return this.hexOf(t, v);
        if (s.size === 1) return `${v} '${charEscape(Number(BigInt.asUintN(8, v)), "'")}'`;
        return v.toString();
      }
      case 'enum':
        return enumText(s.values, this.raw(t, p));
      case 'pointer':
        return this.pointerText(s.target, this.raw(t, p));
      case 'float': {
        const dv = new DataView(p.buf.buffer, p.buf.byteOffset + p.off, s.size);
        return String(s.size === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true));
      }
      default:
        return '?';
    }
  }

  /** " <sym+off>" when gdb would name the address. */
  private symbolSuffix(addr: bigint, isFunction: boolean): string {
    if (this.opts.symbol) {
      const name = this.opts.symbol(addr);
      return name ? ` <${name}>` : '';
    }
    if (!isFunction || addr === 0n) return '';
    const name = this.opts.symbolize?.(addr);
    return name ? ` <${name}>` : '';
  }

  /** c's print_unpacked_pointer: the address, its symbol, and for character targets the string. */
  pointerText(target: Type, addr: bigint): string {
    const t = strip(target);
    const head = `0x${hex(addr)}${this.symbolSuffix(addr, t.kind === 'function')}`;
    if (t.kind === 'function' || addr === 0n || !isTextual(target)) return head;
    return `${head} ${this.stringAt(addr)}`;
  }

  /** gdb's val_print_string with no length: up to PRINT_MAX bytes, stopping at NUL. */
  stringAt(addr: bigint): string {
    const bytes: number[] = [];
    let err = false;
    let a = addr;
    // Read a page at a time, as far as the string goes.
    while (bytes.length < PRINT_MAX) {
      const want = Math.min(PRINT_MAX - bytes.length, Number(0x1000n - (a & 0xfffn)));
      let chunk: Uint8Array;
      try {
        chunk = this.prog.memory.read(kv(a), want);
      } catch {
        err = true;
        break;
      }
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        for (let i = 0; i <= nul; i++) bytes.push(chunk[i]);
        break;
      }
      for (const b of chunk) bytes.push(b);
      a += BigInt(want);
    }
    const foundNul = bytes.length > 0 && bytes[bytes.length - 1] === 0;
    let force = false;
    if (!err && !foundNul) {
      try {
        force = this.prog.memory.read(kv(addr + BigInt(bytes.length)), 1)[0] !== 0;
      } catch {
        force = false;
      }
    }
    let out = err && bytes.length === 0 ? '' : formatString(Uint8Array.from(bytes), force);
    if (err) out += `${out ? ' ' : ''}<error: Cannot access memory at address 0x${hex(addr + BigInt(bytes.length))}>`;
    return out;
  }
}

/** gdb's c_textual_element_type: every 1-byte integer type is printed as characters. */
function isTextual(t: Type): boolean {
  const s = strip(t);
  return s.kind === 'int' && s.size === 1;
}

/**
 * generic_val_print_enum_1: the enumerator's name; for a "flag enum" (non-negative values, each zero or a
 * distinct single bit) the set bits as "(A | B)" with any rest as "unknown: 0x..".
 */
function enumText(values: readonly { name: string; value: bigint }[], v: bigint): string {
  const hit = values.find((e) => e.value === v);
  if (hit) return hit.name;
  let flag = true;
  let mask = 0n;
  for (const e of values) {
    if (e.value < 0n) flag = false;
    else if (e.value.toString(2).replace(/0/g, '').length >= 2) flag = false;
    else if ((mask & e.value) !== 0n) flag = false;
    else mask |= e.value;
  }
  if (!flag) return v.toString();
  let rest = v;
  const parts: string[] = [];
  for (const e of values) {
    if ((rest & e.value) !== 0n) {
      parts.push(e.name);
      rest &= ~e.value;
    }
  }
  if (rest !== 0n) return parts.length ? `(${parts.join(' | ')} | unknown: 0x${rest.toString(16)})` : `(unknown: 0x${rest.toString(16)})`;
  if (parts.length === 0) return '0';
  return `(${parts.join(' | ')})`;
}

/** A value as gdb prints it after "$1 = ". */
export function formatValue(o: Obj, depth = 0, opts: FormatOptions = {}): string {
  const printer = new ValuePrinter(o.prog, opts);
  const bytes = o.bytes();
  return printer.value(o.type, { buf: bytes, off: 0, addr: o.address, bitPos: o.bitOffset, bitSize: o.bitSize }, depth, MAX_DEPTH);
}

/** gdb prefixes a top-level pointer with its type, "(struct task_struct *) 0xffff...", except plain char *. */
export function formatTopLevel(o: Obj, opts: FormatOptions = {}): string {
  const t = strip(o.type);
  if (t.kind === 'pointer') {
    const base = formatValue(o, 0, opts);
    let target = t.target;
    while (target.kind === 'const' || target.kind === 'volatile' || target.kind === 'restrict') target = target.target;
    if (target.kind === 'int' && target.name === 'char') return base;
    return `(${typeName(o.type)}) ${base}`;
  }
  return formatValue(o, 0, opts);
}
