/**
 * The slot pool: enrgdaq's single-process scenarios (spec §6) as unit tests, then the defects
 * it fixes, across real worker threads: shared slot states and refcounts, overwrite-oldest
 * with a stale reader detecting it, handles sent between threads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import {
  CapacityError, InvalidArgumentError, LayoutMismatchError, ByteRing, SlotPool, StaleSlotError, TimeoutError, type SlotHandle,
} from '../../src/index.js';
import { runBytesWorker, nextMessage } from '../fixtures/run-bytes-worker.js';
import { poolChecksum } from '../fixtures/bytes-shared.js';

const make = (o: Partial<Parameters<typeof SlotPool.create>[0]> = {}): SlotPool => SlotPool.create({ slotBytes: 1024, slotCount: 4, ...o });

describe('slot pool: the reference scenarios', () => {
  it('1–4. occupancy through allocate, markReady, release', () => {
    const pool = make();
    assert.deepEqual(pool.occupancy(), { free: 4, writing: 0, ready: 0 });
    const s = pool.allocate(128);
    assert.equal(s.view.length, 1024);
    assert.deepEqual(pool.occupancy(), { free: 3, writing: 1, ready: 0 });
    const h = pool.markReady(s, 64);
    assert.deepEqual(pool.occupancy(), { free: 3, writing: 0, ready: 1 });
    pool.release(h);
    assert.deepEqual(pool.occupancy(), { free: 4, writing: 0, ready: 0 });
  });

  it('5/6. four allocations fill the pool; with overwrite-oldest a fifth takes the oldest ready slot', () => {
    const pool = make({ whenFull: 'overwrite' });
    const slots = [0, 1, 2, 3].map(() => pool.allocate(128));
    assert.deepEqual(pool.occupancy(), { free: 0, writing: 4, ready: 0 });
    const handles = slots.map((s) => pool.markReady(s, 10));
    assert.deepEqual(pool.occupancy(), { free: 0, writing: 0, ready: 4 });
    const fifth = pool.allocate(128);
    assert.equal(fifth.slot, handles[0]!.slot, 'the oldest ready slot');
    assert.deepEqual(pool.occupancy(), { free: 0, writing: 1, ready: 3 });
    assert.throws(() => pool.acquire(handles[0]!), StaleSlotError, 'the overwritten handle is stale');
    assert.equal(pool.stats().overwrites, 1);
  });

  it('7. k acquisitions need k + 1 releases; a reader-held slot is never overwritten', () => {
    const pool = make({ slotCount: 1, whenFull: 'overwrite' });
    const h = pool.markReady(pool.allocate(100), 64);
    pool.acquire(h);
    pool.acquire(h);
    assert.equal(pool.readers(h), 2);
    assert.equal(pool.tryAllocate(1), null, 'slots with readers are not overwritten');
    pool.release(h);
    pool.release(h);
    assert.deepEqual(pool.occupancy(), { free: 0, writing: 0, ready: 1 });
    pool.release(h);
    assert.deepEqual(pool.occupancy(), { free: 1, writing: 0, ready: 0 });
  });

  it('8–11. byte counters', () => {
    const pool = make();
    assert.deepEqual([pool.stats().bytesWritten, pool.stats().bytesRead], [0, 0]);
    const h = pool.markReady(pool.allocate(256), 200);
    assert.deepEqual([pool.stats().bytesWritten, pool.stats().bytesRead], [200, 0]);
    pool.acquire(h);
    assert.equal(pool.stats().bytesRead, 200, 'acquire counts the bytes the handle names');
    pool.release(h);
    pool.release(h);
    for (const n of [100, 101, 102]) {
      const hh = pool.markReady(pool.allocate(n), n);
      pool.acquire(hh);
      pool.release(hh);
      pool.release(hh);
    }
    assert.deepEqual([pool.stats().bytesWritten, pool.stats().bytesRead], [503, 503]);
  });

  it('releasing a WRITING slot aborts the write; acquire before markReady is refused', () => {
    const pool = make();
    const s = pool.allocate(10);
    assert.throws(() => pool.acquire({ slot: s.slot, generation: s.generation, length: 0 }), StaleSlotError);
    pool.release(s);
    assert.deepEqual(pool.occupancy(), { free: 4, writing: 0, ready: 0 });
    assert.throws(() => pool.markReady(s, 1), StaleSlotError);
  });

  it('full policies: fail throws CapacityError, wait times out, tryAllocate returns null', () => {
    const fail = make({ slotCount: 1, whenFull: 'fail' });
    fail.allocate(1);
    assert.throws(() => fail.allocate(1), CapacityError);
    const wait = make({ slotCount: 1 });
    wait.allocate(1);
    assert.equal(wait.tryAllocate(1), null);
    assert.throws(() => wait.allocate(1, { timeout: 20 }), TimeoutError);
    assert.equal(wait.stats().full, 2);
  });

  it('bad arguments are refused with the limit named', () => {
    assert.throws(() => SlotPool.create({ slotBytes: 0, slotCount: 4 }), /options.slotBytes must be an integer in \[1, 2\^30\]: slotBytes=0/);
    assert.throws(() => SlotPool.create({ slotBytes: 8, slotCount: 0 }), /options.slotCount/);
    assert.throws(() => SlotPool.create({ slotBytes: 8, slotCount: 2, whenFull: 'block' as 'wait' }), /options.whenFull/);
    const pool = make();
    assert.throws(() => pool.allocate(1025), (e: Error) => e instanceof InvalidArgumentError && /slotBytes=1024/.test(e.message));
    assert.throws(() => pool.acquire({ slot: 9, generation: 1, length: 0 }), /handle.slot must be an integer in \[0, 3\]/);
    assert.throws(() => SlotPool.attach(ByteRing.create({ capacity: 1024 }).descriptor), (e: Error) => e instanceof LayoutMismatchError && e.field === 'kind');
  });
});

function fill(pool: SlotPool, length: number, seed: number): SlotHandle {
  const s = pool.allocate(length, { timeout: 10_000 });
  for (let i = 0; i < length - 1; i++) s.view[i] = (seed * 31 + i) & 255;
  s.view[length - 1] = poolChecksum(s.view, length);
  return pool.markReady(s, length);
}

async function startReader(pool: SlotPool): Promise<{ worker: Worker; done: Promise<unknown> }> {
  const w = runBytesWorker({ role: 'pool-read', descriptor: pool.descriptor, seed: 0 });
  await nextMessage(w.worker, 'ready');
  return w;
}

describe('slot pool across worker threads', () => {
  it('states and refcounts are shared: readers in two threads acquire the same handle; the slot frees after all releases', async () => {
    const pool = make();
    const a = await startReader(pool);
    const b = await startReader(pool);
    const h = fill(pool, 500, 1);
    a.worker.postMessage({ handle: h, hold: true });
    await nextMessage(a.worker, 'ack');
    b.worker.postMessage({ handle: h, hold: true });
    const ack = await nextMessage<{ readers: number }>(b.worker, 'ack');
    assert.equal(ack.readers, 2, 'the other thread sees both references');
    assert.equal(pool.readers(h), 2);
    pool.release(h); // the producer's reference
    assert.deepEqual(pool.occupancy(), { free: 3, writing: 0, ready: 1 });
    pool.release(h);
    pool.release(h); // stand in for the readers' releases
    assert.deepEqual(pool.occupancy(), { free: 4, writing: 0, ready: 0 });
    assert.equal(pool.stats().bytesRead, 1000, 'bytes read in other threads are counted here');
    for (const w of [a, b]) { w.worker.postMessage({ end: true }); await w.done; }
  });

  it('overwrite-oldest: a reader thread holding a stale handle is told the slot was reused', async () => {
    const pool = make({ slotCount: 2, whenFull: 'overwrite' });
    const reader = await startReader(pool);
    const old = fill(pool, 100, 1);
    pool.release(old); // the producer's reference: READY → FREE
    const h1 = fill(pool, 100, 2);
    const h2 = fill(pool, 100, 3);
    const h3 = fill(pool, 100, 4); // no free slot: overwrites h1's slot (the oldest ready)
    assert.equal(h3.slot, h1.slot);
    reader.worker.postMessage({ handle: h1 });
    const stale = await nextMessage<{ message: string }>(reader.worker, 'stale');
    assert.match(stale.message, /reused or freed/);
    reader.worker.postMessage({ handle: h2 });
    await nextMessage(reader.worker, 'ack');
    reader.worker.postMessage({ handle: h3 });
    await nextMessage(reader.worker, 'ack');
    reader.worker.postMessage({ end: true });
    const report = (await reader.done) as { errors: string[]; received: number; stale: number };
    assert.deepEqual(report.errors, []);
    assert.deepEqual([report.received, report.stale], [2, 1]);
    assert.equal(pool.stats().overwrites, 1);
  });

  it('a producer streams 2000 records through 4 slots to 2 reader threads; every checksum holds', async () => {
    const pool = make();
    const readers = [await startReader(pool), await startReader(pool)];
    const acks = readers.map(() => 0);
    readers.forEach((r, i) => r.worker.on('message', (m: { ack?: unknown }) => { if (m.ack !== undefined) acks[i]!++; }));
    for (let k = 0; k < 2000; k++) {
      const h = fill(pool, 16 + (k % 1000), k); // waits while the readers hold every slot
      for (const r of readers) {
        pool.acquire(h); // a reference handed over with the handle: the reader releases it
        r.worker.postMessage({ handle: h, owned: true });
      }
      pool.release(h); // the producer's own reference
    }
    for (const r of readers) r.worker.postMessage({ end: true });
    const reports = (await Promise.all(readers.map((r) => r.done))) as { errors: string[]; received: number; stale: number }[];
    for (const rep of reports) assert.deepEqual([rep.errors, rep.received, rep.stale], [[], 2000, 0]);
    assert.deepEqual(pool.occupancy(), { free: 4, writing: 0, ready: 0 }, 'every reference was released');
  });
});
