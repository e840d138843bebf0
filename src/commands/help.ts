// help: the list of commands (in crash's column layout), one command's summary, or `help -D`
// (the dump file's header, as crash's "dump information").
import { type Command, parseOptions } from './command.ts';
import { COMMANDS } from './index.ts';

function columns(names: string[], perRow = 5, width = 14): string {
  const rows: string[] = [];
  const n = Math.ceil(names.length / perRow);
  for (let r = 0; r < n; r++) {
    let line = '';
    for (let c = 0; c < perRow; c++) {
      const name = names[c * n + r];
      if (name !== undefined) line += name.padEnd(width);
    }
    rows.push(line.trimEnd());
  }
  return rows.join('\n');
}

export const helpCommand: Command = {
  name: 'help',
  summary: 'get help',
  run({ session, args }) {
    const opts = parseOptions(args, 'D');
    if (opts.flags.has('D')) return session.mem.describe().join('\n');
    if (opts.rest.length === 0) {
      const names = [...COMMANDS.keys()].sort();
      return `\n${columns(names)}\n\ncrashlens: Linux kernel crash-dump analysis. Enter "help <command>" for a command's summary.\n`;
    }
    return opts.rest
      .map((name) => {
        const cmd = COMMANDS.get(name);
        return cmd ? `NAME\n  ${cmd.name} - ${cmd.summary}\n` : `No help for "${name}": not a command.\n`;
      })
      .join('\n');
  },
};
