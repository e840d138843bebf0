// crash 8.0.6's `mount` (filesys.c cmd_mount(), show_mounts(), get_mount_list()): the mounts of a mount
// namespace (pid 1's, or -n's task's) with each one's superblock, file system type, device name and
// directory. With arguments, crash 8.0.6 always builds the -f (open files per superblock) listing to search
// it, and that listing needs super_block.s_files (removed in Linux commit eee5cc2702929 "get rid of
// s_files and files_lock", v3.13): on later kernels crash fails the same way `mount -f` does.
import { hex } from '../addr.ts';
import type { Session } from '../engine/session.ts';
import { CommandError, CrashlensError } from '../errors.ts';
import { fsOf } from '../kernel/fs.ts';
import { type TaskInfo, tasksOf } from '../kernel/tasks.ts';
import type { Command } from './command.ts';
import { type Type, findMember } from '../types/type.ts';
import { Out, fail } from './files.ts';
import { mmOf } from './vtop.ts';
import { VADDR_PRLEN, getopt, mkstring, usage } from './crash-tools.ts';

export const MOUNT_SYNOPSIS = '[-f][-i] [-n pid|task] [mount|vfsmount|superblock|dev|dir|dentry|inode]';

export function mountHeader(hasMount: boolean): string {
  return `${mkstring(hasMount ? 'MOUNT' : 'VFSMOUNT', VADDR_PRLEN, 'center-left')} ${mkstring('SUPERBLK', VADDR_PRLEN, 'center-left')} ${mkstring('TYPE', 6, 'left')} ${mkstring('DEVNAME', 9, 'left')} DIRNAME\n`;
}

/** show_mounts(0, 0, ns): one line per mount of the namespace. */
export function showMounts(session: Session, ns: TaskInfo, out: Out): void {
  const fs = fsOf(session.program);
  const M = fs.mount;
  out.print(mountHeader(M.hasMount));
  const devlen = 'DEVNAME'.length + 2;
  for (const m of fs.mountList(ns.task)) {
    const mi = fs.readMount(m);
    if (!mmOf(session).layout.isKvaddr(mi.sb)) {
      out.print(`WARNING: cannot get super_block from vfsmnt: 0x${hex(m)}\n`);
      continue;
    }
    out.print(`${mkstring(hex(m), VADDR_PRLEN, 'right')} ${mkstring(hex(mi.sb), VADDR_PRLEN, 'right')} `);
    const type = fs.fsTypeName(mi.sb);
    const typeCol = type !== undefined ? `${type.padEnd(6)} ` : 'unknown ';
    const dev = fs.readString(mi.devname, 1499);
    let cols = `${typeCol}${mkstring(dev || '(unknown)', devlen, 'left')} `;
    // Long type and device names eat into the spacing, down to one blank, past 17 columns.
    while (cols.length > 17 && cols[cols.length - 2] === ' ') cols = cols.slice(0, -1);
    out.print(cols);
    out.print(`${fs.mountDirname(mi).padEnd(10)}\n`);
  }
}

export const mountCommand: Command = {
  name: 'mount',
  summary: 'mounted filesystem data',
  run({ session, args }) {
    const out = new Out();
    try {
      const tasks = tasksOf(session);
      let ns: TaskInfo | undefined;
      for (let pid = 1; !ns && pid < 1 << 22; pid++) ns = tasks.byPid(pid)[0];
      if (!ns) throw new CommandError('no task to find a mount namespace from');
      const g = getopt('mount', args, 'ifn:');
      let bad = false;
      // getopt complains as it reaches a bad option: options before it have already acted.
      const complaints = [...g.errors];
      let files = false;
      const sb = session.program.tryType('struct super_block');
      for (const o of g.opts) {
        switch (o.c) {
          case 'i':
            if (!sb || !fsHas(sb, 's_dirty')) {
              out.print('mount: the super_block.s_dirty linked list does not exist in this kernel\n');
              throw new CommandError('-i option not supported or applicable on this architecture or kernel');
            }
            throw new CommandError('-i (dirty inodes) is not supported yet');
          case 'f':
            files = true;
            break;
          case 'n': {
            const a = tasks.parseArg(o.arg!);
            if (a.kind === 'invalid') throw new CommandError(`invalid task or pid value: ${o.arg}`);
            ns = a.tasks[0];
            break;
          }
          default:
            out.print(`${complaints.shift() ?? ''}\n`);
            bad = true;
        }
      }
      if (bad) return out.text + usage('mount', MOUNT_SYNOPSIS);
      if (files || g.rest.length > 0) {
        if (!sb || !fsHas(sb, 's_files')) {
          if (session.program.symbols.address('inuse_filps') === undefined) {
            out.print('mount: the super_block.s_files linked list does not exist in this kernel\n');
            throw new CommandError('-f option not supported or applicable on this architecture or kernel');
          }
        }
        throw new CommandError('open files per superblock (super_block.s_files, before Linux 3.13) are not supported yet');
      }
      showMounts(session, ns, out);
      return out.text;
    } catch (e) {
      if (e instanceof CrashlensError) return fail(session, 'mount', out, e);
      throw e;
    }
  },
};

function fsHas(t: Type, name: string): boolean {
  return findMember(t, name) !== undefined;
}
