// A Session is one opened dump (plus, later, its vmlinux): physical memory, VMCOREINFO, the kernel address
// space, and the commands run against them. The same class serves the command line, the tests and the
// browser worker; it is synchronous because reads are (fs.readSync / FileReaderSync).
import type { ByteSource } from '../io/byte-source.ts';
import type { KeyValueCache } from '../io/kv-cache.ts';
import { openDump, sniff } from '../dump/open.ts';
import type { PhysicalMemory } from '../dump/physical-memory.ts';
import { Vmcoreinfo } from '../vmcoreinfo.ts';
import { X86_64AddressSpace } from '../arch/x86-64-paging.ts';
import { CrashlensError, VmcoreinfoError } from '../errors.ts';
import type { CommandResult, OpenSummary } from './api.ts';
import { COMMANDS } from '../commands/index.ts';
import { CommandError } from '../errors.ts';
import { OptionError, splitWords } from '../commands/command.ts';
import { type LoadedSymbols, type SymbolTable, loadSymbols } from '../symbols/symbol-table.ts';
import type { Btf } from '../types/btf.ts';
import { loadVmlinux, type VmlinuxDebugInfo } from '../program/load.ts';
import { Program } from '../program/program.ts';
import { KNOWN_GLOBALS } from '../program/known-globals.ts';
import { memorySize } from '../kernel/system.ts';
import { Kallsyms, kallsymsLocations } from '../symbols/kallsyms.ts';
import { kv } from '../addr.ts';
import type { ModuleDebugInfo } from '../kernel/module-debuginfo.ts';

export interface OpenOptions {
  onProgress?(fraction: number, what: string): void;
  /** Pair a vmlinux with a dump even when their build-ids differ. */
  force?: boolean;
  /** Where the DWARF name index is cached between opens. */
  cache?: KeyValueCache;
}

export class Session {
  readonly warnings: string[] = [];
  /** Where long commands (search) report how far they are; set by the host (CLI: stderr, app: the worker). */
  progress?: (fraction: number, what: string) => void;
  private kernelCache: X86_64AddressSpace | undefined;

  private constructor(
    readonly mem: PhysicalMemory,
    readonly vmcoreinfo: Vmcoreinfo | undefined,
    readonly dumpFiles: string[],
    readonly vmlinux: ByteSource | undefined,
    readonly force = false,
  ) {}

  /** Opens a dump from its files, in any order: dump parts and an optional vmlinux, told apart by content. */
  static open(sources: ByteSource[], opts: OpenOptions = {}): Session {
    const dumps: ByteSource[] = [];
    let vmlinux: ByteSource | undefined;
    for (const s of sources) {
      const kind = sniff(s);
      if (kind === 'elf-vmlinux') {
        if (vmlinux) throw new CrashlensError(`two kernel images given: ${vmlinux.name} and ${s.name}`);
        vmlinux = s;
      } else dumps.push(s);
    }
    if (dumps.length === 0) throw new CrashlensError(`no dump file among: ${sources.map((s) => s.name).join(', ')}`);
    const mem = openDump(dumps, { onProgress: opts.onProgress });
    const text = mem.notes.vmcoreinfo;
    const session = new Session(mem, text ? new Vmcoreinfo(text) : undefined, dumps.map((d) => d.name), vmlinux, opts.force);
    // Index the vmlinux now, with progress, so the first command does not stall.
    if (vmlinux) session.debugInfoCache = loadVmlinux(vmlinux, session.vmcoreinfo, {
        force: opts.force,
        onProgress: opts.onProgress,
        cache: opts.cache,
        dumpBanner: () => session.dumpBanner(),
      });
    session.warnings.push(...mem.warnings);
    if (!text) session.warnings.push(`${mem.fileName}: the dump has no VMCOREINFO: kernel virtual addresses cannot be translated`);
    opts.onProgress?.(1, 'opened');
    return session;
  }

  /** The kernel's address space; throws if the dump lacks what translation needs. */
  get kernel(): X86_64AddressSpace {
    if (!this.kernelCache) {
      if (!this.vmcoreinfo) throw new VmcoreinfoError(`${this.mem.fileName}: no VMCOREINFO in the dump: cannot translate kernel virtual addresses`);
      this.kernelCache = new X86_64AddressSpace(this.mem, this.vmcoreinfo);
    }
    return this.kernelCache;
  }

  private symbolsCache: LoadedSymbols | undefined;

  /** Kernel (and, given BTF, module) symbols from the dump's kallsyms; read on first use. */
  get symbols(): SymbolTable {
    return this.loadedSymbols().table;
  }

  /** The kernel's BTF from the dump's memory; undefined when the kernel has none (a warning says why). */
  get btf(): Btf | undefined {
    return this.loadedSymbols().btf;
  }

  loadedSymbols(): LoadedSymbols {
    if (!this.symbolsCache) {
      const info = this.vmcoreinfo;
      if (!info) throw new VmcoreinfoError(`${this.mem.fileName}: no VMCOREINFO in the dump: kernel symbols cannot be found`);
      this.symbolsCache = loadSymbols(this.kernel, info, this.debugInfo?.types);
      this.warnings.push(...this.symbolsCache.warnings);
    }
    return this.symbolsCache;
  }

  private debugInfoCache: VmlinuxDebugInfo | undefined;
  private programCache: Program | undefined;

  /** DWARF types and ELF symbols from the vmlinux, when one was given (indexed at open). */
  get debugInfo(): VmlinuxDebugInfo | undefined {
    if (!this.debugInfoCache && this.vmlinux) this.debugInfoCache = loadVmlinux(this.vmlinux, this.vmcoreinfo, { force: this.force, dumpBanner: () => this.dumpBanner() });
    return this.debugInfoCache;
  }

  /**
   * Typed access to the kernel: DWARF + vmlinux symbols when a vmlinux was given, else the dump's own BTF +
   * kallsyms (with KNOWN_GLOBALS typing the globals BTF cannot).
   */
  get program(): Program {
    if (!this.programCache) {
      const d = this.debugInfo;
      const symbols = d?.symbols ?? this.symbols;
      const base = d?.types ?? this.btf;
      if (!base) throw new CrashlensError(`${this.mem.fileName}: no type information: the kernel has no BTF, so give its vmlinux`);
      const mods = this.moduleDebugInfo;
      // Modules' types and symbols (mod -s) come after the kernel's, as gdb searches them.
      const types = mods.length === 0 ? base : {
        findType: (spec: string) => base.findType(spec) ?? mods.map((m) => m.types.findType(spec)).find((t) => t !== undefined),
        variableType: (name: string) => base.variableType?.(name) ?? mods.map((m) => m.types.variableType(name)).find((t) => t !== undefined),
      };
      const moduleSymbol = (name: string): bigint | undefined => {
        for (const m of mods) for (const s of m.module.symbols) if (!s.pseudo && s.name === name) return s.address;
        return undefined;
      };
      this.programCache = new Program(this.kernel, types, { address: (name) => symbols.find(name)?.address ?? moduleSymbol(name) }, d ? undefined : KNOWN_GLOBALS);
    }
    return this.programCache;
  }

  /** Module debug info loaded by `mod -s`; call modulesChanged() after changing it. */
  readonly moduleDebugInfo: ModuleDebugInfo[] = [];

  /** Rebuilds the Program with the modules' debug info on next use. */
  modulesChanged(): void {
    this.programCache = undefined;
  }

  summary(): OpenSummary {
    return {
      dumpFiles: this.dumpFiles,
      vmlinux: this.vmlinux?.name,
      format: this.mem.format,
      release: this.vmcoreinfo?.osrelease,
      panic: this.panicMessage(),
      cpus: this.mem.notes.prstatus.length,
      memoryBytes: this.memoryBytes(),
      partial: this.mem.partial,
      incomplete: this.mem.incomplete,
      warnings: [...this.warnings],
    };
  }

  /**
   * The crashed kernel's linux_banner, read from the dump through its own kallsyms (not the session's symbol
   * table, which may itself wait on the vmlinux being checked).
   */
  dumpBanner(): string | undefined {
    const info = this.vmcoreinfo;
    if (!info) return undefined;
    const k = Kallsyms.read(this.kernel, kallsymsLocations(info), { osrelease: info.osrelease });
    const i = k.names.indexOf('linux_banner');
    return i < 0 ? undefined : this.kernel.readCString(kv(k.addresses[i]), 1024);
  }

  /** crash's MEMORY (present pages of the online nodes); the dump's page range when types are missing. */
  private memoryBytes(): number {
    try {
      return Number(memorySize(this.program, this.mem.pageSize));
    } catch {
      return Number(this.mem.maxPfn) * this.mem.pageSize;
    }
  }

  /** The panic line from the kernel log ("Kernel panic - not syncing: ..."), if the log can be read. */
  panicMessage(): string | undefined {
    try {
      const log = this.run('log');
      if (log.failed) return undefined;
      const line = log.output.split('\n').find((l) => /Kernel panic - not syncing|BUG: |Oops: /.test(l));
      return line?.replace(/^\[\s*\d+\.\d+\]\s*/, '');
    } catch {
      return undefined;
    }
  }

  commandNames(): string[] {
    return [...COMMANDS.keys()].sort();
  }

  /** Runs one command line and returns what crash would print. */
  run(line: string): CommandResult {
    const words = splitWords(line.trim());
    if (words.length === 0) return { output: '', failed: false };
    let [name, ...args] = words;
    // gdb's print format, which crash passes through: "p/x expr" (p's -X), "p/d expr" (decimal).
    const format = /^(p|print)\/([xd])$/.exec(name);
    if (format) {
      name = 'p';
      args = [format[2] === 'x' ? '-X' : '-d', ...args];
    }
    const cmd = COMMANDS.get(name);
    if (!cmd) return { output: `crash: command not found: ${name}\n`, failed: true };
    try {
      const out = cmd.run({ session: this, args, line });
      return { output: out.endsWith('\n') || out === '' ? out : `${out}\n`, failed: false };
    } catch (e) {
      if (e instanceof CommandError || e instanceof OptionError) return { output: `${name}: ${e.message}\n`, failed: true };
      if (e instanceof CrashlensError) return { output: `${name}: ${e.message}\n`, failed: true };
      throw e;
    }
  }
}
