/** The Arrow example with a real reader thread: every table arrives intact and is read in place. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { tableFromArrays } from 'apache-arrow';
import { InvalidArgumentError, SlotPool, StaleSlotError } from '@ringkit/core';
import { readTable, writeTable } from '../src/index.js';

const WORKER = new URL('../src/reader-worker.js', import.meta.url);

function table(rows: number, k: number): ReturnType<typeof tableFromArrays> {
  return tableFromArrays({ ts: Float64Array.from({ length: rows }, (_, i) => i + k), value: Int32Array.from({ length: rows }, (_, i) => i * k) });
}

describe('Arrow record batches through a slot pool', () => {
  it('a reader thread opens 40 tables in place (column buffers in the shared memory) and frees every slot', async () => {
    const pool = SlotPool.create({ slotBytes: 1 << 18, slotCount: 4 });
    const worker = new Worker(WORKER, { workerData: pool.descriptor });
    const replies: { rows: number; sum: number; zeroCopy: boolean }[] = [];
    const all = new Promise<void>((resolve) => worker.on('message', (r: { rows: number; sum: number; zeroCopy: boolean }) => {
      if (replies.push(r) === 40) resolve();
    }));
    const expected: number[] = [];
    for (let k = 0; k < 40; k++) {
      const rows = 1000 + 250 * k;
      expected.push(rows * (rows - 1) / 2 + rows * k);
      worker.postMessage(writeTable(pool, table(rows, k), { timeout: 10_000 })); // waits while the 4 slots are in use
    }
    await all;
    worker.postMessage('end');
    assert.deepEqual(replies.map((r) => r.sum), expected);
    assert.ok(replies.every((r) => r.zeroCopy), 'every column buffer is a view of the pool');
    assert.deepEqual(pool.occupancy(), { free: 4, writing: 0, ready: 0 });
    assert.equal(pool.stats().allocations, 40);
  });

  it('refuses a table larger than a slot; a stale handle cannot open a reused slot', () => {
    const pool = SlotPool.create({ slotBytes: 4096, slotCount: 1, whenFull: 'overwrite' });
    assert.throws(() => writeTable(pool, table(10_000, 0)), InvalidArgumentError);
    const h1 = writeTable(pool, table(10, 1));
    const reader = SlotPool.attach(pool.descriptor); // the reader's own view of the pool, as in its thread
    const opened = readTable(reader, h1);
    assert.equal(opened.table.numRows, 10);
    opened.release();
    writeTable(pool, table(10, 2), { timeout: 5000 }); // overwrites the only slot (no reader holds it; the producer's reference goes with it)
    assert.throws(() => readTable(reader, h1), StaleSlotError);
  });
});
