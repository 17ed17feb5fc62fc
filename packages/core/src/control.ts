import { CapacityError, InvalidArgumentError, InvalidStateError } from './errors.js';
import { describe } from './schema.js';
import {
  CLAIM_INDEX, CLOSED_INDEX, CLOSING_INDEX, CONSUMER_INFO_LENGTH, CONSUMER_ROLE, CONSUMER_SEQ_LENGTH, CONSUMER_STATE,
  CURSOR_INDEX, FINAL_SEQUENCE_INDEX, HEARTBEAT_WORD, INFO_DEPS, MAX_CONSUMERS, MAX_DEPENDENCY_IDS, INFO_GROUP, INFO_MEMBERS, INFO_ROLE, INFO_STATE,
  PRODUCER_ATTACHED_INDEX, PUBLISH_SIGNAL_INDEX, PUBLISH_WAITERS_INDEX, RELEASE_SIGNAL_INDEX, RELEASE_WAITERS_INDEX, SEQ_WORD,
  TOPOLOGY_EPOCH_INDEX, type Header, type RegionDescriptor, type RegionLayout,
} from './layout.js';
import { log2 } from './sequence.js';
import { signalAll, type WaitStrategy } from './wait-strategy.js';

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
  /** Int32 index of the first CONSUMER_INFO entry. */
  readonly infoBase: number;
  /** Int32 index of the first CONSUMER_SEQ entry. */
  readonly seqBase: number;
  /** Int32 index of AVAILABLE[0], or -1 (single producer). */
  readonly availableBase: number;

  private gatingEpoch = -1;
  private gating = new Int32Array(0);

  constructor(descriptor: RegionDescriptor, header: Header, layout: RegionLayout, strategy: WaitStrategy) {
    this.descriptor = descriptor;
    this.header = header;
    this.layout = layout;
    this.strategy = strategy;
    this.ctl = new Int32Array(descriptor.buffer, descriptor.byteOffset, layout.dataOffset >> 2);
    this.capacity = header.capacity;
    this.mask = header.capacity - 1;
    this.indexShift = log2(header.capacity);
    this.multiProducer = header.multiProducer;
    this.lossy = header.lossy;
    this.maxConsumers = header.maxConsumers;
    this.evictAfterMs = header.evictAfterMs;
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
      // Slot i's first sequence s must not look published: store the lap before s's lap.
      for (let k = 0; k < this.capacity; k++) {
        const s = (init + 1 + k) | 0;
        ctl[this.availableBase + (s & this.mask)] = (s >> this.indexShift) - 1;
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
      Atomics.store(ctl, this.heartbeatIndex(id), this.nowMs());
      Atomics.store(ctl, this.seqIndex(id), this.startSequence(depsMask));
      Atomics.store(ctl, stateIndex, CONSUMER_STATE.active);
      Atomics.add(ctl, TOPOLOGY_EPOCH_INDEX, 1);
      // Producers may have moved between reading the start and seeing us in gating (the
      // Disruptor re-reads the cursor for the same reason): start again from the newest point.
      Atomics.store(ctl, this.seqIndex(id), this.startSequence(depsMask));
      return id;
    }
    throw new CapacityError(`the consumer table is full: maxConsumers=${this.maxConsumers}; create the ring with a larger options.maxConsumers (at most ${MAX_CONSUMERS})`);
  }

  /** Removes entry `id` from gating for good (a consumer that is done, or a group and its members). */
  remove(id: number): void {
    const ctl = this.ctl;
    Atomics.store(ctl, this.infoIndex(id, INFO_STATE), CONSUMER_STATE.removed);
    if (this.role(id) === CONSUMER_ROLE.group) {
      for (let m = 0; m < this.maxConsumers; m++) {
        if (this.role(m) === CONSUMER_ROLE.member && Atomics.load(ctl, this.infoIndex(m, INFO_GROUP)) === id) {
          Atomics.store(ctl, this.infoIndex(m, INFO_STATE), CONSUMER_STATE.removed);
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

  /**
   * Liveness: evicts every gating consumer whose sequence is at or before `blockingSequence` and
   * whose heartbeat is older than `evictAfterMs`. Returns true if it evicted anyone. Called by a
   * producer that is blocked for room.
   */
  evictStale(blockingSequence: number): boolean {
    if (this.evictAfterMs === 0) return false;
    const ctl = this.ctl;
    const now = this.nowMs();
    let evicted = false;
    for (let id = 0; id < this.maxConsumers; id++) {
      if (this.state(id) !== CONSUMER_STATE.active || this.role(id) === CONSUMER_ROLE.group) continue;
      if (((Atomics.load(ctl, this.seqIndex(id)) - blockingSequence) | 0) > 0) continue;
      if (((now - Atomics.load(ctl, this.heartbeatIndex(id))) | 0) <= this.evictAfterMs) continue;
      if (Atomics.compareExchange(ctl, this.infoIndex(id, INFO_STATE), CONSUMER_STATE.active, CONSUMER_STATE.evicted) === CONSUMER_STATE.active) {
        evicted = true;
      }
    }
    if (evicted) {
      Atomics.add(ctl, TOPOLOGY_EPOCH_INDEX, 1);
      this.signalReleased();
      this.signalPublished();
    }
    return evicted;
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
    if (Atomics.load(this.ctl, PRODUCER_ATTACHED_INDEX) === 0) {
      this.closeAt(Atomics.load(this.ctl, CURSOR_INDEX));
      return;
    }
    throw new InvalidStateError(`a single-producer ${what} is closed by its producer: call producer.close() in the producer thread`);
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
