/**
 * The baselines, each doing the same work as its ringkit case with no ringkit code:
 * - raw: a minimal hand-written SPSC over a `SharedArrayBuffer` (cursor and consumer sequence in
 *   their own 128-byte blocks, Int32 wrap-safe arithmetic, cached gating, busy spin) — the JS limit;
 * - `MessagePort.postMessage` of one number per item;
 * - `ringbuf.js` (npm), SPSC over `Float64Array` storage, push/pop in chunks;
 * - `TypedArray.set` copy bandwidth from private memory into an SAB.
 */
import { RingBuffer } from 'ringbuf.js';
import { CTL, type Task, type WorkerReport } from '../protocol.js';
import { Phases } from './phases.js';
import { RAW_CONSUMED, RAW_CURSOR, RAW_PUBLISH_WAITERS, RAW_RELEASE_WAITERS, rawViews } from './raw-layout.js';
import { awaitMove, spinTriesOf, wakeMoved } from './raw-wake.js';

/** Entries published between two looks at the stop flag. */
export const CHECK_EVERY = 16384;

/** Raw SPSC producer: claim `batch`, write, one cursor store per batch. */
export function rawProducer(task: Task): WorkerReport {
  return rawProducerLoop(task, false);
}

/**
 * The raw producer's loop. With `wake` (the blocking-capable baseline) it waits for room with
 * `awaitMove` (spin, then sleep) and, after each cursor store, wakes a sleeping consumer if the
 * waiter count says there is one; without it, it spins on the consumer's sequence and never wakes
 * anyone. Each worker runs one of the two, so the branch is loop-invariant.
 */
export function rawProducerLoop(task: Task, wake: boolean): WorkerReport {
  const { hdr, data } = rawViews(task.buffer!, task.capacity);
  const mask = task.capacity - 1;
  const capacity = task.capacity;
  const batch = task.batch;
  const spinTries = spinTriesOf(task.waitStrategy);
  const rounds = Math.max(1, Math.floor(CHECK_EVERY / batch));
  const phases = new Phases(task.ctl);
  phases.start();
  let next = -1;
  let gate = -1;
  let k = 0;
  let sum = 0;
  while (!phases.stopped()) {
    for (let r = 0; r < rounds; r++) {
      const hi = (next + batch) | 0;
      const wrap = (hi - capacity) | 0;
      if (((wrap - gate) | 0) > 0) {
        gate = Atomics.load(hdr, RAW_CONSUMED);
        while (((wrap - gate) | 0) > 0) gate = wake ? awaitMove(hdr, RAW_CONSUMED, RAW_RELEASE_WAITERS, gate, spinTries) : Atomics.load(hdr, RAW_CONSUMED);
      }
      for (let s = (next + 1) | 0; ((s - hi) | 0) <= 0; s = (s + 1) | 0) {
        data[s & mask] = k;
        sum = (sum + k) | 0;
        k++;
      }
      Atomics.store(hdr, RAW_CURSOR, hi);
      if (wake) wakeMoved(hdr, RAW_CURSOR, RAW_PUBLISH_WAITERS);
      next = hi;
    }
  }
  phases.closeWith(k);
  if (wake) Atomics.notify(hdr, RAW_CURSOR); // a consumer asleep on the cursor looks at the close now
  return { count: k, checksum: sum, marks: phases.marks };
}

/** Raw SPSC consumer: read everything published, one release store per batch. */
export function rawConsumer(task: Task): WorkerReport {
  const { hdr, data } = rawViews(task.buffer!, task.capacity);
  const mask = task.capacity - 1;
  const phases = new Phases(task.ctl);
  phases.start();
  let next = 0;
  let count = 0;
  let sum = 0;
  for (;;) {
    const avail = Atomics.load(hdr, RAW_CURSOR);
    if (((avail - next) | 0) < 0) {
      const produced = phases.producedIfClosed();
      if (produced >= 0 && count === produced) break;
      continue;
    }
    for (let s = next; ((s - avail) | 0) <= 0; s = (s + 1) | 0) sum = (sum + data[s & mask]!) | 0;
    count += ((avail - next) | 0) + 1;
    Atomics.store(hdr, RAW_CONSUMED, avail);
    next = (avail + 1) | 0;
    phases.tick(count);
  }
  phases.tick(count); // a thread that slept through the last phase change still closes its window
  return { count, checksum: sum, marks: phases.marks };
}

/** Most messages the postMessage sender keeps in flight (so the queue stays bounded). */
const PM_CREDIT = 65536;

/** postMessage baseline sender: one number per message, as fast as the credit allows. */
export function pmSender(task: Task): WorkerReport {
  const port = task.port!;
  const phases = new Phases(task.ctl);
  const ctl = phases.ctl;
  phases.start();
  let k = 0;
  let sum = 0;
  while (!phases.stopped()) {
    for (let r = 0; r < 1024; r++) {
      port.postMessage(k);
      sum = (sum + k) | 0;
      k++;
    }
    for (;;) {
      const received = Atomics.load(ctl, CTL.RECEIVED);
      if (k - received < PM_CREDIT || phases.stopped()) break;
      Atomics.wait(ctl, CTL.RECEIVED, received, 1);
    }
  }
  port.postMessage(-1);
  return { count: k, checksum: sum, marks: phases.marks };
}

/** postMessage baseline receiver: counts on its event loop until the sender's end marker. */
export function pmReceiver(task: Task): Promise<WorkerReport> {
  const port = task.port!;
  const phases = new Phases(task.ctl);
  const ctl = phases.ctl;
  let count = 0;
  let sum = 0;
  return new Promise((resolve) => {
    port.on('message', (v: number) => {
      if (v < 0) {
        port.close();
        phases.tick(count);
        resolve({ count, checksum: sum, marks: phases.marks });
        return;
      }
      sum = (sum + v) | 0;
      count++;
      if ((count & 1023) === 0) {
        Atomics.store(ctl, CTL.RECEIVED, count);
        Atomics.notify(ctl, CTL.RECEIVED);
      }
      phases.tick(count);
    });
    phases.start();
  });
}

/** ringbuf.js producer: fills a private chunk of `batch` values and pushes it (spins when full). */
export function ringbufProducer(task: Task): WorkerReport {
  const rb = new RingBuffer(task.buffer!, Float64Array);
  const chunk = new Float64Array(task.batch);
  const batch = task.batch;
  const rounds = Math.max(1, Math.floor(CHECK_EVERY / batch));
  const phases = new Phases(task.ctl);
  phases.start();
  let k = 0;
  let sum = 0;
  while (!phases.stopped()) {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < batch; i++) {
        chunk[i] = k + i;
        sum = (sum + k + i) | 0;
      }
      let off = 0;
      while (off < batch) off += rb.push(chunk, batch - off, off);
      k += batch;
    }
  }
  phases.closeWith(k);
  return { count: k, checksum: sum, marks: phases.marks };
}

/** ringbuf.js consumer: pops whatever is there (up to 4096 values) into a private array. */
export function ringbufConsumer(task: Task): WorkerReport {
  const rb = new RingBuffer(task.buffer!, Float64Array);
  const out = new Float64Array(4096);
  const phases = new Phases(task.ctl);
  phases.start();
  let count = 0;
  let sum = 0;
  for (;;) {
    const n = rb.pop(out, out.length);
    if (n === 0) {
      const produced = phases.producedIfClosed();
      if (produced >= 0 && count === produced) break;
      continue;
    }
    for (let i = 0; i < n; i++) sum = (sum + out[i]!) | 0;
    count += n;
    phases.tick(count);
  }
  phases.tick(count); // a thread that slept through the last phase change still closes its window
  return { count, checksum: sum, marks: phases.marks };
}

/** Copy baseline: `TypedArray.set` of a private record into successive slots of an SAB. */
export function copyLoop(task: Task): WorkerReport {
  const size = task.recordBytes;
  const dst = new Uint8Array(task.buffer!, 0, size * task.capacity);
  const src = new Uint8Array(size).fill(7);
  const mask = task.capacity - 1;
  const rounds = Math.max(1, Math.floor((1 << 22) / size));
  const phases = new Phases(task.ctl);
  phases.start();
  let k = 0;
  while (!phases.stopped()) {
    for (let r = 0; r < rounds; r++) {
      dst.set(src, (k & mask) * size);
      k++;
    }
    phases.tick(k);
  }
  return { count: k, checksum: 0, marks: phases.marks };
}
