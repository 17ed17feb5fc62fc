import { claimWaiting, claimWaitingAsync, type RoomClaimer } from './claim-loop.js';
import type { RingControl } from './control.js';
import { InvalidArgumentError, InvalidStateError, RingClosedError } from './errors.js';
import { describe, type Schema, type Entry } from './schema.js';
import type { SlotWriter } from './slot-writer.js';
import { checkWaitOptions, type WaitOptions } from './wait-strategy.js';

/**
 * The producer side of a ring, for one thread. `tryClaim`/`claim` reserve `n` consecutive
 * sequences, the caller writes their slots in place, and `publish(hi)` makes them visible to
 * consumers at once — one store per batch, however large.
 *
 * Threading: a producer object belongs to the thread that created it. In `'single'` mode the
 * ring has exactly one producer; in `'multi'` mode every thread makes its own.
 */
export abstract class Producer<S extends Schema> implements RoomClaimer {
  /** First sequence of the last successful claim. */
  lo = 0;
  /** Last sequence of the last successful claim. */
  hi = 0;
  protected readonly control: RingControl;
  protected readonly capacity: number;
  protected readonly writer: SlotWriter<S>;
  protected closedHandle = false;

  constructor(control: RingControl, writer: SlotWriter<S>) {
    this.control = control;
    this.capacity = control.capacity;
    this.writer = writer;
  }

  /**
   * Tries to claim `n` sequences (1 … capacity) without waiting. On `true` the range is
   * `this.lo … this.hi`; on `false` the ring has no room (gating consumers have not released).
   * @throws {@link RingClosedError} once the ring is closed.
   */
  abstract tryClaim(n: number): boolean;

  /**
   * Publishes claimed sequences up to and including `hi`: consumers may read them once this
   * returns. Publishing is in claim order per producer.
   */
  abstract publish(hi: number): void;

  /** Claims `n` sequences, waiting with the ring's wait strategy while the ring is full. */
  protected abstract claimBlocking(n: number, options: WaitOptions | undefined): number;

  /** Closes this producer (single: closes the ring after the last published entry). */
  abstract close(): void;

  /**
   * Claims `n` sequences, waiting with the ring's wait strategy while the ring is full.
   * @returns the last claimed sequence (`hi`); the first is `(hi - n + 1) | 0`, also in `this.lo`.
   * @throws {@link TimeoutError} after `options.timeout` ms; {@link AbortError} when
   *   `options.signal` aborts; {@link RingClosedError} once the ring is closed.
   */
  claim(n: number, options?: WaitOptions): number {
    return this.claimBlocking(n, options);
  }

  /**
   * Like {@link claim}, but waits with `Atomics.waitAsync` so the thread's event loop keeps
   * running (timers, sockets). Keeps the event loop alive while waiting.
   */
  async claimAsync(n: number, options?: WaitOptions): Promise<number> {
    checkWaitOptions(options, 'claimAsync');
    if (!this.tryClaim(n)) await claimWaitingAsync(this, n, this.control, options, 'claimAsync');
    return this.hi;
  }

  /** {@link RoomClaimer.tryRoom}: {@link tryClaim}. @internal */
  tryRoom(n: number): boolean {
    return this.tryClaim(n);
  }

  /** {@link RoomClaimer.blockedBy}: consumers at or before this sequence block a claim of `n`. @internal */
  blockedBy(n: number): number | undefined {
    return this.control.lossy ? undefined : ((this.claimTarget(n) - this.capacity) | 0) - 1;
  }

  /** The sequence a claim of `n` would end at now (for eviction decisions while waiting). */
  protected abstract claimTarget(n: number): number;

  /**
   * Waits until `tryClaim(n)` succeeds (the timeout-capable path shared by both modes).
   * @returns the last claimed sequence.
   */
  protected claimWithRetry(n: number, options: WaitOptions | undefined): number {
    // Fast path: no options to check and no deadline to compute while there is room.
    if (options === undefined && this.tryClaim(n)) return this.hi;
    claimWaiting(this, n, this.control, options, 'claim');
    return this.hi;
  }

  /** Validates a claim size: an integer in [1, capacity]. */
  protected checkCount(n: number): void {
    if (typeof n !== 'number' || !(n >= 1 && n <= this.capacity && (n | 0) === n)) {
      throw new InvalidArgumentError(`claim size must be an integer in [1, capacity=${this.capacity}]: n=${describe(n)}`);
    }
    if (this.closedHandle) throw new RingClosedError('this producer is closed');
  }

  /**
   * The one range check of every publish path: `hi` must be an Int32 sequence inside the
   * outstanding claim, from `from` (the first claimed sequence not yet published) to `last`
   * (the last claimed). Refuses before anything is stored, so a bad `hi` exposes nothing.
   * @throws {@link InvalidStateError} when nothing is claimed and unpublished;
   *   {@link InvalidArgumentError} for any other `hi` (NaN, a fraction, out of the range).
   */
  protected checkPublish(hi: number, from: number, last: number): void {
    if (typeof hi === 'number' && (hi | 0) === hi && ((hi - from) | 0) >= 0 && ((last - hi) | 0) >= 0) return;
    if (((last - from) | 0) < 0) throw new InvalidStateError(`publish(hi) with nothing claimed and unpublished: claim first: hi=${describe(hi)}`);
    throw new InvalidArgumentError(`publish(hi) must name a claimed, unpublished sequence in [${from}, ${last}]: hi=${describe(hi)}`);
  }

  /**
   * One-call convenience: claims one slot if there is room, writes `value` into it (a number for
   * a one-field schema, else an object with every field) and publishes it.
   * @returns false when the ring is full. Allocates nothing for a one-field numeric schema.
   */
  tryPublishValue(value: number | bigint | Entry<S>): boolean {
    this.writer.check(value);
    if (!this.tryClaim(1)) return false;
    this.writeAndPublish(value);
    return true;
  }

  /** Blocking form of {@link tryPublishValue}: waits for room like {@link claim}. */
  publishValue(value: number | bigint | Entry<S>, options?: WaitOptions): void {
    checkWaitOptions(options, 'publishValue');
    this.writer.check(value);
    this.claimBlocking(1, options);
    this.writeAndPublish(value);
  }

  /** Async form of {@link publishValue}. */
  async publishValueAsync(value: number | bigint | Entry<S>, options?: WaitOptions): Promise<void> {
    this.writer.check(value);
    await this.claimAsync(1, options);
    this.writeAndPublish(value);
  }

  private writeAndPublish(value: number | bigint | Entry<S>): void {
    // `check` ran before the claim, so the write cannot throw and the claimed slot is always published.
    this.writer.write(this.hi, value);
    this.publish(this.hi);
  }
}
