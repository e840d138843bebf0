// DWARF DIEs → the shared Type model (src/types/type.ts). Each DIE becomes one Type object, cached by its
// .debug_info offset; members, targets and parameters are lazy getters so looking up "struct task_struct"
// decodes that struct's members and not the whole graph behind them.
import {
  type ArrayType, type CompositeType, defineLazy, type EnumType, type FunctionType, type IntType, type Member, type Param,
  type PointerType, type QualifiedType, type Type, type TypedefType, type TypeSource, VOID,
} from '../../types/type.ts';
import { DW_AT, DW_TAG } from './constants.ts';
import type { DwarfIndex, NameKind } from './name-index.ts';
import type { AttrValue, Die } from './unit.ts';

const DW_ATE_boolean = 0x02;
const DW_ATE_float = 0x04;
const DW_ATE_signed = 0x05;
const DW_ATE_signed_char = 0x06;
const DW_ATE_unsigned_char = 0x08;
const DW_ATE_UTF = 0x10;

function str(v: AttrValue | undefined): string | undefined {
  return v?.cls === 'string' ? v.value : undefined;
}

function num(v: AttrValue | undefined): number | undefined {
  if (v?.cls !== 'const') return undefined;
  return Number(v.signed ? BigInt.asIntN(64, v.value) : v.value);
}

/** Decodes a DW_AT_data_member_location given as a location expression (DW_OP_plus_uconst N). */
function memberLocation(v: AttrValue | undefined): number {
  if (!v) return 0;
  if (v.cls === 'const') return Number(v.value);
  if (v.cls === 'block' && v.value[0] === 0x23) {
    let result = 0;
    let mul = 1;
    for (let i = 1; i < v.value.length; i++) {
      result += (v.value[i] & 0x7f) * mul;
      if ((v.value[i] & 0x80) === 0) break;
      mul *= 128;
    }
    return result;
  }
  return 0;
}

export class DwarfTypes implements TypeSource {
  private readonly cache = new Map<number, Type>();

  constructor(readonly index: DwarfIndex) {}

  /** The Type of the DIE at an absolute .debug_info offset. */
  typeAt(offset: number): Type {
    const hit = this.cache.get(offset);
    if (hit) return hit;
    const die = this.index.dieAt(offset);
    if (!die) return VOID;
    return this.fromDie(die);
  }

  /** The type a DIE's DW_AT_type names (void when absent). */
  typeOf(die: Die): Type {
    const t = die.attrs.get(DW_AT.type);
    return t?.cls === 'ref' ? this.typeAt(t.offset) : VOID;
  }

  fromDie(die: Die): Type {
    const cached = this.cache.get(die.offset);
    if (cached) return cached;
    const name = str(die.attrs.get(DW_AT.name));
    const size = num(die.attrs.get(DW_AT.byte_size));
    let t: Type;
    switch (die.tag) {
      case DW_TAG.base_type: {
        const enc = num(die.attrs.get(DW_AT.encoding)) ?? DW_ATE_signed;
        const bytes = size ?? 0;
        if (enc === DW_ATE_boolean) t = { kind: 'bool', name: name ?? '_Bool', size: bytes };
        else if (enc === DW_ATE_float) t = { kind: 'float', name: name ?? 'float', size: bytes };
        else {
          const isChar = enc === DW_ATE_signed_char || enc === DW_ATE_unsigned_char || enc === DW_ATE_UTF;
          const signed = enc === DW_ATE_signed || enc === DW_ATE_signed_char;
          t = { kind: 'int', name: name ?? 'int', size: bytes, signed, isChar, bits: bytes * 8, bitOffset: 0 } satisfies IntType;
        }
        break;
      }
      case DW_TAG.pointer_type:
      case DW_TAG.reference_type: {
        const p = { kind: 'pointer', size: size ?? die.unit.header.addrSize, tags: [] } as unknown as PointerType;
        this.cache.set(die.offset, p);
        defineLazy(p, 'target', () => this.typeOf(die));
        return p;
      }
      case DW_TAG.const_type:
      case DW_TAG.volatile_type:
      case DW_TAG.restrict_type:
      case DW_TAG.atomic_type: {
        const kind = die.tag === DW_TAG.const_type ? 'const' : die.tag === DW_TAG.restrict_type ? 'restrict' : 'volatile';
        const q = { kind } as unknown as QualifiedType;
        this.cache.set(die.offset, q);
        defineLazy(q, 'target', () => this.typeOf(die));
        return q;
      }
      case DW_TAG.typedef: {
        const td = { kind: 'typedef', name: name ?? '' } as unknown as TypedefType;
        this.cache.set(die.offset, td);
        defineLazy(td, 'target', () => this.typeOf(die));
        return td;
      }
      case DW_TAG.structure_type:
      case DW_TAG.class_type:
      case DW_TAG.union_type: {
        const declaration = die.attrs.get(DW_AT.declaration)?.cls === 'flag';
        // A declaration-only DIE: find the complete definition by name when another unit has it.
        if (declaration && name) {
          const full = this.index.lookup(die.tag === DW_TAG.union_type ? 'union' : 'struct', name);
          if (full && full.offset !== die.offset) {
            t = this.fromDie(full);
            break;
          }
        }
        const c = {
          kind: die.tag === DW_TAG.union_type ? 'union' : 'struct',
          name,
          size: declaration ? undefined : size ?? 0,
          complete: !declaration,
          tags: [],
        } as unknown as CompositeType;
        this.cache.set(die.offset, c);
        defineLazy(c, 'members', () => this.members(die));
        return c;
      }
      case DW_TAG.enumeration_type: {
        const values = [...die.unit.children(die)]
          .filter((c) => c.tag === DW_TAG.enumerator)
          .map((c) => {
            const v = c.attrs.get(DW_AT.const_value);
            const value = v?.cls === 'const' ? (v.signed ? BigInt.asIntN(64, v.value) : v.value) : 0n;
            return { name: str(c.attrs.get(DW_AT.name)) ?? '', value };
          });
        const base = die.attrs.get(DW_AT.type);
        const under = base?.cls === 'ref' ? this.typeAt(base.offset) : undefined;
        const signed = under?.kind === 'int' ? under.signed : values.some((v) => v.value < 0n);
        t = { kind: 'enum', name, size: size ?? 4, signed, complete: die.attrs.get(DW_AT.declaration) === undefined, values } satisfies EnumType;
        break;
      }
      case DW_TAG.array_type: {
        const dims = [...die.unit.children(die)].filter((c) => c.tag === DW_TAG.subrange_type);
        const element = this.typeOf(die);
        // int a[2][3] is one DIE with two subranges: build the nesting from the innermost dimension out.
        let cur: Type = element;
        for (let i = dims.length - 1; i >= 0; i--) {
          const count = num(dims[i].attrs.get(DW_AT.count));
          const upper = num(dims[i].attrs.get(DW_AT.upper_bound));
          // An upper bound of -1, however encoded, is GCC's [0]; no bound at all is a flexible x[].
          const length = count ?? (upper !== undefined && upper >= 0 && upper < 2 ** 31 ? upper + 1 : 0);
          const flexible = length === 0 ? count === undefined && upper === undefined : undefined;
          cur = { kind: 'array', element: cur, length, ...(flexible === undefined ? {} : { flexible }) } satisfies ArrayType;
        }
        if (dims.length === 0) cur = { kind: 'array', element, length: 0, flexible: true };
        t = cur;
        break;
      }
      case DW_TAG.subroutine_type:
      case DW_TAG.subprogram: {
        const f = { kind: 'function' } as unknown as FunctionType;
        this.cache.set(die.offset, f);
        defineLazy(f, 'returnType', () => this.typeOf(die));
        const params = (): { params: Param[]; variadic: boolean } => {
          const ps: Param[] = [];
          let variadic = false;
          for (const c of die.unit.children(die)) {
            if (c.tag === DW_TAG.formal_parameter) ps.push({ name: str(c.attrs.get(DW_AT.name)), type: this.typeOf(c) });
            else if (c.tag === DW_TAG.unspecified_parameters) variadic = true;
          }
          return { params: ps, variadic };
        };
        defineLazy(f, 'params', () => params().params);
        defineLazy(f, 'variadic', () => params().variadic);
        return f;
      }
      default:
        t = VOID;
    }
    this.cache.set(die.offset, t);
    return t;
  }

  private members(die: Die): Member[] {
    const out: Member[] = [];
    for (const c of die.unit.children(die)) {
      if (c.tag !== DW_TAG.member) continue;
      const bitSize = num(c.attrs.get(DW_AT.bit_size)) ?? 0;
      let bitOffset: number;
      const dbo = num(c.attrs.get(DW_AT.data_bit_offset));
      if (dbo !== undefined) bitOffset = dbo;
      else {
        bitOffset = memberLocation(c.attrs.get(DW_AT.data_member_location)) * 8;
        // DWARF 2/3 bit fields: DW_AT_bit_offset counts from the storage unit's most significant bit.
        const legacy = num(c.attrs.get(DW_AT.bit_offset));
        if (legacy !== undefined && bitSize) {
          const storage = (num(c.attrs.get(DW_AT.byte_size)) ?? 0) * 8;
          bitOffset += storage - legacy - bitSize;
        }
      }
      out.push({ name: str(c.attrs.get(DW_AT.name)), type: this.typeOf(c), bitOffset, bitSize, tags: [] });
    }
    return out;
  }

  /** A type by its C spelling: "struct task_struct", "union u", "enum e", a typedef or a base type name. */
  findType(spec: string): Type | undefined {
    const s = spec.trim().replace(/\s+/g, ' ');
    const m = /^(struct|union|enum) (\S+)$/.exec(s);
    const tryKind = (kind: NameKind, name: string): Type | undefined => {
      const d = this.index.lookup(kind, name);
      return d ? this.fromDie(d) : undefined;
    };
    if (m) return tryKind(m[1] as NameKind, m[2]);
    return tryKind('typedef', s) ?? tryKind('base', s) ?? tryKind('struct', s) ?? tryKind('union', s) ?? tryKind('enum', s);
  }

  /** Every distinct definition of "struct x" / "union x" (static types of separate files may share a name). */
  findAllTypes(spec: string): Type[] {
    const m = /^(struct|union) (\S+)$/.exec(spec.trim().replace(/\s+/g, ' '));
    if (!m) {
      const t = this.findType(spec);
      return t ? [t] : [];
    }
    return this.index.lookupAll(m[1] as NameKind, m[2]).map((d) => this.fromDie(d));
  }

  /** The declared type of a global variable, if DWARF describes it. */
  variableType(name: string): Type | undefined {
    const d = this.index.lookup('variable', name);
    return d ? this.typeOf(d) : undefined;
  }
}
