// crash's `ptov`: a physical address's direct-map (identity-mapped) kernel virtual address (memory.c cmd_ptov()).
import { hex } from '../addr.ts';
import { CommandError } from '../errors.ts';
import type { Command } from './command.ts';
import { mmOf } from './vtop.ts';
import { VADDR_PRLEN, finish, getopt, htol, mkstring, usage } from './crash-tools.ts';

export const ptovCommand: Command = {
  name: 'ptov',
  summary: 'physical to virtual',
  run({ session, args }) {
    const g = getopt('ptov', args, '');
    const pre = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    if (g.opts.length || g.rest.length === 0) return pre + usage('ptov', '[address | offset:cpuspec]');
    const { layout } = mmOf(session);
    let out = '';
    try {
      for (const [n, word] of g.rest.entries()) {
        if (word.includes(':')) {
          // offset:cpuspec adds __per_cpu_offset[cpu] for each CPU: needs the symbol table and the CPU list.
          throw new CommandError(`${word}: per-cpu offsets need the kernel's CPU list, which Crashlens does not read yet`);
        }
        const paddr = htol(word);
        out += `${n ? '\n' : ''}${mkstring('VIRTUAL', VADDR_PRLEN, 'left')}  ${mkstring('PHYSICAL', VADDR_PRLEN, 'left')}\n`;
        out += `${mkstring(hex(layout.ptov(paddr)), VADDR_PRLEN, 'left')}  ${mkstring(hex(paddr), VADDR_PRLEN, 'left')}\n`;
      }
    } catch (e) {
      return finish('ptov', out, e);
    }
    return out;
  },
};
