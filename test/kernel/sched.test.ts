// The run-queue reader: crash's CPU-list syntax and time format, and the queues of real dumps (the values
// crash's runq printed for them).
import { describe, expect, it } from 'vitest';
import { RunQueues, dtoi, parseCpuSpec, translateNanoseconds } from '../../src/kernel/sched.ts';
import { tasksOf } from '../../src/kernel/tasks.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openSession } from '../helpers/sessions.ts';

describe("crash's make_cpumask()", () => {
  it('reads lists, ranges and "all"', () => {
    expect([...parseCpuSpec('1', 4)]).toEqual([1]);
    expect([...parseCpuSpec('0-2', 4)]).toEqual([0, 1, 2]);
    expect([...parseCpuSpec('3,0-1', 4)].sort()).toEqual([0, 1, 3]);
    expect([...parseCpuSpec('a', 2)]).toEqual([0, 1]);
    expect([...parseCpuSpec('all', 3)]).toEqual([0, 1, 2]);
  });
  it('rejects CPUs past the last one and non-digits with crash messages', () => {
    expect(() => parseCpuSpec('5', 2)).toThrow('invalid cpu specification: 5');
    expect(() => parseCpuSpec('0-7', 2)).toThrow('invalid cpu specification: 0-7');
    expect(() => parseCpuSpec('x', 2)).toThrow('x: "x" is not a digit 0 - 9');
    expect(() => dtoi('1a')).toThrow('1a: "a" is not a digit 0 - 9');
  });
});

it("translate_nanoseconds(): D HH:MM:SS.mmm", () => {
  expect(translateNanoseconds(0n)).toBe('0 00:00:00.000');
  expect(translateNanoseconds(7_253_082_879n)).toBe('0 00:00:07.253');
  expect(translateNanoseconds(((2n * 24n + 3n) * 3600n + 4n * 60n + 5n) * 1_000_000_000n + 6_000_000n)).toBe('2 03:04:05.006');
});

describe('run queues of real dumps', () => {
  it('tiny kernel: per-CPU rq, its RT array and CFS root where crash found them; no task groups', () => {
    const s = openSession(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
    const rq = new RunQueues(s.program, tasksOf(s));
    expect(rq.cpus).toBe(2);
    expect(rq.rq(1)).toBe(0xff2d6b9b8b71e9c0n);
    expect(rq.rtPrioArray(rq.rq(1))).toBe(0xff2d6b9b8b71eb00n);
    expect(rq.timeline(rq.cfsRqOf(rq.rq(1)))).toBe(0xff2d6b9b8b71ea30n);
    expect(rq.rtQueue(rq.rtPrioArray(rq.rq(1)))).toEqual([]);
    expect(rq.cfsEntries(rq.cfsRqOf(rq.rq(1)))).toEqual([]);
    expect(rq.current(1).task?.pid).toBe(67);
    expect(rq.clock(0)).toBe(7253082879n);
    // No CONFIG_SCHED_INFO: crash's task_last_run() reads 0.
    expect(rq.lastRun(rq.current(1).task!.task)).toBe(0n);
    expect(rq.hasTaskGroups).toBe(false);
  });

  it("Debian kernel (BTF): sched_info.last_arrival, and the root task group's cfs_rq per CPU", () => {
    const s = openSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf');
    const rq = new RunQueues(s.program, tasksOf(s));
    expect(rq.clock(0)).toBe(4531238622n);
    expect(rq.lastRun(rq.current(0).task!.task)).toBe(4527299439n);
    expect(rq.hasTaskGroups).toBe(true);
    const root = rq.rootGroup();
    expect(root).toEqual({ address: 0xffffffffb34eec80n, label: 'ROOT' });
    expect(rq.groupRq(root.address, 1, 'cfs_rq')).toBe(0xffff88cb47b31a00n);
    expect(rq.taskGroups(root.address)[0]).toMatchObject({ address: root.address, depth: 0, name: '/' });
  });
});
