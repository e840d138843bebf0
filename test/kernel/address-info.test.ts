// What an address is (kernel/address-info.ts) on the Debian dump, from its BTF: vmalloc areas, the buddy
// free block of a free page (and crash 8.0.6's quirk for the page right after a free block), task context,
// ordinals. The full `kmem ADDRESS` output is compared with crash in test/commands/kmem-s.test.ts.
import { describe, expect, it } from 'vitest';
import { mmOf } from '../../src/commands/vtop.ts';
import { slabsOf } from '../../src/commands/kmem-s.ts';
import { FreePages, ordinal, showContext, taskOfStack, taskOfStruct, vmapAreas, vmlistLine } from '../../src/kernel/address-info.ts';
import { onlineNodes } from '../../src/kernel/system.ts';
import { tasksOf } from '../../src/kernel/tasks.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openSession } from '../helpers/sessions.ts';

const s = openSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf');

describe('address-info (Debian 6.1, BTF)', () => {
  it('lists the vmalloc areas crash lists, as dump_vmlist() prints them', () => {
    const areas = vmapAreas(s.program);
    const stack = areas.find((a) => 0xffffd23cc00139d0n >= a.start && 0xffffd23cc00139d0n < a.end);
    // crash: kmem ffffd23cc00139d0
    expect(stack && vmlistLine(stack)).toBe('ffff88cb4104de00  ffff88cb411bdac0  ffffd23cc0010000 - ffffd23cc0015000    20480\n');
  });

  it('finds the free block of a free page, and misses the first page after a block walked before it', () => {
    const { memMap } = mmOf(s);
    const slabs = slabsOf(s);
    const f = new FreePages(s.program, { pfnToPage: (p) => memMap!.pfnToPage(p), pageToPfn: (p) => slabs.pageToPfnOf(p) });
    const pgdat = s.program.type('struct pglist_data');
    const nodes = onlineNodes(s.program).map((n) => {
      const o = s.program.object(pgdat, n.pgdat);
      return { pgdat: n.pgdat, startPfn: o.member('node_start_pfn').toBigInt(), pages: o.member('node_spanned_pages').toBigInt() };
    });
    const b = f.find(nodes, 0x401000n, 4096n, 64n);
    expect(b).toMatchObject({ page: 0xfffff9cf80010000n, order: 10, offset: 1n });
    expect(b?.areaLine).toBe(' 10    4096k  ffff88cb47e93480  ');
    expect(b?.zoneLine).toBe('  0   DMA         4095    3808  fffff9cf80000040      1000          0     ');
    expect(f.find(nodes, 0x400000n, 4096n, 64n)).toBeUndefined();
  });

  it('places addresses in task structs and stacks, shown as show_context() shows them', () => {
    const tasks = tasksOf(s);
    const all = tasks.all();
    const init = taskOfStruct(all, 6144, 0xffff88cb411f0010n);
    expect(init?.pid).toBe(1);
    expect(taskOfStack(tasks, all, 0xffffd23cc00139d0n)?.pid).toBe(1);
    expect(showContext(tasks, all, init!, true)).toBe(
      '    PID: 1\nCOMMAND: "init"\n   TASK: ffff88cb411f0000  [THREAD_INFO: ffff88cb411f0000]\n    CPU: 0\n  STATE: TASK_RUNNING (SYSRQ)\n',
    );
  });

  it('spells ordinals as crash does', () => {
    expect([1n, 2n, 3n, 4n, 11n, 12n, 13n, 21n, 22n, 101n, 111n].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st', '111th']);
  });
});
