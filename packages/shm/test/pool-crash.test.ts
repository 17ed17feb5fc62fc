// Crash survival of the slot pool and of a RingBuffer writer registered on another process's
// behalf, with real processes killed by SIGKILL.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SlotHandle } from '@ringkit/core';
import { SharedRingBuffer, SharedSlotPool } from '@ringkit/shm';
import { childStarter, uniqueName } from './helpers.js';

const child = childStarter(after);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('slot pool: a killed process\'s slots come back', () => {
  it('a blocked allocate finds the dead process and gets its writing, ready, acquired and viewed slots; a slot it handed over stays', async () => {
    const name = uniqueName('poolkill');
    const shared = SharedSlotPool.create(name, { slotBytes: 64, slotCount: 8 });
    const pool = shared.pool;
    const mine = [0, 1, 2].map((i) => {
      const s = pool.allocate(1);
      s.view[0] = i;
      return pool.markReady(s, 1);
    });
    const victim = child('poolhold', { name, writing: 2, ready: 2, acquire: [mine[0], mine[1]], view: [mine[2]] });
    const held = await victim.event('holding');
    pool.release(mine[0]!); // the victim's acquires alone hold these two
    pool.release(mine[1]!);
    const kept = (held.ready as SlotHandle[])[1]!;
    assert.equal(pool.view(kept)[0], 101, 'the victim handed this slot over to us');
    assert.deepEqual(pool.occupancy(), { free: 1, writing: 2, ready: 5 });
    await victim.kill();
    const got = Array.from({ length: 7 }, () => pool.allocate(1, { timeout: 10_000 }).slot);
    assert.deepEqual([...got, kept.slot].sort(), [0, 1, 2, 3, 4, 5, 6, 7], 'every slot but the handed-over one came back');
    assert.equal(pool.tryAllocate(1), null);
    assert.equal(pool.view(kept)[0], 101, 'the handed-over slot kept its data');
    assert.equal(shared.processes().length, 1, 'the dead process left the table');
    shared.close();
  });

  it('a job killed while filling the pool (nobody reading): recoverDead frees every slot; a replacement job fills it again', async () => {
    const name = uniqueName('pooljob');
    const shared = SharedSlotPool.create(name, { slotBytes: 128, slotCount: 16 });
    for (let round = 0; round < 2; round++) {
      const job = child('poolhold', { name, loop: true });
      const { owner } = await job.event('holding');
      const deadline = Date.now() + 20_000;
      while (shared.pool.occupancy().free > 0) {
        assert.ok(Date.now() < deadline, 'the job fills the pool');
        await sleep(20);
      }
      await job.kill();
      assert.deepEqual(shared.recoverDead(), [owner]);
      assert.deepEqual(shared.pool.occupancy(), { free: 16, writing: 0, ready: 0 }, `round ${round}: nothing leaked`);
    }
    assert.ok(shared.pool.stats().allocations >= 32);
    shared.close();
  });

  it('a reader process that opened the pool later sees the dead writer\'s slots freed too (any process recovers)', async () => {
    const name = uniqueName('poolother');
    const shared = SharedSlotPool.create(name, { slotBytes: 64, slotCount: 4 });
    const victim = child('poolhold', { name, writing: 1, ready: 3 });
    await victim.event('holding');
    await victim.kill();
    const other = child('pool', { name, handles: [] }); // its open sweeps the dead process
    await other.result();
    assert.deepEqual(shared.pool.occupancy(), { free: 4, writing: 0, ready: 0 });
    assert.deepEqual(shared.recoverDead(), [], 'already recovered, once');
    shared.close();
  });
});

describe('RingBuffer: a writer registered on the writer process\'s behalf', () => {
  it('the parent registers the writer, the child writes and is killed: readers drain it and the parent\'s own writer goes on', async () => {
    const name = uniqueName('adopt');
    const shared = SharedRingBuffer.create(name, { slotBytes: 32, slotCount: 64 });
    const rb = shared.buffer;
    const reader = rb.newReader().id;
    rb.newWriter(); // for the child (bslatkin's shape)
    rb.newWriter(); // for this process
    const writer = child('facade', { name, writer: true, registered: true, count: 40, hang: true });
    await writer.event('written');
    const r = child('facade', { name, id: reader });
    await r.event('ready');
    await writer.kill();
    const deadline = Date.now() + 20_000;
    while (rb.activeWriters !== 1) {
      assert.ok(Date.now() < deadline, 'the dead child\'s writer is ended');
      shared.recoverDead();
      await sleep(20);
    }
    rb.write(new TextEncoder().encode('item 40'), { timeout: 10_000 });
    rb.writerDone();
    const res = await r.result();
    assert.deepEqual(res.errors, []);
    assert.equal(res.read, 41, 'every item of both writers, then WriterFinishedError');
    assert.equal(rb.activeWriters, 0);
    shared.close();
  });
});
