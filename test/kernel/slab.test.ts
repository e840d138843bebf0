// The slab caches as the kernel helper reads them: SLUB (Debian 6.1, struct slab overlaying struct page)
// and SLAB (the tiny kernel), found by feature; the cache list, names and one cache's counts against the
// fixtures' kmem-s.txt (crash 8.0.6).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { slabsOf } from '../../src/commands/kmem-s.ts';
import { formatCacheLine, KMEM_CACHE_HEADER } from '../../src/kernel/slab.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openSession, crashReference } from '../helpers/sessions.ts';

/** crash's kmem -s lines: address → line. */
function reference(scenario: 'a-qemu-sysrq' | 't-tiny-la57', dump: string): Map<bigint, string> {
  const text = crashReference(fixture(scenario, dump), 'kmem-s.txt')!;
  const lines = text.split('\n').slice(1).filter(Boolean);
  return new Map(lines.map((l) => [BigInt(`0x${l.slice(0, 16).trim()}`), `${l}\n`]));
}

describe('SLUB (Debian 6.1, from the dump\'s BTF)', () => {
  const d = fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump');
  const s = openSession(d, 'btf');
  const ref = reference('a-qemu-sysrq', 'mdf-d31-lzo.kdump');

  it('is found by feature, with the caches of slab_caches in list order', () => {
    const slabs = slabsOf(s);
    expect(slabs.allocator).toBe('slub');
    expect(slabs.cacheList()).toEqual([...ref.keys()]);
  });

  it('names caches and recognises their addresses', () => {
    const slabs = slabsOf(s);
    expect(slabs.cacheName(0xffff88cb41042a00n)).toBe('kmalloc-512');
    expect(slabs.isCacheAddr(0xffff88cb41042a00n)).toBe('kmalloc-512');
    expect(slabs.isCacheAddr(0xffff88cb41042a08n)).toBeUndefined();
  });

  it('counts one cache as crash does: per-CPU slabs and freelists, partial lists, per-node totals', () => {
    const r = [...slabsOf(s).report({ name: 'kmalloc-512' })];
    expect(r).toHaveLength(1);
    expect(r[0].kind).toBe('cache');
    if (r[0].kind === 'cache') expect(formatCacheLine(r[0].summary)).toBe(ref.get(0xffff88cb41042a00n));
  });
});

describe('SLAB (the tiny kernel, from its vmlinux)', () => {
  const d = fixture('t-tiny-la57', 'mdf-d31-lzo.kdump');
  const s = openSession(d, 'dwarf');
  const ref = reference('t-tiny-la57', 'mdf-d31-lzo.kdump');

  it('is found by feature (no kmem_cache.cpu_slab; struct slab with s_mem and active)', () => {
    expect(slabsOf(s).allocator).toBe('slab');
    expect(slabsOf(s).cacheList()).toEqual([...ref.keys()]);
  });

  it('subtracts the objects cached in the per-CPU and shared arrays from those in use', () => {
    // kmalloc-512 holds the test module's buffer; crash: 616 allocated of 624 in 78 slabs.
    const r = [...slabsOf(s).report({ name: 'kmalloc-512' })];
    expect(r.map((x) => (x.kind === 'cache' ? formatCacheLine(x.summary) : ''))).toEqual([ref.get(0xff2d6b9b80133300n)]);
  });

  it('prints the header crash prints', () => {
    expect(KMEM_CACHE_HEADER).toBe(readFileSync(`${d.crashDir}/kmem-s.txt`, 'utf8').split('\n')[0] + '\n');
  });
});
