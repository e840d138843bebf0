// crash's `mod` (kernel.c do_module_cmd): with no options each loaded module's struct module, name, base
// and size (LIST_MODULE_HDR); -s / -S load a module's debug info from its .ko, -d deletes it again. A
// module whose .ko is loaded shows the object file's name where crash says "(not loaded)".
// -t (taints), -D, -r, -R, -o and -g are not done yet.
import { hex } from '../addr.ts';
import { CommandError } from '../errors.ts';
import { BufferSource, type ByteSource } from '../io/byte-source.ts';
import { type LoadedModule, loadedModules } from '../kernel/modules.ts';
import { loadModuleDebugInfo, unloadModuleDebugInfo } from '../kernel/module-debuginfo.ts';
import type { Session } from '../engine/session.ts';
import type { Command } from './command.ts';
import { VADDR_PRLEN, getopt, mkstring, usage } from './crash-tools.ts';

const SYNOPSIS = '-s module [objfile] | -d module | -S [directory] [-D|-t|-r|-R|-o|-g]';

interface NodeFs {
  readFileSync(path: string): Uint8Array;
  readdirSync(path: string, opts: { recursive: true }): string[];
  existsSync(path: string): boolean;
}

/** node:fs when running under Node (the CLI, tests); the browser has no paths to open. */
function nodeFs(): NodeFs {
  const proc = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  if (!fs) throw new CommandError('cannot open object files by path here');
  return fs;
}

function openPath(module: string, path: string): ByteSource {
  const fs = nodeFs();
  if (!fs.existsSync(path)) throw new CommandError(`${module}: cannot find or load object file: ${path}`);
  return new BufferSource(path.slice(path.lastIndexOf('/') + 1), fs.readFileSync(path));
}

/** crash's default module tree: /lib/modules/<release>. */
function defaultTree(session: Session): string {
  return `/lib/modules/${session.vmcoreinfo?.osrelease ?? ''}`;
}

/** `mod -S DIR`: every NAME.ko under DIR (module names spell '-' as '_'), first found per module. */
function findObjects(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const fs = nodeFs();
  if (!fs.existsSync(dir)) return found;
  for (const rel of fs.readdirSync(dir, { recursive: true }).sort()) {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (!base.endsWith('.ko')) continue;
    const name = base.slice(0, -3).replace(/-/g, '_');
    if (!found.has(name)) found.set(name, `${dir.replace(/\/$/, '')}/${rel}`);
  }
  return found;
}

function table(session: Session, modules: LoadedModule[], all: LoadedModule[]): string {
  const nameWidth = Math.max(...all.map((m) => m.name.length));
  const sizeWidth = Math.max(...all.map((m) => String(m.size).length));
  let s = `${mkstring('MODULE', VADDR_PRLEN, 'center-left')}  ${mkstring('NAME', nameWidth, 'left')}  ${mkstring('BASE', VADDR_PRLEN, 'center-left')}  ${mkstring('SIZE', sizeWidth, 'right')}  OBJECT FILE\n`;
  for (const m of modules) {
    s += `${mkstring(hex(m.struct), VADDR_PRLEN, 'right')}  ${mkstring(m.name, nameWidth, 'left')}  ${mkstring(hex(m.base), VADDR_PRLEN, 'right')}  `;
    const loaded = session.moduleDebugInfo.find((d) => d.name === m.name);
    // crash prints the object file followed by a space (its " (remote)" slot, empty).
    s += `${mkstring(String(m.size), sizeWidth, 'right')}  ${loaded ? `${loaded.file} ` : `(not loaded)${m.kallsyms ? '  [CONFIG_KALLSYMS]' : ''}`}\n`;
  }
  return s;
}

function load(session: Session, m: LoadedModule, path: string): void {
  const info = session.symbols.module(m.name);
  if (!info) throw new CommandError(`${m.name}: module symbols could not be read`);
  const old = session.moduleDebugInfo.findIndex((d) => d.name === m.name);
  if (old >= 0) {
    unloadModuleDebugInfo(session.moduleDebugInfo[old]);
    session.moduleDebugInfo.splice(old, 1);
  }
  session.moduleDebugInfo.push(loadModuleDebugInfo(openPath(m.name, path), info, path));
  session.modulesChanged();
}

export const modCommand: Command = {
  name: 'mod',
  summary: 'module information and loading of symbols and debugging data',
  run({ session, args }) {
    const g = getopt('mod', args, 'Rd:Ds:Sotgr');
    const pre = g.errors.length ? `${g.errors.join('\n')}\n` : '';
    if (g.errors.length) return pre + usage('mod', SYNOPSIS);
    const { modules } = loadedModules(session.program);
    const opt = g.opts[0];
    if (g.opts.length > 1 || (opt && !'sSd'.includes(opt.c)) || (!opt && g.rest.length))
      throw new CommandError(`${opt ? `-${opt.c}` : 'an argument'} is not supported yet (only the module list, -s, -S and -d)`);
    if (modules.length === 0) return 'no modules installed\n';
    if (opt?.c === 's') {
      const m = modules.find((x) => x.name === opt.arg);
      // crash answers a name that is no loaded module with its usage message.
      if (!m) return usage('mod', SYNOPSIS);
      const path = g.rest[0] ?? findObjects(defaultTree(session)).get(m.name);
      if (!path) throw new CommandError(`cannot find or load object file for ${m.name} module`);
      load(session, m, path);
      return table(session, [m], modules);
    }
    if (opt?.c === 'S') {
      const dir = g.rest[0];
      if (dir !== undefined && !nodeFs().existsSync(dir)) throw new CommandError(`${dir} is not a directory\n${usage('mod', SYNOPSIS).trimEnd()}`);
      const found = findObjects(dir ?? defaultTree(session));
      const done = modules.filter((m) => found.has(m.name));
      if (done.length === 0) throw new CommandError(modules.map((m) => `cannot find or load object file for ${m.name} module`).join('\nmod: '));
      for (const m of done) load(session, m, found.get(m.name)!);
      return table(session, done, modules);
    }
    if (opt?.c === 'd') {
      const i = session.moduleDebugInfo.findIndex((d) => d.name === opt.arg);
      // crash says nothing when the module's symbols were not loaded.
      if (i < 0) return '';
      unloadModuleDebugInfo(session.moduleDebugInfo[i]);
      session.moduleDebugInfo.splice(i, 1);
      session.modulesChanged();
      return '';
    }
    return table(session, modules, modules);
  },
};
