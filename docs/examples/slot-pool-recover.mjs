// Slot pool owners and recovery: a worker thread holding slots is terminated; recover(owner)
// frees exactly its references. Run: node docs/examples/slot-pool-recover.mjs
import { Worker } from 'node:worker_threads';
import { SlotPool } from '@ringkit/core';

const pool = SlotPool.create({ slotBytes: 64, slotCount: 4, holders: 2, owner: 1 });
const s = pool.allocate(1);
const handle = pool.markReady(s, 1);

// Owner 2: a worker that acquires our slot, writes one slot, marks another ready, then hangs.
const worker = new Worker(`
  const { workerData, parentPort } = require('node:worker_threads');
  import(workerData.core).then(({ SlotPool }) => {
    const pool = SlotPool.attach(workerData.descriptor, { owner: 2 });
    pool.acquire(workerData.handle);
    pool.allocate(1);
    pool.markReady(pool.allocate(1), 1);
    parentPort.postMessage('holding');
  });
  setInterval(() => {}, 1000);`, { eval: true, workerData: { core: import.meta.resolve('@ringkit/core'), descriptor: pool.descriptor, handle } });
await new Promise((resolve) => worker.once('message', resolve));
pool.release(handle); // our producer reference: the worker's acquire still holds the slot
console.log('worker holding:', pool.occupancy());
await worker.terminate();
console.log(pool.recover(2));
console.log('after recover:', pool.occupancy());
