// What crash's `sys` and `mach` report about the crashed system, each fact read the way crash 8.0.6 reads
// it (kernel.c display_sys_stats, get_xtime, get_uptime, get_loadavg; memory.c get_memory_size; x86_64.c
// x86_64_processor_speed; task.c's HZ rules). Kernel differences are found by feature:
//   - crash time: timekeeper.xtime_sec in the `timekeeper` symbol, or in `shadow_timekeeper` once Linux 3.17
//     put the timekeeper inside tk_core; Linux 6.13 moved that into struct tk_data (tk_core, then
//     timekeeper_data[] in 6.17), which crash 9 reads (its commit 7ff3146) and 8.0.6 cannot: we follow 9;
//   - HZ: mq-deadline's `write_expire` constant (5 * HZ) from DWARF, crash's own rule; with no DWARF the
//     kernel's `tick_nsec` (NSEC_PER_SEC / HZ, kernel/time/ntp.c), which gives the same answer;
//   - CPU numbers and IRQ stacks: per-CPU `cpu_number` / `hardirq_stack_ptr`, inside struct pcpu_hot since
//     Linux 6.2 (commits 7443b296e699, d7b6d709a76a), as x86_64_per_cpu_init() reads them.
import { kv } from '../addr.ts';
import { DW_AT, DW_TAG } from '../debuginfo/dwarf/constants.ts';
import { DwarfTypes } from '../debuginfo/dwarf/types.ts';
import { CrashlensError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import { sizeOf, strip } from '../types/type.ts';
// struct new_utsname: the same fields the dump header carries.
import type { Utsname } from '../dump/kdump-compressed.ts';

/** init_uts_ns.name (struct new_utsname), as crash keeps it in kt->utsname. */
export function utsname(prog: Program): Utsname {
  const name = prog.variable('init_uts_ns').member('name');
  const field = (m: string): string => name.member(m).string(65);
  return {
    sysname: field('sysname'),
    nodename: field('nodename'),
    release: field('release'),
    version: field('version'),
    machine: field('machine'),
    domainname: field('domainname'),
  };
}

const has = (prog: Program, name: string): boolean => prog.symbols.address(name) !== undefined;
const readU64 = (prog: Program, addr: bigint): bigint => prog.memory.readU64(kv(addr));
const readS32 = (prog: Program, addr: bigint): number => prog.memory.readU32(kv(addr)) | 0;

/** A global's value read as an unsigned long, whatever its declared type. */
function ulongAt(prog: Program, name: string): bigint {
  return readU64(prog, prog.symbolAddress(name));
}

/** The values of `enum name`'s enumerators, when the type source has the enum. */
export function enumValues(prog: Program, name: string): Map<string, bigint> | undefined {
  const t = prog.tryType(`enum ${name}`);
  if (!t) return undefined;
  const e = strip(t);
  if (e.kind !== 'enum' || !e.complete) return undefined;
  return new Map(e.values.map((v) => [v.name, v.value]));
}

/**
 * crash's get_xtime(): seconds since the epoch when the system stopped (crash's DATE), from the
 * timekeeper's xtime_sec; undefined when no timekeeper can be found.
 */
export function crashTime(prog: Program): bigint | undefined {
  const tk = prog.tryType('struct timekeeper');
  if (!tk) return has(prog, 'xtime') ? ulongAt(prog, 'xtime') : undefined;
  const tkData = prog.tryType('struct tk_data');
  if (tkData && prog.hasMember('struct tk_data', 'timekeeper')) {
    // Linux 6.13+: crash 9 reads timekeeper_data[TIMEKEEPER_CORE] (or the older tk_core) through tk_data.
    const sym = has(prog, 'timekeeper_data') ? 'timekeeper_data' : has(prog, 'tk_core') ? 'tk_core' : undefined;
    if (sym) return prog.object(tkData, prog.symbolAddress(sym)).member('timekeeper').member('xtime_sec').toBigInt();
  }
  if (prog.hasMember('struct timekeeper', 'xtime') && has(prog, 'timekeeper'))
    return prog.object(tk, prog.symbolAddress('timekeeper')).member('xtime').member('tv_sec').toBigInt();
  if (!prog.hasMember('struct timekeeper', 'xtime_sec')) return undefined;
  for (const sym of ['timekeeper', 'shadow_timekeeper'])
    if (has(prog, sym)) return prog.object(tk, prog.symbolAddress(sym)).member('xtime_sec').toBigInt();
  return undefined;
}

/**
 * A file-scope constant that the compiler kept only as a value (DW_AT_const_value), found among the
 * top-level DIEs of the unit that defines `fn` — how gdb answers crash's `printf "%d", write_expire` in
 * the scope of dd_init_sched().
 */
function dwarfFileConstant(prog: Program, fn: string, name: string): bigint | undefined {
  if (!(prog.types instanceof DwarfTypes)) return undefined;
  const f = prog.types.index.lookup('function', fn);
  if (!f) return undefined;
  const unit = f.unit;
  for (const d of unit.children(unit.root())) {
    if (d.tag !== DW_TAG.variable) continue;
    const n = d.attrs.get(DW_AT.name);
    const v = d.attrs.get(DW_AT.const_value);
    if (n?.cls === 'string' && n.value === name && v?.cls === 'const') return v.signed ? BigInt.asIntN(64, v.value) : v.value;
  }
  return undefined;
}

/** The HZ values x86-64 kernels can be built with (kernel/Kconfig.hz). */
const HZ_CHOICES = [100, 250, 300, 1000];

/**
 * The kernel's HZ as crash finds it: cfq's `cfq_slice_async` (HZ / 25) where CFQ exists (removed in
 * Linux 5.0), else mq-deadline's `write_expire` (5 * HZ) from DWARF, else CONFIG_HZ
 * from IKCONFIG; crash assumes 1000 when none is there. The kernel's `tick_nsec` (NSEC_PER_SEC / HZ) stands
 * in for IKCONFIG, and for everything when there is no DWARF.
 */
export function kernelHz(prog: Program): number {
  if (has(prog, 'cfq_slice_async')) {
    // An int of jiffies until Linux 4.8 made it a u64 of nanoseconds (commit 9a7f38c42c2b, "cfq-iosched:
    // Convert from jiffies to nanoseconds"); crash uses it only before that.
    const t = prog.types.variableType?.('cfq_slice_async');
    const v = readS32(prog, prog.symbolAddress('cfq_slice_async'));
    if (v > 0 && (t ? sizeOf(t) === 4 : v * 25 <= 1000)) return v * 25;
  }
  for (const fn of ['dd_init_queue', 'dd_init_sched', 'deadline_init_queue']) {
    if (!has(prog, fn)) continue;
    const w = dwarfFileConstant(prog, fn, 'write_expire');
    if (w !== undefined && w > 0n) return Number(w / 5n);
    break;
  }
  // crash falls back on IKCONFIG's CONFIG_HZ, which is what tick_nsec tells too; with no DWARF crash cannot
  // run at all, and tick_nsec gives the kernel's own HZ.
  const ikconfig = has(prog, 'kernel_config_data');
  if ((!(prog.types instanceof DwarfTypes) || ikconfig) && has(prog, 'tick_nsec')) {
    const tick = Number(ulongAt(prog, 'tick_nsec'));
    if (tick > 0) {
      // NTP frequency correction moves tick_nsec a little off NSEC_PER_SEC / HZ: take the nearest choice.
      const hz = 1e9 / tick;
      return HZ_CHOICES.reduce((a, b) => (Math.abs(b - hz) < Math.abs(a - hz) ? b : a));
    }
  }
  return 1000;
}

/**
 * crash's get_uptime(): jiffies since boot. jiffies_64 starts at INITIAL_JIFFIES (-300 * HZ as 32 bits)
 * so that the low word wraps five minutes after boot; crash undoes that offset.
 */
export function uptimeJiffies(prog: Program, hz: number): bigint {
  if (!has(prog, 'jiffies_64')) return ulongAt(prog, 'jiffies');
  let j = ulongAt(prog, 'jiffies_64');
  const wrapped = j & 0xffffffff00000000n;
  if (wrapped) {
    j = ((wrapped - 0x100000000n) | (j & 0xffffffffn)) + BigInt(300 * hz);
  } else {
    const initial = BigInt.asUintN(32, BigInt(-300 * hz));
    j = BigInt.asUintN(64, j - initial);
  }
  return j;
}

/** crash's convert_time(): "[N days, ]HH:MM:SS". */
export function formatUptime(jiffies: bigint, hz: number): string {
  let total = jiffies / BigInt(hz);
  const days = total / 86400n;
  total %= 86400n;
  const p2 = (n: bigint): string => n.toString().padStart(2, '0');
  return `${days ? `${days} days, ` : ''}${p2(total / 3600n)}:${p2((total % 3600n) / 60n)}:${p2(total % 60n)}`;
}

/** Seconds since the epoch at boot: crash's boot_date, DATE minus the uptime (what `log -T` adds to). */
export function bootTime(prog: Program): bigint | undefined {
  const date = crashTime(prog);
  if (date === undefined) return undefined;
  const hz = kernelHz(prog);
  return date - uptimeJiffies(prog, hz) / BigInt(hz);
}

/** crash's get_loadavg(): avenrun[] (fixed point, 11 fraction bits) rounded to two decimals. */
export function loadAverage(prog: Program): string {
  const base = prog.symbolAddress('avenrun');
  const FSHIFT = 11n;
  const FIXED_1 = 1n << FSHIFT;
  const parts: string[] = [];
  for (let i = 0n; i < 3n; i++) {
    const a = BigInt.asIntN(32, readU64(prog, base + i * 8n) + FIXED_1 / 200n);
    const int = a >> FSHIFT;
    const frac = ((a & (FIXED_1 - 1n)) * 100n) >> FSHIFT;
    parts.push(`${int}.${frac.toString().padStart(2, '0')}`);
  }
  return parts.join(', ');
}

function popcount(bytes: Uint8Array): number {
  let n = 0;
  for (let b of bytes) {
    while (b) {
      n += b & 1;
      b >>= 1;
    }
  }
  return n;
}

/** crash's cpu_map_addr(): the cpu_<kind>_map / cpu_<kind>_mask / __cpu_<kind>_mask bitmap. */
function cpuMap(prog: Program, kind: 'online' | 'present' | 'possible'): Uint8Array | undefined {
  const size = sizeOf(prog.tryType('struct cpumask') ?? { kind: 'void' }) ?? 8;
  let addr: bigint | undefined = prog.symbols.address(`cpu_${kind}_map`);
  if (addr === undefined && has(prog, `cpu_${kind}_mask`)) addr = ulongAt(prog, `cpu_${kind}_mask`);
  addr ??= prog.symbols.address(`__cpu_${kind}_mask`);
  if (addr === undefined) return undefined;
  try {
    return prog.memory.read(kv(addr), size);
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

/** How many CPUs a cpumask holds (0 when the kernel has none of that kind), and the highest one. */
function cpuMapCount(prog: Program, kind: 'online' | 'present' | 'possible'): { count: number; highest: number } {
  const bytes = cpuMap(prog, kind);
  if (!bytes) return { count: 0, highest: -1 };
  let highest = -1;
  for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3] & (1 << (i & 7))) highest = i;
  return { count: popcount(bytes), highest };
}

export interface CpuCounts {
  /** crash's kt->cpus: CPUs with a set-up per-CPU area, cut to the highest present one. */
  cpus: number;
  /** CPUs in the online mask; 0 when the kernel has no such mask. */
  online: number;
}

/**
 * crash's CPU count (x86_64_per_cpu_init): walk __per_cpu_offset[] while each CPU's area is set up (its
 * offset is not the boot copy's, __per_cpu_load) and holds its own number; then, if fewer CPUs are present,
 * the highest present CPU + 1.
 */
export function cpuCounts(prog: Program): CpuCounts {
  const online = cpuMapCount(prog, 'online').count;
  const present = cpuMapCount(prog, 'present');
  let cpus = 1;
  const offsets = prog.symbols.address('__per_cpu_offset');
  const numberAt = cpuNumberOffset(prog);
  if (offsets !== undefined && numberAt !== undefined) {
    const load = prog.symbols.address('__per_cpu_load');
    let limit = 8192;
    try {
      limit = Math.min(limit, prog.memory.readU32(kv(prog.symbolAddress('nr_cpu_ids'))));
    } catch {
      // No nr_cpu_ids: the walk stops at the first CPU with no area of its own, as crash's does.
    }
    cpus = 0;
    for (let i = 0; i < limit; i++) {
      try {
        const off = readU64(prog, offsets + BigInt(i) * 8n);
        if (load !== undefined && off === load) break;
        if (readS32(prog, BigInt.asUintN(64, numberAt + off)) !== i) break;
      } catch (e) {
        if (e instanceof CrashlensError) break;
        throw e;
      }
      cpus++;
    }
  }
  if (present.count && (!cpus || present.count < cpus)) cpus = present.highest + 1;
  return { cpus: Math.max(cpus, 1), online };
}

/** Address (before the per-CPU offset) of each CPU's own number. */
function cpuNumberOffset(prog: Program): bigint | undefined {
  const hot = prog.symbols.address('pcpu_hot');
  if (hot !== undefined) {
    const t = prog.tryType('struct pcpu_hot');
    if (t && prog.hasMember('struct pcpu_hot', 'cpu_number')) return prog.object(t, hot).member('cpu_number').address;
  }
  return prog.symbols.address('cpu_number');
}

/** crash's "[OFFLINE: N]" count: CPUs counted but not online (none when there is no online mask). */
export function offlineCpus(c: CpuCounts): number {
  return c.online ? Math.max(c.cpus - c.online, 0) : 0;
}

/** x86_64_processor_speed(): cpu_khz / 1000, 0 when unknown. */
export function processorMhz(prog: Program): number {
  if (!has(prog, 'cpu_khz')) return 0;
  return Math.floor((prog.memory.readU32(kv(prog.symbolAddress('cpu_khz'))) >>> 0) / 1000);
}

/** Is the kernel tainted (crash's "  [TAINTED]")? The old int `tainted`, else `tainted_mask`. */
export function isTainted(prog: Program): boolean {
  if (has(prog, 'tainted')) return readS32(prog, prog.symbolAddress('tainted')) !== 0;
  if (has(prog, 'tainted_mask')) return ulongAt(prog, 'tainted_mask') !== 0n;
  return false;
}

/**
 * The pglist_data of each online memory node, in node order (crash's node_table): node_data[n] on NUMA
 * kernels, contig_page_data on the others.
 */
export function onlineNodes(prog: Program): { node: number; pgdat: bigint }[] {
  const online = onlineNodeIds(prog);
  const out: { node: number; pgdat: bigint }[] = [];
  for (const n of online) {
    let pgdat: bigint | undefined;
    if (has(prog, 'node_data')) {
      try {
        pgdat = readU64(prog, prog.symbolAddress('node_data') + BigInt(n) * 8n);
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
      }
      if (pgdat !== undefined && pgdat < 1n << 63n) pgdat = undefined;
    }
    if (pgdat === undefined && n === 0) pgdat = prog.symbols.address('contig_page_data');
    if (pgdat !== undefined) out.push({ node: n, pgdat });
  }
  return out;
}

/** Online node numbers from node_states[N_ONLINE] (or node_online_map); node 0 when neither exists. */
function onlineNodeIds(prog: Program): number[] {
  let bytes: Uint8Array | undefined;
  const mask = prog.tryType('nodemask_t');
  const size = (mask && sizeOf(mask)) || 8;
  if (has(prog, 'node_online_map')) bytes = prog.memory.read(kv(prog.symbolAddress('node_online_map')), size);
  else if (has(prog, 'node_states')) {
    const nOnline = enumValues(prog, 'node_states')?.get('N_ONLINE');
    if (nOnline !== undefined) bytes = prog.memory.read(kv(prog.symbolAddress('node_states') + nOnline * BigInt(size)), size);
  }
  if (!bytes) return [0];
  const ids: number[] = [];
  for (let i = 0; i < bytes.length * 8; i++) if (bytes[i >> 3] & (1 << (i & 7))) ids.push(i);
  return ids.length ? ids : [0];
}

const GIB = 1n << 30n;
const MIB = 1n << 20n;

/**
 * crash's MEMORY (get_memory_size): the RAM the nodes hold (node_present_pages, else node_spanned_pages,
 * per node), rounded up to the next GiB when within 64 MiB of it. In bytes.
 */
export function memorySize(prog: Program, pageSize = 4096): bigint {
  let total = 0n;
  const pgdat = prog.tryType('struct pglist_data');
  if (pgdat) {
    for (const { pgdat: at } of onlineNodes(prog)) {
      const node = prog.object(pgdat, at);
      const present = prog.hasMember('struct pglist_data', 'node_present_pages') ? node.member('node_present_pages').toBigInt() : 0n;
      const pages = present || node.member('node_spanned_pages').toBigInt();
      total += pages * BigInt(pageSize);
    }
  }
  const nextGig = ((total + GIB - 1n) / GIB) * GIB;
  if (nextGig && nextGig - total <= 64n * MIB) total = nextGig;
  return total;
}

/** crash's pages_to_size(): "0", "N KB", "N.N MB" or "N.N GB" (".0" dropped), rounded as C's %.1f does. */
export function pagesToSize(pages: bigint | number, pageSize = 4096): string {
  const bytes = BigInt(pages) * BigInt(pageSize);
  if (bytes === 0n) return '0';
  let s: string;
  if (bytes >= GIB) s = `${tenths(bytes, GIB)} GB`;
  else if (bytes >= MIB) s = `${tenths(bytes, MIB)} MB`;
  else s = `${bytes / 1024n} KB`;
  return s.replace('.0 ', ' ');
}

/** `n / unit` to one decimal, an exact half rounded to even as glibc's printf does (1.25 -> "1.2"). */
function tenths(n: bigint, unit: bigint): string {
  let q = (n * 10n) / unit;
  const twice = ((n * 10n) % unit) * 2n;
  if (twice > unit || (twice === unit && q % 2n === 1n)) q++;
  return `${q / 10n}.${q % 10n}`;
}

/**
 * crash's kt->hypervisor: pv_info.name (CONFIG_PARAVIRT), else the x86_hyper's name (kernels before 4.15);
 * "(undetermined)" otherwise. `mach` shows it unless it is that or "bare hardware".
 */
export function hypervisor(prog: Program): string {
  try {
    if (has(prog, 'pv_info') && prog.hasMember('struct pv_info', 'name')) {
      const name = prog.object('struct pv_info', prog.symbolAddress('pv_info')).member('name').string(64);
      if (name) return name;
    }
    if (has(prog, 'x86_hyper')) {
      const hyper = ulongAt(prog, 'x86_hyper');
      if (!hyper) return 'bare hardware';
      if (prog.hasMember('struct hypervisor_x86', 'name')) return prog.object('struct hypervisor_x86', hyper).member('name').string(64);
    }
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
  }
  return '(undetermined)';
}

/** The x86-64 kernel address-space layout `mach` prints. */
export interface KernelLayout {
  pageOffset: bigint;
  vmallocBase: bigint;
  vmemmapBase: bigint;
  modulesBase: bigint;
}

/** __START_KERNEL_map: where the kernel image is mapped. */
export const START_KERNEL_MAP = 0xffffffff80000000n;

/**
 * The bases crash reports: with CONFIG_RANDOMIZE_MEMORY (page_offset_base and vmalloc_base exist) the
 * kernel's own variables and modules after the kernel image (NUMBER(KERNEL_IMAGE_SIZE), 1 GiB by default);
 * otherwise the fixed layout of the paging mode (Documentation/x86/x86_64/mm.rst). `pageOffset` is the
 * direct map's base as the address space found it, used when the kernel does not randomize it.
 */
export function kernelLayout(prog: Program, opts: { levels: 4 | 5; pageOffset: bigint; kernelImageSize?: bigint }): KernelLayout {
  if (has(prog, 'page_offset_base') && has(prog, 'vmalloc_base')) {
    return {
      pageOffset: ulongAt(prog, 'page_offset_base'),
      vmallocBase: ulongAt(prog, 'vmalloc_base'),
      vmemmapBase: has(prog, 'vmemmap_base') ? ulongAt(prog, 'vmemmap_base') : 0xffffea0000000000n,
      modulesBase: START_KERNEL_MAP + (opts.kernelImageSize || GIB),
    };
  }
  const five = opts.levels === 5;
  return {
    pageOffset: opts.pageOffset,
    vmallocBase: five ? 0xffa0000000000000n : 0xffffc90000000000n,
    vmemmapBase: five ? 0xffd4000000000000n : 0xffffea0000000000n,
    modulesBase: opts.kernelImageSize ? START_KERNEL_MAP + opts.kernelImageSize : 0xffffffffa0000000n,
  };
}

/** The size of a task's kernel stack: union thread_union (else the init stack's extent, else 2 pages). */
export function kernelStackSize(prog: Program, pageSize = 4096): number {
  for (const spec of ['union task_union', 'union thread_union']) {
    const t = prog.tryType(spec);
    const n = t && sizeOf(t);
    if (n) return n;
  }
  for (const [start, end] of [['__start_init_stack', '__end_init_stack'], ['__start_init_task', '__end_init_task']]) {
    const a = prog.symbols.address(start);
    const b = prog.symbols.address(end);
    if (a !== undefined && b !== undefined && b > a) return Number(b - a);
  }
  return pageSize * 2;
}

export interface ExceptionStacks {
  /** crash's name for the stack ("NMI", "DEBUG", ... or "(unknown)"). */
  name: string;
  size: number;
  /** Per CPU, until the first CPU without one: the stack's base, and whether its memory is in the dump. */
  cpus: { base: bigint; available: boolean }[];
}

export interface CpuStacks {
  irqStackSize: number;
  /** Per CPU (crash's kt->cpus of them): the IRQ stack's base, 0 when unknown. */
  irqStacks: bigint[];
  exceptionStacks: ExceptionStacks[];
}

const MAX_EXCEPTION_STACKS = 7;

/** A per-CPU symbol's address on `cpu`, given __per_cpu_offset[]. */
function perCpuAddress(prog: Program, sym: bigint, cpu: number): bigint {
  return BigInt.asUintN(64, sym + readU64(prog, prog.symbolAddress('__per_cpu_offset') + BigInt(cpu) * 8n));
}

/**
 * Each CPU's IRQ and exception stacks, as x86_64_per_cpu_init() and x86_64_ist_init() find them: the
 * per-CPU hardirq_stack_ptr (pcpu_hot's since Linux 6.2), the TSS's IST slots (init_tss, cpu_tss or
 * cpu_tss_rw), named by the IDT handlers that use them and sized by struct cea_exception_stacks (whose VC
 * stack came with SEV-ES in Linux 5.10). `symbolize` names a kernel text address.
 */
export function cpuStacks(prog: Program, cpus: number, symbolize: (addr: bigint) => string): CpuStacks {
  let irqStackSize = 16384;
  for (const [s, m] of [['union irq_stack_union', 'irq_stack'], ['struct irq_stack', 'stack']]) {
    if (!prog.hasMember(s, m)) continue;
    irqStackSize = sizeOf(prog.object(s, 0n).member(m).type) ?? irqStackSize;
    break;
  }
  const irqStacks: bigint[] = [];
  let ptrAt = prog.symbols.address('hardirq_stack_ptr');
  const hot = prog.symbols.address('pcpu_hot');
  if (hot !== undefined && prog.hasMember('struct pcpu_hot', 'hardirq_stack_ptr'))
    ptrAt = prog.object('struct pcpu_hot', hot).member('hardirq_stack_ptr').address;
  for (let c = 0; c < cpus; c++) {
    let base = 0n;
    if (ptrAt !== undefined) {
      try {
        let p = readU64(prog, perCpuAddress(prog, ptrAt, c));
        // hardirq_stack_ptr points 8 bytes below the top of the stack.
        if (p & 0xfffn) p += 8n;
        base = p - BigInt(irqStackSize);
      } catch (e) {
        if (!(e instanceof CrashlensError)) throw e;
      }
    }
    irqStacks.push(BigInt.asUintN(64, base));
  }
  return { irqStackSize, irqStacks, exceptionStacks: exceptionStacks(prog, cpus, symbolize) };
}

function exceptionStacks(prog: Program, cpus: number, symbolize: (addr: bigint) => string): ExceptionStacks[] {
  const names = istNames(prog, symbolize);
  const tss = ['init_tss', 'cpu_tss', 'cpu_tss_rw'].map((n) => prog.symbols.address(n)).find((a) => a !== undefined);
  if (tss === undefined) return [];
  const tssType = prog.tryType('struct tss_struct');
  if (!tssType) return [];
  const istOffset = prog.hasMember('struct tss_struct', 'ist')
    ? prog.object(tssType, 0n).member('ist').address!
    : prog.object(tssType, 0n).member('x86_tss').member('ist').address!;
  const ebase: bigint[][] = [];
  for (let c = 0; c < cpus; c++) {
    const off = readU64(prog, prog.symbolAddress('__per_cpu_offset') + BigInt(c) * 8n);
    if (off === 0n) break;
    const row: bigint[] = [];
    for (let i = 0; i < MAX_EXCEPTION_STACKS; i++) row.push(readU64(prog, BigInt.asUintN(64, tss + off + istOffset + BigInt(i) * 8n)));
    ebase.push(row);
    if (row[0] === 0n) break;
  }
  const struct = ['struct cea_exception_stacks', 'struct exception_stacks'].find((s) => prog.hasMember(s, 'NMI_stack'));
  const memberSize = (m: string): number => {
    if (!struct || !prog.hasMember(struct, m)) return 0;
    return sizeOf(prog.object(struct, 0n).member(m).type) ?? 0;
  };
  const sizes = names.map((n) =>
    n === 'DEBUG' ? memberSize('DB_stack') : n === 'NMI' ? memberSize('NMI_stack') : n === 'DOUBLEFAULT' ? memberSize('DF_stack') : n === 'MCE' ? memberSize('MCE_stack') : n === 'VC' ? memberSize('VC_stack') : 0,
  );
  if (!struct) {
    // Kernels before cea_exception_stacks: equal stacks, the debug stack twice as big.
    const e = ebase[0]?.[0] && ebase[0]?.[1] ? Number(ebase[0][1] - ebase[0][0]) : 4096;
    names.forEach((n, i) => (sizes[i] = n === 'DEBUG' ? e * 2 : e));
  }
  const out: ExceptionStacks[] = [];
  for (let i = 0; i < MAX_EXCEPTION_STACKS; i++) {
    if (!ebase[0] || ebase[0][i] === 0n) break;
    const list: { base: bigint; available: boolean }[] = [];
    for (const row of ebase) {
      if (row[i] === 0n) break;
      const base = row[i] - BigInt(sizes[i]);
      // The VC stack is left unmapped when SEV-ES is not in use.
      list.push({ base, available: names[i] !== 'VC' || readable(prog, base) });
    }
    out.push({ name: names[i], size: sizes[i], cpus: list });
  }
  return out;
}

function readable(prog: Program, addr: bigint): boolean {
  try {
    prog.memory.readU8(kv(addr));
    return true;
  } catch (e) {
    if (e instanceof CrashlensError) return false;
    throw e;
  }
}

/** x86_64_exception_stacks_init(): each IST slot named after the IDT handler that uses it. */
function istNames(prog: Program, symbolize: (addr: bigint) => string): string[] {
  const names: string[] = new Array<string>(MAX_EXCEPTION_STACKS).fill('(unknown)');
  const idt = prog.symbols.address('idt_table');
  if (idt === undefined) return names;
  const gate = sizeOf(prog.tryType('struct gate_struct') ?? { kind: 'void' }) || 16;
  const table = prog.memory.read(kv(idt), gate * 256);
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let i = 0; i < 256; i++) {
    const lo = view.getBigUint64(i * gate, true);
    const hi = view.getBigUint64(i * gate + 8, true);
    const ist = Number((lo >> 32n) & 7n);
    if (!ist) continue;
    const handler = ((hi << 32n) & 0xffffffff00000000n) | (lo & 0xffffn) | ((lo >> 32n) & 0xffff0000n);
    const name = symbolize(handler);
    // Later tests win, as in crash.
    for (const [word, label] of [['nmi', 'NMI'], ['debug', 'DEBUG'], ['stack', 'STACKFAULT'], ['double', 'DOUBLEFAULT'], ['machine', 'MCE'], ['vmm', 'VC']])
      if (name.includes(word)) names[ist - 1] = label;
  }
  return names;
}

/** crash's panic_msg[]: the lines it takes for the panic message, most telling first (task.c). */
const PANIC_MESSAGES = [
  'SysRq : Crash', 'SysRq : Trigger a crash', 'SysRq : Netdump', 'Kernel panic: ', 'Kernel panic - ', 'Kernel BUG at',
  'kernel BUG at', 'Unable to handle kernel paging request', 'Unable to handle kernel NULL pointer dereference',
  'BUG: unable to handle kernel ', 'general protection fault: ', 'double fault: ', 'divide error: ', 'stack segment: ',
  '[Hardware Error]: ', 'Bad mode in ', 'Oops: ',
];
/** crash's panic_keywords[], tried line by line when no panic_msg[] string is in the log. */
const PANIC_KEYWORDS = ['Unable to handle kernel', 'BUG: unable to handle kernel', 'Kernel BUG at', 'kernel BUG at', 'Bad mode in', 'Oops', 'Kernel panic'];

/**
 * crash's get_panicmsg(): the first log line holding the most telling panic string; else the first line
 * with a panic keyword (or, on kernels with `sysrq_pressed`, a "sysrq" line when it is set); else "".
 * `lines` is the log as `log -t` prints it.
 */
export function panicMessage(prog: Program, lines: readonly string[]): string {
  for (const m of PANIC_MESSAGES) {
    const hit = lines.find((l) => l.includes(m));
    if (hit !== undefined) return hit;
  }
  for (const l of lines) {
    if (l.includes('sysrq') && has(prog, 'sysrq_pressed')) return readS32(prog, prog.symbolAddress('sysrq_pressed')) ? l : '';
    if (PANIC_KEYWORDS.some((k) => l.includes(k))) return l;
  }
  return '';
}

/** crash's `sys -i`: "  <pad>DMI_FIELD: value" for each dmi_ident[] string, in enum dmi_field order. */
export function dmiInfo(prog: Program): string {
  if (!has(prog, 'dmi_ident')) throw new CrashlensError('dmi_ident does not exist in this kernel');
  const base = prog.symbolAddress('dmi_ident');
  const fields = enumValues(prog, 'dmi_field');
  // dmi_ident[DMI_STRING_MAX]: DWARF knows the length; else the enumerator that sizes the array.
  const t = prog.types.variableType?.('dmi_ident');
  const s = t && strip(t);
  const length = s?.kind === 'array' ? BigInt(s.length) : (fields?.get('DMI_STRING_MAX') ?? 0n);
  const slot = (i: bigint): string | undefined => {
    const p = readU64(prog, base + i * 8n);
    return p ? prog.memory.readCString(kv(p), 1499) : undefined;
  };
  let out = '';
  if (!fields) {
    for (let i = 0n; i < length; i++) {
      const v = slot(i);
      if (v !== undefined) out += `  dmi_ident[${i}]: ${v}\n`;
    }
    return out;
  }
  // Enumerators in declaration order, up to the first that is past the array.
  const shown: [string, bigint][] = [];
  for (const [name, value] of fields) {
    if (value >= length) break;
    shown.push([name, value]);
  }
  const width = Math.max(0, ...shown.map(([n]) => n.length));
  for (const [name, value] of shown) {
    const v = slot(value);
    if (v !== undefined) out += `  ${name.padStart(width)}: ${v}\n`;
  }
  return out;
}

/**
 * crash's `sys -t` taint letters (show_kernel_taints): for each taint_flags[] entry, its c_true letter when
 * that bit of tainted_mask is set, else its c_false unless that is ' ', '-' or 'G'. Without DWARF the
 * array's length is unknown, so only the set bits are looked at (every c_false of Linux 4.10+ is one of
 * those three).
 */
export function taintLetters(prog: Program): { mask: bigint; letters: string } | undefined {
  if (!has(prog, 'tainted_mask') || !has(prog, 'taint_flags')) return undefined;
  const flag = prog.tryType('struct taint_flag');
  if (!flag) return undefined;
  const [cTrue, cFalse] = prog.hasMember('struct taint_flag', 'c_true') ? ['c_true', 'c_false'] : ['true', 'false'];
  if (!prog.hasMember('struct taint_flag', cTrue)) return undefined;
  const mask = ulongAt(prog, 'tainted_mask');
  const t = prog.types.variableType?.('taint_flags');
  const s = t && strip(t);
  const length = s?.kind === 'array' ? s.length : 64;
  const size = BigInt(sizeOf(flag) ?? 0);
  const base = prog.symbolAddress('taint_flags');
  let letters = '';
  for (let i = 0; i < length; i++) {
    const set = (mask >> BigInt(i)) & 1n;
    if (!set && s?.kind !== 'array') continue;
    const entry = prog.object(flag, base + BigInt(i) * size);
    const c = String.fromCharCode(Number(entry.member(set ? cTrue : cFalse).toBigInt() & 0xffn));
    if (set || (c !== ' ' && c !== '-' && c !== 'G')) letters += c;
  }
  return { mask, letters };
}
