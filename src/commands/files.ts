// crash's `files` (filesys.c cmd_files(), open_files_dump(), file_dump(), display_dentry_info()): a task's
// root and current directories and its open file descriptors with each file's dentry, inode, type and full
// path; `files -d` for one dentry; `-c` for each inode's page count; `-R` to show only what matches.
import { hex } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError, PageMissing, PageNotPresent } from '../errors.ts';
import { type Buf, type FdTable, FsError, fsOf } from '../kernel/fs.ts';
import { KernelReadError } from '../kernel/readmem.ts';
import { MapleReadError } from '../kernel/maple-tree.ts';
import { type TaskInfo, isDecimal, isNumber, taskHeader, tasksOf } from '../kernel/tasks.ts';
import { xarrayEntries, xarrayLayout } from '../kernel/xarray.ts';
import { type Type, findMember } from '../types/type.ts';
import type { Command } from './command.ts';
import { registerForeach } from './foreach.ts';
import { PAGE_HEADER, missingKind, mmOf, pageLine } from './vtop.ts';
import { VADDR_PRLEN, getopt, htol, mkstring, usage } from './crash-tools.ts';

export const FILES_SYNOPSIS = '[-d dentry] | [-p inode] | [-c] [-R reference] [pid | taskp] ... ';

/** open_files_dump() flags (defs.h). */
export const PRINT_INODES = 0x1;
export const PRINT_NRPAGES = 0x400;

/** Output built up as crash prints it, so an error can end it where crash would stop. */
export class Out {
  text = '';
  print(s: string): void {
    this.text += s;
  }
}

/** A failed read in crash's words: "page excluded: kernel virtual address: ...  type: "..."". */
export function crashMessage(session: Session, e: CrashlensError): string {
  if (e instanceof KernelReadError || e instanceof MapleReadError) {
    const cause = e.cause;
    const space = e instanceof KernelReadError ? e.space : 'kernel virtual';
    if (cause instanceof PageNotPresent && space === 'kernel virtual') return `invalid kernel virtual address: ${hex(e.address)}  type: "${e.what}"`;
    if (cause instanceof PageMissing) return `${missingKind(session, cause)}: ${space} address: ${hex(e.address)}  type: "${e.what}"`;
  }
  return e.message;
}

/** Ends a command as crash does on error(FATAL): what it printed, then "<cmd>: <message>". */
export function fail(session: Session, cmd: string, out: Out, e: unknown): string {
  if (!(e instanceof CrashlensError)) throw e;
  const msg = crashMessage(session, e);
  // crash's error() moves a message's leading newline before the "<cmd>: ".
  if (msg.startsWith('\n')) return `${out.text}\n${cmd}: ${msg.slice(1)}\n`;
  if (out.text === '') throw new CommandError(msg);
  return `${out.text}${cmd}: ${msg}\n`;
}

/** The task a command without a task argument uses: crash's current context, the panic task at start-up. */
export function currentTask(session: Session): TaskInfo {
  const tasks = tasksOf(session);
  const addr = tasks.panicTask();
  const t = addr !== undefined ? tasks.byTask(addr) : undefined;
  if (!t) throw new CommandError('no current context: the panic task could not be found');
  return t;
}

/** What a -R reference is matched against (crash's struct reference, as open_files_dump() sets it up). */
export interface FilesRef {
  str: string;
  hexval?: bigint;
  decval?: bigint;
  found: boolean;
}

/** crash's FILENAME_COMPONENT(): "/" matches only "/", anything else is a substring match. */
export function filenameComponent(path: string, c: string): boolean {
  return (path === '/' && c === '/') || (c !== '/' && path.includes(c));
}

function filesHeader(flags: number): string {
  if (flags & PRINT_NRPAGES)
    return ` FD ${mkstring('INODE', VADDR_PRLEN, 'center-left')} ${mkstring('I_MAPPING', Math.max(VADDR_PRLEN, 9), 'center-left')} NRPAGES TYPE PATH\n`;
  return ` FD ${mkstring('FILE', VADDR_PRLEN, 'center-left')} ${mkstring('DENTRY', VADDR_PRLEN, 'center-left')} ${mkstring('INODE', VADDR_PRLEN, 'center-left')} TYPE PATH\n`;
}

const fd3 = (fd: number): string => String(fd).padStart(3);
const rx = (v: bigint): string => mkstring(hex(v), VADDR_PRLEN, 'center-right');
const zeroFilled = (v: bigint): string => hex(v).padStart(16, '0');

/** file_dump(DUMP_FULL_NAME|DUMP_EMPTY_FILE [|DUMP_FILE_NRPAGES]): one descriptor's line. */
export function fileLine(session: Session, file: bigint, fd: number, flags: number): string {
  const fs = fsOf(session.program);
  const fileBuf = fs.readFile(file);
  const dentry = fileBuf.u64(fs.file.dentry);
  if (!dentry) return `${fd3(fd)} ${rx(file)} ${zeroFilled(0n)} ${mkstring('?', VADDR_PRLEN, 'center-left')} ?    ?\n`;
  const inode = fs.dentryInode(dentry);
  if (!inode) return `${fd3(fd)} ${rx(file)} ${rx(dentry)} ${zeroFilled(0n)} ?    ?\n`;
  const inodeBuf = fs.readInode(inode);
  const { type, pathname } = fs.inodeType(inodeBuf, fs.filePath(fileBuf, dentry));
  if (flags & PRINT_NRPAGES) {
    const m = fs.inode.mapping;
    const mapping = m === undefined ? 0n : inodeBuf.u64(m);
    const nrpages = fs.nrpages(mapping);
    return `${fd3(fd)} ${rx(inode)} ${mkstring(hex(mapping), Math.max(VADDR_PRLEN, 9), 'center-right')} ${nrpages.toString().padStart(7)} ${type} ${pathname}\n`;
  }
  return `${fd3(fd)} ${rx(file)} ${rx(dentry)} ${rx(inode)} ${type} ${pathname}\n`;
}

/** crash's parse_line(): whitespace-separated words. */
function words(line: string): string[] {
  return line.split(/\s+/).filter((w) => w !== '');
}

/** open_file_reference(): does a descriptor's line match the -R reference? */
function lineMatches(ref: FilesRef, line: string): boolean {
  const a = words(line);
  if (a.length < 5) return false;
  if (ref.hexval !== undefined || ref.decval !== undefined) {
    const fd = BigInt(a[0]);
    if ((ref.hexval !== undefined && ref.decval === undefined && fd === ref.hexval) || (ref.decval !== undefined && fd === ref.decval)) return true;
    for (let i = 1; i < 4; i++) {
      if (a[i] === '?') continue;
      // With a decimal reference crash compares against a hexval it left at 0.
      if (htol(a[i]) === (ref.hexval ?? 0n)) return true;
    }
  }
  if (ref.str === a[4]) return true;
  if (a.length === 6 && filenameComponent(a[5], ref.str)) return true;
  return false;
}

/**
 * open_files_dump(): ROOT/CWD, then each open descriptor (or "No open files"). With a reference only what
 * matches it is printed, under the task's header.
 */
export function openFilesDump(session: Session, task: TaskInfo, flags: number, out: Out, refStr?: string): void {
  const fs = fsOf(session.program);
  const ref: FilesRef | undefined = refStr === undefined ? undefined : { str: refStr, found: false };
  let rootPwdLine = '';
  let rootPwdPrinted = false;
  let headerPrinted = false;
  const header = filesHeader(flags);
  const rp = fs.taskRootPwd(task.task);
  if (rp) {
    if (flags & PRINT_INODES && rp.rootDentry && rp.pwdDentry) {
      out.print(`ROOT: ${hex(fs.dentryInode(rp.rootDentry))} ${rp.root}    CWD: ${hex(fs.dentryInode(rp.pwdDentry))} ${rp.pwd}\n`);
    } else if (ref) {
      rootPwdLine = `ROOT: ${rp.root}    CWD: ${rp.pwd} \n`;
      if (filenameComponent(rp.root, ref.str) || filenameComponent(rp.pwd, ref.str)) {
        out.print(taskHeader(task));
        out.print(rootPwdLine);
        rootPwdPrinted = true;
        ref.found = true;
      }
    } else out.print(`ROOT: ${rp.root}    CWD: ${rp.pwd}\n`);
  }
  const table: FdTable | undefined = fs.fdTable(task.task);
  if (!table) {
    if (ref) {
      if (ref.found) out.print('\n');
    } else out.print('No open files\n');
    return;
  }
  if (ref && isNumber(ref.str)) {
    if (isHexOnly(ref.str)) ref.hexval = htol(ref.str);
    else {
      const value = isDecimal(ref.str) ? BigInt(ref.str.replace(/ /g, '')) : htol(ref.str);
      if (isDecimal(ref.str) && value <= BigInt(Math.max(table.maxFdset, table.maxFds))) ref.decval = value;
      else ref.hexval = htol(ref.str);
    }
  }
  const bits = fs.openFds(table);
  const fileFlags = flags & PRINT_NRPAGES;
  const words64 = Math.ceil(bits.length / 8);
  for (let j = 0; ; j++) {
    let i = j * 64;
    if ((table.maxFdset >= 0 && i >= table.maxFdset) || i >= table.maxFds) break;
    let set = 0n;
    if (j < words64) for (let k = 7; k >= 0; k--) set = (set << 8n) | BigInt(bits[j * 8 + k] ?? 0);
    for (; set; i++, set >>= 1n) {
      if (!(set & 1n)) continue;
      const file = fs.fdFile(table, i);
      if (!file) continue;
      if (ref) {
        const line = fileLine(session, file, i, fileFlags);
        if (lineMatches(ref, line)) {
          if (!rootPwdPrinted) {
            out.print(taskHeader(task));
            out.print(rootPwdLine);
            rootPwdPrinted = true;
          }
          if (!headerPrinted) {
            out.print(header);
            headerPrinted = true;
          }
          out.print(line);
          ref.found = true;
        }
      } else {
        if (!headerPrinted) {
          out.print(header);
          headerPrinted = true;
        }
        out.print(fileLine(session, file, i, fileFlags));
      }
    }
  }
  if (!headerPrinted && !ref) out.print('No open files\n');
  if (ref?.found) out.print('\n');
}

/** crash's hexadecimal_only(): hex digits with at least one a-f (or x). */
function isHexOnly(s: string): boolean {
  const t = s.replace(/ $/, '');
  return /^[0-9a-fA-FxX]*$/.test(t) && /[a-fA-FxX]/.test(t);
}

/** display_dentry_info(): `files -d`. */
export function dentryInfo(session: Session, dentry: bigint, out: Out): void {
  const fs = fsOf(session.program);
  out.print(`${mkstring('DENTRY', VADDR_PRLEN, 'center-left')} ${mkstring('INODE', VADDR_PRLEN, 'center-left')} ${mkstring('SUPERBLK', VADDR_PRLEN, 'center-left')} TYPE PATH\n`);
  const inode = fs.dentryInode(dentry);
  let inodeBuf: Buf | undefined;
  let superblock: bigint;
  if (inode) {
    inodeBuf = fs.readInode(inode);
    superblock = inodeBuf.u64(fs.inode.sb);
  } else superblock = fs.dentrySb(dentry);
  let pathname = '';
  if (superblock) {
    if (fs.file.vfsmnt !== undefined) {
      const init = tasksOf(session).byPid(1)[0];
      if (!init) throw new FsError('cannot determine mount list location!');
      let found = false;
      for (const m of fs.mountList(init.task)) {
        const mi = fs.readMount(m);
        if (mi.sb === superblock) {
          pathname = fs.pathname(dentry, true, mi.vfsmount);
          found = true;
        }
      }
      for (const sym of ['pipe_mnt', 'sock_mnt']) {
        if (found) break;
        const at = session.program.symbols.address(sym);
        if (at === undefined) continue;
        const vfs = fs.readPtr(at, sym);
        const mi = fs.readMount(vfs - BigInt(fs.mount.mnt));
        if (mi.sb === superblock) {
          pathname = fs.pathname(dentry, true, vfs);
          found = true;
        }
      }
    } else pathname = fs.pathname(dentry, true, 0n);
  }
  let type = 'N/A';
  if (inodeBuf) ({ type, pathname } = fs.inodeType(inodeBuf, pathname));
  out.print(`${mkstring(hex(dentry), VADDR_PRLEN, 'right')} ${mkstring(hex(inode), VADDR_PRLEN, 'right')} ${mkstring(hex(superblock), VADDR_PRLEN, 'center-left')} ${type} ${pathname}\n`);
}

/** x86_64_is_page_ptr(): the page frame of a struct page address inside vmemmap, in a present section. */
function pageFrame(session: Session, page: bigint): bigint | undefined {
  const { layout, memMap } = mmOf(session);
  if (!memMap || page < layout.vmemmapStart || page > layout.vmemmapEnd) return undefined;
  const d = page - layout.vmemmapStart;
  const size = BigInt(memMap.sizeofPage);
  if (d % size) return undefined;
  const pfn = d / size;
  return memMap.sectionMemMap(memMap.pfnToSectionNr(pfn)) & 1n ? pfn : undefined;
}

/**
 * dump_inode_page_cache_info(): `files -p`: the inode's page count, then the struct page of each page in
 * its page cache (the address_space's i_pages xarray; value entries such as shadows are passed over).
 */
export function inodePages(session: Session, inode: bigint, out: Out): void {
  const fs = fsOf(session.program);
  const prog = session.program;
  const buf = fs.readmem(inode, fs.inode.size, 'inode buffer');
  const m = fs.inode.mapping;
  if (m === undefined) throw new CommandError('-p option not supported or applicable on this architecture or kernel');
  const mapping = buf.u64(m);
  const nrpages = fs.nrpages(mapping);
  out.print(`${mkstring('INODE', VADDR_PRLEN, 'center-left')}  NRPAGES\n`);
  out.print(`${mkstring(hex(inode), VADDR_PRLEN, 'center-right')}  ${nrpages.toString().padStart(7)}\n\n`);
  if (!nrpages) return;
  const as = prog.type('struct address_space');
  const pagesOff = memberOffsetOf(as, 'i_pages');
  const layout = xarrayLayout(prog);
  // Before Linux 4.20 i_pages was page_tree, a radix tree of another format.
  if (pagesOff === undefined || !layout) throw new CommandError('the page cache of kernels before Linux 4.20 (a radix tree) is not supported yet');
  let count = 0n;
  let header = false;
  for (const e of xarrayEntries(prog.memory, layout, mapping + BigInt(pagesOff))) {
    const pfn = pageFrame(session, e.value);
    if (pfn === undefined) {
      if (e.value & 3n) continue;
      throw new CommandError(`do_xarray: callback operation failed: entry: ${count}  item: ${hex(e.value)}`);
    }
    if (!header) {
      out.print(PAGE_HEADER);
      header = true;
    }
    out.print(pageLine(session, pfn << 12n));
    count++;
  }
  if (count !== nrpages) out.print(`files: xarray page count: ${count}  nrpages: ${nrpages}\n`);
}

function memberOffsetOf(t: Type, name: string): number | undefined {
  const hit = findMember(t, name);
  return hit ? hit.bitOffset / 8 : undefined;
}

export const filesCommand: Command = {
  name: 'files',
  summary: 'open files',
  run({ session, args }) {
    const out = new Out();
    try {
      const g = getopt('files', args, 'd:R:p:c');
      let ref: string | undefined;
      let flags = 0;
      let bad = false;
      // getopt complains as it reaches a bad option: options before it have already acted.
      const complaints = [...g.errors];
      for (const o of g.opts) {
        switch (o.c) {
          case 'R':
            if (ref !== undefined) {
              out.print('files: only one -R option allowed\n');
              bad = true;
            } else ref = o.arg!;
            break;
          case 'd':
            dentryInfo(session, htol(o.arg!), out);
            return out.text;
          case 'p':
            inodePages(session, htol(o.arg!), out);
            return out.text;
          case 'c':
            if (!session.program.hasMember('struct address_space', 'nrpages') || !session.program.hasMember('struct inode', 'i_mapping'))
              throw new CommandError('-c option not supported or applicable on this architecture or kernel');
            flags |= PRINT_NRPAGES;
            break;
          default:
            out.print(`${complaints.shift() ?? ''}\n`);
            bad = true;
        }
      }
      if (bad) return out.text + usage('files', FILES_SYNOPSIS);
      if (g.rest.length === 0) {
        const t = currentTask(session);
        if (ref === undefined) out.print(taskHeader(t));
        openFilesDump(session, t, flags, out, ref);
        return out.text;
      }
      const tasks = tasksOf(session);
      let subsequent = 0;
      for (const word of g.rest) {
        const a = tasks.parseArg(word);
        if (a.kind === 'pid') {
          for (const t of a.tasks) {
            if (ref === undefined) out.print(taskHeader(t, subsequent > 0));
            openFilesDump(session, t, flags, out, ref);
            out.print('\n');
          }
        } else if (a.kind === 'task') {
          if (ref === undefined) out.print(taskHeader(a.tasks[0], subsequent > 0));
          openFilesDump(session, a.tasks[0], flags, out, ref);
        } else out.print(`files: invalid task or pid value: ${word}\n`);
        subsequent++;
      }
      return out.text;
    } catch (e) {
      return fail(session, 'files', out, e);
    }
  },
};

/** One task's `files` output without its header, for `foreach files` (flags: PRINT_INODES, PRINT_NRPAGES). */
export function filesForTask(session: Session, task: TaskInfo, opts: { flags?: number; ref?: string } = {}): string {
  const out = new Out();
  try {
    openFilesDump(session, task, opts.flags ?? 0, out, opts.ref);
    return out.text;
  } catch (e) {
    return fail(session, 'files', out, e);
  }
}

// foreach files: each task's files under foreach's header (with -R, only the tasks that match, under their
// own header); -i adds the root and cwd inodes, -c the page counts (crash's foreach() FOREACH_FILES).
registerForeach('files', {
  start(session, o) {
    if (o.flags.has('p')) throw new CommandError('files command does not support -p option');
    const flags = (o.flags.has('i') ? PRINT_INODES : 0) | (o.flags.has('c') ? PRINT_NRPAGES : 0);
    return { header: !o.reference, task: (t) => filesForTask(session, t, { flags, ref: o.reference }) };
  },
});
