// crash's `kmem -s` / `kmem -S` (the slab caches) and `kmem ADDRESS` (what an address is), as memory.c
// cmd_kmem() dispatches them. kmem.ts owns the command; it calls kmemSlabs() for -s/-S/-I and
// kmemAddress() for bare addresses.
import { hex, kv } from '../addr.ts';
import { START_KERNEL_MAP } from '../arch/x86-64-paging.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { FreePages, VMLIST_HEADER, ordinal, showContext, taskOfStack, taskOfStruct, vmapAreas, vmlistLine } from '../kernel/address-info.ts';
import { type SlabEnv, SlabCaches, KMEM_CACHE_HEADER, formatCacheLine } from '../kernel/slab.ts';
import { cpuCounts, onlineNodes } from '../kernel/system.ts';
import { type TaskInfo, tasksOf } from '../kernel/tasks.ts';
import { sizeOf } from '../types/type.ts';
import { lineOf, symbolsFor } from './dis.ts';
import { CrashReader } from './rd.ts';
import { PAGE_HEADER, kvtop, mmOf, pageLine } from './vtop.ts';
import { CrashFatal, finish, htol, isHexadecimal, usage } from './crash-tools.ts';

export const KMEM_SYNOPSIS =
  '[-f|-F|-c|-C|-i|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]]\n' +
  '       [[-s|-S|-S=cpu[s]|-r] [slab] [-I slab[,slab]]] [-g [flags]] [[-P] address]]';

const perSession = new WeakMap<Session, SlabCaches>();

/** crash's view of the session for the slab code: readmem(), kt->cpus, the node table, is_page_ptr(). */
export function slabEnv(session: Session): SlabEnv {
  const prog = session.program;
  const reader = new CrashReader(session);
  const { layout, memMap } = mmOf(session);
  const sizeofPage = memMap?.sizeofPage ?? 64;
  const offsets = prog.symbols.address('__per_cpu_offset');
  const perCpu = new Map<number, bigint>();
  const nodes: SlabEnv['nodes'] = [];
  const pgdat = prog.tryType('struct pglist_data');
  for (const n of onlineNodes(prog)) {
    let startPfn = 0n;
    let pages = 0n;
    if (pgdat) {
      try {
        const o = prog.object(pgdat, n.pgdat);
        startPfn = o.member('node_start_pfn').toBigInt();
        pages = o.member('node_spanned_pages').toBigInt();
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
      }
    }
    nodes.push({ id: n.node, startPfn, pages });
  }
  const pageToPfn = (page: bigint): bigint | undefined => {
    if (page < layout.vmemmapStart || page > layout.vmemmapEnd) return undefined;
    const d = page - layout.vmemmapStart;
    if (d % BigInt(sizeofPage)) return undefined;
    return d / BigInt(sizeofPage);
  };
  return {
    prog,
    read: (addr, size) => reader.read(addr, 'KVADDR', size, 'kmem'),
    cpus: cpuCounts(prog).cpus,
    perCpuOffset(cpu) {
      let v = perCpu.get(cpu);
      if (v === undefined) {
        v = offsets === undefined ? 0n : prog.memory.readU64(kv(offsets + BigInt(cpu) * 8n));
        perCpu.set(cpu, v);
      }
      return v;
    },
    nodes,
    // x86_64_is_page_ptr(): inside vmemmap, struct-page aligned, in a present section.
    isPagePtr(addr) {
      const pfn = pageToPfn(addr);
      if (pfn === undefined || !memMap) return false;
      return (memMap.sectionMemMap(memMap.pfnToSectionNr(pfn)) & 1n) !== 0n;
    },
    pageToPfn,
    isKvaddr: (addr) => layout.isKvaddr(addr),
    ptov: (p) => layout.ptov(p),
    pageSize: session.mem.pageSize,
    pgSlab: pgSlabBit(session),
  };
}

/** PG_slab: VMCOREINFO's NUMBER(PG_slab), else the 'slab' flag of the kernel's own page-flag names. */
function pgSlabBit(session: Session): bigint | undefined {
  const n = session.vmcoreinfo?.tryNumber('PG_slab');
  if (n !== undefined) return n;
  const f = mmOf(session).memMap?.flagNames().flags.find((x) => x.name === 'slab');
  if (!f) return undefined;
  let bit = 0n;
  while (bit < 64n && ((f.mask >> bit) & 1n) === 0n) bit++;
  return bit;
}

/** The session's slab caches, set up once. */
export function slabsOf(session: Session): SlabCaches {
  let s = perSession.get(session);
  if (!s) {
    s = new SlabCaches(slabEnv(session));
    perSession.set(session, s);
  }
  return s;
}

/**
 * `kmem -s [-I slab,...] [slab | address...]` and `kmem -S[=cpus] ...`: the slab cache table (every cache,
 * one named cache, the cache at an address), or where an address lies in its slab; -S adds each cache's
 * per-CPU and per-node slabs and their objects (SLUB). `args` are kmem's arguments, options included.
 */
export function kmemSlabs(session: Session, args: string[]): string {
  let verbose = false;
  let cpuList: string | undefined;
  let ignore: string[] = [];
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-s') verbose = false;
    else if (a === '-S') verbose = true;
    else if (a.startsWith('-S=')) {
      verbose = true;
      cpuList = a.slice(3);
    } else if (a === '-I') ignore = (args[++i] ?? '').split(',').filter(Boolean);
    else if (a.startsWith('-I')) ignore = a.slice(2).split(',').filter(Boolean);
    else if (a.startsWith('-')) return `kmem: invalid option -- '${a.slice(1)}'\n${usage('kmem', KMEM_SYNOPSIS)}`;
    else words.push(a);
  }
  const slabs = slabsOf(session);
  if (verbose && slabs.allocator !== 'slub') throw new CommandError('-S: the per-slab object listing of SLAB caches is not supported yet; use kmem -s');
  let cpus: ((cpu: number) => boolean) | undefined;
  if (cpuList !== undefined) {
    const set = parseCpuList(cpuList);
    cpus = (c) => set.has(c);
  }
  let reqname: string | undefined;
  const addresses: bigint[] = [];
  for (const w of words) {
    if (isHexadecimal(w)) addresses.push(htol(w));
    else {
      if (reqname !== undefined) throw new CrashFatal('only one kmem_cache reference is allowed');
      reqname = w.startsWith('\\') ? w.slice(1) : w;
    }
  }
  let out = '';
  try {
    if (addresses.length) {
      const { layout } = mmOf(session);
      let calls = 0;
      for (const [i, a] of addresses.entries()) {
        const name = slabs.isCacheAddr(a);
        if (name !== undefined) {
          if (reqname !== undefined) throw new CrashFatal('only one kmem_cache reference is allowed');
          reqname = name;
          if (i + 1 === addresses.length) {
            if (calls++) out += '\n';
            out += cacheTable(slabs, verbose, name, ignore, cpus);
          }
          continue;
        }
        if (calls++) out += '\n';
        let v = a;
        if (!layout.isKvaddr(v)) v = layout.ptov(v);
        out += slabAddress(session, slabs, v, verbose);
      }
      return out;
    }
    if (reqname === 'list') {
      for (const c of slabs.cacheList()) out += `${c.toString(16)} ${slabs.cacheName(c)}\n`;
      return out;
    }
    return cacheTable(slabs, verbose, reqname, ignore, cpus);
  } catch (e) {
    return finish('kmem', out, e);
  }
}

/** "0,2-3" → {0, 2, 3}. */
function parseCpuList(s: string): Set<number> {
  const out = new Set<number>();
  for (const part of s.split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CrashFatal(`invalid cpu specification: ${s}`);
    for (let c = Number(m[1]); c <= Number(m[2] ?? m[1]); c++) out.add(c);
  }
  return out;
}

/** dump_kmem_cache(): the table of every cache (or the named one), with -S each cache's slabs after it. */
function cacheTable(slabs: SlabCaches, verbose: boolean, reqname: string | undefined, ignore: string[], cpus?: (cpu: number) => boolean): string {
  if (slabs.slubNeedsDebug) {
    return 'kmem: option requires kmem_cache_node.nr_slabs member!\n(the kernel must be built with CONFIG_SLUB_DEBUG)\n';
  }
  let out = '';
  // SLAB prints the header before looking for a named cache; SLUB only once it has found it.
  if (reqname === undefined || slabs.allocator === 'slab') out += KMEM_CACHE_HEADER;
  const lines = [...slabs.report({ name: reqname, ignore })];
  lines.forEach((r, i) => {
    if (r.kind === 'message') out += `${r.text}\n`;
    else if (r.kind === 'ignored') out += `${r.cache.toString(16)} ${'[IGNORED]'.padEnd(43)}  ${r.name}\n`;
    else {
      if (reqname !== undefined && slabs.allocator === 'slub') out += KMEM_CACHE_HEADER;
      out += formatCacheLine(r.summary);
      if (verbose && r.summary.counts) {
        out += slabs.slubVerbose(r.summary.cache, cpus);
        // The header again before the next cache (not after the last).
        if (reqname === undefined && lines.slice(i + 1).some((x) => x.kind === 'cache')) out += KMEM_CACHE_HEADER;
      }
    }
  });
  return out;
}

/** dump_kmem_cache() with an address: the cache line, the slab and the object holding it (-S: all objects). */
function slabAddress(session: Session, slabs: SlabCaches, vaddr: bigint, verbose: boolean): string {
  if (slabs.allocator !== 'slub') {
    // crash 8.0.6 finds a SLAB cache through page.slab_cache, which moved to struct slab in v5.17.
    if (!session.program.hasMember('struct page', 'slab_cache')) return `kmem: address is not allocated in slab subsystem: ${hex(vaddr)}\n`;
    throw new CommandError('finding a SLAB object by address is not supported yet on kernels before v5.17');
  }
  const st: SearchState = { session, out: '' };
  const asPage = slabs.cacheOfSlabPagePtr(vaddr);
  if (asPage) return `${KMEM_CACHE_HEADER}${slabs.cacheLine(asPage.cache)}${slabs.slubSlabObjects(asPage.cache, vaddr, undefined)}`;
  const found = slabObject(st, slabs, vaddr, verbose);
  if (found) return st.out + found;
  return `${st.out}kmem: address is not allocated in slab subsystem: ${hex(vaddr)}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// kmem ADDRESS: crash's kmem_search().

interface SearchState {
  session: Session;
  out: string;
}

const sysrqCache = new WeakMap<Session, boolean>();

/**
 * crash sets its SYSRQ flag when the panic task's stack holds a return into sysrq_handle_crash (a sysrq-c
 * crash); show_context() then says "(SYSRQ)" for that task instead of "(PANIC)".
 */
function sysrqCrash(session: Session): boolean {
  let v = sysrqCache.get(session);
  if (v !== undefined) return v;
  v = false;
  try {
    const tasks = tasksOf(session);
    const panic = tasks.panicTask();
    const { symbols } = symbolsFor(session);
    if (panic !== undefined) {
      const base = tasks.stackBase(panic);
      const bytes = session.program.memory.read(kv(base), tasks.stackSize());
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let o = 0; o + 8 <= bytes.length && !v; o += 8) {
        const w = view.getBigUint64(o, true);
        if (w >= START_KERNEL_MAP && symbols.search(w)?.symbol.name === 'sysrq_handle_crash') v = true;
      }
    }
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
  }
  sysrqCache.set(session, v);
  return v;
}

/** crash's kvtop() without throwing: the physical address, or undefined. */
function kvtopOrUndefined(session: Session, vaddr: bigint): bigint | undefined {
  try {
    return kvtop(session, vaddr);
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

/**
 * `kmem [-P] ADDRESS...`: for each address what crash's kmem_search() finds: the symbol, the vmalloc area
 * and task stack, the slab object, the free page block, the task_struct, and the struct page.
 */
export function kmemAddress(session: Session, args: string[]): string {
  let physical = false;
  const words: string[] = [];
  for (const a of args) {
    if (a === '-P') physical = true;
    else if (a.startsWith('-')) return `kmem: invalid option -- '${a.slice(1)}'\n${usage('kmem', KMEM_SYNOPSIS)}`;
    else words.push(a);
  }
  const values: bigint[] = [];
  for (const w of words) {
    if (!isHexadecimal(w)) return usage('kmem', KMEM_SYNOPSIS);
    values.push(htol(w));
  }
  const st: SearchState = { session, out: '' };
  try {
    values.forEach((v, i) => {
      if (i) st.out += '\n';
      const { layout } = mmOf(session);
      kmemSearch(st, v, physical || !layout.isKvaddr(v) ? 'PHYSADDR' : 'KVADDR');
    });
  } catch (e) {
    return finish('kmem', st.out, e);
  }
  return st.out;
}

function kmemSearch(st: SearchState, spec: bigint, memtype: 'KVADDR' | 'PHYSADDR'): void {
  const session = st.session;
  const prog = session.program;
  const { layout, memMap } = mmOf(session);
  const { symbols } = symbolsFor(session);
  const BAD = (1n << 64n) - 1n;
  const highMemory = (() => {
    const a = prog.symbols.address('high_memory');
    try {
      return a === undefined ? undefined : prog.memory.readU64(kv(a));
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  })();
  const vaddr = memtype === 'KVADDR' ? spec : highMemory !== undefined && spec < highMemory - layout.pageOffset ? layout.ptov(spec) : BAD;
  const tasks = tasksOf(session);
  const all = tasks.all();
  const sysrq = sysrqCrash(session);
  const context = (t: TaskInfo): string => showContext(tasks, all, t, sysrq);

  // The symbol: kernel image addresses and module addresses.
  const stext = prog.symbols.address('_stext') ?? START_KERNEL_MAP;
  const end = prog.symbols.address('_end') ?? 0n;
  const isModule = (a: bigint): boolean => a >= layout.modulesStart && a <= layout.modulesEnd;
  const showSymbol = (a: bigint): string => {
    const r = symbols.search(a);
    if (!r) return '';
    let line = `${hex(a)} (${r.symbol.type}) ${r.symbol.name}${r.offset ? `+${r.offset}` : ''}`;
    if (r.symbol.module) line += ` [${r.symbol.module.name}]`;
    const text = r.symbol.module ? r.symbol.type === 't' || r.symbol.type === 'T' : a >= stext && a < (prog.symbols.address('_etext') ?? 0n);
    if (text) line += ` ${r.symbol.module ? '' : lineOf(session, a)}`;
    return `${line}\n`;
  };
  if ((vaddr >= stext && vaddr <= end) || isModule(spec)) {
    const s = showSymbol(vaddr);
    if (s) st.out += `${s}\n`;
  }

  let memSpec = spec;
  let memType = memtype;
  const areas = vmapAreas(prog);
  const memMapLine = (): void => {
    let phys: bigint | undefined;
    if (vaddr === BAD) phys = undefined;
    else if (memType === 'PHYSADDR') phys = memSpec;
    else {
      const pfn = slabsOf(session).pageToPfnOf(memSpec);
      phys = pfn !== undefined ? pfn * PAGE : kvtopOrUndefined(session, memSpec);
    }
    const line = phys !== undefined ? pageLine(session, phys) : '';
    if (line) st.out += PAGE_HEADER + line;
    else st.out += `${hex(memSpec)}: ${memType === 'KVADDR' ? 'kernel virtual' : 'physical'} address not found in mem map\n`;
  };

  // vmalloc space: the stack's task, the area, then the page it maps.
  if (memtype === 'KVADDR' && layout.isVmalloc(spec)) {
    const t = taskOfStack(tasks, all, vaddr);
    if (t) st.out += `${context(t)}\n`;
    const paddr = kvtopOrUndefined(session, spec);
    if (paddr !== undefined) {
      const a = areas.find((x) => spec >= x.start && spec < x.end);
      if (a) {
        st.out += `${VMLIST_HEADER}${vmlistLine(a)}\n`;
        memSpec = paddr;
        memType = 'PHYSADDR';
        return memMapLine();
      }
    }
  }

  // A physical address that a vmalloc area maps.
  if (memtype === 'PHYSADDR') {
    for (const a of areas) {
      let hit: bigint | undefined;
      for (let p = a.start; p < a.end; p += PAGE) {
        const pa = kvtopOrUndefined(session, p);
        if (pa !== undefined && spec >= pa && spec < pa + PAGE) {
          hit = p + (spec % PAGE);
          break;
        }
      }
      if (hit === undefined) continue;
      const t = taskOfStack(tasks, all, hit);
      if (t) st.out += `${context(t)}\n`;
      const s = symbols.search(hit) ? showSymbol(hit) : '';
      if (s) st.out += s;
      st.out += `${VMLIST_HEADER}${vmlistLine(a)}\n`;
      return memMapLine();
    }
  }

  // The slab.
  const slabs = slabsOf(session);
  if (vaddr !== BAD) {
    const found = slabObject(st, slabs, vaddr);
    if (found) st.out += `${found}\n`;
    const pageSlab = slabs.cacheOfSlabPagePtr(spec);
    if (pageSlab) st.out += `${KMEM_CACHE_HEADER}${slabs.cacheLine(pageSlab.cache)}${slabs.slubSlabObjects(pageSlab.cache, spec, undefined)}\n`;
  }

  // The free page block.
  const searchPhys = memtype === 'PHYSADDR' ? spec : (() => {
    const pfn = slabs.pageToPfnOf(spec);
    return pfn !== undefined ? pfn * PAGE : kvtopOrUndefined(session, spec);
  })();
  if (searchPhys !== undefined) {
    if (!memMap || memMap.pfnToPage(searchPhys / PAGE) === undefined) st.out += `kmem: cannot determine page for ${hex(spec)}\n`;
    else {
      const block = freePagesOf(session)?.find(nodesOf(session), searchPhys, PAGE, BigInt(memMap.sizeofPage));
      if (block) {
        st.out += `ZONE  NAME        SIZE    FREE      MEM_MAP       START_PADDR  START_MAPNR\n${block.zoneLine}\n`;
        st.out += `AREA    SIZE  FREE_AREA_STRUCT\n${block.areaLine}\n${hex(block.page)}  `;
        if (block.order) {
          st.out += memtype === 'KVADDR' ? `(${hex(spec)} is ` : `(${hex(spec)} is ${spec % PAGE ? 'in ' : ''}`;
          st.out += `${ordinal(block.offset + 1n)} of ${1n << BigInt(block.order)} pages)`;
        }
        st.out += '\n\n';
      }
    }
  }

  // The task whose task_struct or stack holds it.
  const sizeofTask = sizeOf(prog.type('struct task_struct')) ?? 0;
  const t = vaddr === BAD ? undefined : (taskOfStruct(all, sizeofTask, vaddr) ?? taskOfStack(tasks, all, vaddr));
  if (t) st.out += `${context(t)}\n`;

  memMapLine();
}

/** The slab part of kmem_search(): vaddr_to_kmem_cache(), then dump_kmem_cache() for the address. */
function slabObject(st: SearchState, slabs: SlabCaches, vaddr: bigint, allObjects = false): string | undefined {
  if (slabs.allocator !== 'slub') return undefined;
  const session = st.session;
  const paddr = kvtopOrUndefined(session, vaddr);
  if (paddr === undefined) {
    st.out += `WARNING: cannot make virtual-to-physical translation: ${hex(vaddr)}\n`;
    return undefined;
  }
  const page = mmOf(session).memMap?.pfnToPage(paddr / PAGE);
  if (page === undefined) {
    st.out += `WARNING: cannot find mem_map page for address: ${hex(vaddr)}\n`;
    return undefined;
  }
  const c = slabs.cacheOfPage(page);
  if (!c) return undefined;
  return `${KMEM_CACHE_HEADER}${slabs.cacheLine(c.cache)}${slabs.slubSlabObjects(c.cache, slabs.compoundHead(page), allObjects ? undefined : vaddr)}`;
}

const PAGE = 4096n;
const freePagesCache = new WeakMap<Session, FreePages | null>();

function freePagesOf(session: Session): FreePages | undefined {
  let f = freePagesCache.get(session);
  if (f === undefined) {
    const { memMap } = mmOf(session);
    const slabs = slabsOf(session);
    try {
      f = memMap ? new FreePages(session.program, { pfnToPage: (p) => memMap.pfnToPage(p), pageToPfn: (p) => slabs.pageToPfnOf(p) }) : null;
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
      f = null;
    }
    freePagesCache.set(session, f);
  }
  return f ?? undefined;
}

function nodesOf(session: Session): { pgdat: bigint; startPfn: bigint; pages: bigint }[] {
  const prog = session.program;
  const pgdat = prog.type('struct pglist_data');
  return onlineNodes(prog).map((n) => {
    const o = prog.object(pgdat, n.pgdat);
    return { pgdat: n.pgdat, startPfn: o.member('node_start_pfn').toBigInt(), pages: o.member('node_spanned_pages').toBigInt() };
  });
}
