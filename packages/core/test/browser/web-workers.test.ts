/**
 * Core in a real browser: Debian's Chromium (through playwright-core) opens the example page of
 * docs/browser.md, served by the example's own server (examples/browser/serve.mjs) with the
 * COOP/COEP headers. A producer Web Worker (or two, multi-producer) and two consumer Web Workers
 * move entries through a ring; each consumer checks every entry (none lost, none duplicated, each
 * producer's entries in order). Once with native ES modules, once bundled by esbuild. Then what a
 * page gets where the platform says no: no SharedArrayBuffer without isolation, no blocking wait
 * on the main thread.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface ExampleServer { url: string; close(): Promise<void> }
interface ServeModule { serveExample(o: { port: number; bundled?: boolean; isolated?: boolean }): Promise<ExampleServer> }
interface ConsumerSeen { id: number; count: number; next: number[]; problem: string | null }
interface PageResult { ok: boolean; entries?: number; producers?: number; consumers?: ConsumerSeen[]; error?: { name: string; message: string } }

const serveModule = new URL('../../../../../examples/browser/serve.mjs', import.meta.url).href;
const { serveExample } = (await import(serveModule)) as ServeModule;

let browser: Browser;
before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (browser tests never skip; npm test's preflight installs it as root)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
after(async () => {
  await browser?.close();
});

/** Opens the example page on `server` with `query`, waits for it to finish, returns its result. */
async function runPage(server: ExampleServer, query: string): Promise<{ result: PageResult; text: string; isolated: string; page: Page }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}${query}`);
  await page.waitForSelector('body:not([data-state="running"])', { timeout: 60_000 });
  const result = await page.evaluate(() => (globalThis as unknown as { ringkitResult: PageResult }).ringkitResult);
  const text = (await page.textContent('#result')) ?? '';
  const isolated = (await page.textContent('#isolated')) ?? '';
  assert.deepEqual(errors, [], 'uncaught errors on the page');
  return { result, text, isolated, page };
}

function assertEveryEntry(result: PageResult, text: string, entries: number, producers: number): void {
  assert.equal(result.ok, true, text);
  assert.equal(result.consumers!.length, 2);
  for (const c of result.consumers!) {
    assert.equal(c.problem, null, `consumer ${c.id}: ${c.problem}`);
    assert.equal(c.count, entries * producers, `consumer ${c.id} count`);
    assert.deepEqual(c.next, new Array(producers).fill(entries), `consumer ${c.id}: the next entry expected from each producer`);
  }
  assert.match(text, new RegExp(`^consumer 0: ${(entries * producers).toLocaleString('en')} entries, per producer ${new Array(producers).fill(entries).join(', ')}, every entry in order\n`));
}

for (const bundled of [false, true]) {
  describe(`Chromium Web Workers, ${bundled ? 'esbuild bundle' : 'native ES modules'}`, () => {
    let server: ExampleServer;
    before(async () => { server = await serveExample({ port: 0, bundled }); });
    after(async () => { await server.close(); });

    it('one producer worker, two consumer workers: 200,000 entries each, every entry checked', async () => {
      const { result, text, isolated, page } = await runPage(server, '?entries=200000&producers=1');
      assert.equal(isolated, 'true');
      assertEveryEntry(result, text, 200_000, 1);
      await page.close();
    });

    it('two producer workers (multi producer), two consumer workers: per-producer order kept, every entry checked', async () => {
      const { result, text, page } = await runPage(server, '?entries=100000&producers=2');
      assertEveryEntry(result, text, 100_000, 2);
      await page.close();
    });
  });
}

describe('where the browser says no: ringkit errors that say what to do', () => {
  it('a page served without COOP/COEP: Ring.create names the two headers', async () => {
    const server = await serveExample({ port: 0, isolated: false });
    try {
      const { result, isolated, text, page } = await runPage(server, '');
      assert.equal(isolated, 'false');
      assert.equal(result.ok, false);
      assert.equal(result.error!.name, 'InvalidStateError', text);
      assert.match(result.error!.message, /"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"/);
      await page.close();
    } finally {
      await server.close();
    }
  });

  it('the main thread of an isolated page: blocking claim / poll throw InvalidStateError naming claimAsync / pollAsync; the async calls work', async () => {
    const server = await serveExample({ port: 0 });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}?entries=1`);
      await page.waitForSelector('body[data-state="done"]');
      const r = await page.evaluate(async () => {
        const core = await import('/ringkit-core/index.js' as string) as typeof import('@ringkit/core');
        const ring = core.Ring.create({ capacity: 4 });
        const consumer = ring.addConsumer();
        const producer = ring.producer();
        const caught = (f: () => unknown): { name: string; message: string } | null => {
          try { f(); return null; } catch (e) { return { name: (e as Error).name, message: (e as Error).message }; }
        };
        const poll = caught(() => consumer.poll({ timeout: 1000 }));       // empty: would block
        producer.publish(producer.claim(4));                                // room for 4: no wait
        const claim = caught(() => producer.claim(1, { timeout: 1000 }));   // full: would block
        const claimed = producer.claimAsync(1);                             // waits without blocking
        const n = await consumer.pollAsync();
        consumer.release();
        producer.publish(await claimed);
        const second = await consumer.pollAsync();
        return { poll, claim, n, second };
      });
      await page.close();
      for (const e of [r.poll, r.claim]) {
        assert.equal(e?.name, 'InvalidStateError', JSON.stringify(e));
        assert.match(e!.message, /use claimAsync \/ pollAsync \/ for await here, or do the blocking calls in a worker/);
      }
      assert.equal(r.n, 4);
      assert.equal(r.second, 1);
    } finally {
      await server.close();
    }
  });
});
