// Addresses of different spaces are different types, so a physical address can never be passed where a
// kernel-virtual one is expected (Perfetto's brand.ts idea). All are bigint: kernel addresses exceed 2^53.
declare const space: unique symbol;
export type PhysAddr = bigint & { readonly [space]: 'phys' };
export type KVAddr = bigint & { readonly [space]: 'kvaddr' };

export const phys = (a: bigint | number): PhysAddr => BigInt(a) as PhysAddr;
export const kv = (a: bigint | number): KVAddr => BigInt.asUintN(64, BigInt(a)) as KVAddr;

/** Lower-case hex without prefix, as crash prints addresses. */
export const hex = (a: bigint | number): string => BigInt(a).toString(16);
