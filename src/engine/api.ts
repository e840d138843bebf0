// What the UI asks of the engine worker (through comlink). Everything crossing is plain data.

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
}

export interface CommandResult {
  /** The text crash would print, errors included as crash prints them. */
  output: string;
  /** True when the command failed as a whole. */
  failed: boolean;
}

export interface EngineApi {
  open(files: File[], onProgress?: (p: OpenProgress) => void): Promise<OpenSummary>;
  run(command: string): Promise<CommandResult>;
  /** Names of the commands the engine knows, for completion and help. */
  commandNames(): Promise<string[]>;
}
