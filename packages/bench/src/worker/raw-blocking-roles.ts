/**
 * The blocking-capable raw baseline (`baseline.raw.blocking.*`): the spin-only raw loop of
 * `baseline-roles.ts` plus the cheapest correct wake protocol (`raw-wake.ts`), so a consumer may
 * sleep while the ring is empty and the producer while it is full. Per item the producer pays one
 * waiter-count load after its cursor store, and the consumer one after its release store: what
 * "can wake a sleeper" costs without any library.
 */
import type { Task, WorkerReport } from '../protocol.js';
import { rawProducerLoop } from './baseline-roles.js';
import { Phases } from './phases.js';
import { RAW_CONSUMED, RAW_CURSOR, RAW_PUBLISH_WAITERS, RAW_RELEASE_WAITERS, rawViews } from './raw-layout.js';
import { awaitMove, spinTriesOf, wakeMoved } from './raw-wake.js';

/** Producer: claim `batch`, waiting (spin, then sleep) while full; write; store the cursor; wake a sleeping consumer. */
export function rawBlockingProducer(task: Task): WorkerReport {
  return rawProducerLoop(task, true);
}

/** Consumer: read everything published (spin, then sleep while empty); one release store per batch; wake a sleeping producer. */
export function rawBlockingConsumer(task: Task): WorkerReport {
  const { hdr, data } = rawViews(task.buffer!, task.capacity);
  const mask = task.capacity - 1;
  const spinTries = spinTriesOf(task.waitStrategy);
  const phases = new Phases(task.ctl);
  phases.start();
  let next = 0;
  let count = 0;
  let sum = 0;
  let avail = Atomics.load(hdr, RAW_CURSOR);
  for (;;) {
    if (((avail - next) | 0) < 0) {
      const produced = phases.producedIfClosed();
      if (produced >= 0 && count === produced) break;
      avail = awaitMove(hdr, RAW_CURSOR, RAW_PUBLISH_WAITERS, avail, spinTries);
      continue;
    }
    for (let s = next; ((s - avail) | 0) <= 0; s = (s + 1) | 0) sum = (sum + data[s & mask]!) | 0;
    count += ((avail - next) | 0) + 1;
    Atomics.store(hdr, RAW_CONSUMED, avail);
    wakeMoved(hdr, RAW_CONSUMED, RAW_RELEASE_WAITERS);
    next = (avail + 1) | 0;
    phases.tick(count);
    avail = Atomics.load(hdr, RAW_CURSOR);
  }
  phases.tick(count); // a thread that slept through the last phase change still closes its window
  return { count, checksum: sum, marks: phases.marks };
}
