// Character and block devices as crash's `dev` reads them (dev.c): the chrdevs[] hash of struct
// char_device_struct chains (each major's cdev and its file_operations, or failing that the cdev found in
// cdev_map's probes), the major_names[] hash of struct blk_major_name with a gendisk of each major, and for
// `dev -d` the disks of the block class with their in-flight requests.
//
// Kernel differences, found by feature:
//   - a block major's gendisk: the bdev_map probes (kobj_map) until "block: switch gendisk lookup to a simple
//     xarray" (v5.11) dropped them; since, the block_device inodes of blockdev_superblock, each struct
//     bdev_inode a block_device followed by its inode (I_BDEV);
//   - the disks: block_class's subsys_private (class.p, removed in Linux commit 2df418cf4b72 "driver core:
//     class: remove subsystem private pointer from struct class", v6.4, after which it is found by name in
//     class_kset) klist_devices; each device from its device_private (device.knode_class moved there in
//     Linux commit 570d0200123f, v5.1), a disk if device.type is &disk_type; its gendisk through the
//     block_device holding the device (gendisk.part0 became a block_device in Linux commit cb8432d650fe
//     "block: allocate struct hd_struct as part of struct bdev_inode", v5.11), or hd_struct.__dev / gendisk's
//     own dev before;
//   - in-flight requests of a blk-mq queue: the busy tags of each hardware context's sbitmap, each
//     request's state and queue checked (request.state, Linux commit 12f5b9314545, v4.17); the contexts in
//     request_queue.hctx_table (an xarray since Linux commit 4e5cc99e1e48, v5.18) or queue_hw_ctx[]; a
//     tag set shared by all contexts (blk_mq_tag_set.shared_tags) when BLK_MQ_F_TAG_HCTX_SHARED is set;
//     older blk-mq counted blk_mq_ctx.rq_dispatched - rq_completed; the legacy request_list count[2] before
//     blk-mq, else the per-CPU disk_stats in_flight[2];
//   - crash labels the columns ASYNC/SYNC when the BLK_RW_SYNC enumerator exists (Linux commit 1faa16d22877
//     "block: change the request allocation/congestion logic to be sync/async based", v2.6.29, until the
//     congestion API went, before v6.1); an anonymous enum's member has no name to look up here, so
//     congestion_wait(), the function it was made for, stands for it.
import { kv } from '../addr.ts';
import { CommandError } from '../errors.ts';
import { MAX_LIST_ENTRIES, type Program } from '../program/program.ts';
import { type Type, findMember, memberOffset, sizeOf, strip } from '../types/type.ts';
import { readmem, readPointer } from './readmem.ts';
import { xarrayEntries, xarrayLayout } from './xarray.ts';

/** crash's MAX_DEV: how many chrdevs[] / major_names[] slots it reads when the array's length is unknown. */
export const MAX_DEV = 255;
const MINORBITS = 20;

function off(t: Type | undefined, path: string): number | undefined {
  return t ? memberOffset(t, path)?.offset : undefined;
}

export class DevError extends CommandError {
  override name = 'DevError';
}

export interface CharDevice {
  major: number;
  name: string;
  /** The struct cdev, 0 when none was found. */
  cdev: bigint;
  /** Its file_operations, 0 when none was found. */
  fops: bigint;
}

export interface BlockMajor {
  major: number;
  name: string;
  gendisk: bigint;
  fops: bigint;
}

export interface DiskIo {
  major: number;
  gendisk: bigint;
  name: string;
  queue: bigint;
  read: number;
  write: number;
  /** The driver's in-flight count (request_queue.in_flight), 'mq' for blk-mq queues, undefined without it. */
  drv: number | 'mq' | undefined;
}

export class Devices {
  constructor(readonly prog: Program) {}

  private ptr(addr: bigint, what: string): bigint {
    return readPointer(this.prog, addr, what);
  }

  private bytes(addr: bigint, n: number, what: string): Uint8Array {
    return readmem(this.prog, addr, n, what);
  }

  private u32(addr: bigint, what: string): number {
    const b = this.bytes(addr, 4, what);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  private must(t: Type | undefined, path: string, what: string): number {
    const o = off(t, path);
    if (o === undefined) throw new DevError(`${what} has no member ${path}`);
    return o;
  }

  /** A global array's length from its type, else `fallback` (BTF does not type globals). */
  private arrayLength(name: string, fallback: number): number {
    const t = this.prog.types.variableType?.(name);
    const s = t && strip(t);
    return s && s.kind === 'array' && s.length > 0 ? s.length : fallback;
  }

  // ---- character devices ----------------------------------------------------------------------------

  /** Each char_device_struct of chrdevs[], chain by chain, in crash's order. */
  charDevices(): CharDevice[] {
    const p = this.prog;
    const cds = p.tryType('struct char_device_struct');
    if (!cds) throw new DevError('only kernels with struct char_device_struct (2.6) are supported');
    if (p.symbols.address('chrdevs') === undefined) throw new DevError('chrdevs: symbol does not exist');
    const size = sizeOf(cds) ?? 0;
    const nextOff = this.must(cds, 'next', 'char_device_struct');
    const nameM = findMember(cds, 'name');
    if (!nameM) throw new DevError('char_device_struct has no member name');
    const nameT = strip(nameM.member.type);
    const majorOff = this.must(cds, 'major', 'char_device_struct');
    const minorOff = this.must(cds, 'baseminor', 'char_device_struct');
    const cdevOff = off(cds, 'cdev');
    const fopsOff = off(cds, 'fops');
    const cdevT = p.tryType('struct cdev');
    const opsOff = off(cdevT, 'ops');
    const table = this.bytes(p.symbolAddress('chrdevs'), MAX_DEV * 8, 'chrdevs array');
    const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const out: CharDevice[] = [];
    let name = '';
    for (let i = 0; i < MAX_DEV; i++) {
      let next = dv.getBigUint64(i * 8, true);
      for (let first = true, n = 0; next !== 0n && n < 1 << 16; first = false, n++) {
        const at = next;
        const b = this.bytes(at, size, 'char_device_struct');
        const bv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        next = bv.getBigUint64(nextOff, true);
        const no = nameM.bitOffset / 8;
        if (nameT.kind === 'array') name = cstr(b.subarray(no, no + Math.max(nameT.length - 1, 0)));
        else {
          const np = bv.getBigUint64(no, true);
          const s = np ? this.readString(np) : undefined;
          // The head of a chain keeps the previous name when its own cannot be read, as crash's buffer does.
          if (s !== undefined) name = s;
          else if (!first) name = '(unknown)';
        }
        const major = bv.getInt32(majorOff, true);
        const minor = bv.getInt32(minorOff, true);
        let cdev = 0n;
        let fops = 0n;
        if (cdevOff !== undefined && opsOff !== undefined) {
          cdev = bv.getBigUint64(cdevOff, true);
          if (cdev) fops = this.ptr(cdev + BigInt(opsOff), 'cdev ops');
        } else if (fopsOff !== undefined) fops = bv.getBigUint64(fopsOff, true);
        if (!fops) {
          const found = this.cdevMapProbe(major, minor);
          if (found) ({ cdev, fops } = found);
        }
        out.push({ major, name, cdev: fops ? cdev : 0n, fops });
      }
    }
    return out;
  }

  private readString(addr: bigint): string | undefined {
    try {
      return this.prog.memory.readCString(kv(addr), 1499);
    } catch {
      return undefined;
    }
  }

  /** crash's search_cdev_map_probes(): the cdev registered in cdev_map for this major and first minor. */
  private cdevMapProbe(major: number, minor: number): { cdev: bigint; fops: bigint } | undefined {
    const p = this.prog;
    const mapSym = p.symbols.address('cdev_map');
    if (mapSym === undefined) return undefined;
    const km = p.tryType('struct kobj_map');
    const pr = p.tryType('struct probe');
    const probesOff = off(km, 'probes');
    const opsOff = off(p.tryType('struct cdev'), 'ops');
    if (probesOff === undefined || !pr || opsOff === undefined || major < 0 || major >= MAX_DEV) return undefined;
    try {
      const map = p.memory.readU64(kv(mapSym));
      let next = p.memory.readU64(kv(map + BigInt(probesOff) + BigInt(major) * 8n));
      for (let n = 0; next !== 0n && n < 1 << 16; n++) {
        const dev = p.memory.readU32(kv(next + BigInt(this.must(pr, 'dev', 'probe'))));
        if (dev >>> MINORBITS === major && (dev & ((1 << MINORBITS) - 1)) === minor) {
          const data = p.memory.readU64(kv(next + BigInt(this.must(pr, 'data', 'probe'))));
          return { cdev: data, fops: p.memory.readU64(kv(data + BigInt(opsOff))) };
        }
        next = p.memory.readU64(kv(next + BigInt(this.must(pr, 'next', 'probe'))));
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  // ---- block devices --------------------------------------------------------------------------------

  /** Whether crash's major_names display (its dump_blkdevs_v3) applies. */
  get hasMajorNames(): boolean {
    const s = this.prog.symbols;
    return s.address('major_names') !== undefined && (s.address('bdev_map') !== undefined || s.address('blockdev_superblock') !== undefined);
  }

  /** The head of each major_names[] chain with the gendisk crash finds for its major. */
  blockMajors(): BlockMajor[] {
    const p = this.prog;
    if (!this.hasMajorNames) throw new DevError('only kernels with major_names[] and bdev_map or blockdev_superblock are supported');
    const bmn = p.type('struct blk_major_name');
    const size = sizeOf(bmn) ?? 0;
    const majorOff = this.must(bmn, 'major', 'blk_major_name');
    const nameOff = this.must(bmn, 'name', 'blk_major_name');
    const len = this.arrayLength('major_names', MAX_DEV);
    const base = p.symbolAddress('major_names');
    const useBdevMap = p.symbols.address('bdev_map') !== undefined;
    const out: BlockMajor[] = [];
    let inodes: bigint[] | undefined;
    for (let i = 0; i < len; i++) {
      const entry = this.ptr(base + BigInt(i) * 8n, 'major_names[] entry');
      if (!entry) continue;
      const b = this.bytes(entry, size, 'blk_major_name');
      const major = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(majorOff, true);
      const name = cstr(b.subarray(nameOff, nameOff + 16));
      let found: { gendisk: bigint; fops: bigint } | undefined;
      if (useBdevMap) found = this.bdevMapProbe(major === i ? major : i);
      else {
        inodes ??= this.blockdevInodes();
        found = this.diskOfMajor(inodes, major);
      }
      out.push({ major, name, gendisk: found?.gendisk ?? 0n, fops: found?.fops ?? 0n });
    }
    return out;
  }

  /** crash's search_bdev_map_probes(): the first probe of the major whose gendisk has fops. */
  private bdevMapProbe(major: number): { gendisk: bigint; fops: bigint } | undefined {
    const p = this.prog;
    const km = p.type('struct kobj_map');
    const pr = p.type('struct probe');
    const gd = p.type('struct gendisk');
    const fopsOff = this.must(gd, 'fops', 'gendisk');
    try {
      const map = p.memory.readU64(p.symbolAddress('bdev_map'));
      let next = p.memory.readU64(kv(map + BigInt(this.must(km, 'probes', 'kobj_map')) + BigInt(major) * 8n));
      for (let n = 0; next !== 0n && n < 1 << 16; n++) {
        const data = p.memory.readU64(kv(next + BigInt(this.must(pr, 'data', 'probe'))));
        const dev = p.memory.readU32(kv(next + BigInt(this.must(pr, 'dev', 'probe'))));
        const following = p.memory.readU64(kv(next + BigInt(this.must(pr, 'next', 'probe'))));
        if (data && dev >>> MINORBITS === major) {
          const fops = p.memory.readU64(kv(data + BigInt(fopsOff)));
          if (fops) return { gendisk: data, fops };
        }
        next = following;
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  /** The inodes on blockdev_superblock's s_inodes list. */
  private blockdevInodes(): bigint[] {
    const p = this.prog;
    try {
      const sb = p.memory.readU64(p.symbolAddress('blockdev_superblock'));
      const head = sb + BigInt(this.must(p.type('struct super_block'), 's_inodes', 'super_block'));
      const link = BigInt(this.must(p.type('struct inode'), 'i_sb_list', 'inode'));
      const out: bigint[] = [];
      let node = p.memory.readU64(kv(head));
      for (let n = 0; node !== head && node !== 0n && n < MAX_LIST_ENTRIES; n++) {
        out.push(node - link);
        node = p.memory.readU64(kv(node));
      }
      return out;
    } catch {
      return [];
    }
  }

  /** crash's search_blockdev_inodes(): the first block_device of this major whose gendisk has fops. */
  private diskOfMajor(inodes: bigint[], major: number): { gendisk: bigint; fops: bigint } | undefined {
    const p = this.prog;
    const bd = p.type('struct block_device');
    const bdSize = BigInt(sizeOf(bd) ?? 0);
    const diskOff = BigInt(this.must(bd, 'bd_disk', 'block_device'));
    const gd = p.type('struct gendisk');
    const majorOff = BigInt(this.must(gd, 'major', 'gendisk'));
    const fopsOff = BigInt(this.must(gd, 'fops', 'gendisk'));
    for (const inode of inodes) {
      try {
        const disk = p.memory.readU64(kv(inode - bdSize + diskOff));
        if (!disk) continue;
        if ((p.memory.readU32(kv(disk + majorOff)) | 0) !== major) continue;
        const fops = p.memory.readU64(kv(disk + fopsOff));
        if (fops) return { gendisk: disk, fops };
      } catch {
        /* an inode or gendisk outside the dump: crash skips it */
      }
    }
    return undefined;
  }

  // ---- I/O resources (dev -i) ----------------------------------------------------------------------

  /**
   * A resource tree (ioport_resource or iomem_resource) in crash's order: each entry, then its children,
   * then its siblings. `size` is the address width crash chose from the root's end.
   */
  resources(rootName: string): { size: 4 | 8; entries: { address: bigint; start: bigint; end: bigint; name: string | undefined }[] } {
    const p = this.prog;
    const rt = p.type('struct resource');
    const startOff = BigInt(this.must(rt, 'start', 'resource'));
    const endOff = BigInt(this.must(rt, 'end', 'resource'));
    const nameOff = BigInt(this.must(rt, 'name', 'resource'));
    const childOff = BigInt(this.must(rt, 'child', 'resource'));
    const sibOff = BigInt(this.must(rt, 'sibling', 'resource'));
    const root = p.symbolAddress(rootName);
    const size = this.ptr(root + endOff, `${rootName}.end`) > 0xffffn ? 8 : 4;
    const entries: { address: bigint; start: bigint; end: bigint; name: string | undefined }[] = [];
    const walk = (first: bigint, depth: number): void => {
      for (let e = first; e !== 0n && entries.length < 1 << 16; e = this.ptr(e + sibOff, 'resource')) {
        const nm = this.ptr(e + nameOff, 'resource');
        entries.push({ address: e, start: this.ptr(e + startOff, 'resource'), end: this.ptr(e + endOff, 'resource'), name: nm ? this.readString(nm) : undefined });
        const child = this.ptr(e + childOff, 'resource');
        if (child && child !== e && depth < 64) walk(child, depth + 1);
      }
    };
    walk(root, 0);
    return { size, entries };
  }

  // ---- PCI (dev -p) ---------------------------------------------------------------------------------

  /** Whether pci_dev.pcie_flags_reg exists (the TYPE column). */
  get hasPcieFlags(): boolean {
    return off(this.prog.tryType('struct pci_dev'), 'pcie_flags_reg') !== undefined;
  }

  /** The nodes of a list_head list (as crash's do_list() gives them: the list_head addresses). */
  listNodes(head: bigint): bigint[] {
    const out: bigint[] = [];
    let node = this.ptr(head, 'list_head.next');
    for (let n = 0; node !== head && node !== 0n && n < MAX_LIST_ENTRIES; n++) {
      out.push(node);
      node = this.ptr(node, 'list_head.next');
    }
    return out;
  }

  /** pci_root_buses' nodes (each a struct pci_bus, whose node is its first member). */
  pciRootBuses(): bigint[] {
    const head = this.prog.symbolAddress('pci_root_buses');
    if (this.ptr(head, 'pci_root_buses') === head) throw new DevError('no PCI devices found on this system.');
    return this.listNodes(head);
  }

  /** A bus's children buses, its devices, its self (bridge) device and parent. */
  pciBus(bus: bigint): { children: bigint[]; devices: bigint[]; self: bigint; parent: bigint } {
    const bt = this.prog.type('struct pci_bus');
    return {
      children: this.listNodes(bus + BigInt(this.must(bt, 'children', 'pci_bus'))),
      devices: this.listNodes(bus + BigInt(this.must(bt, 'devices', 'pci_bus'))),
      self: this.ptr(bus + BigInt(this.must(bt, 'self', 'pci_bus')), 'pci bus self'),
      parent: this.ptr(bus + BigInt(this.must(bt, 'parent', 'pci_bus')), 'pci bus parent'),
    };
  }

  /** A kobject's name through a device embedded at `devOff` (pci_dev.dev or pci_bus.dev). */
  private deviceKobjName(at: bigint): string {
    const p = this.prog;
    const kobj = at + BigInt(this.must(p.type('struct device'), 'kobj', 'device'));
    return this.readString(this.ptr(kobj + BigInt(this.must(p.type('struct kobject'), 'name', 'kobject')), 'kobject name')) ?? '';
  }

  pciBusName(bus: bigint): string {
    return this.deviceKobjName(bus + BigInt(this.must(this.prog.type('struct pci_bus'), 'dev', 'pci_bus')));
  }

  /** A PCI device's name ("0000:00:1f.2"), class ("0106"), id ("8086:2922") and PCIe type. */
  pciDevice(dev: bigint): { name: string; cls: string; id: string; type: string } {
    const p = this.prog;
    const dt = p.type('struct pci_dev');
    const name = this.deviceKobjName(dev + BigInt(this.must(dt, 'dev', 'pci_dev')));
    const cls = (this.u32(dev + BigInt(this.must(dt, 'class', 'pci_dev')), 'pci class') >>> 8).toString(16).padStart(4, '0');
    const u16 = (m: string, what: string): number => {
      const b = this.bytes(dev + BigInt(this.must(dt, m, 'pci_dev')), 2, what);
      return b[0] | (b[1] << 8);
    };
    const id = `${u16('vendor', 'pci dev vendor').toString(16)}:${u16('device', 'pci dev device').toString(16)}`;
    const hdr = this.bytes(dev + BigInt(this.must(dt, 'hdr_type', 'pci_dev')), 1, 'pci dev hdr_type')[0];
    let type = '';
    if (off(dt, 'pcie_flags_reg') !== undefined) type = PCIE_TYPES.get((u16('pcie_flags_reg', 'pci dev pcie_flags_reg') & 0xf0) >> 4) ?? '';
    // PCI_HEADER_TYPE_BRIDGE, PCI_HEADER_TYPE_CARDBUS
    if (hdr === 1 || hdr === 2) type += ' [BRIDGE]';
    return { name, cls, id, type };
  }

  // ---- disk I/O (dev -d) ----------------------------------------------------------------------------

  /** Whether crash labels the columns ASYNC/SYNC (the kernel has BLK_RW_SYNC). */
  get syncCount(): boolean {
    return this.prog.symbols.address('congestion_wait') !== undefined;
  }

  /** Whether request_queue.in_flight exists (the DRV column). */
  get hasInFlight(): boolean {
    return off(this.prog.tryType('struct request_queue'), 'in_flight') !== undefined;
  }

  /** The disks of the block class (ram and loop disks included; the command skips them). */
  disks(): bigint[] {
    const p = this.prog;
    const gd = p.type('struct gendisk');
    const nameM = findMember(gd, 'disk_name');
    if (!nameM || p.symbols.address('block_class') === undefined) throw new CommandError('-d option not supported or applicable on this architecture or kernel');
    const priv = this.blockClassPrivate();
    const sp = p.tryType('struct class_private') ?? p.type('struct subsys_private');
    const devicesOff = off(sp, 'class_devices') ?? this.must(sp, 'klist_devices', 'subsys_private');
    const kl = p.type('struct klist');
    const head = priv + BigInt(devicesOff) + BigInt(this.must(kl, 'k_list', 'klist'));
    const kn = p.type('struct klist_node');
    const nNode = BigInt(this.must(kn, 'n_node', 'klist_node'));
    const nKlist = BigInt(this.must(kn, 'n_klist', 'klist_node'));
    const dt = p.type('struct device');
    const typeOff = BigInt(this.must(dt, 'type', 'device'));
    const diskType = p.symbolAddress('disk_type');
    const knodeClass = off(dt, 'knode_class');
    const dp = p.tryType('struct device_private');
    const out: bigint[] = [];
    let node = this.ptr(head, 'list_head.next');
    for (let n = 0; node !== head && node !== 0n && n < MAX_LIST_ENTRIES; n++) {
      const knode = node - nNode;
      const dead = (this.ptr(knode + nKlist, 'klist_node.n_klist') & 1n) !== 0n;
      if (!dead) {
        const device = knodeClass !== undefined ? knode - BigInt(knodeClass) : this.ptr(knode - BigInt(this.must(dp, 'knode_class', 'device_private')) + BigInt(this.must(dp, 'device', 'device_private')), 'device_private.device');
        if (this.ptr(device + typeOff, 'device.type') === diskType) out.push(this.gendiskOf(device));
      }
      node = this.ptr(node, 'list_head.next');
    }
    return out;
  }

  /** block_class's subsys_private: class.p, or (v6.4+) the class_kset member named "block". */
  private blockClassPrivate(): bigint {
    const p = this.prog;
    const cls = p.type('struct class');
    const pOff = off(cls, 'p');
    if (pOff !== undefined) {
      const priv = this.ptr(p.symbolAddress('block_class') + BigInt(pOff), 'class.p');
      if (!priv) throw new CommandError('cannot determine subsys_private for block.');
      return priv;
    }
    const kset = p.type('struct kset');
    const ko = p.type('struct kobject');
    const sp = p.type('struct subsys_private');
    const classKset = this.ptr(p.symbolAddress('class_kset'), 'class_kset');
    const head = classKset + BigInt(this.must(kset, 'list', 'kset'));
    const entry = BigInt(this.must(ko, 'entry', 'kobject'));
    const kobjInPriv = BigInt(this.must(sp, 'subsys', 'subsys_private')) + BigInt(this.must(kset, 'kobj', 'kset'));
    const nameOff = BigInt(this.must(ko, 'name', 'kobject'));
    let node = this.ptr(head, 'list_head.next');
    for (let n = 0; node !== head && node !== 0n && n < MAX_LIST_ENTRIES; n++) {
      const kobj = node - entry;
      const name = this.readString(this.ptr(kobj + nameOff, 'kobject.name'));
      if (name === 'block') return kobj - kobjInPriv;
      node = this.ptr(node, 'list_head.next');
    }
    throw new CommandError('cannot determine subsys_private for block.');
  }

  /** A disk device's gendisk. */
  private gendiskOf(device: bigint): bigint {
    const p = this.prog;
    const gd = p.type('struct gendisk');
    const devInDisk = off(gd, 'dev') ?? off(gd, '__dev');
    if (devInDisk !== undefined) return device - BigInt(devInDisk);
    const hd = p.tryType('struct hd_struct');
    const hdDev = off(hd, '__dev');
    if (hdDev !== undefined) return device - BigInt(hdDev) - BigInt(this.must(gd, 'part0', 'gendisk'));
    const bd = p.type('struct block_device');
    return this.ptr(device - BigInt(this.must(bd, 'bd_device', 'block_device')) + BigInt(this.must(bd, 'bd_disk', 'block_device')), 'block_device.bd_disk');
  }

  /** One disk's line of dev -d. */
  diskIo(gendisk: bigint): DiskIo {
    const p = this.prog;
    const gd = p.type('struct gendisk');
    const nameM = findMember(gd, 'disk_name')!;
    const nt = strip(nameM.member.type);
    const nameLen = nt.kind === 'array' ? nt.length : 32;
    const name = cstr(this.bytes(gendisk + BigInt(nameM.bitOffset / 8), nameLen, 'gen_disk.disk_name'));
    const queue = this.ptr(gendisk + BigInt(this.must(gd, 'queue', 'gendisk')), 'gen_disk.queue');
    const major = this.u32(gendisk + BigInt(this.must(gd, 'major', 'gendisk')), 'gen_disk.major') | 0;
    const rq = p.type('struct request_queue');
    const mqOff = off(rq, 'mq_ops');
    const mq = mqOff !== undefined && this.ptr(queue + BigInt(mqOff), 'request_queue.mq_ops') !== 0n;
    let read: number;
    let write: number;
    if (mq) ({ read, write } = this.mqInFlight(queue));
    else if (off(rq, 'rq') !== undefined || off(rq, 'root_rl') !== undefined) {
      const rl = off(rq, 'rq') ?? off(rq, 'root_rl')!;
      const count = this.must(p.type('struct request_list'), 'count', 'request_list');
      read = this.u32(queue + BigInt(rl + count), 'request_list.count') | 0;
      write = this.u32(queue + BigInt(rl + count + 4), 'request_list.count') | 0;
    } else ({ read, write } = this.dkstatsInFlight(gendisk));
    let drv: DiskIo['drv'];
    const inFlight = findMember(rq, 'in_flight');
    if (inFlight) {
      if (mq) drv = 'mq';
      else {
        const at = queue + BigInt(inFlight.bitOffset / 8);
        drv = (sizeOf(inFlight.member.type) ?? 4) >= 8 ? (this.u32(at, 'request_queue.in_flight') + this.u32(at + 4n, 'request_queue.in_flight')) >>> 0 : this.u32(at, 'request_queue.in_flight');
      }
    }
    return { major, gendisk, name, queue, read, write, drv };
  }

  /** Per-CPU disk_stats.in_flight[2] summed (hd_struct.dkstats, or block_device.bd_stats since v5.11). */
  private dkstatsInFlight(gendisk: bigint): { read: number; write: number } {
    const p = this.prog;
    const gd = p.type('struct gendisk');
    const part0 = this.must(gd, 'part0', 'gendisk');
    const hdStats = off(p.tryType('struct hd_struct'), 'dkstats');
    const dkstats =
      hdStats !== undefined
        ? this.ptr(gendisk + BigInt(part0 + hdStats), 'gendisk.part0.dkstats')
        : this.ptr(this.ptr(gendisk + BigInt(part0), 'gendisk.part0') + BigInt(this.must(p.type('struct block_device'), 'bd_stats', 'block_device')), 'block_device.bd_stats');
    const inFlight = BigInt(this.must(p.type('struct disk_stats'), 'in_flight', 'disk_stats'));
    let read = 0n;
    let write = 0n;
    for (const o of this.cpuOffsets()) {
      read += this.ptr(dkstats + o + inFlight, 'disk_stats.in_flight');
      write += this.ptr(dkstats + o + inFlight + 8n, 'disk_stats.in_flight');
    }
    return { read: Number(BigInt.asIntN(32, read)), write: Number(BigInt.asIntN(32, write)) };
  }

  private offsetsCache: bigint[] | undefined;
  /** __per_cpu_offset[] of the CPUs crash counts (set by the command: crash's kt->cpus). */
  cpus = 1;
  private cpuOffsets(): bigint[] {
    if (!this.offsetsCache) {
      const base = this.prog.symbolAddress('__per_cpu_offset');
      this.offsetsCache = [...Array(this.cpus).keys()].map((c) => this.prog.memory.readU64(kv(base + BigInt(c) * 8n)));
    }
    return this.offsetsCache;
  }

  /** In-flight requests of a blk-mq queue: crash's get_mq_diskio(). */
  private mqInFlight(queue: bigint): { read: number; write: number } {
    const p = this.prog;
    const req = p.tryType('struct request');
    if (off(req, 'state') === undefined) {
      // Before request.state: the per-CPU software queues' dispatched - completed counters.
      const rq = p.type('struct request_queue');
      const ctx = this.ptr(queue + BigInt(this.must(rq, 'queue_ctx', 'request_queue')), 'request_queue.queue_ctx');
      const mc = p.type('struct blk_mq_ctx');
      const disp = BigInt(this.must(mc, 'rq_dispatched', 'blk_mq_ctx'));
      const comp = BigInt(this.must(mc, 'rq_completed', 'blk_mq_ctx'));
      let read = 0n;
      let write = 0n;
      for (const o of this.cpuOffsets()) {
        const c = ctx + o;
        read += BigInt.asIntN(32, this.ptr(c + disp, 'blk_mq_ctx.rq_dispatched') - this.ptr(c + comp, 'blk_mq_ctx.rq_completed'));
        write += BigInt.asIntN(32, this.ptr(c + disp + 8n, 'blk_mq_ctx.rq_dispatched') - this.ptr(c + comp + 8n, 'blk_mq_ctx.rq_completed'));
      }
      return { read: Number(BigInt.asIntN(32, read)), write: Number(BigInt.asIntN(32, write)) };
    }
    const io = { read: 0, write: 0 };
    const rq = p.type('struct request_queue');
    let hctxs: bigint[];
    const tableOff = off(rq, 'hctx_table');
    if (tableOff !== undefined) {
      const layout = xarrayLayout(p);
      if (!layout) throw new DevError('request_queue.hctx_table: no xarray types');
      hctxs = xarrayEntries(p.memory, layout, queue + BigInt(tableOff)).map((e) => e.value);
    } else {
      const n = this.u32(queue + BigInt(this.must(rq, 'nr_hw_queues', 'request_queue')), 'request_queue.nr_hw_queues');
      const arr = this.ptr(queue + BigInt(this.must(rq, 'queue_hw_ctx', 'request_queue')), 'request_queue.queue_hw_ctx');
      try {
        hctxs = [...Array(Math.min(n, 1 << 16)).keys()].map((i) => p.memory.readU64(kv(arr + BigInt(i) * 8n)));
      } catch {
        return io;
      }
    }
    const tagsT = p.type('struct blk_mq_tags');
    const bitmapM = findMember(tagsT, 'bitmap_tags');
    const bitmapIsPtr = bitmapM !== undefined && strip(bitmapM.member.type).kind === 'pointer';
    const ts = p.type('struct blk_mq_tag_set');
    let flags = 0;
    let tagSet = 0n;
    try {
      tagSet = p.memory.readU64(kv(queue + BigInt(this.must(rq, 'tag_set', 'request_queue'))));
      flags = p.memory.readU32(kv(tagSet + BigInt(this.must(ts, 'flags', 'blk_mq_tag_set'))));
    } catch {
      /* crash reads these RETURN_ON_ERROR */
    }
    const sharedOff = off(ts, 'shared_tags');
    // BLK_MQ_F_TAG_HCTX_SHARED (1 << 3) came with the shared tag set (Linux commit 32bc15afed04, v5.10).
    if (sharedOff !== undefined && flags & (1 << 3)) {
      this.hwTags(queue, tagSet + BigInt(sharedOff), bitmapIsPtr, io);
      return io;
    }
    const tagsOff = BigInt(this.must(p.type('struct blk_mq_hw_ctx'), 'tags', 'blk_mq_hw_ctx'));
    for (const h of hctxs) if (!this.hwTags(queue, h + tagsOff, bitmapIsPtr, io)) break;
    return io;
  }

  /** crash's queue_for_each_hw_ctx(): the reserved then the normal tags of one tag map. */
  private hwTags(queue: bigint, tagsPtr: bigint, bitmapIsPtr: boolean, io: { read: number; write: number }): boolean {
    const p = this.prog;
    const tt = p.type('struct blk_mq_tags');
    let tags: bigint;
    let reserved: number;
    try {
      tags = p.memory.readU64(kv(tagsPtr));
      reserved = p.memory.readU32(kv(tags + BigInt(this.must(tt, 'nr_reserved_tags', 'blk_mq_tags'))));
    } catch {
      return false;
    }
    const sbq = (member: string): bigint | undefined => {
      let a = tags + BigInt(this.must(tt, member, 'blk_mq_tags'));
      if (bitmapIsPtr) {
        try {
          a = p.memory.readU64(kv(a));
        } catch {
          return undefined;
        }
      }
      return a;
    };
    if (reserved) {
      const a = sbq('breserved_tags');
      if (a === undefined) return false;
      this.busyTags(queue, tags, a, true, reserved, io);
    }
    const a = sbq('bitmap_tags');
    if (a === undefined) return false;
    this.busyTags(queue, tags, a, false, reserved, io);
    return true;
  }

  /** crash's bt_for_each(): each set bit of an sbitmap_queue's map is a tag; its request counted if in flight. */
  private busyTags(queue: bigint, tags: bigint, sbq: bigint, reserved: boolean, nrReserved: number, io: { read: number; write: number }): void {
    const p = this.prog;
    const sq = p.type('struct sbitmap_queue');
    const sb = p.type('struct sbitmap');
    const sw = p.type('struct sbitmap_word');
    const at = sbq + BigInt(this.must(sq, 'sb', 'sbitmap_queue'));
    const depth = p.memory.readU32(kv(at + BigInt(this.must(sb, 'depth', 'sbitmap'))));
    const shift = p.memory.readU32(kv(at + BigInt(this.must(sb, 'shift', 'sbitmap'))));
    const mapNr = p.memory.readU32(kv(at + BigInt(this.must(sb, 'map_nr', 'sbitmap'))));
    const map = p.memory.readU64(kv(at + BigInt(this.must(sb, 'map', 'sbitmap'))));
    const wordSize = BigInt(sizeOf(sw) ?? 0);
    const wordOff = BigInt(this.must(sw, 'word', 'sbitmap_word'));
    const clearedOff = off(sw, 'cleared');
    const rqsOff = BigInt(this.must(p.type('struct blk_mq_tags'), 'rqs', 'blk_mq_tags'));
    const req = p.type('struct request');
    const qOff = BigInt(this.must(req, 'q', 'request'));
    const flagsOff = BigInt(this.must(req, 'cmd_flags', 'request'));
    const stateOff = BigInt(this.must(req, 'state', 'request'));
    if (shift > 6 || mapNr > 1 << 16) return;
    let scanned = 0;
    for (let index = 0; index < mapNr && scanned < depth; index++) {
      const w = map + BigInt(index) * wordSize;
      let word: bigint;
      let cleared = 0n;
      try {
        word = p.memory.readU64(kv(w + wordOff));
        if (clearedOff !== undefined) cleared = p.memory.readU64(kv(w + BigInt(clearedOff)));
      } catch (e) {
        throw new DevError('cannot read sbitmap_word', { cause: e });
      }
      const wordDepth = Math.min(index === mapNr - 1 ? depth - (index << shift) : 1 << shift, depth - scanned);
      scanned += wordDepth;
      const bits = word & ~cleared;
      for (let nr = 0; nr < wordDepth; nr++) {
        if (!((bits >> BigInt(nr)) & 1n)) continue;
        let tag = (index << shift) + nr;
        if (!reserved) tag += nrReserved;
        try {
          const rqs = p.memory.readU64(kv(tags + rqsOff));
          const rq = p.memory.readU64(kv(rqs + BigInt(tag) * 8n));
          if (rq < 0xffff800000000000n) continue;
          const q = p.memory.readU64(kv(rq + qOff));
          const cmdFlags = p.memory.readU32(kv(rq + flagsOff));
          const state = p.memory.readU32(kv(rq + stateOff));
          // MQ_RQ_IN_FLIGHT; REQ_OP_* writes are odd.
          if (q === queue && state === 1) {
            if (cmdFlags & 0xff & 1) io.write++;
            else io.read++;
          }
        } catch {
          return;
        }
      }
    }
  }
}

/** PCI_EXP_TYPE_* names crash knows. */
const PCIE_TYPES = new Map<number, string>([
  [0x0, 'ENDPOINT'],
  [0x1, 'LEG_END'],
  [0x4, 'ROOT_PORT'],
  [0x5, 'UPSTREAM'],
  [0x6, 'DOWNSTREAM'],
  [0x7, 'PCI_BRIDGE'],
  [0x8, 'PCIE_BRIDGE'],
  [0x9, 'RC_END'],
  [0xa, 'RC_EC'],
]);

function cstr(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length && b[i] !== 0; i++) s += String.fromCharCode(b[i]);
  return s;
}
