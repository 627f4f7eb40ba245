/**
 * `npm run test:browser`: the library in a real browser. Serves dist/web (made by
 * `npm run build:web`) on 127.0.0.1, opens it in Debian's Chromium through playwright-core,
 * hands the page real kernel BTF through its file fields, and checks that the page shows what
 * the library shows in Node: the type count of the summary, and the C dump byte for byte.
 *
 * Inputs: the running kernel's /sys/kernel/btf/vmlinux when readable; from the corpus
 * (`npm run corpus`), Debian 6.1.0-47's vmlinux BTF (100628 types) and one of its modules
 * with that vmlinux as the base. A missing input skips its test with a reason; a missing
 * Chromium skips them all, saying so in one line.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { parseBtf, dumpCText } from '../src/index.js';
import { loadBtf } from '../src/node/load.js';
import { kernelBtfPath, modulesDir, hasCorpus } from './corpus-paths.js';

const CHROMIUM = process.env.BTFKIT_CHROMIUM ?? '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const webDir = join(root, 'dist', 'web');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
const HANG_GUARD_MS = 120_000;

/** A static server for dist/web on an ephemeral loopback port. */
function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/+/, '') || 'index.html';
    const file = join(webDir, name);
    if (!file.startsWith(webDir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/` });
  }));
}

async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

interface Shown {
  status: string;
  state: string;
  types: number;
  cdump: string;
}

/** Opens the page, gives it `file` (and `base`), and waits for the result it shows. */
async function showIn(browser: Browser, url: string, file: { name: string; bytes: Uint8Array }, base?: { name: string; bytes: Uint8Array }): Promise<Shown> {
  const page: Page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(url)) errors.push(`request outside the page: ${r.url()}`);
  });
  try {
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]');
    const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (base) await page.setInputFiles('#base', { name: base.name, mimeType: 'application/octet-stream', buffer: buf(base.bytes) });
    await page.setInputFiles('#file', { name: file.name, mimeType: 'application/octet-stream', buffer: buf(file.bytes) });
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: HANG_GUARD_MS });
    // Runs in the page (a string: this file is compiled without the DOM's types).
    const shown = (await page.evaluate(`(() => {
      const status = document.getElementById('status');
      return {
        status: status.textContent ?? '',
        state: status.dataset.state ?? '',
        types: Number(document.getElementById('summary').dataset.types ?? -1),
        cdump: document.getElementById('cdump').textContent ?? '',
      };
    })()`)) as Shown;
    assert.deepEqual(errors, []);
    return shown;
  } finally {
    await page.close();
  }
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`# test:browser skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

let browser: Browser | undefined;
let site: { server: Server; url: string } | undefined;

async function env(): Promise<{ browser: Browser; url: string }> {
  site ??= await serve();
  browser ??= await launch();
  return { browser, url: site.url };
}

test.after(async () => {
  await browser?.close();
  site?.server.close();
});

test('the page loads the library bundle and reports no errors', { skip: !haveChromium && 'no Chromium' }, async () => {
  assert.ok(existsSync(join(webDir, 'btfkit.js')), 'dist/web/btfkit.js (npm run build:web)');
  const { browser: b, url } = await env();
  const page = await b.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]');
  } finally {
    await page.close();
  }
});

const sysBtf = '/sys/kernel/btf/vmlinux';
let sysBytes: Uint8Array | null = null;
try {
  sysBytes = new Uint8Array(readFileSync(sysBtf));
} catch {
  sysBytes = null;
}

test('the running kernel\'s BTF: type count and C dump as in Node', { skip: (!haveChromium && 'no Chromium') || (!sysBytes && `${sysBtf} is not readable`) }, async () => {
  const { browser: b, url } = await env();
  const expected = parseBtf(sysBytes!);
  const shown = await showIn(b, url, { name: 'vmlinux', bytes: sysBytes! });
  assert.equal(shown.state, 'done', shown.status);
  assert.equal(shown.types, expected.typeCount() - 1);
  assert.ok(shown.types > 10000, `a kernel has many types (${shown.types})`);
  assert.equal(shown.cdump, dumpCText(expected));
});

test('the running kernel\'s strings: findStr (the string index, built in WebAssembly) answers in the page as in Node', { skip: (!haveChromium && 'no Chromium') || (!sysBytes && `${sysBtf} is not readable`) }, async () => {
  const { browser: b, url } = await env();
  const expected = parseBtf(sysBytes!);
  const names = ['', 'no_such_name_anywhere', 'task_struct'];
  for (let id = 1; id < expected.typeCount(); id += 37) names.push(expected.name(id));
  const want = names.map((n) => expected.findStr(n));
  const page = await b.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]');
    const got = await page.evaluate(`(async () => {
      const m = await import('./btfkit.js');
      const bin = atob(${JSON.stringify(Buffer.from(sysBytes!).toString('base64'))});
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const btf = m.parseBtf(bytes);
      return { wasm: typeof WebAssembly, offs: ${JSON.stringify(names)}.map((n) => btf.findStr(n)) };
    })()`) as { wasm: string; offs: number[] };
    assert.equal(got.wasm, 'object');
    assert.deepEqual(got.offs, want);
    assert.ok(want.filter((o) => o > 0).length > 1000);
  } finally {
    await page.close();
  }
});

const corpus = hasCorpus('6.1.0-47-amd64');

test('Debian 6.1.0-47 vmlinux BTF: 100628 types', { skip: (!haveChromium && 'no Chromium') || (!corpus && 'no corpus (npm run corpus)') }, async () => {
  const { browser: b, url } = await env();
  const bytes = new Uint8Array(readFileSync(kernelBtfPath('6.1.0-47-amd64')));
  const shown = await showIn(b, url, { name: 'vmlinux.btf', bytes });
  assert.equal(shown.state, 'done', shown.status);
  assert.equal(shown.types, 100628);
  assert.match(shown.cdump, /^#ifndef __VMLINUX_H__\n/);
});

test('a module (.ko) with the kernel as its base: split types and C dump as in Node', { skip: (!haveChromium && 'no Chromium') || (!corpus && 'no corpus (npm run corpus)') }, async () => {
  const { browser: b, url } = await env();
  const basePath = kernelBtfPath('6.1.0-47-amd64');
  const modPath = join(modulesDir('6.1.0-47-amd64'), 'fs', 'fat', 'vfat.ko');
  const base = parseBtf(new Uint8Array(readFileSync(basePath)));
  const expected = (await loadBtf(modPath, base)).btf;
  const shown = await showIn(b, url, { name: 'vfat.ko', bytes: new Uint8Array(readFileSync(modPath)) }, { name: 'vmlinux.btf', bytes: new Uint8Array(readFileSync(basePath)) });
  assert.equal(shown.state, 'done', shown.status);
  assert.equal(shown.types, expected.typeCount() - 1);
  assert.equal(shown.cdump, dumpCText(expected));
});

test('a module without its base: one error line that asks for the base', { skip: (!haveChromium && 'no Chromium') || (!corpus && 'no corpus (npm run corpus)') }, async () => {
  const { browser: b, url } = await env();
  const modPath = join(modulesDir('6.1.0-47-amd64'), 'fs', 'fat', 'vfat.ko');
  const shown = await showIn(b, url, { name: 'vfat.ko', bytes: new Uint8Array(readFileSync(modPath)) });
  assert.equal(shown.state, 'error');
  assert.match(shown.status, /^vfat\.ko: .*choose the kernel's BTF as base\)$/);
});
