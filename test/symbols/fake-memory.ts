// Kernel memory made of byte regions at virtual addresses, for tests built in code.
import type { KVAddr, PhysAddr } from '../../src/addr.ts';
import type { KernelMemory } from '../../src/arch/kernel-memory.ts';
import { CrashlensError } from '../../src/errors.ts';

export class FakeMemory implements KernelMemory {
  private readonly regions: { start: bigint; bytes: Uint8Array }[] = [];

  /** Maps bytes at start; `pad` zero bytes follow, as the rest of a kernel image would. */
  map(start: bigint, bytes: Uint8Array, pad = 0): void {
    const b = new Uint8Array(bytes.length + pad);
    b.set(bytes);
    this.regions.unshift({ start, bytes: b });
  }

  read(addr: KVAddr, length: number): Uint8Array {
    for (const r of this.regions) {
      const off = addr - r.start;
      if (off >= 0n && off + BigInt(length) <= BigInt(r.bytes.length)) return r.bytes.subarray(Number(off), Number(off) + length);
    }
    throw new CrashlensError(`fake memory: nothing mapped at 0x${addr.toString(16)} for ${length} bytes`);
  }
  readU8(addr: KVAddr): number {
    return this.read(addr, 1)[0];
  }
  readU16(addr: KVAddr): number {
    const b = this.read(addr, 2);
    return new DataView(b.buffer, b.byteOffset, 2).getUint16(0, true);
  }
  readU32(addr: KVAddr): number {
    const b = this.read(addr, 4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }
  readU64(addr: KVAddr): bigint {
    const b = this.read(addr, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
  readCString(addr: KVAddr, max = 4096): string {
    let s = '';
    for (let i = 0; i < max; i++) {
      const c = this.readU8((addr + BigInt(i)) as KVAddr);
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }
  translate(addr: KVAddr): PhysAddr {
    throw new CrashlensError(`fake memory: no translation for 0x${addr.toString(16)}`);
  }
}

export function le32(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return out;
}

export function le64(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setBigUint64(i * 8, BigInt.asUintN(64, x), true));
  return out;
}
