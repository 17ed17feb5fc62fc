import { SequenceBarrier } from './barrier.js';
import { LENGTH_WORD, PADDING_FLAG, RECORD_ALIGNMENT, RECORD_HEADER_LENGTH, TAG_WORD } from './byte-record.js';
import type { ByteRing } from './byte-ring.js';
import { batchesOf, checkMax, POLL_CLOSED, POLL_EMPTY, pollMax, pollWaiting, pollWaitingAsync, type Pollable, type PollOptions } from './poll-loop.js';
import type { RingControl } from './control.js';
import { EvictedError, InvalidArgumentError, InvalidStateError, LappedError } from './errors.js';
import { describe } from './schema.js';
import { CLAIM_INDEX, CONSUMER_STATE, CURSOR_INDEX, DEAD_CLAIMS_INDEX } from './layout.js';
import { ABANDONED_DEAD, ABANDONED_UNKNOWN } from './producer-table.js';
import { sliceBytes } from './copy.js';
import { checkWaitOptions } from './wait-strategy.js';

const ALIGN_MASK = RECORD_ALIGNMENT - 1;

/**
 * The records a reader holds between a successful poll and its release. Records are views into
 * the ring: read-only by contract, valid until the release. One object per reader, reused.
 */
export class ByteBatch {
  /** Number of records. */
  count = 0;
  /**
   * Bytes skipped just before this batch, never to be read: overwritten by a lossy ring
   * (`lossyPolicy: 'skip'`), or claimed by a producer declared dead before it committed them.
   */
  lost = 0;
  /** Position of the batch's first frame. */
  lo = 0;
  /** Position just after the batch's last frame. */
  end = 0;
  /** The ring's record space; record `i` is `data[offset(i) … offset(i) + length(i))`. */
  readonly data: Uint8Array;
  /** @internal */
  readonly offsets: Int32Array;
  /** @internal */
  readonly lengths: Int32Array;

  constructor(data: Uint8Array, maxBatch: number) {
    this.data = data;
    this.offsets = new Int32Array(maxBatch);
    this.lengths = new Int32Array(maxBatch);
  }

  /**
   * Offset in {@link data} of record `i`'s payload. Allocates nothing.
   * @throws {@link InvalidArgumentError} unless `i` is an integer in [0, count).
   */
  offset(i: number): number {
    return this.offsets[this.check(i)]!;
  }

  /** Payload length of record `i` (0 ≤ i < count). */
  length(i: number): number {
    return this.lengths[this.check(i)]!;
  }

  /** Position (Int32 byte counter) of record `i`'s frame: the one the producer claimed. */
  position(i: number): number {
    const mask = this.data.length - 1;
    return (this.lo + ((this.offsets[this.check(i)]! - RECORD_HEADER_LENGTH - this.lo) & mask)) | 0;
  }

  /** A zero-copy view of record `i` (allocates the view object; valid until the release). */
  record(i: number): Uint8Array {
    const o = this.offsets[this.check(i)]!;
    return this.data.subarray(o, o + this.lengths[i]!);
  }

  /** A copy of record `i` that outlives the batch. */
  copy(i: number): Uint8Array {
    const o = this.offsets[this.check(i)]!;
    return sliceBytes(this.data.subarray(o, o + this.lengths[i]!));
  }

  /** `i` when it names a record of this batch; a stale index would read an earlier batch's bytes. */
  private check(i: number): number {
    if (typeof i === 'number' && (i >>> 0) === i && i < this.count) return i;
    throw new InvalidArgumentError(this.count === 0
      ? `the batch holds no records (released, or no poll took one): i=${describe(i)}`
      : `record index must be an integer in [0, count=${this.count}): i=${describe(i)}`);
  }
}

/**
 * A broadcast reader of a byte ring: sees every committed record in order (after the readers it
 * depends on), a batch at a time, and releases each batch with one store. Bytes it could not
 * read — overwritten by a lossy ring, or claimed by a producer declared dead before it
 * committed (`ByteRing.recover`) — are skipped and counted in {@link ByteBatch.lost} and
 * {@link lost}.
 * Threading: one thread; open the same reader in another thread with `ring.openReader(id)`.
 */
export class ByteReader implements AsyncIterable<ByteBatch>, Pollable {
  /** Index in the ring's reader table (send it to another thread). */
  readonly id: number;
  /** The current batch (valid between a successful poll and the release). */
  readonly batch: ByteBatch;
  private readonly control: RingControl;
  private readonly barrier: SequenceBarrier;
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly capacity: number;
  private readonly maxFrame: number;
  private readonly seqIndex: number;
  private readonly stateIndex: number;
  private readonly heartbeatIndex: number;
  private readonly skipLapped: boolean;
  private readonly maxBatch: number;
  private readonly beat: boolean;
  private readonly hasDeps: boolean;
  /** Next position to read. */
  private next: number;
  private inBatch = false;
  private started = false;
  /** Bytes skipped and not yet reported in a batch. */
  private lostPending = 0;
  private lostTotal = 0;

  constructor(ring: ByteRing, id: number, depsMask: number) {
    const control = ring.control;
    this.control = control;
    this.id = id;
    this.barrier = new SequenceBarrier(control, depsMask);
    this.words = ring.words;
    this.mask = ring.capacity - 1;
    this.capacity = ring.capacity;
    this.maxFrame = ring.maxRecordLength + RECORD_HEADER_LENGTH;
    this.maxBatch = ring.maxBatch;
    this.batch = new ByteBatch(ring.data, ring.maxBatch);
    this.seqIndex = control.seqIndex(id);
    this.stateIndex = control.infoIndex(id, 0);
    this.heartbeatIndex = control.heartbeatIndex(id);
    this.skipLapped = ring.header.lossySkip === true;
    this.beat = control.evictAfterMs > 0;
    this.hasDeps = depsMask !== 0;
    this.next = Atomics.load(control.ctl, this.seqIndex);
  }

  /**
   * Takes the next batch of committed records without waiting (releasing the previous batch).
   * @param max most records to take. Defaults to the ring's `maxBatch`.
   * @returns the number of records (> 0, in {@link batch}); {@link POLL_EMPTY} when none is
   *   committed yet; {@link POLL_CLOSED} when the ring is closed and everything was read.
   * @throws {@link EvictedError}; {@link LappedError} (lossy rings, `lossyPolicy: 'error'`).
   */
  tryPoll(max = this.maxBatch): number {
    if (typeof max !== 'number' || (max | 0) !== max || max < 1) checkMax(max);
    if (this.inBatch) this.release();
    const control = this.control;
    const ctl = control.ctl;
    if (Atomics.load(ctl, this.stateIndex) !== CONSUMER_STATE.active) this.throwInactive();
    if (this.beat) Atomics.store(ctl, this.heartbeatIndex, control.nowMs());
    if (!this.started) {
      this.started = true;
      control.markStarted(this.id);
    }
    if (max > this.maxBatch) max = this.maxBatch;
    if (control.lossy) this.lostPending += this.checkLapped();
    for (;;) {
      const limit = this.barrier.available(this.next);
      const count = this.scan(max, limit);
      if (count > 0) return count;
      const p = this.next;
      if (control.lossy) {
        const lost = this.checkLapped();
        if (lost !== 0) {
          this.lostPending += lost;
          return POLL_EMPTY;
        }
      }
      // Stopped at an uncommitted frame: a producer declared dead may have left it for good.
      if (((limit - p) | 0) > 0 && Atomics.load(ctl, DEAD_CLAIMS_INDEX) !== 0 && this.skipAbandoned(p, limit)) continue;
      if (control.isClosed() && ((p - control.finalSequence()) | 0) >= 0) return POLL_CLOSED;
      return POLL_EMPTY;
    }
  }

  /**
   * Collects up to `max` committed records from `next` (below `limit`) into the batch. Skipped
   * padding moves `next` even when no record is found.
   * @returns the number of records (0: none committed there yet).
   */
  private scan(max: number, limit: number): number {
    const words = this.words;
    const mask = this.mask;
    const batch = this.batch;
    const offsets = batch.offsets;
    const lengths = batch.lengths;
    let p = this.next;
    let count = 0;
    while (count < max && ((limit - p) | 0) > 0) {
      const w = (p & mask) >> 2;
      if (Atomics.load(words, w + TAG_WORD) !== p) break; // TAG first: LENGTH is then this lap's
      const len = Atomics.load(words, w + LENGTH_WORD);
      if (len <= 0) break; // still being written
      if ((len & PADDING_FLAG) !== 0) {
        // Padding (the end of a lap, or an aborted record) is aligned and ends within the lap;
        // anything else is a lapped reader looking at overwritten bytes (checked below): stop
        // here rather than step to a misaligned position whose header words lie past the end.
        const pad = len & ~PADDING_FLAG;
        if (pad <= 0 || (pad & ALIGN_MASK) !== 0 || (p & mask) + pad > this.capacity) break;
        p = (p + pad) | 0;
        continue;
      }
      if (len > this.maxFrame) break; // only a lapped (lossy) reader can see this; checked below
      offsets[count] = (p & mask) + RECORD_HEADER_LENGTH;
      lengths[count] = len - RECORD_HEADER_LENGTH;
      count++;
      p = (p + ((len + ALIGN_MASK) & ~ALIGN_MASK)) | 0;
    }
    // Lossy rings: the headers above are this lap's only if nothing overwrote them while they were
    // read (a producer announces an overwrite before writing it); if something may have, a length
    // may be a payload's bytes: take nothing and let the caller count the lap from `next`.
    if (this.control.lossy && ((this.oldestIntact() - this.next) | 0) > 0) return 0;
    if (count === 0) {
      if (p !== this.next) this.advance(p); // skipped padding only
      return 0;
    }
    batch.lo = this.next;
    batch.end = p;
    batch.count = count;
    batch.lost = this.lostPending;
    this.lostPending = 0;
    this.inBatch = true;
    return count;
  }

  /**
   * Skips the claim of a producer declared dead that starts at `p` (below `limit`), counting its
   * bytes as lost (see `byte-record.ts`). Returns true if it skipped anything.
   */
  private skipAbandoned(p: number, limit: number): boolean {
    const control = this.control;
    const producers = control.producers;
    const verdict = producers.abandonedAt(p);
    let end: number;
    if (verdict === ABANDONED_DEAD) {
      end = producers.deadEnd;
    } else if (verdict === ABANDONED_UNKNOWN) {
      // It died before recording its claim, so before writing any header: its bytes are still
      // the zeros of clean space, up to the next frame header or recorded claim.
      const words = this.words;
      const mask = this.mask;
      end = (p + RECORD_ALIGNMENT) | 0;
      while (((limit - end) | 0) > 0 && !(producers.hasNextStart && end === producers.nextStart)) {
        const w = (end & mask) >> 2;
        if (Atomics.load(words, w + TAG_WORD) === end && (end !== 0 || Atomics.load(words, w + LENGTH_WORD) !== 0)) break;
        end = (end + RECORD_ALIGNMENT) | 0;
      }
    } else {
      return false;
    }
    // A claim that crosses the end of the record space is padding up to the lap boundary, then
    // the record: only the record is lost (as when the dead producer had written the padding frame
    // and the scan skipped it), whether or not the padding header was written.
    const span = (end - p) | 0;
    const lost = (p & this.mask) + span > this.capacity ? end & this.mask : span;
    this.lostPending += lost;
    this.lostTotal += lost;
    this.advance(end);
    control.retireDead();
    return true;
  }

  /** Lossy rings: skips (or throws) when the producer has overwritten records not yet read. Returns bytes lost. */
  private checkLapped(): number {
    const oldest = this.oldestIntact();
    if (((oldest - this.next) | 0) <= 0) return 0;
    // Frames cannot be found inside overwritten space: resume at the cursor, a frame boundary past
    // it (single producer: the committed end; multi: the claimed end). Never at a single producer's
    // announced CLAIM: that claim may never be committed (its producer may die), and the ring
    // would then end before it.
    const resume = Atomics.load(this.control.ctl, CURSOR_INDEX);
    const lost = (resume - this.next) | 0;
    this.advance(resume);
    this.lostTotal += lost;
    if (!this.skipLapped) throw new LappedError(lost, `the reader was lapped by the producer and lost records: lost=${lost} bytes`);
    return lost;
  }

  /**
   * Lossy rings: the oldest position nobody can be overwriting now: a lap before the claimed end
   * (single producer: CLAIM) or before the zeroed end (multi producer: CLEANING, the same word).
   */
  private oldestIntact(): number {
    return (Atomics.load(this.control.ctl, CLAIM_INDEX) - this.capacity) | 0;
  }

  private advance(p: number): void {
    this.next = p;
    Atomics.store(this.control.ctl, this.seqIndex, p);
    this.control.signalReleased();
  }

  private throwInactive(): never {
    if (Atomics.load(this.control.ctl, this.stateIndex) === CONSUMER_STATE.evicted) throw new EvictedError(this.id);
    throw new InvalidStateError(`reader ${this.id} was removed from the byte ring`);
  }

  /**
   * Releases the current batch (one store): producers may reuse its space. Polling releases the
   * previous batch by itself.
   * @returns lossy rings: bytes of the batch overwritten while it was read (untrustworthy); else 0.
   * @throws {@link LappedError} for such overwrites when `lossyPolicy` is `'error'`;
   *   {@link EvictedError} when this reader was evicted while it held the batch (its records may
   *   have been overwritten: what was read must not be trusted).
   */
  release(): number {
    if (!this.inBatch) return 0;
    this.inBatch = false;
    this.advance(this.batch.end);
    this.batch.count = 0; // its records are the producers' again: indexing them now throws
    const control = this.control;
    if (this.beat && Atomics.load(control.ctl, this.stateIndex) !== CONSUMER_STATE.active) {
      throw new EvictedError(this.id,
        `reader ${this.id} was evicted while it held a batch (positions ${this.batch.lo}…${this.batch.end}): the producer may have overwritten those records, ` +
        `so what was read from them must not be trusted; open a new reader to continue`);
    }
    if (!control.lossy) return 0;
    const torn = (this.oldestIntact() - this.batch.lo) | 0;
    if (torn <= 0) return 0;
    this.lostTotal += torn;
    if (!this.skipLapped) throw new LappedError(torn, `records of the batch were overwritten while being read: lost=${torn} bytes`);
    return torn;
  }

  /**
   * Waits with the ring's wait strategy until records are committed, then takes a batch.
   * @returns the number of records (> 0) or {@link POLL_CLOSED}.
   * @throws {@link TimeoutError}, {@link AbortError}, {@link EvictedError}, {@link LappedError},
   *   {@link ConsumerNotStartedError} (a reader this one runs after never started).
   */
  poll(options?: PollOptions): number {
    const max = pollMax(options, this.maxBatch);
    const n = this.tryPoll(max);
    return n !== POLL_EMPTY ? n : pollWaiting(this, max, this.control, this.barrier, options);
  }

  /** Like {@link poll}, but sleeps with the waiter's `waitAsync` (keeps the event loop running). */
  async pollAsync(options?: PollOptions): Promise<number> {
    const max = pollMax(options, this.maxBatch, 'pollAsync');
    const n = this.tryPoll(max);
    return n !== POLL_EMPTY ? n : pollWaitingAsync(this, max, this.control, this.barrier, options);
  }

  /** {@link Pollable.blockedBy}: readers at or before this position hold this one back (none without `after`). @internal */
  blockedBy(): number | undefined {
    return this.hasDeps ? this.next : undefined;
  }

  /**
   * Copying helper: waits for the next record and returns a copy of it (releasing it at once),
   * or null when the ring is closed and drained. On a lossy ring, a record overwritten while it
   * was being copied is never returned: it counts as lost ({@link lost}) and the next is read.
   */
  read(options?: Omit<PollOptions, 'max'>): Uint8Array | null {
    checkWaitOptions(options, 'read');
    const deadline = options?.timeout === undefined || options.timeout === Infinity ? undefined : Date.now() + options.timeout;
    for (;;) {
      const timeout = deadline === undefined ? options?.timeout : Math.max(0, deadline - Date.now());
      const n = this.poll(options === undefined ? { max: 1 } : { ...options, timeout, max: 1 });
      if (n === POLL_CLOSED) return null;
      const copy = this.batch.copy(0);
      if (this.release() === 0) return copy;
    }
  }

  /**
   * Copying helper without waiting: a copy of the next record, null when closed and drained,
   * undefined when none is committed yet. Like {@link read}, never returns a torn copy.
   */
  tryRead(): Uint8Array | null | undefined {
    for (;;) {
      const n = this.tryPoll(1);
      if (n === POLL_CLOSED) return null;
      if (n === POLL_EMPTY) return undefined;
      const copy = this.batch.copy(0);
      if (this.release() === 0) return copy;
    }
  }

  /** Batches as an async iterator (each step releases the previous batch); ends when the ring is closed and drained. */
  [Symbol.asyncIterator](): AsyncIterator<ByteBatch> {
    return batchesOf(this);
  }

  /** The position this reader has released up to (a query). */
  get position(): number {
    return Atomics.load(this.control.ctl, this.seqIndex);
  }

  /** Bytes this reader object skipped without reading them, in total (lapped, torn, or abandoned by a dead producer). A query. */
  get lost(): number {
    return this.lostTotal;
  }

  /** Bytes claimed or committed but not yet released by this reader (a query). */
  lag(): number {
    return (Atomics.load(this.control.ctl, CURSOR_INDEX) - this.position) | 0;
  }

  /** Stops gating the producers: this reader reads no more. Idempotent. */
  remove(): void {
    this.inBatch = false;
    if (Atomics.load(this.control.ctl, this.stateIndex) === CONSUMER_STATE.active) this.control.remove(this.id);
  }
}
