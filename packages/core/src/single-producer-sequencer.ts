import type { RingControl } from './control.js';
import { InvalidStateError } from './errors.js';
import { CLAIM_INDEX, CURSOR_INDEX } from './layout.js';
import { GatingCache } from './gating-cache.js';
import { Producer } from './producer.js';
import type { Schema } from './schema.js';
import type { SlotWriter } from './slot-writer.js';
import type { WaitOptions } from './wait-strategy.js';

/**
 * The producer of a `'single'`-producer ring. Claiming is plain arithmetic on a thread-local
 * counter; the shared cursor is stored once per publish. The slowest gating consumer is cached
 * and re-read only when the cache says the claim would wrap onto unreleased slots (the
 * Disruptor's `cachedValue`).
 *
 * Threading: exactly one per ring, used by one thread.
 */
export class SingleProducerSequencer<S extends Schema> extends Producer<S> {
  /** Last claimed sequence (thread-local). */
  private nextValue: number;
  /** Last published sequence. */
  private published: number;
  private readonly gating: GatingCache;
  /** Lossy: the claim end this producer has announced in CLAIM (see `RingControl.announceOverwrite`). */
  private announced: number;

  constructor(control: RingControl, writer: SlotWriter<S>) {
    super(control, writer);
    const cursor = Atomics.load(control.ctl, CURSOR_INDEX);
    this.nextValue = cursor;
    this.published = cursor;
    this.gating = new GatingCache(control, control.capacity, cursor);
    this.announced = Atomics.load(control.ctl, CLAIM_INDEX);
  }

  /** {@inheritDoc Producer.tryClaim} */
  tryClaim(n: number): boolean {
    this.checkCount(n);
    const current = this.nextValue;
    const next = (current + n) | 0;
    const control = this.control;
    if (!control.lossy) {
      if (!this.gating.hasRoom(current, next)) return false;
    } else {
      this.announced = control.announceOverwrite(next, this.announced); // before writing slots
    }
    this.nextValue = next;
    this.lo = (current + 1) | 0;
    this.hi = next;
    return true;
  }

  protected claimBlocking(n: number, options: WaitOptions | undefined): number {
    return this.claimWithRetry(n, options);
  }

  protected claimTarget(n: number): number {
    return (this.nextValue + n) | 0;
  }

  /** {@inheritDoc Producer.publish} */
  publish(hi: number): void {
    this.checkPublish(hi, (this.published + 1) | 0, this.nextValue);
    this.published = hi;
    Atomics.store(this.control.ctl, CURSOR_INDEX, hi); // the release: slots ≤ hi are visible to any thread that sees it
    this.control.signalPublished();
  }

  /**
   * Closes the ring after the last published sequence: consumers drain everything published and
   * then see the end. Claimed but unpublished sequences are dropped (they were never visible).
   */
  close(): void {
    if (this.closedHandle) return;
    if (this.published !== this.nextValue) {
      throw new InvalidStateError(`close() with claimed but unpublished sequences: publish up to ${this.nextValue} first (published=${this.published})`);
    }
    this.closedHandle = true;
    this.control.closeAt(this.published);
  }
}
