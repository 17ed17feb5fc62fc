import { SequenceBarrier } from './barrier.js';
import { Consumer, type ColumnSet } from './consumer.js';
import { RingControl, type Participation, type RecoveryReport } from './control.js';
import { InvalidArgumentError, InvalidStateError, LayoutMismatchError } from './errors.js';
import {
  checkDescriptor, describeLayout, computeLayout, CONSUMER_ROLE, CONSUMER_STATE, CURSOR_INDEX, INFO_DEPS, INFO_GROUP, INFO_MEMBERS, INFO_OWNER,
  KIND, MAX_CONSUMERS, MAX_SCHEMA_LENGTH, readHeader, schemaByteLength,
  writeHeader, type Header, type RegionDescriptor, type RegionLayout,
} from './layout.js';
import { placeRegion, type PlacementOptions } from './region.js';
import { MultiProducerSequencer } from './multi-producer-sequencer.js';
import { optionsObject, orDefault, resolveParticipation, resolveRecover, resolveRingMode, type ParticipationOptions, type RecoverOptions, type RingMode } from './ring-mode.js';
import type { Producer } from './producer.js';
import {
  decodeSchema, DEFAULT_SCHEMA, describe, encodeSchema, makeColumn, resolveSchema,
  type ColumnOf, type Columns, type DefaultSchema, type ResolvedField, type Schema,
} from './schema.js';
import { isPowerOfTwo } from './sequence.js';
import { SingleProducerSequencer } from './single-producer-sequencer.js';
import { SlotWriter } from './slot-writer.js';
import { resolveWaitStrategy, type WaitStrategy, type WaitStrategyOption } from './wait-strategy.js';

/** Options of {@link Ring.create}. */
export interface RingOptions<S extends Schema = DefaultSchema> extends ParticipationOptions, PlacementOptions {
  /** Number of slots: a power of two in [2, 2^30]. Required. */
  capacity: number;
  /** Slot fields, stored column by column. Defaults to `{ value: 'f64' }`. */
  schema?: S;
  /** `'single'` (one producer thread: plain cursor store) or `'multi'`. Defaults to `'single'`. */
  producer?: 'single' | 'multi';
  /** Size of the consumer table (consumers + work groups + their members), 1 … 128 (`after` may name ids 0 … 31). Defaults to 8. */
  maxConsumers?: number;
  /** Multi producer: most producers at once (each thread's `ring.producer()` takes one until closed or recovered), 1 … 128. Defaults to 16 (single: 1). */
  maxProducers?: number;
  /** How blocked calls wait in this thread. Defaults to `'phased'`. */
  waitStrategy?: WaitStrategyOption;
  /** Producers are never gated; lapped consumers are told (see `lossyPolicy`). Defaults to false. */
  lossy?: boolean;
  /** Lossy rings: a lapped consumer gets a `LappedError` (`'error'`) or skips ahead with `batch.lost` set (`'skip'`). Defaults to `'error'`. */
  lossyPolicy?: 'error' | 'skip';
  /** A waiter blocked by a consumer silent for longer than this evicts it; 0 = never. Defaults to 0. */
  evictAfterMs?: number;
  /**
   * A blocking call that has waited this long on a registered consumer that has never polled
   * throws `ConsumerNotStartedError` naming it (its thread did not start); 0 = wait for ever.
   * Defaults to 5000.
   */
  startTimeoutMs?: number;
  /** The sequence before the first entry (the first published is this + 1). Defaults to -1. */
  initialSequence?: number;
}

/** What an attaching thread expects of the ring (each given field is checked), and how it waits. */
export interface AttachOptions<S extends Schema = Schema> extends ParticipationOptions {
  schema?: S;
  capacity?: number;
  producer?: 'single' | 'multi';
  /** How blocked calls wait in this thread. Defaults to `'phased'`. */
  waitStrategy?: WaitStrategyOption;
}

/** Options of {@link Ring.addConsumer}. */
export interface ConsumerOptions {
  /** Consumers (or work groups, or their ids) this one runs after: it sees an entry only once they released it. */
  after?: ReadonlyArray<Consumer<Schema> | WorkGroup | number>;
}

/** Options of {@link Ring.addWorkGroup}. */
export interface WorkGroupOptions extends ConsumerOptions {
  /** Number of members: each entry goes to exactly one of them. */
  members: number;
}

/** A work group registered in a ring: `members` consumers sharing one work sequence. */
export interface WorkGroup {
  /** Table id of the group (use it in `after`). */
  readonly id: number;
  /** Table ids of the members: open each with `ring.openConsumer(id)` in its thread. */
  readonly memberIds: readonly number[];
}

interface Resolved {
  capacity: number;
  fields: ResolvedField[];
  schemaText: string;
  mode: RingMode;
  initialSequence: number;
  layout: RegionLayout;
}

function typedLayout(capacity: number, mode: Pick<RingMode, 'maxConsumers' | 'maxProducers' | 'multi'>, fields: readonly ResolvedField[], schemaText: string): RegionLayout {
  return computeLayout({
    capacity,
    maxConsumers: mode.maxConsumers,
    maxProducers: mode.maxProducers,
    multiProducer: mode.multi,
    schemaLength: schemaByteLength(schemaText),
    columnBytes: fields.map((f) => f.bytesPerEntry * capacity),
  });
}

function resolveOptions(options: RingOptions<Schema>): Resolved {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`options must be an object with at least { capacity }: options=${describe(options)}`);
  }
  const { capacity } = options;
  if (typeof capacity !== 'number' || !isPowerOfTwo(capacity) || capacity < 2) {
    throw new InvalidArgumentError(`options.capacity must be a power of two in [2, 2^30]: capacity=${describe(capacity)}`);
  }
  const fields = resolveSchema(orDefault<unknown>(options.schema, DEFAULT_SCHEMA));
  const schemaText = encodeSchema(fields);
  const schemaLength = schemaByteLength(schemaText);
  if (schemaLength > MAX_SCHEMA_LENGTH) {
    throw new InvalidArgumentError(`options.schema is too long once encoded (at most ${MAX_SCHEMA_LENGTH} bytes): length=${schemaLength}`);
  }
  const mode = resolveRingMode(options, options.maxConsumers, 'maxConsumers');
  const initialSequence = orDefault<unknown>(options.initialSequence, -1);
  if (typeof initialSequence !== 'number' || !Number.isInteger(initialSequence) || initialSequence < -(2 ** 31) || initialSequence > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`options.initialSequence must be an Int32: initialSequence=${describe(initialSequence)}`);
  }
  return { capacity, fields, schemaText, mode, initialSequence, layout: typedLayout(capacity, mode, fields, schemaText) };
}

/**
 * A Disruptor-style ring of typed slots in a `SharedArrayBuffer`: producers claim slots, write
 * them in place and publish; consumers (broadcast, dependent, or in work groups) read batches in
 * place and release them; the producer never overwrites what a gating consumer holds.
 *
 * A `Ring` object is one thread's view of the shared ring. Create it once with
 * {@link Ring.create}, send {@link descriptor} to other threads, and {@link Ring.attach} there.
 */
export class Ring<S extends Schema = DefaultSchema> {
  /** Structured-clonable: send it to a worker and `Ring.attach` it there. */
  readonly descriptor: RegionDescriptor;
  /** Number of slots. */
  readonly capacity: number;
  /** `capacity - 1`: the slot of sequence `s` is `s & mask`. */
  readonly mask: number;
  /** One typed array per field, `capacity` entries long (`bytes(n)` fields: `n × capacity` bytes). */
  readonly columns: Columns<S>;
  /** The slot schema. */
  readonly schema: S;
  /** The header as stored in the shared memory. */
  readonly header: Header;
  /** Byte length of the ring's region. */
  readonly byteLength: number;
  private readonly control: RingControl;
  private readonly columnSet: ColumnSet;
  private readonly writer: SlotWriter<S>;
  private ownProducer: Producer<S> | undefined;

  private constructor(descriptor: RegionDescriptor, header: Header, layout: RegionLayout, fields: ResolvedField[], strategy: WaitStrategy, participation: Participation) {
    this.descriptor = Object.freeze({ buffer: descriptor.buffer, byteOffset: descriptor.byteOffset });
    this.header = header;
    this.capacity = header.capacity;
    this.mask = header.capacity - 1;
    this.byteLength = layout.byteLength;
    this.control = new RingControl(this.descriptor, header, layout, strategy, participation);
    const views: Record<string, ArrayBufferView> = {};
    const bytesPerEntry: Record<string, number> = {};
    const list: ArrayBufferView[] = [];
    fields.forEach((f, i) => {
      const view = makeColumn(f, descriptor.buffer, descriptor.byteOffset + layout.columnOffsets[i]!, header.capacity);
      views[f.name] = view;
      bytesPerEntry[f.name] = f.bytesPerEntry;
      list.push(view);
    });
    this.columns = Object.freeze(views) as unknown as Columns<S>;
    this.schema = decodeSchema(header.schema) as S;
    this.columnSet = Object.freeze({ views, bytesPerEntry, capacity: header.capacity, mask: header.capacity - 1 });
    this.writer = new SlotWriter<S>(fields, list, this.mask);
  }

  /** Bytes a ring with these options occupies (to place it inside a larger buffer). */
  static byteLength(options: RingOptions<Schema>): number {
    return resolveOptions(options).layout.byteLength;
  }

  /**
   * Creates a ring in a new `SharedArrayBuffer` (or in `options.buffer` at `options.byteOffset`).
   * @throws {@link InvalidArgumentError} for a bad option, naming it.
   */
  static create<S extends Schema = DefaultSchema>(options: RingOptions<S>): Ring<S> {
    const r = resolveOptions(options as RingOptions<Schema>);
    const strategy = resolveWaitStrategy(options.waitStrategy);
    const participation = resolveParticipation(options);
    const descriptor = placeRegion(options, r.layout, 'ring');
    const header: Header = {
      kind: KIND.typedRing,
      capacity: r.capacity,
      multiProducer: r.mode.multi,
      maxConsumers: r.mode.maxConsumers,
      maxProducers: r.mode.maxProducers,
      lossy: r.mode.lossy,
      lossySkip: r.mode.lossySkip,
      initialSequence: r.initialSequence,
      evictAfterMs: r.mode.evictAfterMs,
      startTimeoutMs: r.mode.startTimeoutMs,
      byteLength: r.layout.byteLength,
      schema: r.schemaText,
      epochMs: Date.now(),
    };
    writeHeader(descriptor, header);
    const ring = new Ring<S>(descriptor, header, r.layout, r.fields, strategy, participation);
    ring.control.initialise();
    return ring;
  }

  /**
   * Attaches to a ring created elsewhere (another thread) from its descriptor.
   * @throws {@link LayoutMismatchError} when the memory is not a typed ring, or differs from
   *   `expected` (the error's `field` names what differs: `schema`, `capacity`, `producer`, ...).
   */
  static attach<S extends Schema = DefaultSchema>(descriptor: RegionDescriptor, expected?: AttachOptions<S>): Ring<S> {
    const d = checkDescriptor(descriptor);
    expected = optionsObject(expected, 'expected');
    const strategy = resolveWaitStrategy(expected.waitStrategy);
    const participation = resolveParticipation(expected);
    const header = readHeader(d, KIND.typedRing, storedFields);
    const fields = storedFields(header.schema);
    if (expected.schema !== undefined) {
      const want = encodeSchema(resolveSchema(expected.schema));
      if (want !== header.schema) {
        throw new LayoutMismatchError('schema', `the ring's schema differs from the expected one: schema=${header.schema}, expected ${want}`);
      }
    }
    if (expected.producer !== undefined && expected.producer !== 'single' && expected.producer !== 'multi') {
      throw new InvalidArgumentError(`expected.producer must be 'single' or 'multi': producer=${describe(expected.producer)}`);
    }
    if (expected.capacity !== undefined && !(typeof expected.capacity === 'number' && isPowerOfTwo(expected.capacity))) {
      throw new InvalidArgumentError(`expected.capacity must be a power of two in [2, 2^30]: capacity=${describe(expected.capacity)}`);
    }
    if (expected.capacity !== undefined && expected.capacity !== header.capacity) {
      throw new LayoutMismatchError('capacity', `the ring's capacity differs: capacity=${header.capacity}, expected ${expected.capacity}`);
    }
    if (expected.producer !== undefined && (expected.producer === 'multi') !== header.multiProducer) {
      throw new LayoutMismatchError('producer', `the ring's producer mode differs: producer=${header.multiProducer ? 'multi' : 'single'}, expected ${expected.producer}`);
    }
    const layout = typedLayout(header.capacity, { maxConsumers: header.maxConsumers, maxProducers: header.maxProducers, multi: header.multiProducer }, fields, header.schema);
    if (layout.byteLength !== header.byteLength) {
      throw new LayoutMismatchError('byteLength', `the ring's recorded length does not match its header: byteLength=${header.byteLength}, computed ${layout.byteLength}`);
    }
    return new Ring<S>(d, header, layout, fields, strategy, participation);
  }

  /** Slot index of sequence `seq`. */
  index(seq: number): number {
    return seq & this.mask;
  }

  /**
   * Zero-copy views of `count` consecutive entries of one column starting at sequence `lo`: one
   * `subarray`, or two when the range wraps. Allocates the views (once per batch, not per entry).
   */
  slices<K extends keyof S & string>(field: K, lo: number, count: number): [ColumnOf<S[K]>, ColumnOf<S[K]> | undefined] {
    if (typeof lo !== 'number' || !Number.isInteger(lo)) throw new InvalidArgumentError(`lo must be an integer sequence: lo=${describe(lo)}`);
    if (typeof count !== 'number' || !(count >= 1 && count <= this.capacity && (count | 0) === count)) {
      throw new InvalidArgumentError(`count must be an integer in [1, capacity=${this.capacity}]: count=${describe(count)}`);
    }
    const view = typeof field === 'string' && Object.hasOwn(this.columnSet.views, field) ? this.columnSet.views[field] as unknown as Uint8Array : undefined;
    if (view === undefined) throw new InvalidArgumentError(`no field ${describe(field)} in this ring's schema; fields: ${Object.keys(this.columnSet.views).join(', ')}`);
    const per = this.columnSet.bytesPerEntry[field]!;
    const unit = view instanceof Uint8Array ? per : 1;
    const start = lo & this.mask;
    const end = start + count;
    if (end <= this.capacity) return [view.subarray(start * unit, end * unit) as unknown as ColumnOf<S[K]>, undefined];
    return [
      view.subarray(start * unit, this.capacity * unit) as unknown as ColumnOf<S[K]>,
      view.subarray(0, (end - this.capacity) * unit) as unknown as ColumnOf<S[K]>,
    ];
  }

  /**
   * The producer for this thread. `'single'` rings allow one producer in all threads;
   * `'multi'` rings one per thread (calling again returns the same object).
   * @throws {@link InvalidStateError} when a single-producer ring already has its producer.
   */
  producer(): Producer<S> {
    if (this.ownProducer !== undefined) return this.ownProducer;
    const control = this.control;
    if (this.header.multiProducer) {
      control.retireDead();
      this.ownProducer = new MultiProducerSequencer<S>(control, this.writer, control.producers.acquire(control.owner, 'ring'));
    } else {
      if (control.producers.tryAcquire(control.owner) < 0) {
        throw new InvalidStateError("this ring is single-producer and already has its producer; create it with producer: 'multi' for several (if the producer's thread died, ring.recover(owner) frees its slot)");
      }
      this.ownProducer = new SingleProducerSequencer<S>(control, this.writer);
    }
    return this.ownProducer;
  }

  /**
   * Registers a broadcast consumer (it sees every entry published from now on, after the
   * consumers in `options.after`) and returns it for this thread. Register consumers before
   * producing to see every entry. Other threads open it with {@link openConsumer}`(consumer.id)`.
   * @throws {@link CapacityError} when the consumer table is full.
   */
  addConsumer(options?: ConsumerOptions): Consumer<S> {
    const deps = this.control.dependencyMask(optionsObject(options, 'options').after);
    const id = this.control.register(CONSUMER_ROLE.consumer, deps, -1, 0);
    return this.openConsumer(id);
  }

  /**
   * Registers a work group: `members` consumers sharing one work sequence, so each entry goes
   * to exactly one member (the Disruptor's WorkerPool). Open each member with
   * {@link openConsumer} in its own thread.
   */
  addWorkGroup(options: WorkGroupOptions): WorkGroup {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object { members, after? }: options=${describe(options)}`);
    const members = options.members;
    if (typeof members !== 'number' || !Number.isInteger(members) || members < 1 || members > MAX_CONSUMERS - 1) {
      throw new InvalidArgumentError(`options.members must be an integer in [1, ${MAX_CONSUMERS - 1}]: members=${describe(members)}`);
    }
    const control = this.control;
    const deps = control.dependencyMask(options.after);
    const taken: number[] = [];
    try {
      const group = control.register(CONSUMER_ROLE.group, deps, -1, members);
      taken.push(group);
      for (let i = 0; i < members; i++) taken.push(control.register(CONSUMER_ROLE.member, deps, group, 0));
      return Object.freeze({ id: group, memberIds: Object.freeze(taken.slice(1)) });
    } catch (e) {
      control.unregister(taken); // nothing was handed out: the entries go back to the free list
      throw e;
    }
  }

  /**
   * This thread's handle on consumer (or work-group member) `id`, registered by any thread.
   * @throws {@link InvalidArgumentError} if `id` is not a registered consumer or member.
   */
  openConsumer(id: number): Consumer<S> {
    const control = this.control;
    control.checkId(id, 'consumer id');
    const role = control.role(id);
    if (role === CONSUMER_ROLE.group) {
      throw new InvalidArgumentError(`id ${id} is a work group; open one of its members (workGroup.memberIds) instead`);
    }
    const ctl = control.ctl;
    const group = role === CONSUMER_ROLE.member ? Atomics.load(ctl, control.infoIndex(id, INFO_GROUP)) : -1;
    const deps = Atomics.load(ctl, control.infoIndex(id, INFO_DEPS));
    const barrier = new SequenceBarrier(control, deps);
    Atomics.store(ctl, control.infoIndex(id, INFO_OWNER), control.owner); // the opener's thread runs it now
    return new Consumer<S>(control, id, barrier, this.columnSet, group >= 0 ? control.seqIndex(group) : -1, this.header.lossySkip === true, deps !== 0);
  }

  /**
   * The owner tag of this ring object (one thread's view): recorded with every producer and
   * consumer it creates or opens. Pass it to the thread that watches this one, so that it can
   * call {@link recover} if this thread dies. Given by `options.owner`, else allocated (negative).
   */
  get owner(): number {
    return this.control.owner;
  }

  /**
   * Declares every participant of `owner` dead — call it once the thread (or process) that ran
   * them is gone, e.g. from a `Worker`'s `'exit'` event; never for a live one:
   * - its multi-producer claims that were not published are skipped by every consumer and
   *   reported as lost (`batch.lost`, `consumer.lost`), never read as data, and the ring goes on;
   * - a single-producer ring's producer slot is freed: a new producer may attach (it continues
   *   after the last published entry), or any thread may `close()` the ring;
   * - its consumers are evicted (they stop gating the producers), unless `keepConsumers`.
   * Any thread may call it. Idempotent.
   * @throws {@link InvalidArgumentError} for an owner that is not a non-zero Int32.
   */
  recover(owner: number, options?: RecoverOptions): RecoveryReport {
    return this.control.recover(owner, resolveRecover(owner, options));
  }

  /** Number of members of work group `id` (as registered). */
  groupSize(id: number): number {
    const control = this.control;
    control.checkId(id, 'work group id');
    if (control.role(id) !== CONSUMER_ROLE.group) throw new InvalidArgumentError(`id ${id} is not a work group (ring.addWorkGroup returns one): id=${id}`);
    return Atomics.load(control.ctl, control.infoIndex(id, INFO_MEMBERS));
  }

  /**
   * Closes the ring: consumers drain what was published, then see the end.
   * - `'single'`: closes through this thread's producer (the only one that may). In another
   *   thread, call `producer.close()` in the producer's thread instead.
   * - `'multi'`: any thread, any time. Claims that raced with the close either land inside the
   *   final range (and are delivered once published) or throw `RingClosedError` at the claim.
   */
  close(): void {
    this.control.closeFromRing(this.ownProducer, 'ring');
  }

  /** True once the ring is closed (a query: stale as soon as it returns). */
  get closed(): boolean {
    return this.control.isClosed();
  }

  /** The claim/publish cursor (single: last published; multi: last claimed). A query; stale at once. */
  get cursor(): number {
    return Atomics.load(this.control.ctl, CURSOR_INDEX);
  }

  /**
   * The slowest gating consumer's released sequence, or the cursor when no consumer gates.
   * A query (stale as soon as it returns): how far producers may run ahead is `capacity` past it.
   */
  gatingSequence(): number {
    return this.control.minimumGatingSequence(Atomics.load(this.control.ctl, CURSOR_INDEX));
  }

  /**
   * The sequence consumer `id` has released up to, from any thread. A query.
   * @throws {@link InvalidArgumentError} if `id` is not a registered consumer.
   */
  consumerSequence(id: number): number {
    this.control.checkId(id, 'consumer id');
    return Atomics.load(this.control.ctl, this.control.seqIndex(id));
  }

  /**
   * @internal Moves active consumer `id`'s released sequence forward to `seq` (never back) and
   * wakes blocked producers: for a thread that holds the consumer's turn (the facade's
   * `forceReaderSync`, under its per-reader hold word). Returns true if it moved.
   */
  advanceConsumer(id: number, seq: number): boolean {
    const control = this.control;
    if (id < 0 || id >= control.maxConsumers || control.state(id) !== CONSUMER_STATE.active || control.role(id) === CONSUMER_ROLE.group) return false;
    const index = control.seqIndex(id);
    for (;;) {
      const current = Atomics.load(control.ctl, index);
      if (((seq - current) | 0) <= 0) return false;
      if (Atomics.compareExchange(control.ctl, index, current, seq) === current) break;
    }
    control.signalReleased();
    return true;
  }

  /** A human-readable dump of the header and control words (for logs and error reports). */
  describe(): string {
    return describeLayout(this.descriptor.buffer, this.descriptor.byteOffset);
  }
}

/**
 * The fields of a schema read from shared memory: parsed strictly and checked like a caller's
 * schema, but reported as a corrupt header, not as a mistake in the caller's options.
 * @throws {@link LayoutMismatchError} (`field: 'schema'`).
 */
function storedFields(text: string): ResolvedField[] {
  let fields: ResolvedField[];
  try {
    fields = resolveSchema(decodeSchema(text));
  } catch (e) {
    if (e instanceof LayoutMismatchError) throw e;
    throw new LayoutMismatchError('schema', `corrupt schema in the region header (${(e as Error).message}): schema=${describe(text)}`);
  }
  if (encodeSchema(fields) !== text) throw new LayoutMismatchError('schema', `corrupt schema in the region header (not in canonical form): schema=${describe(text)}`);
  return fields;
}
