// p (print): evaluates a C expression and prints it as gdb does inside crash. A plain symbol gets crash's
// "name = " leader before gdb's "$N = "; N counts the session's prints (gdb's value history). `p/x` (the
// session passes it as -X) is gdb's /x format: no leader (crash sees "/x" where it looks for a symbol).
import { CommandError } from '../errors.ts';
import { evaluate } from '../program/expression.ts';
import { formatTopLevel } from '../program/format.ts';
import type { Session } from '../engine/session.ts';
import { type Command, parseOptions } from './command.ts';
import { gdbSymbolizer } from './struct.ts';

const history = new WeakMap<Session, number>();

export const pCommand: Command = {
  name: 'p',
  summary: 'print the value of an expression',
  run({ session, args }) {
    const opts = parseOptions(args, 'dhxuX');
    if (opts.rest.length === 0) throw new CommandError('usage: p [-x|-d][-u] expression');
    const expr = opts.rest.join(' ');
    const prog = session.program;
    const value = evaluate(prog, expr);
    const formatX = opts.flags.has('X');
    const hex = formatX || opts.flags.has('x') || opts.flags.has('h');
    const text = formatTopLevel(value, { hex, formatX, symbol: gdbSymbolizer(session) });
    const n = (history.get(session) ?? 0) + 1;
    history.set(session, n);
    const leader = !formatX && /^[A-Za-z_][A-Za-z0-9_]*$/.test(expr) && prog.symbols.address(expr) !== undefined ? `${expr} = ` : '';
    return `${leader}$${n} = ${text}\n`;
  },
};
