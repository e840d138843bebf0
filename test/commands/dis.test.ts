// dis against crash 8.0.6: the captured vectors (test/commands/vectors/*--dis.txt and the Debian mixed file),
// with the vmlinux as crash had it: whole functions, COUNT, -r / -f, -l, -x / -d, duplicates, excluded init
// text, module text, ftrace NOPs. Also the libopcodes spellings the decoder maps, on fixed byte strings.
import { describe, expect, it } from 'vitest';
import { disassemble, formatInsn } from '../../src/arch/x86-64-disasm.ts';
import { hasDebian, openSession as open } from '../helpers/sessions.ts';
import { vectors } from './vectors/crash-vectors.ts';

describe('dis matches crash (captured vectors, with the vmlinux)', () => {
  for (const v of vectors('dis')) {
    const debian = v.dump.scenario !== 't-tiny-la57';
    it.skipIf(debian && !hasDebian)(`${v.dump.scenario}/${v.dump.name}: ${v.command}`, () => {
      expect(open(v.dump, 'dwarf').run(v.command).output).toBe(v.expected);
    });
  }
});

describe('x86-64 instructions in gdb 16\'s spelling', () => {
  const at = 0xffffffff81000000n;
  const one = (hex: string): string => {
    const bytes = Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));
    const [i] = disassemble(bytes, at, 1);
    return formatInsn(i, (a) => (a === at + 0x20n ? 'target' : undefined));
  };
  const cases: [string, string][] = [
    ['55', 'push   %rbp'],
    ['c3', 'ret    '],
    ['90', 'nop'],
    ['0f0b', 'ud2    '],
    ['4889e5', 'mov    %rsp,%rbp'],
    ['f6401910', 'testb  $0x10,0x19(%rax)'],
    ['d1ea', 'shr    %edx'],
    ['c1ea01', 'shr    $0x1,%edx'],
    ['69c0e8030000', 'imul   $0x3e8,%eax,%eax'],
    ['ee', 'out    %al,(%dx)'],
    ['66ed', 'in     (%dx),%ax'],
    ['f3ab', 'rep stos %eax,%es:(%rdi)'],
    ['f3a4', 'rep movsb %ds:(%rsi),%es:(%rdi)'],
    ['0f1f440000', 'nopl   0x0(%rax,%rax,1)'],
    ['66662e0f1f840000000000', 'data16 nopw %cs:0x0(%rax,%rax,1)'],
    ['4a8b6c2508', 'mov    0x8(%rbp,%r12,1),%rbp'],
    ['ff5010', 'call   *0x10(%rax)'],
    ['ff7508', 'push   0x8(%rbp)'],
    ['eb1e', 'jmp    0xffffffff81000020 <target>'],
    ['803d1900000000', 'cmpb   $0x0,0x19(%rip)        # 0xffffffff81000020 <target>'],
  ];
  for (const [bytes, text] of cases) it(`${bytes} → ${text}`, () => expect(one(bytes)).toBe(text));
});
