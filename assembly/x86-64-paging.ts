// x86-64 page-table walk (4- and 5-level paging, 2 MiB and 1 GiB pages). Page-table entries are read from
// physical memory through the host (JS owns the dump formats); every entry met is recorded so the caller
// can print the walk (crash's vtop) or name the level that failed.

@external("env", "read_phys_u64")
declare function readPhysU64(addr: u64): u64;

const PRESENT: u64 = 1;
const PSE: u64 = 0x80;
/** Physical-address bits 12..51 of an entry. */
const ADDR_MASK: u64 = 0x000ffffffffff000;

// Entry address and value per level (0 = PTE, 1 = PMD, 2 = PUD, 3 = P4D, 4 = PML5/PGD top).
const entryAddr = new StaticArray<u64>(5);
const entryValue = new StaticArray<u64>(5);
let resultPhys: u64 = 0;
let failedLevel: i32 = -1;

/**
 * Translates `vaddr` under the top-level table at physical `root`. `levels` is 4 or 5; `clearMask` is removed
 * from every entry first (AMD SME's encryption bit). Returns the page-size shift of the mapping (12, 21 or 30)
 * with the address in walk_phys(), or -1 when an entry is not present (walk_failed_level() names it).
 */
export function x86_64_walk(root: u64, vaddr: u64, levels: i32, clearMask: u64): i32 {
  let table = root & ADDR_MASK;
  failedLevel = -1;
  for (let level = levels - 1; level >= 0; level--) {
    const shift = 12 + 9 * level;
    const index = (vaddr >> <u64>shift) & 511;
    const at = table + index * 8;
    const e = readPhysU64(at) & ~clearMask;
    unchecked((entryAddr[level] = at));
    unchecked((entryValue[level] = e));
    if ((e & PRESENT) == 0) {
      failedLevel = level;
      return -1;
    }
    if ((level == 1 || level == 2) && (e & PSE) != 0) {
      const size: u64 = (<u64>1) << <u64>shift;
      resultPhys = (e & ADDR_MASK & ~(size - 1)) | (vaddr & (size - 1));
      return shift;
    }
    if (level == 0) {
      resultPhys = (e & ADDR_MASK) | (vaddr & 0xfff);
      return 12;
    }
    table = e & ADDR_MASK;
  }
  return -1;
}

export function walk_phys(): u64 {
  return resultPhys;
}

export function walk_failed_level(): i32 {
  return failedLevel;
}

export function walk_entry_addr(level: i32): u64 {
  return level >= 0 && level < 5 ? unchecked(entryAddr[level]) : 0;
}

export function walk_entry(level: i32): u64 {
  return level >= 0 && level < 5 ? unchecked(entryValue[level]) : 0;
}
