// crash's readmem(FAULT_ON_ERROR) for the kernel helpers: a failed read stops the command with crash's
// message, naming the address and crash's type string for what was being read.
import { hex, kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import type { Program } from '../program/program.ts';

/** A read crash makes with FAULT_ON_ERROR failed: it stops the command with this message. */
export class KernelReadError extends CrashlensError {
  override name = 'KernelReadError';
  constructor(
    readonly address: bigint,
    /** crash's readmem() type string. */
    readonly what: string,
    cause: unknown,
    /** crash's memtype word: a kernel virtual or a physical address. */
    readonly space: 'kernel virtual' | 'physical' = 'kernel virtual',
  ) {
    super(`read error: ${space} address: ${hex(address)}  type: "${what}"`, { cause });
  }
}

/** `size` bytes at a kernel virtual address, or KernelReadError with crash's type string. */
export function readmem(prog: Program, addr: bigint, size: number, what: string): Uint8Array {
  try {
    return prog.memory.read(kv(addr), size);
  } catch (e) {
    if (e instanceof CrashlensError) throw new KernelReadError(addr, what, e);
    throw e;
  }
}

/** A pointer at a kernel virtual address, or KernelReadError. */
export function readPointer(prog: Program, addr: bigint, what: string): bigint {
  const b = readmem(prog, addr, 8, what);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}
