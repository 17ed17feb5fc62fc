import type { SequenceBarrier } from './barrier.js';
import type { RingControl } from './control.js';
import { EvictedError, InvalidArgumentError, InvalidStateError, LappedError } from './errors.js';
import { CLAIM_INDEX, CONSUMER_STATE, CURSOR_INDEX, DEAD_CLAIMS_INDEX } from './layout.js';
import { describe, type ColumnOf, type Schema } from './schema.js';
import { batchesOf, checkMax, POLL_CLOSED, POLL_EMPTY, pollMax, pollWaiting, pollWaitingAsync, type Pollable, type PollOptions } from './poll-loop.js';

/** Where a batch finds its columns: the ring's column views, by field name, and bytes per entry. */
export interface ColumnSet {
  readonly views: Readonly<Record<string, ArrayBufferView>>;
  readonly bytesPerEntry: Readonly<Record<string, number>>;
  readonly capacity: number;
  readonly mask: number;
}

/**
 * The entries a consumer holds between a successful poll and its release: sequences
 * `lo … lo + count - 1` (Int32, wrap-safe). One object per consumer, reused for every batch.
 */
export class Batch<S extends Schema> {
  /** First sequence of the batch. */
  lo = 0;
  /** Number of entries. */
  count = 0;
  /**
   * Entries skipped just before this batch, never to be read: overwritten before this consumer
   * read them (lossy rings, `lossyPolicy: 'skip'`), or claimed by a producer that was declared
   * dead before it published them (`Ring.recover`; any ring).
   */
  lost = 0;
  private readonly columns: ColumnSet;

  constructor(columns: ColumnSet) {
    this.columns = columns;
  }

  /** Last sequence of the batch. */
  get hi(): number {
    return (this.lo + this.count - 1) | 0;
  }

  /** Slot index of entry `i` of the batch (0 ≤ i < count). */
  index(i: number): number {
    return (this.lo + i) & this.columns.mask;
  }

  /**
   * Zero-copy views of one column for this batch: one `subarray`, or two when the batch wraps
   * round the end of the ring. Allocates the two views (call once per batch, not per entry).
   */
  slices<K extends keyof S & string>(field: K): [ColumnOf<S[K]>, ColumnOf<S[K]> | undefined] {
    const views = this.columns.views;
    if (typeof field !== 'string' || !Object.hasOwn(views, field)) {
      throw new InvalidArgumentError(`no field ${describe(field)} in this ring's schema; fields: ${Object.keys(views).join(', ')}`);
    }
    const view = views[field] as unknown as Uint8Array;
    const per = view instanceof Uint8Array ? this.columns.bytesPerEntry[field]! : 1;
    const start = this.lo & this.columns.mask;
    const end = start + this.count;
    const capacity = this.columns.capacity;
    if (end <= capacity) return [view.subarray(start * per, end * per) as unknown as ColumnOf<S[K]>, undefined];
    return [
      view.subarray(start * per, capacity * per) as unknown as ColumnOf<S[K]>,
      view.subarray(0, (end - capacity) * per) as unknown as ColumnOf<S[K]>,
    ];
  }
}

/**
 * A consumer of a ring: sees every published entry in order (broadcast), or — as a member of a
 * work group — the entries it claims from the group. Reads whole batches and releases each with
 * one store, so the producer may reuse those slots.
 *
 * Entries are never lost silently: entries a lossy ring overwrote before this consumer read
 * them, and entries claimed by a producer that was declared dead before publishing them
 * (`Ring.recover`), are skipped and counted — in the next batch's {@link Batch.lost} and in
 * {@link lost}.
 *
 * Threading: one thread. Open the same table entry in another thread with `ring.openConsumer(id)`.
 */
export class Consumer<S extends Schema> implements AsyncIterable<Batch<S>>, Pollable {
  /** Index of this consumer in the ring's consumer table (pass it to another thread). */
  readonly id: number;
  /** The current batch (valid between a successful poll and the release). */
  readonly batch: Batch<S>;
  private readonly control: RingControl;
  private readonly barrier: SequenceBarrier;
  private readonly capacity: number;
  private readonly seqIndex: number;
  private readonly stateIndex: number;
  private readonly heartbeatIndex: number;
  private readonly beat: boolean;
  /** Work group: Int32 index of the group's work sequence, or -1. */
  private readonly workIndex: number;
  /** Work-group member: Int32 index of its claimed work end (shared, so a replacement resumes it). */
  private readonly workClaimIndex: number;
  private readonly skipLapped: boolean;
  private readonly hasDeps: boolean;
  /** Next sequence to read. */
  private next: number;
  private cachedAvailable: number;
  private inBatch = false;
  private started = false;
  /** Entries skipped by a poll that then found nothing to read; told with the next batch. */
  private pendingLost = 0;
  private lostTotal = 0;
  /** Work-group member: claimed sequences not yet handed out (claimLo … claimHi). */
  private claimLo = 0;
  private claimHi = -1;
  private hasClaim = false;
  /** What this object last wrote to its sequence word (see {@link storeSeq}). */
  private stored: number;
  /**
   * Set whenever {@link storeSeq} replaced a value this object did not write (an eviction or
   * removal mark, or another object on the same entry); cleared by a state check that passes.
   */
  private suspect = false;

  constructor(control: RingControl, id: number, barrier: SequenceBarrier, columns: ColumnSet, workIndex: number, skipLapped: boolean, hasDeps: boolean) {
    this.control = control;
    this.id = id;
    this.barrier = barrier;
    this.capacity = control.capacity;
    this.batch = new Batch<S>(columns);
    this.seqIndex = control.seqIndex(id);
    this.stateIndex = control.infoIndex(id, 0);
    this.heartbeatIndex = control.heartbeatIndex(id);
    this.beat = control.evictAfterMs > 0;
    this.workIndex = workIndex;
    this.workClaimIndex = control.workClaimIndex(id);
    this.skipLapped = skipLapped;
    this.hasDeps = hasDeps;
    const seq = Atomics.load(control.ctl, this.seqIndex);
    this.stored = seq;
    this.next = (seq + 1) | 0;
    this.cachedAvailable = seq;
    if (workIndex >= 0) {
      // A member reopened after its thread died resumes the work it had claimed and not released.
      const claimed = Atomics.load(control.ctl, this.workClaimIndex);
      if (((claimed - seq) | 0) > 0) {
        this.claimLo = this.next;
        this.claimHi = claimed;
        this.hasClaim = true;
      }
    }
  }

  /**
   * Takes the next batch if one is ready, without waiting (releasing the previous batch first).
   * @param max most entries to take (at most the ring's capacity). Defaults to the capacity.
   * @returns the batch size (> 0, entries in {@link batch}); {@link POLL_EMPTY} (0) when nothing is
   *   published yet; {@link POLL_CLOSED} (-1) when the ring is closed and everything was read.
   * @throws {@link EvictedError} if this consumer was evicted; {@link LappedError} (lossy rings,
   *   `lossyPolicy: 'error'`) when entries were overwritten before it read them.
   */
  tryPoll(max = this.capacity): number {
    if (typeof max !== 'number' || (max | 0) !== max || max < 1) checkMax(max);
    if (max > this.capacity) max = this.capacity;
    // The release's exchange doubles as the state check when it replaced only our own value
    // (an eviction or removal writes a mark there right after changing the state word).
    let verified = false;
    if (this.inBatch) {
      this.release();
      verified = !this.suspect;
    }
    const control = this.control;
    const ctl = control.ctl;
    if (!verified) this.checkActive();
    if (this.beat) Atomics.store(ctl, this.heartbeatIndex, control.nowMs());
    if (!this.started) this.start();
    if (this.workIndex >= 0) return this.tryPollMember(max);
    let next = this.next;
    let available = this.cachedAvailable;
    // Look at the barrier again unless what is already known fills the batch (per-item polling
    // then costs no shared read at all while the cached range lasts).
    if (((available - next) | 0) + 1 < max) {
      available = this.barrier.available(next);
      this.cachedAvailable = available;
    }
    if (control.lossy) {
      // Before deciding "empty": a lapped consumer of a multi-producer ring finds its next slot
      // holding a newer lap, which reads as unpublished.
      const oldest = this.oldestIntact();
      if (((oldest - next) | 0) > 0) {
        const lost = (oldest - next) | 0;
        next = oldest;
        this.skipTo(oldest);
        this.lostTotal += lost;
        if (!this.skipLapped) throw new LappedError(lost);
        this.pendingLost += lost;
        if (((available - next) | 0) < 0) available = this.cachedAvailable = this.barrier.available(next);
      }
    }
    if (((available - next) | 0) < 0) {
      if (Atomics.load(ctl, DEAD_CLAIMS_INDEX) === 0 || !this.skipAbandoned(next)) return this.emptyOrClosed(next);
      next = this.next;
      available = this.cachedAvailable = this.barrier.available(next);
      if (((available - next) | 0) < 0) return this.emptyOrClosed(next);
    }
    let count = ((available - next) | 0) + 1;
    if (count > max) count = max;
    const batch = this.batch;
    batch.lo = next;
    batch.count = count;
    batch.lost = this.pendingLost;
    this.pendingLost = 0;
    this.inBatch = true;
    return count;
  }

  /** First poll: tell the ring this consumer runs (the start timeout no longer applies to it). */
  private start(): void {
    this.started = true;
    this.control.markStarted(this.id);
  }

  /**
   * Multi producer with a producer declared dead: skips the abandoned claim at `from` (counted
   * as lost). Returns true if it skipped anything.
   */
  private skipAbandoned(from: number): boolean {
    const control = this.control;
    const end = control.abandonedRunEnd(from);
    if (end === from) return false;
    const lost = (end - from) | 0;
    this.pendingLost += lost;
    this.lostTotal += lost;
    this.skipTo(end);
    control.signalReleased();
    control.retireDead();
    return true;
  }

  private tryPollMember(max: number): number {
    const control = this.control;
    const ctl = control.ctl;
    if (!this.hasClaim) {
      // Claim before waiting (the Disruptor's WorkProcessor): an idle member holds the next
      // sequence, and its own sequence stays just below it, so it never blocks the producer.
      for (;;) {
        const work = Atomics.load(ctl, this.workIndex);
        const first = (work + 1) | 0;
        if (control.isClosed() && ((first - control.finalSequence()) | 0) > 0) return this.memberDone();
        let available = this.cachedAvailable;
        if (((available - first) | 0) < 0) available = this.cachedAvailable = this.barrier.available(first);
        let n = ((available - work) | 0);
        if (n < 1) n = 1;
        else if (n > max) n = max;
        this.storeSeq(work); // gate at `work` before the claim becomes visible
        control.signalReleased(); // that store may release slots a producer is waiting for
        const claimHi = (work + n) | 0;
        Atomics.store(ctl, this.workClaimIndex, claimHi); // a replacement thread resumes this claim
        if (Atomics.compareExchange(ctl, this.workIndex, work, claimHi) === work) {
          this.claimLo = first;
          this.claimHi = claimHi;
          this.hasClaim = true;
          break;
        }
        Atomics.store(ctl, this.workClaimIndex, work); // lost the race: nothing to resume
      }
    }
    let lo = this.claimLo;
    let available = this.cachedAvailable;
    if (((available - lo) | 0) < 0) {
      available = this.cachedAvailable = this.barrier.available(lo);
      if (((available - lo) | 0) < 0) {
        if (Atomics.load(ctl, DEAD_CLAIMS_INDEX) === 0 || !this.skipAbandonedWork(lo)) return this.emptyOrClosed(lo);
        if (!this.hasClaim) return POLL_EMPTY; // the whole claim was abandoned: claim again next time
        lo = this.claimLo;
        available = this.cachedAvailable = this.barrier.available(lo);
        if (((available - lo) | 0) < 0) return this.emptyOrClosed(lo);
      }
    }
    if (((available - this.claimHi) | 0) > 0) available = this.claimHi;
    let count = ((available - lo) | 0) + 1;
    if (count > max) count = max;
    const hi = (lo + count - 1) | 0;
    if (hi === this.claimHi) this.hasClaim = false;
    else this.claimLo = (hi + 1) | 0;
    const batch = this.batch;
    batch.lo = lo;
    batch.count = count;
    batch.lost = this.pendingLost;
    this.pendingLost = 0;
    this.inBatch = true;
    return count;
  }

  /** Work-group member: skips the part of its claim that a dead producer abandoned. */
  private skipAbandonedWork(from: number): boolean {
    const control = this.control;
    let end = control.abandonedRunEnd(from);
    if (end === from) return false;
    const claimEnd = (this.claimHi + 1) | 0;
    if (((end - claimEnd) | 0) > 0) end = claimEnd;
    const lost = (end - from) | 0;
    this.pendingLost += lost;
    this.lostTotal += lost;
    this.storeSeq((end - 1) | 0);
    if (end === claimEnd) this.hasClaim = false;
    else this.claimLo = end;
    control.signalReleased();
    control.retireDead();
    return true;
  }

  private emptyOrClosed(next: number): number {
    const control = this.control;
    if (control.isClosed() && ((next - control.finalSequence()) | 0) > 0) return this.workIndex >= 0 ? this.memberDone() : POLL_CLOSED;
    return POLL_EMPTY;
  }

  /** A work-group member that has nothing left: it holds nothing, so it stops holding back consumers after the group. */
  private memberDone(): number {
    this.hasClaim = false;
    this.storeSeq(this.control.finalSequence());
    this.control.signalReleased();
    return POLL_CLOSED;
  }

  /** Lossy rings: the oldest sequence whose slot no producer can be overwriting now. */
  private oldestIntact(): number {
    const ctl = this.control.ctl;
    const claimed = Atomics.load(ctl, this.control.multiProducer ? CURSOR_INDEX : CLAIM_INDEX);
    return (claimed - this.capacity + 1) | 0;
  }

  private skipTo(sequence: number): void {
    this.next = sequence;
    this.storeSeq((sequence - 1) | 0);
  }

  /** Loads the state word: throws if this entry is no longer active, else clears {@link suspect}. */
  private checkActive(): void {
    if (Atomics.load(this.control.ctl, this.stateIndex) !== CONSUMER_STATE.active) this.throwInactive();
    this.suspect = false;
  }

  /**
   * Writes this consumer's sequence word (the release store) with `Atomics.exchange`: a
   * replaced value other than the one this object stored last means the entry's state may
   * have changed (see `RingControl.markRetired`), so the next poll loads the state word.
   * Sequentially consistent like a store, so it releases the slots as one.
   */
  private storeSeq(value: number): void {
    if (Atomics.exchange(this.control.ctl, this.seqIndex, value) !== this.stored) this.suspect = true;
    this.stored = value;
  }

  private throwInactive(): never {
    if (Atomics.load(this.control.ctl, this.stateIndex) === CONSUMER_STATE.evicted) throw new EvictedError(this.id);
    throw new InvalidStateError(`consumer ${this.id} was removed from the ring`);
  }

  /**
   * Releases the current batch: the producer may now reuse its slots (one store however large
   * the batch). Polling releases the previous batch by itself; call this to release early.
   * @returns for lossy rings, how many entries of the batch the producer overwrote while they
   *   were being read (their values must not be trusted); otherwise 0.
   * @throws {@link LappedError} for such overwrites when `lossyPolicy` is `'error'`;
   *   {@link EvictedError} when this consumer was evicted while it held the batch (the producer
   *   may have overwritten the batch's entries: what was read must not be trusted).
   */
  release(): number {
    if (!this.inBatch) return 0;
    this.inBatch = false;
    const hi = this.batch.hi;
    this.next = (hi + 1) | 0;
    const control = this.control;
    this.storeSeq(hi); // the release: slots ≤ hi may be reused
    control.signalReleased();
    // Only rings with heartbeats evict a live consumer (recover() evicts the dead). An eviction
    // before this release left its mark in the sequence word, so `suspect` is set.
    if (this.beat && this.suspect && Atomics.load(control.ctl, this.stateIndex) !== CONSUMER_STATE.active) this.throwEvictedHolding();
    if (!control.lossy) return 0;
    const torn = (this.oldestIntact() - this.batch.lo) | 0;
    if (torn <= 0) return 0;
    const lost = torn > this.batch.count ? this.batch.count : torn;
    this.lostTotal += lost;
    if (!this.skipLapped) throw new LappedError(lost, `entries of the batch were overwritten while being read: lost=${lost}`);
    return lost;
  }

  private throwEvictedHolding(): never {
    const b = this.batch;
    throw new EvictedError(this.id,
      `consumer ${this.id} was evicted while it held a batch (sequences ${b.lo}…${b.hi}): the producer may have overwritten those entries, ` +
      `so what was read from them must not be trusted; open a new consumer to continue`);
  }

  /**
   * Waits with the ring's wait strategy until a batch is ready, then takes it.
   * @returns the batch size (> 0) or {@link POLL_CLOSED}.
   * @throws {@link TimeoutError}, {@link AbortError}, {@link EvictedError}, {@link LappedError},
   *   {@link ConsumerNotStartedError} (a consumer this one runs after never started).
   */
  poll(options?: PollOptions): number {
    const max = pollMax(options, this.capacity);
    const n = this.tryPoll(max);
    return n !== POLL_EMPTY ? n : pollWaiting(this, max, this.control, this.barrier, options);
  }

  /**
   * Like {@link poll}, but sleeps with the waiter's `waitAsync`, so the thread's event loop keeps
   * running; keeps the event loop alive while waiting.
   */
  async pollAsync(options?: PollOptions): Promise<number> {
    const max = pollMax(options, this.capacity, 'pollAsync');
    const n = this.tryPoll(max);
    return n !== POLL_EMPTY ? n : pollWaitingAsync(this, max, this.control, this.barrier, options);
  }

  /** {@link Pollable.blockedBy}: consumers at or before this sequence hold this one back (none without `after`). @internal */
  blockedBy(): number | undefined {
    return this.hasDeps ? ((this.workIndex >= 0 && this.hasClaim ? this.claimLo : this.next) - 1) | 0 : undefined;
  }

  /**
   * Batches as an async iterator: each step releases the previous batch and waits (with
   * `pollAsync`) for the next; the iteration ends when the ring is closed and drained.
   */
  [Symbol.asyncIterator](): AsyncIterator<Batch<S>> {
    return batchesOf(this);
  }

  /** The sequence this consumer has released up to (a query: stale as soon as it returns). */
  get sequence(): number {
    return Atomics.load(this.control.ctl, this.seqIndex);
  }

  /**
   * Entries this consumer object skipped without reading them, in total: overwritten by a lossy
   * ring before or while it read them, or abandoned by a producer declared dead. A query.
   */
  get lost(): number {
    return this.lostTotal;
  }

  /** Entries published but not yet released by this consumer (stale as soon as it returns). */
  lag(): number {
    return (this.barrier.available(this.next) - this.sequence) | 0;
  }

  /**
   * @internal Re-reads this consumer's released sequence after another thread moved it forward
   * (the facade's `forceReaderSync`, done while this consumer's owner was between calls): the
   * next poll starts after it. Call only between batches.
   */
  resync(): void {
    if (this.inBatch) return;
    const seq = Atomics.load(this.control.ctl, this.seqIndex);
    this.next = (seq + 1) | 0;
    this.cachedAvailable = seq;
    // `stored` stays as it is: the value read may be a retirement mark, which the next release's
    // exchange must still see as foreign (see `storeSeq`).
  }

  /** Stops gating the producer: this consumer reads no more. Idempotent. */
  remove(): void {
    this.inBatch = false;
    if (Atomics.load(this.control.ctl, this.stateIndex) === CONSUMER_STATE.active) this.control.remove(this.id);
  }
}
