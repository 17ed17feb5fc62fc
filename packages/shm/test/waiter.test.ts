// The futex waiter: cross-process wake-ups, asynchronous waits on native threads (the event
// loop runs, libuv's pool stays free), bounded sleeps, abort, close, and worker termination.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError } from '@ringkit/core';
import { futexWaiter, Segment } from '@ringkit/shm';
import { cleanup, uniqueName } from './helpers.js';

after(cleanup);

/** A child process that, after `delayMs`, stores 1 into word `index` of segment `name` and futex-wakes it. */
function wakeLater(name: string, index: number, delayMs: number): Promise<number | null> {
  const code = `import('@ringkit/shm').then(({ Segment, futexWaiter }) => setTimeout(() => { const w = new Int32Array(Segment.open(${JSON.stringify(name)}).buffer); Atomics.store(w, ${index}, 1); futexWaiter().wake(w, ${index}); }, ${delayMs}))`;
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'inherit', cwd: new URL('.', import.meta.url).pathname });
  return new Promise((resolve) => p.on('exit', resolve));
}

describe('futexWaiter', () => {
  it('a blocking wait is woken by another process; each sleep is bounded (50 ms)', async () => {
    const name = uniqueName('fw');
    const w = new Int32Array(Segment.create(name, { size: 4096 }).buffer);
    const waiter = futexWaiter();
    const t0 = Date.now();
    waiter.wait(w, 3, 0, 10_000);
    assert.ok(Date.now() - t0 < 1000, 'a long sleep returns within its 50 ms bound');
    const exited = wakeLater(name, 3, 300);
    let sleeps = 0;
    while (Atomics.load(w, 3) === 0) {
      waiter.wait(w, 3, 0, 50);
      sleeps++;
    }
    assert.ok(sleeps >= 1);
    assert.equal(await exited, 0);
    waiter.wait(w, 3, 0, 1000); // the word differs: returns at once
    waiter.close();
  });

  it('waitAsync: the event loop keeps running, libuv\'s pool stays free, another process wakes it', async () => {
    const name = uniqueName('fwa');
    const w = new Int32Array(Segment.create(name, { size: 4096 }).buffer);
    const waiter = futexWaiter();
    // 8 waits kept pending for 600 ms (more than libuv's 4 pool threads): were they on the pool,
    // fs.readFile would queue behind them until the end; it answers long before.
    const end = Date.now() + 600;
    const loops = [8, 9, 10, 11, 12, 13, 14, 15].map(async (i) => {
      while (Date.now() < end) await waiter.waitAsync(w, i, 0, 50, undefined);
    });
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await readFile(new URL(import.meta.url));
    const took = Date.now() - t0;
    assert.ok(Date.now() < end - 100, `fs.readFile waited ${took} ms behind the futex waits`);
    await Promise.all(loops);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const exited = wakeLater(name, 4, 200);
    const t1 = Date.now();
    while (Atomics.load(w, 4) === 0) await waiter.waitAsync(w, 4, 0, 50, undefined);
    clearInterval(timer);
    assert.ok(ticks >= 5, `the loop ran while waiting (${ticks} ticks in ${Date.now() - t1} ms)`);
    assert.equal(await exited, 0);
    waiter.close();
  });

  it('abort and close release a pending waitAsync at once; bad arguments are refused', async () => {
    const name = uniqueName('fwb');
    const w = new Int32Array(Segment.create(name, { size: 4096 }).buffer);
    const waiter = futexWaiter();
    const ac = new AbortController();
    const p = waiter.waitAsync(w, 0, 0, 50, ac.signal);
    ac.abort();
    // Resolved at once: before any timer (the native sleep would take up to 50 ms).
    assert.equal(await Promise.race([p.then(() => 'abort'), new Promise((r) => setTimeout(() => r('timer'), 0))]), 'abort');
    const q = waiter.waitAsync(w, 1, 0, 50, undefined);
    waiter.close(); // wakes and joins the native thread; the wait resolves
    await q;
    // Usable again after close (a new thread starts).
    await waiter.waitAsync(w, 1, 0, 5, undefined);
    waiter.close();
    assert.throws(() => waiter.wait(new Int32Array(4), 0, 0, 1), InvalidArgumentError);
    assert.throws(() => waiter.wait(w, 5000, 0, 1), /index must be an integer in \[0, 1023\]/);
    assert.throws(() => waiter.wait(w, 0, 0, -1), /ms must be a finite number/);
    assert.equal(waiter.name, 'futex');
  });

  it('a worker with futex waits pending terminates promptly', async () => {
    const name = uniqueName('fwt');
    Segment.create(name, { size: 4096 });
    const code = `
      const { parentPort } = require('node:worker_threads');
      import('@ringkit/shm').then(({ Segment, futexWaiter }) => {
        const w = new Int32Array(Segment.open(${JSON.stringify(name)}).buffer);
        const waiter = futexWaiter();
        (async () => { for (;;) await waiter.waitAsync(w, 0, 0, 50, undefined); })();
        parentPort.postMessage('waiting');
        for (;;) waiter.wait(w, 1, 0, 50); // and a blocking one on the thread itself
      });`;
    const worker = new Worker(code, { eval: true });
    await new Promise((r) => worker.once('message', r));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await worker.terminate();
    assert.ok(Date.now() - t0 < 2000, `terminate took ${Date.now() - t0} ms`);
  });
});
