// foreach against crash 8.0.6: task selection, ps and task per task, the keyword checks and errors
// (captured vectors, test/commands/vectors/*--foreach.txt), and the fixtures' foreach references for the
// commands other helpers write (bt, files, net): those run when their command exists, through foreach's
// stand-alone fallback or their own registration.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerForeach } from '../../src/commands/foreach.ts';
import { Session } from '../../src/engine/session.ts';
import { CommandError } from '../../src/errors.ts';
import { DiskCache } from '../../src/io/disk-cache.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { type FixtureDump, allDumps, tinyVmlinux } from '../helpers/fixtures.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

const DEBIAN_VMLINUX = process.env.CRASHLENS_DEBIAN_VMLINUX ?? join(homedir(), '.cache', 'crashlens', '129a1775d581', 'vmlinux-6.1.0-53-cloud-amd64');
const hasDebian = existsSync(DEBIAN_VMLINUX);

const sources: NodeFileSource[] = [];
const sessions = new Map<string, Session>();
afterAll(() => {
  for (const s of sources) s.close();
  sessions.clear();
});

/** A session on a dump: 'btf' from the dump alone, 'dwarf' with its vmlinux (the tiny kernel always). */
function open(d: FixtureDump, how: 'btf' | 'dwarf'): Session {
  const vmlinux = d.scenario === 't-tiny-la57' ? tinyVmlinux() : how === 'dwarf' ? DEBIAN_VMLINUX : undefined;
  const key = `${d.path}|${vmlinux ?? ''}`;
  let s = sessions.get(key);
  if (!s) {
    const files = [d.path, ...(vmlinux ? [vmlinux] : [])].map((f) => NodeFileSource.open(f));
    sources.push(...files);
    s = Session.open(files, { cache: new DiskCache() });
    sessions.set(key, s);
  }
  return s;
}

const modes = (d: FixtureDump): ('btf' | 'dwarf')[] => (d.scenario === 't-tiny-la57' ? ['dwarf'] : hasDebian ? ['btf', 'dwarf'] : ['btf']);

const REFERENCES = ['foreach-bt.txt', 'foreach-files.txt', 'foreach-net-s.txt'];

describe('foreach over other commands matches crash (fixture references)', () => {
  for (const d of allDumps()) {
    for (const file of REFERENCES) {
      const ref = fixtureCommand(d, file);
      if (!ref) continue;
      const keyword = ref.command.split(' ')[1];
      // Run only where the command exists and its own reference (crash's "bt", "files", "net -s") matches:
      // then foreach must add nothing but crash's task selection and separators.
      const single = fixtureCommand(d, `${file.slice('foreach-'.length)}`);
      it.skipIf(!single)(`${d.scenario}/${d.name}: ${ref.command}`, () => {
        const s = open(d, 'btf');
        if (!s.commandNames().includes(keyword)) return;
        const own = s.run(single!.command);
        if (own.output !== single!.expected) return;
        expect(s.run(ref.command).output).toBe(ref.expected);
      });
    }
  }
});

describe('foreach matches crash (captured vectors)', () => {
  for (const v of vectors('foreach').filter((x) => x.file.endsWith('--foreach.txt'))) {
    for (const how of modes(v.dump)) {
      it(`${v.dump.scenario}/${v.dump.name} (${how}): ${v.command}`, () => {
        expect(open(v.dump, how).run(v.command).output).toBe(v.expected);
      });
    }
  }
});

describe('the keyword registry', () => {
  it('runs a registered command per task under crash\'s header, and reports its errors per task', () => {
    const d = allDumps().find((x) => x.scenario === 'a-qemu-sysrq')!;
    const s = open(d, 'btf');
    registerForeach('test', {
      start: () => ({
        header: true,
        task(t) {
          if (t.pid === 104) throw new CommandError('no such thing');
          return `pid ${t.pid}\n`;
        },
      }),
    });
    expect(s.run('foreach sleep test').output).toBe(
      'PID: 104      TASK: ffff88cb4290e000  CPU: 0    COMMAND: "sleep"\ntest: no such thing\n' +
        '\nPID: 105      TASK: ffff88cb42909800  CPU: 0    COMMAND: "sleep"\npid 105\n' +
        '\nPID: 112      TASK: ffff88cb42900000  CPU: 0    COMMAND: "sleep"\npid 112\n' +
        '\nPID: 115      TASK: ffff88cb42a10000  CPU: 0    COMMAND: "sleep"\npid 115\n',
    );
  });
});
