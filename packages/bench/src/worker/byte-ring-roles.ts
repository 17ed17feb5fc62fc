/**
 * The variable-length byte ring (`ByteRing`): the same work as
 * the fixed-slot byte cases — copy a record in with `TypedArray.set`, stamp it, commit; copy each
 * batch out and check the stamps.
 */
import { ByteRing } from '@ringkit/core';
import type { Task, WorkerReport } from '../protocol.js';
import { drain, Phases } from './phases.js';
import { writeRecord } from './ring-roles.js';

function attach(task: Task): ByteRing {
  return ByteRing.attach(task.descriptor!, { waitStrategy: task.waitStrategy });
}

/** Byte ring producer: one record of `recordBytes` per claim. */
export function byteRingProducer(task: Task): WorkerReport {
  const ring = attach(task);
  const p = ring.producer();
  const data = ring.data;
  const size = task.recordBytes;
  const src = new Uint8Array(size).fill(7);
  const phases = new Phases(task.ctl);
  phases.start();
  let k = 0;
  let sum = 0;
  while (!phases.stopped()) {
    let at = p.tryClaimOffset(size);
    if (at < 0) at = p.claimOffset(size);
    sum = (sum + writeRecord(data, at, src, k)) | 0;
    p.commit();
    k++;
  }
  p.close();
  return { count: k, checksum: sum, marks: phases.marks };
}

/** Byte ring reader: copies each batch out (one `set` when its frames are contiguous) and checks stamps. */
export function byteRingConsumer(task: Task): WorkerReport {
  const ring = attach(task);
  const r = ring.openReader(task.consumerId!);
  const data = ring.data;
  const dst = new Uint8Array(data.length);
  const b = r.batch;
  const phases = new Phases(task.ctl);
  phases.start();
  return drain(r, phases, (n) => {
    const first = b.offset(0);
    const last = b.offset(n - 1) + b.length(n - 1);
    if (last > first) dst.set(data.subarray(first, last), 0);
    else for (let i = 0; i < n; i++) dst.set(data.subarray(b.offset(i), b.offset(i) + b.length(i)), 0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const at = b.offset(i);
      sum = (sum + data[at]! + data[at + b.length(i) - 1]!) | 0;
    }
    return sum;
  });
}
