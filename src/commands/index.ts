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

export const COMMANDS = new Map<string, Command>();

export function register(cmd: Command): void {
  COMMANDS.set(cmd.name, cmd);
}

for (const c of [helpCommand, pCommand, logCmd, symCommand, rdCommand, vtopCommand, ptovCommand, structCommand, unionCommand, pointerCommand]) register(c);
