// End-to-end tests in Debian's Chromium driven by playwright-core. They fail (never skip) when
// /usr/bin/chromium is missing: install it with `apt-get install -y chromium`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { bindTelemetry, type Board } from '../src/index.js';
import { assertNonBlank, launchChromium, saveShot } from './browser-helpers.js';
import { FakePipeline } from './fake-source.js';
import { startBoard } from './helpers.js';

describe('board in a real browser (Debian Chromium)', () => {
  let board: Board;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  before(async () => {
    ({ board } = await startBoard());
    browser = await launchChromium();
    ctx = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    page = await ctx.newPage();
    await page.goto(board.loginUrl());
    await page.waitForSelector('#connection-status[data-state="live"]');
  });
  after(async () => {
    await browser?.close();
    await board?.close();
  });

  test('the one-time login link lands on the board with a live WebSocket and no auth warning', async () => {
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.title(), 'Main Controls - ringkit board');
    assert.equal(await page.locator('#auth-warning').count(), 0);
    assert.equal(board.connections, 1);
  });

  test('click → toast, which hides itself after 3 s', async () => {
    await page.click('#btn-greet_dev_button');
    const toast = page.locator('#toast-message.show');
    await toast.waitFor();
    assert.equal(await toast.textContent(), 'Hello, Developer! This greeting action was successfully triggered.');
    await page.click('#btn-failing_action_button');
    await page.locator('#toast-message.show.error').waitFor();
    assert.match((await page.locator('#toast-message').textContent())!, /this action always fails/);
    await page.waitForSelector('#toast-message:not(.show)', { timeout: 5000 });
  });

  test('tabs switch without a full reload; live state survives the switch', async () => {
    await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });
    // An update to a button of a page that is not shown is cached and applied after the switch.
    board.update({ buttonId: 'sys_greet_admin_button', text: 'Admin (live)', style: 'button-danger' });
    await page.click('a.nav-link[data-page-id="system_utils_page"]');
    await page.waitForSelector('#btn-sys_log_time_button');
    assert.equal(new URL(page.url()).pathname, '/page/system_utils_page');
    assert.equal(await page.locator('#page-header-title').textContent(), 'System Utilities');
    assert.equal(await page.title(), 'System Utilities - ringkit board');
    assert.equal(await page.locator('a.nav-link.active').getAttribute('data-page-id'), 'system_utils_page');
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'no full reload');
    await page.waitForFunction(() => document.querySelector('#btn-sys_greet_admin_button .button-text')?.textContent === 'Admin (live)');
    assert.match((await page.locator('#btn-sys_greet_admin_button').getAttribute('class'))!, /control-button button-danger/);
    await page.click('a.nav-link[data-page-id="main_page"]');
    await page.waitForSelector('#btn-greet_dev_button');
  });

  test('a live sparkline arrives and renders an SVG path with the reference coordinates; icons swap', async () => {
    board.update({ buttonId: 'log_time_button', sparkline: { data: [1, 2, 3], color: '#FFC107', strokeWidth: 2 } });
    const path = page.locator('#btn-log_time_button svg[data-role="button-sparkline"] path');
    await path.waitFor();
    assert.equal(await path.getAttribute('d'), 'M 0,25 L 50,12.5 L 100,0');
    assert.equal(await path.getAttribute('stroke'), '#FFC107');
    assert.equal(await path.getAttribute('stroke-width'), '2');
    assert.equal(await page.locator('#btn-log_time_button [data-role="button-icon"]').isVisible(), false, 'the sparkline replaces the icon');
    board.update({ buttonId: 'log_time_button', sparkline: { data: [4, 4, 4] } });
    await page.waitForFunction(() => document.querySelector('#btn-log_time_button svg path')?.getAttribute('d') === 'M 0,12.5 L 50,12.5 L 100,12.5');
    board.update({ buttonId: 'another_action_button', icon: 'zap', text: 'Zapped' });
    await page.waitForFunction(() => (document.querySelector('#btn-another_action_button [data-role="button-icon"]') as HTMLElement | null)?.dataset.icon === 'zap');
    assert.match((await page.locator('#btn-another_action_button [data-role="button-icon"]').getAttribute('style'))!, /icons\/zap\.svg/);
    // A browser that opens now gets the same state replayed.
    const late = await ctx.newPage();
    await late.goto(board.url);
    await late.waitForSelector('#btn-log_time_button svg path', { state: 'attached' });
    assert.equal(await late.locator('#btn-log_time_button svg path').getAttribute('d'), 'M 0,12.5 L 50,12.5 L 100,12.5');
    assert.equal(await late.locator('#btn-another_action_button .button-text').textContent(), 'Zapped');
    await late.close();
  });

  test('a screenshot of the board is not blank (saved as docs/board.png)', async () => {
    board.update({ buttonId: 'async_action_button', sparkline: { data: [5, 9, 7, 12, 10, 15, 13, 18, 16, 22], color: '#FFC107', strokeWidth: 2 }, text: 'Data Points: 10' });
    await page.waitForSelector('#btn-async_action_button svg path');
    await page.click('#btn-greet_dev_button');
    await page.locator('#toast-message.show').waitFor();
    const png = await page.screenshot({ fullPage: true });
    await assertNonBlank(page, png);
    saveShot('board.png', png);
  });

  test('stage → banner appears live on every page; apply refreshes a second open page', async () => {
    const second = await ctx.newPage();
    await second.goto(board.url);
    await second.waitForSelector('#connection-status[data-state="live"]');
    await second.evaluate(() => { (window as unknown as { marker: number }).marker = 7; });
    const c = board.config();
    c.ui.pages[0]!.buttons.push({ id: 'fresh_button', text: 'Fresh', icon: 'star', style: 'button-success', action: 'another_action', params: {} });
    c.ui.pages[0]!.name = 'Main (v2)';
    await board.stage({ ui: c.ui, actions: c.actions });
    for (const p of [page, second]) await p.locator('#update-banner .button-apply-update').waitFor();
    await page.click('#update-banner .button-apply-update');
    // The initiating page reloads (HX-Refresh); the other one refreshes its content in place.
    await page.waitForSelector('#btn-fresh_button');
    await second.waitForSelector('#btn-fresh_button');
    assert.equal(await second.evaluate(() => (window as unknown as { marker?: number }).marker), 7, 'second page was not reloaded');
    assert.equal(await second.locator('#page-header-title').textContent(), 'Main (v2)');
    assert.equal(await second.locator('a.nav-link.active').textContent(), 'Main (v2)');
    await second.waitForFunction(() => !document.querySelector('#update-banner .button-apply-update'));
    // Live state of buttons that still exist survives the apply.
    assert.equal(await second.locator('#btn-log_time_button svg path').getAttribute('d'), 'M 0,12.5 L 50,12.5 L 100,12.5');
    // Discard from the banner removes it everywhere.
    await board.stage({ ui: c.ui, actions: c.actions });
    await second.locator('#update-banner .button-discard-update').waitFor();
    await second.click('#update-banner .button-discard-update');
    await page.waitForFunction(() => !document.querySelector('#update-banner .button-apply-update'));
    // Apply with nothing staged from a stale banner shows an error toast.
    await second.evaluate(() => (window as unknown as { htmx: { ajax(m: string, u: string, o: object): Promise<void> } }).htmx.ajax('POST', 'api/v1/config/apply', { swap: 'none' }));
    await second.locator('#toast-message.show.error').waitFor();
    assert.match((await second.locator('#toast-message').textContent())!, /No staged configuration found to apply\./);
    await second.close();
  });

  test('the WebSocket reconnects with backoff after the server drops it', async () => {
    board.sockets.terminateAll();
    await page.waitForSelector('#connection-status[data-state="offline"]');
    await page.waitForSelector('#connection-status[data-state="live"]', { timeout: 5000 });
    board.update({ buttonId: 'log_time_button', text: 'after reconnect' });
    await page.waitForFunction(() => document.querySelector('#btn-log_time_button .button-text')?.textContent === 'after reconnect');
  });

  test('the Pipeline page: sparklines of a live source move; controls work (saved as docs/pipeline-page.png)', async () => {
    const src = new FakePipeline();
    const binding = bindTelemetry(board, src, src, { intervalMs: 100 });
    try {
      await page.waitForSelector('a.nav-link[data-page-id="pipeline"]');
      await page.click('a.nav-link[data-page-id="pipeline"]');
      const path = page.locator('#btn-pipeline-stage-parse svg path');
      await path.waitFor();
      const d1 = await path.getAttribute('d');
      await page.waitForFunction((d) => document.querySelector('#btn-pipeline-stage-parse svg path')?.getAttribute('d') !== d, d1);
      assert.match((await path.getAttribute('d'))!, /^M 0,[\d.]+( L [\d.]+,[\d.]+)+$/);
      assert.equal(await page.locator('#btn-pipeline-ring-input svg path').count(), 2, 'fill and rate');
      await page.click('#btn-pipeline-pause');
      await page.locator('#toast-message.show', { hasText: 'Generator paused.' }).waitFor();
      await page.click('#btn-pipeline-resume');
      await page.locator('#toast-message.show', { hasText: 'Generator resumed.' }).waitFor();
      await new Promise((r) => setTimeout(r, 1500));
      await page.click('#btn-pipeline-stage-parse');
      await page.locator('#toast-message.show', { hasText: 'stage parse:' }).waitFor();
      const png = await page.screenshot({ fullPage: true });
      await assertNonBlank(page, png);
      saveShot('pipeline-page.png', png);
      assert.deepEqual(src.calls, ['pause', 'resume']);
    } finally {
      binding.unbind();
    }
  });
});
