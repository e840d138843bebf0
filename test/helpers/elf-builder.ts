// Builds a small ELF64 little-endian file in memory with the given sections, for tests that need a vmlinux
// shape (section headers, names) around real section contents.
export interface SectionSpec {
  name: string;
  type?: number; // SHT_PROGBITS by default
  flags?: bigint;
  addr?: bigint;
  data: Uint8Array;
  link?: number;
  entsize?: number;
}

export function buildElf(sections: SectionSpec[], type = 2 /* ET_EXEC */): Uint8Array {
  const names = ['', ...sections.map((s) => s.name), '.shstrtab'];
  const strtab: number[] = [];
  const nameOffsets = names.map((n) => {
    const at = strtab.length;
    for (const c of n) strtab.push(c.charCodeAt(0));
    strtab.push(0);
    return at;
  });
  const all = [...sections, { name: '.shstrtab', type: 3, data: Uint8Array.from(strtab) }];
  let offset = 64;
  const placed = all.map((s) => {
    offset = (offset + 7) & ~7;
    const at = offset;
    offset += s.data.length;
    return at;
  });
  const shoff = (offset + 7) & ~7;
  const out = new Uint8Array(shoff + 64 * (all.length + 1));
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, type, true);
  v.setUint16(18, 62, true); // EM_X86_64
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, all.length + 1, true);
  v.setUint16(62, all.length, true);
  all.forEach((s, i) => {
    out.set(s.data, placed[i]);
    const h = shoff + 64 * (i + 1);
    v.setUint32(h, nameOffsets[i + 1], true);
    v.setUint32(h + 4, s.type ?? 1, true);
    v.setBigUint64(h + 8, (s as SectionSpec).flags ?? 0n, true);
    v.setBigUint64(h + 16, (s as SectionSpec).addr ?? 0n, true);
    v.setBigUint64(h + 24, BigInt(placed[i]), true);
    v.setBigUint64(h + 32, BigInt(s.data.length), true);
    v.setUint32(h + 40, (s as SectionSpec).link ?? 0, true);
    v.setBigUint64(h + 56, BigInt((s as SectionSpec).entsize ?? 0), true);
  });
  return out;
}
