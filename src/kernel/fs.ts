// The VFS as crash's filesys.c reads it: a task's fs_struct (root, cwd) and open files (files_struct →
// fdtable → struct file), a dentry's path name built as crash's get_pathname() builds it (up d_parent, then
// across each mount to its mountpoint, like the kernel's d_path), an inode's type, and the mounts of a
// mount namespace. Kernel differences are found by feature (does the member or struct exist?):
//   - struct file's path: file->f_path (Linux commit 0f7fc9e4d039 "[PATCH] VFS: change struct file to use
//     struct path", v2.6.20), else file->f_dentry / f_vfsmnt;
//   - fs_struct root/pwd as struct path (Linux commit 6ac08c39a16f "Use struct path in fs_struct",
//     v2.6.25), else separate dentry and rootmnt/pwdmnt pointers;
//   - the open files table: files->fdt (Linux commit badf16621c1f "[PATCH] files: break up files struct",
//     v2.6.14), else files->fd / open_fds / max_fds;
//   - mounts: struct mount wrapping struct vfsmount (Linux commit 7d6fec45a513 "vfs: start hiding vfsmount
//     guts series", v3.3), else the vfsmount's own mnt_parent / mnt_mountpoint / mnt_devname / mnt_list;
//   - a namespace's mounts: the mnt_namespace.mounts rb-tree with nr_mounts (Linux commit 2eea9ce4310d
//     "mounts: keep list of mounts in an rbtree", v6.8), else the list from mnt_namespace.root's mnt_list
//     to mnt_namespace.list.
import { hex, kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import { MAX_LIST_ENTRIES, type Program } from '../program/program.ts';
import { readmem } from './readmem.ts';
import { type Type, findMember, memberOffset, sizeOf, strip } from '../types/type.ts';

/** crash's BUFSIZE: the longest path and string it builds. */
export const BUFSIZE = 1500;
const PAGE_SIZE = 4096n;

/** A crash error(FATAL) with its message. */
export class FsError extends CrashlensError {
  override name = 'FsError';
}

/** Bytes of a structure read at once, as crash reads a buffer with readmem(). */
export class Buf {
  private readonly v: DataView;
  constructor(
    readonly address: bigint,
    readonly bytes: Uint8Array,
  ) {
    this.v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u64(off: number): bigint {
    return off + 8 <= this.bytes.length ? this.v.getBigUint64(off, true) : 0n;
  }
  u32(off: number): number {
    return off + 4 <= this.bytes.length ? this.v.getUint32(off, true) : 0;
  }
  i32(off: number): number {
    return off + 4 <= this.bytes.length ? this.v.getInt32(off, true) : 0;
  }
  u16(off: number): number {
    return off + 2 <= this.bytes.length ? this.v.getUint16(off, true) : 0;
  }
  /** strlen()/strcpy() of a char array inside the buffer. */
  cString(off: number): string {
    let s = '';
    for (let i = off; i < this.bytes.length && this.bytes[i] !== 0; i++) s += String.fromCharCode(this.bytes[i]);
    return s;
  }
}

interface DentryLayout {
  size: number;
  nameLen: number;
  namePtr: number;
  iname: number | undefined;
  parent: number;
  inode: number;
  sb: number | undefined;
}

interface MountLayout {
  /** struct mount exists: vfsmount is its member `mnt`. */
  hasMount: boolean;
  size: number;
  /** Offset of struct vfsmount inside struct mount (0 without struct mount). */
  mnt: number;
  /** These are offsets in struct mount (or in struct vfsmount for older kernels). */
  parent: number | undefined;
  mountpoint: number | undefined;
  devname: number;
  list: number;
  /** In struct vfsmount. */
  sb: number;
}

/** crash's S_IF* tests on i_mode. */
const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFBLK = 0o060000;
const S_IFDIR = 0o040000;
const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;

function off(t: Type, path: string): number | undefined {
  return memberOffset(t, path)?.offset;
}

function must(t: Type, path: string, what: string): number {
  const o = off(t, path);
  if (o === undefined) throw new FsError(`${what} has no member ${path}`);
  return o;
}

/** The file systems reader for one Program; layouts are found on first use. */
export class Fs {
  private dentryL: DentryLayout | undefined;
  private mountL: MountLayout | undefined;
  private readonly dentries = new Map<bigint, Buf>();

  constructor(readonly prog: Program) {}

  /** readmem(FAULT_ON_ERROR): `size` bytes at `addr`, or KernelReadError with crash's type string. */
  readmem(addr: bigint, size: number, what: string): Buf {
    return new Buf(addr, readmem(this.prog, addr, size, what));
  }

  readPtr(addr: bigint, what: string): bigint {
    return this.readmem(addr, 8, what).u64(0);
  }

  /**
   * crash's read_string(): up to maxlen bytes, read page by page; a page that cannot be read ends the
   * string (what came before it is kept). Returns the string up to its NUL.
   */
  readString(addr: bigint, maxlen = BUFSIZE): string {
    let s = '';
    let a = addr;
    while (s.length < maxlen) {
      const n = Math.min(Number(PAGE_SIZE - (a % PAGE_SIZE)), maxlen - s.length);
      let b: Uint8Array;
      try {
        b = this.prog.memory.read(kv(a), n);
      } catch (e) {
        if (e instanceof CrashlensError) return s;
        throw e;
      }
      for (let i = 0; i < b.length; i++) {
        if (b[i] === 0) return s;
        s += String.fromCharCode(b[i]);
      }
      a += BigInt(n);
    }
    return s;
  }

  type(spec: string): Type {
    return this.prog.type(spec);
  }

  // ------------------------------------------------------------------------------------------------------
  // dentries and path names

  get dentry(): DentryLayout {
    if (this.dentryL) return this.dentryL;
    const d = this.type('struct dentry');
    const dName = must(d, 'd_name', 'dentry');
    const q = this.type('struct qstr');
    return (this.dentryL = {
      size: sizeOf(d) ?? 192,
      nameLen: dName + must(q, 'len', 'qstr'),
      namePtr: dName + must(q, 'name', 'qstr'),
      // d_iname was renamed d_shortname in v6.15; crash 8.0.6 knows only d_iname.
      iname: off(d, 'd_iname'),
      parent: must(d, 'd_parent', 'dentry'),
      inode: must(d, 'd_inode', 'dentry'),
      sb: off(d, 'd_sb'),
    });
  }

  /** fill_dentry_cache(): the dentry's bytes. */
  readDentry(dentry: bigint): Buf {
    let b = this.dentries.get(dentry);
    if (!b) {
      b = this.readmem(dentry, this.dentry.size, 'fill_dentry_cache');
      if (this.dentries.size > 4096) this.dentries.clear();
      this.dentries.set(dentry, b);
    }
    return b;
  }

  dentryInode(dentry: bigint): bigint {
    return this.readDentry(dentry).u64(this.dentry.inode);
  }

  dentrySb(dentry: bigint): bigint {
    const sb = this.dentry.sb;
    return sb === undefined ? 0n : this.readDentry(dentry).u64(sb);
  }

  get mount(): MountLayout {
    if (this.mountL) return this.mountL;
    const vfs = this.type('struct vfsmount');
    const mount = this.prog.tryType('struct mount');
    if (mount) {
      const mnt = must(mount, 'mnt', 'mount');
      return (this.mountL = {
        hasMount: true,
        size: sizeOf(mount) ?? 0,
        mnt,
        parent: off(mount, 'mnt_parent'),
        mountpoint: off(mount, 'mnt_mountpoint'),
        devname: must(mount, 'mnt_devname', 'mount'),
        list: must(mount, 'mnt_list', 'mount'),
        sb: must(vfs, 'mnt_sb', 'vfsmount'),
      });
    }
    return (this.mountL = {
      hasMount: false,
      size: sizeOf(vfs) ?? 0,
      mnt: 0,
      parent: off(vfs, 'mnt_parent'),
      mountpoint: off(vfs, 'mnt_mountpoint'),
      devname: must(vfs, 'mnt_devname', 'vfsmount'),
      list: off(vfs, 'mnt_list') ?? must(vfs, 'mnt_next', 'vfsmount'),
      sb: must(vfs, 'mnt_sb', 'vfsmount'),
    });
  }

  /**
   * get_pathname_component(): the dentry's name if its length is d_name.len (from d_iname when the name
   * lives there), else undefined.
   */
  private component(dentry: bigint, buf: Buf, namePtr: bigint, len: number): string | undefined {
    const L = this.dentry;
    if (L.iname !== undefined && namePtr === dentry + BigInt(L.iname)) {
      const s = buf.cString(L.iname);
      return s.length === len ? s : undefined;
    }
    const s = this.readString(namePtr, BUFSIZE);
    return s.length === len ? s : undefined;
  }

  /**
   * crash's get_pathname(): the dentry's name, each parent's name before it, and (when `full`, given the
   * vfsmount the dentry was reached through) on reaching a mount's root, on from its mountpoint in the
   * parent mount, until a mount that is its own parent. A name that cannot be read ends the walk where it
   * is, as in crash.
   */
  pathname(dentry: bigint, full: boolean, vfsmnt: bigint): string {
    const L = this.dentry;
    const M = this.mount;
    let pathname = '';
    let parent = dentry;
    let tmpVfsmnt = vfsmnt;
    let steps = 0;
    for (;;) {
      if (++steps > MAX_LIST_ENTRIES) break;
      const tmp = parent;
      const buf = this.readDentry(tmp);
      const len = buf.i32(L.nameLen);
      if (!len) break;
      const namePtr = buf.u64(L.namePtr);
      if (!namePtr) break;
      const name = this.component(tmp, buf, namePtr, len);
      if (name === undefined) break;
      if (tmp !== dentry) {
        if (pathname.length + len < BUFSIZE) {
          pathname = (len > 1 || name !== '/') && !pathname.startsWith('/') ? `${name}/${pathname}` : `${name}${pathname}`;
        }
      } else pathname = name.slice(0, BUFSIZE);
      parent = buf.u64(L.parent);
      if (tmp === parent && full && tmpVfsmnt && M.mountpoint !== undefined && M.parent !== undefined) {
        if (pathname.startsWith('//')) pathname = pathname.slice(1);
        const mnt = this.readmem(tmpVfsmnt - BigInt(M.mnt), M.size, M.hasMount ? 'mount buffer' : 'vfsmount buffer');
        parent = mnt.u64(M.mountpoint);
        const mntParent = mnt.u64(M.parent);
        if (tmpVfsmnt - BigInt(M.mnt) === mntParent) break;
        tmpVfsmnt = BigInt.asUintN(64, mntParent + BigInt(M.mnt));
        continue; // crash's "goto more_vfsmnt": the mountpoint is walked even if it is the same dentry
      }
      if (!(tmp !== parent && parent)) break;
    }
    if (pathname !== '/' && pathname.endsWith('/')) pathname = pathname.slice(0, -1);
    return pathname;
  }

  // ------------------------------------------------------------------------------------------------------
  // struct file and struct inode

  private fileL: { size: number; dentry: number; vfsmnt: number | undefined } | undefined;

  get file(): { size: number; dentry: number; vfsmnt: number | undefined } {
    if (this.fileL) return this.fileL;
    const f = this.type('struct file');
    const dentry = off(f, 'f_dentry') ?? off(f, 'f_path.dentry');
    if (dentry === undefined) throw new FsError('file has no member f_path.dentry');
    return (this.fileL = { size: sizeOf(f) ?? 0, dentry, vfsmnt: off(f, 'f_vfsmnt') ?? off(f, 'f_path.mnt') });
  }

  /** fill_file_cache(). */
  readFile(file: bigint): Buf {
    return this.readmem(file, this.file.size, 'fill_file_cache');
  }

  private inodeL: { size: number; mode: number; modeSize: number; op: number | undefined; fop: number | undefined; sb: number; mapping: number | undefined } | undefined;

  get inode(): { size: number; mode: number; modeSize: number; op: number | undefined; fop: number | undefined; sb: number; mapping: number | undefined } {
    if (this.inodeL) return this.inodeL;
    const i = this.type('struct inode');
    const mode = memberOffset(i, 'i_mode');
    if (!mode) throw new FsError('inode has no member i_mode');
    return (this.inodeL = {
      size: sizeOf(i) ?? 0,
      mode: mode.offset,
      modeSize: sizeOf(mode.type) ?? 2,
      op: off(i, 'i_op'),
      fop: off(i, 'i_fop'),
      sb: must(i, 'i_sb', 'inode'),
      mapping: off(i, 'i_mapping'),
    });
  }

  /** fill_inode_cache(). */
  readInode(inode: bigint): Buf {
    return this.readmem(inode, this.inode.size, 'fill_inode_cache');
  }

  /**
   * crash's inode_type(): "REG ", "DIR ", "CHR ", "BLK ", "LNK ", "FIFO", "PIPE", "SOCK" or "UNKN", with the
   * path it changes: a pipe's is emptied, and a socket's "/" too.
   */
  inodeType(inode: Buf, pathname: string): { type: string; pathname: string } {
    const L = this.inode;
    const mode = L.modeSize === 4 ? inode.u32(L.mode) : L.modeSize === 2 ? inode.u16(L.mode) : 0;
    const fmt = mode & S_IFMT;
    let type = 'UNKN';
    let path = pathname;
    if (fmt === S_IFREG) type = 'REG ';
    if (fmt === S_IFLNK) type = 'LNK ';
    if (fmt === S_IFDIR) type = 'DIR ';
    if (fmt === S_IFCHR) type = 'CHR ';
    if (fmt === S_IFBLK) type = 'BLK ';
    if (fmt === S_IFIFO) {
      type = 'FIFO';
      const pipeIops = this.prog.symbols.address('pipe_inode_operations');
      if (pipeIops !== undefined) {
        if (L.op !== undefined && inode.u64(L.op) === pipeIops) {
          type = 'PIPE';
          path = '';
        }
      } else {
        const rdwr = this.prog.symbols.address('rdwr_pipe_fops');
        if (rdwr !== undefined && L.fop !== undefined && L.fop > 0 && inode.u64(L.fop) === rdwr) {
          type = 'PIPE';
          path = '';
        }
      }
    }
    if (fmt === S_IFSOCK) {
      type = 'SOCK';
      if (path === '/') path = '';
    }
    return { type, pathname: path };
  }

  /** vfsmount_devname(): the mount's device name ("" when it cannot be read). */
  vfsmountDevname(vfsmnt: bigint): string {
    const M = this.mount;
    let devp: bigint;
    try {
      devp = this.prog.memory.readU64(kv(vfsmnt - BigInt(M.mnt) + BigInt(M.devname)));
    } catch (e) {
      if (e instanceof CrashlensError) return '';
      throw e;
    }
    return this.readString(devp, BUFSIZE - 1);
  }

  /**
   * get_root_vfsmount(): the file's vfsmount, except that a devtmpfs (or udev) mount stacked on another of
   * the same name is named through its parent. crash returns the parent's struct mount address itself
   * there, which get_pathname() then takes for a vfsmount; kept as crash does it.
   */
  rootVfsmount(fileBuf: Buf): bigint {
    const vfsmnt = this.file.vfsmnt === undefined ? 0n : fileBuf.u64(this.file.vfsmnt);
    const dev = this.vfsmountDevname(vfsmnt);
    if (!dev) return vfsmnt;
    if (dev === 'udev' || dev === 'devtmpfs') {
      const M = this.mount;
      if (M.parent === undefined) return vfsmnt;
      let parent: bigint;
      try {
        parent = this.prog.memory.readU64(kv(vfsmnt - BigInt(M.mnt) + BigInt(M.parent)));
      } catch (e) {
        if (e instanceof CrashlensError) return vfsmnt;
        throw e;
      }
      const pdev = this.vfsmountDevname(parent);
      if (!pdev) return vfsmnt;
      if (dev === pdev) return parent;
    }
    return vfsmnt;
  }

  /** The full path of an open file, as file_dump(DUMP_FULL_NAME) shows it. */
  filePath(fileBuf: Buf, dentry: bigint): string {
    if (this.file.vfsmnt === undefined) return this.pathname(dentry, true, 0n);
    const vfsmnt = this.rootVfsmount(fileBuf);
    let path = this.pathname(dentry, true, vfsmnt);
    if (path.startsWith('/pts/') && this.vfsmountDevname(vfsmnt) === 'devpts') path = `/dev${path}`;
    return path;
  }

  /** The path of a VMA's file or a struct file reached directly (vm): its f_path, no devtmpfs rule. */
  filePathPlain(fileBuf: Buf, dentry: bigint): string {
    const v = this.file.vfsmnt;
    return this.pathname(dentry, true, v === undefined ? 0n : fileBuf.u64(v));
  }

  // ------------------------------------------------------------------------------------------------------
  // A task's fs_struct and open files

  /** The task's root and current directories (crash's "ROOT: ... CWD: ..."), or undefined without an fs. */
  taskRootPwd(task: bigint): { root: string; pwd: string; rootDentry: bigint; pwdDentry: bigint } | undefined {
    const t = this.type('struct task_struct');
    const fsAddr = this.readPtr(task + BigInt(must(t, 'fs', 'task_struct')), 'fill_task_struct');
    if (!fsAddr) return undefined;
    const fsT = this.type('struct fs_struct');
    const fs = this.readmem(fsAddr, sizeOf(fsT) ?? 0, 'fs_struct buffer');
    const rootM = findMember(fsT, 'root');
    const usePath = rootM !== undefined && strip(rootM.member.type).kind === 'struct';
    const path = usePath ? this.type('struct path') : undefined;
    const get = (which: 'root' | 'pwd'): { dentry: bigint; name: string } => {
      const base = must(fsT, which, 'fs_struct');
      const dentry = fs.u64(base + (path ? must(path, 'dentry', 'path') : 0));
      if (!dentry) return { dentry, name: '' };
      const mntMember = which === 'root' ? 'rootmnt' : 'pwdmnt';
      const old = off(fsT, mntMember);
      let mnt = 0n;
      if (old !== undefined) mnt = fs.u64(old);
      else if (path) mnt = fs.u64(base + must(path, 'mnt', 'path'));
      return { dentry, name: this.pathname(dentry, true, mnt) };
    };
    const root = get('root');
    const pwd = get('pwd');
    return { root: root.name, pwd: pwd.name, rootDentry: root.dentry, pwdDentry: pwd.dentry };
  }

  /**
   * The task's file descriptor table as open_files_dump() reads it: undefined where crash says "No open
   * files" before looking at any descriptor (no files_struct, no fdtable, or a zero size).
   */
  fdTable(task: bigint): FdTable | undefined {
    const t = this.type('struct task_struct');
    const filesAddr = this.readPtr(task + BigInt(must(t, 'files', 'task_struct')), 'fill_task_struct');
    const fsT = this.type('struct files_struct');
    const files = filesAddr ? this.readmem(filesAddr, sizeOf(fsT) ?? 0, 'files_struct buffer') : undefined;
    let maxFdset = 0;
    let maxFds = 0;
    const oldMaxFdset = off(fsT, 'max_fdset');
    if (files && oldMaxFdset !== undefined) {
      maxFdset = files.i32(oldMaxFdset);
      maxFds = files.i32(must(fsT, 'max_fds', 'files_struct'));
    }
    const fdtOff = off(fsT, 'fdt');
    let fdt: Buf | undefined;
    const fdtT = this.prog.tryType('struct fdtable');
    if (fdtOff !== undefined && fdtT) {
      const fdtAddr = files ? files.u64(fdtOff) : 0n;
      if (!fdtAddr) return undefined;
      fdt = this.readmem(fdtAddr, sizeOf(fdtT) ?? 0, 'fdtable buffer');
      const mfs = off(fdtT, 'max_fdset');
      maxFdset = mfs !== undefined ? fdt.i32(mfs) : -1;
      maxFds = fdt.i32(must(fdtT, 'max_fds', 'fdtable'));
    }
    if (!files || maxFdset === 0 || maxFds === 0) return undefined;
    const openFdsAddr = fdt && fdtT && off(fdtT, 'open_fds') !== undefined ? fdt.u64(off(fdtT, 'open_fds')!) : files.u64(must(fsT, 'open_fds', 'files_struct'));
    const fdArray = fdt && fdtT && off(fdtT, 'fd') !== undefined ? fdt.u64(off(fdtT, 'fd')!) : files.u64(must(fsT, 'fd', 'files_struct'));
    return { filesAddr, maxFdset, maxFds, openFdsAddr, fdArray };
  }

  /** The open descriptors' bits (open_fds, MAX(max_fdset, max_fds) / 8 bytes). */
  openFds(t: FdTable): Uint8Array {
    const size = Math.floor(Math.max(t.maxFdset, t.maxFds) / 8);
    return this.readmem(t.openFdsAddr, size, 'fdtable open_fds').bytes;
  }

  /** The struct file * in descriptor slot fd. */
  fdFile(t: FdTable, fd: number): bigint {
    return this.readPtr(t.fdArray + BigInt(fd) * 8n, 'fd file');
  }

  /** address_space.nrpages of an inode's i_mapping. */
  nrpages(mapping: bigint): bigint {
    const a = this.type('struct address_space');
    const b = this.readmem(mapping, sizeOf(a) ?? 0, 'address_space buffer');
    return b.u64(must(a, 'nrpages', 'address_space'));
  }

  // ------------------------------------------------------------------------------------------------------
  // Mounts

  /**
   * get_mount_list(): the mounts of the namespace of `task` (crash uses pid 1's, or the first pid after),
   * as struct mount addresses (struct vfsmount on kernels without struct mount), in list order.
   */
  mountList(task: bigint): bigint[] {
    const prog = this.prog;
    const M = this.mount;
    const vfsmntlist = prog.symbols.address('vfsmntlist');
    let start: bigint;
    let end: bigint;
    if (vfsmntlist !== undefined) {
      start = this.readPtr(vfsmntlist, 'vfsmntlist');
      end = vfsmntlist;
    } else {
      const t = this.type('struct task_struct');
      const nsOff = off(t, 'nsproxy');
      if (nsOff === undefined) throw new FsError('cannot determine mount list location!');
      const nsproxy = this.readPtr(task + BigInt(nsOff), 'task nsproxy');
      let mntNs: bigint;
      try {
        mntNs = prog.memory.readU64(kv(nsproxy + BigInt(must(this.type('struct nsproxy'), 'mnt_ns', 'nsproxy'))));
      } catch (e) {
        if (e instanceof CrashlensError) throw new FsError('cannot determine mount list location!');
        throw e;
      }
      const ns = this.type('struct mnt_namespace');
      const nr = off(ns, 'nr_mounts');
      if (nr !== undefined) {
        // v6.8+: the mounts are an rb-tree keyed by mount id.
        const count = this.readmem(mntNs + BigInt(nr), 4, 'mnt_namespace.nr_mounts').u32(0);
        if (!count) return [];
        const node = must(this.type('struct mount'), 'mnt_node', 'mount');
        const out: bigint[] = [];
        for (const n of prog.rbNodes(mntNs + BigInt(must(ns, 'mounts', 'mnt_namespace')))) {
          if (out.length >= count) break;
          out.push(n - BigInt(node));
        }
        return out;
      }
      let root: bigint;
      try {
        root = prog.memory.readU64(kv(mntNs + BigInt(must(ns, 'root', 'mnt_namespace'))));
      } catch (e) {
        if (e instanceof CrashlensError) throw new FsError('cannot determine mount list location!');
        throw e;
      }
      start = root + BigInt(M.list);
      end = mntNs + BigInt(must(ns, 'list', 'mnt_namespace'));
    }
    return this.doList(start, end, M.list);
  }

  /** crash's do_list() as get_mount_list() calls it: from `start` (included) to `end`, by the first word. */
  private doList(start: bigint, end: bigint, headOffset: number): bigint[] {
    const out: bigint[] = [];
    const seen = new Set<bigint>();
    const first = this.readPtr(start, 'first list entry');
    let next = start;
    for (;;) {
      const entry = BigInt.asUintN(64, next - BigInt(headOffset));
      if (next && seen.has(entry)) throw new FsError(`\nduplicate list entry: ${hex(next)}`);
      seen.add(entry);
      out.push(entry);
      if (out.length > MAX_LIST_ENTRIES) break;
      const last = next;
      next = this.readPtr(next, 'list entry');
      if (next === 0n || next === end || next === start || next === last) break;
      if (next === first && out.length !== 1) break;
    }
    return out;
  }

  /** A mount as show_mounts() reads it. */
  readMount(mount: bigint): MountInfo {
    const M = this.mount;
    const b = this.readmem(mount, M.size, M.hasMount ? 'mount buffer' : 'vfsmount buffer');
    return {
      address: mount,
      vfsmount: mount + BigInt(M.mnt),
      devname: b.u64(M.devname),
      parent: M.parent !== undefined ? b.u64(M.parent) : 0n,
      mountpoint: M.mountpoint !== undefined ? b.u64(M.mountpoint) : 0n,
      sb: b.u64(M.mnt + M.sb),
    };
  }

  /** The name of a super_block's file system type ("rootfs", "proc"...), or undefined if unreadable. */
  fsTypeName(sb: bigint): string | undefined {
    const sbT = this.type('struct super_block');
    const b = this.readmem(sb, sizeOf(sbT) ?? 0, 'super_block buffer');
    const type = b.u64(must(sbT, 's_type', 'super_block'));
    const name = this.readPtr(type + BigInt(must(this.type('struct file_system_type'), 'name', 'file_system_type')), 'file_system_type name');
    const s = this.readString(name, BUFSIZE / 2 - 1);
    return s ? s : undefined;
  }

  /** The mount's directory as show_mounts() names it: its mountpoint's path through the parent mount. */
  mountDirname(m: MountInfo): string {
    return this.pathname(m.mountpoint, true, m.parent + BigInt(this.mount.mnt));
  }
}

export interface FdTable {
  filesAddr: bigint;
  /** -1 when the kernel has no max_fdset (as crash sets it). */
  maxFdset: number;
  maxFds: number;
  openFdsAddr: bigint;
  fdArray: bigint;
}

export interface MountInfo {
  /** struct mount (or struct vfsmount) address. */
  address: bigint;
  /** Its struct vfsmount. */
  vfsmount: bigint;
  /** char * mnt_devname. */
  devname: bigint;
  /** struct mount * mnt_parent. */
  parent: bigint;
  mountpoint: bigint;
  sb: bigint;
}

const perProgram = new WeakMap<Program, Fs>();

/** The file systems reader of a program, built once. */
export function fsOf(prog: Program): Fs {
  let f = perProgram.get(prog);
  if (!f) {
    f = new Fs(prog);
    perProgram.set(prog, f);
  }
  return f;
}
