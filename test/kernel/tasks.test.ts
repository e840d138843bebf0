// The task table against what crash 8.0.6 shows for the fixture dumps: the table's order and identity
// (ps.txt), the panic task (task.txt's header), CPUs, HZ, the state bits read from the kernel's
// task_state_array, crash's argument reading (str_to_context) and its "%.1f".
import { describe, expect, it } from 'vitest';
import { formatPercent } from '../../src/kernel/task-mem.ts';
import { NO_PID, isDecimal, isHexadecimal, taskHeader, tasksOf } from '../../src/kernel/tasks.ts';
import { allDumps, fixture } from '../helpers/fixtures.ts';
import { openSession as open, crashReference as ref } from '../helpers/sessions.ts';

describe('the task table is crash\'s, on every dump', () => {
  for (const d of allDumps()) {
    it(`${d.scenario}/${d.name}`, () => {
      const tasks = tasksOf(open(d, 'btf'));
      const ps = ref(d, 'ps.txt');
      if (ps) {
        // PID, PPID, CPU, TASK and COMM of each ps line, in order.
        const want = ps.split('\n').slice(1).filter(Boolean).map((l) => {
          const f = l.slice(2).trim().split(/\s+/);
          return [Number(f[0]), Number(f[1]), Number(f[2]), f[3], f[f.length - 1].replace(/^\[(.*)\]$/, '$1')];
        });
        expect(tasks.all().map((t) => [t.pid, t.ppid, t.cpu, t.task.toString(16), t.comm])).toEqual(want);
        // ">" marks exactly the active tasks.
        const active = ps.split('\n').filter((l) => l.startsWith('>')).map((l) => l.slice(2).trim().split(/\s+/)[3]);
        expect(tasks.all().filter((t) => tasks.isActive(t)).map((t) => t.task.toString(16))).toEqual(active);
      }
      const task = ref(d, 'task.txt');
      if (task) {
        const panic = tasks.byTask(tasks.panicTask()!)!;
        expect(taskHeader(panic)).toBe(task.slice(0, task.indexOf('\n') + 1));
      }
      expect(tasks.cpuCount()).toBe(2);
      expect(tasks.idleTasks().size).toBe(2);
    });
  }
});

describe('kernel facts', () => {
  it('HZ: 250 for Debian (CONFIG_HZ_250), 1000 for the tiny kernel', () => {
    expect(tasksOf(open(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf')).hz()).toBe(250n);
    expect(tasksOf(open(fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump'), 'btf')).hz()).toBe(250n);
    expect(tasksOf(open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'btf')).hz()).toBe(1000n);
  });

  it('state bits come from 6.1\'s task_state_array, with the states after "P (parked)" derived', () => {
    const s = tasksOf(open(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf')).states();
    expect(s).toEqual({
      running: 0n, interruptible: 1n, uninterruptible: 2n, stopped: 4n, tracingStopped: 8n, dead: 0x90n, zombie: 0x20n,
      parked: 0x40n, wakekill: 0x100n, waking: 0x200n, noload: 0x400n, new: 0x800n,
    });
  });

  it('state strings follow crash\'s task_state_string()', () => {
    const tasks = tasksOf(open(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf'));
    const cases: [bigint, string, string][] = [
      [0n, 'RU', 'TASK_RUNNING'],
      [1n, 'IN', 'TASK_INTERRUPTIBLE'],
      [2n, 'UN', 'TASK_UNINTERRUPTIBLE'],
      [0x402n, 'ID', 'TASK_UNINTERRUPTIBLE|TASK_NOLOAD'],
      [4n, 'ST', 'TASK_STOPPED'],
      [8n, 'TR', 'TASK_TRACED'],
      [0x20n, 'ZO', 'EXIT_ZOMBIE'],
      [0x10n, 'DE', 'EXIT_DEAD'],
      [0x90n, 'DE', 'EXIT_DEAD|TASK_DEAD'],
      [0x40n, 'PA', 'TASK_PARKED'],
      [0x200n, 'WA', 'TASK_WAKING'],
      [0x800n, 'NE', 'TASK_NEW'],
      [0x104n, 'ST', 'TASK_STOPPED|TASK_WAKEKILL'],
      // crash 8.0.6 ORs in exit_state read as 8 bytes: a nonzero exit_code beside it leaves no state.
      [0x900000000n, '??', ''],
    ];
    for (const [v, short, long] of cases) {
      expect(tasks.stateString(v)).toBe(short);
      expect(tasks.stateStringVerbose(v)).toBe(long);
    }
  });
});

describe("crash's argument reading (str_to_context)", () => {
  it('a decimal pid wins; hex names a pid or a task_struct; anything else is invalid', () => {
    const tasks = tasksOf(open(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf'));
    expect(tasks.parseArg('108')).toMatchObject({ kind: 'pid', value: 108 });
    expect(tasks.parseArg('0x6c')).toMatchObject({ kind: 'pid', value: 108 });
    expect(tasks.parseArg('6c')).toMatchObject({ kind: 'pid', value: 108 });
    expect(tasks.parseArg('ffff88cb42918000')).toMatchObject({ kind: 'task', value: 0xffff88cb42918000n });
    expect(tasks.parseArg('0')).toMatchObject({ kind: 'pid', value: 0 });
    expect((tasks.parseArg('0') as { tasks: unknown[] }).tasks).toHaveLength(2);
    expect(tasks.parseArg('9999').kind).toBe('invalid');
    expect(tasks.parseArg('bad').kind).toBe('invalid');
    expect(tasks.byTask(0xffff88cb42918000n)?.comm).toBe('cat');
    expect(tasks.byTask(0x1234n)).toBeUndefined();
    expect(tasks.byPid(1)[0].ppid).toBe(0);
    expect(NO_PID).toBe(-1);
  });

  it('decimal() and hexadecimal() as crash reads words', () => {
    expect(isDecimal('123')).toBe(true);
    expect(isDecimal('12a')).toBe(false);
    expect(isHexadecimal('bad')).toBe(true);
    expect(isHexadecimal('0xff')).toBe(true);
    expect(isHexadecimal('sleep')).toBe(false);
    expect(isHexadecimal('x')).toBe(false);
  });
});

describe('"%.1f" as C prints it', () => {
  it('rounds exact ties to even, like glibc; everything else as toFixed', () => {
    expect(formatPercent(0.25)).toBe('0.2');
    expect(formatPercent(0.75)).toBe('0.8');
    expect(formatPercent(1.25)).toBe('1.2');
    expect(formatPercent(2.5)).toBe('2.5');
    expect(formatPercent(0.05)).toBe('0.1'); // 0.05 is a little above 1/20 in binary
    expect(formatPercent(0.15)).toBe('0.1'); // and 0.15 a little below
    expect(formatPercent(1.3157)).toBe('1.3');
    expect(formatPercent(0)).toBe('0.0');
    expect(formatPercent(100)).toBe('100.0');
  });
});
