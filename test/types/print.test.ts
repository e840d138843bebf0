// Type declarations spelled as gdb's ptype spells them inside crash (c-typeprint.c plus crash's patch that
// keeps unnamed members at their parent's show level).
import { describe, expect, it } from 'vitest';
import { printType, ptype, whatisType } from '../../src/types/print.ts';
import type { CompositeType, EnumType, IntType, Member, Type } from '../../src/types/type.ts';

const int = (name: string, size: number, signed = true): IntType => ({ kind: 'int', name, size, signed, isChar: size === 1, bits: size * 8, bitOffset: 0 });
const INT = int('int', 4);
const UINT = int('unsigned int', 4, false);
const ULONG = int('long unsigned int', 8, false);
const CHAR = int('char', 1);
const ptr = (target: Type): Type => ({ kind: 'pointer', size: 8, target, tags: [] });
const member = (name: string | undefined, type: Type, bitOffset = 0, bitSize = 0): Member => ({ name, type, bitOffset, bitSize, tags: [] });
const struct = (name: string | undefined, members: Member[], kind: 'struct' | 'union' = 'struct'): CompositeType => ({
  kind,
  name,
  size: 8,
  complete: true,
  members,
  tags: [],
});

describe('gdb ptype', () => {
  const listHead = struct('list_head', []);
  (listHead.members as Member[]).push(member('next', ptr(listHead)), member('prev', ptr(listHead), 64));

  it('a struct body, named struct members by tag, GCC integer names in C form', () => {
    const t = struct('s', [member('head', listHead), member('n', ULONG, 128), member('list', ptr(listHead), 192)]);
    expect(ptype(t)).toBe('struct s {\n    struct list_head head;\n    unsigned long n;\n    struct list_head *list;\n}');
  });

  it('anonymous unions and structs expanded at every depth; a named member of anonymous type too', () => {
    const inner = struct(undefined, [member('a', INT), member('b', UINT, 32)]);
    const u = struct(undefined, [member(undefined, inner), member('c', ULONG)], 'union');
    const named = struct(undefined, [member('x', INT), member(undefined, struct(undefined, [member('y', INT)], 'union'))]);
    const t = struct('t', [member(undefined, u), member('hdr', named, 64)]);
    expect(ptype(t)).toBe(
      [
        'struct t {',
        '    union {',
        '        struct {',
        '            int a;',
        '            unsigned int b;',
        '        };',
        '        unsigned long c;',
        '    };',
        '    struct {',
        '        int x;',
        '        union {',
        '            int y;',
        '        };',
        '    } hdr;',
        '}',
      ].join('\n'),
    );
  });

  it('bit fields, arrays, function pointers, pointers to arrays', () => {
    const fn: Type = { kind: 'function', returnType: { kind: 'void' }, params: [{ name: undefined, type: ptr(listHead) }, { name: undefined, type: INT }], variadic: false };
    const noargs: Type = { kind: 'function', returnType: INT, params: [], variadic: false };
    const t = struct('b', [
      member('flags', UINT, 0, 3),
      member('comm', { kind: 'array', element: CHAR, length: 16 }, 32),
      member('fn', ptr(fn), 192),
      member('get', ptr(noargs), 256),
      member('grid', { kind: 'array', element: { kind: 'array', element: INT, length: 3 }, length: 2 }, 320),
      member('rows', ptr({ kind: 'array', element: INT, length: 4 }), 512),
      member('fns', { kind: 'array', element: ptr(fn), length: 2 }, 576),
    ]);
    expect(ptype(t).split('\n').slice(1, -1)).toEqual([
      '    unsigned int flags : 3;',
      '    char comm[16];',
      '    void (*fn)(struct list_head *, int);',
      '    int (*get)(void);',
      '    int grid[2][3];',
      '    int (*rows)[4];',
      '    void (*fns[2])(struct list_head *, int);',
    ]);
  });

  it('qualifiers where gdb puts them', () => {
    const cchar: Type = { kind: 'const', target: CHAR };
    expect(printType(ptr(cchar), 'name', 0, 0)).toBe('const char *name');
    expect(printType({ kind: 'const', target: ptr(CHAR) }, 'p', 0, 0)).toBe('char * const p');
    expect(printType({ kind: 'volatile', target: ULONG }, 'jiffies', 0, 0)).toBe('volatile unsigned long jiffies');
    expect(whatisType(ptr({ kind: 'const', target: listHead }))).toBe('const struct list_head *');
  });

  it('zero-length and flexible arrays', () => {
    const zero: Type = { kind: 'array', element: CHAR, length: 0, flexible: false };
    const flex: Type = { kind: 'array', element: ULONG, length: 0, flexible: true };
    // BTF cannot tell them apart: one that other members follow is taken as [0].
    const unknown: Type = { kind: 'array', element: CHAR, length: 0 };
    const t = struct('z', [member('mark', zero), member('mid', unknown), member('n', INT), member('bits', flex, 32)]);
    expect(ptype(t).split('\n').slice(1, -1)).toEqual(['    char mark[0];', '    char mid[0];', '    int n;', '    unsigned long bits[];']);
  });

  it('enums: values only where they break the count; anonymous bodies at depth', () => {
    const e: EnumType = {
      kind: 'enum',
      name: 'e',
      size: 4,
      signed: false,
      complete: true,
      values: [
        { name: 'A', value: 0n },
        { name: 'B', value: 1n },
        { name: 'C', value: 4n },
        { name: 'D', value: 5n },
      ],
    };
    expect(ptype(e)).toBe('enum e {A, B, C = 4, D}');
    const anon: EnumType = { ...e, name: undefined };
    expect(ptype(struct('s', [member('kind', e), member('mode', anon)]))).toBe('struct s {\n    enum e kind;\n    enum {A, B, C = 4, D} mode;\n}');
    expect(whatisType(anon)).toBe('enum {...}');
  });

  it('a typedef is resolved at the top only', () => {
    const atomic: Type = { kind: 'typedef', name: 'atomic_t', target: struct(undefined, [member('counter', INT)]) };
    expect(ptype(atomic)).toBe('struct {\n    int counter;\n}');
    expect(whatisType(atomic)).toBe('atomic_t');
    expect(ptype(ptr(listHead))).toBe('struct list_head {\n    struct list_head *next;\n    struct list_head *prev;\n} *');
  });

  it('empty and incomplete structs', () => {
    expect(ptype(struct('e', []))).toBe('struct e {\n    <no data fields>\n}');
    expect(ptype({ ...struct('f', []), complete: false, size: undefined })).toBe('struct f {\n    <incomplete type>\n}');
  });
});
