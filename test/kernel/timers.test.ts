// Timer reading: crash's symbol strings, and the wheels and hrtimer bases of real dumps (one timer base per
// CPU on the tiny kernel, without CONFIG_NO_HZ_COMMON; two on Debian's).
import { describe, expect, it } from 'vitest';
import { Timers, isKernelText, symstr } from '../../src/kernel/timers.ts';
import { SymbolTable } from '../../src/symbols/symbol-table.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openSession } from '../helpers/sessions.ts';

describe("value_to_symstr() and is_kernel_text()", () => {
  const t = new SymbolTable([
    { name: '_text', type: 'T', address: 0xffffffff81000000n },
    { name: '_stext', type: 'T', address: 0xffffffff81000000n },
    { name: 'process_timeout', type: 't', address: 0xffffffff81100000n },
    { name: '_etext', type: 'T', address: 0xffffffff81200000n },
    { name: 'jiffies', type: 'D', address: 0xffffffff81300000n },
    { name: '_end', type: 'B', address: 0xffffffff81400000n },
  ]);
  it('names an address and its decimal offset', () => {
    expect(symstr(t, 0xffffffff81100000n)).toBe('process_timeout');
    expect(symstr(t, 0xffffffff81100000n + 162n)).toBe('process_timeout+162');
    expect(symstr(t, 0x1000n)).toBe('');
  });
  it('takes text as _stext.._etext', () => {
    expect(isKernelText(t, 0xffffffff81100010n)).toBe(true);
    expect(isKernelText(t, 0xffffffff81300000n)).toBe(false);
  });
});

describe('timers of real dumps', () => {
  it('tiny kernel: one base per CPU; its timers where crash lists them', () => {
    const s = openSession(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
    const t = new Timers(s.program);
    expect(t.hasTimerBases).toBe(true);
    expect(t.nrBases()).toBe(1);
    expect(t.timerBase(0, 0)).toBe(0xff2d6b9b8b61b340n);
    const j = t.jiffies();
    expect(j).toBe(4294674441n);
    const timers = t.wheelTimers(t.timerBase(0, 0), j).sort((a, b) => (a.expires < b.expires ? -1 : a.expires > b.expires ? 1 : 0));
    expect(timers[0]).toMatchObject({ address: 0xff67d66b80067e38n, expires: 4294674443n, tte: 2n });
    expect(timers.map((x) => x.address)).toContain(0xffffffffbcea2140n);
    expect(t.clockBases()).toBe(8);
    expect(t.activeTimers(t.clockBase(t.cpuBase(1), 0)).timers.map((x) => x.address)).toEqual([0xff67d66b8012fe58n, 0xff67d66b80167e58n, 0xff67d66b80157e58n]);
  });

  it("Debian kernel (BTF): BASE_STD and BASE_DEF per CPU", () => {
    const s = openSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf');
    const t = new Timers(s.program);
    expect(t.nrBases()).toBe(2);
    expect(t.timerBase(1, 1)).toBe(0xffff88cb47b21c00n);
    expect(t.wheelTimers(t.timerBase(1, 1), t.jiffies())).toHaveLength(8);
  });
});
