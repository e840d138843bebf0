// Opening a dump: the format is decided by the first bytes, never by the file name.
//   ELF magic, ET_CORE        -> elf-vmcore
//   "KDUMP   " / "DISKDUMP"   -> kdump-compressed
//   "makedumpfile"            -> flattened stream, then whichever of the two it holds
// Several files are the parts of one split KDUMP dump.
import { DumpFormatError, ReadError } from '../errors.ts';
import type { ByteSource } from '../io/byte-source.ts';
import { latin1, preview } from './binary.ts';
import type { DumpFile, DumpKind, OpenOptions } from './dump-file.ts';
import { ELF_MAGIC, ElfVmcore } from './elf-vmcore.ts';
import { FlattenedSource, isFlattened } from './flattened.ts';
import { DISKDUMP_SIGNATURE, KDUMP_SIGNATURE, KdumpFile } from './kdump-compressed.ts';
import { SplitKdump } from './split.ts';

export type { DumpFile, DumpKind, OpenOptions } from './dump-file.ts';

const SNIFF_BYTES = 64;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_CORE = 4;

function head(src: ByteSource): Uint8Array {
  try {
    return src.read(0, Math.min(SNIFF_BYTES, src.size));
  } catch (e) {
    if (e instanceof ReadError) throw new DumpFormatError(src.name, `cannot read the first bytes: ${e.message}`, 0);
    throw e;
  }
}

/** What a file is, from its first bytes. 'elf-vmlinux' is an ELF executable or shared object (a kernel image). */
export function sniffBytes(b: Uint8Array): DumpKind {
  if (b.length >= 4 && ELF_MAGIC.every((m, i) => b[i] === m)) {
    if (b.length < 18) return 'unknown';
    const type = b[5] === 2 ? (b[16]! << 8) | b[17]! : b[16]! | (b[17]! << 8);
    if (type === ET_CORE) return 'elf-core';
    if (type === ET_EXEC || type === ET_DYN) return 'elf-vmlinux';
    return 'unknown';
  }
  if (b.length >= 8) {
    const sig = latin1(b.subarray(0, 8));
    if (sig === KDUMP_SIGNATURE || sig === DISKDUMP_SIGNATURE) return 'kdump';
  }
  if (isFlattened(b)) return 'flattened';
  return 'unknown';
}

export function sniff(src: ByteSource): DumpKind {
  return sniffBytes(head(src));
}

/** Opens one file as a dump (a split part opens as itself; openDump() assembles sets). */
export function openOne(src: ByteSource, opts: OpenOptions = {}): ElfVmcore | KdumpFile {
  const first = head(src);
  const kind = sniffBytes(first);
  switch (kind) {
    case 'elf-core':
      return ElfVmcore.open(src);
    case 'kdump':
      return KdumpFile.open(src);
    case 'flattened': {
      const flat = new FlattenedSource(src, { onProgress: opts.onProgress });
      const inner = flat.size > 0 ? sniffBytes(flat.read(0, Math.min(SNIFF_BYTES, flat.size))) : 'unknown';
      if (inner === 'kdump') return KdumpFile.open(flat, { formatPrefix: 'flattened ', container: flat });
      if (inner === 'elf-core') return ElfVmcore.open(flat, { formatPrefix: 'flattened ', container: flat });
      const start = flat.size > 0 ? preview(flat.read(0, Math.min(16, flat.size))) : 'nothing';
      throw new DumpFormatError(src.name, `flattened stream does not hold a KDUMP or ELF dump: the rebuilt file starts with ${start}`, 0);
    }
    case 'elf-vmlinux':
      throw new DumpFormatError(src.name, 'is an ELF executable (a kernel image such as vmlinux?), not a crash dump', 0);
    default:
      throw new DumpFormatError(src.name, `not a crash dump (ELF core, KDUMP or flattened): it starts with ${preview(first)}`, 0);
  }
}

/**
 * Opens a dump from one file, or the parts of a split KDUMP dump from several. Throws DumpFormatError for
 * anything that is not a dump we can read, naming the file.
 */
export function openDump(sources: ByteSource[], opts: OpenOptions = {}): DumpFile {
  if (sources.length === 0) throw new DumpFormatError('(no files)', 'no dump file given');
  const dumps = sources.map((s, i) =>
    openOne(s, {
      onProgress: opts.onProgress && ((f, what) => opts.onProgress!((i + f) / sources.length, what)),
    }),
  );
  if (dumps.length === 1) {
    const d = dumps[0]!;
    return d instanceof KdumpFile && d.splitRange ? new SplitKdump([d]) : d;
  }
  const parts: KdumpFile[] = [];
  for (const d of dumps) {
    if (!(d instanceof KdumpFile))
      throw new DumpFormatError(d.fileName, `is ${d.format}: several files must all be parts of one split KDUMP dump`);
    parts.push(d);
  }
  return new SplitKdump(parts);
}
