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
