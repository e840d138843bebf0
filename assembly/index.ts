// The WASM module: page decompression and page-table walking, the engine's hot loops.
// Convention for every codec: f(src: usize, srcLen: i32, dst: usize, dstCap: i32): i32 returns the number of
// bytes written to dst, or a negative error code from ./status.ts. Codecs never write past dst+dstCap and
// never read past src+srcLen.
export { alloc, free } from './memory';
export * from './status';
export * from './x86-64-paging';
export * from './lzo1x';
export * from './snappy';
export * from './inflate';
export * from './zstd';
