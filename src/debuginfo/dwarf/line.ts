// .debug_line: the line-number program of a unit (DWARF 2–5), run into rows (address → file, line), and
// the lookup of an address's source position as gdb gives it. Paths are joined as gdb shows them: a
// relative file name under its directory, a relative directory under the unit's compilation directory.
import { DW_FORM } from './constants.ts';
import { Reader } from './reader.ts';
import type { DwarfSections } from './sections.ts';

export interface LineRow {
  address: bigint;
  file: number;
  line: number;
  isStmt: boolean;
  endSequence: boolean;
}

export interface LineTable {
  files: string[];
  rows: LineRow[];
}

const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

function join(dir: string, name: string): string {
  if (name.startsWith('/') || !dir) return name;
  return `${dir}/${name}`;
}

/** Parses the line program at `offset`. `compDir` and `cuName` resolve DWARF 2–4's implicit entries. */
export function readLineTable(dwarf: DwarfSections, offset: number, compDir: string, addrSize: number): LineTable {
  const sec = dwarf.get('.debug_line');
  const r: Reader = new Reader('.debug_line', sec, 0, offset);
  let unitLength = r.u32();
  let is64 = false;
  if (unitLength === 0xffffffff) {
    is64 = true;
    unitLength = r.u64n();
  }
  const end = r.pos + unitLength;
  if (end > sec.length) r.fail('line program runs past the end of .debug_line');
  const version = r.u16();
  if (version < 2 || version > 5) r.fail(`unsupported line table version ${version}`);
  if (version >= 5) {
    addrSize = r.u8();
    r.u8(); // segment_selector_size
  }
  const headerLength = r.offsetOf(is64);
  const programStart = r.pos + headerLength;
  const minInst = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction (VLIW only)
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = (r.u8() << 24) >> 24;
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) r.fail('line_range is 0');
  const opLengths: number[] = [0];
  for (let i = 1; i < opcodeBase; i++) opLengths.push(r.u8());

  const dirs: string[] = [];
  const files: string[] = [];
  const strOf = (form: number): string => {
    switch (form) {
      case DW_FORM.string:
        return r.cstring();
      case DW_FORM.line_strp:
      case DW_FORM.strp: {
        const o = r.offsetOf(is64);
        const s = dwarf.get(form === DW_FORM.line_strp ? '.debug_line_str' : '.debug_str');
        let e = s.indexOf(0, o);
        if (e < 0) e = s.length;
        let out = '';
        for (let i = o; i < e; i++) out += String.fromCharCode(s[i]);
        return out;
      }
      default:
        r.fail(`unsupported string form 0x${form.toString(16)} in line table header`);
    }
  };
  const numOf = (form: number): number => {
    switch (form) {
      case DW_FORM.data1: return r.u8();
      case DW_FORM.data2: return r.u16();
      case DW_FORM.data4: return r.u32();
      case DW_FORM.data8: return r.u64n();
      case DW_FORM.udata: return r.uleb();
      case DW_FORM.data16: r.skip(16); return 0;
      case DW_FORM.block: r.skip(r.uleb()); return 0;
      default: r.fail(`unsupported form 0x${form.toString(16)} in line table header`);
    }
  };
  if (version >= 5) {
    const readEntries = (): { path: string; dir: number }[] => {
      const formatCount = r.u8();
      const format: [number, number][] = [];
      for (let i = 0; i < formatCount; i++) format.push([r.uleb(), r.uleb()]);
      const count = r.uleb();
      const out: { path: string; dir: number }[] = [];
      for (let i = 0; i < count && r.pos < end; i++) {
        let path = '';
        let dir = 0;
        for (const [type, form] of format) {
          if (type === DW_LNCT_path) path = strOf(form);
          else if (type === DW_LNCT_directory_index) dir = numOf(form);
          else if (form === DW_FORM.string || form === DW_FORM.line_strp || form === DW_FORM.strp) strOf(form);
          else numOf(form);
        }
        out.push({ path, dir });
      }
      return out;
    };
    for (const d of readEntries()) dirs.push(d.dir === 0 && dirs.length === 0 ? d.path : join(dirs[0] ?? compDir, d.path));
    for (const f of readEntries()) files.push(join(dirs[f.dir] ?? '', f.path));
  } else {
    // DWARF 2–4: directory 0 and file 0 are implicit (the compilation directory and unit).
    dirs.push(compDir);
    for (;;) {
      const d = r.cstring();
      if (!d) break;
      dirs.push(join(compDir, d));
    }
    files.push('');
    for (;;) {
      const name = r.cstring();
      if (!name) break;
      const dir = r.uleb();
      r.uleb();
      r.uleb();
      files.push(join(dirs[dir] ?? '', name));
    }
  }

  const rows: LineRow[] = [];
  r.pos = programStart;
  let address = 0n;
  let file = 1;
  let line = 1;
  let isStmt = defaultIsStmt;
  const reset = (): void => {
    address = 0n;
    file = 1;
    line = 1;
    isStmt = defaultIsStmt;
  };
  const emit = (endSequence: boolean): void => {
    rows.push({ address, file, line, isStmt, endSequence });
  };
  const minInstB = BigInt(minInst);
  while (r.pos < end) {
    const op = r.u8();
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      address += BigInt(Math.floor(adj / lineRange)) * minInstB;
      line += lineBase + (adj % lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        const next = r.pos + len;
        const sub = len > 0 ? r.u8() : 0;
        if (sub === 1) {
          emit(true);
          reset();
        } else if (sub === 2) address = addrSize === 8 ? r.u64() : BigInt(r.u32());
        r.pos = next;
        break;
      }
      case 1: emit(false); break;
      case 2: address += BigInt(r.uleb()) * minInstB; break;
      case 3: line += Number(r.sleb()); break;
      case 4: file = r.uleb(); break;
      case 5: r.uleb(); break;
      case 6: isStmt = !isStmt; break;
      case 7: break;
      case 8: address += BigInt(Math.floor((255 - opcodeBase) / lineRange)) * minInstB; break;
      case 9: address += BigInt(r.u16()); break;
      case 10: case 11: break;
      case 12: r.uleb(); break;
      default:
        for (let i = 0; i < opLengths[op]; i++) r.uleb();
    }
  }
  return { files, rows };
}

/**
 * The row covering `addr`: among the rows at the highest address not above it (within one sequence), the
 * last statement row, as gdb chooses (an inlined callee's rows often share the caller's first address).
 */
export function lookupLine(table: LineTable, addr: bigint): { file: string; line: number } | undefined {
  let best: LineRow | undefined;
  for (const row of table.rows) {
    if (row.endSequence) {
      if (best && addr < row.address) return { file: table.files[best.file] ?? '??', line: best.line };
      best = undefined;
      continue;
    }
    if (row.address > addr) continue;
    if (!best || row.address > best.address || (row.address === best.address && (row.isStmt || !best.isStmt))) best = row;
  }
  return undefined;
}
