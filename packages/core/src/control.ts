import { CapacityError, InvalidArgumentError, InvalidStateError } from './errors.js';
import { describe } from './schema.js';
import {
  CLAIM_INDEX, CLOSED_INDEX, CLOSING_INDEX, CONSUMER_INFO_LENGTH, CONSUMER_ROLE, CONSUMER_SEQ_LENGTH, CONSUMER_STATE,
  CURSOR_INDEX, DEAD_CLAIMS_INDEX, FINAL_SEQUENCE_INDEX, HEARTBEAT_WORD, INFO_DEPS, INFO_OWNER, INFO_STARTED, KIND, MAX_CONSUMERS,
  MAX_DEPENDENCY_IDS, INFO_GROUP, INFO_MEMBERS, INFO_ROLE, INFO_STATE, OWNER_COUNTER_INDEX, PRODUCER_STATE, PUBLISH_SIGNAL_INDEX,
  PUBLISH_WAITERS_INDEX, RELEASE_SIGNAL_INDEX, RELEASE_WAITERS_INDEX, SEQ_WORD, TOPOLOGY_EPOCH_INDEX, WORK_CLAIM_WORD,
  type Header, type RegionDescriptor, type RegionLayout,
} from './layout.js';
import { Liveness } from './liveness.js';
import { ABANDONED_DEAD, ABANDONED_UNKNOWN, ProducerTable } from './producer-table.js';
import { log2 } from './sequence.js';
import { signalAll, type WaitStrategy } from './wait-strategy.js';

/** Who a ring object acts for (see {@link RingControl.owner}) and its watchdog. */
export interface Participation {
  /** Owner tag of every producer and consumer this ring object creates or opens; 0 = allocate one. */
  readonly owner: number;
  readonly watchdog: (() => void) | undefined;
}

/** What {@link RingControl.recover} found and did. */
export interface RecoveryReport {
  /** The owner tag recovered. */
  readonly owner: number;
  /** Producers of that owner declared dead (their unpublished claims are skipped as lost). */
  readonly producers: number;
  /** Consumers of that owner evicted (0 with `keepConsumers`). */
  readonly consumers: number;
}

/**
 * The control words and the consumer table of one ring region, as seen from one thread: the
 * shared state every producer, consumer and barrier of a ring goes through. Holds no per-message
 * state; safe to share between the objects of one thread.
 */
export class RingControl {
  /** Int32 view over the region's control blocks, tables and availability array. */
  readonly ctl: Int32Array;
  readonly descriptor: RegionDescriptor;
  readonly header: Header;
  readonly layout: RegionLayout;
  readonly strategy: WaitStrategy;
  readonly capacity: number;
  readonly mask: number;
  /** log2(capacity): the lap number of sequence s is `s >> indexShift`. */
  readonly indexShift: number;
  readonly multiProducer: boolean;
  readonly lossy: boolean;
  readonly maxConsumers: number;
  readonly evictAfterMs: number;
  /** A waiter blocked this long by a consumer that has never polled gives up (0 = never). */
  readonly startTimeoutMs: number;
  /** The producer table (claims of multi producers, the single producer's slot). */
  readonly producers: ProducerTable;
  /**
   * Owner tag of this ring object: recorded with every producer and consumer it creates or
   * opens, so `recover(owner)` can declare them dead together (a thread, or a process).
   */
  readonly owner: number;
  /** The checks every waiting loop runs (eviction, start timeout, watchdog). */
  readonly liveness: Liveness;
  /** Claims are recorded as [lo, hi): sequences claimed (current, next] are [current + 1, next + 1) (typed rings); positions [current, next) (byte rings). */
  readonly claimUnitOffset: number;
  /** Int32 index of the first CONSUMER_INFO entry. */
  readonly infoBase: number;
  /** Int32 index of the first CONSUMER_SEQ entry. */
  readonly seqBase: number;
  /** Int32 index of AVAILABLE[0], or -1 (single producer). */
  readonly availableBase: number;

  private gatingEpoch = -1;
  private gating = new Int32Array(0);

  constructor(descriptor: RegionDescriptor, header: Header, layout: RegionLayout, strategy: WaitStrategy, participation: Participation) {
    this.descriptor = descriptor;
    this.header = header;
    this.layout = layout;
    this.strategy = strategy;
    // Division, not `>> 2`: a multi-producer ring's tables may end past 2^31 bytes.
    this.ctl = new Int32Array(descriptor.buffer, descriptor.byteOffset, Math.floor(layout.dataOffset / 4));
    this.capacity = header.capacity;
    this.mask = header.capacity - 1;
    this.indexShift = log2(header.capacity);
    this.multiProducer = header.multiProducer;
    this.lossy = header.lossy;
    this.maxConsumers = header.maxConsumers;
    this.evictAfterMs = header.evictAfterMs;
    this.startTimeoutMs = header.startTimeoutMs;
    this.producers = new ProducerTable(this.ctl, layout.producersOffset, layout.maxProducers);
    // Allocated owners are negative (-1, -2, …), so they never collide with owners callers choose (positive).
    this.owner = participation.owner !== 0 ? participation.owner : Atomics.sub(this.ctl, OWNER_COUNTER_INDEX, 1) - 1;
    this.liveness = new Liveness(this, participation.watchdog);
    this.claimUnitOffset = header.kind === KIND.typedRing ? 1 : 0;
    this.infoBase = layout.consumerInfoOffset >> 2;
    this.seqBase = layout.consumerSeqOffset >> 2;
    this.availableBase = layout.availableOffset < 0 ? -1 : layout.availableOffset >> 2;
  }

  /** Initialises the control words of a fresh region (cursor, availability). Owner only, once. */
  initialise(): void {
    const ctl = this.ctl;
    const init = this.header.initialSequence;
    ctl[CURSOR_INDEX] = init;
    ctl[CLAIM_INDEX] = init;
    ctl[FINAL_SEQUENCE_INDEX] = init;
    if (this.availableBase >= 0) {
      // Slot i's first sequence s must not look published, and the slot's previous occupant
      // (s - capacity, never written) must: store that sequence's lap (wrap-safe, Int32).
      for (let k = 0; k < this.capacity; k++) {
        const s = (init + 1 + k) | 0;
        ctl[this.availableBase + (s & this.mask)] = ((s - this.capacity) | 0) >> this.indexShift;
      }
    }
  }

  /** Int32 index of consumer `id`'s sequence word. */
  seqIndex(id: number): number {
    return this.seqBase + id * (CONSUMER_SEQ_LENGTH >> 2) + SEQ_WORD;
  }

  /** Int32 index of consumer `id`'s heartbeat word. */
  heartbeatIndex(id: number): number {
    return this.seqBase + id * (CONSUMER_SEQ_LENGTH >> 2) + HEARTBEAT_WORD;
  }

  /** Int32 index of a field of consumer `id`'s info entry. */
  infoIndex(id: number, field: number): number {
    return this.infoBase + id * (CONSUMER_INFO_LENGTH >> 2) + field;
  }

  /** Milliseconds since the ring was created, as the Int32 the heartbeat words hold. */
  nowMs(): number {
    return (Date.now() - this.header.epochMs) | 0;
  }

  /** The state of table entry `id` (see `CONSUMER_STATE`). */
  state(id: number): number {
    return Atomics.load(this.ctl, this.infoIndex(id, INFO_STATE));
  }

  /** The role of table entry `id` (see `CONSUMER_ROLE`). */
  role(id: number): number {
    return Atomics.load(this.ctl, this.infoIndex(id, INFO_ROLE));
  }

  /** Checks that `id` names a table entry in use. */
  checkId(id: unknown, what: string): number {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= this.maxConsumers) {
      throw new InvalidArgumentError(`${what} must be a consumer id in [0, ${this.maxConsumers - 1}]: id=${describe(id)}`);
    }
    if (this.state(id) === CONSUMER_STATE.free || this.state(id) === CONSUMER_STATE.reserved) {
      throw new InvalidArgumentError(`${what} is not a registered consumer of this ring: id=${id}`);
    }
    return id;
  }

  /**
   * The dependency mask of an `after` list (consumers, work groups, readers or their ids).
   * @throws {@link InvalidArgumentError} for an entry that is not registered or whose id is not
   *   below {@link MAX_DEPENDENCY_IDS}.
   */
  dependencyMask(after: unknown): number {
    if (after === undefined) return 0;
    if (!Array.isArray(after)) throw new InvalidArgumentError(`options.after must be an array of consumers, work groups, readers or ids: after=${describe(after)}`);
    let mask = 0;
    for (const a of after as unknown[]) {
      const id = this.checkId(typeof a === 'number' ? a : (a as { id?: unknown } | null)?.id, 'options.after entry');
      if (id >= MAX_DEPENDENCY_IDS) {
        throw new InvalidArgumentError(`options.after entries must have ids below ${MAX_DEPENDENCY_IDS} (a dependency mask is one Int32; register the consumers others run after first): id=${id}`);
      }
      mask |= 1 << id;
    }
    return mask;
  }

  /** The highest sequence published so far for a new consumer without dependencies to start after. */
  startSequence(depsMask: number): number {
    if (depsMask !== 0) return this.minimumOf(this.resolveDeps(depsMask), Atomics.load(this.ctl, CURSOR_INDEX));
    return Atomics.load(this.ctl, CURSOR_INDEX);
  }

  /**
   * Registers a table entry (consumer, work group or group member) and makes it gate the
   * producers. Returns its id. Entries registered before the first publish see every entry.
   */
  register(role: number, depsMask: number, group: number, members: number): number {
    const ctl = this.ctl;
    for (let id = 0; id < this.maxConsumers; id++) {
      const stateIndex = this.infoIndex(id, INFO_STATE);
      if (Atomics.compareExchange(ctl, stateIndex, CONSUMER_STATE.free, CONSUMER_STATE.reserved) !== CONSUMER_STATE.free) continue;
      Atomics.store(ctl, this.infoIndex(id, INFO_DEPS), depsMask);
      Atomics.store(ctl, this.infoIndex(id, INFO_GROUP), group);
      Atomics.store(ctl, this.infoIndex(id, INFO_MEMBERS), members);
      Atomics.store(ctl, this.infoIndex(id, INFO_ROLE), role);
      Atomics.store(ctl, this.infoIndex(id, INFO_OWNER), this.owner);
      Atomics.store(ctl, this.infoIndex(id, INFO_STARTED), role === CONSUMER_ROLE.group ? 1 : 0);
      Atomics.store(ctl, this.heartbeatIndex(id), this.nowMs()); // also the registration time (start timeout)
      Atomics.store(ctl, this.seqIndex(id), this.startSequence(depsMask));
      Atomics.store(ctl, this.workClaimIndex(id), Atomics.load(ctl, this.seqIndex(id)));
      Atomics.store(ctl, stateIndex, CONSUMER_STATE.active);
      Atomics.add(ctl, TOPOLOGY_EPOCH_INDEX, 1);
      // Producers may have moved between reading the start and seeing us in gating (the
      // Disruptor re-reads the cursor for the same reason): start again from the newest point.
      const start = this.startSequence(depsMask);
      Atomics.store(ctl, this.seqIndex(id), start);
      Atomics.store(ctl, this.workClaimIndex(id), start);
      return id;
    }
    throw new CapacityError(`the consumer table is full: maxConsumers=${this.maxConsumers}; create the ring with a larger options.maxConsumers (at most ${MAX_CONSUMERS})`);
  }

  /**
   * Returns entries that were registered but never handed to a caller (a refused
   * `addWorkGroup`) to the free list.
   */
  unregister(ids: readonly number[]): void {
    for (const id of ids) Atomics.store(this.ctl, this.infoIndex(id, INFO_STATE), CONSUMER_STATE.free);
    this.topologyChanged();
  }

  /** Int32 index of consumer `id`'s claimed work end (work-group members). */
  workClaimIndex(id: number): number {
    return this.seqBase + id * (CONSUMER_SEQ_LENGTH >> 2) + WORK_CLAIM_WORD;
  }

  /** Takes active entry `id` out of gating as evicted; true if this call did it. Call {@link topologyChanged} after. */
  evict(id: number): boolean {
    if (Atomics.compareExchange(this.ctl, this.infoIndex(id, INFO_STATE), CONSUMER_STATE.active, CONSUMER_STATE.evicted) !== CONSUMER_STATE.active) return false;
    this.markRetired(id);
    return true;
  }

  /**
   * After entry `id` left the active state: writes a value into its sequence word that its
   * consumer did not write (one below what is there). A consumer writes its sequence word with
   * `Atomics.exchange` and compares what it replaced with what it stored last, so it learns of
   * the state change at its next release without loading the state word on every poll (see
   * `Consumer.storeSeq`). The entry no longer gates, so a lower value there holds nobody back;
   * a producer or dependent still using the old gating list only waits a little more. Typed
   * rings only: a byte ring's words are byte positions, and one below a record boundary is not
   * one (its readers load their state word instead).
   */
  private markRetired(id: number): void {
    if (this.claimUnitOffset !== 1) return;
    const seq = this.seqIndex(id);
    Atomics.store(this.ctl, seq, (Atomics.load(this.ctl, seq) - 1) | 0);
  }

  /** After the table changed (eviction, removal): bumps the epoch and wakes everyone to look again. */
  topologyChanged(): void {
    Atomics.add(this.ctl, TOPOLOGY_EPOCH_INDEX, 1);
    this.signalReleased();
    this.signalPublished();
  }

  /** Marks consumer `id` as started (its first poll): the start timeout no longer applies to it. */
  markStarted(id: number): void {
    Atomics.store(this.ctl, this.infoIndex(id, INFO_STARTED), 1);
  }

  /**
   * Declares every participant of `owner` dead (see `Ring.recover`): its producers' claims are
   * skipped as lost (multi producer) or its producer slot freed (single producer); its
   * consumers are evicted unless `keepConsumers` (a replacement thread reopens them).
   * `claimedEnd` is the unit just past the cursor now (see {@link claimUnitOffset}).
   */
  recover(owner: number, keepConsumers: boolean): RecoveryReport {
    const ctl = this.ctl;
    const claimedEnd = (Atomics.load(ctl, CURSOR_INDEX) + this.claimUnitOffset) | 0;
    // A dead lossy single producer's announced claim stays announced (CLAIM is not moved back):
    // it may have written the slots or bytes up to it, so readers treat that space as overwritten;
    // its claim itself was never published, and a replacement producer goes on from the cursor
    // (see announceOverwrite).
    const producers = this.producers.declareDead(owner, this.multiProducer, claimedEnd);
    let consumers = 0;
    if (!keepConsumers) {
      for (let id = 0; id < this.maxConsumers; id++) {
        if (this.role(id) === CONSUMER_ROLE.group || Atomics.load(ctl, this.infoIndex(id, INFO_OWNER)) !== owner) continue;
        if (this.evict(id)) consumers++;
      }
    }
    this.retireDead();
    // Wake everyone: stuck consumers skip the dead claims, blocked producers look at gating again.
    this.topologyChanged();
    return Object.freeze({ owner, producers, consumers });
  }

  /**
   * Multi producer: the last sequence of the contiguous published run from `next` (at most
   * `limit`); `next - 1` when `next` is not published. The cursor is the claim counter, so
   * publication is read from each slot's lap number (the Disruptor's availableBuffer).
   */
  publishedUpTo(next: number, limit: number): number {
    const ctl = this.ctl;
    const base = this.availableBase;
    const mask = this.mask;
    const shift = this.indexShift;
    for (let s = next; ((s - limit) | 0) <= 0; s = (s + 1) | 0) {
      if (Atomics.load(ctl, base + (s & mask)) !== s >> shift) return (s - 1) | 0;
    }
    return limit;
  }

  /**
   * Multi producer, some producer declared dead: when sequence `s` (claimed, not published)
   * belongs to a dead producer's claim, the sequence just past the abandoned run that starts at
   * `s`; otherwise `s` (nothing to skip: not claimed yet, published, or a live producer's).
   * See `producer-table.ts` for why the answer is safe while other producers keep claiming.
   */
  abandonedRunEnd(s: number): number {
    const ctl = this.ctl;
    const cursor = Atomics.load(ctl, CURSOR_INDEX); // before the scan: every claim of s was begun before this
    if (((s - cursor) | 0) > 0 || this.publishedUpTo(s, s) === s) return s;
    const verdict = this.producers.abandonedAt(s);
    let end: number;
    if (verdict === ABANDONED_DEAD) {
      end = this.producers.deadEnd;
    } else if (verdict === ABANDONED_UNKNOWN) {
      // The unpublished run from s up to the next recorded claim belongs to producers that died mid-claim.
      const producers = this.producers;
      end = (s + 1) | 0;
      while (((end - cursor) | 0) <= 0 && this.publishedUpTo(end, end) !== end && !(producers.hasNextStart && end === producers.nextStart)) end = (end + 1) | 0;
    } else {
      return s;
    }
    return this.publishedUpTo(s, s) === s ? s : end;
  }

  /**
   * Lossy single producer, before writing a claim that ends at `next`: announces in CLAIM that
   * the space up to `next` (a lap earlier) may be overwritten from now on. `announced` is what
   * this producer last announced (initially CLAIM as it found it); returns what is announced now.
   * CLAIM never moves back: a replacement for a producer that died mid-claim starts again at the
   * cursor, below what the dead one announced and perhaps overwrote, and readers must go on
   * treating that space as overwritten (a lapped reader never resumes past the cursor).
   */
  announceOverwrite(next: number, announced: number): number {
    if (((next - announced) | 0) <= 0) return announced;
    Atomics.store(this.ctl, CLAIM_INDEX, next);
    return next;
  }

  /**
   * Frees dead producer entries whose claims every gating consumer has passed. A lossy typed
   * multi-producer ring first marks the dead claim's slots published for their lap: its
   * producers wait, a lap later, for each slot's previous entry to be published (see
   * `MultiProducerSequencer.hasRoom`), and once the entry is freed nothing else says the claim
   * is abandoned. No consumer reads them: every one has released past them.
   */
  retireDead(): void {
    if (Atomics.load(this.ctl, DEAD_CLAIMS_INDEX) === 0) return;
    const cursor = Atomics.load(this.ctl, CURSOR_INDEX);
    const releasedEnd = (this.minimumGatingSequence(cursor) + this.claimUnitOffset) | 0;
    this.producers.retire(releasedEnd, this.lossy && this.availableBase >= 0 ? this.finishDeadClaim : undefined);
  }

  /** See {@link retireDead}: sequences `[lo, hi)` of a retired dead claim, marked published. */
  private readonly finishDeadClaim = (lo: number, hi: number): void => {
    const ctl = this.ctl;
    for (let s = lo; ((s - hi) | 0) < 0; s = (s + 1) | 0) {
      const i = this.availableBase + (s & this.mask);
      // Only a slot still holding the lap before s: a published part of the claim, or a newer
      // lap, is left as it is (a lap never moves backwards).
      Atomics.compareExchange(ctl, i, ((s - this.capacity) | 0) >> this.indexShift, s >> this.indexShift);
    }
  };

  /** Removes entry `id` from gating for good (a consumer that is done, or a group and its members). */
  remove(id: number): void {
    const ctl = this.ctl;
    Atomics.store(ctl, this.infoIndex(id, INFO_STATE), CONSUMER_STATE.removed);
    this.markRetired(id);
    if (this.role(id) === CONSUMER_ROLE.group) {
      for (let m = 0; m < this.maxConsumers; m++) {
        if (this.role(m) === CONSUMER_ROLE.member && Atomics.load(ctl, this.infoIndex(m, INFO_GROUP)) === id) {
          Atomics.store(ctl, this.infoIndex(m, INFO_STATE), CONSUMER_STATE.removed);
          this.markRetired(m);
        }
      }
    }
    Atomics.add(ctl, TOPOLOGY_EPOCH_INDEX, 1);
    this.signalReleased();
  }

  /** The table epoch: bumped on every registration, removal and eviction. */
  epoch(): number {
    return Atomics.load(this.ctl, TOPOLOGY_EPOCH_INDEX);
  }

  /**
   * The sequence words a barrier must wait on for dependency mask `depsMask`: groups expand to
   * their members, evicted or removed entries to their own dependencies.
   */
  resolveDeps(depsMask: number): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    const visit = (mask: number): void => {
      for (let id = 0; id < this.maxConsumers && id < MAX_DEPENDENCY_IDS; id++) {
        if ((mask & (1 << id)) === 0 || seen.has(id)) continue;
        seen.add(id);
        const state = this.state(id);
        const role = this.role(id);
        if (state === CONSUMER_STATE.active && role === CONSUMER_ROLE.group) {
          let found = false;
          for (let m = 0; m < this.maxConsumers; m++) {
            if (this.role(m) === CONSUMER_ROLE.member && Atomics.load(this.ctl, this.infoIndex(m, INFO_GROUP)) === id) {
              if (this.state(m) === CONSUMER_STATE.active) { out.push(this.seqIndex(m)); found = true; }
            }
          }
          if (!found) visit(Atomics.load(this.ctl, this.infoIndex(id, INFO_DEPS)));
        } else if (state === CONSUMER_STATE.active) {
          out.push(this.seqIndex(id));
        } else {
          visit(Atomics.load(this.ctl, this.infoIndex(id, INFO_DEPS)));
        }
      }
    };
    visit(depsMask);
    return out;
  }

  /** The earliest of the given sequence words, or `fallback` when there are none. */
  minimumOf(indices: ArrayLike<number>, fallback: number): number {
    const ctl = this.ctl;
    let min = fallback;
    for (let i = 0; i < indices.length; i++) {
      const s = Atomics.load(ctl, indices[i]!);
      if (((s - min) | 0) < 0) min = s;
    }
    return min;
  }

  /**
   * The earliest sequence any gating consumer has not yet released past, or `fallback` (the
   * producer's own position) when no consumer gates. Work-group entries do not gate; their
   * members do.
   */
  minimumGatingSequence(fallback: number): number {
    const epoch = Atomics.load(this.ctl, TOPOLOGY_EPOCH_INDEX);
    if (epoch !== this.gatingEpoch) this.refreshGating(epoch);
    return this.minimumOf(this.gating, fallback);
  }

  private refreshGating(epoch: number): void {
    const ids: number[] = [];
    for (let id = 0; id < this.maxConsumers; id++) {
      if (this.state(id) === CONSUMER_STATE.active && this.role(id) !== CONSUMER_ROLE.group) ids.push(this.seqIndex(id));
    }
    this.gating = Int32Array.from(ids);
    this.gatingEpoch = epoch;
  }

  /** True once the ring is closed (consumers then drain up to {@link finalSequence}). */
  isClosed(): boolean {
    return Atomics.load(this.ctl, CLOSED_INDEX) !== 0;
  }

  /** The last sequence of a closed ring. */
  finalSequence(): number {
    return Atomics.load(this.ctl, FINAL_SEQUENCE_INDEX);
  }

  /** True once a close has begun (multi producer: claims after this point must check the final sequence). */
  isClosing(): boolean {
    return Atomics.load(this.ctl, CLOSING_INDEX) !== 0;
  }

  /**
   * Closes the ring after sequence `last`. Idempotent; the first close wins. Wakes everyone.
   * Multi producer: `closeMulti` decides `last` race-free first.
   */
  closeAt(last: number): void {
    const ctl = this.ctl;
    if (Atomics.compareExchange(ctl, CLOSING_INDEX, 0, 1) === 0) {
      Atomics.store(ctl, FINAL_SEQUENCE_INDEX, last);
      Atomics.store(ctl, CLOSED_INDEX, 1);
    }
    signalAll(this.strategy.waiter, ctl, PUBLISH_SIGNAL_INDEX);
    signalAll(this.strategy.waiter, ctl, RELEASE_SIGNAL_INDEX);
  }

  /**
   * Multi-producer close. Sets CLOSING, then reads the claim counter as the final sequence:
   * with sequentially consistent atomics, a producer whose claim (`Atomics.add`/CAS) came before
   * our read is inside the final range and must publish; one whose claim came after sees CLOSING
   * and learns from {@link waitForFinal} that it is outside.
   */
  closeMulti(): void {
    const ctl = this.ctl;
    if (Atomics.compareExchange(ctl, CLOSING_INDEX, 0, 1) === 0) {
      Atomics.store(ctl, FINAL_SEQUENCE_INDEX, Atomics.load(ctl, CURSOR_INDEX));
      Atomics.store(ctl, CLOSED_INDEX, 1);
    }
    signalAll(this.strategy.waiter, ctl, PUBLISH_SIGNAL_INDEX);
    signalAll(this.strategy.waiter, ctl, RELEASE_SIGNAL_INDEX);
  }

  /**
   * `close()` of a ring object (typed or byte): multi producer closes at once (any thread);
   * single producer closes through this thread's producer `own`, or directly while no producer
   * is attached; otherwise only the producer's thread may close.
   * @throws {@link InvalidStateError} when another thread's producer owns the close.
   */
  closeFromRing(own: { close(): void } | undefined, what: string): void {
    if (this.multiProducer) {
      this.closeMulti();
      return;
    }
    if (own !== undefined) {
      own.close();
      return;
    }
    if (this.producers.state(0) === PRODUCER_STATE.free) {
      this.closeAt(Atomics.load(this.ctl, CURSOR_INDEX));
      return;
    }
    throw new InvalidStateError(
      `a single-producer ${what} is closed by its producer: call producer.close() in the producer thread ` +
      `(if that thread died, ring.recover(owner) frees its producer slot first)`,
    );
  }

  /** After seeing CLOSING: waits (briefly) until the closer has stored the final sequence. */
  waitForFinal(): number {
    const ctl = this.ctl;
    while (Atomics.load(ctl, CLOSED_INDEX) === 0) {
      // The closer stores FINAL then CLOSED right after CLOSING: a few hundred nanoseconds.
    }
    return Atomics.load(ctl, FINAL_SEQUENCE_INDEX);
  }

  /** Wakes consumers sleeping for data, if any. Call after publishing. */
  signalPublished(): void {
    if (Atomics.load(this.ctl, PUBLISH_WAITERS_INDEX) !== 0) signalAll(this.strategy.waiter, this.ctl, PUBLISH_SIGNAL_INDEX);
  }

  /** Wakes producers (and downstream consumers) sleeping for a release, if any. */
  signalReleased(): void {
    if (Atomics.load(this.ctl, RELEASE_WAITERS_INDEX) !== 0) signalAll(this.strategy.waiter, this.ctl, RELEASE_SIGNAL_INDEX);
  }
}
