// The command registry: crash's command names → implementations. One module per command.
import type { Command } from './command.ts';
import { helpCommand } from './help.ts';
import { pCommand } from './p.ts';
import { symCommand } from './sym.ts';
import { logCmd } from './log.ts';
import { ptovCommand } from './ptov.ts';
import { rdCommand } from './rd.ts';
import { vtopCommand } from './vtop.ts';
import { pointerCommand, structCommand, unionCommand } from './struct.ts';
import { ptypeCommand, whatisCommand } from './whatis.ts';
import { listCommand } from './list.ts';
import { psCommand } from './ps.ts';
import { disCommand } from './dis.ts';
import { searchCommand } from './search.ts';
import { treeCommand } from './tree.ts';
import { taskCommand } from './task.ts';
import { foreachCommand } from './foreach.ts';
import { sysCommand } from './sys.ts';
import { machCommand } from './mach.ts';
import { modCommand } from './mod.ts';
import { kmemCommand } from './kmem.ts';
import { filesCommand } from './files.ts';
import { vmCommand } from './vm.ts';
import { mountCommand } from './mount.ts';
import { btCommand } from './bt.ts';
import { runqCommand } from './runq.ts';
import { timerCommand } from './timer.ts';
import { irqCommand } from './irq.ts';
import { netCommand } from './net.ts';
import { devCommand } from './dev.ts';

export const COMMANDS = new Map<string, Command>();

export function register(cmd: Command): void {
  COMMANDS.set(cmd.name, cmd);
}

for (const c of [helpCommand, pCommand, logCmd, symCommand, rdCommand, vtopCommand, ptovCommand, structCommand, unionCommand, pointerCommand, whatisCommand, ptypeCommand, listCommand, psCommand, taskCommand, sysCommand, machCommand, modCommand, kmemCommand, filesCommand, vmCommand, mountCommand, btCommand, foreachCommand]) register(c);
// net, dev, irq, runq, timer
for (const c of [netCommand, devCommand, irqCommand, runqCommand, timerCommand]) register(c);
// dis, search, tree
register(disCommand);
register(searchCommand);
register(treeCommand);
