// Network reading: glibc's address formats, and devices, addresses, ARP and sockets of real dumps.
import { describe, expect, it } from 'vitest';
import { Net, ipv4, ipv6 } from '../../src/kernel/net.ts';
import { tasksOf } from '../../src/kernel/tasks.ts';
import { fixture } from '../helpers/fixtures.ts';
import { openSession } from '../helpers/sessions.ts';

const v6 = (words: number[]): Uint8Array => new Uint8Array(words.flatMap((w) => [w >> 8, w & 0xff]));

describe("inet_ntop() as glibc formats addresses", () => {
  it('IPv4 in memory order', () => expect(ipv4(new Uint8Array([127, 0, 0, 1]))).toBe('127.0.0.1'));
  it('compresses the longest run of two or more zero words, the first of equals', () => {
    expect(ipv6(v6([0, 0, 0, 0, 0, 0, 0, 0]))).toBe('::');
    expect(ipv6(v6([0, 0, 0, 0, 0, 0, 0, 1]))).toBe('::1');
    expect(ipv6(v6([0xfe80, 0, 0, 0, 0x58a9, 0xd8ff, 0xfecc, 0x3352]))).toBe('fe80::58a9:d8ff:fecc:3352');
    expect(ipv6(v6([1, 0, 0, 1, 0, 0, 0, 1]))).toBe('1:0:0:1::1');
    expect(ipv6(v6([1, 0, 0, 1, 0, 0, 1, 1]))).toBe('1::1:0:0:1:1');
    expect(ipv6(v6([1, 0, 1, 1, 1, 1, 1, 1]))).toBe('1:0:1:1:1:1:1:1');
    expect(ipv6(v6([1, 0, 0, 0, 0, 0, 0, 0]))).toBe('1::');
  });
  it('writes IPv4-mapped and -compatible tails dotted', () => {
    expect(ipv6(v6([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]))).toBe('::ffff:1.2.3.4');
    expect(ipv6(v6([0, 0, 0, 0, 0, 0, 0x0102, 0x0304]))).toBe('::1.2.3.4');
  });
});

describe('network state of real dumps', () => {
  it('tiny kernel: lo with 127.0.0.1, its ARP entry, nc\'s TCP socket', () => {
    const s = openSession(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
    const net = new Net(s.program);
    const devs = net.devices(s.program.symbolAddress('init_task'));
    expect(devs).toEqual([0xff2d6b9b802ab000n]);
    expect(net.deviceName(devs[0])).toBe('lo');
    expect(net.ipv4Addresses(devs[0])).toEqual(['127.0.0.1']);
    expect(net.arp()?.map((n) => [n.address, n.ip, n.devName, n.state])).toEqual([[0xff2d6b9b8035d600n, '0.0.0.0', 'lo', 0x40]]);
    const nc = tasksOf(s).byPid(43)[0];
    const files = net.openFiles(nc.task);
    expect(files.kind).toBe('files');
    const socks = files.kind === 'files' ? files.fds.map((f) => net.socketOf(f.fd, f.file)).filter((x) => x !== undefined) : [];
    expect(socks).toEqual([{ fd: 4, socket: 0xff2d6b9b8043ebc0n, sock: 0xff2d6b9b80994040n }]);
    expect(net.sockInfo(socks[0].sock)).toBe('INET:STREAM  127.0.0.1-4444 127.0.0.1-45412');
  });

  it('Debian kernel (BTF): an IPv6 link-local address', () => {
    const s = openSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf');
    const net = new Net(s.program);
    const devs = net.devices(s.program.symbolAddress('init_task'));
    expect(devs.map((d) => net.deviceName(d))).toEqual(['lo', 'dummy0', 'fixdummy0']);
    expect(net.ipv6Addresses(devs[2])).toEqual(['fe80::58a9:d8ff:fecc:3352']);
    expect(net.arp()).toEqual([]);
  });
});
