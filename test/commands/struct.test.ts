// struct, union and `*` print exactly what crash 8.0.6 printed: declarations (-o offsets, nested anonymous
// blocks, member selection), whole objects and chosen members at an address (gdb's value printing as crash
// sets it up), per-CPU copies, -p, -r, and crash's error wording. The vectors are in ./vectors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/engine/session.ts';
import { fgetsLines, parseForMember, parseForMemberExtended } from '../../src/commands/struct.ts';
import { allDumps, fixture } from '../helpers/fixtures.ts';
import {
  BTF_KNOWN_DIFFERENCES,
  DEBIAN_VMLINUX,
  HAVE_DEBIAN_VMLINUX,
  closeSessions,
  debianBtfSession,
  debianDwarfSession,
  openSession,
  tinySession,
  vectors,
} from './vectors/datatypes/vectors.ts';

const STRUCT = /^(struct|union|\*)(\s|$)/;

afterAll(closeSessions);

describe('struct task_struct -o matches crash for every dump', () => {
  const refs = allDumps().filter((d) => existsSync(join(d.crashDir, 'struct-task_struct-o.txt')));
  let tiny: Session;
  beforeAll(() => {
    tiny = tinySession();
  });

  // The tiny kernel has no BTF: its dumps are read with its vmlinux, and -o reads no dump memory, so one
  // session answers for all of them.
  for (const d of refs.filter((x) => x.scenario === 't-tiny-la57')) {
    it(`${d.scenario}/${d.name} (DWARF)`, () => {
      expect(tiny.run('struct task_struct -o').output).toBe(readFileSync(join(d.crashDir, 'struct-task_struct-o.txt'), 'utf8'));
    });
  }

  // The Debian kernel's dumps carry BTF: each is opened alone, its types read from its own memory.
  for (const d of refs.filter((x) => x.scenario !== 't-tiny-la57')) {
    it(`${d.scenario}/${d.name} (BTF)`, () => {
      const s = openSession([d.path]);
      expect(s.run('struct task_struct -o').output).toBe(readFileSync(join(d.crashDir, 'struct-task_struct-o.txt'), 'utf8'));
    });
  }

  it.skipIf(!HAVE_DEBIAN_VMLINUX)(`the Debian dumps with ${DEBIAN_VMLINUX} (DWARF)`, () => {
    const s = debianDwarfSession();
    const out = s.run('struct task_struct -o').output;
    for (const d of refs.filter((x) => x.scenario !== 't-tiny-la57')) expect([d.name, out]).toEqual([d.name, readFileSync(join(d.crashDir, 'struct-task_struct-o.txt'), 'utf8')]);
  });
});

describe('struct/union/* vectors: tiny kernel (DWARF)', () => {
  let s: Session;
  beforeAll(() => {
    s = tinySession();
  });
  for (const v of vectors('t-tiny-la57', STRUCT)) it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));
});

describe('struct/union/* vectors: Debian kernel from the dump alone (BTF)', () => {
  let s: Session;
  beforeAll(() => {
    s = debianBtfSession();
  });
  for (const v of vectors('a-qemu-sysrq', STRUCT).filter((x) => !BTF_KNOWN_DIFFERENCES.has(x.command))) {
    it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));
  }
});

describe.skipIf(!HAVE_DEBIAN_VMLINUX)('struct/union/* vectors: Debian kernel with its vmlinux (DWARF)', () => {
  let s: Session;
  beforeAll(() => {
    s = debianDwarfSession();
  });
  for (const v of vectors('a-qemu-sysrq', STRUCT)) it(v.command, () => expect(s.run(v.command).output).toBe(v.expected));
});

describe('parse_for_member on gdb text', () => {
  const text = [
    'struct t {',
    '  a = 1,',
    '  b = {',
    '    a = 2,',
    '    c = 3',
    '  },',
    '  {',
    '    d = 4,',
    '    e = {',
    '      f = 5',
    '    }',
    '  },',
    '  g = {{',
    '      h = 6',
    '    }, {',
    '      h = 7',
    '    }}',
    '}',
    '',
  ].join('\n');

  it('finds a top-level member, skipping same-named ones in nested blocks', () => {
    expect(parseForMember(text, 'a')).toBe('  a = 1,\n');
  });
  it('prints a member of an anonymous block at its own indentation', () => {
    expect(parseForMember(text, 'e')).toBe('    e = {\n      f = 5\n    }\n');
  });
  it('finds paths and array elements as parse_for_member_extended does', () => {
    expect(parseForMemberExtended(text, 'b.c')).toEqual({ out: '  b.c = 3\n', found: true });
    expect(parseForMemberExtended(text, 'g[1]')).toEqual({ out: '  g[1] =   {\n    h = 7\n  }\n', found: true });
    expect(parseForMemberExtended(text, 'b.x').found).toBe(false);
  });
  it('reads long lines back in BUFSIZE - 1 pieces, as fgets() does', () => {
    const long = `${'x'.repeat(3000)}\n`;
    expect(fgetsLines(`a\n${long}`).map((l) => l.length)).toEqual([2, 1499, 1499, 3]);
  });
});

describe('errors', () => {
  let s: Session;
  beforeAll(() => {
    s = debianBtfSession();
  });
  it('a type that is not a struct', () => {
    expect(s.run('struct pid_t').output).toBe('struct: data type mismatch: pid_t is not a struct\n');
    expect(s.run('union list_head').output).toBe('union: data type mismatch: list_head is not a union\n');
    expect(s.run('* pid_t').output).toBe('*: invalid argument\n');
  });
  it('an address that is not a kernel address', () => {
    expect(s.run('struct list_head 0x1000').output).toBe('struct: invalid kernel virtual address: 0x1000\n');
  });
  it('opened without a vmlinux the tiny kernel has no types to offer', () => {
    const bare = openSession([fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path]);
    expect(bare.run('struct list_head').failed).toBe(true);
  });
});
