// The DWARF sections of one ELF file, loaded lazily. Small sections (.debug_abbrev, .debug_str,
// .debug_str_offsets, .debug_addr, ...) are read whole once; .debug_info is read one unit at a time through
// the file's block cache, unless it is compressed (then it has to be inflated whole).
import type { ElfFile, ElfSection } from '../elf.ts';
import { SHF_COMPRESSED } from '../elf.ts';
import { DwarfError, latin1 } from './reader.ts';

export class DwarfSections {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(readonly elf: ElfFile) {}

  private readonly strings = new Map<number, string>();

  /**
   * A NUL-terminated string of .debug_str / .debug_line_str. .debug_str strings are cached by offset: the
   * linker merges duplicates, so thousands of units name "list_head" at the same offset.
   */
  string(section: string, offset: number): string {
    const cacheable = section === '.debug_str';
    if (cacheable) {
      const hit = this.strings.get(offset);
      if (hit !== undefined) return hit;
    }
    const s = this.get(section);
    if (offset >= s.length) throw new DwarfError(section, offset, 'string offset past the end of the section');
    let end = s.indexOf(0, offset);
    if (end < 0) end = s.length;
    const out = latin1(s, offset, end);
    if (cacheable) this.strings.set(offset, out);
    return out;
  }

  has(name: string): boolean {
    return this.elf.section(name) !== undefined;
  }

  /** The whole section (empty if absent). */
  get(name: string): Uint8Array {
    let d = this.cache.get(name);
    if (!d) {
      const s = this.elf.section(name);
      // No copy: a view into the file's cache block stays valid after the block is evicted.
      d = s ? this.elf.sectionData(s) : new Uint8Array(0);
      this.cache.set(name, d);
    }
    return d;
  }

  private infoSection(): ElfSection | undefined {
    return this.elf.section('.debug_info');
  }

  get infoSize(): number {
    const s = this.infoSection();
    if (!s) return 0;
    return (s.flags & BigInt(SHF_COMPRESSED)) !== 0n ? this.get('.debug_info').length : s.size;
  }

  /** Bytes [offset, offset+length) of .debug_info. */
  info(offset: number, length: number): Uint8Array {
    const s = this.infoSection();
    if (!s) return new Uint8Array(0);
    if ((s.flags & BigInt(SHF_COMPRESSED)) !== 0n) return this.get('.debug_info').subarray(offset, offset + length);
    if (offset + length > s.size) length = Math.max(0, s.size - offset);
    return this.elf.source.read(s.offset + offset, length);
  }
}
