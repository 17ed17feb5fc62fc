/**
 * The reader thread of the example: attaches to the pool, opens every table it is sent in
 * place, sums its columns, checks that the column buffers live in the shared memory, releases.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SlotPool, type RegionDescriptor, type SlotHandle } from '@ringkit/core';
import { readTable } from './index.js';

const pool = SlotPool.attach(workerData as RegionDescriptor);
parentPort!.on('message', (m: SlotHandle | 'end') => {
  if (m === 'end') {
    parentPort!.close();
    return;
  }
  // The producer handed its reference over with the handle: read in place, then release it.
  const { table, release } = readTable(pool, m, true);
  const ts = table.getChild('ts')!;
  let sum = 0;
  for (const chunk of ts.data) for (const v of chunk.values as Float64Array) sum += v;
  const zeroCopy = ts.data.every((chunk) => (chunk.values as Float64Array).buffer === pool.data.buffer);
  const rows = table.numRows;
  release();
  parentPort!.postMessage({ slot: m.slot, rows, sum, zeroCopy });
});
