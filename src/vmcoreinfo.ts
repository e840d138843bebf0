// VMCOREINFO: the key=value text the kernel leaves for dump tools (kernel/crash_core.c). Values are typed
// by their key's form: SYMBOL(x) and ADDRESS(x) are hex addresses, SIZE/OFFSET/LENGTH are decimal,
// NUMBER(x) is decimal (possibly negative) or 0x-hex, KERNELOFFSET is hex without a prefix.
import { type KVAddr, kv } from './addr.ts';
import { VmcoreinfoError } from './errors.ts';

export class Vmcoreinfo {
  readonly entries = new Map<string, string>();

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) this.entries.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    }
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  raw(key: string): string | undefined {
    return this.entries.get(key);
  }

  private need(key: string): string {
    const v = this.entries.get(key);
    if (v === undefined) throw new VmcoreinfoError(`VMCOREINFO has no ${key}`);
    return v;
  }

  private static int(key: string, v: string, hexDefault: boolean): bigint {
    const s = v.trim();
    const neg = s.startsWith('-');
    const body = neg ? s.slice(1) : s;
    let n: bigint;
    if (/^0x[0-9a-f]+$/i.test(body)) n = BigInt(body);
    else if (hexDefault && /^[0-9a-f]+$/i.test(body)) n = BigInt(`0x${body}`);
    else if (/^[0-9]+$/.test(body)) n = BigInt(body);
    else throw new VmcoreinfoError(`VMCOREINFO ${key}=${v}: not a number`);
    return neg ? -n : n;
  }

  /** SYMBOL(name): a kernel virtual address. */
  symbol(name: string): KVAddr {
    const key = `SYMBOL(${name})`;
    return kv(Vmcoreinfo.int(key, this.need(key), true));
  }

  trySymbol(name: string): KVAddr | undefined {
    return this.has(`SYMBOL(${name})`) ? this.symbol(name) : undefined;
  }

  /** OFFSET(struct.member) in bytes. */
  offset(member: string): number {
    const key = `OFFSET(${member})`;
    return Number(Vmcoreinfo.int(key, this.need(key), false));
  }

  size(type: string): number {
    const key = `SIZE(${type})`;
    return Number(Vmcoreinfo.int(key, this.need(key), false));
  }

  length(name: string): number {
    const key = `LENGTH(${name})`;
    return Number(Vmcoreinfo.int(key, this.need(key), false));
  }

  /** NUMBER(name): signed; decimal or 0x-hex. */
  number(name: string): bigint {
    const key = `NUMBER(${name})`;
    return Vmcoreinfo.int(key, this.need(key), false);
  }

  tryNumber(name: string): bigint | undefined {
    return this.has(`NUMBER(${name})`) ? this.number(name) : undefined;
  }

  get osrelease(): string | undefined {
    return this.raw('OSRELEASE');
  }

  get buildId(): string | undefined {
    return this.raw('BUILD-ID');
  }

  get pageSize(): number {
    return this.has('PAGESIZE') ? Number(Vmcoreinfo.int('PAGESIZE', this.need('PAGESIZE'), false)) : 4096;
  }

  /** KASLR displacement of the kernel image (KERNELOFFSET, hex without prefix); 0 if absent. */
  get kernelOffset(): bigint {
    const v = this.raw('KERNELOFFSET');
    return v === undefined ? 0n : Vmcoreinfo.int('KERNELOFFSET', v, true);
  }

  /** CRASHTIME: seconds since the epoch when the dump was taken (kdump only). */
  get crashTime(): bigint | undefined {
    const v = this.raw('CRASHTIME');
    return v === undefined ? undefined : Vmcoreinfo.int('CRASHTIME', v, false);
  }
}
