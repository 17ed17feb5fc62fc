/**
 * The ringkit side of the benchmarks: producers and consumers on a typed ring, through the
 * public API only (claim → write in place → publish; poll → read in place → release).
 */
import { Ring, type BytesField } from '@ringkit/core';
import type { Task, WorkerReport } from '../protocol.js';
import { drain, Phases } from './phases.js';

type F64Schema = { value: 'f64' };
type BytesSchema = { data: BytesField };

/** Entries published between two looks at the stop flag. */
const CHECK_EVERY = 16384;

/** Publishes `value = k` (k = 0, 1, …) in claims of `task.batch` until told to stop. */
export function ringProducer(task: Task): WorkerReport {
  const ring = Ring.attach<F64Schema>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const p = ring.producer();
  const col = ring.columns.value;
  const mask = ring.mask;
  const batch = task.batch;
  const rounds = Math.max(1, Math.floor(CHECK_EVERY / batch));
  const phases = new Phases(task.ctl);
  phases.start();
  let k = 0;
  let sum = 0;
  while (!phases.stopped()) {
    for (let r = 0; r < rounds; r++) {
      if (!p.tryClaim(batch)) p.claim(batch);
      const lo = p.lo;
      for (let i = 0; i < batch; i++) {
        col[(lo + i) & mask] = k;
        sum = (sum + k) | 0;
        k++;
      }
      p.publish(p.hi);
    }
  }
  if (!task.multiProducer) p.close();
  return { count: k, checksum: sum, marks: phases.marks };
}

/**
 * Reads every batch until the ring is closed and drained. Batched cases read through the
 * batch's zero-copy `slices`; per-item cases through `batch.index(i)`.
 */
export function ringConsumer(task: Task): WorkerReport {
  const ring = Ring.attach<F64Schema>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const c = ring.openConsumer(task.consumerId!);
  const col = ring.columns.value;
  const b = c.batch;
  const phases = new Phases(task.ctl);
  phases.start();
  if (task.batch > 1) {
    return drain(c, phases, () => {
      let sum = 0;
      const [first, second] = b.slices('value');
      for (let i = 0; i < first.length; i++) sum = (sum + first[i]!) | 0;
      if (second !== undefined) for (let i = 0; i < second.length; i++) sum = (sum + second[i]!) | 0;
      return sum;
    });
  }
  return drain(c, phases, (n) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum = (sum + col[b.index(i)]!) | 0;
    return sum;
  });
}

/**
 * Copies record `k` (`src`) into `data` at `at` with `TypedArray.set` and stamps it: its low byte
 * first, its next byte last. @returns the stamp's checksum contribution.
 */
export function writeRecord(data: Uint8Array, at: number, src: Uint8Array, k: number): number {
  data.set(src, at);
  data[at] = k & 255;
  data[at + src.length - 1] = (k >>> 8) & 255;
  return (k & 255) + ((k >>> 8) & 255);
}

/**
 * Fixed byte slots: copies a `recordBytes` record from private memory into each claimed slot
 * (`TypedArray.set`, the same call as the copy baseline), stamps it and publishes it.
 */
export function bytesProducer(task: Task): WorkerReport {
  const ring = Ring.attach<BytesSchema>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const p = ring.producer();
  const col = ring.columns.data;
  const size = task.recordBytes;
  const mask = ring.mask;
  const src = new Uint8Array(size).fill(7);
  const phases = new Phases(task.ctl);
  phases.start();
  let k = 0;
  let sum = 0;
  while (!phases.stopped()) {
    if (!p.tryClaim(1)) p.claim(1);
    sum = (sum + writeRecord(col, (p.hi & mask) * size, src, k)) | 0;
    k++;
    p.publish(p.hi);
  }
  p.close();
  return { count: k, checksum: sum, marks: phases.marks };
}

/** Fixed byte slots: copies each batch out into private memory (one `set` per slice), checks stamps. */
export function bytesConsumer(task: Task): WorkerReport {
  const ring = Ring.attach<BytesSchema>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const c = ring.openConsumer(task.consumerId!);
  const size = task.recordBytes;
  const dst = new Uint8Array(size * ring.capacity);
  const b = c.batch;
  const phases = new Phases(task.ctl);
  phases.start();
  return drain(c, phases, (n) => {
    const [first, second] = b.slices('data');
    dst.set(first, 0);
    if (second !== undefined) dst.set(second, first.length);
    let sum = 0;
    for (let i = 0; i < n; i++) sum = (sum + dst[i * size]! + dst[i * size + size - 1]!) | 0;
    return sum;
  });
}
