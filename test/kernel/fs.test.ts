// The VFS reader on structures built here (a small kernel laid out like Linux 6.1: struct mount around
// struct vfsmount, file->f_path, fs_struct paths, files->fdt): crash's get_pathname() across mounts, names
// inline and external, inode types, the devtmpfs rule for open files, the mount list, the fd table.
import { describe, expect, it } from 'vitest';
import { kv } from '../../src/addr.ts';
import { Fs, FsError } from '../../src/kernel/fs.ts';
import { Program } from '../../src/program/program.ts';
import type { CompositeType, Member, Type, TypeSource } from '../../src/types/type.ts';
import { FakeMemory } from '../symbols/fake-memory.ts';

const int = (name: string, size: number): Type => ({ kind: 'int', name, size, signed: false, isChar: name === 'char', bits: size * 8, bitOffset: 0 });
const u16 = int('unsigned short', 2);
const u32 = int('unsigned int', 4);
const ulong = int('unsigned long', 8);
const char = int('char', 1);
const ptr = (target: Type = { kind: 'void' }): Type => ({ kind: 'pointer', size: 8, target, tags: [] });
function struct(name: string, size: number, members: [string, number, Type][]): CompositeType {
  return { kind: 'struct', name, size, complete: true, tags: [], members: members.map(([n, off, type]) => ({ name: n, type, bitOffset: off * 8, bitSize: 0, tags: [] })) };
}

const qstr = struct('qstr', 16, [['hash', 0, u32], ['len', 4, u32], ['name', 8, ptr(char)]]);
const path = struct('path', 16, [['mnt', 0, ptr()], ['dentry', 8, ptr()]]);
const vfsmount = struct('vfsmount', 32, [['mnt_root', 0, ptr()], ['mnt_sb', 8, ptr()]]);
/** Linux 6.1's types, reduced to what the reader uses (offsets are this test's own). */
const TYPES: Record<string, Type> = {
  'struct qstr': qstr,
  'struct path': path,
  'struct vfsmount': vfsmount,
  'struct dentry': struct('dentry', 192, [['d_parent', 24, ptr()], ['d_name', 32, qstr], ['d_inode', 48, ptr()], ['d_iname', 56, { kind: 'array', element: char, length: 32 }], ['d_sb', 104, ptr()]]),
  'struct mount': struct('mount', 256, [['mnt_parent', 16, ptr()], ['mnt_mountpoint', 24, ptr()], ['mnt', 32, vfsmount], ['mnt_devname', 80, ptr(char)], ['mnt_list', 96, struct('list_head', 16, [])]]),
  'struct inode': struct('inode', 600, [['i_mode', 0, u16], ['i_op', 8, ptr()], ['i_sb', 16, ptr()], ['i_fop', 24, ptr()], ['i_mapping', 32, ptr()]]),
  'struct file': struct('file', 256, [['f_path', 16, path]]),
  'struct fs_struct': struct('fs_struct', 56, [['root', 8, path], ['pwd', 24, path]]),
  'struct files_struct': struct('files_struct', 704, [['fdt', 32, ptr()]]),
  'struct fdtable': struct('fdtable', 56, [['max_fds', 0, u32], ['fd', 8, ptr()], ['open_fds', 16, ptr(ulong)]]),
  'struct task_struct': struct('task_struct', 64, [['fs', 0, ptr()], ['files', 8, ptr()], ['nsproxy', 16, ptr()]]),
  'struct nsproxy': struct('nsproxy', 64, [['mnt_ns', 8, ptr()]]),
  'struct mnt_namespace': struct('mnt_namespace', 128, [['root', 8, ptr()], ['list', 16, struct('list_head', 16, [])]]),
  'struct super_block': struct('super_block', 1024, [['s_type', 8, ptr()]]),
  'struct file_system_type': struct('file_system_type', 64, [['name', 0, ptr(char)]]),
  'struct address_space': struct('address_space', 200, [['nrpages', 8, ulong]]),
};

/** A small kernel in fake memory: objects placed at given addresses, strings anywhere. */
class Kernel {
  readonly mem = new FakeMemory();
  readonly symbols = new Map<string, bigint>();
  private strings = 0xffff888000f00000n;

  constructor(readonly types: Record<string, Type> = TYPES) {}

  program(): Program {
    const types: TypeSource = { findType: (s) => this.types[s] };
    return new Program(this.mem, types, { address: (n) => this.symbols.get(n) });
  }

  /** Maps a structure of `spec`'s size at `addr` with the given members (pointers and integers). */
  put(spec: string, addr: bigint, fields: Record<string, bigint | number>, size?: number): bigint {
    const t = this.types[spec] as CompositeType;
    const b = new Uint8Array(size ?? t.size!);
    const v = new DataView(b.buffer);
    for (const [path, value] of Object.entries(fields)) {
      let off = 0;
      let cur: Type = t;
      for (const part of path.split('.')) {
        const m: Member = (cur as CompositeType).members.find((x) => x.name === part)!;
        off += m.bitOffset / 8;
        cur = m.type;
      }
      const sz = cur.kind === 'int' ? cur.size : 8;
      const x = BigInt(value);
      if (sz === 2) v.setUint16(off, Number(x), true);
      else if (sz === 4) v.setUint32(off, Number(x), true);
      else v.setBigUint64(off, BigInt.asUintN(64, x), true);
    }
    this.mem.map(addr, b);
    return addr;
  }

  /** A string alone on its page (crash reads strings a page at a time). */
  string(s: string): bigint {
    const at = this.strings;
    this.strings += 0x1000n;
    const page = new Uint8Array(0x1000);
    page.set(new TextEncoder().encode(s));
    this.mem.map(at, page);
    return at;
  }

  /** A dentry named `name` (inline in d_iname when short, as the kernel does), its parent and inode. */
  dentry(addr: bigint, name: string, parent: bigint | 'self', inode = 0n, opts: { external?: boolean; len?: number } = {}): bigint {
    const inline = !opts.external && name.length < 32;
    const b = new Uint8Array(192);
    const v = new DataView(b.buffer);
    v.setBigUint64(24, parent === 'self' ? addr : parent, true);
    v.setUint32(32 + 4, opts.len ?? name.length, true);
    v.setBigUint64(32 + 8, inline ? addr + 56n : this.string(name), true);
    v.setBigUint64(48, inode, true);
    if (inline) b.set(new TextEncoder().encode(name), 56);
    this.mem.map(addr, b);
    return addr;
  }

  /** A struct mount; returns its address (its vfsmount is at +32). */
  mount(addr: bigint, parent: bigint | 'self', mountpoint: bigint, sb: bigint, devname: string, next = 0n): bigint {
    return this.put('struct mount', addr, {
      mnt_parent: parent === 'self' ? addr : parent,
      mnt_mountpoint: mountpoint,
      'mnt.mnt_sb': sb,
      'mnt.mnt_root': 0,
      mnt_devname: this.string(devname),
      mnt_list: next,
    });
  }
}

const A = (n: number): bigint => 0xffff888001000000n + BigInt(n) * 0x1000n;

/** rootfs at /, devtmpfs on /dev; dentries: / (rootfs), dev, / (devtmpfs), console, pts/0 under devpts. */
function world(): { k: Kernel; fs: Fs; rootMnt: bigint; devMnt: bigint; console: bigint; devRoot: bigint; dev: bigint; root: bigint } {
  const k = new Kernel();
  const root = k.dentry(A(1), '/', 'self');
  const dev = k.dentry(A(2), 'dev', root);
  const devRoot = k.dentry(A(3), '/', 'self');
  const console = k.dentry(A(4), 'console', devRoot);
  const rootMnt = k.mount(A(10), 'self', root, A(20), 'rootfs');
  const devMnt = k.mount(A(11), rootMnt, dev, A(21), 'devtmpfs');
  return { k, fs: new Fs(k.program()), rootMnt, devMnt, console, devRoot, dev, root };
}

describe('pathname (crash get_pathname)', () => {
  it('crosses a mount to its mountpoint: /dev/console', () => {
    const { fs, devMnt, console } = world();
    expect(fs.pathname(console, true, devMnt + 32n)).toBe('/dev/console');
  });

  it('without a vfsmount (or not full) stops at the file system root', () => {
    const { fs, console } = world();
    expect(fs.pathname(console, true, 0n)).toBe('/console');
    expect(fs.pathname(console, false, 0n)).toBe('/console');
  });

  it("a mount's root is named by its mountpoint, without a trailing slash", () => {
    const { fs, devMnt, devRoot, rootMnt, root } = world();
    expect(fs.pathname(devRoot, true, devMnt + 32n)).toBe('/dev');
    expect(fs.pathname(root, true, rootMnt + 32n)).toBe('/');
  });

  it('reads names that live outside the dentry (long names), and nested directories', () => {
    const { k, fs, rootMnt, root } = world();
    const long = 'a-file-name-longer-than-the-inline-32-bytes.txt';
    const dir = k.dentry(A(5), 'var', root);
    const log = k.dentry(A(6), 'log', dir, 0n, { external: true });
    const f = k.dentry(A(7), long, log);
    expect(fs.pathname(f, true, rootMnt + 32n)).toBe(`/var/log/${long}`);
  });

  it('stops where a name does not have d_name.len characters, or has none', () => {
    const { k, fs, rootMnt, root } = world();
    const bad = k.dentry(A(5), 'tmp', root, 0n, { len: 5 });
    const f = k.dentry(A(6), 'x', bad);
    // crash keeps what it had: the name of the dentry itself.
    expect(fs.pathname(f, true, rootMnt + 32n)).toBe('x');
    const pipe = k.dentry(A(8), '', 'self');
    expect(fs.pathname(pipe, true, 0n)).toBe('');
  });

  it('a socket-like dentry (its own parent, on an internal mount that is its own parent) is its name', () => {
    const { k, fs } = world();
    const sock = k.dentry(A(30), 'TCP', 'self');
    const sockRoot = k.dentry(A(31), 'socket:', 'self');
    const sockMnt = k.mount(A(32), 'self', sockRoot, A(33), 'sockfs');
    expect(fs.pathname(sock, true, sockMnt + 32n)).toBe('TCP');
  });

  it('a dentry that cannot be read is crash\'s fill_dentry_cache read error', () => {
    const { fs } = world();
    expect(() => fs.pathname(0xffff888009990000n, true, 0n)).toThrow('read error: kernel virtual address: ffff888009990000  type: "fill_dentry_cache"');
  });
});

describe('inodeType (crash inode_type)', () => {
  const { k, fs } = world();
  const type = (mode: number, path = '/x', op = 0n): { type: string; pathname: string } => {
    const at = k.put('struct inode', A(50), { i_mode: mode, i_op: op });
    return fs.inodeType(fs.readInode(at), path);
  };
  it('names each file type in crash\'s four columns', () => {
    expect(type(0o100644).type).toBe('REG ');
    expect(type(0o040755).type).toBe('DIR ');
    expect(type(0o020620).type).toBe('CHR ');
    expect(type(0o060660).type).toBe('BLK ');
    expect(type(0o120777).type).toBe('LNK ');
    expect(type(0o010600)).toEqual({ type: 'FIFO', pathname: '/x' });
    expect(type(0o000000).type).toBe('UNKN');
  });
  it('a socket at "/" has no path; a pipe (pipe_inode_operations) has none either', () => {
    expect(type(0o140777, '/')).toEqual({ type: 'SOCK', pathname: '' });
    expect(type(0o140777, 'UNIX')).toEqual({ type: 'SOCK', pathname: 'UNIX' });
    k.symbols.set('pipe_inode_operations', 0xffffffff82000000n);
    const f = new Fs(k.program());
    const at = k.put('struct inode', A(51), { i_mode: 0o010600, i_op: 0xffffffff82000000n });
    expect(f.inodeType(f.readInode(at), '/x')).toEqual({ type: 'PIPE', pathname: '' });
  });
});

describe('open files', () => {
  it('rootVfsmount: crash get_root_vfsmount() on a devtmpfs mount stacked on another', () => {
    const { k, fs, devMnt, console } = world();
    const top = k.mount(A(12), devMnt, k.dentry(A(13), '/', 'self'), A(21), 'devtmpfs');
    const file = k.put('struct file', A(40), { 'f_path.mnt': top + 32n, 'f_path.dentry': console });
    // crash reads the parent's device name as if mnt_parent (a struct mount) were a vfsmount, 32 bytes
    // off: there it finds no name, so the file's own vfsmount is used.
    expect(fs.rootVfsmount(fs.readFile(file))).toBe(top + 32n);
    // Where that misplaced read does find "devtmpfs", crash names the file through the parent mount.
    const b = new Uint8Array(256);
    new DataView(b.buffer).setBigUint64(80 - 32, k.string('devtmpfs'), true);
    k.mem.map(A(16), b);
    const stacked = k.mount(A(17), A(16), A(3), A(21), 'devtmpfs');
    const f2 = k.put('struct file', A(42), { 'f_path.mnt': stacked + 32n, 'f_path.dentry': console });
    expect(fs.rootVfsmount(fs.readFile(f2))).toBe(A(16));
    const plain = k.put('struct file', A(41), { 'f_path.mnt': devMnt + 32n, 'f_path.dentry': console });
    expect(fs.filePath(fs.readFile(plain), console)).toBe('/dev/console');
  });

  it('filePath: a devpts path that comes out as /pts/N gets /dev in front', () => {
    const { k, fs } = world();
    // devpts mounted on "pts" of a devtmpfs mount that is its own parent (the kernel's internal one).
    const devRoot = k.dentry(A(65), '/', 'self');
    const internal = k.mount(A(66), 'self', devRoot, A(21), 'devtmpfs');
    const ptsDir = k.dentry(A(67), 'pts', devRoot);
    const ptsRoot = k.dentry(A(60), '/', 'self');
    const zero = k.dentry(A(61), '0', ptsRoot);
    const pts = k.mount(A(62), internal, ptsDir, A(63), 'devpts');
    expect(fs.pathname(zero, true, pts + 32n)).toBe('/pts/0');
    const file = k.put('struct file', A(64), { 'f_path.mnt': pts + 32n, 'f_path.dentry': zero });
    expect(fs.filePath(fs.readFile(file), zero)).toBe('/dev/pts/0');
  });

  it('taskRootPwd and the fd table: open descriptors from the open_fds bitmap', () => {
    const { k, fs, rootMnt, root } = world();
    const fsStruct = k.put('struct fs_struct', A(70), { 'root.mnt': rootMnt + 32n, 'root.dentry': root, 'pwd.mnt': rootMnt + 32n, 'pwd.dentry': root });
    const fdArray = A(71);
    k.mem.map(fdArray, new Uint8Array(64 * 8));
    const bits = A(72);
    const b = new Uint8Array(8);
    b[0] = 0b1011; // fds 0, 1, 3
    k.mem.map(bits, b);
    const fdt = k.put('struct fdtable', A(73), { max_fds: 64, fd: fdArray, open_fds: bits });
    const files = k.put('struct files_struct', A(74), { fdt });
    const task = k.put('struct task_struct', A(75), { fs: fsStruct, files });
    expect(fs.taskRootPwd(task)).toEqual({ root: '/', pwd: '/', rootDentry: root, pwdDentry: root });
    const table = fs.fdTable(task)!;
    expect(table.maxFds).toBe(64);
    expect(table.maxFdset).toBe(-1);
    expect(fs.openFds(table)[0]).toBe(0b1011);
    // No files_struct, or an empty table: "No open files".
    expect(fs.fdTable(k.put('struct task_struct', A(76), { fs: fsStruct, files: 0 }))).toBeUndefined();
    const empty = k.put('struct files_struct', A(77), { fdt: k.put('struct fdtable', A(78), { max_fds: 0 }) });
    expect(fs.fdTable(k.put('struct task_struct', A(79), { files: empty }))).toBeUndefined();
    // A task without an fs_struct prints no ROOT/CWD line.
    expect(fs.taskRootPwd(k.put('struct task_struct', A(80), { fs: 0 }))).toBeUndefined();
  });
});

describe('mounts', () => {
  it('mountList: the namespace root, then mnt_list to mnt_namespace.list, in order', () => {
    const { k, fs } = world();
    const ns = A(90);
    const m1 = A(91);
    const m2 = A(92);
    const m3 = A(93);
    k.put('struct mount', m1, { mnt_list: m2 + 96n, 'mnt.mnt_sb': A(20) });
    k.put('struct mount', m2, { mnt_list: m3 + 96n, 'mnt.mnt_sb': A(21) });
    k.put('struct mount', m3, { mnt_list: ns + 16n, 'mnt.mnt_sb': A(22) });
    k.put('struct mnt_namespace', ns, { root: m1, list: m1 + 96n });
    const nsproxy = k.put('struct nsproxy', A(94), { mnt_ns: ns });
    const task = k.put('struct task_struct', A(95), { nsproxy });
    expect(fs.mountList(task)).toEqual([m1, m2, m3]);
    // A list that comes back to its first entry ends there; one that comes back elsewhere is crash's
    // duplicate list entry.
    k.put('struct mount', m3, { mnt_list: m2 + 96n });
    expect(new Fs(k.program()).mountList(task)).toEqual([m1, m2, m3]);
    const m4 = A(96);
    k.put('struct mount', m3, { mnt_list: m4 + 96n });
    k.put('struct mount', m4, { mnt_list: m3 + 96n });
    expect(() => new Fs(k.program()).mountList(task)).toThrow(FsError);
    expect(() => new Fs(k.program()).mountList(task)).toThrow(`duplicate list entry: ${(m3 + 96n).toString(16)}`);
  });

  it('readMount, fsTypeName and mountDirname give a show_mounts line\'s columns', () => {
    const { k, fs, devMnt } = world();
    k.put('struct super_block', A(21), { s_type: k.put('struct file_system_type', A(25), { name: k.string('devtmpfs') }) });
    const mi = fs.readMount(devMnt);
    expect(mi.vfsmount).toBe(devMnt + 32n);
    expect(fs.fsTypeName(mi.sb)).toBe('devtmpfs');
    expect(fs.readString(mi.devname)).toBe('devtmpfs');
    expect(fs.mountDirname(mi)).toBe('/dev');
  });
});

describe('readString (crash read_string)', () => {
  it('keeps what was read before a page that cannot be', () => {
    const k = new Kernel();
    const end = 0xffff888002000000n;
    k.mem.map(end - 3n, new TextEncoder().encode('abc'));
    expect(new Fs(k.program()).readString(end - 3n)).toBe('abc');
    expect(new Fs(k.program()).readString(kv(0xffff888003000000n))).toBe('');
  });
});

describe('older and newer kernels, told apart by their types', () => {
  it('before struct mount (v3.3): the vfsmount has the parent, mountpoint, device name and list', () => {
    const vfs = struct('vfsmount', 128, [['mnt_parent', 16, ptr()], ['mnt_mountpoint', 24, ptr()], ['mnt_root', 32, ptr()], ['mnt_sb', 40, ptr()], ['mnt_devname', 80, ptr(char)], ['mnt_list', 96, struct('list_head', 16, [])]]);
    const types: Record<string, Type> = { ...TYPES, 'struct vfsmount': vfs };
    delete types['struct mount'];
    const k = new Kernel(types);
    const root = k.dentry(A(1), '/', 'self');
    const dev = k.dentry(A(2), 'dev', root);
    const devRoot = k.dentry(A(3), '/', 'self');
    const console = k.dentry(A(4), 'console', devRoot);
    const rootMnt = k.put('struct vfsmount', A(10), { mnt_parent: A(10), mnt_mountpoint: root, mnt_sb: A(20), mnt_devname: k.string('rootfs') });
    const devMnt = k.put('struct vfsmount', A(11), { mnt_parent: rootMnt, mnt_mountpoint: dev, mnt_sb: A(21), mnt_devname: k.string('udev') });
    const fs = new Fs(k.program());
    expect(fs.mount.hasMount).toBe(false);
    expect(fs.pathname(console, true, devMnt)).toBe('/dev/console');
    expect(fs.vfsmountDevname(devMnt)).toBe('udev');
    expect(fs.readMount(devMnt)).toMatchObject({ vfsmount: devMnt, parent: rootMnt, mountpoint: dev, sb: A(21) });
  });

  it('v6.8+: a namespace\'s mounts from its rb-tree (mnt_namespace.mounts, nr_mounts)', () => {
    const rb = struct('rb_node', 24, []);
    const types: Record<string, Type> = {
      ...TYPES,
      'struct mount': struct('mount', 256, [...(TYPES['struct mount'] as CompositeType).members.map((m): [string, number, Type] => [m.name!, m.bitOffset / 8, m.type]), ['mnt_node', 112, rb]]),
      'struct mnt_namespace': struct('mnt_namespace', 128, [['mounts', 24, struct('rb_root', 8, [])], ['nr_mounts', 40, u32]]),
    };
    const k = new Kernel(types);
    const m = [A(1), A(2), A(3)];
    // An rb-tree of three mounts: m[1] at the top, m[0] left, m[2] right (rb_node: parent, right, left).
    const node = (i: number): bigint => m[i] + 112n;
    const nodeBytes = (right: bigint, left: bigint): Uint8Array => {
      const b = new Uint8Array(24);
      const v = new DataView(b.buffer);
      v.setBigUint64(8, right, true);
      v.setBigUint64(16, left, true);
      return b;
    };
    k.mem.map(node(1), nodeBytes(node(2), node(0)));
    k.mem.map(node(0), nodeBytes(0n, 0n));
    k.mem.map(node(2), nodeBytes(0n, 0n));
    const ns = A(5);
    const nsBytes = new Uint8Array(128);
    new DataView(nsBytes.buffer).setBigUint64(24, node(1), true);
    new DataView(nsBytes.buffer).setUint32(40, 3, true);
    k.mem.map(ns, nsBytes);
    const task = k.put('struct task_struct', A(6), { nsproxy: k.put('struct nsproxy', A(7), { mnt_ns: ns }) });
    expect(new Fs(k.program()).mountList(task)).toEqual(m);
  });

  it('before files->fdt (v2.6.14): max_fds, max_fdset, fd and open_fds are in files_struct', () => {
    const types: Record<string, Type> = {
      ...TYPES,
      'struct files_struct': struct('files_struct', 256, [['max_fds', 8, u32], ['max_fdset', 12, u32], ['fd', 16, ptr()], ['open_fds', 24, ptr()]]),
    };
    delete types['struct fdtable'];
    const k = new Kernel(types);
    const files = k.put('struct files_struct', A(1), { max_fds: 32, max_fdset: 1024, fd: A(2), open_fds: A(3) });
    const task = k.put('struct task_struct', A(4), { files });
    expect(new Fs(k.program()).fdTable(task)).toEqual({ filesAddr: files, maxFdset: 1024, maxFds: 32, openFdsAddr: A(3), fdArray: A(2) });
  });

  it('before file->f_path (v2.6.20): f_dentry and f_vfsmnt', () => {
    const types: Record<string, Type> = { ...TYPES, 'struct file': struct('file', 128, [['f_dentry', 16, ptr()], ['f_vfsmnt', 24, ptr()]]) };
    const fs = new Fs(new Kernel(types).program());
    expect(fs.file).toEqual({ size: 128, dentry: 16, vfsmnt: 24 });
  });
});
