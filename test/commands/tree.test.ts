// tree against crash 8.0.6: the captured vectors (test/commands/vectors/*--tree.txt and the Debian mixed
// file): red-black trees (-o -p -l -N -s -x), xarrays (-p -s), maple trees (-r -p -x -s), errors. The Debian
// vectors also run from the dump's BTF alone.
import { describe, expect, it } from 'vitest';
import { vectors } from './vectors/crash-vectors.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';

describe('tree matches crash (captured vectors)', () => {
  for (const v of vectors('tree')) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});
