// crash's `mod` with no options (kernel.c do_module_cmd LIST_MODULE_HDR): each loaded module's struct
// module, name, base and size. crash loads no module debuginfo here, so every OBJECT FILE is "(not loaded)".
// The options that load or delete module symbols, and -t (taints), are not done yet.
import { hex } from '../addr.ts';
import { CommandError } from '../errors.ts';
import { loadedModules } from '../kernel/modules.ts';
import type { Command } from './command.ts';
import { VADDR_PRLEN, getopt, mkstring, usage } from './crash-tools.ts';

const SYNOPSIS = '-s module [objfile] | -d module | -S [directory] [-D|-t|-r|-R|-o|-g]';

export const modCommand: Command = {
  name: 'mod',
  summary: 'module information and loading of symbols and debugging data',
  run({ session, args }) {
    const g = getopt('mod', args, 'Rd:Ds:Sotgr');
    const pre = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    if (g.errors.length) return pre + usage('mod', SYNOPSIS);
    if (g.opts.length || g.rest.length)
      throw new CommandError(`${g.opts.length ? `-${g.opts[0].c}` : 'an argument'} is not supported yet (only the module list)`);
    const { modules } = loadedModules(session.program);
    if (modules.length === 0) return 'no modules installed\n';
    const nameWidth = Math.max(...modules.map((m) => m.name.length));
    const sizeWidth = Math.max(...modules.map((m) => String(m.size).length));
    let s = `${mkstring('MODULE', VADDR_PRLEN, 'center-left')}  ${mkstring('NAME', nameWidth, 'left')}  ${mkstring('BASE', VADDR_PRLEN, 'center-left')}  ${mkstring('SIZE', sizeWidth, 'right')}  OBJECT FILE\n`;
    for (const m of modules) {
      s += `${mkstring(hex(m.struct), VADDR_PRLEN, 'right')}  ${mkstring(m.name, nameWidth, 'left')}  ${mkstring(hex(m.base), VADDR_PRLEN, 'right')}  `;
      s += `${mkstring(String(m.size), sizeWidth, 'right')}  (not loaded)${m.kallsyms ? '  [CONFIG_KALLSYMS]' : ''}\n`;
    }
    return s;
  },
};
