import { POLL_CLOSED, POLL_EMPTY } from '@ringkit/core';
import { CTL, type WorkerReport } from '../protocol.js';

/**
 * A worker's view of the control block: start-up handshake, phase marks and the stop flag.
 * Threading: one per worker.
 */
export class Phases {
  readonly ctl: Int32Array;
  /** Flat `(phase, count, timeMs)` triplets (see `WorkerReport.marks`). */
  readonly marks: number[] = [];
  private seen = 0;

  constructor(ctl: SharedArrayBuffer) {
    this.ctl = new Int32Array(ctl);
  }

  /** Says "ready" and blocks until the main thread starts the run (phase 1). */
  start(): void {
    const ctl = this.ctl;
    Atomics.add(ctl, CTL.READY, 1);
    Atomics.notify(ctl, CTL.READY);
    while (Atomics.load(ctl, CTL.PHASE) === 0) Atomics.wait(ctl, CTL.PHASE, 0, 50);
    this.seen = Atomics.load(ctl, CTL.PHASE);
    this.marks.push(this.seen, 0, performance.now());
    Atomics.add(ctl, CTL.STARTED, 1);
  }

  /** Records a mark if the phase moved since the last call (one `Atomics.load` otherwise). */
  tick(count: number): void {
    const ph = Atomics.load(this.ctl, CTL.PHASE);
    if (ph !== this.seen) {
      this.seen = ph;
      this.marks.push(ph, count, performance.now());
    }
  }

  /** True once the main thread asked the producers to stop. */
  stopped(): boolean {
    return Atomics.load(this.ctl, CTL.STOP) !== 0;
  }

  /** Hand-written baselines: publishes the producer's final count and closes. */
  closeWith(count: number): void {
    const ctl = this.ctl;
    Atomics.store(ctl, CTL.PRODUCED_HI, Math.floor(count / 2 ** 30));
    Atomics.store(ctl, CTL.PRODUCED_LO, count % 2 ** 30);
    Atomics.store(ctl, CTL.CLOSED, 1);
    Atomics.notify(ctl, CTL.CLOSED);
  }

  /** The final count of a closed baseline producer, or -1 while it runs. */
  producedIfClosed(): number {
    const ctl = this.ctl;
    if (Atomics.load(ctl, CTL.CLOSED) === 0) return -1;
    return Atomics.load(ctl, CTL.PRODUCED_HI) * 2 ** 30 + Atomics.load(ctl, CTL.PRODUCED_LO);
  }
}

/** What {@link drain} polls: a ringkit consumer or byte-ring reader. */
export interface Pollable {
  tryPoll(): number;
  poll(): number;
}

/**
 * The consumer loop every ringkit reader role shares: poll (spin/sleep per the wait strategy)
 * until the ring is closed and drained, hand each batch to `read` (which returns the batch's
 * checksum), count, and mark phases. `read` is one closure per worker, called once per batch.
 */
export function drain(c: Pollable, phases: Phases, read: (n: number) => number): WorkerReport {
  let count = 0;
  let sum = 0;
  for (;;) {
    let n = c.tryPoll();
    if (n === POLL_EMPTY) n = c.poll();
    if (n === POLL_CLOSED) break;
    sum = (sum + read(n)) | 0;
    count += n;
    phases.tick(count);
  }
  phases.tick(count); // a thread that slept through the last phase change still closes its window
  return { count, checksum: sum, marks: phases.marks };
}
