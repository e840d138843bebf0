// crash's `kmem` (memory.c cmd_kmem): `kmem -i` (dump_kmeminfo, here) and the slab forms -s / -S / -I
// and `kmem [-P] ADDRESS` (kmem-s.ts). The option parsing follows crash's getopt string so that the other
// forms (-p, -f, -z, ...) can be added one by one; until then they say so.
import { CommandError, VmcoreinfoError } from '../errors.ts';
import { formatKmemInfo, kmemInfo } from '../kernel/meminfo.ts';
import type { Command } from './command.ts';
import { kmemAddress, kmemSlabs } from './kmem-s.ts';
import { getopt, usage } from './crash-tools.ts';

const SYNOPSIS =
  '[-f|-F|-c|-C|-i|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]]\n       [[-s|-S|-S=cpu[s]|-r] [slab] [-I slab[,slab]]] [-g [flags]] [[-P] address]]';
/** crash 8.0.6's getopt string for kmem, less the optional argument of -S ("S::"), split off first. */
const SPEC = 'gI:sSrFfm:pvczCinl:L:PVoh';
const TAKES_ARG = new Set(['I', 'm', 'l', 'L']);

/**
 * GNU getopt's optional argument ("-S=cpu"): the rest of the word after -S. Split off so the plain getopt
 * sees only the letters; returns the words and the optional arguments by letter.
 */
function splitOptional(args: string[]): { words: string[]; optional: Map<string, string> } {
  const optional = new Map<string, string>();
  const words = args.map((a) => {
    if (!a.startsWith('-') || a === '-' || a === '--') return a;
    for (let j = 1; j < a.length; j++) {
      if (TAKES_ARG.has(a[j])) return a;
      if (a[j] === 'S' && j + 1 < a.length) {
        optional.set(a[j], a.slice(j + 1));
        return a.slice(0, j + 1);
      }
    }
    return a;
  });
  return { words, optional };
}

export const kmemCommand: Command = {
  name: 'kmem',
  summary: 'kernel memory',
  run({ session, args }) {
    const { words, optional } = splitOptional(args);
    const g = getopt('kmem', words, SPEC);
    const pre = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    if (g.errors.length) return pre + usage('kmem', SYNOPSIS);
    const flags = new Set(g.opts.map((o) => o.c));
    if (flags.size === 0 && g.rest.length === 0) return usage('kmem', SYNOPSIS);
    const only = (...allowed: string[]): boolean => [...flags].every((c) => allowed.includes(c));
    if (flags.has('i') && only('i') && g.rest.length === 0) {
      if (!session.vmcoreinfo) throw new VmcoreinfoError('the dump has no VMCOREINFO: struct pages cannot be found');
      return formatKmemInfo(kmemInfo(session.program, session.vmcoreinfo));
    }
    // -S=cpu's argument is not used yet: kmemSlabs gets the words with it split off.
    void optional;
    if ((flags.has('s') || flags.has('S')) && only('s', 'S', 'I')) return kmemSlabs(session, words);
    // kmem [-P] ADDRESS: what an address is (slab object, page, task stack, symbol, vmalloc area).
    if (g.rest.length > 0 && only('P')) return kmemAddress(session, words);
    const unsupported = [...flags].find((c) => c !== 'i' && c !== 's' && c !== 'S' && c !== 'I');
    throw new CommandError(`${unsupported ? `-${unsupported}` : g.rest.length ? 'an address' : 'this combination of options'} is not supported yet`);
  },
};
