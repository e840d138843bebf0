// crash 8.0.6's output for rd, vtop and ptov, captured once per dump into the *.txt files beside this one
// (each file's header says how), and the fixtures' own reference files: parsed here, run by the tests.
// A file is "# comment" lines, a "# dump: <scenario> <dump>" line, then "crash> <command>" blocks.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { loadWasmNode } from '../../../src/codec/wasm-node.ts';
import { Session } from '../../../src/engine/session.ts';
import { NodeFileSource } from '../../../src/io/node-file.ts';
import { type FixtureDump, type Scenario, SCENARIOS, fixture } from '../../helpers/fixtures.ts';

export interface Vector {
  /** The vector file it came from. */
  file: string;
  dump: FixtureDump;
  command: string;
  expected: string;
}

/** Every "crash> <cmd>" block whose command is `name` (all blocks when omitted). */
export function vectors(name?: string): Vector[] {
  const dir = import.meta.dirname;
  const out: Vector[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const m = /^# dump: (\S+) (\S+)$/m.exec(text);
    if (!m || !(SCENARIOS as readonly string[]).includes(m[1])) throw new Error(`${file}: no "# dump: <scenario> <dump>" line`);
    const dump = fixture(m[1] as Scenario, m[2]);
    const blocks = text.slice(text.indexOf('crash> ')).split(/^crash> /m).slice(1);
    for (const b of blocks) {
      const nl = b.indexOf('\n');
      const command = b.slice(0, nl);
      if (name === undefined || command.split(' ')[0] === name) out.push({ file, dump, command, expected: b.slice(nl + 1) });
    }
  }
  return out;
}

/** What the parity check compares: lines without trailing spaces, no trailing blank lines. */
export function lines(text: string): string[] {
  const l = text.split('\n').map((s) => s.trimEnd());
  while (l.length && l[l.length - 1] === '') l.pop();
  return l;
}

loadWasmNode();
const sessions = new Map<string, Session>();
const sources: NodeFileSource[] = [];
afterAll(() => {
  for (const s of sources) s.close();
  sessions.clear();
});

/** One session per dump for the whole test file. */
export function sessionFor(dump: FixtureDump): Session {
  let s = sessions.get(dump.path);
  if (!s) {
    const src = NodeFileSource.open(dump.path);
    sources.push(src);
    s = Session.open([src]);
    sessions.set(dump.path, s);
  }
  return s;
}

/** The command crash ran to make a fixture's reference file (from its _commands.txt), if it has one. */
export function fixtureCommand(dump: FixtureDump, file: string): { command: string; expected: string } | undefined {
  const list = join(dump.crashDir, '_commands.txt');
  const ref = join(dump.crashDir, file);
  if (!existsSync(list) || !existsSync(ref)) return undefined;
  for (const line of readFileSync(list, 'utf8').split('\n')) {
    const m = /^(.*?)\s*>\s*(\S+)\s*$/.exec(line.trim());
    if (m && m[2] === file) return { command: m[1], expected: readFileSync(ref, 'utf8') };
  }
  return undefined;
}
