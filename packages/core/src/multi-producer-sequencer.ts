import { claimWaiting, type RoomClaimer } from './claim-loop.js';
import type { RingControl } from './control.js';
import { InvalidStateError, RingClosedError } from './errors.js';
import { CLOSING_INDEX, CURSOR_INDEX, DEAD_CLAIMS_INDEX } from './layout.js';
import { GatingCache } from './gating-cache.js';
import { Producer } from './producer.js';
import { ClaimRecord } from './producer-table.js';
import type { Schema } from './schema.js';
import type { SlotWriter } from './slot-writer.js';
import type { WaitOptions } from './wait-strategy.js';

/**
 * A producer of a `'multi'`-producer ring. Producers claim ranges from one shared claim counter
 * (the CURSOR word) and publish by writing each slot's lap number into the availability array
 * (the Disruptor's availableBuffer), so on a gated ring no producer ever waits for another to
 * publish.
 *
 * - `claim(n)` with no timeout or signal waits for room first, then claims with one
 *   `Atomics.add`, then (if other producers took the room meanwhile) waits for room again — a
 *   claim made by `Atomics.add` cannot be taken back, so that last wait never gives up.
 * - `tryClaim(n)` and timed or abortable claims use a compare-and-swap, so they can give up.
 *
 * On a lossy ring no consumer gates a producer, but a producer does wait for a slower one: it
 * never claims a slot whose previous entry is not published yet (see `hasRoom`).
 *
 * Every claim is recorded in the producer's entry of the ring's producer table (see
 * `producer-table.ts`): if this producer's thread dies between claim and publish, `recover`
 * lets consumers skip the claim as lost instead of waiting for it for ever. A producer holds one
 * claim at a time: publish it (up to `hi`) before claiming again.
 *
 * Threading: one per thread; any number per ring (up to the ring's `maxProducers` at once).
 */
export class MultiProducerSequencer<S extends Schema> extends Producer<S> {
  private readonly gating: GatingCache;
  /** Next sequence of the current claim not yet published (`hi + 1` when all is published). */
  private publishFrom = 1;
  private readonly availableBase: number;
  private readonly mask: number;
  private readonly indexShift: number;
  /** This producer's entry in the ring's producer table. */
  readonly entry: number;
  private readonly record: ClaimRecord;
  /** Room for a claim of n from the current cursor (waited for before the `Atomics.add`). */
  private readonly roomAhead: RoomClaimer;
  /** Room for the claim already made, (claimedFrom, hi]. */
  private readonly roomClaimed: RoomClaimer;
  private claimedFrom = 0;
  /** Lossy rings: every sequence up to here is published (a producer-local lower bound). */
  private publishedPrefix: number;

  constructor(control: RingControl, writer: SlotWriter<S>, entry: number) {
    super(control, writer);
    // A lower bound of the gating minimum: consumers only move forward, so it stays safe.
    this.gating = new GatingCache(control, control.capacity, Atomics.load(control.ctl, CURSOR_INDEX));
    this.availableBase = control.availableBase;
    this.mask = control.mask;
    this.indexShift = control.indexShift;
    this.entry = entry;
    this.record = new ClaimRecord(control.producers, control.ctl, entry);
    // Claims up to the cursor waited for everything a lap before them: published.
    this.publishedPrefix = (Atomics.load(control.ctl, CURSOR_INDEX) - control.capacity) | 0;
    const ctl = control.ctl;
    this.roomAhead = {
      tryRoom: (n) => {
        const current = Atomics.load(ctl, CURSOR_INDEX);
        return this.hasRoom(current, (current + n) | 0);
      },
      blockedBy: (n) => this.blockedBy(n),
    };
    this.roomClaimed = {
      tryRoom: () => this.hasRoom(this.claimedFrom, this.hi),
      blockedBy: () => (control.lossy ? undefined : ((this.hi - this.capacity) | 0) - 1),
    };
  }

  /**
   * True when the claim (current, next] overwrites nothing it must not. Non-lossy rings: no
   * entry a gating consumer has not released. Lossy rings (never gated by consumers): no entry
   * whose producer has not published it yet — else that slower producer would write its slot
   * after this claim's entry was published there, and a consumer would read a torn entry. So
   * the previous occupants of the claimed slots, (current - capacity, next - capacity], must be
   * published (or abandoned by a producer declared dead).
   */
  private hasRoom(current: number, next: number): boolean {
    const control = this.control;
    if (!control.lossy) return this.gating.hasRoom(current, next);
    const wrapPoint = (next - this.capacity) | 0;
    let p = this.publishedPrefix;
    if (((wrapPoint - p) | 0) <= 0) return true;
    const floor = (current - this.capacity) | 0; // checked by the claims before this one
    if (((floor - p) | 0) > 0) p = floor;
    for (;;) {
      p = control.publishedUpTo((p + 1) | 0, wrapPoint);
      if (((wrapPoint - p) | 0) <= 0 || Atomics.load(control.ctl, DEAD_CLAIMS_INDEX) === 0) break;
      const stuck = (p + 1) | 0;
      const end = control.abandonedRunEnd(stuck);
      if (end === stuck) break;
      p = (end - 1) | 0;
    }
    this.publishedPrefix = p;
    return ((wrapPoint - p) | 0) <= 0;
  }

  /** {@inheritDoc Producer.tryClaim} */
  tryClaim(n: number): boolean {
    this.checkClaim(n);
    const control = this.control;
    const ctl = control.ctl;
    const record = this.record;
    let begun = false;
    for (;;) {
      const current = Atomics.load(ctl, CURSOR_INDEX);
      const next = (current + n) | 0;
      if (!this.hasRoom(current, next)) {
        if (begun) record.cancel();
        return false;
      }
      if (!begun) {
        record.begin();
        begun = true;
      }
      if (Atomics.compareExchange(ctl, CURSOR_INDEX, current, next) === current) {
        record.end((current + 1) | 0, (next + 1) | 0);
        this.claimed(current, next);
        return true;
      }
    }
  }

  protected claimBlocking(n: number, options: WaitOptions | undefined): number {
    // With options (a timeout or a signal, or bad options to report) the claim must be able to give up: compare-and-swap.
    if (options !== undefined) return this.claimWithRetry(n, options);
    this.checkClaim(n);
    const control = this.control;
    const ctl = control.ctl;
    // Wait for room before claiming, while giving up is still possible (start timeout, close).
    if (!this.roomAhead.tryRoom(n)) claimWaiting(this.roomAhead, n, control, undefined, 'claim');
    if (Atomics.load(ctl, CLOSING_INDEX) !== 0) throw new RingClosedError();
    this.record.begin();
    const current = Atomics.add(ctl, CURSOR_INDEX, n);
    const next = (current + n) | 0;
    this.record.end((current + 1) | 0, (next + 1) | 0);
    this.claimed(current, next);
    if (!this.hasRoom(current, next)) {
      // Other producers took the room meanwhile: the claim stands, so wait without giving up.
      this.claimedFrom = current;
      claimWaiting(this.roomClaimed, n, control, undefined, 'claim', false);
    }
    return next;
  }

  /** Checks a claim: size, an open producer and ring, no claim outstanding. */
  private checkClaim(n: number): void {
    this.checkCount(n);
    if (((this.hi - this.publishFrom) | 0) >= 0) {
      throw new InvalidStateError(`a claim is outstanding: publish it (up to ${this.hi}) before claiming again (published up to ${(this.publishFrom - 1) | 0})`);
    }
    if (Atomics.load(this.control.ctl, CLOSING_INDEX) !== 0) throw new RingClosedError();
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
    this.checkPublish(hi, from, this.hi);
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
   * This producer is done: further claims through it throw, and its producer-table entry is
   * freed. The ring itself stays open for the other producers; close it with `ring.close()`
   * (any thread) once every producer is done.
   * @throws {@link InvalidStateError} while a claim is outstanding (publish it first).
   */
  close(): void {
    if (this.closedHandle) return;
    if (((this.hi - this.publishFrom) | 0) >= 0) {
      throw new InvalidStateError(`close() with a claim outstanding: publish up to ${this.hi} first (published up to ${(this.publishFrom - 1) | 0})`);
    }
    this.closedHandle = true;
    this.control.producers.release(this.entry);
  }
}
