// dev: character and block devices as crash 8.0.6 prints them (dev.c cmd_dev: dump_chrdevs and
// dump_blkdevs_v3), or with -d / -D the disks' in-flight I/O (display_all_diskio; -D only disks with some).
// -i lists the I/O port and memory resources, -p the PCI buses and devices, -V the device dumps the
// capture kernel added (vmcoredd notes); showing one (-v) is not implemented.
import { hex } from '../addr.ts';
import { CommandError } from '../errors.ts';
import { Devices } from '../kernel/devices.ts';
import { tasksOf } from '../kernel/tasks.ts';
import { symstr } from '../kernel/timers.ts';
import type { Session } from '../engine/session.ts';
import type { Command } from './command.ts';
import { symbolsOf } from './timer.ts';
import { finish, getopt, mkstring, usage } from './crash-tools.ts';

const SYNOPSIS = '[-i | -p | -d | -D ] [-V | -v index [file]]';
const VADDR_PRLEN = 16;

export const devCommand: Command = {
  name: 'dev',
  summary: 'device data',
  run({ session, args }) {
    const g = getopt('dev', args, 'dDpiVv:');
    let out = g.errors.map((e) => `${e}\n`).join('');
    const emit = (s: string): void => {
      out += s;
    };
    let ddIndex: string | undefined;
    try {
      for (const { c, arg } of g.opts) {
        switch (c) {
          case 'd':
          case 'D':
            diskio(session, c === 'D', emit);
            return out;
          case 'i':
            io(session, emit);
            return out;
          case 'p':
            if (session.program.symbols.address('pci_root_buses') === undefined) throw new CommandError('-p option not supported or applicable on this architecture or kernel');
            pci(session, emit);
            return out;
          case 'V':
            return out + deviceDumps(session);
          case 'v':
            ddIndex = arg;
            break;
          default:
            return out + usage('dev', SYNOPSIS);
        }
      }
      if (g.rest.length > (ddIndex !== undefined ? 1 : 0)) return out + usage('dev', SYNOPSIS);
      if (ddIndex !== undefined) {
        const n = vmcoreddNotes(session).length;
        if (!n) throw new CommandError('no device dumps found in this dumpfile');
        if (Number(ddIndex) >= n) throw new CommandError(`no device dump found at index: ${Number(ddIndex) | 0}`);
        throw new CommandError('-v: showing or extracting a device dump is not implemented');
      }
      chrdevs(session, emit);
      emit('\n');
      blkdevs(session, emit);
    } catch (e) {
      return finish('dev', out, e);
    }
    return out;
  },
};

/** The column of a cdev or gendisk and its operations' symbol (or bare address). */
function opsColumns(session: Session, obj: bigint, fops: bigint): string {
  const sym = symstr(symbolsOf(session), fops);
  return ` ${hex(obj).padStart(VADDR_PRLEN)}  ${sym || hex(fops)}`;
}

function chrdevs(session: Session, emit: (s: string) => void): void {
  const devs = new Devices(session.program);
  emit(`CHRDEV    NAME           ${mkstring('CDEV', VADDR_PRLEN, 'center-left')}  ${'OPERATIONS'.padEnd(VADDR_PRLEN)}\n`);
  for (const d of devs.charDevices()) {
    const head = ` ${String(d.major).padStart(3)}      ${d.name.padEnd(13)} `;
    emit(d.fops ? `${head}${opsColumns(session, d.cdev, d.fops)}\n` : `${head} ${mkstring('(none)', VADDR_PRLEN, 'center-left')}\n`);
  }
}

function blkdevs(session: Session, emit: (s: string) => void): void {
  const devs = new Devices(session.program);
  emit(`BLKDEV    NAME           ${mkstring('GENDISK', VADDR_PRLEN, 'center-right')}  ${'OPERATIONS'.padEnd(VADDR_PRLEN)}\n`);
  for (const b of devs.blockMajors()) {
    const head = ` ${String(b.major).padStart(3)}      ${(b.name || '(unknown)').padEnd(13)} `;
    emit(b.fops ? `${head}${opsColumns(session, b.gendisk, b.fops)}\n` : `${head} ${mkstring('(none)', VADDR_PRLEN, 'center-left')}\n`);
  }
}

/** dev -d / -D: one line per disk of the block class (ram and loop disks skipped, as crash skips them). */
function diskio(session: Session, nonzero: boolean, emit: (s: string) => void): void {
  const devs = new Devices(session.program);
  devs.cpus = tasksOf(session).cpuCount();
  const sync = devs.syncCount;
  const drv = devs.hasInFlight;
  const disks = devs.disks();
  emit(
    `MAJOR ${'GENDISK'.padEnd(VADDR_PRLEN + 2)} NAME       ${'REQUEST_QUEUE'.padEnd(VADDR_PRLEN + 2)} ${'TOTAL'.padStart(5)} ${(sync ? 'ASYNC' : 'READ').padStart(5)} ${(sync ? 'SYNC' : 'WRITE').padStart(5)} ${drv ? 'DRV'.padStart(5) : ''}\n`,
  );
  for (const g of disks) {
    const io = devs.diskIo(g);
    if (io.name.startsWith('ram') || io.name.startsWith('loop')) continue;
    if (nonzero && io.read + io.write === 0) continue;
    let line = `${String(io.major >>> 0).padStart(5)} ${hex(g).padEnd(VADDR_PRLEN)}   ${io.name.padEnd(10)} ${hex(io.queue).padEnd(VADDR_PRLEN)}   ${String(io.read + io.write).padStart(5)} ${String(io.read >>> 0).padStart(5)} ${String(io.write >>> 0).padStart(5)} `;
    if (io.drv === 'mq') line += 'N/A(MQ)';
    else if (io.drv !== undefined) line += String(io.drv).padStart(5);
    emit(`${line}\n`);
  }
}

/** dev -i: the ioport then the iomem resource trees. */
function io(session: Session, emit: (s: string) => void): void {
  const devs = new Devices(session.program);
  const p = session.program.symbols;
  if (p.address('iomem_resource') === undefined || p.address('ioport_resource') === undefined) return;
  ['ioport_resource', 'iomem_resource'].forEach((root, k) => {
    const { size, entries } = devs.resources(root);
    emit(`${k ? '\n' : ''}${mkstring('RESOURCE', VADDR_PRLEN, 'center-left')}  ${mkstring('RANGE', size * 2 + 1, 'center-left')}  NAME\n`);
    const wrap = VADDR_PRLEN + 2 + (size * 2 + 1) + 2;
    for (const e of entries) {
      const name = e.name ?? '(unknown)';
      const head = `${hex(e.address).padStart(8)}  ${hex(e.start).padStart(size, '0')}-${hex(e.end).padStart(size, '0')}`;
      if (wrap + name.length <= 80) {
        emit(`${head}  ${name}\n`);
        continue;
      }
      // crash breaks a long name at the last space that brings it within 80 columns.
      const over = wrap + name.length - 80;
      let cut = -1;
      for (let i = name.length - 1, c = 0; i > 0; i--, c++) {
        if (name[i] === ' ' && c >= over) {
          cut = i;
          break;
        }
      }
      if (cut < 0) emit(`${head}  ${name}\n`);
      else emit(`${head}  ${name.slice(0, cut)}\n${' '.repeat(wrap)}${name.slice(cut + 1)}\n`);
    }
  });
}

/** dev -p: each root bus, its devices, then its child buses recursively (crash's do_pci2). */
function pci(session: Session, emit: (s: string) => void): void {
  const devs = new Devices(session.program);
  const typeCol = devs.hasPcieFlags;
  const devHeader = `  ${mkstring('PCI DEV', VADDR_PRLEN, 'center-left')} ${mkstring('DO:BU:SL.FN', 12, 'center-left')} ${mkstring('CLASS', 6, 'center-left')} ${mkstring('PCI_ID', 9, 'center-left')}${typeCol ? ` ${mkstring('TYPE', 10, 'center-left')}` : ''}\n`;
  const devLine = (d: bigint): string => {
    const x = devs.pciDevice(d);
    return `  ${hex(d).padEnd(VADDR_PRLEN)} ${mkstring(x.name, 12, 'center-left')} ${mkstring(x.cls, 6, 'center-left')} ${mkstring(x.id, 9, 'center-left')} ${mkstring(x.type, 10, 'center-left')}\n`;
  };
  const devices = (bus: bigint): void => {
    const b = devs.pciBus(bus);
    emit(devHeader);
    if (b.self) emit(devLine(b.self));
    for (const d of b.devices) emit(devLine(d));
  };
  const buses = (bus: bigint, depth: number): void => {
    if (depth > 64) return;
    for (const child of devs.pciBus(bus).children) {
      emit(`  ${mkstring('PCI BUS', VADDR_PRLEN, 'center-left')} ${mkstring('PARENT BUS', VADDR_PRLEN, 'center-left')}\n`);
      emit(`  ${hex(child).padEnd(VADDR_PRLEN)} ${hex(devs.pciBus(child).parent).padEnd(VADDR_PRLEN)}\n`);
      devices(child);
      emit('\n');
      buses(child, depth + 1);
    }
  };
  for (const root of devs.pciRootBuses()) {
    emit(`${mkstring('ROOT BUS', VADDR_PRLEN, 'center-left')} ${mkstring('BUSNAME', 7, 'center-left')}\n`);
    emit(`${hex(root).padEnd(VADDR_PRLEN)} ${mkstring(devs.pciBusName(root), 7, 'center-left')}\n`);
    devices(root);
    buses(root, 0);
    emit('\n');
  }
}

/** NT_VMCOREDD (include/uapi/linux/elf.h): a device dump note. */
const NT_VMCOREDD = 0x700;
/** VMCOREDD_MAX_NAME_BYTES: the dump's name ahead of its data. */
const VMCOREDD_NAME = 44;

/** The dump's device-dump notes, when its note parser kept the notes it does not interpret. */
function vmcoreddNotes(session: Session): { offset: number; desc: Uint8Array }[] {
  const notes = session.mem.notes as { entries?: { type: number; offset: number; desc: Uint8Array }[] };
  return (notes.entries ?? []).filter((e) => e.type === NT_VMCOREDD && e.desc.length >= VMCOREDD_NAME);
}

/** dev -V: index, file offset and size of each device dump, and its name (crash's devdump_info()). */
function deviceDumps(session: Session): string {
  const notes = vmcoreddNotes(session);
  if (!notes.length) throw new CommandError('no device dumps found in this dumpfile');
  let out = `INDEX  ${'OFFSET'.padEnd(16)}   ${'SIZE'.padEnd(16)} NAME\n`;
  notes.forEach((n, i) => {
    // struct vmcoredd_header: the note header (12 bytes), its 8-byte name, then dump_name[44].
    const offset = n.offset + 12 + 8 + VMCOREDD_NAME;
    let name = '';
    for (let k = 0; k < VMCOREDD_NAME && n.desc[k]; k++) name += String.fromCharCode(n.desc[k]);
    out += `${mkstring(String(i), 5, 'center-left')}  0x${offset.toString(16).padEnd(16)} ${String(n.desc.length - VMCOREDD_NAME).padEnd(16)} ${name}\n`;
  });
  return out;
}
