// Live reconfiguration in Debian's Chromium: bursts of back-to-back stage+apply calls with several
// open pages (every page must end on the final version), restart resync, offline taps, a new
// token's "login needed", and the tablet use case (375 px and iPad viewports, keyboard focus,
// FontAwesome icons drawn by the served font). Fails (never skips) without /usr/bin/chromium.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type Browser, type Page } from 'playwright-core';
import { Board, type BoardConfig } from '../src/index.js';
import { assertNonBlank, launchChromium, saveShot } from './browser-helpers.js';
import { AUTH, TOKEN, post, startBoard } from './helpers.js';

/** The configuration version the page's content shows. */
const shownVersion = (p: Page): Promise<string | undefined> => p.evaluate(() => (document.querySelector('#page-content-area > [data-config-version]') as HTMLElement | null)?.dataset.configVersion);

describe('live reconfiguration in a real browser', () => {
  let browser: Browser;
  before(async () => { browser = await launchChromium(); });
  after(async () => { await browser?.close(); });

  test('bursts of 20 back-to-back stage+apply calls leave every open page on the final version', async (t) => {
    const { board, url } = await startBoard();
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const login = await ctx.newPage();
      await login.goto(board.loginUrl());
      const pages = [login, await ctx.newPage(), await ctx.newPage(), await ctx.newPage()];
      await pages[1]!.goto(`${url}page/system_utils_page`);
      await pages[2]!.goto(url);
      await pages[3]!.goto(`${url}page/system_utils_page`);
      for (const p of pages) {
        await p.waitForSelector('#connection-status[data-state="live"]');
        await p.evaluate(() => { (window as unknown as { marker: number }).marker = 1; });
      }
      const base: BoardConfig = board.config();
      for (const round of [1, 2]) {
        let final = 0;
        for (let k = 1; k <= 20; k++) {
          const c = structuredClone(base);
          c.ui.pages[0]!.name = `Main r${round} #${k}`;
          c.ui.pages[0]!.buttons.push({ id: `burst_${k}`, text: `Burst ${round}.${k}`, icon: 'fas fa-bolt', style: 'button-success', action: 'another_action', params: {} });
          const st = await post(`${url}api/v1/config/stage`, { ui: c.ui, actions: c.actions }, AUTH);
          assert.equal(st.status, 202, st.text);
          const ap = await post(`${url}api/v1/config/apply`, undefined, AUTH);
          assert.equal(ap.status, 200, ap.text);
          final = (ap.json() as { version: number }).version;
        }
        const t0 = Date.now();
        await Promise.all(pages.map((p) => p.waitForFunction((v) => {
          const shown = (document.querySelector('#page-content-area > [data-config-version]') as HTMLElement | null)?.dataset.configVersion;
          return shown === String(v) && document.querySelector('#tab-main_page')?.textContent?.endsWith('#20');
        }, final, { timeout: 10_000 })));
        const ms = Date.now() - t0;
        t.diagnostic(`round ${round}: 20 stage+apply pairs, ${pages.length} pages all on version ${final} ${ms} ms after the last apply answered`);
        for (const [i, p] of pages.entries()) {
          assert.equal(await shownVersion(p), String(final), `page ${i}`);
          const onMain = i === 0 || i === 2;
          assert.equal(await p.locator('#btn-burst_20').count(), onMain ? 1 : 0, `page ${i}`);
          assert.equal(await p.locator('#btn-burst_19').count(), 0, `page ${i} shows only the final config`);
          if (onMain) assert.equal(await p.locator('#btn-burst_20 .button-text').textContent(), `Burst ${round}.20`);
          assert.equal(await p.locator('#page-header-title').textContent(), onMain ? `Main r${round} #20` : 'System Utilities');
          assert.equal(await p.evaluate(() => (window as unknown as { marker?: number }).marker), 1, `page ${i} was not reloaded`);
        }
      }
    } finally {
      await ctx.close();
      await board.close();
    }
  });

  test('restart: pages resync to the new run; a tap while down says offline; a new token says login needed, with its link', async () => {
    const first = await startBoard();
    const port = Number(new URL(first.url).port);
    first.board.upsertPage({ id: 'gone', name: 'Gone after restart', buttons: [{ id: 'gone_button', text: 'Gone', action: 'another_action' }] });
    first.board.update({ buttonId: 'log_time_button', text: 'LIVE TEXT', sparkline: { data: [1, 2, 3] } });
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    let second: Board | undefined;
    let third: Board | undefined;
    try {
      const page = await ctx.newPage();
      await page.goto(first.board.loginUrl());
      await page.waitForSelector('#connection-status[data-state="live"]');
      await page.waitForSelector('#tab-gone');
      await page.waitForFunction(() => document.querySelector('#btn-log_time_button .button-text')?.textContent === 'LIVE TEXT');
      await first.board.close();
      // State and text in one check: read apart, the badge can change between the two reads.
      await page.waitForFunction(() => {
        const el = document.querySelector<HTMLElement>('#connection-status');
        return el?.dataset.state === 'offline' && el.textContent === 'offline — reconnecting';
      }, undefined, { timeout: 10_000 });
      assert.equal(await page.locator('#connection-status[data-state="offline"]').count(), 1);
      await page.click('#btn-greet_dev_button');
      const toast = page.locator('#toast-message.show.error');
      await toast.waitFor({ timeout: 5000 });
      assert.match((await toast.textContent())!, /^The board is offline: the server did not answer/);

      second = await Board.create({ port, token: TOKEN });
      await second.listen();
      await page.waitForSelector('#connection-status[data-state="live"]', { timeout: 15_000 });
      await page.waitForFunction(() => !document.querySelector('#tab-gone') && (document.querySelector('#page-content-area > [data-config-version]') as HTMLElement | null)?.dataset.configVersion === '1', undefined, { timeout: 5000 });
      assert.equal(await page.locator('#btn-log_time_button .button-text').textContent(), 'Log Time', 'live text of the old run is gone');
      assert.equal(await page.locator('#btn-log_time_button svg path').count(), 0, 'and its sparkline');
      second.update({ buttonId: 'log_time_button', text: 'from the new run' });
      await page.waitForFunction(() => document.querySelector('#btn-log_time_button .button-text')?.textContent === 'from the new run');

      await second.close();
      second = undefined;
      third = await Board.create({ port, token: 'another-token-0123456789' });
      await third.listen();
      const badge = page.locator('#connection-status[data-state="login"] a[href="login"]');
      await badge.waitFor({ timeout: 15_000 });
      assert.equal(await badge.textContent(), 'login needed');
      await badge.click();
      await page.waitForSelector('form[action="auth"]');
      await page.fill('#token', 'another-token-0123456789');
      await page.click('form[action="auth"] button[type="submit"]');
      await page.waitForSelector('#connection-status[data-state="live"]');
      assert.equal(new URL(page.url()).pathname, '/');
    } finally {
      await ctx.close();
      await second?.close();
      await third?.close();
    }
  });

  test('a server that answers 503 while closing reads as offline, not as "login needed"', async () => {
    // Fastify answers 503 to requests on kept-alive connections while it closes: the page's
    // status probe got that 503 (not a "not authorised" answer) and showed "login needed".
    const { board } = await startBoard();
    const ctx = await browser.newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(board.loginUrl());
      await page.waitForSelector('#connection-status[data-state="live"]');
      let probes = 0;
      await page.route('**/auth/status', (route) => {
        probes++;
        return route.fulfill({ status: 503, contentType: 'application/json', body: '{"statusCode":503,"error":"Service Unavailable","message":"Service Unavailable"}' });
      });
      await board.close();
      await page.waitForFunction(() => document.querySelector<HTMLElement>('#connection-status')?.dataset.state === 'offline', undefined, { timeout: 10_000 });
      const until = Date.now() + 10_000;
      while (probes < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      assert.ok(probes >= 2, `the page probed auth/status ${probes} times`);
      await new Promise((r) => setTimeout(r, 200)); // the last probe's answer handled
      const state = await page.evaluate(() => { const el = document.querySelector<HTMLElement>('#connection-status'); return `${el?.dataset.state}: ${el?.textContent}`; });
      assert.equal(state, 'offline: offline — reconnecting');
    } finally {
      await ctx.close();
    }
  });

  test('tablet and phone: 375 px and iPad viewports fit, taps work, focus stays on the activated tab, FontAwesome draws', async (t) => {
    const { board } = await startBoard();
    try {
      for (const vp of [{ name: 'phone-375', width: 375, height: 667 }, { name: 'ipad', width: 810, height: 1080 }]) {
        const ctx = await browser.newContext({ viewport: { width: vp.width, height: vp.height }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
        try {
          const page = await ctx.newPage();
          await page.goto(board.loginUrl());
          await page.waitForSelector('#connection-status[data-state="live"]');
          board.update({ buttonId: 'another_action_button', icon: 'fas fa-sync fa-spin' });
          await page.waitForSelector('#btn-another_action_button .icon-fa.fa-sync.fa-spin');
          await page.evaluate(() => document.fonts.ready);
          const fa = await page.evaluate(() => {
            const el = document.querySelector('#btn-another_action_button [data-role="button-icon"]')!;
            const before = getComputedStyle(el, '::before');
            return { family: getComputedStyle(el).fontFamily, content: before.content, animation: getComputedStyle(el).animationName, loaded: document.fonts.check('900 24px "Font Awesome 7 Free"') };
          });
          assert.match(fa.family, /Font Awesome 7 Free/, JSON.stringify(fa));
          assert.ok(fa.content !== 'none' && fa.content !== '', JSON.stringify(fa));
          assert.equal(fa.animation, 'fa-spin');
          assert.equal(fa.loaded, true, 'the FontAwesome font was served and loaded');
          const layout = await page.evaluate(() => ({
            scroll: document.documentElement.scrollWidth,
            width: window.innerWidth,
            boxes: Array.from(document.querySelectorAll('.control-button, .nav-link')).map((e) => { const r = e.getBoundingClientRect(); return { id: e.id, left: r.left, right: r.right, h: r.height, w: r.width }; }),
          }));
          assert.ok(layout.scroll <= layout.width, `${vp.name}: page scrolls sideways: ${layout.scroll} > ${layout.width}`);
          for (const b of layout.boxes) {
            assert.ok(b.left >= 0 && b.right <= layout.width + 0.5, `${vp.name}: ${b.id} outside the viewport ${JSON.stringify(b)}`);
            assert.ok(b.h >= 36 && b.w >= 44, `${vp.name}: ${b.id} too small to tap ${JSON.stringify(b)}`);
          }
          await page.tap('#btn-greet_dev_button');
          await page.locator('#toast-message.show', { hasText: 'Hello, Developer!' }).waitFor();
          const toastBox = (await page.locator('#toast-message').boundingBox())!;
          assert.ok(toastBox.x >= 0 && toastBox.x + toastBox.width <= vp.width, `${vp.name}: toast outside the viewport`);
          assert.equal(await page.locator('#toast-container').getAttribute('aria-live'), 'polite');
          // Keyboard: activating a tab keeps focus on it after the tab bar is swapped.
          await page.focus('#tab-system_utils_page');
          await page.keyboard.press('Enter');
          await page.waitForSelector('#btn-sys_log_time_button');
          await page.waitForSelector('#tab-system_utils_page.active');
          assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-system_utils_page');
          assert.equal(await page.locator('#tab-system_utils_page').getAttribute('aria-current'), 'page');
          await page.focus('#tab-main_page');
          await page.keyboard.press('Enter');
          await page.waitForSelector('#tab-main_page.active');
          assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-main_page');
          const png = await page.screenshot({ fullPage: true });
          await assertNonBlank(page, png);
          t.diagnostic(`${vp.name}: ${saveShot(`board-${vp.name}.png`, png)}`);
        } finally {
          await ctx.close();
        }
      }
    } finally {
      await board.close();
    }
  });
});
