// crash's `search` (memory.c cmd_search(), search_virtual(), search_physical()): memory scanned for values
// (unsigned long by default, -w 32-bit, -h 16-bit, -c strings), with an optional mask (-m) and context
// (-x), over kernel virtual memory (crash's ranges: direct map, vmalloc areas, vmemmap, kernel image), a
// -s start / -e end / -l length window, physical memory (-p), or each task's kernel stack (-t / -T).
//
// As in crash only pages the dump holds are scanned: makedumpfile-excluded pages are skipped silently
// (an ELF dump's excluded pages read as zeros, as crash reads them). The scan is bounded by the dump's
// pages: the direct map and kernel image are walked by page frame, vmalloc only inside its areas.
import { hex, kv, phys } from '../addr.ts';
import { START_KERNEL_MAP } from '../arch/x86-64-paging.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { onlineNodes } from '../kernel/system.ts';
import { taskHeader, tasksOf } from '../kernel/tasks.ts';
import type { Command } from './command.ts';
import { type RdFlags, displayMemory } from './rd.ts';
import { kvtop, mmOf, symbolsOf } from './vtop.ts';
import { CrashFatal, getopt, htol, isHexadecimal, stol, usage, VADDR_PRLEN } from './crash-tools.ts';

const SYNOPSIS = '[-s start] [ -[kKV] | -u | -p | -t | -T ] [-e end | -l length] [-m mask]\n         [-x count] -[cwh] [value | (expression) | symbol | string] ...';
const PAGE = 4096n;
/** search_chars(): characters shown from a string match. */
const CHARS_CTX = 56;

type Mode = 'ulong' | 'uint' | 'ushort' | 'chars';
type RangeType = 'unity' | 'startmap' | 'vmalloc' | 'modules' | 'vmemmap';

interface Target {
  value: bigint;
  /** The argument as typed, shown after a hit "(name)" when it was a symbol or expression. */
  label?: string;
  chars?: Uint8Array;
}

interface SearchSpec {
  mode: Mode;
  mask: bigint;
  context: number;
  targets: Target[];
}

/** Progress of a long scan: pages done out of pages to visit. */
export type SearchProgress = (done: number, total: number) => void;

const WIDTH: Record<Exclude<Mode, 'chars'>, number> = { ulong: 8, uint: 4, ushort: 2 };

/** Writes the hits as crash does, keeping the state a string search carries across page boundaries. */
class Matcher {
  out = '';
  /** Per target: where a match that crosses into the next page would start, and which prefixes hit. */
  private cross: { addr: bigint; hits: boolean[] }[] = [];
  private crossNext: bigint | undefined;
  /** -t / -T: the task header waiting for this task's first hit. */
  header: string | undefined;

  constructor(
    private readonly spec: SearchSpec,
    private readonly context: ((addr: bigint, width: number, count: number) => string) | undefined,
  ) {}

  private emitHeader(): void {
    if (this.header !== undefined) {
      this.out += this.header;
      this.header = undefined;
    }
  }

  private show(t: Target): string {
    if (t.label === undefined || this.spec.mask) return '';
    return t.label.startsWith('(') ? t.label : `(${t.label})`;
  }

  /** Scans `bytes` (from a page) that sit at `addr`. */
  scan(bytes: Uint8Array, addr: bigint): void {
    const { mode, mask, targets } = this.spec;
    if (mode === 'chars') return this.scanChars(bytes, addr);
    const w = WIDTH[mode];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const masked = targets.map((t) => t.value | mask);
    for (let off = 0; off + w <= bytes.length; off += w) {
      const v = w === 8 ? view.getBigUint64(off, true) : BigInt(w === 4 ? view.getUint32(off, true) : view.getUint16(off, true));
      const mv = v | mask;
      for (let k = 0; k < targets.length; k++) {
        if (mv !== masked[k]) continue;
        this.emitHeader();
        const at = addr + BigInt(off);
        const label = this.show(targets[k]);
        if (this.context && this.spec.context) {
          this.out += this.context(at - BigInt(this.spec.context * w), w, this.spec.context);
          this.out += `${hex(at).padStart(VADDR_PRLEN)}:  ${hex(v)} ${label}\n`;
          this.out += this.context(at + BigInt(w), w, this.spec.context);
          this.out += '\n';
        } else this.out += `${hex(at)}: ${hex(v)} ${label}\n`;
      }
    }
  }

  private report(addr: bigint, a: Uint8Array, b?: Uint8Array): void {
    this.emitHeader();
    let s = `${hex(addr)}: `;
    for (const part of b ? [a, b] : [a]) for (const c of part) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    this.out += `${s}\n`;
  }

  /** search_chars(): matches inside the page, and those crossing from the previous one. */
  private scanChars(bytes: Uint8Array, addr: bigint): void {
    const targets = this.spec.targets;
    const n = bytes.length;
    if (this.crossNext === addr) {
      targets.forEach((t, j) => {
        const c = this.cross[j];
        const s = t.chars!;
        const len = s.length;
        for (let i = 0; i < len - 1; i++) {
          if (!c?.hits[i]) continue;
          let ok = true;
          for (let k = 0; k <= i && ok; k++) ok = bytes[k] === s[len - 1 - i + k];
          if (ok) this.report(c.addr + BigInt(i), s, bytes.subarray(i + 1, i + 1 + Math.max(0, CHARS_CTX - len)));
        }
      });
    }
    this.crossNext = addr + BigInt(n);
    this.cross = targets.map((t) => ({ addr: addr + BigInt(n - (t.chars!.length - 1)), hits: new Array<boolean>(t.chars!.length).fill(false) }));
    // Candidates by each target's first byte; reported in crash's order (by position, then target).
    const hits: { i: number; j: number }[] = [];
    targets.forEach((t, j) => {
      const s = t.chars!;
      const len = s.length;
      for (let i = bytes.indexOf(s[0]); i >= 0; i = bytes.indexOf(s[0], i + 1)) {
        const avail = Math.min(len, n - i);
        let ok = true;
        for (let k = 1; k < avail && ok; k++) ok = bytes[i + k] === s[k];
        if (!ok) continue;
        // A prefix running off the end of the page may finish on the next one.
        if (i + len > n) this.cross[j].hits[len + i - n - 1] = true;
        else hits.push({ i, j });
      }
    });
    if (targets.length > 1) hits.sort((a, b) => a.i - b.i || a.j - b.j);
    for (const { i } of hits) this.report(addr + BigInt(i), bytes.subarray(i, i + Math.min(CHARS_CTX, n - i)));
  }
}

/** What the scan needs to know about the kernel's memory. */
interface Layout {
  pageOffset: bigint;
  highMemory: bigint;
  kernelEnd: bigint;
  physBase: bigint;
  vmallocStart: bigint;
  vmemmapStart: bigint;
  vmemmapEnd: bigint;
  /** vmalloc areas (va_start, size) in list order, those crash counts (with a vm_struct). */
  vmlist: { start: bigint; size: bigint }[];
  /** Physical page range of each online node. */
  nodes: { start: bigint; pages: bigint }[];
}

function layoutOf(session: Session): Layout {
  const prog = session.program;
  const { layout, memMap } = mmOf(session);
  const readSym = (name: string): bigint | undefined => {
    const a = prog.symbols.address(name);
    if (a === undefined) return undefined;
    try {
      return prog.memory.readU64(kv(a));
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  };
  const nodes: Layout['nodes'] = [];
  const pgdat = prog.tryType('struct pglist_data');
  for (const n of onlineNodes(prog)) {
    if (!pgdat) break;
    try {
      const o = prog.object(pgdat, n.pgdat);
      nodes.push({ start: o.member('node_start_pfn').toBigInt(), pages: o.member('node_spanned_pages').toBigInt() });
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
    }
  }
  if (nodes.length === 0) nodes.push({ start: 0n, pages: session.mem.maxPfn });
  const vmlist: Layout['vmlist'] = [];
  const va = prog.tryType('struct vmap_area');
  const head = prog.symbols.address('vmap_area_list');
  if (va && head !== undefined) {
    try {
      for (const o of prog.listEntries(head, va, 'list')) {
        if (o.member('vm').toBigInt() === 0n) continue;
        const start = o.member('va_start').toBigInt();
        vmlist.push({ start, size: o.member('va_end').toBigInt() - start });
      }
    } catch (e) {
      if (!(e instanceof CrashlensError)) throw e;
    }
  }
  const sizeofPage = BigInt(memMap?.sizeofPage ?? 64);
  const last = nodes[nodes.length - 1];
  const k = session.kernel;
  return {
    pageOffset: layout.pageOffset,
    highMemory: readSym('high_memory') ?? layout.pageOffset + session.mem.maxPfn * PAGE,
    kernelEnd: prog.symbols.address('_end') ?? START_KERNEL_MAP,
    physBase: k.physBase,
    vmallocStart: layout.vmallocStart,
    vmemmapStart: layout.vmemmapStart,
    vmemmapEnd: layout.vmemmapStart + (last.start + last.pages) * sizeofPage,
    vmlist,
    nodes,
  };
}

/** The bytes of physical page `pfn` as crash's readmem(PHYSADDR) gives them, or undefined. */
function physPage(session: Session, pfn: bigint): Uint8Array | undefined {
  const { memMap } = mmOf(session);
  if (!memMap || memMap.pfnToPage(pfn) === undefined) return undefined;
  const state = session.mem.pageState(pfn);
  if (state === 'present') {
    try {
      return session.mem.read(phys(pfn * PAGE), Number(PAGE));
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  }
  // crash's ELF reader zero-fills what makedumpfile excluded from a filtered ELF dump.
  if (state === 'excluded' && /\bELF\b/.test(session.mem.format)) return new Uint8Array(Number(PAGE));
  return undefined;
}

/** search_virtual() over [start, end): each page translated, found in the mem_map and read. */
function searchVirtual(
  session: Session,
  m: Matcher,
  start: bigint,
  end: bigint,
  next: (pp: bigint) => bigint | undefined,
  translate: (pp: bigint) => bigint | undefined,
): void {
  let s = start & ~7n;
  for (let pp = s - (s % PAGE); s < end; ) {
    const lastPage = s - (s % PAGE) === end - (end % PAGE);
    const pa = translate(pp);
    const page = pa === undefined ? undefined : physPage(session, pa / PAGE);
    if (!page) {
      const n = next(pp);
      if (n === undefined) return;
      pp = n;
      s = n;
      continue;
    }
    const from = Number(s - pp);
    const to = lastPage ? (end === (1n << 64n) - 1n ? Number(PAGE) : from + Number((end - s) & ~7n)) : Number(PAGE);
    m.scan(page.subarray(from, to), s);
    pp += PAGE;
    s = pp;
  }
}

interface Options {
  memtype: 'kvaddr' | 'uvaddr' | 'physaddr';
  start: bigint;
  end: bigint;
  onlyKernel: boolean;
  onlyVmalloc: boolean;
  tasks?: 'all' | 'active';
}

export const searchCommand: Command = {
  name: 'search',
  summary: 'search memory',
  run({ session, args }) {
    return search(session, args, (done, total) => session.progress?.(total > 0 ? done / total : 0, 'searching memory'));
  },
};

/** `search ARGS`, with an optional progress callback for the pages scanned. */
export function search(session: Session, args: string[], onProgress?: SearchProgress): string {
  const g = getopt('search', args, 'Ttl:ukKVps:e:v:m:hwcx:');
  let out = g.errors.length ? `${g.errors.join('\n')}\n` : '';
  let argerrs = g.errors.length;
  let mode: Mode = 'ulong';
  let modeSet = false;
  let memtype: Options['memtype'] | undefined;
  let start = 0n;
  let end = 0n;
  let len = 0n;
  let mask = 0n;
  let context = 0;
  let sflag = 0;
  let K = false;
  let V = false;
  let tflag = false;
  let Tflag = false;
  const { layout } = mmOf(session);
  const symbols = symbolsOf(session);
  const symbolOr = (w: string): bigint => symbols?.lookup(w) ?? htol(w);
  for (const { c, arg } of g.opts) {
    switch (c) {
      case 'u': {
        throw new CrashFatal('-u: searching user memory needs a task context, which Crashlens does not read yet');
      }
      case 'p':
        memtype = 'physaddr';
        if (!sflag) start = 0n;
        sflag++;
        break;
      case 'V':
      case 'K':
      case 'k':
        if (!sflag) start = layout.pageOffset;
        memtype = 'kvaddr';
        sflag++;
        if (c === 'K') K = true;
        else if (c === 'V') V = true;
        break;
      case 's':
        start = symbolOr(arg!);
        sflag++;
        break;
      case 'e':
        end = symbolOr(arg!);
        if (!end) throw new CrashFatal('invalid ending address: 0');
        break;
      case 'l':
        len = stol(arg!);
        break;
      case 'm':
        mask = htol(arg!);
        break;
      case 'h':
      case 'w':
      case 'c':
        if (modeSet) out += `search: WARNING: overriding previously set search ${c === 'c' ? 'type' : 'mode'} with "${c}"\n`;
        mode = c === 'h' ? 'ushort' : c === 'w' ? 'uint' : 'chars';
        modeSet = true;
        break;
      case 'x':
        if (!/^\d+$/.test(arg!)) throw new CrashFatal(`invalid decimal value: ${arg}`);
        context = Number(arg);
        break;
      case 'T':
      case 't':
        if (c === 'T') Tflag = true;
        else tflag = true;
        if (tflag && Tflag) throw new CrashFatal('-t and -T options are mutually exclusive');
        break;
      case 'v':
        break;
      default:
        argerrs++;
    }
  }
  if ((tflag || Tflag) && (memtype || start || end || len)) {
    throw new CrashFatal(`-${tflag ? 't' : 'T'} option cannot be used with other memory-selection options`);
  }
  if (!memtype) {
    memtype = 'kvaddr';
    if (!tflag && !Tflag && !sflag++) start = layout.pageOffset;
  }
  if (argerrs || (!sflag && !tflag && !Tflag) || g.rest.length === 0 || (len && end)) return out + usage('search', SYNOPSIS);
  if (memtype === 'kvaddr' && !tflag && !Tflag && !layout.isKvaddr(start)) {
    return `${out}search: invalid kernel virtual address: ${hex(start)}\n${usage('search', SYNOPSIS)}`;
  }
  const lay = layoutOf(session);
  if (!end && !len && !tflag && !Tflag) {
    if (memtype === 'kvaddr') end = [lay.highMemory, lay.kernelEnd, lastVmalloc(lay), lay.vmemmapEnd].reduce((a, b) => (b > a ? b : a), 0n);
    else {
      const last = lay.nodes[lay.nodes.length - 1];
      end = (last.start + last.pages) * PAGE;
    }
  } else if (len) end = start + len;
  if (end < start && !tflag && !Tflag) {
    const what = memtype === 'physaddr' ? 'ending address %s is below starting address %s' : 'ending address %s is below starting address %s';
    return `${out}search: ${what.replace('%s', hex(end)).replace('%s', hex(start))}\n${usage('search', SYNOPSIS)}`;
  }
  if (mask && mode === 'chars') out += 'search: mask ignored on string search\n';
  if (context) {
    if (mode === 'chars') throw new CrashFatal('-x option is not allowed with -c');
    const max = Number(PAGE) / WIDTH[mode];
    if (context > max) throw new CrashFatal(`context value ${context} is too large: maximum is ${max}`);
  }

  // The values: an expression or symbol (shown after each hit), else hex.
  const targets: Target[] = [];
  for (const w of g.rest) {
    if (mode === 'chars') {
      if (w.length) targets.push({ value: 0n, chars: new TextEncoder().encode(w) });
      continue;
    }
    let t: Target;
    const symbolValue = symbols?.lookup(w);
    if (w.startsWith('(')) throw new CommandError(`${w}: expressions are not supported yet`);
    else if (symbolValue !== undefined && !isHexadecimal(w)) t = { value: symbolValue, label: w };
    else t = { value: htol(w) };
    if (mode === 'uint' && t.value > 0xffffffffn) throw new CrashFatal(`value too large for -w option: ${hex(t.value)} ${t.label ? `(${t.label})` : ''}`);
    if (mode === 'ushort' && t.value > 0xffffn) throw new CrashFatal(`value too large for -h option: ${hex(t.value)} ${t.label ? `(${t.label})` : ''}`);
    targets.push(t);
  }
  if (targets.length === 0) return out + usage('search', SYNOPSIS);
  const spec: SearchSpec = { mode, mask: mode === 'chars' ? 0n : mask & (mode === 'ulong' ? (1n << 64n) - 1n : mode === 'uint' ? 0xffffffffn : 0xffffn), context, targets };

  const flags = (w: number): RdFlags => ({ display: (w * 8) as 16 | 32 | 64, hexadecimal: true, decimal: false, udecimal: false, symbolic: false, noAscii: false, netEndian: false });
  const ctx = (type: 'KVADDR' | 'PHYSADDR') => (addr: bigint, w: number, count: number): string => {
    try {
      return displayMemory(session, addr, BigInt(count), flags(w), type);
    } catch (e) {
      if (e instanceof CrashlensError) return '';
      throw e;
    }
  };
  const m = new Matcher(spec, ctx(memtype === 'physaddr' ? 'PHYSADDR' : 'KVADDR'));
  const progress = onProgress ?? (() => {});

  if (memtype === 'physaddr') {
    let s = start;
    if (s & 7n) {
      s &= ~7n;
      m.out += `search: rounding down start address to: ${hex(s)}\n`;
    }
    const total = Number((end - s) / PAGE) + 1;
    let done = 0;
    for (let pp = s - (s % PAGE); s < end; ) {
      const page = physPage(session, pp / PAGE);
      if (!page) {
        const n = nextPhysPage(lay, pp);
        if (n === undefined) break;
        pp = n;
        s = n;
        continue;
      }
      const lastPage = s - (s % PAGE) === end - (end % PAGE);
      const from = Number(s - pp);
      const to = lastPage ? from + Number((end - s) & ~7n) : Number(PAGE);
      m.scan(page.subarray(from, to), s);
      pp += PAGE;
      s = pp;
      if (++done % 1024 === 0) progress(done, total);
    }
    return out + m.out;
  }

  const linear = (pp: bigint): bigint => BigInt.asUintN(64, pp >= START_KERNEL_MAP ? pp - START_KERNEL_MAP + lay.physBase : pp - lay.pageOffset);
  const walked = (pp: bigint): bigint | undefined => {
    try {
      return kvtop(session, pp);
    } catch (e) {
      if (e instanceof CrashlensError) return undefined;
      throw e;
    }
  };

  if (tflag || Tflag) {
    const tasks = tasksOf(session);
    const size = BigInt(tasks.stackSize());
    let found = 0;
    for (const t of tasks.all()) {
      if (Tflag && !tasks.isActive(t)) continue;
      const base = tasks.stackBase(t);
      m.header = taskHeader(t, found > 0);
      const before = m.out.length;
      searchVirtual(session, m, base, base + size, (pp) => pp + PAGE, walked);
      if (m.out.length > before) found++;
      m.header = undefined;
    }
    return out + m.out;
  }

  // x86_64_get_kvaddr_ranges(), sorted by start.
  const ranges: { type: RangeType; start: bigint; end: bigint }[] = [
    { type: 'unity', start: lay.pageOffset, end: lay.highMemory },
    { type: 'startmap', start: START_KERNEL_MAP, end: lay.kernelEnd },
    { type: 'vmalloc', start: lay.vmallocStart, end: lastVmalloc(lay) },
  ];
  if (!inVmlist(lay, lay.vmemmapStart)) ranges.push({ type: 'vmemmap', start: lay.vmemmapStart, end: lay.vmemmapEnd });
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const [ri, r] of ranges.entries()) {
    progress(ri, ranges.length);
    if (start >= r.end || end <= r.start) continue;
    if ((r.type === 'unity' || r.type === 'startmap') && V) continue;
    if ((r.type === 'vmalloc' || r.type === 'modules' || r.type === 'vmemmap') && K) continue;
    let s = start > r.start ? start : r.start;
    const e = end < r.end ? end : r.end;
    if (s & 7n) {
      s &= ~7n;
      m.out += `search: rounding down start address to: ${hex(s)}\n`;
    }
    switch (r.type) {
      case 'unity':
        // next_identity_mapping(): on to the next node's first page, or stop past the last node.
        searchVirtual(session, m, s, e, (pp) => nextIdentity(lay, pp + PAGE), linear);
        break;
      case 'startmap': {
        // Only the part of the kernel mapping that lands in RAM can hold anything; crash steps over the rest.
        const first = lay.nodes[0].start * PAGE;
        const low = BigInt.asUintN(64, first - lay.physBase + START_KERNEL_MAP);
        const from = low > s && low < e ? low - (low % PAGE) : s;
        searchVirtual(session, m, from > s ? from : s, e, (pp) => pp + PAGE, linear);
        break;
      }
      case 'vmalloc':
        searchVirtual(session, m, s, e, (pp) => nextVmlist(lay, pp + PAGE), walked);
        break;
      default:
        searchVirtual(session, m, s, e, (pp) => pp + PAGE, walked);
    }
  }
  return out + m.out;
}

/** last_vmalloc_address(): the end of the last vmalloc area of the list. */
function lastVmalloc(lay: Layout): bigint {
  const l = lay.vmlist[lay.vmlist.length - 1];
  return l ? l.start + l.size : lay.vmallocStart;
}

function inVmlist(lay: Layout, vaddr: bigint): boolean {
  return nextVmlist(lay, vaddr) === vaddr;
}

/** next_vmlist_vaddr(): `vaddr` if inside an area, else the start of the next area. */
function nextVmlist(lay: Layout, vaddr: bigint): bigint | undefined {
  for (const a of lay.vmlist) {
    if (vaddr <= a.start) return a.start;
    if (vaddr < a.start + a.size) return vaddr;
  }
  return undefined;
}

/** next_identity_mapping(). */
function nextIdentity(lay: Layout, vaddr: bigint): bigint | undefined {
  const paddr = vaddr - lay.pageOffset;
  let save: bigint | undefined;
  let next: bigint | undefined;
  for (const n of lay.nodes) {
    const ps = n.start * PAGE;
    const pe = ps + n.pages * PAGE;
    if (paddr >= pe) continue;
    if (paddr < ps) {
      if (save !== undefined && save < ps) continue;
      next = lay.pageOffset + ps;
      save = ps;
      continue;
    }
    return vaddr;
  }
  return next;
}

/** next_physpage(). */
function nextPhysPage(lay: Layout, paddr: bigint): bigint | undefined {
  for (const n of lay.nodes) {
    const ps = n.start * PAGE;
    const pe = ps + n.pages * PAGE;
    if (paddr >= pe) continue;
    if (paddr < ps) return ps;
    return paddr + PAGE;
  }
  return undefined;
}
