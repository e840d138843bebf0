// crash's `vm` (memory.c cmd_vm(), vm_area_dump(), handle_each_vm_area(), vm_area_page_dump(),
// do_vm_flags()): a task's mm_struct, page directory, RSS and total size, then each VMA with its range,
// flags and file; -p/-P with each page's physical address (or file offset, or "(not mapped)"); -m/-v the
// mm_struct / each vm_area_struct; -f the names of vm_flags bits; -R only what matches a reference.
import { type KVAddr, hex, kv } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { fsOf } from '../kernel/fs.ts';
import { type Mm, type Vma, mmOfProgram, uvtop, vmFlagNames } from '../kernel/mm.ts';
import { TaskMem } from '../kernel/task-mem.ts';
import { type TaskInfo, isDecimal, isNumber, taskHeader, tasksOf } from '../kernel/tasks.ts';
import type { Command } from './command.ts';
import { registerForeach } from './foreach.ts';
import { Out, currentTask, fail, filenameComponent } from './files.ts';
import { findDatatype, printObjectText } from './struct.ts';
import { mmOf } from './vtop.ts';
import { UVADDR_PRLEN, VADDR_PRLEN, getopt, htol, mkstring, radixOption, usage } from './crash-tools.ts';

export const VM_SYNOPSIS = '[-p | -P vma | -M mm | -v | -m | -x | -d | [-R reference] [pid | task]]\n     [-f vm_flags]';

/** vm_area_dump() flags (defs.h). */
export const PHYSADDR = 0x1;
export const PRINT_MM_STRUCT = 0x2;
export const PRINT_VMA_STRUCTS = 0x4;
export const PRINT_SINGLE_VMA = 0x8;
export const PRINT_RADIX_10 = 0x10;
export const PRINT_RADIX_16 = 0x20;
export const PRINT_INODES = 0x40;

/** crash's struct reference for vm -R, with vm's cmdflags. */
interface VmRef {
  str: string;
  number: boolean;
  hexval: bigint;
  decval: bigint | undefined;
  /** VM_REF_HEADER: the task header and MM line are out. */
  header: boolean;
  /** VM_REF_VMA / VM_REF_PAGE and the VMA (ref1) and page (ref2) last matched. */
  vma: boolean;
  page: boolean;
  ref1: bigint;
  ref2: bigint;
}

export interface VmOptions {
  flags: number;
  /** -P: the one VMA. */
  singleVma?: bigint;
  /** -M: the mm_struct to use for a task without one. */
  forceMm?: bigint;
  ref?: string;
}

interface MemUsage {
  mm: bigint;
  pgd: bigint;
  rss: bigint;
  totalVm: bigint;
}

const memUsers = new WeakMap<Session, TaskMem>();

/** crash's get_task_mem_usage(): mm, pgd, rss and total_vm (zeros for a kernel thread or a zombie). */
function memUsage(session: Session, t: TaskInfo): MemUsage {
  const tasks = tasksOf(session);
  let tm = memUsers.get(session);
  if (!tm) {
    tm = new TaskMem(tasks, 0n);
    memUsers.set(session, tm);
  }
  const u = tm.usage(t);
  if (!u.mm) return { mm: 0n, pgd: 0n, rss: 0n, totalVm: 0n };
  let pgd = 0n;
  try {
    pgd = mmOfProgram(session.program).pgd(u.mm);
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
  }
  return { mm: u.mm, pgd, rss: u.rss, totalVm: u.totalVm };
}

/** PRINT_VM_DATA: the MM / PGD / RSS / TOTAL_VM header and its values. */
function vmData(u: MemUsage): string {
  const cl = (s: string, n: number): string => mkstring(s, n, 'center-left');
  const kb = (pages: bigint): string => `${BigInt.asIntN(64, (pages * 4096n) / 1024n)}k`;
  return `${cl('MM', VADDR_PRLEN)}  ${cl('PGD', VADDR_PRLEN)}  ${cl('RSS', 6)}  ${cl('TOTAL_VM', 8)}\n${cl(hex(u.mm), VADDR_PRLEN)}  ${cl(hex(u.pgd), VADDR_PRLEN)}  ${cl(kb(u.rss), 6)}  ${cl(kb(u.totalVm), 8)}\n`;
}

const VMA_HEADER = `${mkstring('VMA', VADDR_PRLEN, 'center-left')} ${mkstring('START', UVADDR_PRLEN, 'center-right')} ${mkstring('END', UVADDR_PRLEN, 'center-right')}  FLAGS FILE\n`;

/** PRINT_VMA_DATA. */
function vmaLine(v: Vma, path: string): string {
  return `${mkstring(hex(v.address), VADDR_PRLEN, 'center-left')} ${mkstring(hex(v.start), UVADDR_PRLEN, 'right')} ${mkstring(hex(v.end), UVADDR_PRLEN, 'right')} ${hex(v.flags).padStart(6)} ${path}\n`;
}

/** dump_struct(name, addr, radix): as the struct command prints it. */
function dumpStruct(session: Session, name: string, addr: bigint, radix: number): string {
  const dt = findDatatype(session.program, name);
  if (!dt) throw new CommandError(`invalid structure name: ${name}`);
  return printObjectText(session, dt, addr, { hex: radix === 16 }, 'vm');
}

/** crash's swap_location() / get_swapdev(): "<swap file>  OFFSET: <n>" for a swapped-out page. */
function swapLocation(session: Session, pte: bigint): string | undefined {
  const prog = session.program;
  if (!pte) return undefined;
  const swapInfo = prog.symbols.address('swap_info');
  if (prog.symbols.address('nr_swapfiles') === undefined || swapInfo === undefined) return undefined;
  const type = (pte >> 3n) & 0x3fn;
  const offset = pte >> 9n;
  let dev = '(unknown swap location)';
  try {
    let len = 0;
    const vt = prog.types.variableType?.('swap_info');
    if (vt && vt.kind === 'array') len = vt.length;
    if (!len) {
      const table = session.debugInfo?.symbols ?? session.symbols;
      const s = table.find('swap_info');
      const next = s ? table.next(s) : undefined;
      if (next) len = Number((next.address - swapInfo) / 8n);
    }
    if (type < BigInt(len)) {
      const ptr = prog.memory.readU64(kvOf(swapInfo + type * 8n));
      if (ptr) {
        const fs = fsOf(prog);
        const si = prog.type('struct swap_info_struct');
        const fileOff = si.kind === 'struct' ? si.members.find((m) => m.name === 'swap_file') : undefined;
        const swapFile = fileOff ? prog.memory.readU64(kvOf(ptr + BigInt(fileOff.bitOffset / 8))) : 0n;
        if (swapFile) {
          const fileBuf = fs.readFile(swapFile);
          const vfsmnt = fs.file.vfsmnt === undefined ? 0n : fileBuf.u64(fs.file.vfsmnt);
          const devname = fs.vfsmountDevname(vfsmnt);
          dev = fs.pathname(fileBuf.u64(fs.file.dentry), true, vfsmnt);
          if ((devname === 'devtmpfs' || devname === 'udev') && !dev.startsWith('/dev/')) dev = `/dev${dev}`;
        }
      }
    }
  } catch (e) {
    if (!(e instanceof CrashlensError)) throw e;
  }
  return `${dev}  OFFSET: ${BigInt.asIntN(64, offset)}`;
}

const kvOf = (a: bigint): KVAddr => kv(a);

class VmDump {
  private readonly mm: Mm;

  constructor(
    private readonly session: Session,
    private readonly out: Out,
  ) {
    this.mm = mmOfProgram(session.program);
  }

  /** uvtop() for the task: through the page tables of its mm (or the one -M forced). */
  private translate(mm: bigint, vaddr: bigint): { phys?: bigint; pte?: bigint } {
    const kernel = this.session.kernel;
    const pgd = this.mm.pgd(mm);
    return uvtop(this.session.mem, kernel.translate(kvOf(pgd)), kernel.levels, vaddr, kernel.smeMask);
  }

  /** vm_area_page_dump(): each page of a VMA; with a reference, whether one matches (search) or print them. */
  private pageDump(v: Vma, mm: bigint, ref: VmRef | undefined, display: boolean): boolean {
    const init = this.session.program.symbols.address('init_mm');
    if (init !== undefined && v.mm === init) return false;
    if (!ref || display) this.out.print(`${mkstring('VIRTUAL', UVADDR_PRLEN, 'left')}  ${mkstring('PHYSICAL', 8, 'left')}\n`);
    let start = display && ref ? ref.ref2 : v.start;
    for (; start < v.end; start += 4096n) {
      // Without a reference every page is shown; with one, a search stops at the first match and the
      // display pass (from that page on) shows only the pages that match.
      let show = !ref;
      const page = start;
      const match = (): boolean => {
        if (display) {
          show = true;
          return false;
        }
        ref!.page = true;
        ref!.ref2 = page;
        return true;
      };
      const hexHit = (value: bigint): boolean => ref !== undefined && ref.number && ref.hexval === value;
      const decHit = (value: bigint): boolean => ref !== undefined && ref.number && ref.decval === value;
      if (hexHit(start) && match()) return true;
      const t = this.translate(mm, start);
      const at = mkstring(hex(start), UVADDR_PRLEN, 'left');
      let line: string;
      if (t.phys !== undefined) {
        line = `${at}  ${mkstring(hex(t.phys), 8, 'right')}\n`;
        if (hexHit(t.phys) && match()) return true;
      } else {
        const swap = t.pte ? swapLocation(this.session, t.pte) : undefined;
        if (swap !== undefined) {
          line = `${at}  SWAP: ${swap}\n`;
          if (ref) {
            if (decHit(t.pte! >> 9n) && match()) return true;
            if (filenameComponent(swap.slice(0, swap.indexOf('  OFFSET:')), ref.str) && match()) return true;
          }
        } else {
          const file = this.mm.fileOffset(v, start);
          if (file !== undefined) {
            line = `${at}  FILE: ${file}\n`;
            if (ref) {
              const offs = BigInt(`0x${/OFFSET: ([0-9a-f]+)$/.exec(file)![1]}`);
              if (hexHit(offs) && match()) return true;
            }
          } else line = `${at}  (not mapped)\n`;
        }
      }
      if (show) this.out.print(line);
    }
    return false;
  }

  /** vm_area_dump() for one task (the header before it is the caller's). */
  dump(task: TaskInfo, o: VmOptions): void {
    const out = this.out;
    const flag = o.flags;
    const radix = flag & PRINT_RADIX_10 ? 10 : flag & PRINT_RADIX_16 ? 16 : 0;
    const u = memUsage(this.session, task);
    let ref: VmRef | undefined;
    if (o.ref !== undefined) {
      const num = isNumber(o.ref);
      ref = {
        str: o.ref,
        number: num,
        hexval: num ? htol(o.ref) : 0n,
        decval: num && isDecimal(o.ref) ? BigInt(o.ref.replace(/ /g, '')) : undefined,
        header: false,
        vma: false,
        page: false,
        ref1: 0n,
        ref2: 0n,
      };
      if (ref.number && (ref.hexval === u.mm || ref.hexval === u.pgd)) {
        out.print(taskHeader(task));
        out.print(vmData(u));
        out.print('\n');
        return;
      }
    }
    if (!(flag & (PRINT_MM_STRUCT | PRINT_VMA_STRUCTS | PRINT_SINGLE_VMA)) && !ref) out.print(vmData(u));
    let mm = u.mm;
    if (!mm) {
      if (o.forceMm === undefined) return;
      // crash also requires the address to be in the mm_struct slab cache ("invalid mm_struct address").
      if (this.mm.mmCount(o.forceMm) === 0) throw new CommandError('stale mm_struct address');
      mm = o.forceMm;
    }
    if (flag & PRINT_MM_STRUCT) {
      out.print(dumpStruct(this.session, 'mm_struct', mm, radix));
      return;
    }
    if (!(flag & (PHYSADDR | PRINT_VMA_STRUCTS | PRINT_SINGLE_VMA)) && !ref) out.print(VMA_HEADER);
    const list = this.mm.vmaList(mm);
    for (const w of list.warnings) out.print(w.endsWith(': ') ? w : `${w}\n`);
    let singleFound = false;
    for (const addr of list.vmas) {
      if (flag & PHYSADDR && !ref) out.print(VMA_HEADER);
      const v = this.mm.readVma(addr);
      if (flag & PRINT_SINGLE_VMA) {
        if (addr !== o.singleVma) continue;
        out.print(VMA_HEADER);
        singleFound = true;
      }
      if (flag & PRINT_VMA_STRUCTS) {
        out.print(dumpStruct(this.session, 'vm_area_struct', addr, radix));
        continue;
      }
      const { path, dentry } = this.mm.vmaFilePath(v);
      const inode = flag & PRINT_INODES && dentry ? fsOf(this.session.program).dentryInode(dentry) : 0n;
      if (ref) {
        const headerOnce = (): void => {
          if (!ref.header) {
            out.print(taskHeader(task));
            out.print(vmData(u));
            ref.header = true;
          }
        };
        if ((ref.number && (ref.hexval === addr || ref.hexval === v.flags)) || filenameComponent(path, ref.str)) {
          headerOnce();
          if (!ref.vma || ref.page) {
            out.print(VMA_HEADER);
            ref.vma = true;
            ref.page = false;
            ref.ref1 = addr;
          }
          out.print(vmaLine(v, path));
        }
        if (this.pageDump(v, mm, ref, false)) {
          headerOnce();
          if (!ref.vma || ref.ref1 !== addr) {
            out.print(VMA_HEADER);
            out.print(vmaLine(v, path));
            ref.vma = true;
            ref.ref1 = addr;
          }
          this.pageDump(v, mm, ref, true);
        }
        continue;
      }
      if (inode) {
        out.print(`${hex(addr)} ${mkstring(hex(v.start), UVADDR_PRLEN, 'right')} ${mkstring(hex(v.end), UVADDR_PRLEN, 'right')} ${hex(v.flags).padStart(6)} ${hex(inode)} ${path}\n`);
      } else {
        out.print(vmaLine(v, path));
        if (flag & (PHYSADDR | PRINT_SINGLE_VMA)) this.pageDump(v, mm, undefined, false);
      }
    }
    if (flag & PRINT_SINGLE_VMA && !singleFound) out.print('(not found)\n');
    if (ref?.header) out.print('\n');
  }
}

/** do_vm_flags(): `vm -f`. */
export function vmFlagsText(session: Session, flags: bigint): string {
  const prog = session.program;
  const names = vmFlagNames(flags, {
    growsUp: prog.symbols.address('expand_upwards') !== undefined,
    hugePage: prog.hasMember('struct mm_struct', 'pmd_huge_pte'),
  });
  return `${hex(flags)}: (${names.join('|')})\n`;
}

export const vmCommand: Command = {
  name: 'vm',
  summary: 'virtual memory',
  run({ session, args }) {
    const out = new Out();
    try {
      const g = getopt('vm', args, 'f:pmvR:P:xdM:');
      let bad = false;
      // getopt complains as it reaches a bad option: options before it have already acted.
      const complaints = [...g.errors];
      let flag = 0;
      let radix = 0;
      const o: VmOptions = { flags: 0 };
      for (const opt of g.opts) {
        switch (opt.c) {
          case 'M': {
            const v = htol(opt.arg!);
            if (!mmOf(session).layout.isKvaddr(v)) throw new CommandError(`invalid mm_struct address: ${opt.arg}`);
            o.forceMm = v;
            break;
          }
          case 'f':
            if (flag) bad = true;
            else return out.text + vmFlagsText(session, htol(opt.arg!));
            break;
          case 'p':
            if (flag) bad = true;
            else flag |= PHYSADDR;
            break;
          case 'm':
            if (flag) bad = true;
            else flag |= PRINT_MM_STRUCT;
            break;
          case 'v':
            if (flag) bad = true;
            else flag |= PRINT_VMA_STRUCTS;
            break;
          case 'R':
            if (o.ref !== undefined) {
              out.print('vm: only one -R option allowed\n');
              bad = true;
            } else if (flag && !(flag & PHYSADDR)) bad = true;
            else {
              o.ref = opt.arg!;
              flag |= PHYSADDR;
            }
            break;
          case 'P':
            if (flag) bad = true;
            else {
              flag |= PRINT_SINGLE_VMA;
              o.singleVma = htol(opt.arg!);
            }
            break;
          case 'x':
          case 'd':
            radix = radixOption(radix, opt.c);
            break;
          default:
            out.print(`${complaints.shift() ?? ''}\n`);
            bad = true;
        }
      }
      if (bad) return out.text + usage('vm', VM_SYNOPSIS);
      if (radix === 10) flag |= PRINT_RADIX_10;
      else if (radix === 16) flag |= PRINT_RADIX_16;
      o.flags = flag;
      const dumper = new VmDump(session, out);
      if (g.rest.length === 0) {
        const t = currentTask(session);
        if (o.ref === undefined) out.print(taskHeader(t));
        dumper.dump(t, o);
        return out.text;
      }
      const tasks = tasksOf(session);
      let subsequent = 0;
      for (const word of g.rest) {
        const a = tasks.parseArg(word);
        if (a.kind === 'invalid') {
          out.print(`vm: ${subsequent++ ? '\n' : ''}invalid task or pid value: ${word}\n`);
          continue;
        }
        for (const t of a.tasks) {
          if (o.ref === undefined) out.print(taskHeader(t, subsequent++ > 0));
          dumper.dump(t, o);
        }
      }
      return out.text;
    } catch (e) {
      return fail(session, 'vm', out, e);
    }
  },
};

/** One task's `vm` output without its header, for `foreach vm` (flags: PHYSADDR, PRINT_MM_STRUCT, ...). */
export function vmForTask(session: Session, task: TaskInfo, opts: VmOptions = { flags: 0 }): string {
  const out = new Out();
  try {
    new VmDump(session, out).dump(task, opts);
    return out.text;
  } catch (e) {
    return fail(session, 'vm', out, e);
  }
}

// foreach vm: -p, -m or -v (one of them), -x/-d for the structures, -R without -i/-m/-v (crash's foreach()
// FOREACH_VM checks and flags).
registerForeach('vm', {
  start(session, o) {
    const f = o.flags;
    if (f.has('x') && f.has('d')) throw new CommandError('vm: -x and -d options are mutually exclusive');
    if (['i', 'p', 'm', 'v'].filter((c) => f.has(c)).length > 1) throw new CommandError('vm command accepts only one of -p, -m or -v flags');
    if (o.reference !== undefined) {
      for (const c of ['i', 'm', 'v']) if (f.has(c)) throw new CommandError(`vm: -${c} is not applicable to the -R option`);
    }
    const radix = f.has('x') ? PRINT_RADIX_16 : f.has('d') ? PRINT_RADIX_10 : 0;
    let opts: VmOptions;
    if (f.has('i')) opts = { flags: PRINT_INODES };
    else if (f.has('p')) opts = { flags: PHYSADDR, ref: o.reference };
    else if (f.has('m')) opts = { flags: PRINT_MM_STRUCT | radix };
    else if (f.has('v')) opts = { flags: PRINT_VMA_STRUCTS | radix };
    else opts = { flags: 0, ref: o.reference };
    return { header: !o.reference, task: (t) => vmForTask(session, t, opts) };
  },
});
