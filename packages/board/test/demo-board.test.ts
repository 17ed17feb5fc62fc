// `ringkit demo --board` end to end: the real CLI in a child process (the FizzBuzz pipeline on
// worker threads + the board bound to it), driven from Debian's Chromium via playwright-core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { telemetryButtonId } from '../src/telemetry.js';
import { assertNonBlank, launchChromium, saveShot } from './browser-helpers.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/ringkit.js', import.meta.url));

/** CSS selector of a board button (ids may hold dots, e.g. ring `generator.out`). */
const btn = (kind: 'stage' | 'ring' | 'id', name: string): string => `[id="btn-${kind === 'id' ? name : telemetryButtonId(kind, name)}"]`;

interface Snapshot {
  rings: Array<{ name: string; published: number; ratePerSec: number }>;
  stages: Array<{ name: string; entries: number; ratePerSec: number }>;
}

/** Polls `check` every 100 ms until it returns a value, for at most `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('ringkit demo --board: a button per stage and ring with moving sparklines; pause really pauses; Stop ends the demo with exact counts', async () => {
  const child = spawn(process.execPath, [BIN, 'demo', '--board', '--board-port', '0', '--telemetry-port', '0', '--capacity', '65536', '--json'], {
    env: { ...process.env, RINGKIT_BOARD_TOKEN: '' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += String(d); });
  child.stderr.on('data', (d) => { err += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let browser: Browser | undefined;
  try {
    const [link, telemetry] = await until('the board and telemetry URLs on stderr', 15_000, () => {
      const l = /one-time login link\): (\S+)/.exec(err)?.[1];
      const t = /telemetry: (http:\/\/127\.0\.0\.1:\d+\/)graph\.dot/.exec(err)?.[1];
      return l !== undefined && t !== undefined && err.includes('Stop pipeline button or Ctrl-C') ? [l, t] as const : undefined;
    });
    const snapshot = async (): Promise<Snapshot> => (await (await fetch(`${telemetry}snapshot.json`)).json()) as Snapshot;
    const generatorRate = (s: Snapshot): number => s.stages.find((x) => x.name === 'generator')!.ratePerSec + s.rings.find((x) => x.name === 'generator.out')!.ratePerSec;

    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 820 } })).newPage();
    await page.goto(link);
    await page.waitForSelector('#connection-status[data-state="live"]');
    await page.click('a.nav-link[data-page-id="pipeline"]');

    // One button per stage and per ring of the running demo (names from its own telemetry).
    const snap = await snapshot();
    assert.deepEqual(snap.stages.map((s) => s.name), ['heartbeat', 'generator', 'worker', 'logger']);
    assert.deepEqual(snap.rings.map((r) => r.name).sort(), ['generator.out', 'heartbeat.out', 'worker.out']);
    for (const s of snap.stages) await page.waitForSelector(`${btn('stage', s.name)} svg path`, { state: 'attached' });
    for (const r of snap.rings) {
      // Two paths: fill, with the publish rate overlaid.
      await page.waitForFunction((s) => document.querySelectorAll(s).length === 2, `${btn('ring', r.name)} svg path`, { timeout: 5000 });
    }
    for (const id of ['pipeline-pause', 'pipeline-resume', 'pipeline-stop']) assert.equal(await page.locator(btn('id', id)).count(), 1, id);

    // The generator's rate sparkline moves.
    const sel = `${btn('stage', 'generator')} svg path`;
    const d1 = await page.locator(sel).getAttribute('d');
    await page.waitForFunction(([s, d]) => document.querySelector(s!)?.getAttribute('d') !== d, [sel, d1] as const, { timeout: 5000 });
    assert.match((await page.locator(sel).getAttribute('d'))!, /^M 0,[\d.]+( L [\d.]+,[\d.]+)+$/);

    // Pause: the generator really stops (rate 0, its count frozen), on the board and in the telemetry.
    await page.click('#btn-pipeline-pause');
    await page.locator('#toast-message.show', { hasText: 'Generator paused.' }).waitFor();
    const paused = await until('generator rate 0 after Pause', 5000, async () => {
      const s = await snapshot();
      return generatorRate(s) === 0 ? s : undefined;
    });
    await page.waitForFunction((s) => /· 0\/s ·/.test(document.querySelector(`${s} [data-role="button-text"]`)?.textContent ?? ''),
      btn('stage', 'generator'), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 600));
    const later = await snapshot();
    const entries = (s: Snapshot): number => s.stages.find((x) => x.name === 'generator')!.entries;
    assert.equal(entries(later), entries(paused), 'no entries generated while paused');
    assert.equal(generatorRate(later), 0);

    // Resume: the rate comes back.
    await page.click('#btn-pipeline-resume');
    await page.locator('#toast-message.show', { hasText: 'Generator resumed.' }).waitFor();
    await until('generator rate > 0 after Resume', 5000, async () => (generatorRate(await snapshot()) > 0 ? true : undefined));
    await page.waitForSelector('#toast-message:not(.show)', { timeout: 5000 });
    const png = await page.screenshot({ fullPage: true });
    await assertNonBlank(page, png);
    saveShot('demo-board.png', png);

    // Stop: the process prints the final JSON and exits 0.
    await page.click('#btn-pipeline-stop');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((r) => { timer = setTimeout(() => r('still running 15 s after Stop'), 15_000); });
    assert.equal(await Promise.race([exited, late]), 0, err);
    clearTimeout(timer);
  } finally {
    await browser?.close();
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
  }
  const r = JSON.parse(out) as { generated: number; processed: number; fizz: number; buzz: number; fizzbuzz: number; value: number };
  // Values 0 … n-1 went through: exact FizzBuzz counts (0 counts as FizzBuzz).
  const n = r.generated;
  assert.ok(n > 0 && n % 32768 === 0, `generated ${n}: whole half rings`);
  assert.equal(r.processed, n);
  const multiples = (k: number): number => Math.ceil(n / k);
  assert.equal(r.fizzbuzz, multiples(15));
  assert.equal(r.fizz, multiples(3) - multiples(15));
  assert.equal(r.buzz, multiples(5) - multiples(15));
  assert.equal(r.fizz + r.buzz + r.fizzbuzz + r.value, n);
});

test('ringkit demo board flags: bad values and board flags without --board exit 2 naming the flag', () => {
  for (const [args, re] of [
    [['--board-port', '8001'], /--board-port, --board-host and --token need --board/],
    [['--board', '--board-port', 'x'], /--board-port must be an integer in \[0, 65535\]: --board-port=x/],
    [['--board', '--token', 'short'], /--token \(or RINGKIT_BOARD_TOKEN\) must be at least 8 characters long/],
    [['--board', '--board-host', '0.0.0.0', '--beats', '1'], /refusing to bind a non-loopback address without a token: host=0\.0\.0\.0/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'demo', ...args], { encoding: 'utf8', env: { ...process.env, RINGKIT_BOARD_TOKEN: '' } });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const help = spawnSync(process.execPath, [BIN, 'demo', '--help'], { encoding: 'utf8' });
  assert.match(help.stdout, /--board {16}also serve the control board/);
  assert.match(help.stdout, /Without\s+--beats or --seconds the demo then runs until Stop or Ctrl-C/);
});
