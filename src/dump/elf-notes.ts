// ELF note parsing for dump notes: NT_PRSTATUS (per-CPU registers), VMCOREINFO and QEMU's per-CPU state.
// Used for an ELF core's PT_NOTE segments and for a KDUMP file's note area (offset_note), which holds the
// same bytes. Damage never throws: parsing stops at the first note that does not fit and says where.
import { latin1 } from './binary.ts';
import type { CpuRegisters, DumpNotes, PrStatus, QemuCpuState } from './physical-memory.ts';

export const NT_PRSTATUS = 1;

/** One note as found, for describe() and for callers that want other note types. */
export interface NoteEntry {
  name: string;
  type: number;
  /** File offset of the note header. */
  offset: number;
  /** The descriptor bytes: a view into the parser's own copy of the note area, safe to keep. */
  desc: Uint8Array;
}

export interface ParsedNotes extends DumpNotes {
  entries: NoteEntry[];
  warnings: string[];
}

/** user_regs_struct field order, as in elf_prstatus.pr_reg (x86-64). */
export const PR_REG_ORDER = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const satisfies readonly (keyof CpuRegisters)[];

// struct elf_prstatus (x86-64): pr_pid at 32, pr_reg (27 u64) at 112, pr_fpvalid at 328; 336 bytes.
const PRSTATUS_PID = 32;
const PRSTATUS_REG = 112;
const PRSTATUS_MIN = PRSTATUS_REG + PR_REG_ORDER.length * 8;

// QEMUCPUState (QEMU target/i386/arch_dump.c): u32 version, u32 size, 16 GPRs + rip + rflags, then ten
// 24-byte segments {u32 selector, limit, flags, pad; u64 base} (cs ds es fs gs ss ldt tr gdt idt),
// u64 cr[5], then in newer QEMUs the optional u64 kernel_gs_base (present when size >= 440).
const QEMU_GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const QEMU_RIP = 8 + 16 * 8;
const QEMU_SEG = QEMU_RIP + 16;
const QEMU_SEG_SIZE = 24;
const QEMU_SEGS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss'] as const;
const QEMU_CR = QEMU_SEG + 10 * QEMU_SEG_SIZE;
const QEMU_MIN = QEMU_CR + 5 * 8;
const QEMU_KGS = QEMU_MIN;

/** Upper bound on the note bytes we read from one dump: real ones are well under 1 KiB per CPU. */
export const MAX_NOTES_BYTES = 16 << 20;

export function emptyNotes(): ParsedNotes {
  return { prstatus: [], qemuCpus: [], entries: [], warnings: [] };
}

/**
 * Parses one note area; `fileOffset` is where it starts in `file` (for messages).
 * Results are appended to `into` so several PT_NOTE segments make one list in file order.
 */
export function parseNotes(area: Uint8Array, file: string, fileOffset: number, into: ParsedNotes = emptyNotes()): ParsedNotes {
  // Our own copy: the caller's bytes may be a view into a block cache, and entries keep views into it.
  const bytes = area.slice();
  // Linux pads notes to 4 bytes; a few writers pad ELF64 notes to 8 as the gABI says. Use 8 only when 4
  // runs into a bad header and 8 reads the area cleanly.
  let walk = walkNotes(bytes, 4);
  if (walk.bad >= 0) {
    const eight = walkNotes(bytes, 8);
    if (eight.bad < 0 && eight.notes.length > 0) {
      walk = eight;
      into.warnings.push(`${file}: notes at file offset 0x${fileOffset.toString(16)} are padded to 8 bytes, not 4`);
    }
  }
  for (const n of walk.notes) {
    const entry = { name: n.name, type: n.type, offset: fileOffset + n.at, desc: n.desc };
    into.entries.push(entry);
    interpret(entry.name, entry.type, entry.desc, file, entry.offset, into);
  }
  if (walk.bad >= 0) {
    const v = new DataView(bytes.buffer, bytes.byteOffset + walk.bad);
    into.warnings.push(
      `${file}: note at file offset 0x${(fileOffset + walk.bad).toString(16)} (namesz ${v.getUint32(0, true)}, descsz ${v.getUint32(4, true)}) runs past the end of its ${bytes.length}-byte note area; ignoring it and any after it`,
    );
  }
  return into;
}

interface RawNote {
  name: string;
  type: number;
  at: number;
  desc: Uint8Array;
}

/** Notes in order, and the offset of the first header that does not fit (-1 if none). */
function walkNotes(bytes: Uint8Array, align: 4 | 8): { notes: RawNote[]; bad: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pad = (n: number): number => Math.ceil(n / align) * align;
  const notes: RawNote[] = [];
  let off = 0;
  while (off + 12 <= bytes.length) {
    const namesz = view.getUint32(off, true);
    const descsz = view.getUint32(off + 4, true);
    const type = view.getUint32(off + 8, true);
    // The kernel ends each CPU's note buffer with an empty note; after it there is only padding.
    if (namesz === 0 && descsz === 0) break;
    const nameStart = off + 12;
    const descStart = nameStart + pad(namesz);
    if (namesz > bytes.length || descStart > bytes.length || descsz > bytes.length - descStart) return { notes, bad: off };
    const nameBytes = bytes.subarray(nameStart, nameStart + namesz);
    const nul = nameBytes.indexOf(0);
    notes.push({ name: latin1(nul < 0 ? nameBytes : nameBytes.subarray(0, nul)), type, at: off, desc: bytes.subarray(descStart, descStart + descsz) });
    off = descStart + pad(descsz);
  }
  return { notes, bad: -1 };
}

function interpret(name: string, type: number, desc: Uint8Array, file: string, at: number, into: ParsedNotes): void {
  const dv = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  if (name === 'CORE' && type === NT_PRSTATUS) {
    if (desc.length < PRSTATUS_MIN) {
      into.warnings.push(`${file}: NT_PRSTATUS note at file offset 0x${at.toString(16)} has ${desc.length} bytes, need ${PRSTATUS_MIN}; ignored`);
      return;
    }
    into.prstatus.push(prstatus(dv));
  } else if (name === 'VMCOREINFO') {
    // The first one wins: a dump carries one; later copies (if any) are ignored.
    into.vmcoreinfo ??= vmcoreinfoText(desc);
  } else if (name === 'QEMU') {
    const cpu = qemuCpu(dv);
    if (cpu) into.qemuCpus.push(cpu);
    else into.warnings.push(`${file}: QEMU CPU-state note at file offset 0x${at.toString(16)} has ${desc.length} bytes, need ${QEMU_MIN}; ignored`);
  }
}

function prstatus(dv: DataView): PrStatus {
  const regs = {} as Record<keyof CpuRegisters, bigint>;
  PR_REG_ORDER.forEach((r, i) => (regs[r] = dv.getBigUint64(PRSTATUS_REG + i * 8, true)));
  return { pid: dv.getInt32(PRSTATUS_PID, true), regs };
}

function qemuCpu(dv: DataView): QemuCpuState | null {
  if (dv.byteLength < QEMU_MIN) return null;
  // The note's own size field may be smaller than the descriptor (padding) or claim more: trust the smaller.
  const size = Math.min(dv.getUint32(4, true), dv.byteLength);
  const q = (at: number): bigint => dv.getBigUint64(at, true);
  const regs = {} as Record<keyof CpuRegisters, bigint>;
  QEMU_GPRS.forEach((r, i) => (regs[r] = q(8 + i * 8)));
  regs.rip = q(QEMU_RIP);
  regs.eflags = q(QEMU_RIP + 8);
  QEMU_SEGS.forEach((s, i) => (regs[s] = BigInt(dv.getUint32(QEMU_SEG + i * QEMU_SEG_SIZE, true))));
  regs.fs_base = q(QEMU_SEG + 3 * QEMU_SEG_SIZE + 16);
  regs.gs_base = q(QEMU_SEG + 4 * QEMU_SEG_SIZE + 16);
  regs.orig_rax = 0n; // QEMU has no such register: it only exists in a task's saved pt_regs
  return {
    regs,
    cr0: q(QEMU_CR),
    cr2: q(QEMU_CR + 16),
    cr3: q(QEMU_CR + 24),
    cr4: q(QEMU_CR + 32),
    kernelGsBase: size >= QEMU_KGS + 8 ? q(QEMU_KGS) : 0n,
  };
}

/** VMCOREINFO descriptor text without the trailing NUL padding some writers add. */
export function vmcoreinfoText(desc: Uint8Array): string {
  let end = desc.length;
  while (end > 0 && desc[end - 1] === 0) end--;
  return latin1(desc.subarray(0, end));
}

/** Lines describing the notes, for help -D style output. */
export function describeNotes(n: ParsedNotes): string[] {
  const out = [`notes: ${n.entries.length} (${n.prstatus.length} NT_PRSTATUS, ${n.qemuCpus.length} QEMU, VMCOREINFO ${n.vmcoreinfo !== undefined ? `${n.vmcoreinfo.length} bytes` : 'absent'})`];
  for (const e of n.entries) out.push(`  note at 0x${e.offset.toString(16)}: "${e.name}" type ${e.type}, ${e.desc.length} bytes`);
  return out;
}
