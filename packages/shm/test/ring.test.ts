// Every structure by name across real OS processes (more processes and threads than cores),
// every entry checked: none lost, duplicated or reordered per producer.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { POLL_CLOSED } from '@ringkit/core';
import { SharedByteRing, SharedRing, SharedRingBuffer, SharedSlotPool } from '@ringkit/shm';
import { childStarter, SCHEMA, uniqueName } from './helpers.js';

const child = childStarter(after);

describe('SharedRing across processes', () => {
  it('3 producer processes, 2 consumer processes and 2 consumer threads in a third: every entry, in order per producer', async () => {
    const name = uniqueName('mpmc');
    const shared = SharedRing.create(name, { capacity: 1 << 12, schema: SCHEMA, producer: 'multi' });
    const ids = [0, 1, 2, 3].map(() => shared.ring.addConsumer().id);
    const per = 150_000;
    const consumers = [child('consume', { name, id: ids[0] }), child('consume', { name, id: ids[1] }), child('threads', { name, ids: [ids[2], ids[3]] })];
    const producers = [0, 1, 2].map((id) => child('produce', { name, id, count: per, batch: 1 + id * 40 }));
    for (const p of producers) assert.deepEqual(await p.result(), { event: 'result', sent: per });
    shared.ring.close();
    const results = [await consumers[0]!.result(), await consumers[1]!.result(), ...((await consumers[2]!.result()).threads as Array<Record<string, unknown>>)];
    assert.equal(results.length, 4);
    for (const r of results) {
      assert.deepEqual(r.errors, []);
      assert.equal(r.count, 3 * per);
      assert.deepEqual(r.next, { 0: per, 1: per, 2: per });
      assert.equal(r.lost, 0);
    }
    shared.close();
    shared.unlink();
  });

  it('a consumer process with for await (futex waits on native threads) while its event loop runs', async () => {
    const name = uniqueName('async');
    const shared = SharedRing.create(name, { capacity: 256, schema: SCHEMA });
    const id = shared.ring.addConsumer().id;
    const c = child('consume', { name, id, async: true });
    await c.event('ready');
    const prod = shared.ring.producer();
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      const hi = prod.claim(1);
      shared.ring.columns.p[hi & shared.ring.mask] = 7;
      shared.ring.columns.k[hi & shared.ring.mask] = i;
      prod.publish(hi);
      if (i % 5000 === 0) await new Promise((r) => setTimeout(r, 50)); // the consumer sleeps, then is woken across processes
    }
    prod.close();
    const r = await c.result();
    assert.deepEqual(r.errors, []);
    assert.equal(r.count, total);
    assert.ok((r.ticks as number) > 0, 'the consumer\'s event loop kept running');
    shared.close();
  });

  it('a blocked poll in this process is woken by a publish in another (pollAsync and poll)', async () => {
    const name = uniqueName('wake');
    const shared = SharedRing.create(name, { capacity: 64, schema: SCHEMA, waitStrategy: { kind: 'phased', spinTries: 0 } });
    const c = shared.ring.addConsumer();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const p = child('produce', { name, id: 1, count: 1, batch: 1 });
    const t0 = Date.now();
    const n = await c.pollAsync({ timeout: 20_000 });
    clearInterval(timer);
    assert.equal(n, 1);
    assert.equal(shared.ring.columns.p[c.batch.index(0)], 1);
    c.release();
    assert.ok(ticks > 0 || Date.now() - t0 < 10, 'the event loop ran while waiting');
    await p.result();
    const p2 = child('produce', { name, id: 2, count: 1, batch: 1, close: true });
    assert.equal(c.poll({ timeout: 20_000 }), 1); // blocking, in the main thread
    assert.equal(shared.ring.columns.p[c.batch.index(0)], 2);
    c.release();
    assert.equal(c.poll({ timeout: 20_000 }), POLL_CLOSED);
    await p2.result();
    shared.close();
  });
});

describe('SharedByteRing, SharedSlotPool, SharedRingBuffer across processes', () => {
  it('byte ring: 2 writer processes, 2 reader processes, every record', async () => {
    const name = uniqueName('bytes');
    const shared = SharedByteRing.create(name, { capacity: 1 << 14, producer: 'multi' });
    const readers = [shared.ring.addReader().id, shared.ring.addReader().id];
    const rs = readers.map((id) => child('bytes', { name, id }));
    const count = 30_000;
    const ws = [0, 1].map((id) => child('bytes', { name, id, writer: true, count }));
    for (const w of ws) assert.equal((await w.result()).written, count);
    shared.ring.close();
    for (const r of rs) {
      const res = await r.result();
      assert.deepEqual(res.errors, []);
      assert.equal(res.count, 2 * count);
    }
    shared.close();
  });

  it('slot pool: states, reference counts, generations and counters are shared', async () => {
    const name = uniqueName('pool');
    const shared = SharedSlotPool.create(name, { slotBytes: 1024, slotCount: 4 });
    const pool = shared.pool;
    const handles = [];
    for (let i = 0; i < 3; i++) {
      const slot = pool.allocate(100);
      slot.view.fill(i + 1, 0, 100);
      handles.push(pool.markReady(slot, 100));
    }
    const reader = child('pool', { name, handles });
    const r = await reader.result();
    assert.deepEqual(r.sums, [2, 4, 6]);
    // The child's acquires counted in the shared counters; the producer's references remain.
    const stats = pool.stats();
    assert.equal(stats.bytesRead, 300);
    assert.equal(stats.bytesWritten, 300);
    for (const h of handles) pool.release(h);
    assert.equal(pool.occupancy().free, 4);
    shared.close();
  });

  it('RingBuffer: one writer process, 3 reader processes by name (bslatkin MultiprocessingTest shape)', async () => {
    const name = uniqueName('facade');
    const shared = SharedRingBuffer.create(name, { slotBytes: 64, slotCount: 16 });
    const readers = [0, 1, 2].map(() => shared.buffer.newReader().id);
    shared.buffer.newWriter(); // as the original: readers and the writer registered before any process starts
    const rs = readers.map((id) => child('facade', { name, id }));
    const count = 20_000;
    const w = child('facade', { name, writer: true, registered: true, count });
    assert.equal((await w.result()).written, count);
    for (const r of rs) {
      const res = await r.result();
      assert.deepEqual(res.errors, []);
      assert.equal(res.read, count);
    }
    shared.close();
  });
});
