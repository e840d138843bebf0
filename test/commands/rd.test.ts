// rd must print what crash 8.0.6 prints: the fixtures' rd -x of init_task on every dump, and the captured
// vectors (every width and radix, ASCII, symbols, excluded / not-RAM / unmapped / user addresses and the
// error words of each dump format, usage errors).
import { describe, expect, it } from 'vitest';
import { getopt, htol, isHexadecimal, stol } from '../../src/commands/crash-tools.ts';
import { allDumps } from '../helpers/fixtures.ts';
import { fixtureCommand, lines, sessionFor, vectors } from './vectors/crash-vectors.ts';

describe('rd matches crash on every fixture (rd-x-init_task-16.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'rd-x-init_task-16.txt');
    it.skipIf(!ref)(`${d.scenario}/${d.name}`, () => {
      const r = sessionFor(d).run(ref!.command);
      expect(r.failed).toBe(false);
      expect(lines(r.output)).toEqual(lines(ref!.expected));
    });
  }
});

describe('rd matches crash on the captured vectors', () => {
  for (const v of vectors('rd')) {
    it(`${v.dump.scenario}/${v.dump.name}: ${v.command}`, () => {
      expect(lines(sessionFor(v.dump).run(v.command).output)).toEqual(lines(v.expected));
    });
  }
});

describe("crash's argument parsing", () => {
  it('getopt: -16 is option 1 with argument 6; options may follow operands; errors are collected', () => {
    const g = getopt('rd', ['ffff', '-16', '-x', '4', '-q', '-o'], 'Raxme:r:pfudDusSNo:81:3:6:');
    expect(g.opts).toEqual([{ c: '1', arg: '6' }, { c: 'x' }, { c: '?' }, { c: '?' }]);
    expect(g.rest).toEqual(['ffff', '4']);
    expect(g.errors).toEqual(["rd: invalid option -- 'q'", "rd: option requires an argument -- 'o'"]);
    expect(getopt('rd', ['-1', '6', '--', '-x'], '1:x').opts).toEqual([{ c: '1', arg: '6' }]);
  });

  it('htol skips x, X and h anywhere and limits the length to 16 digits', () => {
    expect(htol('0xffffffff81000000')).toBe(0xffffffff81000000n);
    expect(htol('10h')).toBe(0x10n);
    expect(() => htol('xyz')).toThrow('invalid input: "xyz"');
    expect(() => htol('12345678901234567')).toThrow('input string too large: "12345678901234567" (17 vs 16)');
  });

  it('stol: decimal when all digits, else hex when it looks hex', () => {
    expect(stol('10')).toBe(10n);
    expect(stol('1f')).toBe(31n);
    expect(stol('0x10')).toBe(16n);
    expect(() => stol('xyz')).toThrow('not a valid number: xyz');
    expect(isHexadecimal('deadbeef')).toBe(true);
    expect(isHexadecimal('jiffies')).toBe(false);
    expect(isHexadecimal('x')).toBe(false);
  });
});
