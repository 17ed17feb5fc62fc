/**
 * Issue 10, "Data integrity" (items 1–6): nothing torn is handed out as intact, no slot a reader
 * holds is overwritten, and what a lossy or evicted consumer lost is always told. Scenarios that
 * wait or may never return run in their own worker under a hard deadline (fixtures/guarded-run.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SlotPool, StaleSlotError } from '../../src/index.js';
import { scenario } from '../fixtures/issue-10-run.js';

describe('issue 10 item 1: lapped consumers of lossy multi-producer rings', () => {
  for (const producer of ['single', 'multi'] as const) {
    it(`a lapped consumer of a lossy ${producer}-producer ring gets LappedError with the exact count and the ring still closes`, async () => {
      const r = await scenario('lappedLossyConsumer', { producer, policy: 'error' }, 5000);
      assert.deepEqual(r.steps[0], { error: 'LappedError', lost: 6, message: 'the consumer was lapped by the producer and lost entries: lost=6' });
      assert.deepEqual(r.steps[1], { n: 4, lo: 6, lost: 0, values: [6, 7, 8, 9] });
      assert.deepEqual(r.steps[2], { n: 0, lo: 6, lost: 0, values: [] });
      assert.equal((r.afterClose as { n?: number }).n, -1, `poll after close: ${JSON.stringify(r.afterClose)}`);
    });

    it(`a lapped consumer of a lossy ${producer}-producer ring with lossyPolicy 'skip' gets batch.lost and the ring still closes`, async () => {
      const r = await scenario('lappedLossyConsumer', { producer, policy: 'skip' }, 5000);
      assert.deepEqual(r.steps[0], { n: 4, lo: 6, lost: 6, values: [6, 7, 8, 9] });
      assert.deepEqual(r.steps[1], { n: 0, lo: 6, lost: 0, values: [] });
      assert.equal((r.afterClose as { n?: number }).n, -1, `poll after close: ${JSON.stringify(r.afterClose)}`);
    });

    it(`for await over a lapped consumer of a closed lossy ${producer}-producer ring ends after the surviving entries`, async () => {
      const r = await scenario('lappedLossyIterator', { producer }, 5000);
      assert.deepEqual(r.batches, [{ lo: 6, lost: 6, values: [6, 7, 8, 9] }]);
    });
  }
});

describe('issue 10 item 2: copying byte-reader helpers on lossy rings', () => {
  for (const helper of ['tryRead', 'read'] as const) {
    it(`ByteReader.${helper}() with lossyPolicy 'skip' never returns a record overwritten while it was copied`, async () => {
      const r = await scenario('copiedRecordsUnderLapping', { helper, records: 400_000, atLeast: 1000 }, 60_000);
      assert.ok(r.records > 0, `the reader got records: ${r.records} in ${r.runs} runs`);
      assert.equal(r.bad, 0, `${r.bad} of ${r.records} records returned were torn; first: ${r.firstBad}`);
    });
  }
});

describe('issue 10 item 3: batch length on lossy rings', () => {
  for (const producer of ['single', 'multi'] as const) {
    it(`tryPoll(max) above the capacity of a lossy ${producer}-producer ring never returns a batch longer than the ring`, async () => {
      const r = await scenario('lossyPollAboveCapacity', { producer, count: 1_000_000 }, 30_000);
      assert.ok(r.batches > 0, 'the consumer got batches');
      assert.ok(r.maxCount <= 8, `a batch of ${r.maxCount} entries from a ring of 8`);
      assert.equal(r.closed, true, `the consumer saw the end of the ring (${r.batches} batches)`);
    });
  }
});

describe('issue 10 items 4 and 5: slot pool references and stale handles', () => {
  it("SlotPool whenFull 'overwrite' never reuses a slot a reader holds after the producer dropped its own reference", () => {
    const pool = SlotPool.create({ slotBytes: 8, slotCount: 1, whenFull: 'overwrite' });
    const w = pool.allocate(4);
    w.view.set([1, 2, 3, 4]);
    const handle = pool.markReady(w, 4);
    const readerPool = SlotPool.attach(pool.descriptor); // the reader's thread has its own pool object
    const view = readerPool.acquire(handle); // the reader's reference
    pool.release(handle); // the producer drops its own: k acquires + the producer's = k + 1 releases (docs/bytes.md)
    const again = pool.tryAllocate(4);
    if (again !== null) again.view.set([9, 9, 9, 9]);
    assert.deepEqual([...view], [1, 2, 3, 4], "the reader's zero-copy view is unchanged");
    assert.equal(again, null, 'no slot may be taken while its only reader holds it');
    assert.equal(pool.stats().overwrites, 0);
    assert.equal(pool.readers(handle), 1, 'readers() counts the reader that holds the slot');
    readerPool.release(handle); // the reader's release frees it
    assert.notEqual(pool.tryAllocate(4), null, 'free again once the reader released it');
  });

  it("SlotPool whenFull 'overwrite' keeps a slot whose reference the producer acquired on a reader's behalf, after the producer releases its own", () => {
    const pool = SlotPool.create({ slotBytes: 8, slotCount: 1, whenFull: 'overwrite' });
    const w = pool.allocate(4);
    w.view.set([1, 2, 3, 4]);
    const handle = pool.markReady(w, 4);
    pool.acquire(handle); // the reader's reference, taken in the producer's thread before the handle is sent
    pool.release(handle); // the producer's own: k acquires + the producer's = k + 1 releases (docs/bytes.md)
    const again = pool.tryAllocate(4);
    if (again !== null) again.view.set([9, 9, 9, 9]);
    assert.equal(again, null, "the slot is the reader's: it may not be overwritten before the reader has seen it");
    const readerPool = SlotPool.attach(pool.descriptor);
    assert.deepEqual([...readerPool.view(handle)], [1, 2, 3, 4], "pool.view(handle): 'for a reference acquired on your behalf'");
    readerPool.release(handle);
    assert.notEqual(pool.tryAllocate(4), null, 'free once the reader released it');
  });

  it('SlotPool.markReady on a stale WritableSlot throws StaleSlotError and leaves the live slot length alone', () => {
    const pool = SlotPool.create({ slotBytes: 64, slotCount: 1 });
    const stale = pool.allocate(4);
    pool.release(stale); // abort that write: the slot is free again
    const live = pool.allocate(4);
    live.view.fill(7, 0, 10);
    const handle = pool.markReady(live, 10);
    assert.throws(() => pool.markReady(stale, 50), (e: Error) => e instanceof StaleSlotError);
    assert.equal(pool.acquire(handle).length, 10, "the refused call did not rewrite the live slot's length");
    assert.deepEqual(pool.stats().bytesWritten, 10);
  });
});

describe('issue 10 item 6: eviction while holding a batch', () => {
  it('release() of a consumer evicted while holding a batch the producer then overwrote throws EvictedError', async () => {
    const r = await scenario('releaseAfterEviction', {}, 10_000);
    assert.equal(r.slotNow, 100, 'the producer did overwrite the held batch');
    assert.ok('threw' in r.release, `release() returned ${JSON.stringify(r.release)} instead of saying the batch was replaced`);
    assert.equal((r.release as { threw: { name: string } }).threw.name, 'EvictedError');
    assert.equal((r.nextPoll as { threw?: { name: string } }).threw?.name, 'EvictedError', 'and the next poll says evicted too');
  });
});

describe('issue 10: losses just before a close', () => {
  it("a lapped reader of a closed lossy ('skip') byte ring counts every byte it skipped in reader.lost, and sees the end", async () => {
    const r = await scenario('lappedByteReaderAtClose', {}, 5000);
    assert.equal(r.end, -1, 'the reader sees the end');
    assert.equal(r.lost + 32 * r.delivered, 32 * r.written, `delivered ${r.delivered} records (${32 * r.delivered} bytes) + lost ${r.lost} bytes must cover the ${32 * r.written} bytes committed`);
  });
});
