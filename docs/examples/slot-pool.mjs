// Slot pool basics: states, references, generations. Run: node docs/examples/slot-pool.mjs
import { TextDecoder } from 'node:util';
import { SlotPool, StaleSlotError } from '@ringkit/core';

const pool = SlotPool.create({ slotBytes: 4096, slotCount: 2, whenFull: 'overwrite' });
const slot = pool.allocate(5);                  // FREE → WRITING, a writable view of the slot
slot.view.set([104, 101, 108, 108, 111]);
const handle = pool.markReady(slot, 5);         // WRITING → READY; the handle is structured-clonable
console.log('handle', handle, pool.occupancy());
const view = pool.acquire(handle);              // a reader's reference (any thread), zero-copy
console.log('reader sees', new TextDecoder().decode(view.slice()), 'readers:', pool.readers(handle));
pool.release(handle);                           // the reader's reference
pool.release(handle);                           // the producer's reference: k + 1 releases free it
console.log(pool.occupancy());
const a = pool.markReady(pool.allocate(1), 1);
pool.markReady(pool.allocate(1), 1);
pool.allocate(1);                               // full: overwrites the oldest READY slot (a's)
try {
  pool.acquire(a);
} catch (e) {
  console.log(e instanceof StaleSlotError, e.message);
}
console.log(pool.stats());
