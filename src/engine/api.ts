// What the UI asks of the engine worker (through comlink). Everything crossing is plain data.
import type { ExploreRequest, Identity, ListPage, ListRequest, ObjectDesc } from './explore.ts';
import type { Backtrace, KmemInfo, ModuleRow, SlabRow, TaskTable } from './views.ts';

export type { ExploreRequest, FieldDesc, Identity, ListEntry, ListInfo, ListPage, ListRequest, ObjectDesc, PointerInfo } from './explore.ts';
export type { Backtrace, Frame, KmemInfo, KmemInfoRow, ModuleRow, SlabRow, TaskRow, TaskTable } from './views.ts';

export interface OpenProgress {
  /** 0..1 */
  fraction: number;
  what: string;
}

export interface OpenSummary {
  /** Names of the files that make up the dump (several for a split set). */
  dumpFiles: string[];
  /** The vmlinux, when one was given. */
  vmlinux?: string;
  /** e.g. "KDUMP (lzo)", "ELF", "flattened KDUMP (zlib)". */
  format: string;
  /** From VMCOREINFO when present. */
  release?: string;
  /** The panic message from the kernel log, if one was found. */
  panic?: string;
  /** Number of CPUs that saved registers. */
  cpus: number;
  /** Physical memory described by the dump, in bytes. */
  memoryBytes: number;
  partial: boolean;
  incomplete: boolean;
  /** Non-fatal problems met while opening (missing notes, truncated file, ...). */
  warnings: string[];
  /** A kernel log given as text (vmcore-dmesg.txt), alongside the dump or instead of one. */
  logFile?: string;
  /** Only a text log was given: no memory, no commands but `log`. */
  logOnly?: boolean;
}

/** A result, or why there is none (shown to the user as is). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export interface CommandResult {
  /** The text crash would print, errors included as crash prints them. */
  output: string;
  /** True when the command failed as a whole. */
  failed: boolean;
}

/** Command output the worker also parsed into rows (crash's tables). */
export type ParseAs = 'kmem-i' | 'kmem-s' | 'mod' | 'bt';

export interface ParsedResult extends CommandResult {
  kmemInfo?: KmemInfo;
  slabs?: SlabRow[];
  mods?: ModuleRow[];
  backtraces?: Backtrace[];
}

export interface EngineApi {
  open(files: File[], onProgress?: (p: OpenProgress) => void): Promise<OpenSummary>;
  run(command: string): Promise<CommandResult>;
  /** Names of the commands the engine knows, for completion and help. */
  commandNames(): Promise<string[]>;
  /** Runs a command and parses its table; the text is kept for when parsing finds nothing. */
  runParsed(command: string, as: ParseAs): Promise<ParsedResult>;
  /** The text of the kernel log file given with (or instead of) the dump. */
  logFileText(): Promise<string | null>;
  /** Every task with ps's columns, typed. */
  tasks(): Promise<Outcome<TaskTable>>;
  /** The modules from the dump's module list. */
  modules(): Promise<Outcome<ModuleRow[]>>;
  /** Symbol names starting with a prefix (for completion). */
  completeSymbols(prefix: string, limit?: number): Promise<string[]>;
  /** Type spellings ("struct task_struct") matching a prefix. */
  completeTypes(prefix: string, limit?: number): Promise<string[]>;
  /** A typed object as rows of members. */
  explore(req: ExploreRequest): Promise<Outcome<ObjectDesc>>;
  /** What an address is (candidate types). */
  identify(address: string): Promise<Outcome<Identity>>;
  /** A page of a list's nodes or entries. */
  listEntries(req: ListRequest): Promise<Outcome<ListPage>>;
}
