// The object explorer's data: a typed object at an address described as plain rows (members with their
// values, pointers with where they lead, list heads with the objects they chain), what an untyped address
// is, and pages of a list's entries. Values are printed as gdb prints them inside crash (ValuePrinter), so
// the explorer and `struct`/`p` agree.
import { hex, kv } from '../addr.ts';
import { CrashlensError } from '../errors.ts';
import { Obj } from '../program/object.ts';
import { ValuePrinter } from '../program/format.ts';
import type { Program } from '../program/program.ts';
import { gdbSymbolizer } from '../commands/struct.ts';
import { type TaskInfo, tasksOf } from '../kernel/tasks.ts';
import { type Member, type Type, findMember, sizeOf, strip, typeName } from '../types/type.ts';
import type { Session } from './session.ts';
import { symbolTable } from './views.ts';

export type FieldKind = 'scalar' | 'enum' | 'pointer' | 'function' | 'string' | 'struct' | 'union' | 'array' | 'list' | 'hlist';

export interface PointerInfo {
  /** The address pointed to (hex). */
  address: string;
  /** The pointee's C spelling when the explorer can show it typed ("struct task_struct"); absent for void *. */
  type?: string;
  null: boolean;
  /** "init_task", "schedule+0x12" when the address is a symbol's. */
  symbol?: string;
}

export interface ListInfo {
  /** The list_head/hlist_head itself. */
  head: string;
  empty: boolean;
  /** What the entries probably are: the containing type and the member that links them. */
  entryType?: string;
  member?: string;
  /** How the guess was made, shown to the user. */
  guess?: string;
}

export interface FieldDesc {
  /** Member name, "[3]" for an array element. */
  name: string;
  /** Steps from the described object to this field (members flattened through anonymous ones). */
  path: string[];
  /** C spelling of the member's type. */
  type: string;
  /** Byte offset inside the described object. */
  offset: number;
  /** Size in bytes (undefined for incomplete types). */
  size?: number;
  /** ":3" for a bit field of width 3. */
  bits?: string;
  kind: FieldKind;
  /** The value as gdb prints it (composites: a one-line preview or "{...}"). */
  value: string;
  pointer?: PointerInfo;
  list?: ListInfo;
  /** Elements, for arrays. */
  length?: number;
  /** An embedded struct/union/array that can be opened in place. */
  expandable: boolean;
}

export interface ObjectDesc {
  address: string;
  type: string;
  size: number | null;
  kind: FieldKind | 'void';
  /** A one-line identity ("PID 1 "init"", a module's name). */
  title?: string;
  /** The symbol at (or containing) the address. */
  symbol?: string;
  fields: FieldDesc[];
  /** For arrays: total elements and the page shown. */
  length?: number;
  start?: number;
  /** When the object is itself a list_head/hlist_head: its entries can be listed. */
  list?: ListInfo;
  /** Why the object could not be (fully) read. */
  error?: string;
}

export interface ExploreRequest {
  address: string;
  type: string;
  /** Steps into the object: "m<i>" member i of a struct/union, "i<n>" element n of an array. */
  path?: string[];
  /** Array page. */
  start?: number;
  count?: number;
}

export interface Candidate {
  type: string;
  /** Why this type is proposed ("task PID 1 in the task table", "symbol init_task"). */
  why: string;
  /** The object's start when the address is inside it (a member of a global). */
  address: string;
}

export interface Identity {
  address: string;
  candidates: Candidate[];
  symbol?: string;
  /** Readable at all? */
  readable: boolean;
  notes: string[];
}

export interface ListRequest {
  head: string;
  kind: 'list' | 'hlist';
  /** Containing type and member: entries via container_of; absent for raw nodes. */
  entryType?: string;
  member?: string;
  start: number;
  count: number;
}

export interface ListEntry {
  node: string;
  /** The containing object's address, when an entry type was given. */
  entry?: string;
  title?: string;
}

export interface ListPage {
  entries: ListEntry[];
  /** Nodes counted (up to COUNT_LIMIT). */
  total: number;
  /** true when counting stopped at COUNT_LIMIT. */
  totalIsLowerBound: boolean;
  entryType?: string;
  error?: string;
}

/** Elements per array page unless asked otherwise. */
export const ARRAY_PAGE = 64;
const COUNT_LIMIT = 100_000;
/** Composites up to this size print on one line as their value. */
const INLINE_COMPOSITE = 16;

/** list_head members whose entries are not the same member of the same type (include/linux/sched.h, ...). */
const KNOWN_LISTS: Record<string, [string, string]> = {
  'task_struct.children': ['struct task_struct', 'sibling'],
  'signal_struct.thread_head': ['struct task_struct', 'thread_node'],
  'task_struct.ptraced': ['struct task_struct', 'ptrace_entry'],
  'mm_struct.mmlist': ['struct mm_struct', 'mmlist'],
  'super_block.s_inodes': ['struct inode', 'i_sb_list'],
  'kmem_cache.list': ['struct kmem_cache', 'list'],
  'module.list': ['struct module', 'list'],
  'inode.i_dentry': ['struct dentry', 'd_u.d_alias'],
  'dentry.d_subdirs': ['struct dentry', 'd_child'],
  'cgroup.self.children': ['struct cgroup_subsys_state', 'sibling'],
  'net_device.dev_list': ['struct net_device', 'dev_list'],
};

/** Global list heads whose entries are known (the list is "struct list_head modules", ...). */
const KNOWN_GLOBAL_LISTS: Record<string, [string, string]> = {
  modules: ['struct module', 'list'],
  slab_caches: ['struct kmem_cache', 'list'],
  super_blocks: ['struct super_block', 's_list'],
};

export function parseAddress(s: string): bigint {
  const t = s.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,16}$/i.test(t)) throw new CrashlensError(`not an address: ${s}`);
  return BigInt(`0x${t}`);
}

class Explorer {
  private progCache: Program | undefined;
  private printerCache: ValuePrinter | undefined;

  constructor(readonly session: Session) {}

  /** Typed access; throws (saying why) for a dump without type information, which identify() survives. */
  get prog(): Program {
    return (this.progCache ??= this.session.program);
  }

  get printer(): ValuePrinter {
    return (this.printerCache ??= new ValuePrinter(this.prog, { symbol: gdbSymbolizer(this.session) }));
  }

  symbolAt(addr: bigint): string | undefined {
    if (addr === 0n) return undefined;
    try {
      const r = symbolTable(this.session).resolve(addr);
      if (!r) return undefined;
      // Far into a symbol is usually the next, unnamed object: only near offsets are worth naming.
      if (r.offset > 0x100000n) return undefined;
      return r.offset === 0n ? r.symbol.name : `${r.symbol.name}+0x${hex(r.offset)}`;
    } catch {
      return undefined;
    }
  }

  /** The C spelling of a type when it can be found again by that spelling (not anonymous). */
  spelling(t: Type): string | undefined {
    const s = typeName(t);
    if (s.includes('{...}')) return undefined;
    return s;
  }

  /** A type by its C spelling, arrays included ("struct page [16]", "unsigned long [4][2]"). */
  typeOf(spec: string): Type {
    const m = /^(.*?)\s*((?:\[\d+\]\s*)+)$/.exec(spec.trim());
    if (!m) return this.prog.type(spec);
    const dims = [...m[2].matchAll(/\[(\d+)\]/g)].map((d) => Number(d[1]));
    let t = this.prog.type(m[1]);
    for (let i = dims.length - 1; i >= 0; i--) t = { kind: 'array', element: t, length: dims[i] };
    return t;
  }

  /** The object at the request's path, and its parent composite's name for list guesses. */
  resolve(req: ExploreRequest): { obj: Obj; container?: string; memberName?: string } {
    let obj = this.prog.object(this.typeOf(req.type), parseAddress(req.address));
    let container: string | undefined;
    let memberName: string | undefined;
    for (const step of req.path ?? []) {
      const t = strip(obj.type);
      const n = Number(step.slice(1));
      if (step[0] === 'm' && (t.kind === 'struct' || t.kind === 'union')) {
        const m = t.members[n];
        if (!m) throw new CrashlensError(`no member #${n} in ${typeName(obj.type)}`);
        if (m.name !== undefined) {
          container = t.name;
          memberName = m.name;
        }
        obj = this.memberObj(obj, m);
      } else if (step[0] === 'i' && (t.kind === 'array' || t.kind === 'pointer')) {
        obj = obj.index(n);
        container = undefined;
        memberName = undefined;
      } else throw new CrashlensError(`bad path step ${step} for ${typeName(obj.type)}`);
    }
    return { obj, container, memberName };
  }

  private memberObj(obj: Obj, m: Member): Obj {
    if (m.name !== undefined) return obj.member(m.name);
    // Anonymous members have no name to look up: the same memory seen as the member's type.
    return Obj.at(this.prog, m.type, obj.address! + BigInt(m.bitOffset / 8));
  }

  describe(req: ExploreRequest): ObjectDesc {
    const { obj } = this.resolve(req);
    const t = strip(obj.type);
    const address = obj.address ?? 0n;
    const desc: ObjectDesc = {
      address: hex(address),
      type: typeName(obj.type),
      size: sizeOf(obj.type) ?? null,
      kind: t.kind === 'void' ? 'void' : kindOf(obj.type),
      symbol: this.symbolAt(address),
      fields: [],
    };
    let bytes: Uint8Array;
    /** Byte ranges [start, end) of the object that are not in the dump. */
    let missing: [number, number][] = [];
    try {
      bytes = t.kind === 'array' ? new Uint8Array(0) : obj.bytes();
    } catch (e) {
      if (obj.address === undefined || !desc.size) {
        desc.error = `cannot read ${desc.size ?? '?'} bytes at ${hex(address)}: ${message(e)}`;
        return desc;
      }
      // Part of it may be readable (a page left out of a filtered dump): read page by page.
      ({ bytes, missing } = this.readPages(address, desc.size));
      if (missing.length === 1 && missing[0][0] === 0 && missing[0][1] === desc.size) {
        desc.error = `cannot read ${desc.size} bytes at ${hex(address)}: ${message(e)}`;
        return desc;
      }
      desc.error = `part of it is not in the dump: ${missing.map(([a, b]) => `+0x${a.toString(16)}..+0x${b.toString(16)}`).join(', ')}`;
    }
    if (desc.kind === 'list' || desc.kind === 'hlist') {
      const first = readLE(bytes, 8);
      const exact = desc.symbol && !desc.symbol.includes('+') ? desc.symbol : undefined;
      desc.list = { head: hex(address), empty: desc.kind === 'list' ? first === address || first === 0n : first === 0n, ...guessEntries(undefined, exact) };
    }
    if (t.kind === 'struct' || t.kind === 'union') {
      desc.title = this.title(obj);
      this.members(t.members, bytes, address, 0, [], desc.fields, t.name);
      if (missing.length) {
        for (const f of desc.fields) {
          const end = f.offset + Math.max(1, f.size ?? 1);
          if (missing.some(([a, b]) => f.offset < b && end > a)) {
            f.value = '<not in the dump>';
            delete f.pointer;
            delete f.list;
            f.expandable = false;
          }
        }
      }
    } else if (t.kind === 'array') {
      const start = Math.max(0, req.start ?? 0);
      const count = Math.max(1, Math.min(req.count ?? ARRAY_PAGE, 1024));
      desc.length = t.length;
      desc.start = start;
      const es = sizeOf(t.element) ?? 0;
      const end = Math.min(t.length, start + count);
      if (end > start && es > 0) {
        let buf: Uint8Array;
        try {
          buf = this.prog.memory.read(kv(address + BigInt(start * es)), (end - start) * es);
        } catch (e) {
          desc.error = `cannot read elements ${start}..${end - 1}: ${message(e)}`;
          return desc;
        }
        for (let i = start; i < end; i++) {
          const off = (i - start) * es;
          desc.fields.push(this.field(`[${i}]`, [`i${i}`], t.element, buf.subarray(off, off + es), address + BigInt(i * es), i * es, 0, 0));
        }
      }
    } else {
      desc.fields.push(this.field(typeName(obj.type), [], obj.type, bytes, address, 0, obj.bitOffset, obj.bitSize));
    }
    return desc;
  }

  /** Reads what is readable of [address, address+size), page by page; the rest is zeros and listed. */
  private readPages(address: bigint, size: number): { bytes: Uint8Array; missing: [number, number][] } {
    const bytes = new Uint8Array(size);
    const missing: [number, number][] = [];
    for (let off = 0; off < size; ) {
      const a = address + BigInt(off);
      const len = Math.min(size - off, 4096 - Number(a & 0xfffn));
      try {
        bytes.set(this.prog.memory.read(kv(a), len), off);
      } catch {
        const last = missing[missing.length - 1];
        if (last && last[1] === off) last[1] = off + len;
        else missing.push([off, off + len]);
      }
      off += len;
    }
    return { bytes, missing };
  }

  private members(members: readonly Member[], buf: Uint8Array, base: bigint, byteBase: number, path: string[], out: FieldDesc[], container: string | undefined): void {
    members.forEach((m, i) => {
      const byte = byteBase + Math.floor(m.bitOffset / 8);
      const step = [...path, `m${i}`];
      if (m.name === undefined) {
        const s = strip(m.type);
        if (s.kind === 'struct' || s.kind === 'union') {
          // C reaches an anonymous member's members by name: list them in place.
          const inner: FieldDesc[] = [];
          this.members(s.members, buf, base, byte, step, inner, container);
          out.push(...inner);
          return;
        }
      }
      const size = sizeOf(m.type) ?? 0;
      const sub = buf.subarray(byte, m.bitSize ? buf.length : byte + size);
      const f = this.field(m.name ?? '<anonymous>', step, m.type, sub, base + BigInt(byte), byte, m.bitSize ? m.bitOffset % 8 : 0, m.bitSize);
      if (f.list) Object.assign(f.list, guessEntries(container, m.name));
      out.push(f);
    });
  }

  field(name: string, path: string[], type: Type, buf: Uint8Array, addr: bigint, offset: number, bitPos: number, bitSize: number): FieldDesc {
    const s = strip(type);
    const kind = kindOf(type);
    const f: FieldDesc = { name, path, type: typeName(type), offset, size: sizeOf(type), kind, value: '', expandable: false };
    if (bitSize) f.bits = `:${bitSize}`;
    try {
      switch (s.kind) {
        case 'struct':
        case 'union': {
          const size = sizeOf(s) ?? 0;
          if (kind === 'list' || kind === 'hlist') {
            f.value = oneLine(this.printer.ofBytes(type, buf, addr));
            const first = readLE(buf, 8);
            f.list = { head: hex(addr), empty: kind === 'list' ? first === addr || first === 0n : first === 0n };
          } else if (size <= INLINE_COMPOSITE && s.members.length > 0) {
            f.value = oneLine(this.printer.ofBytes(type, buf, addr));
          } else f.value = s.members.length ? '{...}' : '{}';
          f.expandable = s.members.length > 0;
          break;
        }
        case 'array': {
          f.length = s.length;
          const es = strip(s.element);
          if (es.kind === 'int' && es.size === 1) {
            f.kind = 'string';
            f.value = this.printer.ofBytes(type, buf, addr);
          } else {
            f.expandable = s.length > 0;
            f.value = s.length === 0 ? '{}' : `[${s.length}]`;
            if ((es.kind === 'int' || es.kind === 'enum' || es.kind === 'bool' || es.kind === 'pointer') && s.length > 0) {
              const text = this.printer.ofBytes(type, buf, addr);
              f.value = text.length > 120 ? `${text.slice(0, 117)}...` : text;
            }
          }
          break;
        }
        case 'pointer': {
          const v = readLE(buf, 8);
          const target = strip(s.target);
          f.value = this.printer.ofBytes(type, buf, addr);
          if (target.kind === 'function') {
            f.kind = 'function';
            f.pointer = { address: hex(v), null: v === 0n, symbol: this.symbolAt(v) };
          } else {
            const spelled = target.kind === 'void' ? undefined : this.spelling(s.target);
            f.pointer = { address: hex(v), type: spelled, null: v === 0n, symbol: this.symbolAt(v) };
            if (target.kind === 'int' && target.size === 1) f.kind = 'string';
          }
          break;
        }
        default:
          f.value = this.printer.ofBytes(type, buf, addr, bitPos, bitSize);
      }
    } catch (e) {
      f.value = `<${message(e)}>`;
    }
    return f;
  }

  /** A short identity for well-known objects. */
  title(obj: Obj): string | undefined {
    const t = strip(obj.type);
    if (t.kind !== 'struct') return undefined;
    try {
      if (t.name === 'task_struct') {
        const info = tasksOf(this.session).byTask(obj.address!);
        if (info) return `PID ${info.pid} "${info.comm}"  CPU ${info.cpu}`;
        return `PID ${obj.member('pid').toNumber()} "${obj.member('comm').string(16)}"`;
      }
      for (const name of ['comm', 'name', 's_id', 'd_iname']) {
        const hit = findMember(t, name);
        if (!hit) continue;
        const m = strip(hit.member.type);
        if (m.kind === 'array' && strip(m.element).kind === 'int') return `${name} "${obj.member(name).string(64)}"`;
        if (m.kind === 'pointer' && strip(m.target).kind === 'int') {
          const p = obj.member(name);
          if (!p.isNull()) return `${name} "${p.string(64)}"`;
        }
      }
    } catch {
      return undefined;
    }
    return undefined;
  }

  identify(address: string): Identity {
    const addr = parseAddress(address);
    const out: Identity = { address: hex(addr), candidates: [], readable: true, notes: [] };
    try {
      this.session.kernel.read(kv(addr), 1);
    } catch (e) {
      out.readable = false;
      out.notes.push(message(e));
    }
    out.symbol = this.symbolAt(addr);
    const add = (type: string, why: string, at = addr): void => {
      if (!out.candidates.some((c) => c.type === type && c.address === hex(at))) out.candidates.push({ type, why, address: hex(at) });
    };
    try {
      const t = tasksOf(this.session).byTask(addr);
      if (t) add('struct task_struct', `task PID ${t.pid} "${t.comm}" in the task table`);
    } catch {
      /* no task table (no types): nothing to say */
    }
    try {
      // Inside a task_struct of the table (a member's address, as bt and lists print them). The typed size
      // overstates what x86 allocates (the FPU state at the end is sized at boot), so the nearest task
      // below wins.
      const tasks = tasksOf(this.session);
      const size = BigInt(sizeOf(tasks.layout.type) ?? 0);
      let best: TaskInfo | undefined;
      for (const t of tasks.all()) if (addr > t.task && addr < t.task + size && (!best || t.task > best.task)) best = t;
      if (best) {
        const off = Number(addr - best.task);
        add('struct task_struct', `inside task PID ${best.pid} "${best.comm}": +0x${off.toString(16)}${memberAt(tasks.layout.type, off)}`, best.task);
      }
    } catch {
      /* no task table */
    }
    for (const m of symbolTable(this.session).modules) if (m.struct === addr) add('struct module', `module ${m.name}`);
    if (this.session.commandNames().includes('kmem')) {
      // What the slab allocator says the address is: the cache's object type, when a type has its name.
      try {
        const r = this.session.run(`kmem ${hex(addr)}`);
        const obj = r.failed ? undefined : parseKmemObject(r.output);
        if (obj) {
          const type = slabType(obj.name, (t) => this.prog.tryType(t) !== undefined);
          const at = obj.object !== undefined ? parseAddress(obj.object) : addr;
          if (type) add(type, `${obj.object === undefined ? 'in' : 'an allocated object of'} slab cache ${obj.name}${at !== addr ? ` (+0x${hex(addr - at)})` : ''}`, at);
          else out.notes.push(`slab cache ${obj.name}${obj.object ? `, object ${obj.object}` : ''}`);
        }
      } catch {
        /* kmem failed: nothing to add */
      }
    }
    try {
      const r = symbolTable(this.session).resolve(addr);
      if (r && r.offset < 0x100000n) {
        try {
          const v = this.prog.variable(r.symbol.name);
          const size = sizeOf(v.type) ?? 0;
          if (r.offset === 0n || r.offset < BigInt(size)) {
            const spelled = this.spelling(v.type);
            if (spelled) add(spelled, r.offset === 0n ? `the variable ${r.symbol.name}` : `inside the variable ${r.symbol.name} (+0x${hex(r.offset)})`, r.symbol.address);
          }
        } catch {
          /* a function or an untyped symbol */
        }
      }
    } catch {
      /* no symbols */
    }
    return out;
  }

  list(req: ListRequest): ListPage {
    const head = parseAddress(req.head);
    const page: ListPage = { entries: [], total: 0, totalIsLowerBound: false };
    let entryType: Type | undefined;
    let offset = 0n;
    if (req.entryType && req.member) {
      entryType = this.prog.type(req.entryType);
      const path = req.member.split('.');
      let cur: Type = entryType;
      let bits = 0;
      for (const p of path) {
        const hit = findMember(cur, p);
        if (!hit) throw new CrashlensError(`${typeName(cur)} has no member ${p}`);
        bits += hit.bitOffset;
        cur = hit.member.type;
      }
      offset = BigInt(bits / 8);
      page.entryType = typeName(entryType);
    }
    const nodes = req.kind === 'hlist' ? this.prog.hlistNodes(head) : this.prog.listNodes(head);
    const end = req.start + req.count;
    try {
      for (const node of nodes) {
        const i = page.total++;
        if (i >= req.start && i < end) {
          const e: ListEntry = { node: hex(node) };
          if (entryType) {
            const at = BigInt.asUintN(64, node - offset);
            e.entry = hex(at);
            try {
              e.title = this.title(Obj.at(this.prog, entryType, at));
            } catch {
              /* unreadable entry: the address alone */
            }
          }
          page.entries.push(e);
        }
        if (page.total >= COUNT_LIMIT) {
          page.totalIsLowerBound = true;
          break;
        }
      }
    } catch (e) {
      page.error = `the list breaks after ${page.total} nodes: ${message(e)}`;
    }
    return page;
  }
}

/** " (se.load)": the member path at a byte offset inside a struct, as deep as structs go. */
export function memberAt(t: Type, offset: number): string {
  const path: string[] = [];
  let cur = strip(t);
  let off = offset;
  for (let depth = 0; depth < 8 && (cur.kind === 'struct' || cur.kind === 'union'); depth++) {
    let hit: Member | undefined;
    for (const m of cur.members) {
      const start = Math.floor(m.bitOffset / 8);
      const size = sizeOf(m.type) ?? 0;
      if (off >= start && off < start + Math.max(size, 1)) hit = m;
    }
    if (!hit) break;
    off -= Math.floor(hit.bitOffset / 8);
    if (hit.name !== undefined) path.push(hit.name);
    cur = strip(hit.type);
  }
  return path.length ? ` (${path.join('.')}${off ? `+0x${off.toString(16)}` : ''})` : '';
}

/** crash's `kmem <address>` for a slab object: the cache line and the object ("[ffff...]" when allocated). */
export function parseKmemObject(text: string): { cache: string; name: string; object?: string } | undefined {
  const lines = text.split('\n');
  const h = lines.findIndex((l) => /^CACHE\s+OBJSIZE\s+ALLOCATED\s+TOTAL\s+SLABS\s+SSIZE\s+NAME/.test(l));
  if (h < 0) return undefined;
  const m = /^([0-9a-f]+)\s+\d+\s+\d+\s+\d+\s+\d+\s+\S+\s+(\S+)/.exec(lines[h + 1] ?? '');
  if (!m) return undefined;
  const objLine = lines.slice(h + 2).find((l) => /^\s+\[([0-9a-f]+)\]\s*$/.test(l));
  const obj = objLine ? /\[([0-9a-f]+)\]/.exec(objLine)![1] : undefined;
  return { cache: m[1], name: m[2], object: obj };
}

/** Slab caches whose objects are a struct of another name (kernel/fork.c, fs/, ...). */
const SLAB_TYPES: Record<string, string> = {
  files_cache: 'struct files_struct',
  signal_cache: 'struct signal_struct',
  sighand_cache: 'struct sighand_struct',
  fs_cache: 'struct fs_struct',
  cred_jar: 'struct cred',
  filp: 'struct file',
  inode_cache: 'struct inode',
  ext4_inode_cache: 'struct ext4_inode_info',
  sock_inode_cache: 'struct socket_alloc',
  proc_inode_cache: 'struct proc_inode',
  shmem_inode_cache: 'struct shmem_inode_info',
  names_cache: 'char [4096]',
  anon_vma_chain: 'struct anon_vma_chain',
  pid: 'struct pid',
  bio: 'struct bio',
};

/** The type of a slab cache's objects: known pairs, else a struct named as the cache (task_struct). */
export function slabType(cache: string, exists: (type: string) => boolean): string | undefined {
  const known = SLAB_TYPES[cache];
  if (known && exists(known)) return known;
  if (/^[a-z_][a-z0-9_]*$/.test(cache) && exists(`struct ${cache}`)) return `struct ${cache}`;
  return undefined;
}

/** The entry type of a list_head member: known pairs, else the same member of the same type. */
export function guessEntries(container: string | undefined, member: string | undefined): Omit<ListInfo, 'head' | 'empty'> {
  if (!member) return {};
  const key = `${container}.${member}`;
  const known = container ? KNOWN_LISTS[key] : KNOWN_GLOBAL_LISTS[member];
  if (known) return { entryType: known[0], member: known[1], guess: 'known list' };
  if (!container) return {};
  return { entryType: `struct ${container}`, member, guess: `assumed: other ${container}s linked by ${member}` };
}

function kindOf(t: Type): FieldKind {
  const s = strip(t);
  switch (s.kind) {
    case 'struct':
      if (s.name === 'list_head') return 'list';
      if (s.name === 'hlist_head') return 'hlist';
      return 'struct';
    case 'union':
      return 'union';
    case 'array':
      return 'array';
    case 'pointer':
      return strip(s.target).kind === 'function' ? 'function' : 'pointer';
    case 'enum':
      return 'enum';
    case 'function':
      return 'function';
    default:
      return 'scalar';
  }
}

/** gdb's pretty-printed composite on one line: "{next = 0x.., prev = 0x..}". */
function oneLine(text: string): string {
  return text.replace(/\{\s+/g, '{').replace(/\s+\}/g, '}').replace(/\s*\n\s*/g, ' ');
}

function readLE(b: Uint8Array, n: number): bigint {
  let v = 0n;
  for (let i = Math.min(n, b.length) - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const explorers = new WeakMap<Session, Explorer>();

function explorer(session: Session): Explorer {
  let x = explorers.get(session);
  if (!x) {
    x = new Explorer(session);
    explorers.set(session, x);
  }
  return x;
}

/** The typed object (or the part of it at req.path) as rows. */
export function describeObject(session: Session, req: ExploreRequest): ObjectDesc {
  return explorer(session).describe(req);
}

/** What an address is: candidate types from the task table, modules and symbols. */
export function identifyAddress(session: Session, address: string): Identity {
  return explorer(session).identify(address);
}

/** A page of a list's nodes (and their containing objects when the entry type is given). */
export function listPage(session: Session, req: ListRequest): ListPage {
  return explorer(session).list(req);
}
