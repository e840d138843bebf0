// The Log view's parsing of crash's `log` / `log -m` text (pure functions, run in Node).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileQuery, panicLine, parseLog, splitMatches } from '../../src/ui/log-lines.ts';
import { fixture } from '../helpers/fixtures.ts';

describe('parseLog', () => {
  test('crash log -m: level before or after the timestamp; continuation lines inherit it', () => {
    const p = parseLog('<6>[    0.000000] Linux version 6.1\n[    7.245052] <0>Kernel panic - not syncing: x\n  more of it\n<4>[    7.3] <TASK>\n', true);
    expect(p.hasLevels).toBe(true);
    expect(p.lines.map((l) => l.level)).toEqual([6, 0, 0, 4]);
    expect(p.lines[1]).toEqual({ level: 0, ts: '[    7.245052] ', text: 'Kernel panic - not syncing: x', event: true });
    // "<TASK>" is stack-trace text, not a level.
    expect(p.lines[3].text).toBe('<TASK>');
    expect(p.counts[0]).toBe(2);
  });

  test('plain log: no levels, timestamps split off, nothing else touched', () => {
    const text = readFileSync(join(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').crashDir, 'log.txt'), 'utf8');
    const p = parseLog(text, false);
    expect(p.hasLevels).toBe(false);
    expect(p.lines.map((l) => l.ts + l.text).join('\n') + '\n').toBe(text);
    const i = panicLine(p.lines);
    expect(p.lines[i].text).toBe('Kernel panic - not syncing: sysrq triggered crash');
    expect(panicLine(p.lines, 'Kernel panic - not syncing: sysrq triggered crash')).toBe(i);
  });
});

describe('search', () => {
  test('plain text is literal and case-insensitive; /regex/ is a regex', () => {
    expect(splitMatches('a.b A.B axb', compileQuery('a.b'))).toEqual(['', 'a.b', ' ', 'A.B', ' axb']);
    expect(splitMatches('pid 12 cpu 3', compileQuery('/\\d+/'))).toEqual(['pid ', '12', ' cpu ', '3', '']);
    expect(compileQuery('/(/')).toBeNull();
    expect(splitMatches('x', null)).toEqual(['x']);
  });
});
