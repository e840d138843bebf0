// The Type model's helpers on hand-made types: C spelling as gdb prints it, sizes, member lookup.
import { describe, expect, it } from 'vitest';
import {
  type CompositeType,
  type IntType,
  type Type,
  VOID,
  declaration,
  defineLazy,
  findMember,
  memberOffset,
  sizeOf,
  strip,
  typeName,
} from '../../src/types/type.ts';

const int = (name: string, size: number, signed = true): IntType => ({ kind: 'int', name, size, signed, isChar: name.includes('char'), bits: size * 8, bitOffset: 0 });
const ptr = (target: Type): Type => ({ kind: 'pointer', size: 8, target, tags: [] });

describe('type model', () => {
  it('spells GCC integer names as gdb prints them', () => {
    expect(typeName(int('long unsigned int', 8, false))).toBe('unsigned long');
    expect(typeName(int('long long unsigned int', 8, false))).toBe('unsigned long long');
    expect(typeName(int('short int', 2))).toBe('short');
    expect(typeName(int('long int', 8))).toBe('long');
    expect(typeName(int('unsigned int', 4, false))).toBe('unsigned int');
  });

  it('spells declarators', () => {
    const ch = int('char', 1);
    const fn: Type = { kind: 'function', returnType: VOID, params: [{ name: 'h', type: ptr({ kind: 'struct', name: 'callback_head', size: 16, complete: true, members: [], tags: [] }) }], variadic: false };
    expect(declaration(ptr(fn), 'func')).toBe('void (*func)(struct callback_head *)');
    expect(declaration({ kind: 'function', returnType: VOID, params: [], variadic: false }, 'f')).toBe('void f(void)');
    expect(declaration(ptr(ptr(ch)), 'argv')).toBe('char **argv');
    expect(declaration(ptr({ kind: 'const', target: ch }), 's')).toBe('const char *s');
    expect(declaration({ kind: 'array', element: ptr(ch), length: 4 }, 'v')).toBe('char *v[4]');
    expect(declaration({ kind: 'array', element: ch, length: 0 }, 'buf')).toBe('char buf[]');
    expect(typeName(ptr(VOID))).toBe('void *');
    expect(typeName({ kind: 'struct', name: undefined, size: 4, complete: true, members: [], tags: [] })).toBe('struct {...}');
  });

  it('computes sizes through typedefs and qualifiers', () => {
    const i = int('int', 4);
    const td: Type = { kind: 'typedef', name: 'pid_t', target: { kind: 'const', target: i } };
    expect(sizeOf(td)).toBe(4);
    expect(strip(td)).toBe(i);
    expect(sizeOf({ kind: 'array', element: td, length: 10 })).toBe(40);
    expect(sizeOf(VOID)).toBe(1);
    expect(sizeOf({ kind: 'struct', name: 'x', size: undefined, complete: false, members: [], tags: [] })).toBeUndefined();
  });

  it('finds members inside anonymous members and follows paths', () => {
    const i = int('int', 4);
    const inner: CompositeType = { kind: 'union', name: undefined, size: 8, complete: true, members: [{ name: 'a', type: i, bitOffset: 32, bitSize: 0, tags: [] }], tags: [] };
    const layout: CompositeType = { kind: 'struct', name: 'layout', size: 16, complete: true, members: [{ name: 'base', type: ptr(VOID), bitOffset: 0, bitSize: 0, tags: [] }], tags: [] };
    const outer: CompositeType = {
      kind: 'struct',
      name: 'o',
      size: 32,
      complete: true,
      members: [
        { name: undefined, type: inner, bitOffset: 64, bitSize: 0, tags: [] },
        { name: 'core', type: layout, bitOffset: 128, bitSize: 0, tags: [] },
      ],
      tags: [],
    };
    expect(findMember(outer, 'a')?.bitOffset).toBe(96);
    expect(memberOffset(outer, 'core.base')?.offset).toBe(16);
    expect(memberOffset(outer, 'core.nope')).toBeUndefined();
  });

  it('defineLazy computes once', () => {
    let calls = 0;
    const o = { kind: 'typedef', name: 't' } as { kind: 'typedef'; name: string; target: Type };
    defineLazy(o, 'target', () => {
      calls++;
      return VOID;
    });
    expect(o.target).toBe(VOID);
    expect(o.target).toBe(VOID);
    expect(calls).toBe(1);
  });
});
