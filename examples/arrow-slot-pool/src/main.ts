/**
 * Runs the example: `node examples/arrow-slot-pool/dist/src/main.js`. Sends 5 Arrow tables
 * through a 4-slot pool to a reader thread and prints what the reader saw.
 */
import { Worker } from 'node:worker_threads';
import { tableFromArrays } from 'apache-arrow';
import { SlotPool } from '@ringkit/core';
import { writeTable } from './index.js';

const pool = SlotPool.create({ slotBytes: 1 << 20, slotCount: 4 });
const reader = new Worker(new URL('./reader-worker.js', import.meta.url), { workerData: pool.descriptor });
const results = new Promise<void>((resolve) => {
  let seen = 0;
  reader.on('message', (r: { slot: number; rows: number; sum: number; zeroCopy: boolean }) => {
    console.log(`reader: slot ${r.slot}: ${r.rows} rows, sum(ts) = ${r.sum}, column buffers in shared memory: ${r.zeroCopy}`);
    if (++seen === 5) resolve();
  });
});
for (let k = 0; k < 5; k++) {
  const rows = 10_000 * (k + 1);
  const table = tableFromArrays({
    ts: Float64Array.from({ length: rows }, (_, i) => i),
    value: Int32Array.from({ length: rows }, (_, i) => i * k),
  });
  const handle = writeTable(pool, table, { timeout: 5000 });
  console.log(`producer: table ${k} (${rows} rows) in slot ${handle.slot}, ${handle.length} bytes, generation ${handle.generation}`);
  reader.postMessage(handle); // the producer's reference goes with it: the reader releases the slot
}
await results;
reader.postMessage('end');
console.log('pool stats:', pool.stats(), 'occupancy:', pool.occupancy());
