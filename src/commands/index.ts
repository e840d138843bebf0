// The command registry: crash's command names → implementations. One module per command.
import type { Command } from './command.ts';
import { helpCommand } from './help.ts';

export const COMMANDS = new Map<string, Command>();

export function register(cmd: Command): void {
  COMMANDS.set(cmd.name, cmd);
}

for (const c of [helpCommand]) register(c);
