// `log` on every fixture dump must print exactly what crash 8.0.6 printed for it (crash/<dump>/log.txt).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { Session } from '../../src/engine/session.ts';
import { formatLog, sessionLog } from '../../src/commands/log.ts';
import { FIXTURES, allDumps, fixture } from '../helpers/fixtures.ts';

loadWasmNode();
const opened: NodeFileSource[] = [];
afterAll(() => {
  for (const s of opened) s.close();
});

function open(path: string): Session {
  const src = NodeFileSource.open(path);
  opened.push(src);
  return Session.open([src]);
}

describe('log matches crash', () => {
  for (const d of allDumps()) {
    const ref = join(d.crashDir, 'log.txt');
    it.skipIf(!existsSync(ref))(`${d.scenario}/${d.name}`, () => {
      const s = open(d.path);
      const r = s.run('log');
      expect(r.failed).toBe(false);
      expect(r.output).toBe(readFileSync(ref, 'utf8'));
    });
  }
});

describe('log on a real dump', () => {
  it('agrees with vmcore-dmesg (the kernel tools view of the same k-kdump log)', () => {
    const s = open(fixture('k-kdump', 'kdump-mdf-d31-lzo.kdump').path);
    // vmcore-dmesg prints continuation lines unindented; crash indents them under the timestamp.
    const ours = s.run('log').output.replace(/^ {15}/gm, '');
    expect(ours).toBe(readFileSync(join(FIXTURES, 'k-kdump', 'dumps', 'vmcore-dmesg.txt'), 'utf8'));
  });

  // crash 8.0.6's output for each option on the tiny kernel's dump (its 201-line log), by sha256: crash was
  // run with the tiny vmlinux; pid_max there is 32768, so -c's column is 6 wide, our default too.
  const CRASH_SHA256: Record<string, string> = {
    '-m': '399379ac72c3a39baeee2a52b8544bb0ee0ae8dd4d7d0ee4df775a0ae11955b8',
    '-d': '07e61e492ab9641aab78d75ed5b2ae7987f3fc636f09b915a2c8423635aca8df',
    '-t': 'e4c8a154b8211d2a7a60979b1efb486e45c4c39ea667ad1e0d6205caec111d22',
    '-c': 'f3d7c233af135456caa4cfef6c6b30cddd607c02bf0c921255e24d1f3eb43f3e',
    '-tdm': '87e07a8d60ef3bd7f5be1f56002e22e5a6e9b4bb3eb540deb88edd6a72223622',
    '-tc': '8d111b10224a021420dbf76349aa99f08c1411515cd684260e83e02d5a6635e4',
    '-mc': '65216eccf44fa0df28c5395b3d1c1c69f8625ff5d059d83fa48974cf092462dc',
    '-s': createHash('sha256').update('').digest('hex'),
  };
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

  it('options print what crash printed for them', () => {
    const s = open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path);
    for (const [opt, want] of Object.entries(CRASH_SHA256)) expect([opt, sha(s.run(`log ${opt}`).output)]).toEqual([opt, want]);
    expect(s.run('log -d').output.split('\n').slice(103, 106)).toEqual([
      '[    0.519284] pci_bus 0000:00: root bus resource [io  0x0000-0xffff]',
      '               SUBSYSTEM=pci_bus',
      '               DEVICE=+pci_bus:0000:00',
    ]);
    // -T with the boot time crash computed (xtime less jiffies uptime), which VMCOREINFO alone cannot give.
    const t = formatLog(sessionLog(s), { ctime: true }, { bootTime: 1795695203n });
    expect(sha(t)).toBe('2163c789e34f843d0cd15ad55cf8a73996dee4d000aab1982af5ba678b2404c6');
  });

  it('prints crash usage for a bad option, as a failure', () => {
    const s = open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path);
    const r = s.run('log -x');
    expect(r.failed).toBe(true);
    expect(r.output).toBe('log: invalid option -- \'x\'\nUsage:\n  log [-Ttdmasc]\nEnter "help log" for details.\n');
  });

  it('the session finds the panic line in the log', () => {
    const s = open(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump').path);
    expect(s.summary().panic).toBe('Kernel panic - not syncing: sysrq triggered crash');
  });
});
