// Loads the crash output vectors (see README.md) and opens the sessions that replay them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWasmNode } from '../../../../src/codec/wasm-node.ts';
import { Session } from '../../../../src/engine/session.ts';
import { NodeFileSource } from '../../../../src/io/node-file.ts';
import { fixture } from '../../../helpers/fixtures.ts';
import { DEBIAN_VMLINUX, hasDebian, openSession as fixtureSession } from '../../../helpers/sessions.ts';

loadWasmNode();

export interface Vector {
  file: string;
  command: string;
  /** crash's output; a final newline added where crash left it off (our session always ends a line). */
  expected: string;
}

export type VectorScenario = 't-tiny-la57' | 'a-qemu-sysrq';

/** The vectors of a scenario whose command matches `filter`. */
export function vectors(scenario: VectorScenario, filter: RegExp): Vector[] {
  const dir = join(import.meta.dirname, scenario);
  return readdirSync(dir)
    .filter((f) => /^\d{3}-.*\.txt$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const nl = text.indexOf('\n');
      const out = text.slice(nl + 1);
      return { file, command: text.slice(2, nl), expected: out === '' || out.endsWith('\n') ? out : `${out}\n` };
    })
    .filter((v) => filter.test(v.command));
}

/** The Debian kernel's debug vmlinux, when it has been downloaded. */
export { DEBIAN_VMLINUX };
export const HAVE_DEBIAN_VMLINUX = hasDebian;

/**
 * Without a vmlinux these come out differently, because the known-globals table (src/program/known-globals.ts)
 * types them more loosely than their declarations: jiffies without `volatile`, linux_banner as one char.
 */
export const BTF_KNOWN_DIFFERENCES = new Set(['whatis jiffies', 'whatis linux_banner']);

const opened: NodeFileSource[] = [];

export function openSession(paths: string[]): Session {
  const sources = paths.map((p) => NodeFileSource.open(p));
  opened.push(...sources);
  return Session.open(sources);
}

export function closeSessions(): void {
  for (const s of opened.splice(0)) s.close();
}

// One session of each kind per test process (test/helpers/sessions.ts): indexing a vmlinux's DWARF is the
// slow part, and its index is cached on disk for the whole run.
export function tinySession(): Session {
  return fixtureSession(fixture('t-tiny-la57', 'mdf-d31-lzo.kdump'), 'dwarf');
}

export function debianBtfSession(): Session {
  return fixtureSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'btf');
}

export function debianDwarfSession(): Session {
  return fixtureSession(fixture('a-qemu-sysrq', 'mdf-d31-lzo.kdump'), 'dwarf');
}
