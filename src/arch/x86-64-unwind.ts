// x86-64 stack walking as crash 8.0.6 does it (x86_64.c: x86_64_low_budget_back_trace_cmd and helpers).
// crash does not unwind: it scans the stack for text addresses, prints each one it believes is a return
// address, and skips over a frame it can size — by ORC (x86_64_get_framesize's ORC_TYPE_CALL case), by the
// saved frame pointer (FRAMEPOINTER kernels), or by counting the pushes and stack adjustments gdb shows
// between the function's start and the return address. Matching crash means keeping those heuristics,
// their caches and their quirks; this module does, with the x86 instruction decoding gdb would have done.
// It follows 8.0.6 where later crash differs: symbols and ORC entries are looked up at the return address
// itself (not ret-1), and every exception stack counts as readable except an unmapped VC stack.
// At the end: real ORC and frame-pointer unwinders, for where crash's scan gives up.

import type { CpuRegisters } from '../dump/physical-memory.ts';
import type { KernelStacks } from '../kernel/stacks.ts';
import type { OrcTable } from './orc.ts';

// ---------------------------------------------------------------------------------------------------
// Instruction decoding: just enough of x86-64 to step through kernel code as `x/Ni` does, and to know
// what gdb would print as each instruction's first word (crash compares it with push/pop/add/sub/ret).
// ---------------------------------------------------------------------------------------------------

/** One decoded instruction: its length and what crash's framesize scan looks at. */
export interface Insn {
  length: number;
  /** gdb's first word: the mnemonic, or a prefix it prints apart ("lock", "repz", "rex.W", "cs", ...). */
  word: string;
  /** For `add`/`sub $imm,%rsp`: the immediate as gdb prints it (64-bit, sign-extended). */
  rspImm?: bigint;
  /** For `call rel32` (e8): the target. */
  callTarget?: bigint;
  /** `and $0xfffffffffffffff0,%rsp`: the stack realignment crash's framesize cache looks for. */
  andRspMinus16?: boolean;
}

// One-byte opcode map: per opcode, whether a ModRM byte follows and the immediate's kind.
// m = ModRM; immediates: b=1, w=2, z=4 (2 with 66), v=8/4/2 (mov r,imm), e=enter (3), o=moffs (8, 4 with 67),
// g = F6/F7 (imm only for /0 and /1), x = invalid in 64-bit mode, p = prefix (handled before).
const ONE_BYTE: string[] = (() => {
  const t = new Array<string>(256).fill('');
  const set = (from: number, to: number, v: string): void => {
    for (let i = from; i <= to; i++) t[i] = v;
  };
  for (let row = 0; row < 0x40; row += 8) {
    set(row, row + 3, 'm');
    t[row + 4] = 'b';
    t[row + 5] = 'z';
  }
  for (const x of [0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f]) t[x] = 'x';
  t[0x0f] = '0f';
  for (const p of [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]) t[p] = 'p';
  set(0x40, 0x4f, 'p');
  set(0x60, 0x62, 'x');
  t[0x63] = 'm';
  t[0x68] = 'z';
  t[0x69] = 'mz';
  t[0x6a] = 'b';
  t[0x6b] = 'mb';
  set(0x70, 0x7f, 'b');
  t[0x80] = 'mb';
  t[0x81] = 'mz';
  t[0x82] = 'x';
  t[0x83] = 'mb';
  set(0x84, 0x8f, 'm');
  t[0x9a] = 'x';
  set(0xa0, 0xa3, 'o');
  t[0xa8] = 'b';
  t[0xa9] = 'z';
  set(0xb0, 0xb7, 'b');
  set(0xb8, 0xbf, 'v');
  t[0xc0] = 'mb';
  t[0xc1] = 'mb';
  t[0xc2] = 'w';
  t[0xc4] = 'vex3';
  t[0xc5] = 'vex2';
  t[0xc6] = 'mb';
  t[0xc7] = 'mz';
  t[0xc8] = 'e';
  t[0xca] = 'w';
  t[0xcd] = 'b';
  t[0xce] = 'x';
  set(0xd0, 0xd3, 'm');
  set(0xd4, 0xd6, 'x');
  set(0xd8, 0xdf, 'm');
  set(0xe0, 0xe7, 'b');
  t[0xe8] = 'z4';
  t[0xe9] = 'z4';
  t[0xea] = 'x';
  t[0xeb] = 'b';
  t[0xf6] = 'mg';
  t[0xf7] = 'mg';
  t[0xfe] = 'm';
  t[0xff] = 'm';
  t[0x62] = 'evex';
  return t;
})();

// Two-byte (0f xx) opcodes without a ModRM byte, and those with an imm8.
const TWO_BYTE_NO_MODRM = new Set([
  0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x77, 0xa0, 0xa1, 0xa2,
  0xa8, 0xa9, 0xaa, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
]);
const TWO_BYTE_IMM8 = new Set([0x70, 0x71, 0x72, 0x73, 0xa4, 0xac, 0xba, 0xc2, 0xc4, 0xc5, 0xc6, 0x0f]);
const SEGMENT_NAMES: Record<number, string> = { 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x64: 'fs', 0x65: 'gs' };

/** ModRM (+SIB, displacement) length in bytes, starting at the ModRM byte; and whether it names memory. */
function modrmLength(code: Uint8Array, at: number): { len: number; memory: boolean } | undefined {
  if (at >= code.length) return undefined;
  const modrm = code[at];
  const mod = modrm >> 6;
  const rm = modrm & 7;
  if (mod === 3) return { len: 1, memory: false };
  let len = 1;
  if (rm === 4) {
    if (at + 1 >= code.length) return undefined;
    const base = code[at + 1] & 7;
    len++;
    if (mod === 0 && base === 5) len += 4;
  } else if (mod === 0 && rm === 5) len += 4;
  if (mod === 1) len += 1;
  else if (mod === 2) len += 4;
  return { len, memory: true };
}

function readSigned(code: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(code[at + i]);
  return BigInt.asIntN(size * 8, v);
}

/**
 * Decodes the instruction at code[at] (its address is `address`). Undefined when the bytes run out;
 * an opcode gdb calls "(bad)" comes back as a one-byte instruction whose word is "(bad)".
 */
export function decodeInsn(code: Uint8Array, at: number, address: bigint): Insn | undefined {
  let p = at;
  const prefixes: number[] = [];
  let rex = 0;
  let opsize16 = false;
  let addr32 = false;
  // Legacy prefixes, then an optional REX right before the opcode (a REX followed by a legacy prefix is ignored).
  for (;;) {
    if (p >= code.length) return undefined;
    const b = code[p];
    const kind = ONE_BYTE[b];
    if (kind !== 'p') break;
    if (b >= 0x40 && b <= 0x4f) rex = b;
    else {
      if (rex) rex = 0;
      prefixes.push(b);
      if (b === 0x66) opsize16 = true;
      if (b === 0x67) addr32 = true;
    }
    p++;
    if (p - at > 14) return { length: 1, word: '(bad)' };
  }
  const op = code[p++];
  const kind = ONE_BYTE[op];
  const rexW = (rex & 8) !== 0;
  let memory = false;
  let modrmAt = -1;
  let immLen = 0;
  let word = 'other';
  let rspImm: bigint | undefined;
  let callTarget: bigint | undefined;

  const takeModrm = (): boolean => {
    const m = modrmLength(code, p);
    if (!m) return false;
    modrmAt = p;
    memory = m.memory;
    p += m.len;
    return true;
  };

  if (kind === 'x') return { length: p - at, word: '(bad)' };
  if (kind === 'vex2' || kind === 'vex3' || kind === 'evex') {
    // VEX/EVEX: map 1 = 0f, 2 = 0f38, 3 = 0f3a (imm8); a ModRM always follows except for vzeroupper/all.
    let map: number;
    if (kind === 'vex2') {
      p += 1;
      map = 1;
    } else if (kind === 'vex3') {
      if (p + 1 >= code.length) return undefined;
      map = code[p] & 0x1f;
      p += 2;
    } else {
      if (p + 2 >= code.length) return undefined;
      map = code[p] & 7;
      p += 3;
    }
    if (p >= code.length) return undefined;
    const vop = code[p++];
    if (!(map === 1 && vop === 0x77 && kind !== 'evex')) if (!takeModrm()) return undefined;
    if (map === 3 || (map === 1 && TWO_BYTE_IMM8.has(vop) && vop !== 0x0f)) immLen = 1;
    word = 'v';
  } else if (kind === '0f') {
    if (p >= code.length) return undefined;
    const op2 = code[p++];
    if (op2 === 0x38 || op2 === 0x3a) {
      if (p >= code.length) return undefined;
      p++;
      if (!takeModrm()) return undefined;
      if (op2 === 0x3a) immLen = 1;
    } else {
      if (!TWO_BYTE_NO_MODRM.has(op2) && !(op2 >= 0x80 && op2 <= 0x8f)) if (!takeModrm()) return undefined;
      if (op2 >= 0x80 && op2 <= 0x8f) immLen = 4;
      else if (TWO_BYTE_IMM8.has(op2)) immLen = 1;
      if (op2 === 0xa0 || op2 === 0xa8) word = 'push';
      else if (op2 === 0xa1 || op2 === 0xa9) word = 'pop';
      else if (op2 === 0xb8 && prefixes.includes(0xf3)) word = 'popcnt';
      else if (op2 === 0x1e && prefixes.includes(0xf3) && modrmAt >= 0 && (code[modrmAt] === 0xfa || code[modrmAt] === 0xfb)) word = 'endbr';
    }
  } else {
    if (kind.startsWith('m')) if (!takeModrm()) return undefined;
    const reg = modrmAt >= 0 ? (code[modrmAt] >> 3) & 7 : 0;
    switch (kind.replace(/^m/, '')) {
      case 'b':
        immLen = 1;
        break;
      case 'w':
        immLen = 2;
        break;
      case 'z':
        immLen = opsize16 ? 2 : 4;
        break;
      case 'z4':
        immLen = 4;
        break;
      case 'v':
        immLen = rexW ? 8 : opsize16 ? 2 : 4;
        break;
      case 'e':
        immLen = 3;
        break;
      case 'o':
        immLen = addr32 ? 4 : 8;
        break;
      case 'g':
        immLen = reg <= 1 ? (op === 0xf6 ? 1 : opsize16 ? 2 : 4) : 0;
        break;
    }
    if ((op >= 0x50 && op <= 0x57) || op === 0x68 || op === 0x6a || op === 0x9c || (op === 0xff && reg === 6)) word = 'push';
    else if ((op >= 0x58 && op <= 0x5f) || op === 0x9d || (op === 0x8f && reg === 0)) word = 'pop';
    else if (op === 0xc3 || op === 0xc2) word = 'ret';
    else if (op === 0xc9) word = 'leave';
    else if (op === 0xe8) word = 'call';
    else if ((op === 0x81 || op === 0x83) && (reg === 0 || reg === 5)) word = reg === 0 ? 'add' : 'sub';
    else if ((op === 0x81 || op === 0x83) && reg === 4) word = 'and';
  }
  if (p + immLen > code.length) return undefined;
  const immAt = p;
  p += immLen;

  if (word === 'add' || word === 'sub') {
    const modrm = code[modrmAt];
    // Only "$imm,%rsp" gives crash a number: a 64-bit operation on register 4 without REX.B.
    if (modrm >> 6 === 3 && (modrm & 7) === 4 && rexW && !(rex & 1)) rspImm = BigInt.asUintN(64, readSigned(code, immAt, immLen));
  }
  let andRspMinus16: boolean | undefined;
  if (word === 'and') {
    const modrm = code[modrmAt];
    andRspMinus16 = modrm >> 6 === 3 && (modrm & 7) === 4 && rexW && !(rex & 1) && readSigned(code, immAt, immLen) === -16n;
  }
  if (op === 0xe8 && kind === 'z4') callTarget = BigInt.asUintN(64, address + BigInt(p - at) + readSigned(code, immAt, 4));

  // gdb prints a prefix the instruction does not use as a word of its own, before the mnemonic.
  const printed = printedPrefix(prefixes, rex, op, word, memory, modrmAt >= 0 ? code[modrmAt] : -1);
  return { length: p - at, word: printed ?? word, rspImm, callTarget, andRspMinus16 };
}

/** The first word gdb prints when a prefix is not consumed by the instruction (only matters for ours). */
function printedPrefix(prefixes: number[], rex: number, op: number, word: string, memory: boolean, modrm: number): string | undefined {
  if (prefixes.includes(0xf0)) return 'lock';
  if (word === 'popcnt' || word === 'endbr') return undefined;
  const interesting = word === 'push' || word === 'pop' || word === 'ret' || word === 'add' || word === 'sub' || word === 'call' || word === 'leave';
  if (!interesting) return undefined;
  for (const b of prefixes) {
    if (b === 0xf3) return word === 'ret' ? 'repz' : 'repz';
    if (b === 0xf2) return word === 'ret' || word === 'call' ? 'bnd' : 'repnz';
    if (SEGMENT_NAMES[b] && !memory) return SEGMENT_NAMES[b];
    if (b === 0x67 && !memory) return 'addr32';
  }
  if (rex) {
    // Push/pop/ret/call/leave default to 64 bits: only REX.B (a register push/pop) or REX.B/X on a memory
    // operand is used; anything else makes gdb print "rex" plus the unused bits.
    const regForm = (op >= 0x50 && op <= 0x5f) || op === 0xc3 || op === 0xc2 || op === 0xc9 || op === 0x9c || op === 0x9d || op === 0x68 || op === 0x6a;
    const used = regForm ? rex & 1 : word === 'add' || word === 'sub' ? rex & 0xf : memory ? rex & 3 : modrm >= 0 ? rex & 1 : 0;
    const unused = (rex & 0xf) & ~used & (word === 'add' || word === 'sub' ? 0 : 0xf);
    if (unused) return `rex${unused & 8 ? '.W' : ''}`;
  }
  return undefined;
}

/** The most instructions we step through for one `x/Ni`: beyond this we stop decoding and call it readable. */
const MAX_DISASSEMBLY = 1 << 20;

/**
 * `x/Ni start` as gdb runs it inside crash: n instructions from start, or undefined if gdb would fail
 * (a byte it needs is unreadable). `visit` sees each instruction's address and decoding.
 */
export function disassemble(
  read: (addr: bigint, size: number) => Uint8Array | undefined,
  start: bigint,
  n: number,
  visit: (address: bigint, insn: Insn) => void,
): boolean {
  let buf = new Uint8Array(0);
  let bufStart = start;
  let addr = start;
  for (let k = 0; k < Math.min(n, MAX_DISASSEMBLY); k++) {
    let off = Number(addr - bufStart);
    if (off + 16 > buf.length) {
      // Refill to the end of the next page; a short read at the very end is tried once more below.
      const next = bufStart + BigInt(buf.length);
      const page = read(next, Number(4096n - (next % 4096n)));
      const kept = buf.subarray(off);
      const merged = new Uint8Array(kept.length + (page?.length ?? 0));
      merged.set(kept);
      if (page) merged.set(page, kept.length);
      buf = merged;
      bufStart = addr;
      off = 0;
    }
    const insn = decodeInsn(buf, off, addr);
    if (!insn) return false;
    visit(addr, insn);
    addr += BigInt(insn.length);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// The machine crash's x86-64 backtrace looks at.
// ---------------------------------------------------------------------------------------------------

/** value_search()'s answer: the symbol an address is in. */
export interface BtSymbol {
  name: string;
  offset: bigint;
  /** nm letter (T/t text...). */
  type: string;
  /** The module's name for a module symbol. */
  module?: string;
}

/** struct pt_regs as crash reads it (x86_64_exception_frame's pto offsets). */
export interface PtRegsLayout {
  size: number;
  offsets: Record<'r15' | 'r14' | 'r13' | 'r12' | 'rbp' | 'rbx' | 'r11' | 'r10' | 'r9' | 'r8' | 'rax' | 'rcx' | 'rdx' | 'rsi' | 'rdi' | 'orig_rax' | 'rip' | 'cs' | 'eflags' | 'rsp' | 'ss', number>;
}

/** The standard x86-64 layout (arch/x86/include/asm/ptrace.h), for kernels whose types do not say. */
export const PT_REGS_DEFAULT: PtRegsLayout = {
  size: 168,
  offsets: { r15: 0, r14: 8, r13: 16, r12: 24, rbp: 32, rbx: 40, r11: 48, r10: 56, r9: 64, r8: 72, rax: 80, rcx: 88, rdx: 96, rsi: 104, rdi: 112, orig_rax: 120, rip: 128, cs: 136, eflags: 144, rsp: 152, ss: 160 },
};

/** Frame sizes crash remembers per text address for the whole session (x86_64_framesize_cache). */
export class FramesizeCache {
  private readonly map = new Map<bigint, { framesize: number; exception: boolean }>();
  /** Functions whose frame size must not be remembered (they realign the stack). */
  readonly noCache = new Set<bigint>();

  query(textaddr: bigint, exception: boolean): number | undefined {
    const e = this.map.get(textaddr);
    if (!e || e.exception !== exception) return undefined;
    return e.framesize;
  }

  /** FRAMESIZE_ENTER: returns what crash's returns (0 when the entry is removed by -1). */
  enter(textaddr: bigint, framesize: number, exception: boolean): number {
    if (framesize === -1) {
      this.map.delete(textaddr);
      return 0;
    }
    this.map.set(textaddr, { framesize, exception });
    return framesize;
  }
}

export interface BtMachine {
  /** readmem(): the bytes, or crash's error text for why not ("invalid kernel virtual address: ..."). */
  readmem(addr: bigint, size: number, type: string): Uint8Array | string;
  /** value_search() */
  valueSearch(addr: bigint): BtSymbol | undefined;
  /** symbol_value() for a kernel symbol. */
  symbolValue(name: string): bigint | undefined;
  isKernelText(addr: bigint): boolean;
  /** The module holding an address (module_symbol()), by name. */
  moduleOf(addr: bigint): string | undefined;
  isKvaddr(addr: bigint): boolean;
  isUvaddr(addr: bigint): boolean;
  isVmallocAddr(addr: bigint): boolean;
  /** Whether a vmalloc address translates (machdep->kvtop succeeds). */
  kvtopOk(addr: bigint): boolean;
  modules: { start: bigint; end: bigint };
  stacks: KernelStacks;
  orc?: OrcTable;
  orcTypeCall: number;
  /** machdep->flags & FRAMEPOINTER */
  framePointer: boolean;
  ptRegs: PtRegsLayout;
  /** inactive_task_frame: offsets of bp and ret_addr (Linux 4.9+). */
  inactiveFrame?: { bp?: number; retAddr?: number };
  /** thread.sp's offset in task_struct. */
  threadSpOffset: number;
  /** SIZE(thread_info): where `bt -T` starts above the stack base. */
  threadInfoSize: number;
  /** machdep->machspec->thread_return */
  threadReturn: bigint;
  initBegin: bigint;
  initEnd: bigint;
  irqEframeLink: number;
  exceptionFunctions: readonly string[];
  nestedNmi: boolean;
  hasAsmCommonInterrupt: boolean;
  /** VALID_STRUCT(user_regs_struct) */
  hasUserRegs: boolean;
  cache: FramesizeCache;
  /** get_line_number(): "file: line", or "" (no line information for the address). */
  lineNumber?(addr: bigint): string;
  /** in_user_stack() */
  inUserStack(task: bigint, addr: bigint): boolean;
  /** stkptr_to_task(): whether some task's stack holds the address. */
  stackOwner(addr: bigint): bigint | undefined;
}

/** The dump's side of where a backtrace starts (netdump.c get_netdump_regs_x86_64). */
export interface BtDump {
  /** 'elf': an ELF vmcore (kdump or QEMU); 'compressed': a KDUMP/diskdump file. */
  kind: 'elf' | 'compressed';
  /** QEMU's ELF writer (pc->flags2 & QEMU_MEM_DUMP_ELF). */
  qemu: boolean;
  /** The CPU's NT_PRSTATUS registers. */
  prstatus(cpu: number): CpuRegisters | undefined;
  prstatusCount: number;
}

export interface BtTask {
  task: bigint;
  pid: number;
  cpu: number;
  /** is_task_active(): a CPU's current task or the panic task. */
  active: boolean;
  panic: boolean;
  kernelThread: boolean;
  stackBase: bigint;
}

export interface BtOptions {
  /** -f */
  full?: boolean;
  /** -l */
  lineNumbers?: boolean;
  /** -s */
  symbolOffset?: boolean;
  /** -x / -d: the radix of -s offsets (0: crash's default, 10). */
  radix?: 0 | 10 | 16;
  /** -t: every text address from the starting point up; -T: from the stack's base. */
  textSymbols?: 't' | 'T';
  /** -o (BT_OLD_BACK_TRACE): no frame sizes, every text address is a frame. */
  old?: boolean;
  /** -e: search the stack for exception frames instead of tracing; -E: every CPU's IRQ and exception stacks. */
  eframeSearch?: 'e' | 'E';
}

// bt->flags bits this port uses (names as in crash's defs.h).
const BT_FULL = 1 << 0;
const BT_LINE_NUMBERS = 1 << 1;
const BT_SYMBOL_OFFSET = 1 << 2;
const BT_EXCEPTION_FRAME = 1 << 3;
const BT_START = 1 << 4;
const BT_SCHEDULE = 1 << 5;
const BT_SAVE_EFRAME_IP = 1 << 6;
const BT_CHECK_CALLER = 1 << 7;
const BT_NO_CHECK_CALLER = 1 << 8;
const BT_FRAMESIZE_DISABLE = 1 << 9;
const BT_EXCEPTION_STACK = 1 << 10;
const BT_IRQSTACK = 1 << 11;
const BT_EFRAME_TARGET = 1 << 12;
const BT_DUMPFILE_SEARCH = 1 << 13;
const BT_KDUMP_ELF_REGS = 1 << 14;
const BT_KERNEL_SPACE = 1 << 15;
const BT_USER_SPACE = 1 << 16;
const BT_TEXT_SYMBOLS = 1 << 17;
const BT_TEXT_SYMBOLS_ALL = 1 << 18;
const BT_OLD_BACK_TRACE = 1 << 19;
const BT_EFRAME_SEARCH = 1 << 20;

const BACKTRACE_COMPLETE = 1;
const BACKTRACE_ENTRY_IGNORED = 2;
const BACKTRACE_ENTRY_DISPLAYED = 3;
const BACKTRACE_ENTRY_AND_EFRAME_DISPLAYED = 4;

const EFRAME_PRINT = 1;
const EFRAME_VERIFY = 2;
const EFRAME_CS = 4;
const EFRAME_SEARCH = 8;

const RAZ_MASK = 0xffffffffffc08028n;

/** crash's error(FATAL): ends this task's trace; the message is printed as "bt: <message>". */
class BtFatal extends Error {}

/** The user_regs_struct registers a dump note holds, as crash reads them. */
type UserRegs = CpuRegisters;

interface BtState {
  task: BtTask;
  flags: number;
  instptr: bigint;
  stkptr: bigint;
  bptr: bigint;
  stackbase: bigint;
  stacktop: bigint;
  stackbuf: Uint8Array;
  frameptr: bigint;
  callTarget: string | undefined;
  eframeIp: bigint;
  radix: 0 | 10 | 16;
  /** bt->machdep as far as it matters here: the note's registers. */
  userRegs: UserRegs | undefined;
}

const hx = (v: bigint): string => v.toString(16);
const pad16 = (v: bigint): string => BigInt.asUintN(64, v).toString(16).padStart(16, '0');

/**
 * One task's backtrace as crash 8.0.6 prints it (everything after the "PID:" header): kernel.c
 * back_trace() → get_netdump_regs_x86_64() → x86_64_get_stack_frame() / x86_64_get_dumpfile_stack_frame()
 * → x86_64_low_budget_back_trace_cmd(). Errors crash reports come out as its "bt: ..." lines.
 */
export function crashBackTrace(m: BtMachine, dump: BtDump, task: BtTask, opts: BtOptions = {}): { text: string; fatal: boolean } {
  return new CrashTrace(m, dump, task, opts).run();
}

class CrashTrace {
  private out: string[] = [];

  constructor(
    private readonly m: BtMachine,
    private readonly dump: BtDump,
    private readonly task: BtTask,
    private readonly opts: BtOptions,
  ) {}

  private print(s: string): void {
    this.out.push(s);
  }

  /** error(INFO, ...) */
  private info(msg: string): void {
    this.out.push(`bt: ${msg}\n`);
  }

  run(): { text: string; fatal: boolean } {
    let fatal = false;
    try {
      this.backTrace();
    } catch (e) {
      if (!(e instanceof BtFatal)) throw e;
      this.out.push(`bt: ${e.message}\n`);
      fatal = true;
    }
    return { text: this.out.join(''), fatal };
  }

  private fatal(msg: string): never {
    throw new BtFatal(msg);
  }

  /** readmem(..., RETURN_ON_ERROR) into a buffer: the bytes, or undefined after printing crash's message. */
  private readOrInfo(addr: bigint, size: number, type: string): Uint8Array | undefined {
    if (size <= 0) {
      this.info(`invalid size request: ${size}  type: "${type}"`);
      return undefined;
    }
    const r = this.m.readmem(addr, size, type);
    if (typeof r === 'string') {
      this.info(r);
      return undefined;
    }
    return r;
  }

  private readQuiet(addr: bigint, size: number): Uint8Array | undefined {
    const r = this.m.readmem(BigInt.asUintN(64, addr), size, 'quiet');
    return typeof r === 'string' ? undefined : r;
  }

  private ulong(addr: bigint): bigint | undefined {
    const b = this.readQuiet(addr, 8);
    return b ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) : undefined;
  }

  private accessible(addr: bigint): boolean {
    return this.readQuiet(addr, 8) !== undefined;
  }

  // ---- kernel.c back_trace()

  private backTrace(): void {
    const m = this.m;
    const t = this.task;
    const stackbase = t.stackBase;
    if (stackbase === 0n) {
      this.print('(no stack)\n');
      return;
    }
    const stacktop = stackbase + BigInt(m.stacks.stackSize);
    // fill_stackbuf()
    const buf = this.readOrInfo(stackbase, Number(stacktop - stackbase), 'stack contents');
    if (!buf) this.fatal(`read of stack at ${hx(stackbase)} failed`);
    const bt: BtState = {
      task: t,
      flags:
        (this.opts.full ? BT_FULL : 0) |
        (this.opts.lineNumbers ? BT_LINE_NUMBERS : 0) |
        (this.opts.symbolOffset ? BT_SYMBOL_OFFSET : 0) |
        (this.opts.textSymbols ? BT_TEXT_SYMBOLS : 0) |
        (this.opts.textSymbols === 'T' ? BT_TEXT_SYMBOLS_ALL : 0) |
        (this.opts.old ? BT_OLD_BACK_TRACE : 0) |
        (this.opts.eframeSearch ? BT_EFRAME_SEARCH : 0),
      instptr: 0n,
      stkptr: 0n,
      bptr: 0n,
      stackbase,
      stacktop,
      stackbuf: buf.slice(),
      frameptr: 0n,
      callTarget: undefined,
      eframeIp: 0n,
      radix: this.opts.radix ?? 0,
      userRegs: undefined,
    };
    if (this.opts.eframeSearch === 'E') {
      this.eframeSearchAll(bt);
      return;
    }
    if (bt.flags & BT_EFRAME_SEARCH) {
      this.eframeSearch(bt, 0n);
      return;
    }
    const regs = this.getNetdumpRegs(bt);
    bt.instptr = regs.rip;
    bt.stkptr = regs.rsp;
    if (bt.flags & BT_TEXT_SYMBOLS_ALL) {
      // -T: from just above the thread_info at the stack's base, with no starting point.
      bt.stkptr = bt.stackbase + BigInt(m.threadInfoSize);
      bt.instptr = 0n;
    }
    this.lowBudgetBackTrace(bt);
  }

  // ---- netdump.c get_netdump_regs_x86_64()

  private getNetdumpRegs(bt: BtState): { rip: bigint; rsp: bigint } {
    const t = bt.task;
    let rip = 0n;
    let rsp = 0n;
    if (t.active) bt.flags |= BT_DUMPFILE_SEARCH;
    const inStackOrAlt = (sp: bigint): boolean => (sp >= bt.stackbase && sp < bt.stacktop) || this.m.stacks.inAlternateStack(t.cpu, sp);
    if (this.dump.kind === 'elf' && this.m.hasUserRegs && (t.panic || this.dump.qemu)) {
      const regs = this.dump.prstatusCount > 1 ? this.dump.prstatus(t.cpu) : this.dump.prstatus(0);
      if (regs && inStackOrAlt(regs.rsp)) {
        rsp = regs.rsp;
        rip = regs.rip;
        if (rip && rsp) bt.flags |= BT_KDUMP_ELF_REGS;
        bt.userRegs = regs;
      }
    }
    if (this.dump.kind === 'compressed' && bt.flags & BT_DUMPFILE_SEARCH && this.dump.prstatusCount > 0) {
      const regs = this.dump.prstatus(t.cpu);
      if (regs && inStackOrAlt(regs.rsp)) {
        rsp = regs.rsp;
        rip = regs.rip;
        if (rip && rsp) bt.flags |= BT_KDUMP_ELF_REGS;
        bt.userRegs = regs;
      }
    }
    return this.getStackFrame(bt, rip, rsp);
  }

  // ---- x86_64_get_stack_frame() (8.0.6)

  private getStackFrame(bt: BtState, ripIn: bigint, rspIn: bigint): { rip: bigint; rsp: bigint } {
    const m = this.m;
    const rip = m.threadReturn;
    const rsp = this.getSp(bt);
    if (bt.task.active && bt.flags & BT_DUMPFILE_SEARCH) return this.getDumpfileStackFrame(bt, ripIn, rspIn);
    return { rip, rsp };
  }

  /** x86_64_get_sp(): thread.sp; with ORC, bt->bptr from the inactive_task_frame there. */
  private getSp(bt: BtState): bigint {
    const m = this.m;
    const sp = this.ulong(bt.task.task + BigInt(m.threadSpOffset));
    if (sp === undefined) this.fatal(`invalid kernel virtual address: ${hx(bt.task.task + BigInt(m.threadSpOffset))}  type: "thread_struct rsp"`);
    if (m.orc && m.inactiveFrame?.bp !== undefined) {
      const bp = this.ulong(sp + BigInt(m.inactiveFrame.bp));
      if (bp === undefined) this.fatal(`invalid kernel virtual address: ${hx(sp + BigInt(m.inactiveFrame.bp))}  type: "inactive_task_frame.bp"`);
      bt.bptr = bp;
    }
    return sp;
  }

  // ---- x86_64_eframe_search()

  /** Exception frames anywhere on a stack: the task's, or the IRQ/exception stack holding `esp`. */
  private eframeSearch(bt: BtState, esp: bigint): number {
    const m = this.m;
    const st = m.stacks;
    if (esp) {
      bt.stkptr = esp;
      const est = st.inExceptionStack(esp);
      const irq = est ? 0n : st.inIrqStack(esp);
      if (est || irq) {
        bt.stackbase = est ? est.base : irq;
        bt.stacktop = bt.stackbase + BigInt(est ? st.estackSize[est.index] : st.irqSize);
        const b = this.readOrInfo(bt.stackbase, Number(bt.stacktop - bt.stackbase), 'stack contents');
        if (!b) this.fatal(`read of stack at ${hx(bt.stackbase)} failed`);
        bt.stackbuf = b;
      } else if (!(esp >= bt.stackbase && esp < bt.stacktop)) this.fatal(`unrecognized stack address for this task: ${hx(esp)}`);
    }
    const stacksize = Number(bt.stacktop - bt.stackbase) - m.ptRegs.size;
    let cnt = 0;
    for (let i = bt.stkptr ? Number((bt.stkptr - bt.stackbase) / 8n) : 0; i <= Math.floor(stacksize / 8); i++) {
      if (this.exceptionFrame(bt, EFRAME_SEARCH | EFRAME_PRINT | EFRAME_VERIFY, 0n, i * 8)) cnt++;
    }
    return cnt;
  }

  /** -E: every CPU's IRQ stack, then each CPU's exception stacks. */
  private eframeSearchAll(bt: BtState): void {
    const st = this.m.stacks;
    const one = (label: string, base: bigint): void => {
      this.print(`${label}\n`);
      this.print(this.eframeSearch(bt, base) ? '\n' : '(none found)\n\n');
    };
    for (let c = 0; c < st.cpus; c++) {
      if (!st.irqBase[c]) break;
      one(`CPU ${c} IRQ STACK:`, st.irqBase[c]);
    }
    for (let c = 0; c < st.cpus; c++) {
      for (let i = 0; i < 7; i++) {
        if (!st.estackBase[c][i] || !st.estackAvailable[c][i]) break;
        one(`CPU ${c} ${st.estackNames[i]} EXCEPTION STACK:`, st.estackBase[c][i]);
      }
    }
  }

  // ---- x86_64_get_dumpfile_stack_frame()

  private getDumpfileStackFrame(btIn: BtState, ripIn: bigint, rspIn: bigint): { rip: bigint; rsp: bigint } {
    const m = this.m;
    const st = m.stacks;
    const cpu = btIn.task.cpu;
    const bt = { ...btIn };
    let rip = ripIn;
    let rsp = rspIn;
    let urRip = 0n;
    let urRsp = 0n;
    let haltRip = 0n;
    let haltRsp = 0n;
    let kexecRip = 0n;
    let kexecRsp = 0n;
    let callRip = 0n;
    let callRsp = 0n;
    let sysrqRip = 0n;
    let sysrqRsp = 0n;
    let notifyRip = 0n;
    let notifyRsp = 0n;
    let inNmiStack = false;
    let stage = 0;
    let estack = -1;
    let panic = false;
    const panicTask = btIn.task.panic;
    let skipToStage = false;

    if (panicTask && bt.userRegs) {
      const u = bt.userRegs;
      if (this.eframeVerify(bt, 0n, u.cs, u.ss, u.rip, u.rsp, u.eflags)) {
        bt.stkptr = u.rsp;
        if (st.inIrqStack(bt.stkptr)) {
          urRip = u.rip;
          urRsp = u.rsp;
          skipToStage = true;
        }
      }
    } else if (bt.userRegs) {
      // ELF_NOTES_VALID() && bt->machdep
      urRip = bt.userRegs.rip;
      urRsp = bt.userRegs.rsp;
    }

    const word = (buf: Uint8Array, i: number): bigint => (i * 8 + 8 <= buf.length ? new DataView(buf.buffer, buf.byteOffset).getBigUint64(i * 8, true) : 0n);
    const closest = (v: bigint): string | undefined => m.valueSearch(v)?.name;
    let buf = bt.stackbuf;

    for (;;) {
      if (!skipToStage) {
        const top = Number((bt.stacktop - bt.stackbase) / 8n);
        for (let i = 0; i < top; i++) {
          const v = word(buf, i);
          let sym = closest(v);
          const here = bt.stackbase + BigInt(i * 8);
          if (sym === 'netconsole_netdump' || sym === 'netpoll_start_netdump' || sym === 'start_disk_dump' || sym === 'disk_dump' || sym === 'crash_kexec' || sym === 'machine_kexec' || sym === 'try_crashdump') {
            if (sym === 'crash_kexec') {
              const callee = this.functionCalledBy(v - 5n);
              if (callee && callee.name === 'machine_kexec') return { rip: v, rsp: here };
            }
            if (!(btIn.flags & BT_TEXT_SYMBOLS) && sym === 'crash_kexec' && !kexecRip) {
              kexecRip = v;
              kexecRsp = here;
              continue;
            }
            return { rip: v, rsp: here };
          }
          if (estack >= 0 && (sym === 'nmi_watchdog_tick' || sym === 'default_do_nmi')) {
            const callee = this.functionCalledBy(v - 5n);
            if (!callee || callee.name !== 'die_nmi') continue;
            btIn.flags |= BT_START;
            return { rip: m.symbolValue('die_nmi') ?? 0n, rsp: here - 7n * 8n };
          }
          if (sym === 'panic') {
            rip = v;
            rsp = here;
            panic = true;
            continue; // keep looking for die
          }
          // crash's die / next_sysrq gotos: the inner scans leave `sym` at the last word they looked at.
          let sysrqAt = -1;
          if (sym === 'die') {
            rip = v;
            rsp = here;
            let j = i + 1;
            for (; j < top; j++) {
              sym = closest(word(buf, j));
              if (sym === 'sysrq_handle_crash') break;
            }
            if (j >= top) return { rip, rsp };
            sysrqAt = j;
          } else if (sym === 'sysrq_handle_crash') sysrqAt = i;
          if (sysrqAt >= 0) {
            let j = sysrqAt;
            for (;;) {
              sysrqRip = word(buf, j);
              sysrqRsp = bt.stackbase + BigInt(j * 8);
              let k = j + 1;
              let again = false;
              for (; k < top; k++) {
                sym = closest(word(buf, k));
                if (sym === 'sysrq_handle_crash') {
                  again = true;
                  break;
                }
              }
              if (!again) break;
              j = k;
            }
          }
          if (!panicTask && stage > 0 && (sym === 'smp_call_function_interrupt' || sym === 'stop_this_cpu')) {
            callRip = v;
            callRsp = here;
          }
          if (!panicTask && sym === 'crash_nmi_callback') return { rip: v, rsp: here };
          if (!panicTask && inNmiStack && sym === 'notify_die') {
            notifyRip = v;
            notifyRsp = here;
          }
          if (!panicTask && btIn.task.pid === 0 && !haltRip && stage === 0 && sym === 'cpu_idle') {
            haltRip = v;
            haltRsp = here;
          }
        }
        if (panic) return { rip, rsp };
        if (kexecRip) return { rip: kexecRip, rsp: kexecRsp };
      }
      skipToStage = false;
      // skip_stage: the IRQ stack, then each exception stack.
      if (stage === 0) {
        bt.stackbase = st.irqBase[cpu] ?? 0n;
        bt.stacktop = bt.stackbase + BigInt(st.irqSize);
        stage = 1;
        const b = this.readOrInfo(bt.stackbase, Number(bt.stacktop - bt.stackbase), 'stack contents');
        if (!b) this.fatal(`read of stack at ${hx(bt.stackbase)} failed`);
        buf = b;
        continue;
      }
      let next = false;
      while (++estack < 7) {
        bt.stackbase = st.estackBase[cpu]?.[estack] ?? 0n;
        bt.stacktop = bt.stackbase + BigInt(st.estackSize[estack]);
        if (!(bt.stackbase && st.estackAvailable[cpu]?.[estack])) continue;
        const b = this.readOrInfo(bt.stackbase, Number(bt.stacktop - bt.stackbase), 'stack contents');
        if (!b) this.fatal(`read of stack at ${hx(bt.stackbase)} failed`);
        buf = b;
        inNmiStack = st.estackNames[estack] === 'NMI';
        next = true;
        break;
      }
      if (!next) break;
    }

    if (sysrqRip) return { rip: sysrqRip, rsp: sysrqRsp };
    if (notifyRip) return { rip: notifyRip, rsp: notifyRsp };
    const inProcessStack = (sp: bigint): boolean => sp >= btIn.stackbase && sp < btIn.stacktop;
    if (urRip && urRsp) {
      if (m.isKernelText(urRip) && (inProcessStack(urRsp) || st.inAlternateStack(cpu, urRsp))) btIn.flags |= BT_KERNEL_SPACE;
      if (!m.isKernelText(urRip) && m.inUserStack(btIn.task.task, urRsp)) btIn.flags |= BT_USER_SPACE;
      return { rip: urRip, rsp: urRsp };
    }
    if (callRip && callRsp) return { rip: callRip, rsp: callRsp };
    if (haltRip && haltRsp) return { rip: haltRip, rsp: haltRsp };
    if (bt.flags & BT_KDUMP_ELF_REGS && bt.userRegs) {
      const u = bt.userRegs;
      if (st.inAlternateStack(cpu, u.rsp) || m.stackOwner(u.rsp) !== undefined) {
        if (m.isKernelText(u.rip) && (inProcessStack(u.rsp) || st.inAlternateStack(cpu, u.rsp))) btIn.flags |= BT_KERNEL_SPACE;
        if (!m.isKernelText(u.rip) && m.inUserStack(btIn.task.task, u.rsp)) btIn.flags |= BT_USER_SPACE;
        return { rip: u.rip, rsp: u.rsp };
      }
    }
    // Nothing found: what the task saved when it last switched out.
    // (crash clears BT_DUMPFILE_SEARCH and sets bptr on its local copy only.)
    const sp = this.getSp({ ...btIn });
    return { rip: m.threadReturn, rsp: sp };
  }

  // ---- x86_64_low_budget_back_trace_cmd()

  private lowBudgetBackTrace(btIn: BtState): void {
    const m = this.m;
    const st = m.stacks;
    const bt: BtState = { ...btIn };
    let level = 0;
    let done = false;
    let irqEframe = 0n;
    let lastProcessStackEframe = 0n;
    bt.callTarget = undefined;
    let rsp = bt.stkptr;
    const ptRegs = BigInt(m.ptRegs.size);

    if (!(bt.flags & BT_USER_SPACE) && (!rsp || !this.accessible(rsp))) {
      this.info('cannot determine starting stack pointer');
      this.displayRegsFromNotes(bt);
      return;
    }
    if (bt.flags & BT_TEXT_SYMBOLS) {
      if (bt.flags & BT_USER_SPACE && !(bt.flags & BT_TEXT_SYMBOLS_ALL)) return;
      if (!(bt.flags & BT_TEXT_SYMBOLS_ALL)) {
        const name = m.valueSearch(bt.instptr)?.name ?? '(null)';
        this.print(`${' '.repeat(14)}START: ${name}${name === 'thread_return' ? ' (schedule)' : ''} at ${hx(bt.instptr)}\n`);
      }
    } else if (bt.flags & BT_USER_SPACE) {
      this.print('    [exception RIP: user space]\n');
      this.displayRegsFromNotes(bt);
      return;
    }
    if (bt.flags & BT_KERNEL_SPACE && (this.dump.kind === 'compressed' || this.dump.qemu)) {
      const s = m.valueSearch(bt.instptr);
      let text: string;
      if (s) text = s.name + (s.offset ? `+${s.offset}` : '');
      else text = m.isVmallocAddr(bt.instptr) && m.kvtopOk(bt.instptr) ? 'no symbolic reference' : 'unknown or invalid address';
      this.print(`    [exception RIP: ${text}]\n`);
      this.displayRegsFromNotes(bt);
    } else if (bt.flags & BT_START) {
      this.printStackEntry(bt, level, 0, bt.instptr);
      bt.flags &= ~BT_START;
      level++;
    }

    let est = st.inExceptionStack(bt.stkptr);
    const word = (i: number): bigint => stackWord(bt, i);

    // Returns with `done` possibly set; loops back here when an IRQ stack leads to an exception stack.
    for (;;) {
      if (est) {
        const estackIndex = est.index;
        const estack = est.base;
        bt.flags |= BT_EXCEPTION_STACK;
        bt.stackbase = estack;
        bt.stacktop = estack + BigInt(st.estackSize[estackIndex]);
        const b = this.readOrInfo(bt.stackbase, Number(bt.stacktop - bt.stackbase), 'irqstack contents');
        if (!b) this.fatal(`read of exception stack at ${hx(bt.stackbase)} failed`);
        bt.stackbuf = b;

        if (irqEframe) {
          bt.flags |= BT_EXCEPTION_FRAME;
          const i = Number((irqEframe - bt.stackbase) / 8n);
          this.printStackEntry(bt, level, i, bt.instptr);
          bt.flags &= ~BT_EXCEPTION_FRAME;
          this.exceptionFrame(bt, EFRAME_PRINT | EFRAME_CS, 0n, Number(irqEframe - bt.stackbase));
          rsp += ptRegs;
          if (bt.eframeIp) {
            const fs = this.getFramesize(bt, bt.eframeIp, rsp, undefined);
            if (fs >= 0) rsp += BigInt(fs);
          }
          level++;
          // (crash clears irq_eframe here; the IRQ-stack step below sets it again either way.)
        }

        let stacktop = bt.stacktop - ptRegs;
        if (m.nestedNmi && estackIndex === st.nmiIndex) stacktop -= 12n * 8n;
        bt.flags &= ~BT_FRAMESIZE_DISABLE;

        // What the scan leaves in rsp and done is replaced by the saved frame below; only the level carries on.
        if (!done) level = this.scanStack(bt, level, rsp, stacktop).level;

        const cs = this.exceptionFrame(bt, EFRAME_PRINT | EFRAME_CS, 0n, Number(stacktop - bt.stackbase));
        this.print(`--- <${st.estackNames[estackIndex]} exception stack> ---\n`);

        // The CPU-saved (or handler-saved) RIP, CS, RFLAGS, RSP, SS at the stack's end.
        let up = Number((bt.stacktop - bt.stackbase) / 8n) - 5;
        if (m.nestedNmi && estackIndex === st.nmiIndex && bt.stkptr <= bt.stacktop - 17n * 8n) {
          up -= 12;
          if (word(up) === (m.symbolValue('repeat_nmi') ?? -1n)) up += 5;
        }
        rsp = bt.stkptr = word(up + 3);
        bt.instptr = word(up);
        done = (cs & 3n) !== 0n;
        bt.frameptr = 0n;
        if (!done) {
          bt.flags |= BT_START | BT_SAVE_EFRAME_IP;
          this.printStackEntry(bt, level, 0, bt.instptr);
          bt.flags &= ~(BT_START | BT_SAVE_EFRAME_IP | BT_FRAMESIZE_DISABLE);
          const again = st.inExceptionStack(bt.stkptr);
          if (again && again.base === estack) {
            this.print(`    [ ${st.estackNames[estackIndex]} exception stack recursion: prior stack location overwritten ]\n`);
            return;
          }
          level++;
          const fs = this.getFramesize(bt, bt.instptr, rsp, undefined);
          if (fs >= 0) rsp += BigInt(fs);
        }
      }

      // The IRQ stack is always entered from the process stack.
      const irqstack = done ? 0n : st.inIrqStack(bt.stkptr);
      if (irqstack) {
        bt.flags |= BT_IRQSTACK;
        bt.stackbase = irqstack;
        bt.stacktop = irqstack + BigInt(st.irqSize);
        const b = this.readOrInfo(bt.stackbase, Number(bt.stacktop - bt.stackbase), 'irqstack contents');
        if (!b) this.fatal(`read of IRQ stack at ${hx(bt.stackbase)} failed`);
        bt.stackbuf = b;
        const stacktop = bt.stacktop; // irq_stack_gap is 0 since Linux 4.9
        bt.flags &= ~BT_FRAMESIZE_DISABLE;
        // What the scan leaves in rsp and done is replaced by the saved frame below; only the level carries on.
        if (!done) level = this.scanStack(bt, level, rsp, stacktop).level;
        this.print('--- <IRQ stack> ---\n');
        // The link to the interrupted stack: the last word of the IRQ stack; the word below it, its RIP.
        const top = Number((stacktop - bt.stackbase) / 8n);
        irqEframe = rsp = bt.stkptr = this.irqEframeLink(bt, word(top - 1));
        bt.instptr = word(top - 2);
        const s = m.valueSearch(bt.instptr);
        if (s && (s.name === 'do_softirq' || s.name === 'do_softirq_own_stack' || s.name === 'call_softirq')) irqEframe = 0n;
        bt.frameptr = 0n;
        done = false;
      } else irqEframe = 0n;

      if (!done) {
        est = st.inExceptionStack(bt.stkptr);
        if (est) continue;
      }
      break;
    }

    if (!done && bt.flags & (BT_EXCEPTION_STACK | BT_IRQSTACK)) {
      bt.stackbase = bt.task.stackBase;
      bt.stacktop = bt.stackbase + BigInt(st.stackSize);
      if (!(rsp >= bt.stackbase && rsp < bt.stacktop)) {
        const kpti = st.inKptiEntryStack(bt.task.cpu, rsp, m.ptRegs.size);
        if (kpti) {
          this.exceptionFrame(bt, EFRAME_PRINT, kpti, 0);
          this.print('--- <entry trampoline stack> ---\n');
          return;
        }
        switch (bt.flags & (BT_EXCEPTION_STACK | BT_IRQSTACK)) {
          case BT_EXCEPTION_STACK | BT_IRQSTACK:
            this.fatal(
              `cannot transition from exception stack to IRQ stack to current process stack:\n    exception stack pointer: ${hx(btIn.stkptr)}\n          IRQ stack pointer: ${hx(bt.stkptr)}\n      process stack pointer: ${hx(rsp)}\n         current stack base: ${hx(bt.stackbase)}`,
            );
          // falls through (fatal throws)
          case BT_EXCEPTION_STACK:
            if (m.inUserStack(bt.task.task, rsp)) {
              done = true;
              break;
            }
            if (m.valueSearch(bt.instptr)?.name === 'ia32_sysenter_target') {
              if (rsp === 0n) return;
              done = true;
              break;
            }
            this.fatal(`cannot transition from exception stack to current process stack:\n    exception stack pointer: ${hx(btIn.stkptr)}\n      process stack pointer: ${hx(rsp)}\n         current stack base: ${hx(bt.stackbase)}`);
          // falls through (fatal throws)
          case BT_IRQSTACK:
            this.fatal(`cannot transition from IRQ stack to current process stack:\n        IRQ stack pointer: ${hx(btIn.stkptr)}\n    process stack pointer: ${hx(rsp)}\n       current stack base: ${hx(bt.stackbase)}`);
        }
      }
      const b = this.readOrInfo(bt.stackbase, Number(bt.stacktop - bt.stackbase), 'irqstack contents');
      if (!b) this.fatal(`read of process stack at ${hx(bt.stackbase)} failed`);
      bt.stackbuf = b;
    }

    // A task blocked in schedule: make the first level(s) by hand.
    const ripSymbol = m.valueSearch(bt.instptr)?.name;
    if (!done && !(bt.flags & (BT_TEXT_SYMBOLS | BT_EXCEPTION_STACK | BT_IRQSTACK)) && (ripSymbol === 'thread_return' || ripSymbol === 'schedule' || ripSymbol === '__schedule')) {
      if (m.orc && m.inactiveFrame?.retAddr !== undefined) {
        // rsp holds the inactive_task_frame: its return address is where the walk starts.
        rsp += BigInt(m.inactiveFrame.retAddr);
      } else {
        if (ripSymbol === '__schedule') {
          this.printStackEntry(bt, level, Number((rsp - bt.stackbase) / 8n), bt.instptr);
          level++;
          rsp = this.scheduleFrameAdjust(rsp, bt);
          if (m.valueSearch(bt.instptr)?.name === 'schedule') bt.flags |= BT_SCHEDULE;
        } else bt.flags |= BT_SCHEDULE;
        if (bt.flags & BT_SCHEDULE) {
          this.printStackEntry(bt, level, Number((rsp - bt.stackbase) / 8n), bt.instptr);
          bt.flags &= ~BT_SCHEDULE;
          rsp += 8n;
          level++;
        }
      }
    }

    // The IRQ's exception frame on the process stack.
    if (irqEframe) {
      bt.flags |= BT_EXCEPTION_FRAME;
      let i = Number((irqEframe - bt.stackbase) / 8n);
      if (m.hasAsmCommonInterrupt) {
        i -= 1;
        bt.instptr = word(i);
      }
      this.printStackEntry(bt, level, i, bt.instptr);
      bt.flags &= ~BT_EXCEPTION_FRAME;
      const cs = this.exceptionFrame(bt, EFRAME_PRINT | EFRAME_CS, 0n, Number(irqEframe - bt.stackbase));
      if (cs & 3n) done = true;
      else {
        rsp += ptRegs;
        irqEframe = 0n;
        bt.flags |= BT_EFRAME_TARGET;
        if (bt.eframeIp) {
          const fs = this.getFramesize(bt, bt.eframeIp, rsp, undefined);
          if (fs >= 0) rsp += BigInt(fs);
        }
        bt.flags &= ~BT_EFRAME_TARGET;
      }
      level++;
    }

    // Walk the process stack.
    bt.flags &= ~BT_FRAMESIZE_DISABLE;
    for (let i = Number((rsp - bt.stackbase) / 8n); !done && rsp < bt.stacktop; i++, rsp += 8n) {
      const up = word(i);
      if (!m.isKernelText(up)) continue;
      if (bt.flags & BT_CHECK_CALLER) {
        // Only a return address whose call went to the function just printed.
        const spt = m.valueSearch(up);
        if (!spt) continue;
        if (!spt.offset && !(bt.flags & BT_FRAMESIZE_DISABLE)) continue;
        const callee = this.functionCalledBy(up - 5n);
        if (!callee) {
          if (spt.offset) continue;
        } else if (callee.name !== bt.callTarget) continue;
      }
      const r = this.walkEntry(bt, level, i, up, rsp, i, (eframe) => {
        lastProcessStackEframe = eframe;
      });
      level = r.level;
      rsp = r.rsp;
      i = r.i;
      if (r.done) done = true;
    }

    if (!irqEframe && !bt.task.kernelThread && bt.task.stackBase === bt.stackbase) {
      const userModeEframe = bt.stacktop - ptRegs;
      if (lastProcessStackEframe < userModeEframe) this.exceptionFrame(bt, EFRAME_PRINT, 0n, Number(bt.stacktop - bt.stackbase) - m.ptRegs.size);
    }
  }

  /**
   * One text address found by a stack walk: print it, and skip its frame. `framesizeBuf` is the word index
   * get_framesize may read the caller's saved RBP through (process stack only).
   */
  /**
   * crash's scan of an exception or IRQ stack: every kernel-text word from `rsp` up to `stacktop` is a
   * candidate frame, handed to walkEntry, until it says the walk is done.
   */
  private scanStack(bt: BtState, level: number, rsp: bigint, stacktop: bigint): { level: number; rsp: bigint; done: boolean } {
    let done = false;
    for (let i = Number((rsp - bt.stackbase) / 8n); !done && rsp < stacktop; i++, rsp += 8n) {
      const up = stackWord(bt, i);
      if (!this.m.isKernelText(up)) continue;
      const r = this.walkEntry(bt, level, i, up, rsp, undefined);
      level = r.level;
      rsp = r.rsp;
      i = r.i;
      if (r.done) done = true;
    }
    return { level, rsp, done };
  }

  private walkEntry(
    bt: BtState,
    levelIn: number,
    iIn: number,
    up: bigint,
    rspIn: bigint,
    framesizeBuf: number | undefined,
    onEframe?: (eframe: bigint) => void,
  ): { level: number; rsp: bigint; i: number; done: boolean } {
    let level = levelIn;
    let rsp = rspIn;
    let i = iIn;
    const ptRegs = this.m.ptRegs.size;
    const r = this.printStackEntry(bt, level, i, up);
    if (r === BACKTRACE_COMPLETE) return { level, rsp, i, done: true };
    if (r === BACKTRACE_ENTRY_IGNORED) return { level, rsp, i, done: false };
    if (r === BACKTRACE_ENTRY_AND_EFRAME_DISPLAYED) {
      onEframe?.(rsp + 8n);
      rsp += BigInt(ptRegs);
      i += ptRegs / 8;
      if (!bt.eframeIp) return { level: level + 1, rsp, i, done: false };
    }
    level++;
    const fs = this.getFramesize(bt, bt.eframeIp ? bt.eframeIp : up, rsp, framesizeBuf);
    if (fs >= 0) {
      rsp += BigInt(fs);
      i += Math.trunc(fs / 8);
    }
    return { level, rsp, i, done: false };
  }

  /** x86_64_irq_eframe_link(): where the interrupted context's pt_regs are, from the IRQ stack's link word. */
  private irqEframeLink(bt: BtState, stkref: bigint): bigint {
    if (this.exceptionFrame(bt, EFRAME_VERIFY, stkref, 0)) return stkref;
    const irqEframe = stkref - BigInt(this.m.irqEframeLink);
    if (this.exceptionFrame(bt, EFRAME_VERIFY, irqEframe, 0)) return irqEframe;
    for (const d of [8n, -8n, 16n, -16n]) if (this.exceptionFrame(bt, EFRAME_VERIFY, irqEframe + d, 0)) return irqEframe + d;
    return irqEframe;
  }

  /** Registers from the dump's note for this CPU (diskdump_display_regs / display_regs_from_elf_notes). */
  private displayRegsFromNotes(bt: BtState): void {
    const cpu = bt.task.cpu;
    if (this.dump.kind === 'compressed') {
      const r = cpu >= 0 && cpu < this.dump.prstatusCount ? this.dump.prstatus(cpu) : undefined;
      if (!r) {
        this.info(`registers not collected for cpu ${cpu}`);
        return;
      }
      this.print(noteRegs(r));
    } else if (this.dump.qemu) {
      const r = this.dump.prstatusCount > 1 ? this.dump.prstatus(cpu) : this.dump.prstatus(0);
      if (r) this.print(noteRegs(r));
    }
  }

  // ---- x86_64_print_stack_entry() (8.0.6)

  private printStackEntry(bt: BtState, level: number, stkindex: number, text: bigint): number {
    const m = this.m;
    let eframeCheck = -1;
    if (!(bt.flags & BT_SAVE_EFRAME_IP)) bt.eframeIp = 0n;
    const sp = m.valueSearch(text);
    if (!sp) return BACKTRACE_ENTRY_IGNORED;
    let name = sp.name;
    const offset = sp.offset;
    const namePlusOffset = offset && bt.flags & BT_SYMBOL_OFFSET ? symstr(sp, bt.radix) : undefined;
    const mod = m.moduleOf(text);
    if (bt.flags & BT_TEXT_SYMBOLS) {
      const rsp = bt.flags & BT_EXCEPTION_FRAME ? bt.stkptr : bt.stackbase + BigInt(stkindex * 8);
      this.print(`  [${hx(rsp).padStart(16)}] ${namePlusOffset ?? name} at ${hx(text)}${mod ? ` [${mod}]` : ''}\n`);
      return BACKTRACE_ENTRY_DISPLAYED;
    }

    if (!offset && !(bt.flags & BT_EXCEPTION_FRAME) && !(bt.flags & BT_START)) {
      if (name === 'child_rip') {
        if (m.symbolValue('kernel_thread') !== undefined) name = 'kernel_thread';
        else if (m.symbolValue('arch_kernel_thread') !== undefined) name = 'arch_kernel_thread';
      } else if (!(bt.flags & BT_SCHEDULE)) {
        if (name === 'error_exit') eframeCheck = 8;
        else return BACKTRACE_ENTRY_IGNORED;
      }
    }
    if (eframeCheck === -1 && offset && !(bt.flags & (BT_EXCEPTION_FRAME | BT_START | BT_SCHEDULE))) {
      if (m.exceptionFunctions.includes(name)) eframeCheck = 8;
      if (m.stacks.inIrqStack(bt.stkptr) && name.includes('_interrupt')) eframeCheck = 0;
    }
    if (bt.flags & BT_SCHEDULE) name = 'schedule';

    let result: number;
    if (name === 'child_rip') {
      if (m.symbolValue('kernel_thread') !== undefined) name = 'kernel_thread';
      else if (m.symbolValue('arch_kernel_thread') !== undefined) name = 'arch_kernel_thread';
      result = BACKTRACE_COMPLETE;
    } else if (name === 'cpu_idle' || name === 'system_call_fastpath') result = BACKTRACE_COMPLETE;
    else result = BACKTRACE_ENTRY_DISPLAYED;

    const rsp = bt.flags & (BT_EXCEPTION_FRAME | BT_START) ? bt.stkptr : bt.stackbase + BigInt(stkindex * 8);
    if (bt.flags & BT_FULL) {
      if (bt.frameptr) this.displayFullFrame(bt, rsp);
      bt.frameptr = rsp + 8n;
    }
    let line = `${level < 10 ? ' ' : ''}#${level} [${hx(rsp).padStart(8)}] ${namePlusOffset ?? name} at ${hx(text)}`;
    if (name === 'tracesys') line += ' (via system_call)';
    if (mod) line += ` [${mod}]`;
    if (bt.flags & BT_FRAMESIZE_DISABLE) line += ' *';
    this.print(`${line}\n`);
    if (bt.flags & BT_LINE_NUMBERS) {
      const l = m.isKernelText(text) ? (m.lineNumber?.(text) ?? '') : '';
      if (l) this.print(`    ${l}\n`);
    }
    if (eframeCheck >= 0) {
      if (this.exceptionFrame(bt, EFRAME_PRINT | EFRAME_VERIFY, bt.stackbase + BigInt(stkindex * 8 + eframeCheck), 0)) result = BACKTRACE_ENTRY_AND_EFRAME_DISPLAYED;
    }
    bt.callTarget = name;
    // With ORC, crash skips the caller check (it "does not work correctly for some kernels").
    if (m.orc) return result;
    if (this.isDirectCallTarget(bt)) bt.flags |= BT_CHECK_CALLER;
    else {
      if (bt.flags & BT_CHECK_CALLER) bt.flags |= BT_NO_CHECK_CALLER;
      bt.flags &= ~BT_CHECK_CALLER;
    }
    return result;
  }

  private isDirectCallTarget(bt: BtState): boolean {
    if (!bt.callTarget || bt.flags & BT_NO_CHECK_CALLER) return false;
    if (bt.callTarget.includes('schedule') && bt.task.active) return false;
    return bt.callTarget === 'schedule' || bt.callTarget === 'schedule_timeout';
  }

  /** x86_64_display_full_frame(): the words from the last frame's end up to this frame's return address. */
  private displayFullFrame(bt: BtState, rsp: bigint): void {
    if (rsp < bt.frameptr) return;
    const inStack = (a: bigint): boolean => a >= bt.stackbase && a < bt.stacktop;
    if (!inStack(rsp) || !inStack(bt.frameptr)) return;
    const words = Number((rsp - bt.frameptr) / 8n) + 1;
    let addr = bt.frameptr;
    let u = Number((bt.frameptr - bt.stackbase) / 8n);
    let s = '';
    const dv = new DataView(bt.stackbuf.buffer, bt.stackbuf.byteOffset, bt.stackbuf.byteLength);
    for (let i = 0; i < words; i++, u++, addr += 8n) {
      if (!(i & 1)) s += `${i ? '\n' : ''}    ${hx(addr)}: `;
      const v = u * 8 + 8 <= bt.stackbuf.length ? dv.getBigUint64(u * 8, true) : 0n;
      s += `${pad16(v)} `;
    }
    this.print(`${s}\n`);
  }

  // ---- x86_64_exception_frame()

  /**
   * Prints/verifies the pt_regs at `kvaddr` (read from memory) or, when kvaddr is 0, at byte `local` of the
   * stack buffer. Returns cs (EFRAME_CS), whether verified (EFRAME_VERIFY), else 0.
   */
  private exceptionFrame(bt: BtState, flags: number, kvaddr: bigint, local: number): bigint {
    const m = this.m;
    const L = m.ptRegs;
    const addr = kvaddr ? kvaddr : bt.stackbase + BigInt(local);
    if (flags & EFRAME_VERIFY) {
      if (!this.accessible(addr) || !this.accessible(addr + BigInt(L.size - 8))) return 0n;
    }
    let regsBuf: Uint8Array;
    if (kvaddr) {
      const r = m.readmem(kvaddr, L.size, 'pt_regs');
      if (typeof r === 'string') this.fatal(r);
      regsBuf = r;
    } else {
      regsBuf = new Uint8Array(L.size);
      const avail = bt.stackbuf.subarray(Math.max(0, local), Math.max(0, Math.min(bt.stackbuf.length, local + L.size)));
      if (local >= 0) regsBuf.set(avail);
    }
    const dv = new DataView(regsBuf.buffer, regsBuf.byteOffset, regsBuf.byteLength);
    const g = (k: keyof PtRegsLayout['offsets']): bigint => dv.getBigUint64(L.offsets[k], true);
    const rip = g('rip');
    const rsp = g('rsp');
    const cs = g('cs');
    const ss = g('ss');
    const rflags = g('eflags');
    const verified = this.eframeVerify(bt, addr, cs, ss, rip, rsp, rflags);
    let f = flags;
    if (!verified && (f & (EFRAME_VERIFY | EFRAME_PRINT)) === (EFRAME_VERIFY | EFRAME_PRINT)) f &= ~EFRAME_PRINT;
    let sp: BtSymbol | undefined;
    if (f & EFRAME_PRINT) {
      if (f & EFRAME_SEARCH) {
        this.print(`\n  ${cs & 3n ? 'USER' : 'KERNEL'}-MODE EXCEPTION FRAME AT: ${hx(addr)}\n`);
        if (!(cs & 3n)) {
          sp = m.valueSearch(rip);
          const text = sp ? sp.name + (sp.offset ? `+${sp.offset}` : '') : m.isVmallocAddr(rip) && m.kvtopOk(rip) ? 'no symbolic reference' : 'unknown or invalid address';
          this.print(`    [exception RIP: ${text}]\n`);
        }
      } else if (!(cs & 3n)) {
        sp = m.valueSearch(rip);
        let text: string;
        if (sp) {
          text = sp.name + (sp.offset ? `+${sp.offset}` : '');
          bt.eframeIp = rip;
        } else text = m.isVmallocAddr(rip) && m.kvtopOk(rip) ? 'no symbolic reference' : 'unknown or invalid address';
        this.print(`    [exception RIP: ${text}]\n`);
      }
      this.print(
        `    RIP: ${pad16(rip)}  RSP: ${pad16(rsp)}  RFLAGS: ${hx(rflags).padStart(8, '0')}\n` +
          `    RAX: ${pad16(g('rax'))}  RBX: ${pad16(g('rbx'))}  RCX: ${pad16(g('rcx'))}\n` +
          `    RDX: ${pad16(g('rdx'))}  RSI: ${pad16(g('rsi'))}  RDI: ${pad16(g('rdi'))}\n` +
          `    RBP: ${pad16(g('rbp'))}   R8: ${pad16(g('r8'))}   R9: ${pad16(g('r9'))}\n` +
          `    R10: ${pad16(g('r10'))}  R11: ${pad16(g('r11'))}  R12: ${pad16(g('r12'))}\n` +
          `    R13: ${pad16(g('r13'))}  R14: ${pad16(g('r14'))}  R15: ${pad16(g('r15'))}\n` +
          `    ORIG_RAX: ${pad16(g('orig_rax'))}  CS: ${hx(cs).padStart(4, '0')}  SS: ${hx(ss).padStart(4, '0')}\n`,
      );
      if (!(cs & 3n) && sp && bt.flags & BT_LINE_NUMBERS) {
        const l = m.isKernelText(rip) ? (m.lineNumber?.(rip) ?? '') : '';
        if (l) this.print(`    ${l}\n`);
      }
    }
    if (m.orc) bt.bptr = g('rbp');
    if (flags & EFRAME_CS) return cs;
    if (flags & EFRAME_VERIFY) return verified ? 1n : 0n;
    return 0n;
  }

  /** x86_64_eframe_verify() */
  private eframeVerify(bt: BtState, kvaddr: bigint, cs: bigint, ss: bigint, rip: bigint, rsp: bigint, rflags: bigint): boolean {
    const m = this.m;
    if (rflags & RAZ_MASK || !(rflags & 2n)) return false;
    const ptRegs = BigInt(m.ptRegs.size);
    const inModule = (a: bigint): boolean => a >= m.modules.start && a <= m.modules.end;
    if (cs === 0x10n && ss === 0x18n) {
      if (m.isKernelText(rip) && m.isKvaddr(rsp)) return true;
      if (inModule(rip) && m.isKvaddr(rsp) && rsp === kvaddr + ptRegs) return true;
      if (m.isKernelText(rip) && bt.flags & BT_EXCEPTION_STACK && m.inUserStack(bt.task.task, rsp)) return true;
      const est = m.stacks.inExceptionStack(bt.stkptr);
      if (m.isKernelText(rip) && !m.isKvaddr(rsp) && bt.flags & BT_EFRAME_SEARCH && est) return true;
      if (m.isKernelText(rip) && est && est.index <= 1) return true;
      if (m.valueSearch(rip)?.name === 'ia32_sysenter_target') return true;
      if (rip === 0n && rsp >= bt.stackbase && rsp < bt.stacktop && bt.callTarget === 'ret_from_fork') return true;
      const exc = this.ulong(kvaddr - 8n);
      if (exc !== undefined && m.valueSearch(exc)?.name === 'page_fault') return true;
      if (kvaddr + ptRegs === rsp) return true;
    }
    if (cs === 0x10n && kvaddr) {
      if (m.isKernelText(rip) && m.isKvaddr(rsp) && rsp === kvaddr + ptRegs + 8n) return true;
      if (m.isKernelText(rip) && m.isKvaddr(rsp) && rsp === kvaddr + ptRegs) return true;
      if (m.isKernelText(rip) && m.isKvaddr(rsp) && m.stacks.inExceptionStack(bt.stkptr)) return true;
      if (m.isKvaddr(rsp) && m.isVmallocAddr(rip) && m.kvtopOk(rip)) return true;
    }
    if (cs === 0x33n && ss === 0x2bn) {
      if (m.isUvaddr(rip) && m.isUvaddr(rsp)) return true;
      if (rip >= 0xffffffffff600000n && rip < 0xffffffffff601000n && m.isUvaddr(rsp)) return true;
    }
    if (cs === 0x23n && ss === 0x2bn && m.isUvaddr(rip) && m.isUvaddr(rsp)) return true;
    return false;
  }

  // ---- x86_64_function_called_by()

  /** The function a `call rel32` at `rip` calls, with crash's substitutions. */
  private functionCalledBy(rip: bigint): BtSymbol | undefined {
    const b = this.readQuiet(rip, 5);
    if (!b || b[0] !== 0xe8) return undefined;
    const rel = BigInt(new DataView(b.buffer, b.byteOffset, 5).getInt32(1, true));
    const target = BigInt.asUintN(64, rip + 5n + rel);
    if (!target) return undefined;
    let sp = this.m.valueSearch(target);
    if (sp) {
      if (sp.name === 'schedule_timeout_interruptible' || sp.name === 'schedule_timeout_uninterruptible') sp = this.symbolEntry('schedule_timeout');
      else if (sp.name === '__cond_resched') sp = this.symbolEntry('schedule');
    }
    return sp;
  }

  private symbolEntry(name: string): BtSymbol | undefined {
    const a = this.m.symbolValue(name);
    return a === undefined ? undefined : { name, offset: 0n, type: 'T' };
  }

  // ---- __schedule_frame_adjust()

  private scheduleFrameAdjust(rspIn: bigint, bt: BtState): bigint {
    const m = this.m;
    if (!(rspIn >= bt.stackbase && rspIn < bt.stacktop))
      this.fatal(`invalid RSP: ${hx(rspIn)}  bt->stackbase/stacktop: ${hx(bt.stackbase)}/${hx(bt.stacktop)} cpu: ${bt.task.cpu}`);
    const word = (i: number): bigint => stackWord(bt, i);
    const isTextOffset = (v: bigint): boolean => m.isKernelText(v) && !!m.valueSearch(v)?.offset;
    const cached = m.cache.query(m.threadReturn, false);
    if (cached !== undefined) {
      const rsp = rspIn + BigInt(cached);
      const up = word(Number((rsp - bt.stackbase) / 8n));
      if (isTextOffset(up) && this.functionCalledBy(up - 5n)?.name === '__schedule') {
        bt.instptr = up;
        return rsp;
      }
    }
    for (let rsp = rspIn, i = Number((rsp - bt.stackbase) / 8n); rsp < bt.stacktop; i++, rsp += 8n) {
      const up = word(i);
      if (!isTextOffset(up)) continue;
      if (this.functionCalledBy(up - 5n)?.name === '__schedule') {
        bt.instptr = up;
        m.cache.enter(m.threadReturn, Number(rsp - rspIn), false);
        return rsp;
      }
    }
    return rspIn;
  }

  // ---- search_for_eframe_target_caller()

  private eframeTargetCaller(bt: BtState, stkptr: bigint): number | undefined {
    const m = this.m;
    const called = m.valueSearch(bt.eframeIp)?.name;
    if (!called) return undefined;
    const word = (i: number): bigint => stackWord(bt, i);
    for (let rsp = stkptr, i = Number((rsp - bt.stackbase) / 8n); rsp < bt.stacktop; i++, rsp += 8n) {
      const up = word(i);
      if (!m.isKernelText(up)) continue;
      const s = m.valueSearch(up);
      if (!s) continue;
      if (!s.offset && !(bt.flags & BT_FRAMESIZE_DISABLE)) continue;
      if (this.functionCalledBy(up - 5n)?.name === called) return Number(rsp - stkptr);
    }
    return undefined;
  }

  // ---- x86_64_get_framesize() (8.0.6)

  private getFramesize(bt: BtState, textaddr: bigint, rsp: bigint, stackIndex: number | undefined): number {
    const m = this.m;
    if (bt.flags & (BT_FRAMESIZE_DISABLE | BT_TEXT_SYMBOLS | BT_TEXT_SYMBOLS_ALL | BT_OLD_BACK_TRACE)) return 0;
    const sp = m.valueSearch(textaddr);
    if (!sp) {
      bt.flags |= BT_FRAMESIZE_DISABLE;
      return 0;
    }
    const funcStart = textaddr - sp.offset;
    const exception = bt.eframeIp === textaddr;
    if (bt.flags & BT_EFRAME_TARGET) {
      const fs = this.eframeTargetCaller(bt, rsp);
      if (fs !== undefined) return fs;
    }
    const cached = m.cache.query(textaddr, exception);
    if (cached !== undefined) {
      if (cached === -1) bt.flags |= BT_FRAMESIZE_DISABLE;
      return cached;
    }
    if (sp.name === 'irq_entries_start') {
      const b = this.readQuiet(textaddr, 2);
      return m.cache.enter(textaddr, b && b[0] === 0x6a ? 0 : 8, exception);
    }
    if (m.framePointer && rsp && !exception) {
      const fp = this.getFramepointer(bt, rsp);
      if (fp) {
        const framesize = Number(fp - rsp);
        if (m.cache.noCache.has(funcStart) || this.doNotCacheFramesize(funcStart, textaddr)) return framesize;
        return m.cache.enter(textaddr, framesize, false);
      }
    }
    if (funcStart >= m.initBegin && funcStart < m.initEnd) return 0;
    if (m.orc) {
      const korc = m.orc.find(textaddr);
      if (typeof korc === 'string') {
        if (korc === 'outside') this.print(`WARNING: ${hx(textaddr)}: ip is outside kernel and module text ranges\n`);
      } else if (korc.type === m.orcTypeCall) {
        let prevSp = 0n;
        let framesize = -1;
        const inStack = (a: bigint): boolean => a >= bt.stackbase && a < bt.stacktop;
        if (korc.spReg === 5) {
          framesize = korc.spOffset - 8;
          prevSp = rsp + 8n + BigInt(korc.spOffset);
        } else if (korc.spReg === 4 && bt.bptr && inStack(bt.bptr)) {
          prevSp = bt.bptr + BigInt(korc.spOffset);
          framesize = Number(BigInt.asIntN(32, prevSp - (rsp + 8n) - 8n));
        }
        if (korc.bpReg === 1 && prevSp) {
          const prevBp = prevSp + BigInt(korc.bpOffset);
          if (stackIndex !== undefined && inStack(prevBp)) {
            // ULONG(stack_ptr + (prev_bp - rsp)): the word in the stack buffer at prev_bp.
            const o = stackIndex * 8 + Number(prevBp - rsp);
            bt.bptr = o >= 0 && o + 8 <= bt.stackbuf.length ? new DataView(bt.stackbuf.buffer, bt.stackbuf.byteOffset).getBigUint64(o, true) : 0n;
          } else bt.bptr = 0n;
        } else if (korc.bpReg !== 0) bt.bptr = 0n;
        // Not cached: it may vary.
        if (framesize >= 0) return framesize;
      }
    }

    // Count what gdb shows from the function's start: pushes, pops, stack adjustments, rets.
    let framesize = 0;
    let max = 0;
    const n = Number(textaddr - funcStart);
    const ok = disassemble(
      (a, size) => this.readQuiet(a, size),
      funcStart,
      n,
      (current, insn) => {
        if (current > textaddr || (current === textaddr && !exception)) return;
        const w = insn.word;
        if (w.startsWith('push')) {
          framesize += 8;
          max = framesize;
        } else if (w.startsWith('pop')) {
          if (framesize > 0) framesize -= 8;
        } else if (w.startsWith('add') && insn.rspImm !== undefined) {
          if (framesize > 0) framesize = Number(BigInt.asIntN(32, BigInt(framesize) - insn.rspImm));
        } else if (w.startsWith('sub') && insn.rspImm !== undefined) {
          framesize = Number(BigInt.asIntN(32, BigInt(framesize) + insn.rspImm));
          max = framesize;
        } else if (w.startsWith('ret')) {
          if (!exception) framesize = max;
        }
      },
    );
    if (!ok) {
      bt.flags |= BT_FRAMESIZE_DISABLE;
      return 0;
    }
    return m.cache.enter(textaddr, framesize, exception);
  }

  /** x86_64_get_framepointer(): the saved RBP below a return address, if it looks like a frame. */
  private getFramepointer(bt: BtState, rsp: bigint): bigint {
    const inStack = (a: bigint): boolean => a >= bt.stackbase && a < bt.stacktop;
    const stackptr = rsp - 8n;
    if (!inStack(stackptr)) return 0n;
    const fp = this.ulong(stackptr);
    if (fp === undefined || !inStack(fp) || fp <= rsp + 8n) return 0n;
    const ret = this.ulong(fp + 8n);
    if (ret === undefined || !this.m.isKernelText(ret)) return 0n;
    return fp;
  }

  /** x86_64_do_not_cache_framesize(): a function that realigns its stack before its first call. */
  private doNotCacheFramesize(funcStart: bigint, textaddr: bigint): boolean {
    let realigns = false;
    let stop = false;
    disassemble(
      (a, size) => this.readQuiet(a, size),
      funcStart,
      Number(textaddr - funcStart) + 1,
      (current, insn) => {
        if (stop || current >= textaddr) return;
        if (insn.word === 'and' && insn.andRspMinus16) realigns = true;
        if (insn.word === 'call' || realigns) stop = true;
      },
    );
    if (realigns) this.m.cache.noCache.add(funcStart);
    return realigns;
  }
}

/** value_to_symstr() for a symbol hit: "name+off" in the radix asked for. */
function symstr(sp: BtSymbol, radix: 0 | 10 | 16): string {
  if (!sp.offset) return sp.name;
  return radix === 16 ? `${sp.name}+0x${hx(sp.offset)}` : `${sp.name}+${sp.offset}`;
}

/** The register block diskdump_display_regs() / display_regs_from_elf_notes() print. */
function noteRegs(r: UserRegs): string {
  return (
    `    RIP: ${pad16(r.rip)}  RSP: ${pad16(r.rsp)}  RFLAGS: ${hx(r.eflags).padStart(8, '0')}\n` +
    `    RAX: ${pad16(r.rax)}  RBX: ${pad16(r.rbx)}  RCX: ${pad16(r.rcx)}\n` +
    `    RDX: ${pad16(r.rdx)}  RSI: ${pad16(r.rsi)}  RDI: ${pad16(r.rdi)}\n` +
    `    RBP: ${pad16(r.rbp)}   R8: ${pad16(r.r8)}   R9: ${pad16(r.r9)}\n` +
    `    R10: ${pad16(r.r10)}  R11: ${pad16(r.r11)}  R12: ${pad16(r.r12)}\n` +
    `    R13: ${pad16(r.r13)}  R14: ${pad16(r.r14)}  R15: ${pad16(r.r15)}\n` +
    `    CS: ${hx(r.cs & 0xffffn).padStart(4, '0')}  SS: ${hx(r.ss & 0xffffn).padStart(4, '0')}\n`
  );
}

/** crash's exception_functions_5_8: entry points whose caller's frame is followed by a pt_regs (Linux 5.8+). */
export const X86_64_EXCEPTION_FUNCTIONS: readonly string[] = [
  'asm_exc_invalid_tss', 'asm_exc_segment_not_present', 'asm_exc_alignment_check', 'asm_exc_general_protection', 'asm_exc_page_fault',
  'asm_exc_divide_error', 'asm_exc_overflow', 'asm_exc_bounds', 'asm_exc_invalid_op', 'asm_exc_device_not_available',
  'asm_exc_coproc_segment_overrun', 'asm_exc_spurious_interrupt_bug', 'asm_exc_coprocessor_error', 'asm_exc_simd_coprocessor_error',
  'asm_exc_debug', 'xen_asm_exc_stack_segment', 'xen_asm_exc_xen_hypervisor_callback', 'xen_asm_exc_int3',
];

/** crash's exception_functions_orig, for kernels before 5.8. */
export const X86_64_EXCEPTION_FUNCTIONS_OLD: readonly string[] = [
  'invalid_TSS', 'segment_not_present', 'alignment_check', 'xen_stack_segment', 'general_protection', 'page_fault', 'divide_error',
  'overflow', 'bounds', 'invalid_op', 'device_not_available', 'coprocessor_segment_overrun', 'spurious_interrupt_bug',
  'coprocessor_error', 'simd_coprocessor_error', 'xen_hypervisor_callback', 'xen_debug', 'xen_int3', 'async_page_fault',
];

// ---------------------------------------------------------------------------------------------------
// Real unwinders, for where crash's scan gives up (a CPU stopped on a stack it cannot enter, say):
// the kernel's own ORC rules (arch/x86/kernel/unwind_orc.c, unwind_next_frame) and the frame-pointer
// chain (CONFIG_UNWINDER_FRAME_POINTER), from a register set such as a dump's NT_PRSTATUS.
// ---------------------------------------------------------------------------------------------------

/** One frame found by a real unwinder. */
export interface UnwindFrame {
  /** Where the return address was read (or, for the first frame and exception frames, the stack pointer). */
  sp: bigint;
  pc: bigint;
  /** The pt_regs an exception/interrupt entry left, for the frame it interrupted. */
  regs?: bigint;
}

export interface UnwindResult {
  frames: UnwindFrame[];
  /** Why the walk stopped early, if it did. */
  error?: string;
}

const MAX_UNWIND_FRAMES = 128;

/**
 * unwind_orc.c's walk from a register set. `read` returns a stack word or undefined; frames stop at an
 * ORC "end" entry (user mode), an unreadable word, or a stack pointer that does not move up.
 */
export function orcUnwind(m: BtMachine, regs: { rip: bigint; rsp: bigint; rbp: bigint }): UnwindResult {
  const orc = m.orc;
  if (!orc) return { frames: [], error: 'the kernel has no ORC tables' };
  const read = (a: bigint): bigint | undefined => {
    const b = m.readmem(BigInt.asUintN(64, a), 8, 'unwind');
    return typeof b === 'string' ? undefined : new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  };
  const L = m.ptRegs.offsets;
  const frames: UnwindFrame[] = [{ sp: regs.rsp, pc: regs.rip }];
  let { rip: ip, rsp: sp, rbp: bp } = regs;
  let signal = true; // the first frame's ip is where it stopped, not a return address
  let ptRegs: bigint | undefined;
  while (frames.length < MAX_UNWIND_FRAMES) {
    const look = signal ? ip : ip - 1n;
    let e = orc.find(look);
    if (e === 'outside' && look >= m.initBegin && look < m.initEnd) e = orc.findInitText(look);
    if (typeof e === 'string') return { frames, error: `no ORC entry for ${hx(ip)} (${e})` };
    // The end of the kernel stack: an "end" entry (6.1), or ORC_TYPE_UNDEFINED / END_OF_STACK (6.4+).
    if (e.end || e.spReg === ORC_UNDEFINED || (m.orcTypeCall === 2 && e.type <= 1)) return { frames };
    let cfa: bigint | undefined;
    const fromRegs = (off: number): bigint | undefined => (ptRegs !== undefined ? read(ptRegs + BigInt(off)) : undefined);
    switch (e.spReg) {
      case 5: // SP
        cfa = sp + BigInt(e.spOffset);
        break;
      case 4: // BP
        cfa = bp + BigInt(e.spOffset);
        break;
      case 9: // SP_INDIRECT
        cfa = read(sp);
        if (cfa !== undefined) cfa += BigInt(e.spOffset);
        break;
      case 8: // BP_INDIRECT
        cfa = read(bp + BigInt(e.spOffset));
        break;
      case 6: // R10
        cfa = fromRegs(L.r10);
        break;
      case 7: // R13
        cfa = fromRegs(L.r13);
        break;
      case 3: // DI
        cfa = fromRegs(L.rdi);
        break;
      case 2: // DX
        cfa = fromRegs(L.rdx);
        break;
    }
    if (cfa === undefined) return { frames, error: `cannot find the frame above ${hx(ip)}` };
    let nextIp: bigint | undefined;
    let nextSp: bigint | undefined;
    let at: bigint;
    if (e.type === m.orcTypeCall) {
      at = cfa - 8n;
      nextIp = read(at);
      nextSp = cfa;
      ptRegs = undefined;
      signal = false;
    } else {
      // ORC_TYPE_REGS: a full pt_regs at the CFA; REGS_PARTIAL: just the iret frame (ip, cs, flags, sp, ss).
      const full = e.type === (m.orcTypeCall === 0 ? 1 : 3);
      ptRegs = full ? cfa : cfa - BigInt(L.rip);
      at = ptRegs;
      nextIp = read(ptRegs + BigInt(L.rip));
      nextSp = read(ptRegs + BigInt(L.rsp));
      // An entry from user mode ends the kernel stack.
      const cs = read(ptRegs + BigInt(L.cs));
      if (cs !== undefined && cs & 3n) return { frames };
      signal = true;
    }
    // Find BP.
    if (e.bpReg === 1) bp = read(cfa + BigInt(e.bpOffset)) ?? bp;
    else if (e.bpReg === 4) bp = read(bp + BigInt(e.bpOffset)) ?? bp;
    else if (e.bpReg === 0 && ptRegs !== undefined) bp = read(ptRegs + BigInt(L.rbp)) ?? bp;
    if (nextIp === undefined || nextSp === undefined) return { frames, error: `cannot read the frame at ${hx(at)}` };
    // A frame that does not move up its stack means bad data: stop rather than loop.
    if (nextSp <= sp && nextSp >> 14n === sp >> 14n)
      return { frames, error: `the stack pointer went down at ${hx(ip)}` };
    if (!m.isKernelText(nextIp)) return { frames };
    frames.push({ sp: at, pc: nextIp, regs: ptRegs });
    ip = nextIp;
    sp = nextSp;
  }
  return { frames, error: 'too many frames' };
}

const ORC_UNDEFINED = 0;

/** The frame-pointer chain: each frame's saved RBP, with the return address just above it. */
export function framePointerUnwind(m: BtMachine, regs: { rip: bigint; rsp: bigint; rbp: bigint }): UnwindResult {
  const read = (a: bigint): bigint | undefined => {
    const b = m.readmem(BigInt.asUintN(64, a), 8, 'unwind');
    return typeof b === 'string' ? undefined : new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  };
  const frames: UnwindFrame[] = [{ sp: regs.rsp, pc: regs.rip }];
  const L = m.ptRegs.offsets;
  let bp = regs.rbp;
  while (frames.length < MAX_UNWIND_FRAMES) {
    if (!bp) return { frames };
    if (bp & 1n) {
      // ENCODE_FRAME_POINTER: entry code left bp = &pt_regs + 1; go on from the interrupted context.
      const ptRegs = bp - 1n;
      const cs = read(ptRegs + BigInt(L.cs));
      const ip = read(ptRegs + BigInt(L.rip));
      const sp = read(ptRegs + BigInt(L.rsp));
      const nextBp = read(ptRegs + BigInt(L.rbp));
      if (cs === undefined || ip === undefined || sp === undefined || nextBp === undefined) return { frames, error: `cannot read the pt_regs at ${hx(ptRegs)}` };
      if (cs & 3n) return { frames };
      frames.push({ sp, pc: ip, regs: ptRegs });
      bp = nextBp;
      continue;
    }
    const ret = read(bp + 8n);
    const next = read(bp);
    if (ret === undefined || next === undefined) return { frames, error: `cannot read the frame at ${hx(bp)}` };
    if (!m.isKernelText(ret)) return { frames };
    frames.push({ sp: bp + 8n, pc: ret });
    if (next !== 0n && next <= bp && next >> 14n === bp >> 14n) return { frames, error: `the frame chain went down at ${hx(bp)}` };
    bp = next;
  }
  return { frames, error: 'too many frames' };
}

/** Frames as crash prints them: "#N [sp] name at pc [module]". */
export function formatFrames(m: BtMachine, r: UnwindResult): string {
  let out = '';
  r.frames.forEach((f, level) => {
    const s = m.valueSearch(f.pc);
    const mod = m.moduleOf(f.pc);
    out += `${level < 10 ? ' ' : ''}#${level} [${hx(f.sp).padStart(8)}] ${s ? s.name : hx(f.pc)} at ${hx(f.pc)}${mod ? ` [${mod}]` : ''}\n`;
  });
  if (r.error) out += `    (${r.error})\n`;
  return out;
}

/** The i-th 64-bit word of the stack buffer being walked; 0 outside it (crash reads nothing there either). */
function stackWord(bt: BtState, i: number): bigint {
  const o = i * 8;
  return o >= 0 && o + 8 <= bt.stackbuf.length ? new DataView(bt.stackbuf.buffer, bt.stackbuf.byteOffset).getBigUint64(o, true) : 0n;
}
