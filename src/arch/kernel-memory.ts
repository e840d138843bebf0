// Kernel virtual memory: what kernel helpers (printk, tasks, ...) read through. Implemented by the
// address-translation layer over a dump's physical memory.
import type { KVAddr, PhysAddr } from '../addr.ts';

export interface KernelMemory {
  /** Bytes at a kernel virtual address (may cross pages). Throws PageNotPresent / PageMissing. */
  read(addr: KVAddr, length: number): Uint8Array;
  readU8(addr: KVAddr): number;
  readU16(addr: KVAddr): number;
  readU32(addr: KVAddr): number;
  readU64(addr: KVAddr): bigint;
  /** A NUL-terminated string of at most `max` bytes. */
  readCString(addr: KVAddr, max?: number): string;
  /** Translates a kernel virtual address to physical. Throws PageNotPresent. */
  translate(addr: KVAddr): PhysAddr;
}
