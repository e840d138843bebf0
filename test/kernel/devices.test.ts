// Device reading on real dumps: chrdevs chains and their cdevs, block majors and their gendisks (through
// blockdev_superblock's inodes, Linux 5.11+), the block class's disks, resources and PCI.
import { describe, expect, it } from 'vitest';
import { Devices } from '../../src/kernel/devices.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openSession } from '../helpers/sessions.ts';

describe('devices of real dumps', () => {
  it('tiny kdump capture: char majors in hash order, a virtio disk with no request in flight', () => {
    const s = openSession(fixture('t-tiny-la57', 'kdump-path-d31-lzo.kdump'), 'dwarf');
    const d = new Devices(s.program);
    expect(d.charDevices().map((c) => c.major)).toEqual([1, 2, 3, 4, 5, 5, 5, 10, 128, 136]);
    expect(d.blockMajors().map((b) => [b.major, b.name])).toEqual([
      [259, 'blkext'],
      [254, 'virtblk'],
    ]);
    const disks = d.disks();
    expect(disks).toEqual([0xff160777c095ba00n]);
    expect(d.diskIo(disks[0])).toMatchObject({ major: 254, name: 'vda', queue: 0xff160777c0963c00n, read: 0, write: 0, drv: undefined });
  });

  it("k-kdump (BTF): the loop driver's gendisk, found through its block_device inode", () => {
    const s = openSession(fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump'), 'btf');
    const d = new Devices(s.program);
    expect(d.blockMajors().find((b) => b.major === 7)?.gendisk).toBe(0xffff8ab0a1c3a800n);
    const io = d.resources('ioport_resource');
    expect(io.size).toBe(4);
    expect(io.entries[0]).toMatchObject({ start: 0n, end: 0xffffn, name: 'PCI IO' });
    expect(d.pciRootBuses()).toHaveLength(1);
  });
});
