// The built app (dist/) in Debian's Chromium: open a real dump by the file input and by drag-and-drop, read
// the log, run console commands, and check that no request ever leaves the app's own origin. Screenshots of
// each view go to test/screenshots/. Needs `npm run build` first (npm test's pretest does it).
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { fixture } from '../helpers/fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIST = resolve(process.env.CRASHLENS_DIST ?? join(ROOT, 'dist'));
const SHOTS = join(ROOT, 'test', 'screenshots');
const CHROMIUM = process.env.CRASHLENS_CHROMIUM ?? '/usr/bin/chromium';

const dump = fixture('t-tiny-la57', 'mdf-d31-lzo.kdump');
const panicLine = readFileSync(join(dump.crashDir, 'log.txt'), 'utf8')
  .split('\n')
  .find((l) => l.includes('Kernel panic - not syncing'));
// The message part, as the Log view shows it after the timestamp column.
const panicText = panicLine?.replace(/^\[\s*\d+\.\d+\]\s*/, '') ?? '';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
};

/** A static file server over dist/, the way any plain web host would serve the app. */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (file !== dir && !file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

let server: Server;
let origin = '';
let context: BrowserContext;
let profile = '';
/** Every request the browser made (pages, the engine worker, the service worker). */
const requests: string[] = [];

async function openApp(): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${origin}/`);
  await page.getByTestId('open-button').waitFor();
  // Surface page errors in the failing assertion instead of as a timeout.
  (page as Page & { errors?: string[] }).errors = errors;
  return page;
}

async function waitForLog(page: Page): Promise<void> {
  const log = page.getByTestId('log');
  await expect
    .poll(async () => ((await log.count()) ? log.innerText() : (await page.getByTestId('open-error').count()) ? 'ERROR: ' + (await page.getByTestId('open-error').innerText()) : ''), {
      timeout: 60_000,
      interval: 200,
    })
    .toContain(panicText);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser tests drive Debian's Chromium (apt-get install -y chromium)`);
  }
  if (!existsSync(join(DIST, 'index.html'))) throw new Error(`${DIST}/index.html is missing: run \`npm run build\` first`);
  if (!panicText) throw new Error(`no "Kernel panic" line in ${dump.crashDir}/log.txt`);
  mkdirSync(SHOTS, { recursive: true });
  server = await serve(DIST);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profile = mkdtempSync(join(tmpdir(), 'crashlens-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1360, height: 820 },
    colorScheme: 'dark',
  });
  context.on('request', (r) => requests.push(r.url()));
});

afterAll(async () => {
  await context?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the app in Chromium', () => {
  test('opens a dump from the file input: log, console, no foreign requests', async () => {
    const page = await openApp();
    await page.screenshot({ path: join(SHOTS, 'start.png') });

    await page.getByTestId('file-input').setInputFiles(dump.path);
    await waitForLog(page);
    await expect.poll(() => page.getByTestId('panic').innerText()).toContain('Kernel panic - not syncing');
    expect(await page.getByTestId('dump-files').innerText()).toContain(basename(dump.path));
    // The panic line is where the log opens, highlighted.
    expect(await page.locator('.row.panic').innerText()).toContain(panicText);

    // Search: the count shows, and the panic line is among the hits.
    await page.getByLabel('Search the log').fill('sysrq');
    await expect.poll(() => page.locator('.search .count').innerText()).toMatch(/^\d+\/\d+$/);
    await page.getByLabel('Search the log').fill('');
    await page.screenshot({ path: join(SHOTS, 'log.png') });

    // The console: a command's output as the engine returns it.
    await page.locator('[data-view=console]').click();
    const input = page.getByTestId('console-input');
    const out = page.getByTestId('console-output');
    await input.fill('log');
    await input.press('Enter');
    await expect.poll(() => out.innerText(), { timeout: 30_000 }).toContain(panicText);
    // Dump-derived and typed text is shown as text, never as markup.
    await input.fill('<img src=x onerror=window.__pwned=1>');
    await input.press('Enter');
    await expect.poll(() => out.innerText()).toContain('<img src=x onerror=window.__pwned=1>');
    expect(await out.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as Window & { __pwned?: number }).__pwned)).toBeUndefined();
    await input.fill('help');
    await input.press('Enter');
    await expect.poll(() => out.locator('.entry').count()).toBe(3);
    // History: arrow up brings back the last command.
    await input.press('ArrowUp');
    expect(await input.inputValue()).toBe('help');
    await input.press('ArrowUp');
    expect(await input.inputValue()).toBe('<img src=x onerror=window.__pwned=1>');
    await input.fill('');
    await page.screenshot({ path: join(SHOTS, 'console.png') });

    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });

  test('opens a dump dropped on the page', async () => {
    const page = await openApp();
    const b64 = readFileSync(dump.path).toString('base64');
    await page.evaluate(
      ([data, name]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name));
        const opts = { dataTransfer: dt, bubbles: true, cancelable: true };
        document.body.dispatchEvent(new DragEvent('dragenter', opts));
        document.body.dispatchEvent(new DragEvent('dragover', opts));
        document.body.dispatchEvent(new DragEvent('drop', opts));
      },
      [b64, basename(dump.path)] as const,
    );
    await waitForLog(page);
    expect(await page.getByTestId('dump-files').innerText()).toContain(basename(dump.path));
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });

  test('reports a file that is not a dump, naming it', async () => {
    const page = await openApp();
    const notDump = join(dump.crashDir, 'sys.txt');
    await page.getByTestId('file-input').setInputFiles(notDump);
    const err = page.getByTestId('open-error');
    await err.waitFor({ timeout: 30_000 });
    expect(await err.innerText()).toContain('sys.txt');
    await page.screenshot({ path: join(SHOTS, 'error.png') });
    await page.close();
  });

  test('works offline once loaded (service worker)', async () => {
    const page = await openApp();
    // Installed and in control (clients.claim() takes over this page once the files are cached).
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20_000 });
    await context.setOffline(true);
    try {
      await page.reload();
      await page.getByTestId('open-button').waitFor({ timeout: 10_000 });
      await page.getByTestId('file-input').setInputFiles(dump.path);
      await waitForLog(page);
    } finally {
      await context.setOffline(false);
    }
    await page.close();
  });

  test('made no request outside its own origin', () => {
    expect(requests.length).toBeGreaterThan(0);
    // The engine worker's fetch of the WASM is seen too, so worker traffic is covered by this check.
    expect(requests.some((u) => /\.wasm$/.test(new URL(u).pathname))).toBe(true);
    const foreign = requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin);
    expect(foreign).toEqual([]);
  });
});
