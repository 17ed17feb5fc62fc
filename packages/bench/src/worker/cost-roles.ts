/**
 * Per-item cost on one thread (`cost.*`): claim 1, write, publish, poll, read, release — the
 * producer's and the consumer's whole per-item protocol with no second thread, so no cache line
 * moves between cores and the figure is the instructions and atomics each implementation runs.
 * Less sensitive to other load than the two-thread cases (it needs one core, not two). Three
 * implementations: ringkit (public API), the spin-only raw loop, the raw loop with the wake
 * protocol of `raw-wake.ts` (one waiter-count load after each sequence store).
 */
import { Ring } from '@ringkit/core';
import type { Task, WorkerReport } from '../protocol.js';
import { CHECK_EVERY } from './baseline-roles.js';
import { Phases } from './phases.js';
import { RAW_CONSUMED, RAW_CURSOR, RAW_PUBLISH_WAITERS, RAW_RELEASE_WAITERS, rawViews } from './raw-layout.js';
import { wakeMoved } from './raw-wake.js';

function report(k: number, written: number, read: number, phases: Phases): WorkerReport {
  if (written !== read) return { count: 0, checksum: 0, marks: phases.marks, error: `read back checksum ${read}, wrote ${written}` };
  return { count: k, checksum: written, marks: phases.marks };
}

/** ringkit: a ring with one consumer, both ends in this thread. */
export function costRing(task: Task): WorkerReport {
  const ring = Ring.attach<{ value: 'f64' }>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const c = ring.openConsumer(task.consumerId!);
  const p = ring.producer();
  const col = ring.columns.value;
  const mask = ring.mask;
  const b = c.batch;
  const phases = new Phases(task.ctl);
  phases.start();
  let k = 0;
  let written = 0;
  let read = 0;
  while (!phases.stopped()) {
    for (let r = 0; r < CHECK_EVERY; r++) {
      if (!p.tryClaim(1)) throw new Error('ring full with its consumer caught up');
      col[p.hi & mask] = k;
      written = (written + k) | 0;
      k++;
      p.publish(p.hi);
      const n = c.tryPoll();
      for (let i = 0; i < n; i++) read = (read + col[b.index(i)]!) | 0;
    }
    phases.tick(k);
  }
  c.release();
  return report(k, written, read, phases);
}

function rawCost(task: Task, wake: boolean): WorkerReport {
  const { hdr, data } = rawViews(task.buffer!, task.capacity);
  const capacity = task.capacity;
  const mask = capacity - 1;
  const phases = new Phases(task.ctl);
  phases.start();
  let next = -1;
  let gate = -1;
  let cnext = 0;
  let k = 0;
  let written = 0;
  let read = 0;
  while (!phases.stopped()) {
    for (let r = 0; r < CHECK_EVERY; r++) {
      const hi = (next + 1) | 0;
      const wrap = (hi - capacity) | 0;
      if (((wrap - gate) | 0) > 0) gate = Atomics.load(hdr, RAW_CONSUMED);
      if (((wrap - gate) | 0) > 0) throw new Error('ring full with its consumer caught up');
      data[hi & mask] = k;
      written = (written + k) | 0;
      k++;
      Atomics.store(hdr, RAW_CURSOR, hi);
      if (wake) wakeMoved(hdr, RAW_CURSOR, RAW_PUBLISH_WAITERS);
      next = hi;
      const avail = Atomics.load(hdr, RAW_CURSOR);
      if (((avail - cnext) | 0) >= 0) {
        for (let s = cnext; ((s - avail) | 0) <= 0; s = (s + 1) | 0) read = (read + data[s & mask]!) | 0;
        Atomics.store(hdr, RAW_CONSUMED, avail);
        if (wake) wakeMoved(hdr, RAW_CONSUMED, RAW_RELEASE_WAITERS);
        cnext = (avail + 1) | 0;
      }
    }
    phases.tick(k);
  }
  return report(k, written, read, phases);
}

/** The spin-only raw loop, both ends in this thread. */
export function costRaw(task: Task): WorkerReport {
  return rawCost(task, false);
}

/** The raw loop with the wake protocol, both ends in this thread. */
export function costRawBlocking(task: Task): WorkerReport {
  return rawCost(task, true);
}
