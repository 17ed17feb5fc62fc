import type { RingControl } from './control.js';
import { InvalidArgumentError, RingClosedError } from './errors.js';
import { CLOSING_INDEX, CURSOR_INDEX, RELEASE_SIGNAL_INDEX, RELEASE_WAITERS_INDEX } from './layout.js';
import { GatingCache } from './gating-cache.js';
import { Producer } from './producer.js';
import { describe, type Schema } from './schema.js';
import type { SlotWriter } from './slot-writer.js';
import { MAX_SLEEP_MS, type WaitOptions } from './wait-strategy.js';

/**
 * A producer of a `'multi'`-producer ring. Producers claim ranges from one shared claim counter
 * (the CURSOR word) and publish by writing each slot's lap number into the availability array
 * (the Disruptor's availableBuffer), so no producer ever waits for another to publish.
 *
 * - `claim(n)` with no timeout or signal claims with one `Atomics.add`, then waits for room.
 * - `tryClaim(n)` and timed or abortable claims use a compare-and-swap, because a claim made by
 *   `Atomics.add` cannot be taken back if the wait for room gives up.
 *
 * Threading: one per thread; any number per ring.
 */
export class MultiProducerSequencer<S extends Schema> extends Producer<S> {
  private readonly gating: GatingCache;
  /** Next sequence of the current claim not yet published. */
  private publishFrom = 0;
  private readonly availableBase: number;
  private readonly mask: number;
  private readonly indexShift: number;

  constructor(control: RingControl, writer: SlotWriter<S>) {
    super(control, writer);
    // A lower bound of the gating minimum: consumers only move forward, so it stays safe.
    this.gating = new GatingCache(control, control.capacity, Atomics.load(control.ctl, CURSOR_INDEX));
    this.availableBase = control.availableBase;
    this.mask = control.mask;
    this.indexShift = control.indexShift;
  }

  /** {@inheritDoc Producer.tryClaim} */
  tryClaim(n: number): boolean {
    this.checkCount(n);
    const control = this.control;
    const ctl = control.ctl;
    if (Atomics.load(ctl, CLOSING_INDEX) !== 0) throw new RingClosedError();
    for (;;) {
      const current = Atomics.load(ctl, CURSOR_INDEX);
      const next = (current + n) | 0;
      if (!control.lossy && !this.gating.hasRoom(current, next)) return false;
      if (Atomics.compareExchange(ctl, CURSOR_INDEX, current, next) === current) {
        this.claimed(current, next);
        return true;
      }
    }
  }

  protected claimBlocking(n: number, options: WaitOptions | undefined): number {
    if (options !== undefined && (options.timeout !== undefined || options.signal !== undefined)) {
      return this.claimWithRetry(n, options);
    }
    this.checkCount(n);
    const control = this.control;
    const ctl = control.ctl;
    if (Atomics.load(ctl, CLOSING_INDEX) !== 0) throw new RingClosedError();
    const current = Atomics.add(ctl, CURSOR_INDEX, n);
    const next = (current + n) | 0;
    this.claimed(current, next);
    if (!control.lossy && !this.gating.hasRoom(current, next)) this.gating.update(this.awaitRoom((next - this.capacity) | 0, current));
    return next;
  }

  /** Waits (no time limit: the claim is already made) until the gating consumers release past `wrapPoint`. */
  private awaitRoom(wrapPoint: number, fallback: number): number {
    const control = this.control;
    let spins = 0;
    for (;;) {
      const min = control.minimumGatingSequence(fallback);
      if (((wrapPoint - min) | 0) <= 0) return min;
      if (control.strategy.kind === 'busySpin' || ++spins <= control.strategy.spinTries) continue;
      control.evictStale((wrapPoint - 1) | 0);
      const ctl = control.ctl;
      Atomics.add(ctl, RELEASE_WAITERS_INDEX, 1);
      const observed = Atomics.load(ctl, RELEASE_SIGNAL_INDEX);
      if (((wrapPoint - control.minimumGatingSequence(fallback)) | 0) > 0) control.strategy.waiter.wait(ctl, RELEASE_SIGNAL_INDEX, observed, MAX_SLEEP_MS);
      Atomics.sub(ctl, RELEASE_WAITERS_INDEX, 1);
    }
  }

  /** Records a successful claim of (current, next]; learns whether a concurrent close left it outside. */
  private claimed(current: number, next: number): void {
    const control = this.control;
    if (Atomics.load(control.ctl, CLOSING_INDEX) !== 0) {
      const final = control.waitForFinal();
      if (((next - final) | 0) > 0) throw new RingClosedError('the ring was closed before this claim');
    }
    this.lo = (current + 1) | 0;
    this.hi = next;
    this.publishFrom = this.lo;
  }

  protected claimTarget(n: number): number {
    return (Atomics.load(this.control.ctl, CURSOR_INDEX) + n) | 0;
  }

  /** {@inheritDoc Producer.publish} */
  publish(hi: number): void {
    const from = this.publishFrom;
    if (typeof hi !== 'number' || ((hi - this.hi) | 0) > 0 || ((hi - from) | 0) < 0) {
      throw new InvalidArgumentError(`publish(hi) must name a claimed, unpublished sequence in [${from}, ${this.hi}]: hi=${describe(hi)}`);
    }
    const ctl = this.control.ctl;
    const base = this.availableBase;
    const mask = this.mask;
    const shift = this.indexShift;
    for (let s = from; ; s = (s + 1) | 0) {
      Atomics.store(ctl, base + (s & mask), s >> shift); // the slot's lap number: published
      if (s === hi) break;
    }
    this.publishFrom = (hi + 1) | 0;
    this.control.signalPublished();
  }

  /**
   * This producer is done: further claims through it throw. The ring itself stays open for the
   * other producers; close it with `ring.close()` (any thread) once every producer is done.
   */
  close(): void {
    this.closedHandle = true;
  }
}
