// BTF parsing on blobs built in code: every kind, the name index, bit fields, and corrupt input.
import { describe, expect, it } from 'vitest';
import { Btf, BtfError, type BtfDatasec, type BtfFunc, type BtfVar } from '../../src/types/btf.ts';
import {
  type ArrayType,
  type CompositeType,
  type EnumType,
  type FunctionType,
  type IntType,
  type PointerType,
  declaration,
  findMember,
  memberOffset,
  sizeOf,
  typeName,
} from '../../src/types/type.ts';
import { BtfBuilder } from './btf-builder.ts';

function sample(): { b: BtfBuilder; ids: Record<string, number> } {
  const b = new BtfBuilder();
  const ids: Record<string, number> = {};
  ids.int = b.int('int', 4, 1);
  ids.char = b.int('char', 1, 1);
  ids.ulong = b.int('long unsigned int', 8);
  ids.bool = b.int('_Bool', 1, 4);
  ids.listFwd = b.fwd('list_head');
  ids.list = b.struct('list_head', 16, []); // members patched below through ptrs
  ids.listPtr = b.ptr(ids.list);
  ids.charArr = b.array(ids.char, ids.int, 16);
  ids.constChar = b.const(ids.char);
  ids.userTag = b.typeTag('user', ids.constChar);
  ids.userPtr = b.ptr(ids.userTag);
  ids.pid = b.typedef('pid_t', ids.int);
  ids.vol = b.volatile(ids.int);
  ids.restrictPtr = b.restrict(ids.listPtr);
  ids.color = b.enum('color', 4, [['RED', 0], ['BLUE', -1]], true);
  ids.big = b.enum64('big', 8, [['HUGE', 0xfedcba9876543210n]]);
  ids.dbl = b.float('double', 8);
  ids.proto = b.proto(ids.int, [['a', ids.int], ['p', ids.userPtr], ['', 0]]);
  ids.fn = b.func('do_thing', ids.proto, 1);
  ids.fnPtr = b.ptr(ids.proto);
  ids.anon = b.struct('', 8, [['x', ids.int, 0], ['y', ids.int, 32]]);
  ids.task = b.struct('task', 64, [
    ['pid', ids.pid, 0],
    ['flag1', ids.int, 32, 1],
    ['flag2', ids.int, 33, 3],
    ['comm', ids.charArr, 64],
    ['', ids.anon, 192],
    ['fn', ids.fnPtr, 256],
    ['name', ids.userPtr, 320],
    ['state', ids.vol, 384],
    ['c', ids.color, 416],
    ['d', ids.dbl, 448],
  ]);
  ids.u = b.struct('both', 8, [['i', ids.int, 0], ['l', ids.ulong, 0]], true);
  ids.var = b.var('init_task', ids.task, 1);
  ids.sec = b.datasec('.data', 64, [[ids.var, 0, 64]]);
  ids.tagWhole = b.declTag('sometag', ids.task, -1);
  ids.tagMember = b.declTag('rcu', ids.task, 3);
  ids.unionFwd = b.fwd('maybe', true);
  return { b, ids };
}

describe('BTF from a built blob', () => {
  const { b, ids } = sample();
  const btf = Btf.parse(b.build(), 'test');

  it('counts ids including void', () => {
    expect(btf.count).toBe(ids.unionFwd + 1);
    expect(btf.type(0).kind).toBe('void');
  });

  it('decodes INT, bool, char and float', () => {
    const i = btf.type(ids.int) as IntType;
    expect(i).toMatchObject({ kind: 'int', name: 'int', size: 4, signed: true, isChar: false, bits: 32 });
    expect(btf.type(ids.char)).toMatchObject({ kind: 'int', isChar: true });
    expect(btf.type(ids.bool)).toMatchObject({ kind: 'bool', name: '_Bool', size: 1 });
    expect(btf.type(ids.dbl)).toMatchObject({ kind: 'float', name: 'double', size: 8 });
    expect(typeName(btf.type(ids.ulong))).toBe('unsigned long');
  });

  it('decodes a struct with bit fields, an anonymous member, a typedef and qualifiers', () => {
    const t = btf.findStruct('task') as CompositeType;
    expect(t.size).toBe(64);
    expect(t.complete).toBe(true);
    expect(t.tags).toEqual(['sometag']);
    const names = t.members.map((m) => m.name);
    expect(names).toEqual(['pid', 'flag1', 'flag2', 'comm', undefined, 'fn', 'name', 'state', 'c', 'd']);
    expect(t.members[1]).toMatchObject({ bitOffset: 32, bitSize: 1 });
    expect(t.members[2]).toMatchObject({ bitOffset: 33, bitSize: 3 });
    expect(t.members[3].tags).toEqual(['rcu']);
    expect(declaration(t.members[0].type, 'pid')).toBe('pid_t pid');
    expect(declaration(t.members[3].type, 'comm')).toBe('char comm[16]');
    expect(declaration(t.members[5].type, 'fn')).toBe('int (*fn)(int, const char *, ...)');
    expect(declaration(t.members[6].type, 'name')).toBe('const char *name');
    expect((t.members[6].type as PointerType).tags).toEqual(['user']);
    expect(declaration(t.members[7].type, 'state')).toBe('volatile int state');
    expect(declaration(t.members[8].type, 'c')).toBe('enum color c');
    // y lives in the anonymous struct at byte 24: 192 + 32 bits.
    expect(findMember(t, 'y')?.bitOffset).toBe(224);
    expect(memberOffset(t, 'comm')?.offset).toBe(8);
    expect(sizeOf(t.members[3].type)).toBe(16);
  });

  it('decodes unions, enums, ENUM64, FWD and restrict', () => {
    const u = btf.findUnion('both') as CompositeType;
    expect(u.kind).toBe('union');
    expect(u.members.map((m) => m.bitOffset)).toEqual([0, 0]);
    const e = btf.findEnum('color') as EnumType;
    expect(e.signed).toBe(true);
    expect(e.values).toEqual([{ name: 'RED', value: 0n }, { name: 'BLUE', value: -1n }]);
    expect((btf.findEnum('big') as EnumType).values[0].value).toBe(0xfedcba9876543210n);
    expect(btf.findType('union maybe')).toMatchObject({ kind: 'union', complete: false, size: undefined });
    // A complete definition wins over an earlier forward declaration.
    expect(btf.findType('struct list_head')).toMatchObject({ complete: true, size: 16 });
    expect(typeName(btf.type(ids.restrictPtr))).toBe('struct list_head * restrict');
  });

  it('decodes FUNC, FUNC_PROTO, VAR, DATASEC and DECL_TAG', () => {
    const f = btf.findFunc('do_thing') as BtfFunc;
    expect(f.linkage).toBe('global');
    const proto = f.type as FunctionType;
    expect(proto.variadic).toBe(true);
    expect(proto.params.map((p) => p.name)).toEqual(['a', 'p']);
    const v = btf.findVar('init_task') as BtfVar;
    expect(typeName(v.type)).toBe('struct task');
    const sec = btf.findDatasec('.data') as BtfDatasec;
    expect(sec.vars[0]).toMatchObject({ offset: 0, size: 64 });
    expect(sec.vars[0].entry.name).toBe('init_task');
    expect(btf.entry(ids.tagMember)).toMatchObject({ kind: 'decl_tag', name: 'rcu', targetId: ids.task, component: 3 });
    expect(() => btf.type(ids.var)).toThrow(/is a VAR, not a type/);
  });

  it('looks types up by C spelling', () => {
    expect(btf.findType('pid_t')?.kind).toBe('typedef');
    expect(btf.findType('unsigned long')).toMatchObject({ kind: 'int', name: 'long unsigned int' });
    expect(typeName(btf.findType('struct task **') as PointerType)).toBe('struct task **');
    expect(btf.findType('struct nosuch')).toBeUndefined();
    expect(btf.findType('enum color')?.kind).toBe('enum');
  });

  it('type tags outside pointers are transparent', () => {
    expect(btf.type(ids.userTag).kind).toBe('const');
  });

  it('arrays of arrays and pointers to arrays spell as C does', () => {
    const b2 = new BtfBuilder();
    const c = b2.int('char', 1, 2);
    const i = b2.int('int', 4, 1);
    const a = b2.array(c, i, 4);
    const aa = b2.array(a, i, 2);
    const pa = b2.ptr(a);
    const cp = b2.const(b2.ptr(c));
    const bt = Btf.parse(b2.build());
    expect(declaration(bt.type(aa), 'x')).toBe('char x[2][4]');
    expect(declaration(bt.type(pa), 'x')).toBe('char (*x)[4]');
    expect(declaration(bt.type(cp), 'x')).toBe('char * const x');
    expect(sizeOf(bt.type(aa) as ArrayType)).toBe(8);
  });

  it('reads old-style (no kind_flag) bit fields from the INT encoding', () => {
    const b2 = new BtfBuilder();
    const i = b2.int('int', 4, 1);
    const bf = b2.int('int', 4, 1, 3, 2); // 3 bits at bit offset 2 of its storage
    b2.struct('s', 4, [['a', i, 0], ['b', bf, 0]]);
    const bt = Btf.parse(b2.build());
    const s = bt.findStruct('s') as CompositeType;
    expect(s.members[1]).toMatchObject({ bitSize: 3, bitOffset: 2 });
  });
});

describe('BTF errors', () => {
  const good = (): Uint8Array => sample().b.build();

  it('rejects bad headers with a precise message', () => {
    const b = good();
    b[0] = 0;
    expect(() => Btf.parse(b, 't')).toThrow(/t: bad magic/);
    expect(() => Btf.parse(good().subarray(0, 10), 't')).toThrow(/too short for a BTF header/);
    const v = good();
    v[2] = 2;
    expect(() => Btf.parse(v)).toThrow(/unsupported BTF version 2/);
    const be = good();
    be[0] = 0xeb;
    be[1] = 0x9f;
    expect(() => Btf.parse(be)).toThrow(/big-endian/);
    const off = good();
    new DataView(off.buffer).setUint32(12, 0x7fffffff, true);
    expect(() => Btf.parse(off)).toThrow(/type section .* runs past the end/);
    const strs = good();
    new DataView(strs.buffer).setUint32(16, 3, true);
    expect(() => Btf.parse(strs)).toThrow(BtfError);
  });

  it('rejects truncated records, unknown kinds and bad name offsets', () => {
    const b = new BtfBuilder();
    b.int('int', 4, 1);
    b.raw([0, 31 << 24, 0]);
    expect(() => Btf.parse(b.build())).toThrow(/type 2: unknown kind 31/);
    const c = new BtfBuilder();
    c.raw([0, (4 << 24) | 5, 8]); // a struct claiming 5 members with none present
    expect(() => Btf.parse(c.build())).toThrow(/type 1 \(STRUCT\): 5 entries run past the type section/);
    const d = new BtfBuilder();
    d.raw([0x7fffff, 1 << 24, 4, 32]);
    expect(() => Btf.parse(d.build())).toThrow(/name offset .* outside the string section/);
  });

  it('reports references out of range and loops when the type is used', () => {
    const b = new BtfBuilder();
    b.ptr(99);
    b.typedef('loop', 3);
    b.typedef('loop2', 2);
    const btf = Btf.parse(b.build());
    expect(() => btf.type(1)).toThrow(/reference chain reaches id 99, out of range/);
    expect(() => btf.type(2)).toThrow(/chain longer than 64 \(a loop\?\)/);
    expect(() => btf.findType('loop')).toThrow(BtfError);
  });

  it('rejects invalid INT encodings and sizes when decoded', () => {
    const b = new BtfBuilder();
    b.int('weird', 3);
    b.int('wide', 4, 1, 40);
    b.int('enc', 4, 3);
    const btf = Btf.parse(b.build());
    expect(() => btf.type(1)).toThrow(/size 3 is not/);
    expect(() => btf.type(2)).toThrow(/40 bits at bit 0 do not fit 4 bytes/);
    expect(() => btf.type(3)).toThrow(/invalid encoding 3/);
  });
});
