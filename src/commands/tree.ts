// crash's `tree` (tools.c cmd_tree(), maple_tree.c do_mptree()): the entries of a red-black tree (the
// default), a radix tree / xarray, or a maple tree, from a root (or with -N a node), optionally with each
// entry's position (-p), in linear order (-l, rbtree), and the structure each entry is in (-s, -o).
//
// Kernel differences by feature: a radix_tree_root with xa_head is an xarray (Linux commit f8d5d0cc145c,
// v4.20), and crash walks "-t radix" as one then; maple trees exist since commit 54a611b60590 (v6.1).
import { hex } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { isNode, mapleLayout, nodeAddress, nodeType, MAPLE_ARANGE_64, MAPLE_DENSE, MAPLE_RANGE_64 } from '../kernel/maple-tree.ts';
import { xarrayLayout } from '../kernel/xarray.ts';
import { findMember, strip } from '../types/type.ts';
import type { Command } from './command.ts';
import { findDatatype, parseForMember, parseForMemberExtended, printObjectText } from './struct.ts';
import { CrashReader } from './rd.ts';
import { mmOf } from './vtop.ts';
import { CrashFatal, finish, getopt, htol, stol, usage, isANumber, radixOption } from './crash-tools.ts';

const SYNOPSIS =
  '[-t [radix|xarray|rbtree|maple]] [-r offset] [-[s|S] struct[.member[,member]]]\n' +
  '       -[x|d] [-o offset] [-l] [-p] [-v] [-N] start';

/** Bound on the entries of a damaged tree. */
const MAX_ENTRIES = 1 << 20;

type Kind = 'rbtree' | 'radix' | 'xarray' | 'maple';

interface TreeOptions {
  kind: Kind;
  nodePointer: boolean;
  position: boolean;
  linear: boolean;
  nodeOffset: bigint;
  structs: string[];
  parseMember: boolean;
  radix: 0 | 10 | 16;
}

/** arg_to_datatype() for "struct.member": the member's offset. */
function memberOffset(session: Session, arg: string): bigint | undefined {
  const dot = arg.indexOf('.');
  if (dot <= 0) return undefined;
  const dt = findDatatype(session.program, arg.slice(0, dot));
  if (!dt) return undefined;
  let off = 0;
  let t = dt.type;
  for (const part of arg.slice(dot + 1).split('.')) {
    const hit = findMember(t, part);
    if (!hit) return undefined;
    off += Math.floor(hit.bitOffset / 8);
    t = hit.member.type;
  }
  return BigInt(off);
}

function symbolAddress(session: Session, name: string): bigint | undefined {
  try {
    return (session.debugInfo?.symbols ?? session.symbols).find(name)?.address;
  } catch (e) {
    if (e instanceof CrashlensError) return undefined;
    throw e;
  }
}

export const treeCommand: Command = {
  name: 'tree',
  summary: 'display a tree',
  run({ session, args }) {
    const g = getopt('tree', args, 'xdt:r:o:s:S:plNv');
    const out = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    let argerrs = g.errors.length;
    const o: TreeOptions = { kind: 'rbtree', nodePointer: false, position: false, linear: false, nodeOffset: 0n, structs: [], parseMember: false, radix: 0 };
    let typeSet = false;
    let typeName = '';
    let rootOffset = 0n;
    let rootEntered = false;
    let nodeEntered = false;
    let verbose = false;
    let readMember = false;
    for (const { c, arg } of g.opts) {
      switch (c) {
        case 't': {
          if (typeSet) return `${out}tree: multiple tree types may not be entered\n${usage('tree', SYNOPSIS)}`;
          const a = arg!;
          if (a.startsWith('ra')) {
            // crash 8.0.6 walks "-t radix" as a radix tree even where it became an xarray (v4.20), and so
            // refuses it there.
            o.kind = 'radix';
            typeName = 'radix trees';
          } else if (a.startsWith('rb')) {
            o.kind = 'rbtree';
            typeName = 'rbtrees';
          } else if (a.startsWith('x')) {
            o.kind = 'xarray';
            typeName = 'Xarrays';
          } else if (a.startsWith('m')) {
            o.kind = 'maple';
            typeName = 'maple trees';
          } else return `${out}tree: invalid tree type: ${a}\n${usage('tree', SYNOPSIS)}`;
          typeSet = true;
          break;
        }
        case 'l':
          o.linear = true;
          break;
        case 'r':
          if (rootEntered) throw new CrashFatal(`root offset value ${rootOffset} (0x${hex(rootOffset)}) already entered`);
          if (isANumber(arg!)) rootOffset = stol(arg!);
          else {
            const m = memberOffset(session, arg!);
            if (m === undefined) throw new CrashFatal(`invalid -r argument: ${arg}`);
            rootOffset = m;
          }
          rootEntered = true;
          break;
        case 'o':
          if (nodeEntered) throw new CrashFatal(`node offset value ${o.nodeOffset} (0x${hex(o.nodeOffset)}) already entered`);
          if (isANumber(arg!)) o.nodeOffset = stol(arg!);
          else {
            const m = memberOffset(session, arg!);
            if (m === undefined) throw new CrashFatal(`invalid -o argument: ${arg}`);
            o.nodeOffset = m;
          }
          nodeEntered = true;
          break;
        case 's':
        case 'S':
          o.structs.push(arg!);
          if (c === 's') o.parseMember = true;
          else readMember = true;
          if (o.parseMember && readMember) throw new CrashFatal('-S and -s options are mutually exclusive');
          break;
        case 'p':
          o.position = true;
          break;
        case 'N':
          o.nodePointer = true;
          break;
        case 'x':
        case 'd':
          o.radix = radixOption(o.radix, c);
          break;
        case 'v':
          verbose = true;
          break;
        default:
          argerrs++;
      }
    }
    if (argerrs) return out + usage('tree', SYNOPSIS);
    const notFor = o.kind === 'xarray' || o.kind === 'radix' || o.kind === 'maple';
    if (notFor && o.linear) throw new CrashFatal(`-l option is not applicable to ${typeName}`);
    if (notFor && nodeEntered) throw new CrashFatal(`-o option is not applicable to ${typeName}`);
    if (o.kind !== 'maple' && verbose) throw new CrashFatal(`-v option is not applicable to ${typeName || 'rbtrees'}`);
    if (rootEntered && o.nodePointer) throw new CrashFatal('-r and -N options are mutually exclusive');
    if (g.rest.length === 0) return `${out}tree: a starting address is required\n${usage('tree', SYNOPSIS)}`;
    if (readMember) throw new CommandError('-S: reading members without gdb is not supported yet; use -s');
    if (verbose) throw new CommandError('-v: the maple tree node dump is not supported yet');

    const word = g.rest[0];
    const layout = mmOf(session).layout;
    let start = symbolAddress(session, word);
    if (start === undefined) {
      if (/^[0-9a-fA-FxX]+$/.test(word) && /[a-fA-FxX]/.test(word)) {
        const v = htol(word);
        if (layout.isKvaddr(v)) start = v;
      }
      if (start === undefined) throw new CrashFatal(`invalid start argument: ${word}`);
    }
    if (g.rest.length > 1) return `${out}tree: too many arguments entered\n${usage('tree', SYNOPSIS)}`;
    if (!o.nodePointer) start = BigInt.asUintN(64, start + rootOffset);

    const w = { text: out };
    try {
      const reader = new CrashReader(session);
      const readPtr = (addr: bigint, what: string): bigint => {
        const b = reader.read(addr, 'KVADDR', 8, what);
        let v = 0n;
        for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        return v;
      };
      const tryPtr = (addr: bigint): bigint | undefined => {
        try {
          return readPtr(addr, 'rb_node rb_left');
        } catch (e) {
          if (e instanceof CrashlensError) return undefined;
          throw e;
        }
      };
      const entry = (addr: bigint): void => printStructs(session, o, addr, w);
      if (o.kind === 'rbtree') rbtree(session, o, start, w, readPtr, tryPtr, entry);
      else if (o.kind === 'maple') maple(session, o, start, w, readPtr, entry);
      else if (o.kind === 'radix') {
        if (!session.program.hasMember('struct radix_tree_root', 'rnode')) throw new CrashFatal('radix trees do not exist or have changed their format');
        throw new CommandError('-t radix: radix trees before Linux v4.20 are not supported yet');
      } else xarray(session, o, start, w, readPtr, entry);
    } catch (e) {
      return finish('tree', w.text, e);
    }
    return w.text;
  },
};

/** The -s structures of one entry, as dump_struct() / dump_struct_member() print them. */
function printStructs(session: Session, o: TreeOptions, addr: bigint, w: { text: string }): void {
  for (const s of o.structs) {
    const dot = s.indexOf('.');
    const name = dot < 0 ? s : s.slice(0, dot);
    const dt = findDatatype(session.program, name);
    if (!dt || (strip(dt.type).kind !== 'struct' && strip(dt.type).kind !== 'union')) throw new CrashFatal(`invalid structure name: ${name}`);
    const text = printObjectText(session, dt, addr, { hex: o.radix === 16 }, 'tree');
    if (dot < 0) {
      w.text += text;
      continue;
    }
    for (const m of s.slice(dot + 1).split(',').filter((x) => x !== '')) {
      if (findMember(dt.type, m)) w.text += parseForMember(text, m);
      else {
        const r = parseForMemberExtended(text, m);
        w.text += r.found ? r.out : `tree: invalid data structure member reference: ${m}\n`;
      }
    }
  }
}

/** do_rbtree() / rbtree_iteration(): in-order (or with -l, left subtree first), each node once. */
function rbtree(
  session: Session,
  o: TreeOptions,
  start: bigint,
  w: { text: string },
  readPtr: (a: bigint, what: string) => bigint,
  tryPtr: (a: bigint) => bigint | undefined,
  entry: (addr: bigint) => void,
): void {
  const node = session.program.tryType('struct rb_node');
  const left = node && findMember(node, 'rb_left');
  const right = node && findMember(node, 'rb_right');
  if (!node || !left || !right || !session.program.hasMember('struct rb_root', 'rb_node')) {
    throw new CrashFatal('red-black trees do not exist or have changed their format');
  }
  const leftOff = BigInt(left.bitOffset / 8);
  const rightOff = BigInt(right.bitOffset / 8);
  const root = o.nodePointer ? start : readPtr(start, 'rb_root rb_node');
  const seen = new Set<bigint>();
  const visit = (p: bigint, pos: string, depth: number): void => {
    if (!p) return;
    if (seen.has(p)) throw new CrashFatal(`\nduplicate tree entry: ${hex(p)}`);
    if (seen.size >= MAX_ENTRIES || depth > 4096) throw new CrashFatal(`tree has more than ${MAX_ENTRIES} entries: stopped`);
    seen.add(p);
    const child = (at: bigint, dir: 'l' | 'r', which: string): void => {
      const c = tryPtr(p + at);
      if (!c) return;
      if (tryPtr(c + leftOff) !== undefined) visit(c, `${pos}/${dir}`, depth + 1);
      else w.text += `tree: rb_node: ${hex(p)}: corrupted ${which} pointer: ${hex(c)}\n`;
    };
    if (o.linear) child(leftOff, 'l', 'rb_left');
    w.text += `${hex(BigInt.asUintN(64, p - o.nodeOffset))}\n`;
    if (o.position) w.text += `  position: ${pos}\n`;
    entry(BigInt.asUintN(64, p - o.nodeOffset));
    if (!o.linear) child(leftOff, 'l', 'rb_left');
    child(rightOff, 'r', 'rb_right');
  };
  visit(root, 'root', 0);
}

/** do_xatree(): the entries of an xarray (or a radix tree, which is one since v4.20) with their positions. */
function xarray(session: Session, o: TreeOptions, start: bigint, w: { text: string }, readPtr: (a: bigint, what: string) => bigint, entry: (addr: bigint) => void): void {
  const layout = xarrayLayout(session.program);
  if (!layout) {
    throw new CrashFatal(o.kind === 'radix' ? 'radix trees do not exist or have changed their format' : 'xarray facility does not exist or has changed its format');
  }
  const size = 1 << layout.chunkShift;
  const mask = BigInt(size - 1);
  const seen = new Set<bigint>();
  let count = 0;
  const emit = (slot: bigint, path: string, index: bigint): void => {
    if (++count > MAX_ENTRIES) throw new CrashFatal(`tree has more than ${MAX_ENTRIES} entries: stopped`);
    w.text += `${hex(slot)}\n`;
    if (o.position) w.text += `  index: ${index}  position: ${path}/${index & mask}\n`;
    if (o.structs.length) entry(slot);
  };
  const walk = (node: bigint, height: number, path: string, index: bigint): void => {
    if (seen.has(node)) throw new CrashFatal(`\nduplicate tree node: ${hex(node)}`);
    seen.add(node);
    const shift = BigInt((height - 1) * layout.chunkShift);
    for (let off = 0; off < size; off++) {
      let slot = readPtr(node + BigInt(layout.slots) + BigInt(off) * 8n, 'xa_node.slots[off]');
      if (!slot) continue;
      if ((slot & 3n) === 2n) slot &= ~2n;
      if (height === 1) emit(slot, path, index | BigInt(off));
      else walk(slot, height - 1, `${path}/${off}`, index | (BigInt(off) << shift));
    }
  };
  const shiftOf = (node: bigint): number => {
    const b = new CrashReader(session).read(node + BigInt(layout.shift), 'KVADDR', 1, 'xa_node shift');
    return Math.floor(b[0] / layout.chunkShift) + 1;
  };
  let node: bigint;
  let height = 0;
  if (o.nodePointer) {
    node = (start & 3n) === 2n ? start & ~3n : start;
    height = shiftOf(node);
  } else {
    node = readPtr(start + BigInt(layout.head), 'xarray xa_head');
    const internal = (node & 3n) === 2n;
    node &= ~3n;
    if (internal) height = shiftOf(node);
  }
  if (height === 0) emit(node, 'direct', 0n);
  else walk(node, height, 'root', 0n);
}

/** do_mptree(): a maple tree's entries in index order, with their positions (crash 8.0.6 prints both in hex and decimal as below). */
function maple(session: Session, o: TreeOptions, start: bigint, w: { text: string }, readPtr: (a: bigint, what: string) => bigint, entry: (addr: bigint) => void): void {
  const layout = mapleLayout(session.program);
  if (!layout) throw new CrashFatal('maple trees do not exist or have changed their format');
  let globalIndex = 0n;
  let nodes = 0;
  const maxOf = (type: number): bigint => (type === MAPLE_DENSE ? BigInt(layout.denseSlots) : (1n << 64n) - 1n);
  const doEntry = (e: bigint, path: string, slot: number): void => {
    if (!e) return;
    w.text += `${hex(e)}\n`;
    if (o.position) w.text += `  index: ${++globalIndex}  position: ${path}/${slot}\n`;
    if (o.structs.length) entry(e);
  };
  const doNode = (enode: bigint, min: bigint, max: bigint, path: { s: string }, depth: number): void => {
    if (++nodes > 1 << 16 || depth > 31) throw new CrashFatal('maple tree too deep or too large: stopped');
    const node = nodeAddress(enode);
    const type = nodeType(enode);
    if (type === MAPLE_DENSE) {
      for (let i = 0; i < layout.denseSlots; i++) {
        if (min + BigInt(i) > max) w.text += 'OUT OF RANGE: ';
        doEntry(readPtr(node + BigInt(layout.denseSlot) + BigInt(i) * 8n, 'mt_dump_node read maple_node'), path.s, i);
      }
      return;
    }
    const isRange = type !== MAPLE_ARANGE_64;
    if (type > MAPLE_ARANGE_64) {
      w.text += ' UNKNOWN TYPE\n';
      return;
    }
    const slots = isRange ? layout.range64Slots : layout.arange64Slots;
    const pivotAt = BigInt(isRange ? layout.range64Pivot : layout.arange64Pivot);
    const slotAt = BigInt(isRange ? layout.range64Slot : layout.arange64Slot);
    const leaf = type < MAPLE_RANGE_64;
    const len = path.s.length;
    let first = min;
    for (let i = 0; i < slots; i++) {
      let last = max;
      const slot = readPtr(node + slotAt + BigInt(i) * 8n, 'maple_node slot');
      if (i < slots - 1) last = readPtr(node + pivotAt + BigInt(i) * 8n, 'maple_node pivot');
      else if (!slot && (!isRange || max !== maxOf(type))) break;
      if (last === 0n && i > 0) break;
      if (leaf) doEntry(slot, path.s, i);
      else if (slot) {
        path.s = `${path.s.slice(0, len)}/${i}`;
        doNode(slot, first, last, path, depth + 1);
      }
      if (last === max) break;
      if (last > max) {
        w.text += `node 0x${hex(node + BigInt(isRange ? layout.range64Pivot : layout.arange64Pivot))} last (${last}) > max (${max}) at pivot ${i}!\n`;
        break;
      }
      first = last + 1n;
    }
  };
  if (o.nodePointer) doNode(start, 0n, maxOf(nodeType(start)), { s: 'direct' }, 0);
  else {
    const root = readPtr(start + BigInt(layout.root), 'mt_dump read maple_tree');
    if (!isNode(root)) doEntry(root, '', 0);
    else if (root) doNode(root, 0n, maxOf(nodeType(root)), { s: 'root' }, 0);
  }
}
