import type { RingControl } from './control.js';
import { CURSOR_INDEX, DEAD_CLAIMS_INDEX, PUBLISH_SIGNAL_INDEX, PUBLISH_WAITERS_INDEX, RELEASE_SIGNAL_INDEX, RELEASE_WAITERS_INDEX } from './layout.js';

/**
 * What a consumer may read: the highest sequence that is both published and released by every
 * consumer it runs after (the Disruptor's SequenceBarrier). Without dependencies that is the
 * cursor (single producer) or the contiguous prefix of the availability array (multi producer);
 * with dependencies it is the slowest upstream sequence, which is never ahead of the cursor —
 * and, on a multi-producer ring where a producer was declared dead, never past the first
 * unpublished slot either (the upstream consumers skipped the dead claim as lost; this consumer
 * must skip it too, not read it).
 *
 * Threading: one per consumer, used by that consumer's thread.
 */
export class SequenceBarrier {
  private readonly control: RingControl;
  private readonly depsMask: number;
  private deps: Int32Array;
  private depsEpoch: number;
  /** The signal word to sleep on: upstream releases if there are dependencies, else publishes. */
  readonly signalIndex: number;
  /** The waiter count that goes with {@link signalIndex}. */
  readonly waitersIndex: number;

  constructor(control: RingControl, depsMask: number) {
    this.control = control;
    this.depsMask = depsMask;
    this.depsEpoch = control.epoch();
    this.deps = Int32Array.from(control.resolveDeps(depsMask));
    this.signalIndex = depsMask !== 0 ? RELEASE_SIGNAL_INDEX : PUBLISH_SIGNAL_INDEX;
    this.waitersIndex = depsMask !== 0 ? RELEASE_WAITERS_INDEX : PUBLISH_WAITERS_INDEX;
  }

  /**
   * The highest readable sequence, at least `next - 1`. Reads shared memory: call only when the
   * consumer's cached value is used up.
   */
  available(next: number): number {
    const control = this.control;
    const ctl = control.ctl;
    if (this.depsMask !== 0) {
      const epoch = control.epoch();
      if (epoch !== this.depsEpoch) {
        this.deps = Int32Array.from(control.resolveDeps(this.depsMask));
        this.depsEpoch = epoch;
      }
      if (this.deps.length > 0) {
        const upstream = control.minimumOf(this.deps, Atomics.load(ctl, CURSOR_INDEX));
        if (control.availableBase < 0 || Atomics.load(ctl, DEAD_CLAIMS_INDEX) === 0) return upstream;
        return control.publishedUpTo(next, upstream);
      }
    }
    const cursor = Atomics.load(ctl, CURSOR_INDEX);
    if (control.availableBase < 0) return cursor;
    return control.publishedUpTo(next, cursor);
  }
}
