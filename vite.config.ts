import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Writes dist/sw.js, a service worker that precaches every file of the build so the app opens with no
 * network at all (air-gapped use). The cache name is a hash of the files, so a new build replaces the old
 * cache. Runs after everything (worker chunks, the WASM, public/) is on disk.
 */
function offlineServiceWorker(): Plugin {
  let outDir = '';
  return {
    name: 'crashlens-offline-sw',
    apply: 'build',
    configResolved(c) {
      outDir = resolve(c.root, c.build.outDir);
    },
    closeBundle() {
      if (!existsSync(join(outDir, 'index.html'))) return; // the build failed
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
      const files = walk(outDir)
        .map((f) => relative(outDir, f).split('\\').join('/'))
        // The sample dump (22 MB) is cached when first opened, not with the app: most visits never open it.
        .filter((f) => f !== 'sw.js' && !f.endsWith('.map') && !f.startsWith('samples/'))
        .sort();
      const hash = createHash('sha256');
      for (const f of files) hash.update(f).update(readFileSync(join(outDir, f)));
      const sw = readFileSync(resolve(import.meta.dirname, 'src/ui/sw-template.js'), 'utf8')
        .replace(/^\/\* global .*\*\/\n/, '')
        .replace('= __CACHE__;', `= ${JSON.stringify(`crashlens-${hash.digest('hex').slice(0, 12)}`)};`)
        .replace('= __FILES__;', `= ${JSON.stringify(['./', ...files.map((f) => `./${f}`)])};`);
      writeFileSync(join(outDir, 'sw.js'), sw);
    },
  };
}

/**
 * iced-x86 (the disassembler behind `dis`) is CommonJS that requires Node's fs, path and util; in the engine
 * worker's bundle those requires from iced resolve to a small shim instead (workers/iced-shim.ts).
 */
function icedNodeShim(): Plugin {
  const shim = resolve(import.meta.dirname, 'workers/iced-shim.ts');
  return {
    name: 'crashlens-iced-shim',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer?.split('\\').join('/').includes('/node_modules/iced-x86/')) return null;
      return ['fs', 'path', 'util'].includes(source.replace(/^node:/, '')) ? shim : null;
    },
    // A worker has no __dirname; the shim's readFileSync ignores the path built from it.
    transform(code, id) {
      if (!id.split('\\').join('/').endsWith('/node_modules/iced-x86/iced_x86.js')) return null;
      return { code: code.replaceAll('__dirname', "'.'"), map: null };
    },
  };
}

export default defineConfig({
  plugins: [svelte(), offlineServiceWorker()],
  // Relative asset URLs: the built app works from any static host path and from a copied folder.
  base: './',
  worker: { format: 'es', plugins: () => [icedNodeShim()] },
  build: { target: 'es2022', outDir: 'dist' },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
