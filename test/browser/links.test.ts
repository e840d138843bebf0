// Addresses found in command output for the views to link (pure; run in Node).
import { describe, expect, test } from 'vitest';
import { isKernelAddress, linkify } from '../../src/ui/links.ts';

const text = (pieces: ReturnType<typeof linkify>): string => pieces.map((p) => (typeof p === 'string' ? p : p.text)).join('');

describe('linkify', () => {
  test("crash's and gdb's spellings; the text comes back whole", () => {
    const s = 'PID: 1  TASK: ffff8ab0811fe000  CPU: 1\n  parent = 0xffffffffa201aa40 <init_task>,\n ff2d6b9b80a67580';
    const p = linkify(s);
    expect(p.filter((x) => typeof x !== 'string')).toEqual([
      { addr: 'ffff8ab0811fe000', text: 'ffff8ab0811fe000' },
      { addr: 'ffffffffa201aa40', text: '0xffffffffa201aa40' },
      { addr: 'ff2d6b9b80a67580', text: 'ff2d6b9b80a67580' },
    ]);
    expect(text(p)).toBe(s);
  });

  test('not: user addresses, error codes, longer or shorter words, parts of names', () => {
    for (const s of ['00007ffdb702b168', 'RAX: ffffffffffffffda', 'ffff8ab0811fe0001', 'ffff8ab0811fe00', 'xffff8ab0811fe000', 'ffff8ab0811fe000_x']) {
      expect(linkify(s).every((x) => typeof x === 'string'), s).toBe(true);
    }
    expect(isKernelAddress('0xffff8ab0811fe000')).toBe(true);
    expect(isKernelAddress('fffffffffffff000')).toBe(false);
  });

  test('markup in dump text stays text', () => {
    const s = '<img src=x onerror=alert(1)> ffff8ab0811fe000 <script>';
    const p = linkify(s);
    expect(p[0]).toBe('<img src=x onerror=alert(1)> ');
    expect(p[2]).toBe(' <script>');
  });
});
