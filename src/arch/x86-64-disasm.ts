// x86-64 instruction decoding for `dis`, printed as gdb 16 (libopcodes, AT&T syntax) prints it, which is
// what crash shows: "push   %rbp", "mov    0x18(%rbx),%eax", "je     0xffffffff81... ", "ud2    ".
//
// Decoding is iced-x86's (npm `iced-x86`, MIT, Rust compiled to WebAssembly). It was chosen over
// @alexaltea/capstone-js 5.0.9 because capstone-js only comes up through an `await` (its Emscripten
// factory awaits the wasm instantiation), which the synchronous engine cannot do on first use, and its
// AT&T printer differs from libopcodes in most lines (size suffixes everywhere, decimal immediates,
// ", " separators). iced instantiates synchronously and its GAS formatter follows libopcodes; the few
// places where it prints older binutils spellings are mapped here.
//
// iced's JS package loads its wasm with Node's fs, so in Node it is loaded on first use; other hosts
// (the browser worker) hand a loaded module to installIced().
import type * as Iced from 'iced-x86';
import { CrashlensError } from '../errors.ts';

type IcedModule = typeof Iced;

let iced: IcedModule | undefined;
let formatter: Iced.Formatter | undefined;

/** Supplies the iced-x86 module where it cannot be required (a bundler-loaded copy in the browser). */
export function installIced(m: IcedModule): void {
  iced = m;
  formatter = undefined;
}

function loadIced(): IcedModule {
  if (iced) return iced;
  // No static import of node:module, so the browser bundle never sees it.
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:module') as { createRequire(url: string): (id: string) => unknown } | undefined;
  if (!mod) throw new CrashlensError('the x86-64 disassembler (iced-x86) is not loaded in this environment');
  iced = mod.createRequire(import.meta.url)('iced-x86') as IcedModule;
  return iced;
}

function gasFormatter(m: IcedModule): Iced.Formatter {
  if (formatter) return formatter;
  const f = new m.Formatter(m.FormatterSyntax.Gas);
  f.spaceAfterOperandSeparator = false;
  f.gasShowMnemonicSizeSuffix = false;
  f.hexPrefix = '0x';
  f.hexSuffix = '';
  f.uppercaseHex = false;
  f.leadingZeros = false;
  f.branchLeadingZeros = false;
  f.displacementLeadingZeros = false;
  f.smallHexNumbersInDecimal = false;
  f.signedImmediateOperands = false;
  f.signedMemoryDisplacements = true;
  f.showBranchSize = false;
  f.ripRelativeAddresses = true;
  f.showZeroDisplacements = false;
  f.alwaysShowScale = false;
  f.showUselessPrefixes = true;
  return (formatter = f);
}

export interface Insn {
  address: bigint;
  length: number;
  /** The mnemonic with its prefixes, as libopcodes spells it ("rep stos", "lock xadd"). */
  mnemonic: string;
  /** The operands, AT&T order, comma-separated with no spaces. */
  operands: string;
  /** A direct branch or call's destination (gdb prints it as an address, then <symbol>). */
  branchTarget?: bigint;
  /** A %rip-relative operand's address (gdb adds "# 0x... <symbol>"). */
  ripTarget?: bigint;
  /** Bytes libopcodes cannot decode ("(bad)"). */
  bad: boolean;
}

/** Mnemonics iced spells as older binutils did; gdb 16's libopcodes drops the suffix. */
const MNEMONIC_FIXUPS: Record<string, string> = {
  callq: 'call',
  jmpq: 'jmp',
  pushq: 'push',
  popq: 'pop',
  retq: 'ret',
};

const LEGACY_PREFIXES = new Set([0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65]);

/**
 * Decodes up to `count` instructions from `bytes`, which start at `address`. Decoding stops early at the
 * end of the bytes; an undecodable byte becomes one "(bad)" instruction, as in libopcodes.
 */
export function disassemble(bytes: Uint8Array, address: bigint, count: number): Insn[] {
  const m = loadIced();
  const f = gasFormatter(m);
  const decoder = new m.Decoder(64, bytes, m.DecoderOptions.None);
  decoder.ip = BigInt.asUintN(64, address);
  const out: Insn[] = [];
  try {
    while (decoder.canDecode && out.length < count) {
      const start = Number(decoder.position);
      const insn = decoder.decode();
      try {
        const ip = insn.ip;
        if (insn.isInvalid) {
          // libopcodes prints one "(bad)" and moves on by a byte.
          out.push({ address: ip, length: 1, mnemonic: '(bad)', operands: '', bad: true });
          decoder.position = start + 1;
          decoder.ip = BigInt.asUintN(64, ip + 1n);
          continue;
        }
        // libopcodes prints a displacement that is encoded even when it is zero ("0x0(%rax,%rax,1)"), and
        // the segments of string operands ("%ds:(%rsi),%es:(%rdi)"),
        f.showZeroDisplacements = insn.memoryDisplSize > 0;
        f.alwaysShowSegmentRegister = hasStringOperand(m, insn);
        // ... and the scale whenever there is an index register ("(%rcx,%rdx,1)").
        f.alwaysShowScale = insn.memoryIndex !== m.Register.None;
        let mnemonic = f.formatMnemonic(insn);
        mnemonic = mnemonic
          .split(' ')
          .map((w) => MNEMONIC_FIXUPS[w] ?? w)
          .join(' ');
        // Operand-size prefixes beyond the one that counts are printed as "data16" ("data16 nopw ...").
        let extra66 = -1;
        for (let k = start; k < start + insn.length && LEGACY_PREFIXES.has(bytes[k]); k++) if (bytes[k] === 0x66) extra66++;
        if (extra66 > 0 && !mnemonic.startsWith('data16')) mnemonic = `${'data16 '.repeat(extra66)}${mnemonic}`;
        let operands = f.formatAllOperands(insn);
        const code = m.Code[insn.code] as unknown as string;
        // The shift-by-one forms (D0/D1 /n) have no immediate in libopcodes' spelling: "shr    %edx".
        if (/_1$/.test(code) && operands.startsWith('$0x1,')) operands = operands.slice(5);
        // libopcodes writes the port register of in/out as memory: "out    %al,(%dx)".
        if ((mnemonic === 'in' || mnemonic === 'out') && /(^|,)%dx(,|$)/.test(operands)) operands = operands.replace(/(^|,)%dx(?=,|$)/, '$1(%dx)');
        // Three-operand imul with the same source and destination keeps both: "imul   $0x3e8,%eax,%eax".
        if (mnemonic === 'imul' && insn.opCount === 3 && insn.op1Kind === m.OpKind.Register && insn.op0Register === insn.op1Register && operands.split(',').length === 2) {
          operands += `,${f.formatRegister(insn.op0Register)}`;
        }
        const e: Insn = { address: ip, length: insn.length, mnemonic, operands, bad: false };
        const fc = insn.flowControl;
        if ((fc === m.FlowControl.UnconditionalBranch || fc === m.FlowControl.ConditionalBranch || fc === m.FlowControl.Call) && !insn.isJmpFar && !insn.isCallFar) {
          e.branchTarget = insn.nearBranch64;
        }
        if (insn.isIpRelMemoryOperand) e.ripTarget = insn.ipRelMemoryAddress;
        out.push(e);
      } finally {
        insn.free();
      }
    }
  } finally {
    decoder.free();
  }
  return out;
}

function hasStringOperand(m: IcedModule, insn: Iced.Instruction): boolean {
  const k = m.OpKind;
  const string = [k.MemorySegSI, k.MemorySegESI, k.MemorySegRSI, k.MemorySegDI, k.MemorySegEDI, k.MemorySegRDI, k.MemoryESDI, k.MemoryESEDI, k.MemoryESRDI];
  for (let i = 0; i < insn.opCount; i++) if (string.includes(insn.opKind(i))) return true;
  return false;
}

/**
 * One instruction as gdb prints it after "<addr> <sym+off>:\t": the mnemonic padded to 6 columns and a
 * space, the operands, then for a branch " <symbol>" and for %rip-relative memory "        # 0x... <symbol>".
 * `symbolize` gives crash's "symbol+offset" for an address, or undefined where gdb finds no symbol.
 */
export function formatInsn(i: Insn, symbolize: (addr: bigint) => string | undefined): string {
  // libopcodes pads the mnemonic column even with no operands ("ret    ", "(bad)  "), except for a plain nop.
  if (i.mnemonic === 'nop' && !i.operands) return 'nop';
  let text = `${i.mnemonic.padEnd(6)} ${i.operands}`;
  if (i.branchTarget !== undefined) {
    const s = symbolize(i.branchTarget);
    if (s !== undefined) text += ` <${s}>`;
  } else if (i.ripTarget !== undefined) {
    const s = symbolize(i.ripTarget);
    text += `        # 0x${i.ripTarget.toString(16)}${s !== undefined ? ` <${s}>` : ''}`;
  }
  return text;
}
