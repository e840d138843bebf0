// Pairing a vmlinux with a dump: by build-id when both have one, else by linux_banner or release.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWasmNode } from '../../src/codec/wasm-node.ts';
import { ElfFile } from '../../src/debuginfo/elf.ts';
import { NodeFileSource } from '../../src/io/node-file.ts';
import { KernelMismatch, loadVmlinux, vmlinuxBanner } from '../../src/program/load.ts';
import { Vmcoreinfo } from '../../src/vmcoreinfo.ts';
import { tinyVmlinux } from '../helpers/fixtures.ts';

describe('vmlinux and dump pairing', () => {
  let banner: string;
  beforeAll(() => {
    loadWasmNode();
    banner = vmlinuxBanner(new ElfFile(NodeFileSource.open(tinyVmlinux())))!;
  });
  const open = (text: string, dumpBanner?: () => string | undefined) =>
    loadVmlinux(NodeFileSource.open(tinyVmlinux()), new Vmcoreinfo(text), { dumpBanner });

  it('reads the vmlinux banner', () => {
    expect(banner).toMatch(/^Linux version 6\.1\.192-crashlens-tiny \(crashlens@kbuild\)/);
  });

  it('refuses another build-id, naming both', () => {
    expect(() => open('OSRELEASE=6.1.192-crashlens-tiny\nBUILD-ID=4409ab2b8a5a626c1ee41412e8e6189fb23ae77c\n')).toThrow(KernelMismatch);
  });

  it('without BUILD-ID: compares the banner read from the dump', () => {
    expect(() => open('OSRELEASE=6.1.192-crashlens-tiny\n', () => `${banner}\n`)).not.toThrow();
    expect(() => open('OSRELEASE=6.1.192-crashlens-tiny\n', () => banner.replace('#1 SMP', '#2 SMP'))).toThrow(/its banner is/);
  });

  it('without BUILD-ID or a banner from the dump: compares the release', () => {
    expect(() => open('OSRELEASE=6.1.0-53-cloud-amd64\n')).toThrow(/the crashed kernel is 6\.1\.0-53-cloud-amd64/);
    expect(() => open('OSRELEASE=6.1.192-crashlens-tiny\n')).not.toThrow();
  });
});
