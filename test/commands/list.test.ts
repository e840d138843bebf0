// list prints exactly what crash 8.0.6 printed: list_head chains from a structure (-h) or a head (-H), raw
// next-pointer chains at an offset (-o, or two numbers), -s members as `struct` prints them, -S members read
// directly, reverse, end addresses, and crash's errors. The vectors are in ./vectors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/engine/session.ts';
import { HAVE_DEBIAN_VMLINUX, closeSessions, debianBtfSession, debianDwarfSession, tinySession, vectors } from './vectors/datatypes/vectors.ts';

const LIST = /^list(\s|$)/;

afterAll(closeSessions);

describe('list vectors: tiny kernel (DWARF)', () => {
  let s: Session;
  beforeAll(() => {
    s = tinySession();
  });
  for (const v of vectors('t-tiny-la57', LIST)) it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));
});

describe('list vectors: Debian kernel from the dump alone (BTF)', () => {
  let s: Session;
  beforeAll(() => {
    s = debianBtfSession();
  });
  for (const v of vectors('a-qemu-sysrq', LIST)) it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));

  it('an empty list', () => {
    // init_task's ptraced list is empty: its head points at itself.
    const head = s.run('struct -o task_struct.ptraced ffffffffb2c1aa40').output.match(/\[([0-9a-f]+)\]/)![1];
    expect(s.run(`list -H ${head}`).output).toBe('(empty)\n');
  });
  it('a chain that comes back to its start ends there', () => {
    // An empty list_head walked as a plain chain: its next is itself.
    const head = s.run('struct -o task_struct.ptraced ffffffffb2c1aa40').output.match(/\[([0-9a-f]+)\]/)![1];
    expect(s.run(`list ${head}`).output).toBe(`${head}\n`);
  });
});

describe.skipIf(!HAVE_DEBIAN_VMLINUX)('list vectors: Debian kernel with its vmlinux (DWARF)', () => {
  let s: Session;
  beforeAll(() => {
    s = debianDwarfSession();
  });
  for (const v of vectors('a-qemu-sysrq', LIST)) it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));
});
