// The built app (dist/) in Debian's Chromium: open a real dump by the file input and by drag-and-drop, read
// the log, run console commands, and check that no request ever leaves the app's own origin. Screenshots of
// each view go to test/screenshots/. Needs `npm run build` first (npm test's pretest does it).
import type { Server } from 'node:http';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { DIST, launchChromium, ROOT, serve } from '../helpers/browser.ts';
import { fixture, tinyVmlinux } from '../helpers/fixtures.ts';
import { openSession } from '../helpers/sessions.ts';

const SHOTS = join(ROOT, 'test', 'screenshots');

const dump = fixture('t-tiny-la57', 'mdf-d31-lzo.kdump');
/** The sample the app ships (public/samples/). */
const SAMPLE = 'kdump-mdf-d31-lzo.kdump';
const panicLine = readFileSync(join(dump.crashDir, 'log.txt'), 'utf8')
  .split('\n')
  .find((l) => l.includes('Kernel panic - not syncing'));
// The message part, as the Log view shows it after the timestamp column.
const panicText = panicLine?.replace(/^\[\s*\d+\.\d+\]\s*/, '') ?? '';

/** The page's console errors and uncaught exceptions so far must be none. */
function errorsOf(page: Page): void {
  expect((page as Page & { errors?: string[] }).errors).toEqual([]);
}

/** A page kept open across the sample's tests (one open of the sample serves them all). */
let shared: Page | null = null;

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

/** Opening lands on the Overview; the Log tab then shows the panic line. */
async function waitForLog(page: Page): Promise<void> {
  await expect
    .poll(async () => ((await page.locator('[data-view=log]').count()) ? 'tabs' : (await page.getByTestId('open-error').count()) ? 'ERROR: ' + (await page.getByTestId('open-error').innerText()) : ''), {
      timeout: 60_000,
      interval: 200,
    })
    .toBe('tabs');
  await page.locator('[data-view=log]').click();
  const log = page.getByTestId('log');
  await expect
    .poll(async () => ((await log.count()) ? log.innerText() : (await page.getByTestId('open-error').count()) ? 'ERROR: ' + (await page.getByTestId('open-error').innerText()) : ''), {
      timeout: 60_000,
      interval: 200,
    })
    .toContain(panicText);
}

beforeAll(async () => {
  if (!panicText) throw new Error(`no "Kernel panic" line in ${dump.crashDir}/log.txt`);
  mkdirSync(SHOTS, { recursive: true });
  ({ context, profile } = await launchChromium());
  ({ server, origin } = await serve(DIST));
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

  test('opens the sample with one click: the overview says what went wrong', async () => {
    const page = await openApp();
    await page.getByTestId('open-sample').click();
    await page.getByTestId('overview').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('overview-panic').innerText()).toContain('Kernel panic - not syncing: sysrq triggered crash');
    expect(await page.getByTestId('dump-files').innerText()).toContain(SAMPLE);
    // The end of the log, the task states and each command's output or the reason it is missing.
    await expect.poll(() => page.getByTestId('log-tail').innerText(), { timeout: 30_000 }).toContain('sysrq triggered crash');
    await expect.poll(() => page.locator('.overview .states').innerText(), { timeout: 30_000 }).toContain('65');
    for (const cmd of ['bt', 'sys', 'kmem -i']) {
      await expect
        .poll(async () => page.locator('.overview').innerText(), { timeout: 30_000 })
        .toMatch(new RegExp(`${cmd === 'bt' ? 'machine_kexec|bt not available' : cmd === 'sys' ? 'RELEASE|sys not available' : 'TOTAL MEM|kmem -i not available'}`));
    }
    expect(await page.locator('.overview').innerText()).not.toContain('Running');
    await page.screenshot({ path: join(SHOTS, 'overview.png') });
    errorsOf(page);
    shared = page;
  });

  test('every view of the sample', async () => {
    const page = shared!;
    // Processes: typed rows, sorted and filtered; the tree.
    await page.locator('[data-view=processes]').click();
    const rows = page.getByTestId('ps-table-rows');
    await expect.poll(() => rows.locator('.tr').count(), { timeout: 30_000 }).toBeGreaterThan(20);
    expect(await rows.locator('.tr.panic-task').innerText()).toContain('init');
    await page.screenshot({ path: join(SHOTS, 'processes.png') });
    await rows.locator('.th', { hasText: 'RSS' }).click();
    await rows.locator('.th', { hasText: 'RSS' }).click();
    expect(await rows.locator('.tr').first().innerText()).toMatch(/1792|1580|1448/);
    await page.getByTestId('ps-filter').fill('sleep');
    await expect.poll(() => rows.locator('.tr').count()).toBe(4);
    await page.getByTestId('ps-filter').fill('');
    await page.getByTestId('ps-tree').click();
    // syslogd is a child of init, a child of swapper/0: two levels down.
    await expect.poll(() => rows.locator('.tr[data-key=ffff8ab082106000] .indent').getAttribute('style')).toContain('width: 4ch');
    await page.screenshot({ path: join(SHOTS, 'processes-tree.png') });
    await page.getByTestId('ps-table').click();

    // Backtrace of a task picked in Processes (double-click).
    await rows.locator('.tr', { hasText: 'syslogd' }).dblclick();
    await expect.poll(() => page.getByTestId('bt-body').innerText(), { timeout: 30_000 }).toMatch(/PID:? 102|bt.* not available/);
    await page.screenshot({ path: join(SHOTS, 'backtrace.png') });

    await page.locator('[data-view=memory]').click();
    await expect.poll(() => page.locator('.memory').innerText(), { timeout: 30_000 }).toMatch(/TOTAL MEM|not available for this dump/);
    await expect.poll(() => page.locator('.memory').innerText(), { timeout: 30_000 }).not.toContain('Running');
    await page.screenshot({ path: join(SHOTS, 'memory.png') });

    await page.locator('[data-view=modules]').click();
    await expect.poll(() => page.getByTestId('modules-table').innerText(), { timeout: 30_000 }).toContain('loop');
    expect(await page.getByTestId('modules-table').innerText()).toContain('ffffffffc024d100');
    await page.getByTestId('modules-table').locator('.tr', { hasText: 'loop' }).click();
    await expect.poll(() => page.locator('.modules .detail').innerText(), { timeout: 30_000 }).toMatch(/MODULE START: loop|not available/);
    await page.screenshot({ path: join(SHOTS, 'modules.png') });

    await page.locator('[data-view=log]').click();
    await page.getByTestId('log').waitFor();
    expect(await page.locator('.row.panic').innerText()).toContain('sysrq triggered crash');
    errorsOf(page);
  });

  test('an address is a link: ps → a task → its parent → its mm, back and forward', async () => {
    const page = shared!;
    await page.locator('[data-view=processes]').click();
    await page.getByTestId('ps-filter').fill('syslogd');
    await page.getByTestId('ps-table-rows').locator('a.addr', { hasText: 'ffff8ab082106000' }).click();
    const head = page.getByTestId('object-head');
    await expect.poll(() => head.innerText(), { timeout: 30_000 }).toContain('PID 102 "syslogd"');
    expect(await head.innerText()).toContain('struct task_struct');
    const field = (name: string) => page.locator(`.fields:not(.nested) > .row[data-field="${name}"]`).first();
    // The parent pointer leads to init's task_struct...
    await field('parent').locator('a.addr').click();
    await expect.poll(() => head.innerText(), { timeout: 30_000 }).toContain('PID 1 "init"');
    // The member finder narrows the 200+ members of a task_struct.
    await page.getByTestId('ex-find').fill('childr');
    await expect.poll(() => page.locator('.fields:not(.nested) > .row').count()).toBe(1);
    await page.getByTestId('ex-find').fill('');
    // ...whose children list opens into the tasks it chains...
    await field('children').getByRole('button', { name: 'Expand children' }).click();
    await expect.poll(() => page.getByTestId('list-entries').first().innerText(), { timeout: 30_000 }).toContain('PID 102 "syslogd"');
    await field('children').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'explorer-list.png') });
    // ...and whose mm is an mm_struct.
    await field('mm').locator('a.addr').click();
    await expect.poll(() => head.innerText(), { timeout: 30_000 }).toContain('struct mm_struct');
    await expect.poll(() => page.locator('.fields .row').count()).toBeGreaterThan(20);
    // An embedded struct opens in place.
    await page.screenshot({ path: join(SHOTS, 'explorer.png') });
    await page.getByTestId('ex-back').click();
    await expect.poll(() => head.innerText()).toContain('PID 1 "init"');
    await page.getByTestId('ex-forward').click();
    await expect.poll(() => head.innerText()).toContain('struct mm_struct');
    // The raw memory of it.
    await page.getByTestId('ex-memory').click();
    await expect.poll(() => page.getByTestId('explorer').innerText(), { timeout: 30_000 }).toMatch(/[0-9a-f]{16}:\s+[0-9a-f]{16}/);
    await page.getByRole('tab', { name: 'Members' }).click();
    // An address inside an object: the engine says whose, and which member.
    await page.getByTestId('ex-address').fill('ffff8ab0811fe990');
    await page.getByTestId('ex-type').fill('');
    await page.getByTestId('ex-address').press('Enter');
    const identity = page.getByTestId('identity');
    await expect.poll(() => identity.innerText(), { timeout: 30_000 }).toContain('inside task PID 1 "init": +0x990 (children.next)');
    await expect.poll(() => identity.innerText(), { timeout: 30_000 }).toMatch(/ffff8ab0811fe990:\s+[0-9a-f]{16}/);
    await page.screenshot({ path: join(SHOTS, 'explorer-identify.png') });
    await identity.getByRole('button', { name: 'struct task_struct at ffff8ab0811fe000' }).click();
    await expect.poll(() => head.innerText(), { timeout: 30_000 }).toContain('PID 1 "init"');
    // An address with no type given: the engine identifies it (init_task is a task and a variable).
    await page.getByTestId('ex-address').fill('init_task');
    await page.getByTestId('ex-type').fill('');
    await page.getByTestId('ex-address').press('Enter');
    await expect.poll(() => head.innerText(), { timeout: 30_000 }).toContain('PID 0 "swapper/0"');
    errorsOf(page);
  });

  test('the console completes commands, symbols and types; its addresses are links', async () => {
    const page = shared!;
    await page.locator('[data-view=console]').click();
    const input = page.getByTestId('console-input');
    await input.fill('stru');
    await input.press('Tab');
    expect(await input.inputValue()).toBe('struct ');
    await input.fill('sym init_ta');
    await input.press('Tab');
    await expect.poll(() => input.inputValue()).toBe('sym init_task ');
    await input.press('Enter');
    const out = page.getByTestId('console-output');
    await expect.poll(() => out.innerText(), { timeout: 30_000 }).toContain('(D) init_task');
    await input.fill('struct task_stru');
    await input.press('Tab');
    await expect.poll(() => input.inputValue()).toBe('struct task_struct ');
    await input.pressSequentially('ffff8ab0811fe000 -x');
    await input.press('Enter');
    await expect.poll(() => out.innerText(), { timeout: 30_000 }).toContain('comm = "init');
    await input.fill('ps');
    await input.press('Enter');
    await expect.poll(() => out.locator('a.addr', { hasText: 'ffff8ab0a2a24800' }).count(), { timeout: 30_000 }).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'console-sample.png') });
    // A task address in command output opens typed (the engine finds it in the task table).
    await out.locator('a.addr', { hasText: 'ffff8ab0a2a24800' }).click();
    await expect.poll(() => page.getByTestId('object-head').innerText(), { timeout: 30_000 }).toContain('PID 109 "tail"');

    // A long command shows what runs, for how long, and Cancel: the engine restarts and the tab lives on.
    // (Three searches of all kernel memory queue up: several seconds of work on any machine.)
    await page.locator('[data-view=console]').click();
    for (const pattern of ['deadbeef', 'feedface', 'cafef00d']) {
      await input.fill(`search -k ${pattern}`);
      await input.press('Enter');
    }
    await page.getByTestId('busy').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, 'busy.png') });
    await page.getByTestId('cancel').click();
    await expect.poll(() => out.locator('.entry').last().innerText()).toContain('search -k cafef00d: cancelled');
    await input.fill('sym schedule');
    await input.press('Enter');
    await expect.poll(() => out.locator('.entry').last().innerText(), { timeout: 30_000 }).toMatch(/\(T\) schedule/);
    expect(await page.getByTestId('restarting').count()).toBe(0);
    errorsOf(page);
    await page.close();
    shared = null;
  });

  test('a kernel log alone, and hostile text in it, is shown as text', async () => {
    const page = await openApp();
    const hostile = [
      '[    0.000000] Linux version 6.1.0 <img src=x onerror=window.__pwned=1>',
      '[    1.000000] comm "<script>window.__pwned=2</script>" at ffff8ab0811fe000',
      '[    2.000000] Kernel panic - not syncing: <b onmouseover=alert(1)>boom</b>',
      '',
    ].join('\n');
    await page.getByTestId('file-input').setInputFiles({ name: 'vmcore-dmesg.txt', mimeType: 'text/plain', buffer: Buffer.from(hostile) });
    await page.getByTestId('overview').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('overview-panic').innerText()).toContain('<b onmouseover=alert(1)>boom</b>');
    await expect.poll(() => page.getByTestId('log-tail').innerText()).toContain('<script>window.__pwned=2</script>');
    // Only the views a log can fill.
    expect(await page.locator('nav.tabs .tab').allInnerTexts()).toEqual(['Overview', 'Log', 'Console']);
    await page.locator('[data-view=log]').click();
    await expect.poll(() => page.getByTestId('log').innerText()).toContain('<img src=x onerror=window.__pwned=1>');
    expect(await page.locator('img, script:not([src]), b[onmouseover]').count()).toBe(0);
    expect(await page.evaluate(() => (window as Window & { __pwned?: number }).__pwned)).toBeUndefined();
    errorsOf(page);
    await page.close();

    // The sample's vmcore-dmesg.txt on its own.
    const p2 = await openApp();
    await p2.getByTestId('open-sample-log').click();
    await expect.poll(() => p2.getByTestId('overview-panic').innerText(), { timeout: 30_000 }).toContain('sysrq triggered crash');
    errorsOf(p2);
    await p2.close();

    // A dump with its vmcore-dmesg.txt: the Log view reads either.
    const p3 = await openApp();
    const samples = join(DIST, 'samples');
    await p3.getByTestId('file-input').setInputFiles([join(samples, SAMPLE), join(samples, 'vmcore-dmesg.txt')]);
    await waitForLog(p3);
    expect(await p3.getByTestId('dump-files').innerText()).toContain('vmcore-dmesg.txt');
    await p3.getByRole('button', { name: 'vmcore-dmesg.txt' }).click();
    await expect.poll(() => p3.locator('.status').innerText()).toMatch(/of 3\d\d lines/);
    expect(await p3.locator('.row.panic').innerText()).toContain('sysrq triggered crash');
    errorsOf(p3);
    await p3.close();
  });

  test('works offline once loaded (service worker)', async () => {
    const page = await openApp();
    // Installed and in control (clients.claim() takes over this page once the files are cached).
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20_000 });
    // Samples are kept once fetched through the service worker (not precached): fetch it online first.
    await page.evaluate((name) => fetch(`./samples/${name}`).then((r) => r.arrayBuffer()), SAMPLE);
    await context.setOffline(true);
    try {
      await page.reload();
      await page.getByTestId('open-button').waitFor({ timeout: 10_000 });
      await page.getByTestId('file-input').setInputFiles(dump.path);
      await waitForLog(page);
      // The sample, kept by the service worker, opens offline too.
      await page.getByRole('button', { name: 'Close' }).click();
      await page.getByTestId('open-sample').click();
      await expect.poll(() => page.getByTestId('overview-panic').count(), { timeout: 60_000 }).toBe(1);
    } finally {
      await context.setOffline(false);
    }
    await page.close();
  });

  test('with a vmlinux: DWARF indexed by the worker pool, cached in IndexedDB, answers as crash', async () => {
    const page = await openApp();
    await page.getByTestId('file-input').setInputFiles([tinyVmlinux(), dump.path]);
    await waitForLog(page);
    await page.locator('[data-view=console]').click();
    const input = page.getByTestId('console-input');
    const out = page.getByTestId('console-output');
    await input.fill('sym schedule');
    await input.press('Enter');
    const symRef = readFileSync(join(dump.crashDir, 'sym-schedule.txt'), 'utf8').trim();
    await expect.poll(() => out.innerText(), { timeout: 60_000 }).toContain(symRef);
    // The index went to IndexedDB under the vmlinux build-id and size.
    const keys = await page.evaluate(
      () =>
        new Promise<string[]>((ok, fail) => {
          const r = indexedDB.open('keyval-store');
          r.onerror = () => fail(r.error);
          r.onsuccess = () => {
            const tx = r.result.transaction('keyval', 'readonly').objectStore('keyval').getAllKeys();
            tx.onsuccess = () => ok(tx.result.map(String));
            tx.onerror = () => fail(tx.error);
          };
        }),
    );
    expect(keys.some((k) => k.startsWith('dwarf-5fcb0ce79ded5043eaf090145b3a01d3eba5410e-'))).toBe(true);
    errorsOf(page);
    await page.close();
  });

  test('dis: iced-x86 loaded on first use in the worker, prints as the engine does in Node', async () => {
    const ref = openSession(dump, 'dwarf').run('dis schedule 5');
    expect(ref.failed).toBe(false);
    expect(ref.output).toContain('<schedule>:');
    const page = await openApp();
    await page.getByTestId('file-input').setInputFiles([tinyVmlinux(), dump.path]);
    await waitForLog(page);
    await page.locator('[data-view=console]').click();
    const input = page.getByTestId('console-input');
    await input.fill('dis schedule 5');
    await input.press('Enter');
    await expect.poll(() => page.getByTestId('console-output').innerText(), { timeout: 60_000 }).toContain(ref.output.trim());
    // Its WebAssembly came from the app's own origin (the next test checks every request's origin).
    expect(requests.some((u) => /\/iced_x86_bg[^/]*\.wasm$/.test(new URL(u).pathname))).toBe(true);
    errorsOf(page);
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
