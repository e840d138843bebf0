// crashlens [VMLINUX] DUMP... [-c COMMAND]...
// Files in any order, recognised by content; several dump files form a split set. Each -c prints that
// command's output; with no -c, an interactive crash> prompt.
import { createInterface } from 'node:readline';
import { loadWasmNode } from '../codec/wasm-node.ts';
import { NodeFileSource } from '../io/node-file.ts';
import { Session } from '../engine/session.ts';
import { DiskCache } from '../io/disk-cache.ts';
import { MemoryCache } from '../io/kv-cache.ts';
import { prebuildIndexes } from './prebuild-index.ts';

const USAGE = `usage: crashlens [--force] [VMLINUX] DUMP... [-c COMMAND]...
  Files may come in any order: a kernel image (vmlinux) and one or more dump files (a split set), told apart
  by their content. Each -c runs one command and prints its output, as crash would; without -c, commands
  are read at a crash> prompt. --force pairs a vmlinux with a dump whose build-id differs.`;

async function main(argv: string[]): Promise<number> {
  const files: string[] = [];
  const commands: string[] = [];
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') force = true;
    else if (a === '-c' || a === '--command') {
      const c = argv[++i];
      if (c === undefined) return fail('-c needs a command');
      commands.push(c);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else files.push(a);
  }
  if (files.length === 0) return fail(USAGE);
  loadWasmNode();
  let session: Session;
  try {
    const sources = files.map((f) => NodeFileSource.open(f));
    const tty = process.stderr.isTTY;
    const progress = tty ? (f: number, what: string) => process.stderr.write(`\r${what} ${Math.round(f * 100)}%   `) : undefined;
    // The index built by the worker threads reaches the engine through this cache, even when the disk
    // cache cannot be written.
    const disk = new DiskCache();
    const built = new MemoryCache((key, value) => disk.set(key, value));
    const cache = { get: (key: string) => built.get(key) ?? disk.get(key), set: (key: string, value: Uint8Array) => built.set(key, value) };
    await prebuildIndexes(
      files.map((path, i) => ({ path, source: sources[i] })),
      cache,
      progress,
    );
    session = Session.open(sources, {
      force,
      cache,
      onProgress: progress,
    });
    if (tty) process.stderr.write('\r\x1b[K');
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  for (const w of session.warnings) process.stderr.write(`crashlens: warning: ${w}\n`);
  if (process.stderr.isTTY) {
    session.progress = (f, what) => process.stderr.write(`\r${what} ${Math.round(f * 100)}%   \r`);
  }
  if (commands.length > 0) {
    let status = 0;
    for (const c of commands) {
      const r = session.run(c);
      process.stdout.write(r.output);
      if (r.failed) status = 1;
    }
    return status;
  }
  interactive(session);
  return -1;
}

function interactive(session: Session): void {
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: 'crash> ',
    completer: (line: string): [string[], string] => {
      const hits = session.commandNames().filter((n) => n.startsWith(line));
      return [hits, line];
    },
  });
  rl.prompt();
  rl.on('line', (line) => {
    const t = line.trim();
    if (t === 'q' || t === 'quit' || t === 'exit') {
      rl.close();
      return;
    }
    if (t) process.stdout.write(session.run(t).output);
    rl.prompt();
  });
  rl.on('close', () => process.exit(0));
}

function fail(msg: string): number {
  process.stderr.write(`crashlens: ${msg}\n`);
  return 1;
}

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exitCode = code;
});
