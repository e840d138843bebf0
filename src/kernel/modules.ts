// The loaded modules as crash's `mod` lists them (kernel.c do_module_cmd): struct module address, name,
// core base and size, in crash's order (by base address). The list is read by the module reader that
// kallsyms.ts uses for module symbols, with struct module's layout from the Program's types.
import { CrashlensError } from '../errors.ts';
import type { Program } from '../program/program.ts';
import { type ModuleInfo, moduleLayout, readModules } from '../symbols/kallsyms.ts';

export interface LoadedModule {
  /** Address of the struct module. */
  struct: bigint;
  name: string;
  base: bigint;
  size: number;
  /** crash's MOD_KALLSYMS: the module's own symbol table could be read. */
  kallsyms: boolean;
}

export interface ModuleList {
  modules: LoadedModule[];
  /** Modules whose symbols could not be read, and why. */
  warnings: string[];
}

/** Every module on the kernel's `modules` list. Throws a CrashlensError naming what is missing. */
export function loadedModules(prog: Program): ModuleList {
  const head = prog.symbols.address('modules');
  if (head === undefined) return { modules: [], warnings: [] };
  const layout = moduleLayout(prog.types);
  if (typeof layout === 'string') throw new CrashlensError(`cannot read the module list: ${layout}`);
  const { modules, warnings } = readModules(prog.memory, prog.symbolAddress('modules'), layout);
  // readModules warns "<name>: cannot read module symbols: ..." when a module's symbol table is unreadable.
  const unreadable = (m: ModuleInfo): boolean => warnings.some((w) => w.startsWith(`${m.name}: cannot read module symbols`));
  return {
    modules: modules.map((m) => ({ struct: m.struct, name: m.name, base: m.base, size: m.size, kallsyms: !unreadable(m) })),
    warnings,
  };
}
