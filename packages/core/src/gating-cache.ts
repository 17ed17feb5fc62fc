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
    return ((wrapPoint - this.minimumFor(current, next)) | 0) <= 0;
  }

  /**
   * The slowest gating sequence now (re-read, and cached), for a claim up to `next` from
   * `current`. When that claim has no room because of a consumer silent for longer than
   * `evictAfterMs`, the consumer is evicted here first — so a producer that only ever tries
   * (tryClaim / tryWrite in a loop) is not held for ever by a dead consumer either: the same rule
   * a blocked claim applies. Every producer's room check comes here (typed rings, byte rings,
   * single and multi producer).
   */
  minimumFor(current: number, next: number): number {
    const control = this.control;
    const wrapPoint = (next - this.capacity) | 0;
    let min = control.minimumGatingSequence(current);
    if (((wrapPoint - min) | 0) > 0 && control.evictAfterMs > 0 && control.liveness.evictSilent((wrapPoint - 1) | 0)) {
      min = control.minimumGatingSequence(current);
    }
    this.cached = min;
    return min;
  }

  /** Records a gating sequence learnt elsewhere (after waiting for room). */
  update(gating: number): void {
    this.cached = gating;
  }
}
