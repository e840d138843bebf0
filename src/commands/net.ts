// net: network devices, the ARP cache and tasks' open sockets as crash 8.0.6 prints them (net.c cmd_net):
// with no option the devices of the init namespace and their addresses; -n [pid|task] those of a task's
// namespace; -a the ARP cache; -N an IPv4 address in dotted form; -s / -S [pid|task...] the sockets of the
// current or given tasks (-S with each struct socket and inet_sock, -x/-d their radix), -R a reference to
// find among them.
import { hex } from '../addr.ts';
import { CommandError } from '../errors.ts';
import { Net, type Neighbour, ipv4 } from '../kernel/net.ts';
import { type TaskInfo, taskHeader, tasksOf } from '../kernel/tasks.ts';
import type { Session } from '../engine/session.ts';
import type { Command } from './command.ts';
import { registerForeach } from './foreach.ts';
import { finish, getopt, mkstring, radixOption, stol, usage } from './crash-tools.ts';

const SYNOPSIS = '[[-s | -S] [-xd] [-R ref] [pid | task]] [-a] [ -n [pid | task]] [-N addr]';
const VADDR_PRLEN = 16;
const SOCKET_HDR = 'FD      SOCKET            SOCK       FAMILY:TYPE SOURCE-PORT DESTINATION-PORT';

const nets = new WeakMap<Session, Net>();

export function netOf(session: Session): Net {
  let n = nets.get(session);
  if (!n) {
    n = new Net(session.program);
    nets.set(session, n);
  }
  return n;
}

/** What `net -s`/`-S` need across the tasks of one command (crash's struct reference for -R). */
export interface SocketOptions {
  full: boolean;
  radix?: 10 | 16;
  ref?: SocketRef;
}

export interface SocketRef {
  str: string;
  hexval?: bigint;
  decval?: number;
  found: boolean;
  taskHeaderPrinted: boolean;
  sockHeaderPrinted: boolean;
}

export const netCommand: Command = {
  name: 'net',
  summary: 'network command',
  run({ session, args }) {
    const g = getopt('net', args, 'N:asSR:xdn');
    let out = g.errors.map((e) => `${e}\n`).join('');
    let argerrs = g.errors.length > 0;
    const emit = (s: string): void => {
      out += s;
    };
    let sflag: 's' | 'S' | undefined;
    let radix: 10 | 16 | undefined;
    let ref: SocketRef | undefined;
    let aflag = false;
    let nflag = false;
    const tasks = tasksOf(session);
    let task: bigint | undefined;
    const rest = [...g.rest];
    try {
      for (const { c, arg } of g.opts) {
        switch (c) {
          case 'R':
            if (ref) emit('net: only one -R option allowed\n');
            else ref = { str: arg!, found: false, taskHeaderPrinted: false, sockHeaderPrinted: false };
            break;
          case 'a':
            arp(session, emit);
            aflag = true;
            break;
          case 'N': {
            const v = stol(arg!);
            const b = new Uint8Array(4);
            new DataView(b.buffer).setUint32(0, Number(BigInt.asUintN(32, v)), true);
            return `${out}${ipv4(b)}\n`;
          }
          case 's':
          case 'S':
            if (sflag && sflag !== c) emit('net: only one -s or -S option allowed\n');
            else sflag = c;
            break;
          case 'x':
          case 'd':
            radix = radixOption(radix, c);
            break;
          case 'n': {
            nflag = true;
            task = tasks.panicTask();
            // crash takes the word after -n (getopt's next operand) as the task, if there is one.
            if (rest.length) {
              const word = rest.shift()!;
              const a = tasks.parseArg(word);
              if (a.kind === 'invalid') throw new CommandError(`invalid task or pid value: ${word}`);
              task = a.tasks[0].task;
            }
            break;
          }
          default:
            argerrs = true;
        }
      }
      if (argerrs) return out + usage('net', SYNOPSIS);
      if (sflag) {
        dumpSockets(session, rest, { full: sflag === 'S', radix, ref }, emit);
        return out;
      }
      if (args.length === 0 || nflag) devices(session, task ?? tasks.byPid(0)[0]?.task ?? session.program.symbolAddress('init_task'), emit);
      else if (!aflag) return out + usage('net', SYNOPSIS);
    } catch (e) {
      return finish('net', out, e);
    }
    return out;
  },
};

/** The device table: address, name, and the IPv4 then IPv6 addresses joined by ", ". */
function devices(session: Session, task: bigint, emit: (s: string) => void): void {
  const net = netOf(session);
  const flen = Math.max(VADDR_PRLEN, 'net_device'.length);
  emit(`${mkstring('NET_DEVICE', flen, 'center-left')}  NAME       IP ADDRESS(ES)\n`);
  for (const dev of net.devices(task)) {
    const addrs = [...net.ipv4Addresses(dev), ...net.ipv6Addresses(dev)].join(', ');
    emit(`${hex(dev).padStart(flen)}  ${net.deviceName(dev).padEnd(10)} ${addrs}\n`);
  }
}

const ARP_HEADING = 'NEIGHBOUR        IP ADDRESS      HW TYPE    HW ADDRESS         DEVICE  STATE';

const HW_TYPES = new Map<number, string>([
  [0, 'NETROM'],
  [2, 'EETHER'],
  [3, 'AX25'],
  [4, 'PRONET'],
  [5, 'CHAOS'],
  [6, 'IEEE802'],
  [7, 'ARCNET'],
  [8, 'APPLETLK'],
  [15, 'DLCI'],
  [23, 'METRICOM'],
]);

const NUD = ['INCOMPLETE', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'FAILED', 'NOARP', 'PERMANENT'];

/** net -a: the neighbour entries of arp_tbl, the heading before the first one. */
function arp(session: Session, emit: (s: string) => void): void {
  const entries = netOf(session).arp();
  if (!entries) throw new CommandError('-a option not supported or applicable on this architecture or kernel');
  if (entries.length) emit(`${ARP_HEADING}\n`);
  for (const n of entries) emit(neighbourLine(n));
}

function neighbourLine(n: Neighbour): string {
  let s = `${hex(n.address).padEnd(16)} ${n.ip.padEnd(16)}`;
  const ha = [...n.ha.subarray(0, n.addrLen)];
  if (n.devType === 1) s += `${'ETHER'.padEnd(10)} ${ha.map((b, i) => `${hex2(b)}${i === ha.length - 1 ? ' ' : ':'}`).join('')}`;
  else s += `${(HW_TYPES.get(n.devType) ?? 'UNKNOWN').padEnd(10)} ${ha.map((b) => `${hex2(b)} `).join('')}`;
  s += ` ${n.devName.padEnd(6)}  `;
  if (!n.state) return `${s}\n`;
  const flags = NUD.filter((_, i) => n.state & (1 << i));
  return `${s}${flags.join('|')}\n`;
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

/** crash's dump_sockets(): the current task, or each task named by the arguments. */
function dumpSockets(session: Session, words: string[], opts: SocketOptions, emit: (s: string) => void): void {
  const tasks = tasksOf(session);
  if (!words.length) {
    const cur = tasks.panicTask();
    const t = cur === undefined ? undefined : tasks.byTask(cur);
    if (!t) throw new CommandError('no current task');
    if (!opts.ref) emit(taskHeader(t));
    socketsOfTask(session, t, opts, emit);
    return;
  }
  let subsequent = 0;
  for (const w of words) {
    const a = tasks.parseArg(w);
    if (a.kind === 'invalid') {
      emit(`${subsequent++ ? '\n' : ''}net: invalid task or pid value: ${w}\n`);
      continue;
    }
    for (const t of a.tasks) {
      if (!opts.ref) emit(taskHeader(t, subsequent++ > 0));
      socketsOfTask(session, t, opts, emit);
    }
  }
}

/**
 * crash's dump_sockets_workhorse() for one task: its socket files in fd order, or "No open sockets.". For
 * `foreach net -s` too, which prints the task header itself.
 */
export function socketsOfTask(session: Session, t: TaskInfo, opts: SocketOptions, emit: (s: string) => void): void {
  const net = netOf(session);
  const ref = opts.ref;
  const scan = net.openFiles(t.task);
  if (scan.kind === 'none') {
    if (!ref) emit('No open sockets.\n');
    return;
  }
  if (ref && /^[0-9a-fA-FxX]+$/.test(ref.str) && /[0-9a-fA-F]/.test(ref.str)) {
    ref.hexval = undefined;
    ref.decval = undefined;
    if (/[a-fA-FxX]/.test(ref.str)) ref.hexval = BigInt(`0x${ref.str.replace(/^0[xX]/, '').replace(/[xX]/g, '') || '0'}`);
    else {
      const v = Number(ref.str);
      if (v <= Math.max(scan.maxFdset, scan.maxFds)) ref.decval = v;
      else ref.hexval = BigInt(`0x${ref.str}`);
    }
  }
  let found = 0;
  for (const { fd, file } of scan.fds) {
    const s = net.socketOf(fd, file);
    if (!s) continue;
    if (ref) {
      const hit = (ref.hexval !== undefined && (ref.hexval === s.sock || ref.hexval === s.socket || ref.hexval === BigInt(fd))) || (ref.decval !== undefined && ref.decval === fd);
      if (!hit) continue;
      ref.found = true;
      if (!ref.taskHeaderPrinted) {
        emit(taskHeader(t));
        ref.taskHeaderPrinted = true;
      }
      if (!ref.sockHeaderPrinted) {
        found = 0;
        ref.sockHeaderPrinted = true;
      }
    }
    if (opts.full) {
      emit(`${found ? '\n' : ''}FD  ${mkstring('SOCKET', VADDR_PRLEN, 'center-left')}  ${mkstring('SOCK', VADDR_PRLEN, 'center-left')}\n`);
      emit(`${String(fd).padStart(2)}  ${hex(s.socket).padStart(VADDR_PRLEN)}  ${hex(s.sock).padStart(VADDR_PRLEN)}\n\n`);
      const r = opts.radix === 16 ? ' -x' : opts.radix === 10 ? ' -d' : '';
      emit(structText(session, 'socket', s.socket, r));
      emit(structText(session, session.program.tryType('struct inet_sock') ? 'inet_sock' : 'sock', s.sock, r));
    } else {
      if (!found) emit(`${SOCKET_HDR}\n`);
      emit(`${String(fd).padStart(2)} ${hex(s.socket).padStart(VADDR_PRLEN)} ${hex(s.sock).padStart(VADDR_PRLEN)} ${net.sockInfo(s.sock)}\n`);
    }
    found++;
  }
  if (!found && !ref) emit('No open sockets.\n');
  if (ref?.found) emit('\n');
}

/** crash's dump_struct(): what `struct NAME ADDR` prints. */
function structText(session: Session, name: string, addr: bigint, radix: string): string {
  return session.run(`struct ${name} ${hex(addr)}${radix}`).output;
}

// foreach net -s/-S: each task's sockets under foreach's header (with -R, only the tasks that match, under
// their own header; crash's foreach() starts each task with a fresh reference), crash's FOREACH_NET.
registerForeach('net', {
  start(session, o) {
    const full = o.flags.has('S') && !o.flags.has('s');
    const radix = o.flags.has('x') ? 16 : o.flags.has('d') ? 10 : undefined;
    return {
      header: o.reference === undefined,
      task(t) {
        const ref: SocketRef | undefined = o.reference === undefined ? undefined : { str: o.reference, found: false, taskHeaderPrinted: false, sockHeaderPrinted: false };
        let s = '';
        socketsOfTask(session, t, { full, radix, ref }, (x) => (s += x));
        return s;
      },
    };
  },
});
