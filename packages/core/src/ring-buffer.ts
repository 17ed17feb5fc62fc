import type { Consumer } from './consumer.js';
import { POLL_CLOSED, POLL_EMPTY } from './poll-loop.js';
import { InvalidArgumentError, InvalidStateError, LayoutMismatchError, registerErrorClass, RingClosedError, type RingkitError } from './errors.js';
import { alignTo, BLOCK_LENGTH, checkDescriptor, MAX_CONSUMERS, MAX_PRODUCERS } from './layout.js';
import type { Producer } from './producer.js';
import { bytes, describe, MAX_BYTES_FIELD_LENGTH, type BytesField } from './schema.js';
import { MAX_CAPACITY } from './sequence.js';
import { Ring } from './typed-ring.js';
import { optionsObject, orDefault, type ParticipationOptions, type RecoverOptions } from './ring-mode.js';
import { placeRegion, type PlacementOptions } from './region.js';
import type { RecoveryReport } from './control.js';
import { checkWait, checkWaitOptions, deadlineOf, MAX_SLEEP_MS, resolveWaitStrategy, signalAll, sleepMs, type WaitOptions, type WaitStrategy, type WaitStrategyOption } from './wait-strategy.js';
import { copyBytes, sliceBytes } from './copy.js';

/*
 * The `ringbuffer`-compatible facade (bslatkin/ringbuffer's API, lock-free). Memory layout of
 * one facade, in one SharedArrayBuffer (byte offsets from the facade's start: 0 unless placed
 * with `options.buffer` / `options.byteOffset`):
 *
 *      0  MAGIC          "RKRB" as a little-endian u32
 *      4  SLOT_BYTES     u32
 *      8  SLOT_COUNT     u32
 *     12  PAYLOAD_OFFSET u32: 0 = payloads live in the ring's `data` bytes field; else the byte
 *                        offset (from the facade's start) of a side area of capacity × SLOT_BYTES (slots over 2^24 bytes)
 *    128  ACTIVE         Int32: writers registered and not done (the reference's `active`)
 *    132  SYNC_EPOCH     Int32: bumped by forceReaderSync()
 *    136  SYNC_TARGET    Int32: the ring cursor at the last forceReaderSync()
 *    144  WRITERS        14 × (owner Int32, count Int32): writers registered by each owner tag
 *                        (newWriter in that thread or process, or adopted: the first write of an
 *                        owner with none takes one registered on its behalf by another owner),
 *                        so recover(owner) can end a dead owner's writers; owner 0 = a free entry
 *    256  READ_SIGNAL    Int32: bumped by readers when READ_WAITERS != 0 (wakes blocked writers)
 *    384  READ_WAITERS   Int32: writers asleep in write()
 *    512  HOLD           Int32 × 128, one per reader id: 0 idle, 1 its thread is inside a read (or
 *                        holds a readView), 2 forceReaderSync() is moving it
 *   1024  RING           a multi-producer typed ring { length: u32, data: bytes(SLOT_BYTES) }
 *                        (or { length: u32 } with the side area), capacity = SLOT_COUNT
 *                        rounded up to a power of two
 *      …  PAYLOAD        side area (only for slots over 2^24 bytes), 128-aligned
 */
const MAGIC = 0x42524b52; // "RKRB"
const SLOT_BYTES_WORD = 1;
const SLOT_COUNT_WORD = 2;
const PAYLOAD_OFFSET_WORD = 3;
const ACTIVE_INDEX = 128 >> 2;
const SYNC_EPOCH_INDEX = 132 >> 2;
const SYNC_TARGET_INDEX = 136 >> 2;
const WRITERS_INDEX = 144 >> 2;
const WRITER_ENTRIES = 14;
const READ_SIGNAL_INDEX = 256 >> 2;
const READ_WAITERS_INDEX = 384 >> 2;
const HOLD_INDEX = 512 >> 2;
const HOLD_IDLE = 0;
const HOLD_READING = 1;
const HOLD_SYNCING = 2;
const RING_OFFSET = 1024;
const WRITE = 0;
const RESERVE = 1;

/** Schema of the facade's ring. */
type SlotSchema = { length: 'u32'; data: BytesField } | { length: 'u32' };

/**
 * @internal Names an error class of the facade or the slot pool and registers it under its own
 * code, so {@link reviveError} rebuilds it as itself after it crossed a thread.
 */
export function revivable(cls: new (message: string) => RingkitError, name: string, code: `ERR_${string}`): void {
  cls.prototype.name = name;
  registerErrorClass(code, (data) => new cls(data.message));
}

/** `tryWrite` when no writer is registered (none yet, or all called `writerDone`). Code `ERR_ALREADY_CLOSED`. */
export class AlreadyClosedError extends RingClosedError {
  override readonly code = 'ERR_ALREADY_CLOSED';
}
revivable(AlreadyClosedError, 'AlreadyClosedError', 'ERR_ALREADY_CLOSED');

/** `tryWrite` when the slowest reader is `slotCount` items behind: the write would overwrite unread data. Code `ERR_WAITING_FOR_READER`. */
export class WaitingForReaderError extends InvalidStateError {
  override readonly code = 'ERR_WAITING_FOR_READER';
}
revivable(WaitingForReaderError, 'WaitingForReaderError', 'ERR_WAITING_FOR_READER');

/** `tryWrite` with more than `slotBytes` bytes. Message: `<n> bytes too big for slot`. Code `ERR_DATA_TOO_LARGE`. */
export class DataTooLargeError extends InvalidArgumentError {
  override readonly code = 'ERR_DATA_TOO_LARGE';
}
revivable(DataTooLargeError, 'DataTooLargeError', 'ERR_DATA_TOO_LARGE');

/** `tryRead` with nothing new to read while at least one writer is active. Code `ERR_WAITING_FOR_WRITER`. */
export class WaitingForWriterError extends InvalidStateError {
  override readonly code = 'ERR_WAITING_FOR_WRITER';
}
revivable(WaitingForWriterError, 'WaitingForWriterError', 'ERR_WAITING_FOR_WRITER');

/** A read with nothing new to read and no active writer: everything was written and read. Code `ERR_WRITER_FINISHED`. */
export class WriterFinishedError extends RingClosedError {
  override readonly code = 'ERR_WRITER_FINISHED';
}
revivable(WriterFinishedError, 'WriterFinishedError', 'ERR_WRITER_FINISHED');

/** `newReader` after the first write (readers must exist before writing to see every item). Code `ERR_MUST_CREATE_READERS_BEFORE_WRITING`. */
export class MustCreateReadersBeforeWritingError extends InvalidStateError {
  override readonly code = 'ERR_MUST_CREATE_READERS_BEFORE_WRITING';
}
revivable(MustCreateReadersBeforeWritingError, 'MustCreateReadersBeforeWritingError', 'ERR_MUST_CREATE_READERS_BEFORE_WRITING');

/** A reader's handle: structured-clonable (send it, or just its `id`, to the reader's thread). */
export interface RingBufferReader {
  /** The reader's id in the ring's consumer table. */
  readonly id: number;
}

/** Options of `new RingBuffer(...)`. */
export interface RingBufferOptions extends PlacementOptions, ParticipationOptions {
  /** Most bytes per item: an integer in [1, 2^30]. */
  slotBytes: number;
  /** Items the ring holds: an integer in [1, 2^30] (memory is rounded up to a power of two). */
  slotCount: number;
  /** Most readers (1 … 128). Defaults to 128. */
  maxReaders?: number;
  /** How blocked calls wait in this thread. Defaults to `'phased'`. */
  waitStrategy?: WaitStrategyOption;
}

/** Descriptor of a facade: structured-clonable; `RingBuffer.attach` it in another thread. */
export interface RingBufferDescriptor {
  readonly buffer: SharedArrayBuffer;
  /** Where the facade starts in `buffer` (0 unless it was placed). */
  readonly byteOffset?: number;
}

/** Options of {@link RingBuffer.attach}: how this thread waits, and who it acts for. */
export interface RingBufferAttachOptions extends ParticipationOptions {
  waitStrategy?: WaitStrategyOption;
}

function facadeGeometry(options: RingBufferOptions): { slotBytes: number; slotCount: number; inRing: boolean; ringOptions: { capacity: number; schema: SlotSchema; producer: 'multi'; maxConsumers: number; maxProducers: number }; ringEnd: number; byteLength: number } {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`options must be an object { slotBytes, slotCount }: options=${describe(options)}`);
  }
  const slotBytes = checkCount('slotBytes', options.slotBytes);
  const slotCount = checkCount('slotCount', options.slotCount);
  const maxReaders = orDefault(options.maxReaders, MAX_CONSUMERS);
  if (!Number.isInteger(maxReaders) || maxReaders < 1 || maxReaders > MAX_CONSUMERS) {
    throw new InvalidArgumentError(`options.maxReaders must be an integer in [1, ${MAX_CONSUMERS}]: maxReaders=${describe(maxReaders)}`);
  }
  const capacity = nextPowerOfTwo(slotCount);
  const inRing = slotBytes <= MAX_BYTES_FIELD_LENGTH;
  const schema: SlotSchema = inRing ? { length: 'u32', data: bytes(slotBytes) } : { length: 'u32' };
  const ringOptions = { capacity, schema, producer: 'multi' as const, maxConsumers: maxReaders, maxProducers: MAX_PRODUCERS };
  const ringEnd = alignTo(RING_OFFSET + Ring.byteLength(ringOptions), BLOCK_LENGTH);
  const payloadBytes = inRing ? 0 : capacity * slotBytes;
  if (ringEnd + payloadBytes > 2 ** 32) {
    throw new InvalidArgumentError(`options.slotBytes × slotCount is too large (at most 4 GiB in all): slotBytes=${slotBytes}, slotCount=${slotCount}`);
  }
  return { slotBytes, slotCount, inRing, ringOptions, ringEnd, byteLength: ringEnd + payloadBytes };
}

function nextPowerOfTwo(n: number): number {
  return n <= 2 ? 2 : 2 ** Math.ceil(Math.log2(n));
}

function checkCount(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_CAPACITY) {
    throw new InvalidArgumentError(`options.${name} must be an integer in [1, 2^30]: ${name}=${describe(v)}`);
  }
  return v;
}

/**
 * bslatkin/ringbuffer's multi-reader ring of fixed-size byte slots, lock-free: every reader
 * gets every item, writes never block (`tryWrite` fails with {@link WaitingForReaderError}
 * instead), reads copy. The same error kinds, raised in the same order of checks. Added:
 * blocking `write`/`read` with timeouts, zero-copy `reserveWrite`/`commitWrite` and `readView`, per-reader
 * `lag`, `syncReader` and `forget`.
 *
 * One object per thread: construct it once, send {@link descriptor} to the other threads and
 * {@link RingBuffer.attach} it there. Create all readers before the first write.
 */
export class RingBuffer {
  /** Structured-clonable: `RingBuffer.attach(descriptor)` in another thread. */
  readonly descriptor: RingBufferDescriptor;
  /** Most bytes per item. */
  readonly slotBytes: number;
  /** Items the ring holds before a write waits for readers. */
  readonly slotCount: number;
  private readonly ring: Ring<SlotSchema>;
  private readonly ctl: Int32Array;
  private readonly lengths: Uint32Array;
  private readonly payload: Uint8Array;
  private readonly consumers = new Map<number, Consumer<SlotSchema>>();
  private readonly syncSeen = new Map<number, number>();
  /** Readers of this thread holding the slot of a `readView`. */
  private readonly heldViews = new Set<number>();
  /** How a blocked write spins and sleeps. */
  private readonly strategy: WaitStrategy;
  /** Size of the reader table (reader ids are 0 … maxReaders - 1). */
  private readonly maxReaders: number;
  private writerHandle: Producer<SlotSchema> | undefined;
  /** Sequence taken by reserveWrite (valid while `hasReserved`). */
  private reserved = 0;
  private hasReserved = false;

  constructor(options: RingBufferOptions | ({ attach: RingBufferDescriptor } & RingBufferAttachOptions)) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`options must be an object { slotBytes, slotCount }: options=${describe(options)}`);
    }
    const participation = { owner: options.owner, watchdog: options.watchdog };
    let base: number;
    if ('attach' in options) {
      const d = checkDescriptor({ buffer: options.attach?.buffer, byteOffset: options.attach?.byteOffset ?? 0 }, 'descriptor');
      const buffer = d.buffer;
      base = d.byteOffset;
      const header = new Uint32Array(buffer, base, 4);
      if (header[0] !== MAGIC) throw new LayoutMismatchError('magic', `memory is not a RingBuffer: magic=0x${header[0]!.toString(16)}`);
      this.descriptor = Object.freeze({ buffer, byteOffset: base });
      this.slotBytes = header[SLOT_BYTES_WORD]!;
      this.slotCount = header[SLOT_COUNT_WORD]!;
      this.ring = Ring.attach<SlotSchema>({ buffer, byteOffset: base + RING_OFFSET }, { ...participation, waitStrategy: options.waitStrategy ?? 'phased' });
      const payloadOffset = header[PAYLOAD_OFFSET_WORD]!;
      this.payload = payloadOffset === 0 ? (this.ring.columns as { data: Uint8Array }).data : new Uint8Array(buffer, base + payloadOffset, this.ring.capacity * this.slotBytes);
    } else {
      const g = facadeGeometry(options);
      const d = placeRegion(options, g, 'ring buffer');
      const buffer = d.buffer;
      base = d.byteOffset;
      const header = new Uint32Array(buffer, base, 4);
      header[0] = MAGIC;
      header[SLOT_BYTES_WORD] = g.slotBytes;
      header[SLOT_COUNT_WORD] = g.slotCount;
      header[PAYLOAD_OFFSET_WORD] = g.inRing ? 0 : g.ringEnd;
      this.descriptor = Object.freeze({ buffer, byteOffset: base });
      this.slotBytes = g.slotBytes;
      this.slotCount = g.slotCount;
      this.ring = Ring.create<SlotSchema>({ ...g.ringOptions, ...participation, buffer, byteOffset: base + RING_OFFSET, waitStrategy: options.waitStrategy });
      this.payload = g.inRing ? (this.ring.columns as { data: Uint8Array }).data : new Uint8Array(buffer, base + g.ringEnd, g.byteLength - g.ringEnd);
    }
    this.ctl = new Int32Array(this.descriptor.buffer, base, RING_OFFSET >> 2);
    this.strategy = resolveWaitStrategy(options.waitStrategy);
    this.lengths = this.ring.columns.length as Uint32Array;
    this.maxReaders = this.ring.header.maxConsumers;
  }

  /** Bytes a facade with these options occupies (to place it inside a larger buffer). */
  static byteLength(options: RingBufferOptions): number {
    return facadeGeometry(options).byteLength;
  }

  /** This thread's view of a RingBuffer created in another thread. */
  static attach(descriptor: RingBufferDescriptor, options?: RingBufferAttachOptions): RingBuffer {
    return new RingBuffer({ attach: descriptor, ...optionsObject(options, 'options') });
  }

  /** The owner tag of this facade object (see `Ring.owner`). */
  get owner(): number {
    return this.ring.owner;
  }

  /**
   * Declares every writer and reader of `owner` dead (see `Ring.recover`): a dead writer's
   * reserved slot is skipped, its readers are evicted (or kept), and the writers it registered
   * with {@link newWriter} are done (when they were the last, readers drain, then finish).
   * A writer registered by another owner on its behalf (the original's shape: the parent
   * registers, the child writes) was adopted by the writing owner at its first write (when the
   * writing owner had registered none itself), so it is done too.
   */
  recover(owner: number, options?: RecoverOptions): RecoveryReport {
    const report = this.ring.recover(owner, options);
    // The writers the dead owner registered are done: when they were the last, readers drain and finish.
    const ctl = this.ctl;
    for (let e = 0; e < WRITER_ENTRIES; e++) {
      const at = WRITERS_INDEX + 2 * e;
      if (Atomics.load(ctl, at) !== owner) continue;
      const count = Atomics.exchange(ctl, at + 1, 0);
      Atomics.store(ctl, at, 0);
      for (let k = 0; k < count; k++) this.endWriter();
    }
    return report;
  }

  /**
   * The first write of an owner that registered no writer itself adopts one registered by another
   * owner on its behalf (moves it to this owner's entry), so that this owner's death ends it.
   */
  private adoptWriter(): void {
    const ctl = this.ctl;
    const owner = this.ring.owner;
    for (let e = 0; e < WRITER_ENTRIES; e++) {
      const at = WRITERS_INDEX + 2 * e;
      if (Atomics.load(ctl, at) === owner && Atomics.load(ctl, at + 1) > 0) return;
    }
    if (this.takeWriterOfOther(owner)) this.countWriter(1);
  }

  /** Takes one writer off the entry of an owner other than `owner` that has one; false when none has. */
  private takeWriterOfOther(owner: number): boolean {
    const ctl = this.ctl;
    for (let e = 0; e < WRITER_ENTRIES; e++) {
      const at = WRITERS_INDEX + 2 * e;
      const o = Atomics.load(ctl, at);
      if (o === 0 || o === owner) continue;
      for (;;) {
        const n = Atomics.load(ctl, at + 1);
        if (n <= 0) break;
        if (Atomics.compareExchange(ctl, at + 1, n, n - 1) === n) return true;
      }
    }
    return false;
  }

  /** Counts one more writer registered by this object's owner (entries full: not counted; recover then cannot end it). */
  private countWriter(delta: 1 | -1): void {
    const ctl = this.ctl;
    const owner = this.ring.owner;
    let free = -1;
    for (let e = 0; e < WRITER_ENTRIES; e++) {
      const at = WRITERS_INDEX + 2 * e;
      const o = Atomics.load(ctl, at);
      if (o === owner) {
        if (delta > 0) {
          Atomics.add(ctl, at + 1, 1);
          return;
        }
        for (;;) {
          const n = Atomics.load(ctl, at + 1);
          if (n <= 0) break;
          if (Atomics.compareExchange(ctl, at + 1, n, n - 1) === n) return;
        }
      }
      if (o === 0 && free < 0) free = e;
    }
    if (delta < 0) {
      this.takeWriterOfOther(owner); // done on behalf of a writer another owner registered
      return;
    }
    for (let e = free < 0 ? WRITER_ENTRIES : free; e < WRITER_ENTRIES; e++) {
      const at = WRITERS_INDEX + 2 * e;
      if (Atomics.compareExchange(ctl, at, 0, owner) === 0) {
        Atomics.add(ctl, at + 1, 1);
        return;
      }
    }
  }

  /**
   * Registers a reader. Every reader gets every item written after it was created.
   * @throws {@link MustCreateReadersBeforeWritingError} after the first write.
   */
  newReader(): RingBufferReader {
    if (this.ring.cursor !== -1) throw new MustCreateReadersBeforeWritingError('readers must be created before the first write: newReader() after a write');
    const c = this.ring.addConsumer();
    this.consumers.set(c.id, c);
    this.syncSeen.set(c.id, Atomics.load(this.ctl, SYNC_EPOCH_INDEX));
    return Object.freeze({ id: c.id });
  }

  /**
   * Registers a writer; match every call with one {@link writerDone}.
   * @throws {@link AlreadyClosedError} once all writers were done (the ring is finished for good).
   */
  newWriter(): void {
    if (this.ring.closed) throw new AlreadyClosedError('all writers are done: the ring is finished and cannot take new writers');
    Atomics.add(this.ctl, ACTIVE_INDEX, 1);
    this.countWriter(1);
  }

  /**
   * A writer is done. When the last one is, readers drain what is left and then get
   * {@link WriterFinishedError}.
   * @throws {@link InvalidStateError} when called more often than {@link newWriter}.
   */
  writerDone(): void {
    if (!this.endWriter()) throw new InvalidStateError(`writerDone() called more often than newWriter(): active writers=${Atomics.load(this.ctl, ACTIVE_INDEX)}`);
    this.countWriter(-1);
  }

  /** One writer fewer (the last closes the ring); false when none was active. */
  private endWriter(): boolean {
    for (;;) {
      const active = Atomics.load(this.ctl, ACTIVE_INDEX);
      if (active <= 0) return false;
      if (Atomics.compareExchange(this.ctl, ACTIVE_INDEX, active, active - 1) === active) {
        if (active === 1) this.ring.close();
        return true;
      }
    }
  }


  /** Checks closed → waiting for reader → type → size, in the reference's order; returns the bytes. */
  private checkWrite(data: unknown, length: number): void {
    if (Atomics.load(this.ctl, ACTIVE_INDEX) <= 0 || this.ring.closed) throw new AlreadyClosedError('no active writer: call newWriter() before writing (or the writers are done)');
    if (this.conflict()) {
      throw new WaitingForReaderError(`write ${(this.ring.cursor + 1) | 0} is waiting for readers: the slowest reader is slotCount=${this.slotCount} items behind`);
    }
    if (data !== undefined && !ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer) && !(data instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError(`tryWrite takes bytes (a Uint8Array or another ArrayBufferView, or an ArrayBuffer): data=${describe(data)}`);
    }
    if (length > this.slotBytes) throw new DataTooLargeError(`${length} bytes too big for slot`);
  }

  private producer(): Producer<SlotSchema> {
    if (this.writerHandle === undefined) {
      this.adoptWriter();
      this.writerHandle = this.ring.producer();
    }
    return this.writerHandle;
  }

  /**
   * Writes one item (a copy of `data`) without waiting.
   * @throws in this order: {@link AlreadyClosedError}, {@link WaitingForReaderError},
   *   {@link InvalidArgumentError} (not bytes), {@link DataTooLargeError}.
   */
  tryWrite(data: ArrayBufferView | ArrayBuffer | SharedArrayBuffer): void {
    const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : data instanceof ArrayBuffer || data instanceof SharedArrayBuffer ? new Uint8Array(data) : undefined;
    this.checkWrite(data ?? null, view === undefined ? 0 : view.length);
    const p = this.producer();
    if (!p.tryClaim(1)) throw new WaitingForReaderError('the write is waiting for readers: the ring is full');
    const index = p.hi & this.ring.mask;
    this.lengths[index] = view!.length;
    copyBytes(this.payload, index * this.slotBytes, view!);
    p.publish(p.hi);
  }

  /**
   * Zero-copy write (bslatkin/ringbuffer#1): reserves the next slot and returns a writable view
   * of `length` bytes in it; fill it, then {@link commitWrite}. Same checks as {@link tryWrite}.
   * With `options`, waits for room like {@link write} instead of throwing {@link WaitingForReaderError}.
   */
  reserveWrite(length: number, options?: WaitOptions): Uint8Array {
    if (this.hasReserved) throw new InvalidStateError('a slot is already reserved: commitWrite() it first');
    if (!Number.isInteger(length) || length < 0) throw new InvalidArgumentError(`length must be a non-negative integer: length=${describe(length)}`);
    checkWaitOptions(options, 'reserveWrite');
    if (options !== undefined) this.retry(RESERVE, undefined, length, options);
    else this.tryReserve(length);
    const index = this.reserved & this.ring.mask;
    return this.payload.subarray(index * this.slotBytes, index * this.slotBytes + length);
  }

  private tryReserve(length: number): void {
    this.checkWrite(undefined, length);
    const p = this.producer();
    if (!p.tryClaim(1)) throw new WaitingForReaderError('the write is waiting for readers: the ring is full');
    this.lengths[p.hi & this.ring.mask] = length;
    this.reserved = p.hi;
    this.hasReserved = true;
  }

  /** Publishes the slot taken by {@link reserveWrite}. */
  commitWrite(): void {
    if (!this.hasReserved) throw new InvalidStateError('commitWrite() without reserveWrite()');
    this.hasReserved = false;
    this.producer().publish(this.reserved);
  }

  /**
   * Blocking write: like {@link tryWrite}, but waits (up to `options.timeout` ms) while the
   * slowest reader is a full ring behind.
   * @throws {@link TimeoutError}, {@link AbortError}, and {@link tryWrite}'s other errors.
   */
  write(data: ArrayBufferView | ArrayBuffer | SharedArrayBuffer, options?: WaitOptions): void {
    checkWaitOptions(options, 'write');
    this.retry(WRITE, data, 0, options);
  }

  /** True when the slowest reader is `slotCount` items behind (a write would overwrite unread data). */
  private conflict(): boolean {
    return ((this.ring.cursor - this.ring.gatingSequence()) | 0) >= this.slotCount;
  }

  /**
   * Repeats a write or a reservation while the ring is full: spins (the wait strategy's
   * `spinTries`, without building errors), then sleeps until a reader reads.
   */
  private retry(kind: number, data: ArrayBufferView | ArrayBuffer | SharedArrayBuffer | undefined, length: number, options: WaitOptions | undefined): void {
    const what = kind === WRITE ? 'write' : 'reserveWrite';
    const deadline = deadlineOf(options, what);
    const ctl = this.ctl;
    const spinTries = this.strategy.spinTries;
    for (let spins = 0; ; spins++) {
      if (!this.conflict() || Atomics.load(ctl, ACTIVE_INDEX) <= 0 || this.ring.closed) {
        try {
          if (kind === WRITE) this.tryWrite(data!);
          else this.tryReserve(length);
          return;
        } catch (e) {
          if (!(e instanceof WaitingForReaderError)) throw e; // lost a race with another writer
        }
      }
      if (spins < spinTries) continue;
      checkWait(deadline, options?.signal, what, options?.timeout);
      Atomics.add(ctl, READ_WAITERS_INDEX, 1);
      const observed = Atomics.load(ctl, READ_SIGNAL_INDEX);
      if (this.conflict()) this.strategy.waiter.wait(ctl, READ_SIGNAL_INDEX, observed, sleepMs(deadline, MAX_SLEEP_MS));
      Atomics.sub(ctl, READ_WAITERS_INDEX, 1);
    }
  }

  private consumerOf(reader: RingBufferReader | number): Consumer<SlotSchema> {
    const id = typeof reader === 'number' ? reader : reader?.id;
    let c = this.consumers.get(id as number);
    if (c === undefined) {
      c = this.ring.openConsumer(id as number);
      this.consumers.set(c.id, c);
      this.syncSeen.set(c.id, 0);
    }
    if (this.heldViews.delete(c.id)) {
      c.release();
      this.wakeWriters();
    }
    const epoch = Atomics.load(this.ctl, SYNC_EPOCH_INDEX);
    if (this.syncSeen.get(c.id) !== epoch) {
      // A forceReaderSync() since this reader's last read: it skips to the writer's position
      // then (forceReaderSync moved it already unless this reader was inside a read).
      this.syncSeen.set(c.id, epoch);
      this.ring.advanceConsumer(c.id, Atomics.load(this.ctl, SYNC_TARGET_INDEX));
      c.resync();
      this.wakeWriters();
    }
    return c;
  }

  /**
   * Marks `reader` as inside a read (its hold word), so forceReaderSync() leaves it to apply
   * the sync itself; waits out a forceReaderSync() moving it right now (a few stores).
   */
  private enter(reader: RingBufferReader | number): void {
    const id = typeof reader === 'number' ? reader : reader?.id;
    if (id >>> 0 !== id || id >= this.maxReaders) return; // consumerOf names the bad id
    if (this.heldViews.size !== 0 && this.heldViews.has(id)) return; // holds a view: already marked
    while (Atomics.compareExchange(this.ctl, HOLD_INDEX + id, HOLD_IDLE, HOLD_READING) === HOLD_SYNCING);
  }

  /** Ends a read of `reader` (unless it now holds a readView). */
  private leave(reader: RingBufferReader | number): void {
    const id = typeof reader === 'number' ? reader : reader?.id;
    if (id >>> 0 !== id || id >= this.maxReaders || (this.heldViews.size !== 0 && this.heldViews.has(id))) return;
    Atomics.store(this.ctl, HOLD_INDEX + id, HOLD_IDLE);
  }

  /** Releases everything up to `target` (or everything published when `target` is undefined). */
  private jumpTo(c: Consumer<SlotSchema>, target: number | undefined): void {
    for (;;) {
      const left = target === undefined ? this.ring.capacity : (target - c.sequence) | 0;
      if (left <= 0 || c.tryPoll(left) <= 0) break;
      c.release();
    }
    this.wakeWriters();
  }

  private wakeWriters(): void {
    if (Atomics.load(this.ctl, READ_WAITERS_INDEX) !== 0) signalAll(this.strategy.waiter, this.ctl, READ_SIGNAL_INDEX);
  }

  /** The item in the consumer's current batch (one entry), in place. */
  private itemOf(c: Consumer<SlotSchema>): Uint8Array {
    const index = c.batch.index(0);
    const start = index * this.slotBytes;
    return this.payload.subarray(start, start + this.lengths[index]!);
  }

  /** Releases the consumer's current item and wakes writers waiting for room. */
  private finish(c: Consumer<SlotSchema>): void {
    c.release();
    this.wakeWriters();
  }

  /** Copies the item in the consumer's current batch (one entry) and releases it. */
  private take(c: Consumer<SlotSchema>): Uint8Array {
    const out = sliceBytes(this.itemOf(c));
    this.finish(c);
    return out;
  }

  private emptyError(): Error {
    return Atomics.load(this.ctl, ACTIVE_INDEX) <= 0
      ? new WriterFinishedError('no new data and no active writer')
      : new WaitingForWriterError('no new data yet: waiting for a writer');
  }

  /**
   * Reads this reader's next item (a copy) without waiting.
   * @throws {@link WaitingForWriterError} (nothing new, a writer is active) or
   *   {@link WriterFinishedError} (nothing new, no writer active).
   */
  tryRead(reader: RingBufferReader | number): Uint8Array {
    this.enter(reader);
    try {
      const c = this.consumerOf(reader);
      const n = c.tryPoll(1);
      if (n > 0) return this.take(c);
      if (n === POLL_CLOSED) throw new WriterFinishedError('all writers are done and this reader has read everything');
      throw this.emptyError();
    } finally {
      this.leave(reader);
    }
  }

  /** Reads every item available to this reader now (copies), at least one; same errors as {@link tryRead}. */
  tryReadAll(reader: RingBufferReader | number): Uint8Array[] {
    const out = [this.tryRead(reader)];
    this.enter(reader);
    try {
      const c = this.consumerOf(reader);
      while (c.tryPoll(1) > 0) out.push(this.take(c));
    } finally {
      this.leave(reader);
    }
    return out;
  }

  /**
   * Blocking read: waits (up to `options.timeout` ms) for this reader's next item.
   * @throws {@link WriterFinishedError} once all writers are done and everything was read;
   *   {@link TimeoutError}; {@link AbortError}.
   */
  read(reader: RingBufferReader | number, options?: WaitOptions): Uint8Array {
    this.enter(reader);
    try {
      return this.take(this.awaitItem(reader, options));
    } finally {
      this.leave(reader);
    }
  }

  /**
   * Blocking read into the caller's buffer (no allocation: a reader that reuses one buffer
   * avoids allocating — and the kernel zeroing — a fresh copy per item).
   * @param into at least `slotBytes` long, so every item fits
   * @returns the item's length; its bytes are `into.subarray(0, length)`
   * @throws {@link InvalidArgumentError} when `into` is shorter than `slotBytes` (nothing is read);
   *   otherwise as {@link read}.
   */
  readInto(reader: RingBufferReader | number, into: Uint8Array, options?: WaitOptions): number {
    if (!(into instanceof Uint8Array) || into.length < this.slotBytes) {
      throw new InvalidArgumentError(`readInto needs a Uint8Array of at least slotBytes=${this.slotBytes} bytes: into=${describe(into)}`);
    }
    this.enter(reader);
    try {
      const c = this.awaitItem(reader, options);
      const item = this.itemOf(c);
      copyBytes(into, 0, item);
      this.finish(c);
      return item.length;
    } finally {
      this.leave(reader);
    }
  }

  /**
   * Zero-copy blocking read: like {@link read}, but returns a view of the item in the ring
   * (read-only by contract). The reader holds the slot until its next read (of any kind) or
   * {@link releaseView}; writers cannot reuse it meanwhile.
   */
  readView(reader: RingBufferReader | number, options?: WaitOptions): Uint8Array {
    this.enter(reader);
    try {
      const c = this.awaitItem(reader, options);
      this.heldViews.add(c.id); // stays marked as reading until the view is given back
      return this.itemOf(c);
    } finally {
      this.leave(reader);
    }
  }

  /** Gives back the slot of the last {@link readView} (the next read does it by itself). */
  releaseView(reader: RingBufferReader | number): void {
    this.enter(reader);
    try {
      this.consumerOf(reader);
    } finally {
      this.leave(reader);
    }
  }

  /** Waits for this reader's next item; on return it is the consumer's one-entry batch. */
  private awaitItem(reader: RingBufferReader | number, options: WaitOptions | undefined): Consumer<SlotSchema> {
    checkWaitOptions(options, 'read');
    const c = this.consumerOf(reader);
    let n = c.tryPoll(1);
    if (n === POLL_EMPTY) {
      if (Atomics.load(this.ctl, ACTIVE_INDEX) <= 0 && !this.ring.closed) throw this.emptyError();
      n = c.poll({ ...options, max: 1 });
    }
    if (n === POLL_CLOSED) throw new WriterFinishedError('all writers are done and this reader has read everything');
    return c;
  }

  /** Items written but not yet read by `reader` (bslatkin/ringbuffer#3). A query, from any thread. */
  lag(reader: RingBufferReader | number): number {
    const id = typeof reader === 'number' ? reader : reader?.id;
    return (this.ring.cursor - this.ring.consumerSequence(id as number)) | 0;
  }

  /**
   * Moves `reader` forward to the newest item, skipping what it has not read
   * (bslatkin/ringbuffer#4). Call in the reader's thread.
   */
  syncReader(reader: RingBufferReader | number): void {
    this.enter(reader);
    try {
      this.jumpTo(this.consumerOf(reader), undefined);
    } finally {
      this.leave(reader);
    }
  }

  /**
   * Moves every reader to the writer's position (the reference's `force_reader_sync`), at once:
   * a writer stalled by a reader that never reads again can write right after it (blocked
   * `write` calls wake). A reader inside a read at that moment skips at its next read. Any thread.
   */
  forceReaderSync(): void {
    const ctl = this.ctl;
    const target = this.ring.cursor;
    Atomics.store(ctl, SYNC_TARGET_INDEX, target);
    Atomics.add(ctl, SYNC_EPOCH_INDEX, 1);
    for (let id = 0; id < this.maxReaders; id++) {
      if (Atomics.compareExchange(ctl, HOLD_INDEX + id, HOLD_IDLE, HOLD_SYNCING) !== HOLD_IDLE) continue; // reading now: it applies the sync itself
      try {
        this.ring.advanceConsumer(id, target);
      } finally {
        Atomics.store(ctl, HOLD_INDEX + id, HOLD_IDLE);
      }
    }
    this.wakeWriters();
  }

  /** Drops `reader` for good: it no longer holds writers back (any thread). Idempotent. */
  forget(reader: RingBufferReader | number): void {
    const id = typeof reader === 'number' ? reader : reader?.id;
    const c = this.consumers.get(id as number) ?? this.ring.openConsumer(id as number);
    c.remove();
    this.consumers.delete(id as number);
    this.wakeWriters();
  }

  /** Writers registered and not yet done. A query. */
  get activeWriters(): number {
    return Atomics.load(this.ctl, ACTIVE_INDEX);
  }

  /** Items written so far (the reference's writer counter, modulo 2^32). A query. */
  get writes(): number {
    return (this.ring.cursor + 1) >>> 0;
  }
}
