// The Debian fixture kernel's 588 MB debug vmlinux, fetched by ../shared/fixtures/kernel/get-vmlinux.sh into
// ~/.cache/crashlens/<first 12 hex of the script's sha256>/ — where parity.py and .ci/run put it. CI always
// has it; elsewhere tests that need it say so and are skipped.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from './fixtures.ts';

export function debianVmlinux(): string | undefined {
  const script = join(FIXTURES, 'kernel', 'get-vmlinux.sh');
  if (!existsSync(script)) return undefined;
  const tag = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 12);
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'crashlens', tag);
  if (!existsSync(dir)) return undefined;
  const f = readdirSync(dir).find((n) => n.startsWith('vmlinux-') && !n.endsWith('.deb'));
  return f ? join(dir, f) : undefined;
}

/** In CI the vmlinux must be there (.ci/run fetches it): a missing one fails instead of skipping. */
export function requireDebianVmlinuxInCi(): string | undefined {
  const v = debianVmlinux();
  if (!v && process.env.CI) throw new Error('CI: the Debian fixture vmlinux is missing: .ci/run must fetch it with get-vmlinux.sh');
  return v;
}
