/**
 * SlotPool.recover(owner): a worker thread holding slots (writing, ready with its producer
 * reference, acquired, viewed) is terminated; recovering its owner frees exactly its references.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { CapacityError, InvalidArgumentError, LayoutMismatchError, SlotPool, type SlotHandle } from '../../src/index.js';

const WORKER = new URL('../fixtures/pool-holder-worker.js', import.meta.url);
const workers: Worker[] = [];
after(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

/** Starts a holder worker and waits for what it took. */
async function holder(pool: SlotPool, task: { owner: number; writing: number; ready: number; acquire?: SlotHandle[]; view?: SlotHandle[] }): Promise<{ worker: Worker; written: number[]; ready: SlotHandle[] }> {
  const worker = new Worker(WORKER, { workerData: { descriptor: pool.descriptor, acquire: [], view: [], ...task } });
  workers.push(worker);
  const m = await new Promise<{ written: number[]; ready: SlotHandle[] }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, ...m };
}

describe('slot pool: recover(owner) after a worker thread is terminated', () => {
  it('aborts its writes, drops its producer references and acquires, keeps what it handed over, and frees its row', async () => {
    const pool = SlotPool.create({ slotBytes: 64, slotCount: 8, holders: 4, owner: 1 });
    // Slots of this thread (owner 1) the worker reads: two it acquires (our producer reference
    // released: the worker's acquire alone holds them), one it views (our reference handed over).
    const mine = [0, 1, 2].map((i) => {
      const s = pool.allocate(8);
      s.view[0] = i;
      return pool.markReady(s, 1);
    });
    const { worker, written, ready } = await holder(pool, { owner: 2, writing: 2, ready: 2, acquire: [mine[0]!, mine[1]!], view: [mine[2]!] });
    pool.release(mine[0]!);
    pool.release(mine[1]!);
    // One of the worker's ready slots is handed over to this thread: it must survive the recovery.
    const kept = ready[1]!;
    assert.equal(pool.view(kept)[0], 101);
    assert.deepEqual(pool.occupancy(), { free: 1, writing: 2, ready: 5 });
    await worker.terminate();

    const report = pool.recover(2);
    assert.deepEqual(report, { owner: 2, writing: 2, producers: 2, readers: 2, freed: 6 });
    assert.deepEqual(pool.occupancy(), { free: 7, writing: 0, ready: 1 }, 'only the slot handed to this thread is left');
    assert.equal(pool.view(kept)[0], 101, 'the handed-over slot still holds its data');
    assert.ok(!written.includes(kept.slot));
    pool.release(kept);
    assert.deepEqual(pool.occupancy(), { free: 8, writing: 0, ready: 0 });
    assert.deepEqual(pool.recover(2), { owner: 2, writing: 0, producers: 0, readers: 0, freed: 0 }, 'recovered once: its row is free');
    // A slot reused since the owner held it is not touched (its hold word is of an older generation).
    const other = await holder(pool, { owner: 3, writing: 0, ready: 1 });
    pool.release(other.ready[0]!); // released on its behalf: the slot is FREE, then reused
    const reused = pool.allocate(8);
    await other.worker.terminate();
    assert.deepEqual(pool.recover(3), { owner: 3, writing: 0, producers: 0, readers: 0, freed: 0 });
    assert.deepEqual(pool.occupancy(), { free: 7, writing: 1, ready: 0 });
    pool.release(reused);
  });

  it('a blocked allocate recovers through its watchdog and gets the dead worker\'s slots', async () => {
    let dead = 0;
    const pool = SlotPool.create({ slotBytes: 64, slotCount: 4, holders: 2, owner: 1, watchdog: () => { if (dead !== 0) pool.recover(dead); } });
    const { worker } = await holder(pool, { owner: 7, writing: 2, ready: 2 });
    assert.equal(pool.tryAllocate(8), null, 'the worker holds every slot');
    await worker.terminate();
    dead = 7;
    const got = [0, 1, 2, 3].map(() => pool.allocate(8, { timeout: 10_000 }).slot);
    assert.deepEqual([...got].sort(), [0, 1, 2, 3]);
  });

  it('owners need hold rows; rows are bounded; the holders count is checked on attach', () => {
    assert.throws(() => SlotPool.create({ slotBytes: 8, slotCount: 2, owner: 1 }), InvalidArgumentError);
    assert.throws(() => SlotPool.create({ slotBytes: 8, slotCount: 2, holders: 1025 }), /holders must be an integer in \[0, 1024\]/);
    const pool = SlotPool.create({ slotBytes: 8, slotCount: 2, holders: 2, owner: 1 });
    const twin = SlotPool.attach(pool.descriptor, { owner: 1 }); // same tag: same row
    SlotPool.attach(pool.descriptor, { owner: 2 });
    assert.throws(() => SlotPool.attach(pool.descriptor, { owner: 3 }), CapacityError);
    assert.equal(pool.recover(2).owner, 2);
    assert.equal(SlotPool.attach(pool.descriptor, { owner: 3 }).owner, 3, 'a recovered row is reused');
    assert.throws(() => twin.recover(0), InvalidArgumentError);
    assert.equal(SlotPool.byteLength({ slotBytes: 8, slotCount: 2, holders: 2 }) > SlotPool.byteLength({ slotBytes: 8, slotCount: 2 }), true);
    // A corrupt holders count in the header is refused.
    const bytes = new Uint8Array(pool.descriptor.buffer);
    const text = new TextDecoder().decode(bytes.subarray(1024, 1100));
    const at = 1024 + text.indexOf('holders=2') + 8;
    bytes[at] = '9'.charCodeAt(0);
    assert.throws(() => SlotPool.attach(pool.descriptor), LayoutMismatchError);
  });
});
