// vtop must print what crash 8.0.6 prints: the fixtures' own vtop of init_task on every dump, the captured
// vectors (5-level and 4-level walks, 2 MiB pages, direct map / vmalloc / vmemmap, unmapped and user
// addresses, PAGE lines with flag names), and, for what the fixtures lack (1 GiB pages, PROT_NONE and swap
// entries, a kernel without kallsyms), a dump built here with crash's format rules as the expectation.
import { afterAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/engine/session.ts';
import { BufferSource } from '../../src/io/byte-source.ts';
import { Vmcoreinfo } from '../../src/vmcoreinfo.ts';
import type { KernelMemory } from '../../src/arch/kernel-memory.ts';
import { type KVAddr, type PhysAddr, kv, phys } from '../../src/addr.ts';
import { CrashlensError, PageNotPresent } from '../../src/errors.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { MemMap } from '../../src/kernel/mm-page.ts';
import { PAGE_HEADER, mmOf, translatePte } from '../../src/commands/vtop.ts';
import { mkstring } from '../../src/commands/crash-tools.ts';
import { type FixtureDump, SCENARIOS, allDumps, dumps } from '../helpers/fixtures.ts';
import { buildElf, note } from '../dump/build.ts';
import { fixtureCommand, lines, sessionFor, vectors } from './vectors/crash-vectors.ts';

describe('vtop matches crash on every fixture (vtop-init_task.txt)', () => {
  for (const d of allDumps()) {
    const ref = fixtureCommand(d, 'vtop-init_task.txt');
    it.skipIf(!ref)(`${d.scenario}/${d.name}`, () => {
      const r = sessionFor(d).run(ref!.command);
      expect(r.failed).toBe(false);
      // The PAGE line included: struct page, its flags and their names are all read from the dump.
      expect(lines(r.output)).toEqual(lines(ref!.expected));
    });
  }
});

describe('vtop matches crash on the captured vectors', () => {
  for (const v of vectors('vtop')) {
    it(`${v.dump.scenario}/${v.dump.name}: ${v.command}`, () => {
      expect(lines(sessionFor(v.dump).run(v.command).output)).toEqual(lines(v.expected));
    });
  }
});

// Without kallsyms (a dump whose symbols cannot be read) the layout comes from VMCOREINFO alone: the direct
// map from mem_section, vmemmap from section_mem_map, vmalloc from vmap_area_list, flag names from NUMBER(PG_*).
const bare = new Map<string, Session>();
const bareSources: NodeFileSource[] = [];
afterAll(() => {
  for (const src of bareSources) src.close();
});
function withoutSymbols(d: FixtureDump): Session {
  let s = bare.get(d.path);
  if (!s) {
    const src = NodeFileSource.open(d.path);
    bareSources.push(src);
    s = Session.open([src]);
    for (const k of ['symbols', 'program'])
      Object.defineProperty(s, k, {
        get() {
          throw new CrashlensError('no kallsyms in this test');
        },
      });
    bare.set(d.path, s);
  }
  return s;
}

describe('without kernel symbols, vtop still matches crash', () => {
  for (const v of vectors('vtop')) {
    it(`${v.dump.scenario}/${v.dump.name}: ${v.command}`, () => {
      expect(lines(withoutSymbols(v.dump).run(v.command).output)).toEqual(lines(v.expected));
    });
  }

  it('the layout found from VMCOREINFO equals the one read from page_offset_base, vmalloc_base, vmemmap_base', () => {
    for (const scenario of SCENARIOS) {
      const d = dumps(scenario)[0];
      const { layout: withSyms } = mmOf(sessionFor(d));
      const { layout: without } = mmOf(withoutSymbols(d));
      expect(withSyms.sources).toEqual({ pageOffset: 'page_offset_base', vmalloc: 'vmalloc_base', vmemmap: 'vmemmap_base' });
      expect(without.sources).toEqual({ pageOffset: 'mem_section', vmalloc: 'vmap_area_list', vmemmap: 'mem_section' });
      for (const k of ['pageOffset', 'vmallocStart', 'vmallocEnd', 'vmemmapStart', 'vmemmapEnd', 'modulesStart', 'modulesEnd'] as const)
        expect([scenario, k, without[k].toString(16)]).toEqual([scenario, k, withSyms[k].toString(16)]);
      expect(mmOf(sessionFor(d)).memMap?.flagNames().source).toBe('pageflag_names');
      expect(mmOf(withoutSymbols(d)).memMap?.flagNames().source).toBe('vmcoreinfo-layout');
    }
  });
});

describe('column helpers', () => {
  it('mkstring centres as crash does: the odd space goes right for LJUST, left for RJUST', () => {
    expect(mkstring('PTE', 16, 'center-left')).toBe('      PTE       ');
    expect(mkstring('0', 8, 'center-right')).toBe('    0   ');
    expect(mkstring('168000', 8, 'center-right')).toBe(' 168000 ');
    expect(mkstring('ffffffffffffffffff', 16, 'left')).toBe('ffffffffffffffffff');
  });

  it('the PAGE header', () => {
    expect(PAGE_HEADER).toBe('      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS\n');
  });

  it('PTE flags: PSE only when present, PROTNONE only when not, NX from bit 63', () => {
    expect(translatePte(0x80000000062001e3n, 0x3ffffffff000n)).toBe(
      '      PTE         PHYSICAL  FLAGS\n80000000062001e3   6200000  (PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL|NX)\n',
    );
    expect(translatePte(0x6000180n, 0x3ffffffff000n)).toBe('  PTE    PHYSICAL  FLAGS\n6000180   6000000  (PROTNONE|GLOBAL)\n');
  });
});

// ---------------------------------------------------------------------------------------------------------
// A dump made here: 4-level tables at the default (unrandomized) layout, no kallsyms and no mem_section.

const PAGE = 4096;
const PRESENT_RW = 0x63n;
const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

function builtSession(): Session {
  const mem = new Uint8Array(8 * PAGE);
  const set = (table: number, index: number, v: bigint): void => dv(mem).setBigUint64(table * PAGE + index * 8, v, true);
  // PGD at 0x1000 (init_top_pgt = __START_KERNEL_map + 0x1000, phys_base 0).
  set(1, 273, 0x2000n | PRESENT_RW); // 0xffff888000000000: the direct map
  set(2, 1, 0x40000000n | 0x1e3n | (1n << 63n)); //   PUD[1]: a 1 GiB page at 1 GiB
  set(1, 402, 0x3000n | PRESENT_RW); // 0xffffc90000000000: vmalloc
  set(3, 0, 0x4000n | PRESENT_RW);
  set(4, 0, 0x5000n | PRESENT_RW);
  set(5, 0, 0x6000n | 0x100n); //           PTE[0]: PROT_NONE
  set(5, 1, 0x1234000n | 0x2n); //          PTE[1]: a swap entry
  set(5, 2, 0x6000n | 0x163n); //           PTE[2]: present
  dv(mem).setBigUint64(6 * PAGE, 0x4142434445464748n, true);
  const info = ['OSRELEASE=6.1.0-test', 'PAGESIZE=4096', 'SYMBOL(init_top_pgt)=ffffffff80001000', 'NUMBER(phys_base)=0', 'NUMBER(pgtable_l5_enabled)=0', ''].join('\n');
  const elf = buildElf({ loads: [{ paddr: 0, data: mem }], notes: [note('VMCOREINFO', 0, new TextEncoder().encode(info))] });
  return Session.open([new BufferSource('built.elf', elf)]);
}

describe('vtop on a built dump (crash format rules, no fixture has these)', () => {
  const s = builtSession();

  it('uses crash\'s unrandomized layout when the direct map sits at its default base', () => {
    const { layout } = mmOf(s);
    expect(layout.randomized).toBe(false);
    expect(layout.vmallocStart.toString(16)).toBe('ffffc90000000000');
    expect(layout.modulesStart.toString(16)).toBe('ffffffffa0000000');
    expect(mmOf(s).memMap).toBeUndefined();
  });

  it('a 1 GiB page: "(1GB)" after the PUD, no PAGE line without mem_section', () => {
    expect(s.run('vtop ffff888040123456').output).toBe(
      [
        'VIRTUAL           PHYSICAL        ',
        'ffff888040123456  40123456        ',
        '',
        'PGD DIRECTORY: ffffffff80001000',
        'PAGE DIRECTORY: 2063',
        '   PUD: 2008 => 80000000400001e3',
        '  PAGE: 40000000  (1GB)',
        '',
        '      PTE         PHYSICAL  FLAGS',
        '80000000400001e3  40000000  (PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL|NX)',
        '',
        '',
      ].join('\n'),
    );
  });

  it('a PROT_NONE entry is not mapped, and crash still shows it', () => {
    expect(lines(s.run('vtop ffffc90000000000').output)).toEqual([
      'VIRTUAL           PHYSICAL',
      'ffffc90000000000  (not mapped)',
      '',
      'PGD DIRECTORY: ffffffff80001000',
      'PAGE DIRECTORY: 3063',
      '   PUD: 3000 => 4063',
      '   PMD: 4000 => 5063',
      '   PTE: 5000 => 6100',
      '',
      'PTE   PHYSICAL  FLAGS',
      '6100    6000    (PROTNONE|GLOBAL)',
    ]);
  });

  it('a swap entry needs swap_info: crash\'s error after the walk', () => {
    const r = s.run('vtop ffffc90000001000');
    expect(r.output.slice(r.output.indexOf('   PTE:'))).toBe('   PTE: 5008 => 1234002\n\n  PTE    vtop: cannot determine swap location\n');
  });

  it('rd goes through the page tables for vmalloc and linearly for the direct map', () => {
    expect(s.run('rd ffffc90000002000').output).toBe('ffffc90000002000:  4142434445464748                    HGFEDCBA\n');
    expect(s.run('rd ffffc90000001000').output).toBe('rd: invalid kernel virtual address: ffffc90000001000  type: "64-bit KVADDR"\n');
    expect(s.run('rd ffff888000006000').output).toBe('ffff888000006000:  4142434445464748                    HGFEDCBA\n');
    // Beyond the ELF's only PT_LOAD: its reader's error.
    expect(s.run('rd ffff888040123456').output).toBe('rd: read error: kernel virtual address: ffff888040123456  type: "64-bit KVADDR"\n');
  });
});

// ---------------------------------------------------------------------------------------------------------
// struct page lookup, on memory made here.

class FakeKernel implements KernelMemory {
  readonly bytes = new Map<bigint, number>();
  write(addr: bigint, v: bigint, size = 8): void {
    for (let i = 0; i < size; i++) this.bytes.set(addr + BigInt(i), Number((v >> BigInt(8 * i)) & 0xffn));
  }
  writeString(addr: bigint, s: string): void {
    [...s, '\0'].forEach((c, i) => this.bytes.set(addr + BigInt(i), c.charCodeAt(0)));
  }
  read(addr: KVAddr, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const b = this.bytes.get(addr + BigInt(i));
      if (b === undefined) throw new PageNotPresent(addr + BigInt(i), 'PTE', 0, 0n);
      out[i] = b;
    }
    return out;
  }
  readU8(a: KVAddr): number {
    return this.read(a, 1)[0];
  }
  readU16(a: KVAddr): number {
    return dv(this.read(a, 2)).getUint16(0, true);
  }
  readU32(a: KVAddr): number {
    return dv(this.read(a, 4)).getUint32(0, true);
  }
  readU64(a: KVAddr): bigint {
    return dv(this.read(a, 8)).getBigUint64(0, true);
  }
  readCString(a: KVAddr, max = 4096): string {
    let s = '';
    for (let i = 0n; i < BigInt(max); i++) {
      const c = this.readU8(kv(a + i));
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }
  translate(a: KVAddr): PhysAddr {
    return phys(a);
  }
}

const MM_INFO = [
  'PAGESIZE=4096',
  'SYMBOL(mem_section)=ffff888000100000',
  'LENGTH(mem_section)=2048',
  'SIZE(mem_section)=16',
  'OFFSET(mem_section.section_mem_map)=0',
  'NUMBER(SECTION_SIZE_BITS)=27',
  'NUMBER(MAX_PHYSMEM_BITS)=46',
  'SIZE(page)=64',
  'OFFSET(page.flags)=0',
  'OFFSET(page._refcount)=52',
  'OFFSET(page.mapping)=24',
];
const ANCHORS = ['NUMBER(PG_lru)=4', 'NUMBER(PG_private)=13', 'NUMBER(PG_swapcache)=10', 'NUMBER(PG_swapbacked)=19', 'NUMBER(PG_slab)=9', 'NUMBER(PG_head_mask)=65536'];

describe('MemMap: pfn → struct page from VMCOREINFO', () => {
  const VMEMMAP = 0xffffea0000000000n;
  function memory(): FakeKernel {
    const k = new FakeKernel();
    // SPARSEMEM_EXTREME: mem_section[0] → a root; section 0 present with a mem_map (flags 0b10111).
    k.write(0xffff888000100000n, 0xffff888000200000n);
    k.write(0xffff888000200000n, VMEMMAP | 0x17n);
    k.write(0xffff888000200010n, 0n); // section 1: absent
    const page = VMEMMAP + 0x621an * 64n;
    for (let i = 0n; i < 64n; i += 8n) k.write(page + i, 0n);
    k.write(page, 0x7ffffc00a0036n);
    k.write(page + 24n, 0xffff88cb42252b61n);
    k.write(page + 32n, 0x7fffffffen);
    k.write(page + 48n, 0xffffffffn, 4);
    k.write(page + 52n, 2n, 4);
    return k;
  }

  it('decodes section_mem_map and reads flags, mapping, index and _refcount', () => {
    const m = MemMap.tryCreate(memory(), new Vmcoreinfo([...MM_INFO, ...ANCHORS].join('\n')))!;
    expect(m.extreme).toBe(true);
    expect(m.vmemmapBase).toBe(VMEMMAP);
    const addr = m.pfnToPage(0x621an)!;
    expect(addr.toString(16)).toBe('ffffea0000188680');
    expect(m.pfnToPage(0x8000n)).toBeUndefined(); // section 1
    expect(m.pfnToPage(1n << 40n)).toBeUndefined(); // past the last root
    const p = m.readPage(addr);
    expect([p.flags, p.mapping, p.index, p.count]).toEqual([0x7ffffc00a0036n, 0xffff88cb42252b61n, 0x7fffffffen, 2]);
    expect(m.flagNames().source).toBe('vmcoreinfo-layout');
    expect(m.formatFlags(p.flags)).toBe('7ffffc00a0036 referenced,uptodate,lru,active,mappedtodisk,swapbacked');
    expect(m.formatFlags(0n)).toBe('0');
  });

  it('an unreadable struct page reads as zeros, as crash fills its page cache', () => {
    const m = MemMap.tryCreate(memory(), new Vmcoreinfo(MM_INFO.join('\n')))!;
    expect(m.readPage(VMEMMAP + 0x100n * 64n)).toMatchObject({ flags: 0n, mapping: 0n, index: 0n, count: 0 });
  });

  it('names flags only when VMCOREINFO confirms the layout', () => {
    const none = MemMap.tryCreate(memory(), new Vmcoreinfo(MM_INFO.join('\n')))!;
    expect(none.flagNames().source).toBe('none');
    expect(none.formatFlags(0x1000n)).toBe('1000');
    const other = MemMap.tryCreate(memory(), new Vmcoreinfo([...MM_INFO, ...ANCHORS.slice(1), 'NUMBER(PG_lru)=5'].join('\n')))!;
    expect(other.flagNames().source).toBe('none');
    const hw = MemMap.tryCreate(memory(), new Vmcoreinfo([...MM_INFO, ...ANCHORS, 'NUMBER(PG_hwpoison)=23'].join('\n')))!;
    expect(hw.formatFlags((1n << 22n) | (1n << 23n) | 0x1000n)).toBe('c01000 reserved,uncached,hwpoison');
  });

  it('prefers the kernel\'s own pageflag_names[] when a symbol table finds it', () => {
    const k = memory();
    const at = 0xffffffff82000000n;
    const names: [bigint, string][] = [[1n, 'locked'], [0x80n, 'waiters'], [0x1000n, 'reserved'], [1n << 22n, 'arch_2']];
    names.forEach(([mask, name], i) => {
      k.write(at + BigInt(i) * 16n, mask);
      k.write(at + BigInt(i) * 16n + 8n, 0xffffffff83000000n + BigInt(i) * 32n);
      k.writeString(0xffffffff83000000n + BigInt(i) * 32n, name);
    });
    k.write(at + 64n, 0n);
    k.write(at + 72n, 0n);
    const m = MemMap.tryCreate(k, new Vmcoreinfo([...MM_INFO, ...ANCHORS].join('\n')), { lookup: (n) => (n === 'pageflag_names' ? at : undefined) })!;
    expect(m.flagNames().source).toBe('pageflag_names');
    expect(m.formatFlags(0x401081n)).toBe('401081 locked,waiters,reserved,arch_2');
  });

  it('a flat (non-EXTREME) mem_section array', () => {
    const k = new FakeKernel();
    const info = MM_INFO.map((l) => (l.startsWith('LENGTH') ? 'LENGTH(mem_section)=524288' : l.startsWith('SYMBOL') ? 'SYMBOL(mem_section)=ffffffff82100000' : l));
    k.write(0xffffffff82100000n + 2n * 16n, (VMEMMAP - 0x10000n * 64n) | 0x3n);
    const m = MemMap.tryCreate(k, new Vmcoreinfo(info.join('\n')))!;
    expect(m.extreme).toBe(false);
    expect(m.pfnToPage(0x10001n)).toBe(VMEMMAP + 64n);
  });
});
