// Networking as crash's `net` reads it (net.c): the network devices of a namespace with their IPv4 and IPv6
// addresses, the ARP cache (arp_tbl's neighbour hash), and a task's open sockets (files → fdtable → file →
// dentry → inode, a socket inode being the vfs_inode of a struct socket_alloc) with each sock's family, type
// and addresses.
//
// Kernel differences, found by feature:
//   - the device list: net.dev_base_head of the task's network namespace (nsproxy.net_ns, Linux commit
//     881d966b48b0 "[NET]: Make the device list and device lookups per namespace", v2.6.24), else the
//     global dev_base_head, else the dev_base chain;
//   - IPv6 addresses: inet6_dev.addr_list of inet6_ifaddr.if_list (Linux commit 502a2ffd7376 "ipv6: convert
//     idev_list to list macros", v2.6.35), else the if_next chain;
//   - the ARP hash: neigh_table.nht → neigh_hash_table with hash_shift ("neigh: Store hash shift instead of
//     mask.", v3.1) or hash_mask, of hash_buckets chained by neighbour.next, or of hash_heads hlists by
//     neighbour.hash (v6.13);
//   - a sock's addresses: inet_sock.inet_daddr... became sock_common.skc_daddr/skc_rcv_saddr/skc_dport/
//     skc_num behind macros (Linux commit c720c7e8383a "inet: rename some inet_sock fields", v2.6.33, and
//     later moves into sock_common), so the members are looked up where they exist; IPv6 addresses from
//     ipv6_pinfo.rcv_saddr/daddr, else sock_common.skc_v6_rcv_saddr/skc_v6_daddr (Linux commit efe4208f47f9
//     "ipv6: make lookups simpler and faster", v3.13);
//   - the open-file table: files_struct.fdt (v2.6.14) with open_fds, else files_struct's own fields.
import { hex, kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import { MAX_LIST_ENTRIES, type Program } from '../program/program.ts';
import { type Type, findMember, memberOffset, sizeOf, strip } from '../types/type.ts';
import { readmem, readPointer } from './readmem.ts';

function off(t: Type | undefined, path: string): number | undefined {
  return t ? memberOffset(t, path)?.offset : undefined;
}

export class NetError extends CrashlensError {
  override name = 'NetError';
}

/** inet_ntoa(): the four bytes in memory order. */
export function ipv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** glibc's inet_ntop(AF_INET6): the longest run of two or more zero words as "::", IPv4 tails dotted. */
export function ipv6(bytes: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 7 && w[7] !== 0x0001) || (best.len === 5 && w[5] === 0xffff))) {
      s += ipv4(bytes.subarray(12, 16));
      return s;
    }
    s += w[i].toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) s += ':';
  return s;
}

export interface Neighbour {
  address: bigint;
  ip: string;
  devName: string;
  devType: number;
  addrLen: number;
  ha: Uint8Array;
  state: number;
}

export interface OpenSocket {
  fd: number;
  /** struct socket */
  socket: bigint;
  /** struct sock */
  sock: bigint;
}

/** What a task's file table says, as crash's dump_sockets_workhorse() decides it. */
export type FdScan = { kind: 'none' } | { kind: 'files'; maxFds: number; maxFdset: number; fds: { fd: number; file: bigint }[] };

export class Net {
  constructor(readonly prog: Program) {}

  /** readmem(FAULT_ON_ERROR) of a pointer: crash's read error, with its type string, when it fails. */
  private ptr(addr: bigint, what: string): bigint {
    return readPointer(this.prog, addr, what);
  }

  private bytes(addr: bigint, n: number, what: string): Uint8Array {
    return readmem(this.prog, addr, n, what);
  }

  private must(t: Type | undefined, path: string, what: string): number {
    const o = off(t, path);
    if (o === undefined) throw new NetError(`${what} has no member ${path}`);
    return o;
  }

  get devType(): Type {
    return this.prog.type('struct net_device');
  }

  /** The network namespace a task sees (task->nsproxy->net_ns), or init_net without namespaces. */
  netNamespace(task: bigint): bigint {
    const t = this.prog.type('struct task_struct');
    const nsOff = off(this.prog.tryType('struct nsproxy'), 'net_ns');
    const tn = off(t, 'nsproxy');
    if (nsOff === undefined || tn === undefined) return this.prog.symbolAddress('init_net');
    const nsproxy = this.ptr(task + BigInt(tn), 'task_struct.nsproxy');
    try {
      return this.prog.memory.readU64(kv(nsproxy + BigInt(nsOff)));
    } catch {
      throw new NetError('cannot determine net_namespace location!');
    }
  }

  /** The net_devices of a namespace (or of the global list on kernels before namespaces), in list order. */
  devices(task: bigint): bigint[] {
    const p = this.prog;
    const dt = this.devType;
    const out: bigint[] = [];
    const global = p.symbols.address('dev_base_head');
    const listOff = off(dt, 'dev_list');
    if (global !== undefined || p.symbols.address('init_net') !== undefined) {
      if (listOff === undefined) throw new NetError('net_device has no member dev_list');
      const head = global ?? this.netNamespace(task) + BigInt(this.must(p.type('struct net'), 'dev_base_head', 'net'));
      for (const node of this.list(head)) out.push(node - BigInt(listOff));
      return out;
    }
    const base = p.symbols.address('dev_base');
    if (base === undefined) throw new NetError('dev_base, dev_base_head or init_net do not exist!');
    const next = this.must(dt, 'next', 'net_device');
    for (let d = this.ptr(base, 'dev_base'); d !== 0n && out.length < MAX_LIST_ENTRIES; d = this.ptr(d + BigInt(next), '(net_)device.next')) out.push(d);
    return out;
  }

  /** net_device.name (a char array; a char pointer on old kernels). */
  deviceName(dev: bigint): string {
    const m = findMember(this.devType, 'name');
    if (!m) throw new NetError('net_device has no member name');
    const t = strip(m.member.type);
    const at = dev + BigInt(m.bitOffset / 8);
    if (t.kind === 'array' && t.length > 0) return cstr(this.bytes(at, t.length, 'name'));
    return this.prog.memory.readCString(kv(this.ptr(at, 'name')), 100);
  }

  /** The IPv4 addresses of a device: ip_ptr → in_device.ifa_list → in_ifaddr.ifa_next... */
  ipv4Addresses(dev: bigint): string[] {
    const ipPtr = this.ptr(dev + BigInt(this.must(this.devType, 'ip_ptr', 'net_device')), 'ip_ptr');
    if (ipPtr === 0n) return [];
    const ind = this.prog.type('struct in_device');
    const ifa = this.prog.type('struct in_ifaddr');
    const addrOff = BigInt(this.must(ifa, 'ifa_address', 'in_ifaddr'));
    const nextOff = BigInt(this.must(ifa, 'ifa_next', 'in_ifaddr'));
    const out: string[] = [];
    for (let a = this.ptr(ipPtr + BigInt(this.must(ind, 'ifa_list', 'in_device')), 'ifa_list'); a !== 0n && out.length < 4096; a = this.ptr(a + nextOff, 'ifa_next')) {
      out.push(ipv4(this.bytes(a + addrOff, 4, 'ifa_address')));
    }
    return out;
  }

  /** The IPv6 addresses of a device (ip6_ptr → inet6_dev.addr_list). */
  ipv6Addresses(dev: bigint): string[] {
    const o = off(this.devType, 'ip6_ptr');
    if (o === undefined) return [];
    const ip6 = this.ptr(dev + BigInt(o), 'ip6_ptr');
    if (ip6 === 0n) return [];
    const idev = this.prog.type('struct inet6_dev');
    const ifa = this.prog.type('struct inet6_ifaddr');
    const addrOff = BigInt(this.must(ifa, 'addr', 'inet6_ifaddr'));
    const listHead = ip6 + BigInt(this.must(idev, 'addr_list', 'inet6_dev'));
    const out: string[] = [];
    const ifList = off(ifa, 'if_list');
    if (ifList !== undefined) {
      for (const node of this.list(listHead)) out.push(ipv6(this.bytes(node - BigInt(ifList) + addrOff, 16, 'in6_addr.in6_u')));
      return out;
    }
    const ifNext = off(ifa, 'if_next');
    if (ifNext === undefined) return out;
    for (let a = this.ptr(listHead, 'inet6_dev.addr_list'); a !== 0n && out.length < 4096; a = this.ptr(a + BigInt(ifNext), 'inet6_ifaddr.if_next')) {
      out.push(ipv6(this.bytes(a + addrOff, 16, 'in6_addr.in6_u')));
    }
    return out;
  }

  /** The list_head nodes after `head` (bounded; a node that cannot be read ends the list with crash's error). */
  private *list(head: bigint): Generator<bigint> {
    let node = this.ptr(head, 'list_head.next');
    for (let n = 0; node !== head && node !== 0n && n < MAX_LIST_ENTRIES; n++) {
      yield node;
      node = this.ptr(node, 'list_head.next');
    }
  }

  // ---- ARP (net -a) ---------------------------------------------------------------------------------

  /** The ARP cache's entries, bucket by bucket; undefined when the kernel has no usable neighbour hash. */
  arp(): Neighbour[] | undefined {
    const p = this.prog;
    const tbl = p.symbols.address('arp_tbl');
    if (tbl === undefined) throw new NetError('arp_tbl does not exist in this kernel');
    const nt = p.type('struct neigh_table');
    const nhtOff = off(nt, 'nht');
    let buckets = 0;
    let heads: bigint;
    let hlist = false;
    if (nhtOff !== undefined) {
      const nht = this.ptr(tbl + BigInt(nhtOff), 'neigh_table nht');
      const ht = p.type('struct neigh_hash_table');
      const mask = off(ht, 'hash_mask');
      const shift = off(ht, 'hash_shift');
      if (mask !== undefined) buckets = p.memory.readU32(kv(nht + BigInt(mask))) + 1;
      else if (shift !== undefined) buckets = 2 ** (p.memory.readU32(kv(nht + BigInt(shift))) & 31);
      const hh = off(ht, 'hash_heads');
      hlist = hh !== undefined && off(p.type('struct neighbour'), 'hash') !== undefined;
      heads = this.ptr(nht + BigInt(hlist ? hh! : this.must(ht, 'hash_buckets', 'neigh_hash_table')), 'neigh_hash_table hash_buckets ptr');
    } else {
      const mask = off(nt, 'hash_mask');
      const hb = findMember(nt, 'hash_buckets');
      if (!hb) return undefined;
      if (mask !== undefined) {
        buckets = p.memory.readU32(kv(tbl + BigInt(mask))) + 1;
        heads = this.ptr(tbl + BigInt(hb.bitOffset / 8), 'neigh_table hash_buckets pointer');
      } else {
        const t = strip(hb.member.type);
        buckets = t.kind === 'array' ? t.length : 0;
        heads = tbl + BigInt(hb.bitOffset / 8);
      }
    }
    if (buckets === 0 || buckets > 1 << 24) return undefined;
    const nb = p.type('struct neighbour');
    const keyOff = BigInt(this.must(nb, 'primary_key', 'neighbour'));
    const haM = findMember(nb, 'ha');
    const haT = haM && strip(haM.member.type);
    const haLen = haT && haT.kind === 'array' ? haT.length : 32;
    const haOff = BigInt(this.must(nb, 'ha', 'neighbour'));
    const devOff = BigInt(this.must(nb, 'dev', 'neighbour'));
    const stateOff = BigInt(this.must(nb, 'nud_state', 'neighbour'));
    const linkOff = hlist ? BigInt(this.must(nb, 'hash', 'neighbour')) : BigInt(this.must(nb, 'next', 'neighbour'));
    const dt = this.devType;
    const typeOff = BigInt(this.must(dt, 'type', 'net_device'));
    const lenOff = BigInt(this.must(dt, 'addr_len', 'net_device'));
    const table = this.bytes(heads, buckets * 8, 'neigh_hash_table hash_buckets');
    const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const out: Neighbour[] = [];
    for (let i = 0; i < buckets; i++) {
      let n = dv.getBigUint64(i * 8, true);
      if (hlist && n) n -= linkOff;
      for (let k = 0; n !== 0n && k < 1 << 16; k++) {
        const dev = this.ptr(n + devOff, 'neighbour dev');
        out.push({
          address: n,
          ip: ipv4(this.bytes(n + keyOff, 4, 'neighbour primary_key')),
          ha: this.bytes(n + haOff, haLen, 'neighbour ha'),
          devName: this.deviceName(dev),
          devType: (p.memory.readU16(kv(dev + typeOff)) << 16) >> 16,
          addrLen: p.memory.readU8(kv(dev + lenOff)),
          state: this.bytes(n + stateOff, 1, 'neighbour nud_state')[0],
        });
        n = this.ptr(n + linkOff, hlist ? 'neighbour hash' : 'neighbour next');
        if (hlist && n) n -= linkOff;
      }
    }
    return out;
  }

  // ---- sockets (net -s) -----------------------------------------------------------------------------

  /** A task's open files, as crash's dump_sockets_workhorse() finds them ("none": "No open sockets."). */
  openFiles(task: bigint): FdScan {
    const p = this.prog;
    const tt = p.type('struct task_struct');
    const files = this.ptr(task + BigInt(this.must(tt, 'files', 'task_struct')), 'task files contents');
    if (files === 0n) return { kind: 'none' };
    const ft = p.type('struct files_struct');
    let maxFdset: number;
    let maxFds: number;
    let openFdsAddr: bigint;
    let fdArray: bigint;
    const fdtOff = off(ft, 'fdt');
    if (off(ft, 'max_fdset') !== undefined) {
      maxFdset = p.memory.readU32(kv(files + BigInt(off(ft, 'max_fdset')!))) | 0;
      maxFds = p.memory.readU32(kv(files + BigInt(this.must(ft, 'max_fds', 'files_struct')))) | 0;
      openFdsAddr = this.ptr(files + BigInt(this.must(ft, 'open_fds', 'files_struct')), 'files_struct open_fds addr');
      fdArray = this.ptr(files + BigInt(this.must(ft, 'fd', 'files_struct')), 'files_struct fd addr');
    } else if (fdtOff !== undefined) {
      const fdt = this.ptr(files + BigInt(fdtOff), 'fdtable buffer');
      if (fdt === 0n) return { kind: 'none' };
      const fdtT = p.type('struct fdtable');
      const mfs = off(fdtT, 'max_fdset');
      maxFdset = mfs === undefined ? -1 : p.memory.readU32(kv(fdt + BigInt(mfs))) | 0;
      maxFds = p.memory.readU32(kv(fdt + BigInt(this.must(fdtT, 'max_fds', 'fdtable')))) | 0;
      if (maxFdset === 0 || maxFds === 0) return { kind: 'none' };
      openFdsAddr = this.ptr(fdt + BigInt(this.must(fdtT, 'open_fds', 'fdtable')), 'files_struct open_fds addr');
      fdArray = this.ptr(fdt + BigInt(this.must(fdtT, 'fd', 'fdtable')), 'files_struct fd addr');
    } else throw new NetError('files_struct has neither fdt nor max_fdset');
    if (maxFdset === 0 || maxFds === 0) return { kind: 'none' };
    const size = Math.floor(Math.max(maxFdset, maxFds) / 8);
    if (openFdsAddr === 0n || fdArray === 0n) return { kind: 'none' };
    const bits = this.bytes(openFdsAddr, size, 'files_struct open_fds');
    const fds: { fd: number; file: bigint }[] = [];
    for (let j = 0; ; j++) {
      const base = j * 64;
      if ((maxFdset >= 0 && base >= maxFdset) || base >= maxFds) break;
      for (let b = 0; b < 64; b++) {
        const byte = bits[(base + b) >> 3];
        if (byte === undefined || !(byte & (1 << ((base + b) & 7)))) continue;
        const file = this.ptr(fdArray + BigInt(base + b) * 8n, 'fd file');
        if (file) fds.push({ fd: base + b, file });
      }
    }
    return { kind: 'files', maxFds, maxFdset, fds };
  }

  /** The socket behind an open file, when its inode is a socket (S_IFSOCK). */
  socketOf(fd: number, file: bigint): OpenSocket | undefined {
    const p = this.prog;
    const fileT = p.type('struct file');
    const dentryOff = off(fileT, 'f_path.dentry') ?? this.must(fileT, 'f_dentry', 'file');
    const dentry = this.ptr(file + BigInt(dentryOff), 'file buffer');
    if (dentry === 0n) return undefined;
    const inode = this.ptr(dentry + BigInt(this.must(p.type('struct dentry'), 'd_inode', 'dentry')), 'dentry buffer');
    if (inode === 0n) return undefined;
    const it = p.type('struct inode');
    const modeM = findMember(it, 'i_mode');
    if (!modeM) throw new NetError('inode has no member i_mode');
    const modeSize = sizeOf(modeM.member.type) ?? 2;
    const mb = this.bytes(inode + BigInt(modeM.bitOffset / 8), modeSize, 'inode buffer');
    const mode = modeSize === 4 ? mb[0] | (mb[1] << 8) | (mb[2] << 16) | (mb[3] << 24) : mb[0] | (mb[1] << 8);
    if ((mode & 0o170000) !== 0o140000) return undefined;
    const vfsInode = this.must(p.type('struct socket_alloc'), 'vfs_inode', 'socket_alloc');
    const socket = inode - BigInt(vfsInode);
    const sock = this.ptr(socket + BigInt(this.must(p.type('struct socket'), 'sk', 'socket')), 'socket buffer');
    return { fd, socket, sock };
  }

  /** crash's get_sock_info(): "FAMILY:TYPE " and, for INET/INET6, the address-port pairs. */
  sockInfo(sock: bigint): string {
    const p = this.prog;
    const sk = p.type('struct sock');
    const inet = p.tryType('struct inet_sock');
    const sc = p.type('struct sock_common');
    const inetSize = (inet && sizeOf(inet)) || 0;
    if (!inetSize) throw new NetError('cannot determine what an inet_sock structure is');
    const b = this.bytes(sock, inetSize, 'inet_sock buffer');
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const u16 = (o: number | undefined): number => (o === undefined || o + 2 > b.length ? 0 : dv.getUint16(o, true));
    // Each member where this kernel keeps it: in inet_sock, or in the sock_common at the start of the sock.
    const inOff = (names: string[], common: string): number | undefined => {
      for (const n of names) {
        const o = off(inet, n);
        if (o !== undefined) return o;
      }
      return off(sc, common);
    };
    const daddr = inOff(['daddr', 'inet_daddr'], 'skc_daddr');
    const saddr = inOff(['rcv_saddr', 'inet_rcv_saddr'], 'skc_rcv_saddr');
    const dport = inOff(['dport', 'inet_dport'], 'skc_dport');
    const sport = off(inet, 'sport') ?? off(inet, 'inet_sport');
    const family = u16(off(sc, 'skc_family'));
    const type = u16(off(sk, 'sk_type'));
    const be16 = (v: number): number => ((v & 0xff) << 8) | (v >> 8);
    const addr4 = (o: number | undefined): string => (o === undefined ? '0.0.0.0' : ipv4(b.subarray(o, o + 4)));
    let s = FAMILIES.get(family) ?? `${family}:`;
    s += TYPES.get(type) ?? String(type);
    s += ' ';
    if (family === 2) s += ` ${addr4(saddr)}-${be16(u16(sport))} ${addr4(daddr)}-${be16(u16(dport))}`;
    if (family !== 10) return s;
    const sizeofSock = sizeOf(sk) ?? 0;
    const pinfo = sizeofSock + 8 <= b.length ? dv.getBigUint64(sizeofSock, true) : 0n;
    const ip6t = p.tryType('struct ipv6_pinfo');
    let src: bigint;
    let dst: bigint;
    if (off(ip6t, 'rcv_saddr') !== undefined && off(ip6t, 'daddr') !== undefined) {
      src = pinfo + BigInt(off(ip6t, 'rcv_saddr')!);
      dst = pinfo + BigInt(off(ip6t, 'daddr')!);
    } else if (off(sk, '__sk_common') !== undefined && off(sc, 'skc_v6_daddr') !== undefined && off(sc, 'skc_v6_rcv_saddr') !== undefined) {
      src = sock + BigInt(off(sk, '__sk_common')! + off(sc, 'skc_v6_rcv_saddr')!);
      dst = sock + BigInt(off(sk, '__sk_common')! + off(sc, 'skc_v6_daddr')!);
    } else return `${s}(cannot get IPv6 addresses)`;
    let a: Uint8Array;
    let d: Uint8Array;
    try {
      a = p.memory.read(kv(src), 16);
      d = p.memory.read(kv(dst), 16);
    } catch {
      return s;
    }
    const srcText = in6Port(a, be16(u16(sport)));
    const dstText = in6Port(d, be16(u16(dport)));
    return `${s}${srcText.padStart(12)} ${center(dstText, srcText.length)}`;
  }
}

/** crash's dump_in6_addr_port(): eight unpadded hex words and the port. */
function in6Port(a: Uint8Array, port: number): string {
  const w: string[] = [];
  for (let i = 0; i < 8; i++) w.push(((a[2 * i] << 8) | a[2 * i + 1]).toString(16));
  return `${w.join(':')}-${port}`;
}

/** mkstring(CENTER) with the odd space on the right. */
function center(s: string, width: number): string {
  const extra = width - s.length;
  if (extra <= 0) return s;
  const left = Math.floor(extra / 2);
  return ' '.repeat(left) + s + ' '.repeat(extra - left);
}

function cstr(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length && b[i] !== 0; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** crash's address-family names (AF_* values of the C library it was built with). */
const FAMILIES = new Map<number, string>([
  [0, 'UNSPEC:'],
  [1, 'UNIX:'],
  [2, 'INET:'],
  [3, 'AX25:'],
  [4, 'IPX:'],
  [5, 'APPLETALK:'],
  [6, 'NETROM:'],
  [7, 'BRIDGE:'],
  [8, 'ATMPVC:'],
  [9, 'X25:'],
  [10, 'INET6:'],
  [11, 'ROSE:'],
  [12, 'DECnet:'],
  [13, 'NETBEUI:'],
  [14, 'SECURITY/KEY:'],
  [16, 'NETLINK/ROUTE:'],
  [17, 'PACKET:'],
  [18, 'ASH:'],
  [19, 'ECONET:'],
  [20, 'ATMSVC:'],
  [22, 'SNA:'],
  [23, 'IRDA:'],
  [24, 'PPPOX:'],
]);

/** Socket types; DGRAM keeps crash's trailing space. */
const TYPES = new Map<number, string>([
  [1, 'STREAM'],
  [2, 'DGRAM '],
  [3, 'RAW'],
  [4, 'RDM'],
  [5, 'SEQPACKET'],
  [10, 'PACKET'],
]);

/** A hex address as crash's LONG_HEX columns print it. */
export function hex16(a: bigint): string {
  return hex(a).padStart(16);
}
