// Typed errors. Each carries what a user needs to find the problem: the file, the offset, the address.
import { hex } from './addr.ts';

export class CrashlensError extends Error {
  override name = 'CrashlensError';
}

/** A dump file is not what it claims, or is damaged in a way that stops us reading it. */
export class DumpFormatError extends CrashlensError {
  override name = 'DumpFormatError';
  constructor(readonly file: string, message: string, readonly offset?: number) {
    super(`${file}: ${message}${offset !== undefined ? ` (at file offset 0x${offset.toString(16)})` : ''}`);
  }
}

/** Reading a byte source past its end, or a read the source itself failed. */
export class ReadError extends CrashlensError {
  override name = 'ReadError';
  constructor(readonly file: string, readonly offset: number, readonly length: number, why: string) {
    super(`${file}: cannot read ${length} bytes at offset 0x${offset.toString(16)}: ${why}`);
  }
}

/** Why a physical page cannot be read. */
export type PageMissingReason =
  | 'excluded' // filtered out by makedumpfile (-d): RAM that the dump chose not to keep
  | 'absent' // not in the dump at all (not RAM, or outside every segment)
  | 'lost'; // should be there, but the dump is incomplete or truncated

export class PageMissing extends CrashlensError {
  override name = 'PageMissing';
  constructor(readonly pfn: bigint, readonly reason: PageMissingReason, readonly file: string, detail = '') {
    super(`${file}: page ${reason}: pfn 0x${hex(pfn)} (physical address 0x${hex(pfn << 12n)})${detail ? `: ${detail}` : ''}`);
  }
}

/** A page's compressed data does not decompress to exactly one page. */
export class PageCorrupt extends CrashlensError {
  override name = 'PageCorrupt';
  constructor(readonly pfn: bigint, readonly codec: string, readonly file: string, detail: string) {
    super(`${file}: corrupt ${codec} page: pfn 0x${hex(pfn)}: ${detail}`);
  }
}

/** A compression codec that the dump uses and we cannot decode. */
export class UnsupportedCodec extends CrashlensError {
  override name = 'UnsupportedCodec';
}

export const PAGING_LEVEL_NAMES = ['PTE', 'PMD', 'PUD', 'P4D', 'PGD'] as const;

/** A virtual address has no translation: names the level, the index into it and the raw entry. */
export class PageNotPresent extends CrashlensError {
  override name = 'PageNotPresent';
  constructor(readonly vaddr: bigint, readonly level: string, readonly index: number, readonly entry: bigint) {
    super(`virtual address 0x${hex(vaddr)} not mapped: ${level.toLowerCase()} not present: ${level.toLowerCase()}[${index}] = 0x${hex(entry)}`);
  }
}

/** A VMCOREINFO key that the dump lacks, or a value we cannot parse. */
export class VmcoreinfoError extends CrashlensError {
  override name = 'VmcoreinfoError';
}

/** A command's own error: printed as crash prints it ("rd: invalid address: ..."). */
export class CommandError extends CrashlensError {
  override name = 'CommandError';
}
