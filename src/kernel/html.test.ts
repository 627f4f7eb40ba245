/**
 * The HTML report: pure checks of the embedding (no way out of the JSON script element), and
 * the page itself in headless Chromium (Debian's /usr/bin/chromium, installed by .ci/run;
 * skipped only when it is absent): matrix counts, filters, search, a failure's explanation
 * on click, paging, no network, no script errors, and a screenshot (kept in a temp directory,
 * or in $BTFKIT_SCREENSHOT_DIR when set).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtml, htmlData, scriptSafeJson, commonDirPrefix, escapeHtml } from './html.js';
import { ReportBuilder, type CheckReport } from './report.js';
import type { CheckReason, ModuleCheckResult } from './check.js';

const CHROMIUM = '/usr/bin/chromium';
const EVIL = 'drivers/evil/</script><b>bold</b><!--x.ko';

function sampleReport(): CheckReport {
  const kernels = [{ name: '6.1.0-55', path: '/cache/6.1.0-55-amd64.btf' }, { name: '6.1.0-55-cloud', path: '/cache/6.1.0-55-cloud-amd64.btf' }];
  const b = new ReportBuilder([{ ...kernels[0]!, allowBtfMismatch: true, config: '/boot/config-6.1.0-55-amd64' }, kernels[1]!]);
  const dev: CheckReason = {
    type: 'struct device', kind: 'STRUCT', problem: 'size',
    detail: 'struct device: 744 bytes when built, 752 in 6.1.0-55; embedded by value in struct hid_device, member dev',
    changes: ['struct device: 744 -> 752 bytes', '  + dma_ops_bypass (bool) at 744'],
  };
  const i2c: CheckReason = { type: 'struct i2c_client', kind: 'STRUCT', problem: 'missing', detail: 'struct i2c_client: not in 6.1.0-55-cloud (no type of that name)' };
  const add = (module: string, kernel: string, status: ModuleCheckResult['status'], reasons: CheckReason[] = [], loads = status === 'ok'): void =>
    b.add({ module: `/lib/modules/6.1.0-47-amd64/kernel/${module}`, kernel, status, btfAccepted: loads, fate: status === 'no-btf' ? 'loads-without-btf' : loads ? 'loads-with-btf' : kernel === '6.1.0-55' ? 'loads-without-btf' : 'refused-or-loads-without-btf', reasons, ...(status === 'failed' ? { libbpfMessage: `distilled base BTF type '${reasons[0]?.type.split(' ').pop()}' [3] is not mapped to base BTF id` } : {}) });
  add('lib/crc16.ko', '6.1.0-55', 'ok');
  add('lib/crc16.ko', '6.1.0-55-cloud', 'ok');
  add('drivers/hid/hid-holtek-kbd.ko', '6.1.0-55', 'failed', [dev]);
  add('drivers/hid/hid-holtek-kbd.ko', '6.1.0-55-cloud', 'failed', [dev, i2c]);
  add('drivers/i2c/busses/i2c-ccgx-ucsi.ko', '6.1.0-55', 'ok');
  add('drivers/i2c/busses/i2c-ccgx-ucsi.ko', '6.1.0-55-cloud', 'failed', [i2c]);
  add('fs/xfs/xfs.ko', '6.1.0-55', 'not-distilled', [{ type: '', kind: 'BTF', problem: 'mismatch', detail: 'no .BTF.base, and its split BTF does not fit 6.1.0-55' }], false);
  add('fs/xfs/xfs.ko', '6.1.0-55-cloud', 'not-distilled', [{ type: '', kind: 'BTF', problem: 'not-distilled', detail: 'no .BTF.base; consistent' }], true);
  add('net/broken.ko', '6.1.0-55', 'error', [{ type: '', kind: 'ELF', problem: 'invalid-input', detail: 'net/broken.ko: not a kernel module (no ELF)' }]);
  add('net/broken.ko', '6.1.0-55-cloud', 'error', [{ type: '', kind: 'ELF', problem: 'invalid-input', detail: 'net/broken.ko: not a kernel module (no ELF)' }]);
  add(EVIL, '6.1.0-55', 'failed', [{ type: 'struct </script>', kind: 'STRUCT', problem: 'missing', detail: 'detail with </script><script>alert(1)</script> and \u2028 & <!-- -->' }]);
  add(EVIL, '6.1.0-55-cloud', 'ok');
  const nobtf: CheckReason = { type: '', kind: 'ELF', problem: 'no-btf', detail: 'no .BTF section: the kernel loads it without BTF' };
  add('extra/oot.ko', '6.1.0-55', 'no-btf', [nobtf]);
  add('extra/oot.ko', '6.1.0-55-cloud', 'no-btf', [nobtf]);
  return b.report();
}

test('scriptSafeJson: nothing can end the script element, and it parses back', () => {
  const v = { a: '</script><!-- & \u2028\u2029 >', b: [1, 'x'] };
  const s = scriptSafeJson(v);
  assert.ok(!/[<>&\u2028\u2029]/.test(s), s);
  assert.deepEqual(JSON.parse(s), v);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('commonDirPrefix and htmlData compaction', () => {
  assert.equal(commonDirPrefix(['/a/b/c.ko', '/a/b/d/e.ko']), '/a/b/');
  assert.equal(commonDirPrefix(['/a/bc.ko', '/a/bd.ko']), '/a/');
  assert.equal(commonDirPrefix(['x.ko', 'y.ko']), '');
  assert.equal(commonDirPrefix([]), '');
  const rep = sampleReport();
  const d = htmlData(rep);
  assert.equal(d.prefix, '/lib/modules/6.1.0-47-amd64/kernel/');
  assert.equal(d.modules.length, 7);
  assert.ok(d.modules.includes('lib/crc16.ko'));
  // struct device's reason is used by two cells but stored once.
  assert.equal(d.reasons.filter((r) => r.t === 'struct device').length, 1);
  const html = renderHtml(rep, { title: 'T </title><script>' });
  assert.equal(html.match(/<\/script>/g)!.length, 2, 'only the two script elements close');
  assert.ok(html.includes('<title>T &lt;/title&gt;&lt;script&gt;</title>'));
  assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'no external resources');
});

async function launch(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function shotDir(): string {
  const env = process.env.BTFKIT_SCREENSHOT_DIR;
  if (env) {
    mkdirSync(env, { recursive: true });
    return env;
  }
  return mkdtempSync(join(tmpdir(), 'btfkit-html-'));
}

const noChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run does)`;

test('HTML report in headless Chromium: counts, filters, search, explanation on click, screenshot', { skip: noChromium, timeout: 120_000 }, async (t) => {
  const dir = shotDir();
  const file = join(dir, 'report.html');
  const rep = sampleReport();
  writeFileSync(file, renderHtml(rep, { title: 'btfkit check: 6.1.0-55, 6.1.0-55-cloud', build: '/cache/6.1.0-47-amd64.btf' }));
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#rows tr');

    // Summary cards: the counts of the report.
    for (const k of rep.kernels) {
      const card = page.locator(`.card[data-kernel="${k.name}"]`);
      assert.equal(await card.locator('b[data-n="ok"]').textContent(), String(k.ok));
      assert.equal(await card.locator('b[data-n="failed"]').textContent(), String(k.failed));
      assert.equal(await card.locator('b[data-n="notDistilled"]').textContent(), String(k.notDistilled));
      assert.equal(await card.locator('b[data-n="errors"]').textContent(), String(k.errors));
      assert.equal(await card.locator('b[data-n="noBtf"]').textContent(), String(k.noBtf));
    }
    // Each kernel's configuration and the modules' fates.
    assert.match((await page.locator('.card[data-kernel="6.1.0-55"] .config').textContent()) ?? '', /CONFIG_MODULE_ALLOW_BTF_MISMATCH=y: a module whose BTF is rejected loads without BTF \(\/boot\/config-6\.1\.0-55-amd64\)/);
    assert.match((await page.locator('.card[data-kernel="6.1.0-55-cloud"] .config').textContent()) ?? '', /configuration unknown/);
    assert.match((await page.locator('.card[data-kernel="6.1.0-55"] .fates').textContent()) ?? '', /loads with BTF 2, without BTF 5, refused 0/);
    // The build kernel is named.
    assert.match((await page.locator('#subtitle').textContent()) ?? '', /built against \/cache\/6\.1\.0-47-amd64\.btf/);
    // The page opens on the modules with a problem (crc16 and the no-BTF module are fine).
    assert.equal(await page.inputValue('#view'), 'problems');
    assert.equal(await page.locator('#rows tr[data-m]').count(), 5);
    assert.equal(await page.locator('#shown').textContent(), 'showing 5 of 5 matching (7 modules)');
    assert.equal(await page.locator('#rows tr[data-m]', { hasText: 'crc16' }).count(), 0);
    await page.selectOption('#view', 'all');
    // The matrix: one row per module, one badge per kernel, counts by class.
    assert.equal(await page.locator('#rows tr[data-m]').count(), 7);
    assert.equal(await page.locator('#shown').textContent(), 'showing 7 of 7');
    assert.equal(await page.locator('#rows .b.nobtf').count(), 2);
    assert.equal(await page.locator('#rows td[data-k="0"] .b.ok').count(), 2);
    assert.equal(await page.locator('#rows td[data-k="0"] .b.failed').count(), 2);
    assert.equal(await page.locator('#rows td[data-k="1"] .b.ok').count(), 3); // incl. not distilled but consistent
    assert.equal(await page.locator('#rows td[data-k="1"] .b.failed').count(), 2);
    assert.equal(await page.locator('#rows td[data-k="0"] .b.nd').count(), 1);
    assert.equal(await page.locator('#rows .b.error').count(), 2);
    // The hostile module name is text, not markup.
    assert.equal(await page.locator('#rows td.m b').count(), 0);
    assert.equal(await page.locator('#rows td.m', { hasText: '</script><b>bold</b>' }).count(), 1);

    // Filter: will not load on the first kernel → hid-holtek-kbd, xfs (not distilled), broken, evil.
    await page.selectOption('#f0', 'fail');
    assert.equal(await page.locator('#shown').getAttribute('data-count'), '4');
    await page.selectOption('#f1', 'ok');
    assert.equal(await page.locator('#shown').getAttribute('data-count'), '2'); // xfs and evil
    await page.selectOption('#f0', 'all');
    await page.selectOption('#f1', 'failed');
    assert.equal(await page.locator('#shown').getAttribute('data-count'), '2');
    await page.selectOption('#f1', 'all');

    // Search on a type name and on a module path.
    await page.fill('#q', 'i2c_client');
    await page.locator('#shown[data-count="2"]').waitFor({ timeout: 30_000 });
    await page.fill('#q', 'crc16');
    await page.locator('#shown[data-count="1"]').waitFor({ timeout: 30_000 });
    await page.fill('#q', '');
    await page.locator('#shown[data-count="7"]').waitFor({ timeout: 30_000 });
    // A top type in the summary is a search shortcut.
    await page.locator('.card[data-kernel="6.1.0-55-cloud"] .top a', { hasText: 'struct i2c_client' }).click();
    assert.equal(await page.inputValue('#q'), 'struct i2c_client');
    assert.equal(await page.locator('#shown').getAttribute('data-count'), '2');
    await page.fill('#q', '');
    await page.locator('#shown[data-count="7"]').waitFor({ timeout: 30_000 });

    // Click a failure: its explanation appears under the row, with the changed fields and libbpf's words.
    const hid = page.locator('#rows tr[data-m]', { hasText: 'hid-holtek-kbd' });
    await hid.locator('td[data-k="1"] .b').click();
    const detail = page.locator('#rows tr.detail');
    assert.equal(await detail.count(), 1);
    const text = (await detail.textContent()) ?? '';
    assert.match(text, /hid-holtek-kbd\.ko on 6\.1\.0-55-cloud: BTF rejected/);
    assert.match(text, /the module: refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, loads without BTF if =y/);
    assert.match(text, /struct device: 744 bytes when built, 752 in 6\.1\.0-55/);
    assert.match(text, /struct i2c_client: not in 6\.1\.0-55-cloud/);
    assert.match(text, /dma_ops_bypass/);
    assert.match(text, /libbpf: distilled base BTF type 'device'/);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    // Clicking again closes it; clicking the hostile one shows its detail as text.
    await hid.locator('td[data-k="1"] .b').click();
    assert.equal(await page.locator('#rows tr.detail').count(), 0);
    await page.locator('#rows tr[data-m]', { hasText: 'evil' }).locator('td[data-k="0"] .b').click();
    assert.match((await page.locator('#rows tr.detail').textContent()) ?? '', /detail with <\/script><script>alert\(1\)<\/script>/);

    assert.deepEqual(errors, []);
    assert.ok(requests.every((u) => u.startsWith('file:')), `network requests: ${requests.join(', ')}`);
    t.diagnostic(`screenshot: ${join(dir, 'report.png')}`);
  } finally {
    await browser.close();
  }
});

test('HTML report in headless Chromium: thousands of modules are paged, counts stay right', { skip: noChromium, timeout: 120_000 }, async () => {
  const kernels = [{ name: 'K', path: '/k.btf' }];
  const b = new ReportBuilder(kernels);
  for (let i = 0; i < 1234; i++) {
    const fail = i % 3 === 0;
    b.add({ module: `/m/d${i % 7}/mod${String(i).padStart(4, '0')}.ko`, kernel: 'K', status: fail ? 'failed' : 'ok', btfAccepted: !fail, fate: fail ? 'refused' : 'loads-with-btf', reasons: fail ? [{ type: `struct t${i % 5}`, kind: 'STRUCT', problem: 'size', detail: `struct t${i % 5}: size changed` }] : [] });
  }
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-html-'));
  const file = join(dir, 'big.html');
  writeFileSync(file, renderHtml(b.report()));
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#rows tr');
    // Opens on the 412 failures; the counter says how many rows are shown.
    assert.equal(await page.locator('#shown').textContent(), 'showing 412 of 412 matching (1234 modules)');
    await page.selectOption('#view', 'all');
    assert.equal(await page.locator('#shown').textContent(), 'showing 500 of 1234');
    assert.equal(await page.locator('#rows tr[data-m]').count(), 500);
    assert.match((await page.locator('#more').textContent()) ?? '', /show 500 more \(734 not shown\)/);
    await page.click('#more');
    await page.click('#more');
    assert.equal(await page.locator('#rows tr[data-m]').count(), 1234);
    assert.equal(await page.locator('#shown').textContent(), 'showing 1234 of 1234');
    assert.equal(await page.locator('#more').isHidden(), true);
    await page.selectOption('#f0', 'failed');
    assert.equal(await page.locator('#shown').getAttribute('data-count'), '412');
    await page.fill('#q', 'struct t3'); // i ≡ 0 (mod 3) and i ≡ 3 (mod 5): i = 3, 18, …, 1233
    await page.locator('#shown[data-count="83"]').waitFor({ timeout: 30_000 });
  } finally {
    await browser.close();
  }
});
