// Typed rows for the app's views, built from the engine's kernel helpers or from the text of crash commands.
// Everything returned is plain data (strings and numbers) so it crosses to the page unchanged. Addresses are
// lower-case hex without 0x, as crash prints them.
import { hex } from '../addr.ts';
import type { Session } from './session.ts';
import { tasksOf } from '../kernel/tasks.ts';
import { TaskMem } from '../kernel/task-mem.ts';
import type { SymbolTable } from '../symbols/symbol-table.ts';

const PAGE = 4096;

export interface TaskRow {
  pid: number;
  ppid: number;
  tgid: number;
  cpu: number;
  /** task_struct address. */
  task: string;
  /** crash's two-letter state (RU, IN, UN, ID, ZO, ...). */
  state: string;
  comm: string;
  /** mm_struct address, "" for kernel threads. */
  mm: string;
  kthread: boolean;
  /** Running on a CPU at the crash (crash's ">" in ps). */
  active: boolean;
  /** The task crash takes as the panic task. */
  panic: boolean;
  /** Memory use as crash's ps shows it; null when it could not be read. */
  pctMem: number | null;
  vszKB: number | null;
  rssKB: number | null;
}

export interface TaskTable {
  rows: TaskRow[];
  /** Why memory columns are missing, when they are. */
  memNote?: string;
}

/** The task table (crash's order) with ps's columns, from Tasks.all() and TaskMem. */
export function taskRows(session: Session): TaskTable {
  const tasks = tasksOf(session);
  const all = tasks.all();
  let mem: TaskMem | undefined;
  let memNote: string | undefined;
  try {
    const prog = tasks.prog;
    // crash's vt->total_pages: the direct map up to high_memory.
    const high = prog.memory.readU64(prog.symbolAddress('high_memory'));
    mem = new TaskMem(tasks, (high - session.kernel.pageOffset) / BigInt(PAGE));
  } catch (e) {
    memNote = `memory use unavailable: ${e instanceof Error ? e.message : String(e)}`;
  }
  let panic: bigint | undefined;
  try {
    panic = tasks.panicTask();
  } catch {
    panic = undefined;
  }
  const active = new Set<bigint>();
  try {
    for (const a of tasks.active().values()) active.add(a);
  } catch {
    /* no runqueues in the dump: nothing is marked active */
  }
  const rows = all.map((t): TaskRow => {
    let pctMem: number | null = null;
    let vszKB: number | null = null;
    let rssKB: number | null = null;
    if (mem) {
      try {
        const u = mem.usage(t);
        pctMem = u.pctPhysmem;
        vszKB = Number(u.totalVm) * (PAGE / 1024);
        rssKB = Number(u.rss) * (PAGE / 1024);
      } catch (e) {
        memNote ??= `memory use of some tasks unavailable: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    const kthread = safe(() => tasks.isKernelThread(t), t.mm === 0n);
    return {
      pid: t.pid,
      ppid: t.ppid,
      tgid: t.tgid,
      cpu: t.cpu,
      task: hex(t.task),
      state: safe(() => tasks.stateString(t), '??'),
      comm: t.comm,
      mm: t.mm === 0n ? '' : hex(t.mm),
      kthread,
      active: active.has(t.task) || t.task === panic,
      panic: t.task === panic,
      pctMem,
      vszKB,
      rssKB,
    };
  });
  return { rows, memNote };
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Completion

/** The symbol table commands resolve through: the vmlinux's when given, else the dump's kallsyms. */
export function symbolTable(session: Session): SymbolTable {
  return session.debugInfo?.symbols ?? session.symbols;
}

/** Symbol names starting with `prefix` (kernel, then modules), sorted, at most `limit`. */
export function completeSymbols(session: Session, prefix: string, limit = 200): string[] {
  if (!prefix) return [];
  const table = symbolTable(session);
  const out = new Set<string>();
  for (const s of table.kernelSymbols()) {
    if (s.name.startsWith(prefix)) out.add(s.name);
    if (out.size >= limit * 4) break;
  }
  for (const m of table.modules) for (const s of m.symbols) if (!s.pseudo && s.name.startsWith(prefix)) out.add(s.name);
  return [...out].sort().slice(0, limit);
}

/** Type names for completion: "struct task_struct", "union ...", "enum ..." (from BTF when the kernel has it). */
export function typeNames(session: Session): string[] {
  const types = session.program.types as { tagNames?: () => string[] };
  if (typeof types.tagNames === 'function') return types.tagNames();
  // A vmlinux's DWARF has no name listing; its kernel's BTF (in the dump) names the same types.
  return session.btf?.tagNames() ?? [];
}

/**
 * Type spellings starting with `prefix`. "task" finds "struct task_struct"; "struct ta" too. Exact-word
 * matches first, then by length.
 */
export function completeTypes(session: Session, prefix: string, limit = 100): string[] {
  const p = prefix.trim().replace(/\s+/g, ' ');
  if (!p) return [];
  const hits: string[] = [];
  for (const n of typeNames(session)) {
    const bare = n.slice(n.indexOf(' ') + 1);
    if (n.startsWith(p) || bare.startsWith(p)) hits.push(n);
  }
  hits.sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  return hits.slice(0, limit);
}

// ---------------------------------------------------------------------------------------------------------
// Modules

export interface ModuleRow {
  /** struct module address. */
  module: string;
  name: string;
  base: string;
  size: number;
  /** crash's "OBJECT FILE" column, when the rows came from `mod`. */
  object?: string;
}

/** The loaded modules from the dump's module list (what `mod` lists, without object files). */
export function moduleRows(session: Session): ModuleRow[] {
  return symbolTable(session).modules.map((m) => ({ module: hex(m.struct), name: m.name, base: hex(m.base), size: m.size }));
}

/** crash's `mod` table: MODULE NAME BASE SIZE OBJECT FILE. */
export function parseModTable(text: string): ModuleRow[] | undefined {
  const lines = text.split('\n');
  const h = lines.findIndex((l) => /^\s*MODULE\s+NAME\s+/.test(l));
  if (h < 0) return undefined;
  const out: ModuleRow[] = [];
  for (const l of lines.slice(h + 1)) {
    const m = /^\s*([0-9a-f]+)\s+(\S+)\s+([0-9a-f]+)\s+(\d+)\s*(.*)$/.exec(l);
    if (m) out.push({ module: m[1], name: m[2], base: m[3], size: Number(m[4]), object: m[5].trim() });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Memory

export interface KmemInfoRow {
  /** "TOTAL MEM", "FREE", ... as crash labels them. */
  label: string;
  pages: number;
  /** crash's human size ("370.3 MB"). */
  size: string;
  /** Percentage of `of`, when crash prints one. */
  percent?: number;
  of?: string;
}

export interface KmemInfo {
  /** Rows in crash's order; blank lines in its output start a new group. */
  groups: KmemInfoRow[][];
}

/** crash's `kmem -i` table. */
export function parseKmemInfo(text: string): KmemInfo | undefined {
  const lines = text.split('\n');
  const h = lines.findIndex((l) => /^\s*PAGES\s+TOTAL\s+PERCENTAGE/.test(l));
  if (h < 0) return undefined;
  const groups: KmemInfoRow[][] = [[]];
  for (const l of lines.slice(h + 1)) {
    if (!l.trim()) {
      if (groups[groups.length - 1].length) groups.push([]);
      continue;
    }
    // "         FREE    94791     370.3 MB   85% of TOTAL MEM", "   TOTAL HUGE        0            0         ----"
    const m = /^\s*(.+?)\s+(\d+)\s+(\d+(?:\.\d+)?(?: [KMGTP]?B)?|0)\s+(?:(\d+)% of (.+?)|-+)\s*$/.exec(l);
    if (!m) continue;
    groups[groups.length - 1].push({
      label: m[1],
      pages: Number(m[2]),
      size: m[3],
      percent: m[4] === undefined ? undefined : Number(m[4]),
      of: m[5],
    });
  }
  if (!groups[groups.length - 1].length) groups.pop();
  return { groups };
}

export interface SlabRow {
  cache: string;
  objsize: number;
  allocated: number;
  total: number;
  slabs: number;
  /** Slab size as crash prints it ("4k", "32k"). */
  ssize: string;
  name: string;
}

/** crash's `kmem -s` table: CACHE OBJSIZE ALLOCATED TOTAL SLABS SSIZE NAME. */
export function parseKmemSlabs(text: string): SlabRow[] | undefined {
  const lines = text.split('\n');
  const h = lines.findIndex((l) => /^CACHE\s+OBJSIZE\s+ALLOCATED\s+TOTAL\s+SLABS\s+SSIZE\s+NAME/.test(l));
  if (h < 0) return undefined;
  const out: SlabRow[] = [];
  for (const l of lines.slice(h + 1)) {
    const m = /^([0-9a-f]+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.+)$/.exec(l);
    if (m) out.push({ cache: m[1], objsize: +m[2], allocated: +m[3], total: +m[4], slabs: +m[5], ssize: m[6], name: m[7].trim() });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Backtraces

export interface Frame {
  level: number;
  /** Stack address of the frame ("[ffffd18dc0013958]"). */
  sp: string;
  func: string;
  /** Return/instruction address. */
  pc: string;
  /** "file.c: 123" from `bt -l`. */
  source?: string;
  /** Lines crash prints under the frame (exception registers, stack switches). */
  extra: string[];
}

export interface Backtrace {
  /** "PID: 1  TASK: ...  CPU: 1  COMMAND: "init"" */
  header: string;
  pid?: number;
  task?: string;
  cpu?: string;
  command?: string;
  frames: Frame[];
  /** Lines between the header and the first frame. */
  preamble: string[];
}

/** crash's `bt` text, one task per "PID:" header. */
export function parseBacktraces(text: string): Backtrace[] {
  const out: Backtrace[] = [];
  let cur: Backtrace | undefined;
  for (const line of text.split('\n')) {
    const h = /^PID:\s+(\d+)\s+TASK:\s+([0-9a-f]+)\s+CPU:\s+(\S+)\s+COMMAND:\s+"(.*)"/.exec(line);
    if (h) {
      cur = { header: line, pid: Number(h[1]), task: h[2], cpu: h[3], command: h[4], frames: [], preamble: [] };
      out.push(cur);
      continue;
    }
    if (!cur) {
      if (!line.trim()) continue;
      cur = { header: '', frames: [], preamble: [] };
      out.push(cur);
    }
    const f = /^\s*#(\d+) \[([0-9a-f]+)\] (\S+) at ([0-9a-f]+)(?: \[(\S+)\])?\s*$/.exec(line);
    if (f) {
      cur.frames.push({ level: Number(f[1]), sp: f[2], func: f[3] + (f[5] ? ` [${f[5]}]` : ''), pc: f[4], extra: [] });
      continue;
    }
    const last = cur.frames[cur.frames.length - 1];
    // `bt -l` puts the source position on the line after its frame: "    /path/file.c: 123".
    const src = /^\s+(\S+: \d+)\s*$/.exec(line);
    if (last && src && !last.source && last.extra.length === 0) last.source = src[1];
    else if (last && line.trim()) last.extra.push(line);
    else if (line.trim()) cur.preamble.push(line);
  }
  return out;
}
