// An Object is a Type plus where its value lives: at a kernel virtual address, or held as bytes (a value
// computed rather than read, like &x or a cast). As in drgn, member access, dereference and indexing return
// new Objects and nothing is read from memory until a value is asked for.
import { type KVAddr, hex, kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import { type Type, findMember, sizeOf, strip, typeName, VOID } from '../types/type.ts';
import type { Program } from './program.ts';

export class ObjectError extends CrashlensError {
  override name = 'ObjectError';
}

export class Obj {
  private constructor(
    readonly prog: Program,
    readonly type: Type,
    readonly address: KVAddr | undefined,
    private readonly held: Uint8Array | undefined,
    /** For bit fields: bit position and width inside the bytes at `address`. */
    readonly bitOffset = 0,
    readonly bitSize = 0,
  ) {}

  static at(prog: Program, type: Type, address: bigint): Obj {
    return new Obj(prog, type, kv(address), undefined);
  }

  static ofBytes(prog: Program, type: Type, bytes: Uint8Array): Obj {
    return new Obj(prog, type, undefined, bytes);
  }

  static ofValue(prog: Program, type: Type, value: bigint): Obj {
    const size = sizeOf(type) ?? 8;
    const bytes = new Uint8Array(size);
    const v = new DataView(bytes.buffer);
    let x = BigInt.asUintN(size * 8, value);
    for (let i = 0; i < size; i++, x >>= 8n) v.setUint8(i, Number(x & 0xffn));
    return new Obj(prog, type, undefined, bytes);
  }

  get size(): number {
    return sizeOf(this.type) ?? 0;
  }

  /** The object's bytes (read from memory if it has an address). */
  bytes(): Uint8Array {
    if (this.held) return this.held;
    if (this.address === undefined) throw new ObjectError('object has neither an address nor a value');
    return this.prog.memory.read(this.address, this.size);
  }

  /** An integer, enum, bool, char or pointer value (bit fields extracted, signed types sign-extended). */
  toBigInt(): bigint {
    const t = strip(this.type);
    if (this.bitSize) {
      const storageBytes = Math.ceil((this.bitOffset % 8 + this.bitSize) / 8);
      const start = this.address === undefined ? undefined : kv(this.address + BigInt(Math.floor(this.bitOffset / 8)));
      const raw = start === undefined ? this.held!.subarray(Math.floor(this.bitOffset / 8)) : this.prog.memory.read(start, storageBytes);
      let v = 0n;
      for (let i = storageBytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
      v = (v >> BigInt(this.bitOffset % 8)) & ((1n << BigInt(this.bitSize)) - 1n);
      const signed = t.kind === 'int' ? t.signed : t.kind === 'enum' ? t.signed : false;
      return signed ? BigInt.asIntN(this.bitSize, v) : v;
    }
    switch (t.kind) {
      case 'int':
      case 'bool':
      case 'enum':
      case 'pointer': {
        const b = this.bytes();
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        const signed = (t.kind === 'int' || t.kind === 'enum') && t.signed;
        return signed ? BigInt.asIntN(b.length * 8, v) : v;
      }
      default:
        throw new ObjectError(`cannot read ${typeName(this.type)} as a number`);
    }
  }

  toNumber(): number {
    return Number(this.toBigInt());
  }

  /** A struct/union member; through a pointer to one as well (x->m), as crash's expressions allow. */
  member(name: string): Obj {
    const base = strip(this.type).kind === 'pointer' ? this.deref() : this;
    const hit = findMember(base.type, name);
    if (!hit) throw new ObjectError(`There is no member named ${name}.`);
    const { member, bitOffset } = hit;
    if (member.bitSize) {
      const byte = Math.floor(bitOffset / 8);
      if (base.address !== undefined) return new Obj(this.prog, member.type, kv(base.address + BigInt(byte)), undefined, bitOffset % 8, member.bitSize);
      return new Obj(this.prog, member.type, undefined, base.bytes().subarray(byte), bitOffset % 8, member.bitSize);
    }
    const offset = bitOffset / 8;
    if (base.address !== undefined) return new Obj(this.prog, member.type, kv(base.address + BigInt(offset)), undefined);
    const size = sizeOf(member.type) ?? 0;
    return new Obj(this.prog, member.type, undefined, base.bytes().subarray(offset, offset + size));
  }

  /** *p */
  deref(): Obj {
    const t = strip(this.type);
    if (t.kind !== 'pointer') throw new ObjectError(`Attempt to take contents of a non-pointer value (${typeName(this.type)}).`);
    return new Obj(this.prog, t.target, kv(this.toBigInt()), undefined);
  }

  /** a[i] or p[i] */
  index(i: number | bigint): Obj {
    const t = strip(this.type);
    const n = BigInt(i);
    if (t.kind === 'array') {
      const es = BigInt(sizeOf(t.element) ?? 0);
      if (this.address !== undefined) return new Obj(this.prog, t.element, kv(this.address + n * es), undefined);
      const s = Number(n * es);
      return new Obj(this.prog, t.element, undefined, this.bytes().subarray(s, s + Number(es)));
    }
    if (t.kind === 'pointer') {
      const es = BigInt(sizeOf(t.target) ?? 1);
      return new Obj(this.prog, t.target, kv(this.toBigInt() + n * es), undefined);
    }
    throw new ObjectError(`cannot subscript something of type \`${typeName(this.type)}'`);
  }

  /** &x: a pointer value to this object. */
  addressOf(): Obj {
    if (this.address === undefined) throw new ObjectError('Attempt to take address of value not located in memory.');
    const ptr: Type = { kind: 'pointer', size: 8, target: this.type, tags: [] };
    return Obj.ofValue(this.prog, ptr, this.address);
  }

  /** The same memory (or value) seen as another type. */
  cast(type: Type): Obj {
    const t = strip(type);
    if (t.kind === 'pointer' || t.kind === 'int' || t.kind === 'enum' || t.kind === 'bool') {
      const s = strip(this.type);
      if (s.kind === 'int' || s.kind === 'pointer' || s.kind === 'enum' || s.kind === 'bool') return Obj.ofValue(this.prog, type, this.toBigInt());
    }
    if (this.address !== undefined) return new Obj(this.prog, type, this.address, undefined);
    return new Obj(this.prog, type, undefined, this.held);
  }

  /** container_of(this pointer or object, type, member path). */
  containerOf(type: Type, memberPath: string): Obj {
    const addr = strip(this.type).kind === 'pointer' ? this.toBigInt() : this.address;
    if (addr === undefined) throw new ObjectError('container_of needs an address');
    let offset = 0;
    let cur = type;
    for (const part of memberPath.split('.')) {
      const hit = findMember(cur, part);
      if (!hit) throw new ObjectError(`There is no member named ${part}.`);
      offset += hit.bitOffset / 8;
      cur = hit.member.type;
    }
    return Obj.at(this.prog, type, BigInt.asUintN(64, addr - BigInt(offset)));
  }

  /** A C string: a char array's contents up to its first NUL, or what a char pointer points to. */
  string(max = 4096): string {
    const t = strip(this.type);
    if (t.kind === 'pointer') return this.prog.memory.readCString(kv(this.toBigInt()), max);
    const b = this.bytes();
    const nul = b.indexOf(0);
    const end = Math.min(nul < 0 ? b.length : nul, max);
    let s = '';
    for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]);
    return s;
  }

  isNull(): boolean {
    return this.toBigInt() === 0n;
  }

  toString(): string {
    return `(${typeName(this.type)})${this.address !== undefined ? ` @ 0x${hex(this.address)}` : ''}`;
  }

  static void(prog: Program): Obj {
    return Obj.ofBytes(prog, VOID, new Uint8Array(0));
  }
}
