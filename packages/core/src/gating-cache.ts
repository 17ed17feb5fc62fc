import type { RingControl } from './control.js';

/**
 * A producer's cached view of the slowest gating consumer (the Disruptor's `cachedValue`): the
 * gating sequences are re-read only when the cached one says a claim would wrap onto entries
 * not yet released — so a producer with room reads no shared word to claim.
 *
 * Threading: one per producer, used by the producer's thread.
 */
export class GatingCache {
  private cached: number;
  private readonly control: RingControl;
  private readonly capacity: number;

  /** `capacity` in the producer's units (entries, or bytes for byte rings); `from`: the claim position now. */
  constructor(control: RingControl, capacity: number, from: number) {
    this.control = control;
    this.capacity = capacity;
    this.cached = control.minimumGatingSequence(from);
  }

  /** True when claiming up to `next` (from `current`) overwrites nothing a gating consumer holds. */
  hasRoom(current: number, next: number): boolean {
    const wrapPoint = (next - this.capacity) | 0;
    if (((wrapPoint - this.cached) | 0) <= 0) return true;
    let min = this.control.minimumGatingSequence(current);
    if (((wrapPoint - min) | 0) > 0 && this.control.evictAfterMs > 0 && this.control.liveness.evictSilent((wrapPoint - 1) | 0)) {
      // No room because of a consumer silent for longer than evictAfterMs: it is evicted here,
      // so a producer that only ever tries (tryClaim / tryWrite in a loop) is not held for ever
      // by a dead consumer either — the same rule a blocked claim applies.
      min = this.control.minimumGatingSequence(current);
    }
    this.cached = min;
    return ((wrapPoint - min) | 0) <= 0;
  }

  /** Records a gating sequence learnt elsewhere (after waiting for room). */
  update(gating: number): void {
    this.cached = gating;
  }
}
