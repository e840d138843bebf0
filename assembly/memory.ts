// Buffers the JS side asks for once and reuses (the stub runtime never frees, so JS allocates a few
// long-lived regions and grows them only when a larger input arrives).
export function alloc(size: usize): usize {
  return heap.alloc(size);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}
