// BTF (include/uapi/linux/btf.h): the kernel's compact type information, in the image as .BTF between
// __start_BTF and __stop_BTF, so a dump carries it even without a vmlinux. One pass over the type section
// records where each type's record starts and indexes names; a type is decoded into the Type model only
// when asked for, and cached. Every offset, count and reference is checked before it is used: a corrupt
// blob gives a BtfError naming the type id and what is wrong, never a hang or an out-of-bounds read.
import type { KVAddr } from '../addr.ts';
import { hex, kv } from '../addr.ts';
import type { KernelMemory } from '../arch/kernel-memory.ts';
import { CrashlensError } from '../errors.ts';
import {
  type ArrayType,
  type BoolType,
  type CompositeType,
  type EnumType,
  type Enumerator,
  type FloatType,
  type FunctionType,
  type IntType,
  type Member,
  type Param,
  type PointerType,
  type QualifiedType,
  type Type,
  type TypeSource,
  type TypedefType,
  VOID,
  defineLazy,
} from './type.ts';

export class BtfError extends CrashlensError {
  override name = 'BtfError';
  constructor(readonly source: string, message: string, readonly offset?: number) {
    super(`${source}: ${message}${offset !== undefined ? ` (at byte 0x${offset.toString(16)} of the BTF)` : ''}`);
  }
}

export const BTF_MAGIC = 0xeb9f;
const HEADER_MIN = 24;
/** Largest type id and string offset the format can express (btf.h). */
const BTF_MAX_TYPE = 0xfffff;
const BTF_MAX_NAME_OFFSET = 0xffffff;
/** A kernel's BTF is a few MB; anything claiming more from memory is not BTF. */
const MAX_BTF_BYTES = 64 << 20;
/** Modifier/typedef/pointer/array chains longer than this are loops in corrupt input. */
const MAX_CHAIN = 64;

export const enum Kind {
  Unkn = 0,
  Int = 1,
  Ptr = 2,
  Array = 3,
  Struct = 4,
  Union = 5,
  Enum = 6,
  Fwd = 7,
  Typedef = 8,
  Volatile = 9,
  Const = 10,
  Restrict = 11,
  Func = 12,
  FuncProto = 13,
  Var = 14,
  Datasec = 15,
  Float = 16,
  DeclTag = 17,
  TypeTag = 18,
  Enum64 = 19,
}

export const KIND_NAMES = [
  'UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT',
  'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
] as const;

const INT_SIGNED = 1;
const INT_CHAR = 2;
const INT_BOOL = 4;

export type Linkage = 'static' | 'global' | 'extern';
const LINKAGE: readonly Linkage[] = ['static', 'global', 'extern'];

/** A function (BTF_KIND_FUNC): a named declaration whose type is a prototype. */
export interface BtfFunc {
  readonly kind: 'func';
  readonly id: number;
  readonly name: string;
  readonly linkage: Linkage;
  readonly type: FunctionType;
  readonly tags: readonly string[];
}

/** A global or per-CPU variable (BTF_KIND_VAR). */
export interface BtfVar {
  readonly kind: 'var';
  readonly id: number;
  readonly name: string;
  readonly linkage: Linkage;
  readonly type: Type;
  readonly tags: readonly string[];
}

export interface BtfSecinfo {
  readonly entry: BtfVar | BtfFunc;
  readonly offset: number;
  readonly size: number;
}

/** A data section (BTF_KIND_DATASEC, e.g. ".data..percpu") listing the variables in it. */
export interface BtfDatasec {
  readonly kind: 'datasec';
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly vars: readonly BtfSecinfo[];
}

/** btf_decl_tag on a type, member (component >= 0) or the whole declaration (component -1). */
export interface BtfDeclTag {
  readonly kind: 'decl_tag';
  readonly id: number;
  readonly name: string;
  readonly targetId: number;
  readonly component: number;
}

export type BtfEntry = Type | BtfFunc | BtfVar | BtfDatasec | BtfDeclTag;

/** Bytes of the record that follow struct btf_type, per kind; vlen-sized kinds multiply. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case Kind.Int:
    case Kind.Var:
    case Kind.DeclTag:
      return 4;
    case Kind.Array:
      return 12;
    case Kind.Struct:
    case Kind.Union:
    case Kind.Datasec:
    case Kind.Enum64:
      return 12 * vlen;
    case Kind.Enum:
    case Kind.FuncProto:
      return 8 * vlen;
    case Kind.Ptr:
    case Kind.Fwd:
    case Kind.Typedef:
    case Kind.Volatile:
    case Kind.Const:
    case Kind.Restrict:
    case Kind.Func:
    case Kind.Float:
    case Kind.TypeTag:
      return 0;
    default:
      return -1;
  }
}

/** Kinds whose record's third word is another type id to follow (ARRAY follows its element). */
function isChainKind(kind: number): boolean {
  return (
    kind === Kind.Ptr ||
    kind === Kind.Typedef ||
    kind === Kind.Volatile ||
    kind === Kind.Const ||
    kind === Kind.Restrict ||
    kind === Kind.TypeTag ||
    kind === Kind.Array
  );
}

/** gdb spells some GCC integer names differently; lookups accept either. */
const INT_ALIASES: Record<string, string> = {
  'unsigned long': 'long unsigned int',
  long: 'long int',
  'long long': 'long long int',
  'unsigned long long': 'long long unsigned int',
  short: 'short int',
  'unsigned short': 'short unsigned int',
  unsigned: 'unsigned int',
};

export interface BtfHeader {
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
}

const latin1 = new TextDecoder('latin1');

export class Btf implements TypeSource {
  readonly header: BtfHeader;
  /** Number of type ids, counting id 0 (void): valid ids are 0 .. count-1. */
  readonly count: number;
  private readonly view: DataView;
  private readonly typeStart: number;
  private readonly strStart: number;
  /** Byte offset (into `bytes`) of each type's record, by id. */
  private readonly offsets: Uint32Array;
  private readonly cache: (BtfEntry | undefined)[];
  /** Tag names → id, per C tag kind; complete definitions win over declarations. */
  private readonly structIndex = new Map<string, number>();
  private readonly unionIndex = new Map<string, number>();
  private readonly enumIndex = new Map<string, number>();
  /** Typedefs, base types (int, float) → id. */
  private readonly typeIndex = new Map<string, number>();
  private readonly funcIndex = new Map<string, number>();
  private readonly varIndex = new Map<string, number>();
  private readonly datasecIndex = new Map<string, number>();
  /** Target id → its DECL_TAG ids. */
  private readonly declTags = new Map<number, number[]>();
  private typesIndexed = false;
  private declsIndexed = false;

  private constructor(readonly bytes: Uint8Array, readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.header = this.readHeader();
    const h = this.header;
    this.typeStart = h.hdrLen + h.typeOff;
    this.strStart = h.hdrLen + h.strOff;
    // Every record is at least 12 bytes: this bounds the table by the input's size.
    const capacity = Math.floor(h.typeLen / 12) + 1;
    this.offsets = new Uint32Array(capacity);
    this.count = this.indexTypes();
    this.cache = new Array<BtfEntry | undefined>(this.count);
    this.cache[0] = VOID;
  }

  /** Parses a BTF blob (a vmlinux .BTF section, or the bytes between __start_BTF and __stop_BTF). */
  static parse(bytes: Uint8Array, source = 'BTF'): Btf {
    return new Btf(bytes, source);
  }

  /** Reads and parses the kernel's own BTF from memory, between the __start_BTF and __stop_BTF addresses. */
  static fromKernelMemory(mem: KernelMemory, start: KVAddr, stop: KVAddr): Btf {
    const source = `BTF at 0x${hex(start)}`;
    if (stop <= start) throw new BtfError(source, `__stop_BTF (0x${hex(stop)}) is not above __start_BTF`);
    const size = stop - start;
    if (size > BigInt(MAX_BTF_BYTES)) throw new BtfError(source, `claims ${size} bytes: more than any kernel's BTF`);
    const n = Number(size);
    const bytes = new Uint8Array(n);
    // Page-sized reads: the source may hand back views into its cache.
    for (let done = 0; done < n; ) {
      const a = kv(start + BigInt(done));
      const len = Math.min(4096 - Number(a & 0xfffn), n - done);
      bytes.set(mem.read(a, len), done);
      done += len;
    }
    return new Btf(bytes, source);
  }

  private fail(message: string, offset?: number): never {
    throw new BtfError(this.source, message, offset);
  }

  private readHeader(): BtfHeader {
    const b = this.bytes;
    if (b.length < HEADER_MIN) this.fail(`only ${b.length} bytes: too short for a BTF header`);
    const magic = this.view.getUint16(0, true);
    if (magic === 0x9feb) this.fail('big-endian BTF is not supported');
    if (magic !== BTF_MAGIC) this.fail(`bad magic 0x${magic.toString(16)} (expected 0xeb9f)`, 0);
    const version = b[2];
    if (version !== 1) this.fail(`unsupported BTF version ${version}`, 2);
    const flags = b[3];
    const hdrLen = this.view.getUint32(4, true);
    if (hdrLen < HEADER_MIN || hdrLen > b.length) this.fail(`header length ${hdrLen} outside 24..${b.length}`, 4);
    const typeOff = this.view.getUint32(8, true);
    const typeLen = this.view.getUint32(12, true);
    const strOff = this.view.getUint32(16, true);
    const strLen = this.view.getUint32(20, true);
    const body = b.length - hdrLen;
    if (typeOff % 4 !== 0) this.fail(`type section offset ${typeOff} is not 4-byte aligned`, 8);
    if (typeOff + typeLen > body) this.fail(`type section ${typeOff}+${typeLen} runs past the end (${body} bytes after the header)`, 8);
    if (strOff + strLen > body) this.fail(`string section ${strOff}+${strLen} runs past the end (${body} bytes after the header)`, 16);
    if (typeOff < strOff + strLen && strOff < typeOff + typeLen && typeLen > 0 && strLen > 0)
      this.fail('type and string sections overlap', 8);
    if (strLen === 0) this.fail('empty string section');
    if (strLen - 1 > BTF_MAX_NAME_OFFSET) this.fail(`string section of ${strLen} bytes exceeds the format's limit`, 20);
    const s0 = hdrLen + strOff;
    if (b[s0] !== 0) this.fail('string section does not start with an empty string', s0);
    if (b[s0 + strLen - 1] !== 0) this.fail('string section is not NUL-terminated', s0 + strLen - 1);
    return { version, flags, hdrLen, typeOff, typeLen, strOff, strLen };
  }

  /** The one pass: record offsets, check each record fits, index names. Returns the id count. */
  private indexTypes(): number {
    const end = this.typeStart + this.header.typeLen;
    let pos = this.typeStart;
    let id = 1;
    while (pos < end) {
      if (id > BTF_MAX_TYPE) this.fail(`more than ${BTF_MAX_TYPE} types`, pos);
      if (end - pos < 12) this.fail(`type ${id}: record truncated`, pos);
      const nameOff = this.view.getUint32(pos, true);
      const info = this.view.getUint32(pos + 4, true);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const extra = extraBytes(kind, vlen);
      if (extra < 0) this.fail(`type ${id}: unknown kind ${kind}`, pos);
      if (pos + 12 + extra > end) this.fail(`type ${id} (${KIND_NAMES[kind]}): ${vlen} entries run past the type section`, pos);
      if (nameOff >= this.header.strLen) this.fail(`type ${id}: name offset ${nameOff} outside the string section`, pos);
      this.offsets[id] = pos;
      if (kind === Kind.DeclTag) {
        const target = this.view.getUint32(pos + 8, true);
        const list = this.declTags.get(target);
        if (list) list.push(id);
        else this.declTags.set(target, [id]);
      }
      pos += 12 + extra;
      id++;
    }
    return id;
  }

  /**
   * The by-name indexes, each one pass over the recorded offsets made on first lookup: types (struct,
   * union, enum, typedef, base types) and declarations (functions, variables, sections) separately, since
   * a kernel has tens of thousands of functions that type lookups never need. Parsing a blob, or rejecting
   * a corrupt one, costs only the validation pass.
   */
  private ensureTypeIndex(): void {
    if (this.typesIndexed) return;
    this.typesIndexed = true;
    for (let id = 1; id < this.count; id++) {
      const off = this.offsets[id];
      const nameOff = this.u32(off);
      if (nameOff === 0) continue;
      const info = this.u32(off + 4);
      const kind = (info >>> 24) & 0x1f;
      switch (kind) {
        case Kind.Struct:
        case Kind.Union:
        case Kind.Enum:
        case Kind.Enum64:
        case Kind.Fwd: {
          const union = kind === Kind.Union || (kind === Kind.Fwd && info >>> 31 === 1);
          const map = kind === Kind.Enum || kind === Kind.Enum64 ? this.enumIndex : union ? this.unionIndex : this.structIndex;
          const name = this.str(nameOff);
          const prev = map.get(name);
          if (prev === undefined || (!this.isCompleteRecord(prev) && this.isCompleteRecord(id))) map.set(name, id);
          break;
        }
        case Kind.Typedef:
        case Kind.Int:
        case Kind.Float:
          this.setFirst(this.typeIndex, this.str(nameOff), id);
          break;
      }
    }
  }

  private ensureDeclIndex(): void {
    if (this.declsIndexed) return;
    this.declsIndexed = true;
    for (let id = 1; id < this.count; id++) {
      const off = this.offsets[id];
      const nameOff = this.u32(off);
      if (nameOff === 0) continue;
      const kind = (this.u32(off + 4) >>> 24) & 0x1f;
      if (kind === Kind.Func) this.setFirst(this.funcIndex, this.str(nameOff), id);
      else if (kind === Kind.Var) this.setFirst(this.varIndex, this.str(nameOff), id);
      else if (kind === Kind.Datasec) this.setFirst(this.datasecIndex, this.str(nameOff), id);
    }
  }

  private setFirst(map: Map<string, number>, name: string, id: number): void {
    if (!map.has(name)) map.set(name, id);
  }

  private isCompleteRecord(id: number): boolean {
    const info = this.info(id);
    const kind = (info >>> 24) & 0x1f;
    if (kind === Kind.Fwd) return false;
    if (kind === Kind.Enum || kind === Kind.Enum64) return (info & 0xffff) > 0;
    return true;
  }

  /** A NUL-terminated string at `off` in the string section (checked to lie inside it). */
  private str(off: number): string {
    if (off >= this.header.strLen) this.fail(`name offset ${off} outside the string section`);
    const start = this.strStart + off;
    const end = this.bytes.indexOf(0, start); // the section ends with NUL (checked), so this stops inside it
    const chars = this.bytes.subarray(start, end);
    // Names are identifiers: short, so one fromCharCode call; a huge one (corrupt input) goes the slow way.
    return chars.length <= 1024 ? String.fromCharCode(...chars) : latin1.decode(chars);
  }

  private optName(off: number): string | undefined {
    return off === 0 ? undefined : this.str(off);
  }

  private checkId(id: number, from?: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.count)
      this.fail(`type id ${id}${from !== undefined ? ` (referenced by type ${from})` : ''} out of range: the BTF has ids 0..${this.count - 1}`);
  }

  private info(id: number): number {
    return this.view.getUint32(this.offsets[id] + 4, true);
  }

  /** Where a type's record starts in the blob (for messages and tools that look at the raw bytes). */
  recordOffset(id: number): number {
    this.checkId(id);
    return id === 0 ? -1 : this.offsets[id];
  }

  /** The BTF_KIND_* of a type id (0 for void). */
  kindOf(id: number): number {
    this.checkId(id);
    return id === 0 ? Kind.Unkn : (this.info(id) >>> 24) & 0x1f;
  }

  /** The raw name of a type id ("" when anonymous). */
  nameOf(id: number): string {
    this.checkId(id);
    return id === 0 ? '' : this.str(this.view.getUint32(this.offsets[id], true));
  }

  /** The decoded entry for an id: a Type, or a FUNC / VAR / DATASEC / DECL_TAG declaration. */
  entry(id: number): BtfEntry {
    this.checkId(id);
    const hit = this.cache[id];
    if (hit) return hit;
    const e = this.decode(id);
    this.cache[id] = e;
    return e;
  }

  /** The type for an id; a BtfError if the id is a declaration (FUNC, VAR, DATASEC, DECL_TAG). */
  type(id: number, from?: number): Type {
    this.checkId(id, from);
    const e = this.entry(id);
    if (e.kind === 'func' || e.kind === 'var' || e.kind === 'datasec' || e.kind === 'decl_tag')
      this.fail(`type id ${id}${from !== undefined ? ` (referenced by type ${from})` : ''} is a ${KIND_NAMES[this.kindOf(id)]}, not a type`);
    return e;
  }

  private u32(off: number): number {
    return this.view.getUint32(off, true);
  }

  private tagsOf(id: number, component: number): string[] {
    const ids = this.declTags.get(id);
    if (!ids) return [];
    const out: string[] = [];
    for (const t of ids) {
      const off = this.offsets[t];
      if ((this.view.getInt32(off + 12, true)) === component) out.push(this.str(this.u32(off)));
    }
    return out;
  }

  /**
   * Follows pointer/modifier/typedef/array links from `id` without decoding, so a loop in corrupt input
   * (a typedef naming itself) is reported here instead of recursing forever later.
   */
  private checkChain(id: number): void {
    let cur = id;
    for (let steps = 0; steps <= MAX_CHAIN; steps++) {
      if (cur === 0) return;
      if (cur < 0 || cur >= this.count) this.fail(`type ${id}: reference chain reaches id ${cur}, out of range`);
      const kind = (this.info(cur) >>> 24) & 0x1f;
      if (!isChainKind(kind)) return;
      cur = kind === Kind.Array ? this.u32(this.offsets[cur] + 12) : this.u32(this.offsets[cur] + 8);
    }
    this.fail(`type ${id}: pointer/typedef/modifier chain longer than ${MAX_CHAIN} (a loop?)`);
  }

  private decode(id: number): BtfEntry {
    const off = this.offsets[id];
    const nameOff = this.u32(off);
    const info = this.u32(off + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const sizeOrType = this.u32(off + 8);
    const body = off + 12;
    const what = `type ${id} (${KIND_NAMES[kind]})`;
    if (isChainKind(kind)) this.checkChain(id);
    switch (kind) {
      case Kind.Int: {
        const enc = this.u32(body);
        const bits = enc & 0xff;
        const bitOffset = (enc >>> 16) & 0xff;
        const encoding = (enc >>> 24) & 0x0f;
        const size = sizeOrType;
        if (![1, 2, 4, 8, 16].includes(size)) this.fail(`${what}: size ${size} is not 1, 2, 4, 8 or 16`, off);
        if (bits === 0 || bits > size * 8 || bitOffset + bits > size * 8) this.fail(`${what}: ${bits} bits at bit ${bitOffset} do not fit ${size} bytes`, off);
        if ((encoding & (INT_SIGNED | INT_CHAR | INT_BOOL)) !== encoding || (encoding & (encoding - 1)) !== 0)
          this.fail(`${what}: invalid encoding ${encoding}`, off);
        const name = this.str(nameOff);
        if (encoding & INT_BOOL) return { kind: 'bool', name, size } satisfies BoolType;
        return {
          kind: 'int',
          name,
          size,
          signed: (encoding & INT_SIGNED) !== 0,
          isChar: (encoding & INT_CHAR) !== 0 || (size === 1 && /\bchar\b/.test(name)),
          bits,
          bitOffset,
        } satisfies IntType;
      }
      case Kind.Ptr: {
        const p = { kind: 'pointer', size: 8, tags: [] as string[] } as { kind: 'pointer'; size: number; tags: string[]; target: Type };
        // btf_type_tag records sit between a pointer and its pointee: fold them into the pointer.
        let target = sizeOrType;
        for (let i = 0; i < MAX_CHAIN && target !== 0; i++) {
          this.checkId(target, id);
          if (this.kindOf(target) !== Kind.TypeTag) break;
          p.tags.push(this.nameOf(target));
          target = this.u32(this.offsets[target] + 8);
        }
        const t = target;
        defineLazy(p, 'target', () => this.type(t, id));
        return p satisfies PointerType;
      }
      case Kind.Array: {
        const elem = this.u32(body);
        const indexType = this.u32(body + 4);
        const length = this.u32(body + 8);
        this.checkId(elem, id);
        this.checkId(indexType, id);
        const a = { kind: 'array', length } as { kind: 'array'; length: number; element: Type };
        defineLazy(a, 'element', () => this.type(elem, id));
        return a satisfies ArrayType;
      }
      case Kind.Struct:
      case Kind.Union: {
        const c = {
          kind: kind === Kind.Struct ? 'struct' : 'union',
          name: this.optName(nameOff),
          size: sizeOrType,
          complete: true,
          tags: this.tagsOf(id, -1),
        } as { kind: 'struct' | 'union'; name: string | undefined; size: number; complete: boolean; tags: string[]; members: Member[] };
        defineLazy(c, 'members', () => this.members(id, body, vlen, kflag, sizeOrType));
        return c satisfies CompositeType;
      }
      case Kind.Enum:
      case Kind.Enum64: {
        const size = sizeOrType;
        if (![1, 2, 4, 8].includes(size)) this.fail(`${what}: size ${size} is not 1, 2, 4 or 8`, off);
        const values: Enumerator[] = [];
        const step = kind === Kind.Enum ? 8 : 12;
        for (let i = 0; i < vlen; i++) {
          const e = body + i * step;
          let value: bigint;
          if (kind === Kind.Enum) value = kflag ? BigInt(this.view.getInt32(e + 4, true)) : BigInt(this.u32(e + 4));
          else {
            const raw = (BigInt(this.u32(e + 8)) << 32n) | BigInt(this.u32(e + 4));
            value = kflag ? BigInt.asIntN(64, raw) : raw;
          }
          values.push({ name: this.str(this.u32(e)), value });
        }
        return { kind: 'enum', name: this.optName(nameOff), size, signed: kflag, complete: vlen > 0, values } satisfies EnumType;
      }
      case Kind.Fwd:
        return {
          kind: kflag ? 'union' : 'struct',
          name: this.optName(nameOff),
          size: undefined,
          complete: false,
          members: [],
          tags: [],
        } satisfies CompositeType;
      case Kind.Typedef: {
        const name = this.optName(nameOff);
        if (name === undefined) this.fail(`${what}: typedef without a name`, off);
        const t = { kind: 'typedef', name } as { kind: 'typedef'; name: string; target: Type };
        defineLazy(t, 'target', () => this.type(sizeOrType, id));
        return t satisfies TypedefType;
      }
      case Kind.Volatile:
      case Kind.Const:
      case Kind.Restrict: {
        const q = { kind: kind === Kind.Const ? 'const' : kind === Kind.Volatile ? 'volatile' : 'restrict' } as {
          kind: 'const' | 'volatile' | 'restrict';
          target: Type;
        };
        defineLazy(q, 'target', () => this.type(sizeOrType, id));
        return q satisfies QualifiedType;
      }
      case Kind.TypeTag:
        // Outside a pointer a type tag changes nothing a C reader sees: it is its target.
        return this.type(sizeOrType, id);
      case Kind.FuncProto: {
        const params: Param[] = [];
        let variadic = false;
        for (let i = 0; i < vlen; i++) {
          const p = body + i * 8;
          const pname = this.u32(p);
          const ptype = this.u32(p + 4);
          if (i === vlen - 1 && pname === 0 && ptype === 0) {
            variadic = true;
            break;
          }
          if (ptype === 0) this.fail(`${what}: parameter ${i} is void`, off);
          this.checkId(ptype, id);
          const param = { name: this.optName(pname) } as { name: string | undefined; type: Type };
          defineLazy(param, 'type', () => this.type(ptype, id));
          params.push(param);
        }
        this.checkId(sizeOrType, id);
        const f = { kind: 'function', params, variadic } as { kind: 'function'; params: Param[]; variadic: boolean; returnType: Type };
        defineLazy(f, 'returnType', () => this.type(sizeOrType, id));
        return f satisfies FunctionType;
      }
      case Kind.Float: {
        if (![2, 4, 8, 12, 16].includes(sizeOrType)) this.fail(`${what}: size ${sizeOrType} is not a float size`, off);
        return { kind: 'float', name: this.str(nameOff), size: sizeOrType } satisfies FloatType;
      }
      case Kind.Func: {
        const name = this.optName(nameOff);
        if (name === undefined) this.fail(`${what}: function without a name`, off);
        if (vlen > 2) this.fail(`${what}: linkage ${vlen} is not static, global or extern`, off);
        this.checkId(sizeOrType, id);
        if (this.kindOf(sizeOrType) !== Kind.FuncProto) this.fail(`${what}: type ${sizeOrType} is not a FUNC_PROTO`, off);
        const fn = { kind: 'func', id, name, linkage: LINKAGE[vlen], tags: this.tagsOf(id, -1) } as {
          kind: 'func'; id: number; name: string; linkage: Linkage; tags: string[]; type: FunctionType;
        };
        defineLazy(fn, 'type', () => this.type(sizeOrType, id) as FunctionType);
        return fn satisfies BtfFunc;
      }
      case Kind.Var: {
        const name = this.optName(nameOff);
        if (name === undefined) this.fail(`${what}: variable without a name`, off);
        const linkage = this.u32(body);
        if (linkage > 2) this.fail(`${what}: linkage ${linkage} is not static, global or extern`, off);
        this.checkId(sizeOrType, id);
        const v = { kind: 'var', id, name, linkage: LINKAGE[linkage], tags: this.tagsOf(id, -1) } as {
          kind: 'var'; id: number; name: string; linkage: Linkage; tags: string[]; type: Type;
        };
        defineLazy(v, 'type', () => this.type(sizeOrType, id));
        return v satisfies BtfVar;
      }
      case Kind.Datasec: {
        const vars: BtfSecinfo[] = [];
        for (let i = 0; i < vlen; i++) {
          const s = body + i * 12;
          const vid = this.u32(s);
          this.checkId(vid, id);
          const k = this.kindOf(vid);
          if (k !== Kind.Var && k !== Kind.Func) this.fail(`${what}: entry ${i} is a ${KIND_NAMES[k]}, not a VAR or FUNC`, off);
          vars.push({ entry: this.entry(vid) as BtfVar | BtfFunc, offset: this.u32(s + 4), size: this.u32(s + 8) });
        }
        return { kind: 'datasec', id, name: this.str(nameOff), size: sizeOrType, vars } satisfies BtfDatasec;
      }
      case Kind.DeclTag: {
        const component = this.view.getInt32(body, true);
        this.checkId(sizeOrType, id);
        if (component < -1) this.fail(`${what}: component index ${component}`, off);
        return { kind: 'decl_tag', id, name: this.str(nameOff), targetId: sizeOrType, component } satisfies BtfDeclTag;
      }
      default:
        return this.fail(`${what}: unknown kind`, off); // indexTypes already rejected these
    }
  }

  private members(id: number, body: number, vlen: number, kflag: boolean, size: number): Member[] {
    const out: Member[] = [];
    for (let i = 0; i < vlen; i++) {
      const m = body + i * 12;
      const nameOff = this.u32(m);
      const typeId = this.u32(m + 4);
      const raw = this.u32(m + 8);
      this.checkId(typeId, id);
      let bitOffset = kflag ? raw & 0xffffff : raw;
      let bitSize = kflag ? raw >>> 24 : 0;
      // Without kind_flag, a bit field is an INT whose value bits are fewer than its storage.
      if (!kflag && typeId !== 0 && this.kindOf(typeId) === Kind.Int) {
        const enc = this.u32(this.offsets[typeId] + 12);
        const bits = enc & 0xff;
        if (bits !== this.u32(this.offsets[typeId] + 8) * 8) {
          bitSize = bits;
          bitOffset += (enc >>> 16) & 0xff;
        }
      }
      if (bitOffset + bitSize > size * 8)
        this.fail(`type ${id}: member ${i} at bit ${bitOffset} lies beyond the ${size}-byte struct`, m);
      const member = { name: this.optName(nameOff), bitOffset, bitSize, tags: this.tagsOf(id, i) } as {
        name: string | undefined; bitOffset: number; bitSize: number; tags: string[]; type: Type;
      };
      defineLazy(member, 'type', () => this.type(typeId, id));
      out.push(member);
    }
    return out;
  }

  /** The id behind "struct x" / "union x" / "enum x", for callers that need the raw id. */
  tagId(spec: string): number | undefined {
    this.ensureTypeIndex();
    const m = /^(struct|union|enum) (\S+)$/.exec(spec.trim());
    if (!m) return undefined;
    return (m[1] === 'struct' ? this.structIndex : m[1] === 'union' ? this.unionIndex : this.enumIndex).get(m[2]);
  }

  findStruct(name: string): CompositeType | undefined {
    return this.byTag(`struct ${name}`) as CompositeType | undefined;
  }

  findUnion(name: string): CompositeType | undefined {
    return this.byTag(`union ${name}`) as CompositeType | undefined;
  }

  findEnum(name: string): EnumType | undefined {
    return this.byTag(`enum ${name}`) as EnumType | undefined;
  }

  findTypedef(name: string): TypedefType | undefined {
    this.ensureTypeIndex();
    const id = this.typeIndex.get(name);
    if (id === undefined || this.kindOf(id) !== Kind.Typedef) return undefined;
    return this.type(id) as TypedefType;
  }

  private byTag(spec: string): Type | undefined {
    const id = this.tagId(spec);
    return id === undefined ? undefined : this.type(id);
  }

  /**
   * A type by its C spelling: "struct task_struct", "union x", "enum pid_type", "pid_t", "unsigned long",
   * with any number of trailing "*" for pointers.
   */
  findType(spec: string): Type | undefined {
    this.ensureTypeIndex();
    let s = spec.trim().replace(/\s+/g, ' ');
    let stars = 0;
    while (s.endsWith('*')) {
      stars++;
      s = s.slice(0, -1).trimEnd();
    }
    let t: Type | undefined;
    if (/^(struct|union|enum) /.test(s)) t = this.byTag(s);
    else if (s === 'void') t = VOID;
    else {
      const id = this.typeIndex.get(s) ?? this.typeIndex.get(INT_ALIASES[s] ?? '');
      t = id === undefined ? undefined : this.type(id);
    }
    for (let i = 0; t && i < stars; i++) t = { kind: 'pointer', size: 8, target: t, tags: [] };
    return t;
  }

  findFunc(name: string): BtfFunc | undefined {
    this.ensureDeclIndex();
    const id = this.funcIndex.get(name);
    return id === undefined ? undefined : (this.entry(id) as BtfFunc);
  }

  findVar(name: string): BtfVar | undefined {
    this.ensureDeclIndex();
    const id = this.varIndex.get(name);
    return id === undefined ? undefined : (this.entry(id) as BtfVar);
  }

  /** A variable's type: BTF has VAR records for per-CPU variables only (Program.variable asks this). */
  variableType(name: string): Type | undefined {
    return this.findVar(name)?.type;
  }

  findDatasec(name: string): BtfDatasec | undefined {
    this.ensureDeclIndex();
    const id = this.datasecIndex.get(name);
    return id === undefined ? undefined : (this.entry(id) as BtfDatasec);
  }

  /** Names in the struct/union/enum namespace, as "struct x" etc. */
  tagNames(): string[] {
    this.ensureTypeIndex();
    return [
      ...[...this.structIndex.keys()].map((n) => `struct ${n}`),
      ...[...this.unionIndex.keys()].map((n) => `union ${n}`),
      ...[...this.enumIndex.keys()].map((n) => `enum ${n}`),
    ];
  }
}
