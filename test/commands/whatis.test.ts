// whatis and ptype print exactly what crash 8.0.6 printed: symbols' declarations, types as the struct command
// shows them, enums with their values, enumerators, gdb's whatis/ptype of expressions and type names, and the
// -r/-m searches over every named type. The vectors are in ./vectors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/engine/session.ts';
import {
  BTF_KNOWN_DIFFERENCES,
  HAVE_DEBIAN_VMLINUX,
  closeSessions,
  debianBtfSession,
  debianDwarfSession,
  tinySession,
  vectors,
} from './vectors/datatypes/vectors.ts';

const WHATIS = /^(whatis|ptype)(\s|$)/;
/** Searching every type of a 588 MB vmlinux takes half a minute: left to the BTF run. */
const SLOW_WITH_DWARF = /^whatis -[rm]/;

afterAll(closeSessions);

describe('whatis/ptype vectors: tiny kernel (DWARF)', () => {
  let s: Session;
  beforeAll(() => {
    s = tinySession();
  });
  for (const v of vectors('t-tiny-la57', WHATIS)) it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));
});

describe('whatis/ptype vectors: Debian kernel from the dump alone (BTF)', () => {
  let s: Session;
  beforeAll(() => {
    s = debianBtfSession();
  });
  for (const v of vectors('a-qemu-sysrq', WHATIS).filter((x) => !BTF_KNOWN_DIFFERENCES.has(x.command))) {
    it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));
  }
  it('functions are typed from BTF', () => {
    expect(s.run('whatis schedule').output).toBe('void schedule(void);\n');
    expect(s.run('ptype schedule').output).toBe('type = void (void)\n');
  });
  it('a global BTF cannot type is an error, not a guess', () => {
    const r = s.run('whatis init_struct_pid');
    expect(r.failed).toBe(true);
    expect(r.output).toMatch(/^whatis: no type information for init_struct_pid/);
  });
});

describe.skipIf(!HAVE_DEBIAN_VMLINUX)('whatis/ptype vectors: Debian kernel with its vmlinux (DWARF)', () => {
  let s: Session;
  beforeAll(() => {
    s = debianDwarfSession();
  });
  for (const v of vectors('a-qemu-sysrq', WHATIS).filter((x) => !SLOW_WITH_DWARF.test(x.command))) {
    it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));
  }
});
