// foreach against crash 8.0.6: task selection, ps and task per task, the keyword checks and errors
// (captured vectors, test/commands/vectors/*--foreach.txt), and the fixtures' foreach references for the
// commands other helpers write (bt, files, net): those run when their command exists, through foreach's
// stand-alone fallback or their own registration.
import { describe, expect, it } from 'vitest';
import { registerForeach } from '../../src/commands/foreach.ts';
import { CommandError } from '../../src/errors.ts';
import { allDumps } from '../helpers/fixtures.ts';
import { openSession as open, modes } from '../helpers/sessions.ts';
import { fixtureCommand, vectors } from './vectors/crash-vectors.ts';

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
