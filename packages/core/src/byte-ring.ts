import { ByteProducer } from './byte-producer.js';
import { ByteReader } from './byte-reader.js';
import { CLEANER_INDEX, CLEANING_INDEX, CLEAN_LIMIT_INDEX, MIN_BYTE_CAPACITY, RECORD_ALIGNMENT, RECORD_HEADER_LENGTH } from './byte-record.js';
import { RingControl, type Participation, type RecoveryReport } from './control.js';
import { InvalidArgumentError, InvalidStateError, LayoutMismatchError } from './errors.js';
import {
  checkDescriptor, computeLayout, CONSUMER_ROLE, CURSOR_INDEX, describeLayout, INFO_DEPS, INFO_OWNER, KIND, PRODUCER_STATE,
  readHeader, schemaByteLength, writeHeader, type Header, type RegionDescriptor, type RegionLayout,
} from './layout.js';
import { placeRegion, type PlacementOptions } from './region.js';
import { optionsObject, orDefault, resolveParticipation, resolveRecover, resolveRingMode, type ParticipationOptions, type RecoverOptions } from './ring-mode.js';
import { describe } from './schema.js';
import { isPowerOfTwo } from './sequence.js';
import { resolveWaitStrategy, type WaitStrategy, type WaitStrategyOption } from './wait-strategy.js';

/** Options of {@link ByteRing.create}. */
export interface ByteRingOptions extends ParticipationOptions, PlacementOptions {
  /** Bytes of record space: a power of two in [256, 2^30]. Records are at most capacity / 8 - 8 bytes. Required. */
  capacity: number;
  /** `'single'` or `'multi'` producer. Defaults to `'single'`. */
  producer?: 'single' | 'multi';
  /** Size of the reader table (1 … 128; `after` may name ids 0 … 31). Defaults to 8. */
  maxReaders?: number;
  /** How blocked calls wait in this thread. Defaults to `'phased'`. */
  waitStrategy?: WaitStrategyOption;
  /** Producers never wait for readers; lapped readers are told (see `lossyPolicy`). Defaults to false. */
  lossy?: boolean;
  /** Lossy rings: a lapped reader gets a `LappedError` (`'error'`) or skips to the newest record with `batch.lost` (bytes) set (`'skip'`). Defaults to `'error'`. */
  lossyPolicy?: 'error' | 'skip';
  /** A waiter blocked by a reader silent for longer than this evicts it; 0 = never. Defaults to 0. */
  evictAfterMs?: number;
  /** Multi producer: most producers at once, 1 … 128. Defaults to 16 (single: 1). */
  maxProducers?: number;
  /** A blocking call that has waited this long on a registered reader that has never polled throws `ConsumerNotStartedError`; 0 = wait for ever. Defaults to 5000. */
  startTimeoutMs?: number;
  /** First record position (a multiple of 8; positions are Int32 and wrap). Defaults to 0. */
  initialPosition?: number;
  /** Most records per batch a reader collects. Defaults to 1024. */
  maxBatch?: number;
}

/** Options of {@link ByteRing.addReader}. */
export interface ByteReaderOptions {
  /** Readers this one runs after (it sees a record only once they released it). */
  after?: ReadonlyArray<ByteReader | number>;
}

/** What {@link ByteRing.attach} accepts. */
export interface ByteRingAttachOptions extends ParticipationOptions {
  /** Expected capacity (checked). */
  capacity?: number;
  /** How blocked calls wait in this thread. Defaults to `'phased'`. */
  waitStrategy?: WaitStrategyOption;
  /** Most records per batch a reader of this thread collects. Defaults to 1024. */
  maxBatch?: number;
}

/** The schema text a byte ring stores in its header (it has no fields). */
const BYTE_SCHEMA = 'bytes';

function byteLayout(capacity: number, maxConsumers: number, maxProducers: number): RegionLayout {
  // Never an availability array: multi-producer byte rings publish through the frame headers.
  return computeLayout({ capacity, maxConsumers, maxProducers, multiProducer: false, schemaLength: schemaByteLength(BYTE_SCHEMA), columnBytes: [capacity] });
}

function checkMaxBatch(maxBatch: unknown): number {
  const m = orDefault(maxBatch, 1024);
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > 2 ** 20) {
    throw new InvalidArgumentError(`options.maxBatch must be an integer in [1, 2^20]: maxBatch=${describe(maxBatch)}`);
  }
  return m;
}

/** Checks the options {@link ByteRing.create} and {@link ByteRing.byteLength} share. */
function resolveByteOptions(options: ByteRingOptions): { capacity: number; mode: ReturnType<typeof resolveRingMode> } {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`options must be an object with at least { capacity }: options=${describe(options)}`);
  }
  const { capacity } = options;
  if (typeof capacity !== 'number' || !isPowerOfTwo(capacity) || capacity < MIN_BYTE_CAPACITY) {
    throw new InvalidArgumentError(`options.capacity must be a power of two in [256, 2^30] bytes: capacity=${describe(capacity)}`);
  }
  return { capacity, mode: resolveRingMode(options, options.maxReaders, 'maxReaders') };
}

/**
 * A ring of variable-length byte records in a `SharedArrayBuffer`: producers claim a record,
 * write it in place (a `Uint8Array` view into the ring) and commit it; readers (broadcast, with
 * dependencies) get batches of records as zero-copy views and release them. Records longer than
 * {@link maxRecordLength} are refused. One object per thread: create once, send
 * {@link descriptor}, {@link ByteRing.attach} in the other thread.
 */
export class ByteRing {
  /** Structured-clonable: send it to a worker and `ByteRing.attach` it there. */
  readonly descriptor: RegionDescriptor;
  /** Bytes of record space. */
  readonly capacity: number;
  /** Longest payload a record may have: `capacity / 8 - 8`. */
  readonly maxRecordLength: number;
  /** The header as stored in the shared memory. */
  readonly header: Header;
  /** Byte length of the region. */
  readonly byteLength: number;
  /** The record space (`capacity` bytes); record payloads are sub-ranges of it. */
  readonly data: Uint8Array;
  /** @internal Int32 view of the record space (frame headers). */
  readonly words: Int32Array;
  /** @internal */
  readonly control: RingControl;
  /** @internal Most records per reader batch. */
  readonly maxBatch: number;
  private ownProducer: ByteProducer | undefined;

  private constructor(d: RegionDescriptor, header: Header, layout: RegionLayout, strategy: WaitStrategy, maxBatch: number, participation: Participation) {
    this.descriptor = Object.freeze({ buffer: d.buffer, byteOffset: d.byteOffset });
    this.header = header;
    this.capacity = header.capacity;
    this.maxRecordLength = header.capacity / 8 - RECORD_HEADER_LENGTH;
    this.byteLength = layout.byteLength;
    this.control = new RingControl(this.descriptor, header, layout, strategy, participation);
    this.data = new Uint8Array(d.buffer, d.byteOffset + layout.dataOffset, header.capacity);
    this.words = new Int32Array(d.buffer, d.byteOffset + layout.dataOffset, header.capacity >> 2);
    this.maxBatch = maxBatch;
  }

  /** Bytes a byte ring with these options occupies. */
  static byteLength(options: Pick<ByteRingOptions, 'capacity' | 'maxReaders' | 'producer' | 'maxProducers'>): number {
    const { capacity, mode } = resolveByteOptions(options as ByteRingOptions);
    return byteLayout(capacity, mode.maxConsumers, mode.maxProducers).byteLength;
  }

  /**
   * Creates a byte ring in a new `SharedArrayBuffer`.
   * @throws {@link InvalidArgumentError} for a bad option, naming it.
   */
  static create(options: ByteRingOptions): ByteRing {
    const { capacity, mode } = resolveByteOptions(options);
    const initialPosition = orDefault<unknown>(options.initialPosition, 0);
    if (typeof initialPosition !== 'number' || !Number.isInteger(initialPosition) || initialPosition < -(2 ** 31) || initialPosition > 2 ** 31 - 1 || initialPosition % RECORD_ALIGNMENT !== 0) {
      throw new InvalidArgumentError(`options.initialPosition must be an Int32 multiple of 8: initialPosition=${describe(initialPosition)}`);
    }
    const maxBatch = checkMaxBatch(options.maxBatch);
    const strategy = resolveWaitStrategy(options.waitStrategy);
    const participation = resolveParticipation(options);
    const layout = byteLayout(capacity, mode.maxConsumers, mode.maxProducers);
    const d = placeRegion(options, layout, 'byte ring');
    const header: Header = {
      kind: KIND.byteRing,
      capacity,
      multiProducer: mode.multi,
      maxConsumers: mode.maxConsumers,
      maxProducers: mode.maxProducers,
      lossy: mode.lossy,
      lossySkip: mode.lossySkip,
      initialSequence: initialPosition,
      evictAfterMs: mode.evictAfterMs,
      startTimeoutMs: mode.startTimeoutMs,
      byteLength: layout.byteLength,
      schema: BYTE_SCHEMA,
      epochMs: Date.now(),
    };
    writeHeader(d, header);
    const ring = new ByteRing(d, header, layout, strategy, maxBatch, participation);
    ring.control.initialise();
    if (header.multiProducer) {
      // A new SharedArrayBuffer is zero: the whole first lap is clean (see byte-record.ts).
      const ctl = ring.control.ctl;
      Atomics.store(ctl, CLEANING_INDEX, (initialPosition + capacity) | 0);
      Atomics.store(ctl, CLEAN_LIMIT_INDEX, (initialPosition + capacity) | 0);
    }
    return ring;
  }

  /**
   * Attaches to a byte ring created in another thread.
   * @throws {@link LayoutMismatchError} when the memory is not a byte ring or differs from `expected`.
   */
  static attach(descriptor: RegionDescriptor, expected?: ByteRingAttachOptions): ByteRing {
    const d = checkDescriptor(descriptor);
    expected = optionsObject(expected, 'expected');
    const strategy = resolveWaitStrategy(expected.waitStrategy);
    const maxBatch = checkMaxBatch(expected.maxBatch);
    const participation = resolveParticipation(expected);
    const header = readHeader(d, KIND.byteRing, (schema) => {
      if (schema !== BYTE_SCHEMA) throw new LayoutMismatchError('schema', `corrupt schema text in a byte ring's header: schema=${describe(schema)}, expected "${BYTE_SCHEMA}"`);
    });
    if (expected.capacity !== undefined && !(typeof expected.capacity === 'number' && isPowerOfTwo(expected.capacity))) {
      throw new InvalidArgumentError(`expected.capacity must be a power of two in [256, 2^30] bytes: capacity=${describe(expected.capacity)}`);
    }
    if (expected.capacity !== undefined && expected.capacity !== header.capacity) {
      throw new LayoutMismatchError('capacity', `the byte ring's capacity differs: capacity=${header.capacity}, expected ${describe(expected.capacity)}`);
    }
    const layout = byteLayout(header.capacity, header.maxConsumers, header.maxProducers);
    if (layout.byteLength !== header.byteLength) {
      throw new LayoutMismatchError('byteLength', `the byte ring's recorded length does not match its header: byteLength=${header.byteLength}, computed ${layout.byteLength}`);
    }
    return new ByteRing(d, header, layout, strategy, maxBatch, participation);
  }

  /**
   * This thread's producer. `'single'` rings have one in all threads; `'multi'` one per thread.
   * @throws {@link InvalidStateError} when a single-producer ring already has its producer.
   */
  producer(): ByteProducer {
    if (this.ownProducer !== undefined) return this.ownProducer;
    const control = this.control;
    let entry: number;
    if (this.header.multiProducer) {
      control.retireDead();
      entry = control.producers.acquire(control.owner, 'byte ring');
    } else {
      entry = control.producers.tryAcquire(control.owner);
      if (entry < 0) {
        throw new InvalidStateError("this byte ring is single-producer and already has its producer; create it with producer: 'multi' for several (if the producer's thread died, ring.recover(owner) frees its slot)");
      }
    }
    this.ownProducer = new ByteProducer(this, entry);
    return this.ownProducer;
  }

  /** The owner tag of this ring object (see `Ring.owner`). */
  get owner(): number {
    return this.control.owner;
  }

  /**
   * Declares every participant of `owner` dead, as `Ring.recover` does: a dead multi producer's
   * claimed, uncommitted record is skipped by every reader and counted as lost (bytes), never
   * read; if it died while zeroing the space ahead of the claims, the zeroing is finished here
   * so the other producers go on; a single-producer ring's producer slot is freed (a lossy one's
   * unfinished record is never delivered, and readers a lap behind it count what it may have
   * overwritten as lost); its readers
   * are evicted unless `keepConsumers`. Call it only once that thread or process is gone.
   * @throws {@link InvalidArgumentError} for an owner that is not a non-zero Int32.
   */
  recover(owner: number, options?: RecoverOptions): RecoveryReport {
    const keep = resolveRecover(owner, options);
    const control = this.control;
    // Before the entries are declared dead (and perhaps freed and reused): is one of them zeroing?
    const cleaner = Atomics.load(control.ctl, CLEANER_INDEX) - 1;
    const deadCleaner = this.header.multiProducer && cleaner >= 0 && control.producers.state(cleaner) === PRODUCER_STATE.active && control.producers.owner(cleaner) === owner;
    const report = control.recover(owner, keep);
    if (deadCleaner) this.finishDeadCleaning(cleaner);
    return report;
  }

  /** Multi producer: the producer zeroing ahead of the claims (table entry `cleaner`) is dead: zero the rest and move the limit. */
  private finishDeadCleaning(cleaner: number): void {
    const control = this.control;
    const ctl = control.ctl;
    const limit = Atomics.load(ctl, CLEAN_LIMIT_INDEX);
    const target = Atomics.load(ctl, CLEANING_INDEX);
    const words = new Float64Array(this.data.buffer, this.data.byteOffset, this.capacity >> 3);
    const mask = this.capacity - 1;
    for (let p = limit; p !== target; p = (p + 8) | 0) words[(p & mask) >> 3] = 0;
    if (Atomics.compareExchange(ctl, CLEANER_INDEX, cleaner + 1, 0) !== cleaner + 1) return;
    Atomics.store(ctl, CLEAN_LIMIT_INDEX, target);
    control.topologyChanged();
  }

  /**
   * Registers a broadcast reader (sees every record committed from now on, after the readers in
   * `options.after`) and opens it for this thread. Other threads use {@link openReader}`(reader.id)`.
   * @throws {@link CapacityError} when the reader table is full.
   */
  addReader(options?: ByteReaderOptions): ByteReader {
    return this.openReader(this.control.register(CONSUMER_ROLE.consumer, this.control.dependencyMask(optionsObject(options, 'options').after), -1, 0));
  }

  /**
   * This thread's handle on reader `id` (registered by any thread).
   * @throws {@link InvalidArgumentError} if `id` is not a registered reader.
   */
  openReader(id: number): ByteReader {
    const control = this.control;
    control.checkId(id, 'reader id');
    Atomics.store(control.ctl, control.infoIndex(id, INFO_OWNER), control.owner); // the opener's thread runs it now
    return new ByteReader(this, id, Atomics.load(control.ctl, control.infoIndex(id, INFO_DEPS)));
  }

  /**
   * Closes the ring: readers drain what was committed, then see the end. Single producer: call
   * in the producer's thread (or before any producer exists); multi producer: any thread.
   */
  close(): void {
    this.control.closeFromRing(this.ownProducer, 'byte ring');
  }

  /** True once the ring is closed (a query: stale as soon as it returns). */
  get closed(): boolean {
    return this.control.isClosed();
  }

  /** Single producer: the committed end position; multi: the claimed end position. A query. */
  get cursor(): number {
    return Atomics.load(this.control.ctl, CURSOR_INDEX);
  }

  /**
   * The slowest gating reader's released position, or the cursor when no reader gates. A query
   * (stale as soon as it returns): producers may run at most `capacity` bytes past it, so
   * `capacity - ((cursor - gatingPosition()) | 0)` is the record space free now (a bridge sizes
   * what it fetches by it).
   */
  gatingPosition(): number {
    return this.control.minimumGatingSequence(Atomics.load(this.control.ctl, CURSOR_INDEX));
  }

  /** A human-readable dump of the header and control words. */
  describe(): string {
    return describeLayout(this.descriptor.buffer, this.descriptor.byteOffset);
  }
}
