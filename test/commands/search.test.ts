// search against crash 8.0.6: the captured vectors (test/commands/vectors/*--search.txt and the Debian mixed
// file): every width, strings, masks, context, -s/-e/-l windows, -k/-K/-V/-p ranges, task stacks, errors. The
// Debian vectors also run from the dump's BTF alone.
import { describe, expect, it } from 'vitest';
import { vectors } from './vectors/crash-vectors.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';

describe('search matches crash (captured vectors)', () => {
  for (const v of vectors('search')) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});

describe('search reports its progress', () => {
  it('through the session, as the command line shows it on a terminal', () => {
    const v = vectors('search').find((x) => x.command.startsWith('search -k'))!;
    const s = open(v.dump, modes(v.dump)[0]);
    const seen: number[] = [];
    s.progress = (f) => seen.push(f);
    try {
      expect(s.run(v.command).output).toBe(v.expected);
    } finally {
      s.progress = undefined;
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= seen[i - 1]))).toBe(true);
  });
});
