// The x86-64 decoder crash's framesize scan needs: instruction lengths, and what gdb would print first
// (push/pop/ret/add/sub on %rsp). Checked against objdump 2.40 on one instruction per opcode pattern found
// in the fixture kernels (vectors/x86-64-insn.txt), plus hand-made cases around prefixes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeInsn, disassemble } from '../../src/arch/x86-64-unwind.ts';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
const ADDR = 0xffffffff81000000n;

/** What crash's scan makes of an instruction, in the vector file's words. */
function crashClass(hex: string): { length: number; cls: string } {
  const insn = decodeInsn(bytes(hex), 0, ADDR)!;
  const w = insn.word;
  let cls = '-';
  if (w.startsWith('push')) cls = 'push';
  else if (w.startsWith('pop')) cls = 'pop';
  else if (w.startsWith('ret')) cls = 'ret';
  else if ((w === 'add' || w === 'sub') && insn.rspImm !== undefined) cls = `${w}:0x${insn.rspImm.toString(16)}`;
  return { length: insn.length, cls };
}

describe('decodeInsn against objdump', () => {
  const lines = readFileSync(join(import.meta.dirname, 'vectors', 'x86-64-insn.txt'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  it(`agrees on ${lines.length} instruction patterns`, () => {
    const wrong: string[] = [];
    for (const l of lines) {
      const [hex, len, cls] = l.split(' ');
      const got = crashClass(hex);
      if (got.length !== Number(len) || got.cls !== cls) wrong.push(`${hex}: ${got.length} ${got.cls}, objdump ${len} ${cls}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('decodeInsn by hand', () => {
  it.each([
    ['55', 1, 'push'],
    ['4154', 2, 'push'], // push %r12: REX.B is used
    ['5d', 1, 'pop'],
    ['9c', 1, 'push'], // pushf
    ['c3', 1, 'ret'],
    ['c20800', 3, 'ret'],
    ['f3c3', 2, '-'], // "repz ret": crash's first word is repz
    ['c9', 1, '-'], // gdb prints "leave", crash looks for "leaveq"
    ['4883ec30', 4, 'sub:0x30'],
    ['4881ec00010000', 7, 'sub:0x100'],
    ['4883c408', 4, 'add:0x8'],
    ['4883c480', 4, 'add:0xffffffffffffff80'], // imm8 sign-extended, as gdb prints it
    ['83c408', 3, '-'], // add $0x8,%esp: not %rsp
    ['4983c408', 4, '-'], // add $0x8,%r12
    ['f30fb8c7', 4, 'pop'], // popcnt: crash's "pop" prefix match counts it
    ['f30f1efa', 4, '-'], // endbr64
    ['660f1f440000', 6, '-'],
    ['662e0f1f840000000000', 10, '-'],
    ['48b88877665544332211', 10, '-'], // movabs
    ['c5f877', 3, '-'], // vzeroupper: VEX without ModRM
    ['c4e279180500000000', 9, '-'], // vbroadcastss 0x0(%rip),%xmm0
    ['0f0b', 2, '-'], // ud2
    ['0f01f8', 3, '-'], // swapgs
    ['f04c0fb10e', 5, '-'], // lock cmpxchg
  ])('%s', (hex, length, cls) => {
    expect(crashClass(hex)).toEqual({ length, cls });
  });

  it('gives a call its target and finds the stack realignment', () => {
    const call = decodeInsn(bytes('e8fbffffff'), 0, 0x1000n)!;
    expect(call.word).toBe('call');
    expect(call.callTarget).toBe(0x1000n);
    expect(decodeInsn(bytes('4883e4f0'), 0, 0n)!.andRspMinus16).toBe(true);
    expect(decodeInsn(bytes('4883e4f8'), 0, 0n)!.andRspMinus16).toBe(false);
  });

  it('runs out of bytes rather than guessing', () => {
    expect(decodeInsn(bytes('4881ec0001'), 0, 0n)).toBeUndefined();
    expect(decodeInsn(bytes('e8'), 0, 0n)).toBeUndefined();
  });
});

describe('disassemble', () => {
  const code = bytes('554889e54883ec10e800000000c9c3');
  const read = (addr: bigint, size: number): Uint8Array | undefined => {
    const off = Number(addr - ADDR);
    if (off < 0 || off >= code.length) return undefined;
    return code.subarray(off, Math.min(code.length, off + size));
  };

  it('steps through n instructions as x/Ni does', () => {
    const seen: string[] = [];
    expect(disassemble(read, ADDR, 6, (a, i) => seen.push(`${(a - ADDR).toString()}:${i.word}`))).toBe(true);
    expect(seen).toEqual(['0:push', '1:other', '4:sub', '8:call', '13:leave', '14:ret']);
  });

  it('fails, as gdb does, when an instruction it must decode is unreadable', () => {
    expect(disassemble(read, ADDR, 7, () => undefined)).toBe(false);
  });
});
