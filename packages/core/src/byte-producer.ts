import type { ByteRing } from './byte-ring.js';
import { claimWaiting, claimWaitingAsync, type RoomClaimer } from './claim-loop.js';
import { CLEANER_INDEX, CLEANING_INDEX, CLEAN_LIMIT_INDEX, LENGTH_WORD, PADDING_FLAG, RECORD_ALIGNMENT, RECORD_HEADER_LENGTH, TAG_WORD } from './byte-record.js';
import type { RingControl } from './control.js';
import { InvalidArgumentError, InvalidStateError, RingClosedError } from './errors.js';
import { CLAIM_INDEX, CLOSING_INDEX, CURSOR_INDEX } from './layout.js';
import { describe } from './schema.js';
import { checkWaitOptions, type WaitOptions } from './wait-strategy.js';
import { copyBytes } from './copy.js';
import { GatingCache } from './gating-cache.js';
import { ClaimRecord } from './producer-table.js';

const ALIGN_MASK = RECORD_ALIGNMENT - 1;
/** Multi producer: at most this many bytes are zeroed ahead of the claims (see `clean`). */
const CLEAN_CHUNK = 32 * 1024;

/**
 * The producer side of a byte ring, for one thread: claim a record of `n` bytes, write it in
 * place, commit it. One claim at a time per producer. Single-producer rings claim with plain
 * arithmetic and publish with one store at commit; multi-producer rings claim with a
 * compare-and-swap on the shared cursor, only inside the zeroed space below the clean limit
 * (see `byte-record.ts`), and publish through the frame header, so no producer waits for
 * another's record (only, at the limit, for the one zeroing the next stretch).
 */
export class ByteProducer implements RoomClaimer {
  /** Offset in `ring.data` of the claimed record's payload (valid between a claim and its commit). */
  offset = -1;
  /** Payload length of the claimed record. */
  length = 0;
  private readonly ring: ByteRing;
  private readonly control: RingControl;
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly capacity: number;
  private readonly multi: boolean;
  /** Single producer: the claimed end position (thread-local). */
  private tail: number;
  /** Position of the claimed frame (valid while `pending`). */
  private framePosition = 0;
  private frameLength = 0;
  private pending = false;
  private closedHandle = false;
  private readonly gating: GatingCache;
  /** Lossy single producer: the claim end it has announced in CLAIM (see `RingControl.announceOverwrite`). */
  private announced: number;
  /** Multi producer: a clean limit seen earlier (it only grows, so it is a safe bound). */
  private cleanLimit: number;
  /** Multi producer: try to extend the clean limit once a claim ends this close to it. */
  private readonly cleanAhead: number;
  /** Lossy multi producer: bytes zeroed past the claim at a time. */
  private readonly lossyChunk: number;
  /** The record space as 8-byte words, for zeroing. */
  private readonly cleanWords: Float64Array;
  /** This producer's entry in the ring's producer table. */
  readonly entry: number;
  /** Multi producer: records each claim (see `producer-table.ts`); undefined for a single producer. */
  private readonly record: ClaimRecord | undefined;

  constructor(ring: ByteRing, entry: number) {
    this.ring = ring;
    this.control = ring.control;
    this.words = ring.words;
    this.capacity = ring.capacity;
    this.mask = ring.capacity - 1;
    this.multi = ring.header.multiProducer;
    this.tail = Atomics.load(this.control.ctl, CURSOR_INDEX);
    this.gating = new GatingCache(this.control, this.capacity, this.tail);
    this.cleanLimit = Atomics.load(this.control.ctl, CLEAN_LIMIT_INDEX);
    this.announced = Atomics.load(this.control.ctl, CLAIM_INDEX);
    this.cleanAhead = this.control.lossy ? 0 : Math.min(ring.capacity / 4, CLEAN_CHUNK);
    this.lossyChunk = ring.capacity / 8;
    this.cleanWords = new Float64Array(ring.data.buffer, ring.data.byteOffset, ring.capacity >> 3);
    this.entry = entry;
    this.record = this.multi ? new ClaimRecord(this.control.producers, this.control.ctl, entry) : undefined;
  }

  /** Position (Int32 byte counter) of the claimed record's frame; valid between a claim and its commit. */
  get position(): number {
    return this.pending ? this.framePosition : -1;
  }

  /**
   * Tries to claim a record of `length` payload bytes without waiting.
   * @returns the payload's offset in `ring.data` (write `length` bytes there, then
   *   {@link commit}), or -1 when readers have not released enough room.
   * @throws {@link InvalidArgumentError} for a length outside [0, maxRecordLength];
   *   {@link InvalidStateError} while a claim is pending; {@link RingClosedError} once closed.
   */
  tryClaimOffset(length: number): number {
    this.checkLength(length);
    const control = this.control;
    const ctl = control.ctl;
    const frame = RECORD_HEADER_LENGTH + length;
    const aligned = (frame + ALIGN_MASK) & ~ALIGN_MASK;
    const record = this.record;
    let begun = false;
    for (;;) {
      const current = this.multi ? Atomics.load(ctl, CURSOR_INDEX) : this.tail;
      const offset = current & this.mask;
      const padding = offset + aligned > this.capacity ? this.capacity - offset : 0;
      const next = (current + padding + aligned) | 0;
      if (this.multi) {
        // The clean limit also gates: it is never past the slowest reader + capacity.
        if (((next - this.cleanLimit + this.cleanAhead) | 0) > 0) {
          this.cleanLimit = Atomics.load(ctl, CLEAN_LIMIT_INDEX);
          if (((next - this.cleanLimit + this.cleanAhead) | 0) > 0) this.clean(current, next);
          if (((next - this.cleanLimit) | 0) > 0) {
            if (begun) record!.cancel();
            return -1;
          }
        }
        if (!begun) {
          record!.begin();
          begun = true;
        }
        if (Atomics.compareExchange(ctl, CURSOR_INDEX, current, next) !== current) continue;
        record!.end(current, next);
        if (Atomics.load(ctl, CLOSING_INDEX) !== 0 && ((next - control.waitForFinal()) | 0) > 0) {
          // Outside the final range (final <= current): no reader goes there.
          throw new RingClosedError('the byte ring was closed before this claim');
        }
      } else {
        if (!control.lossy && !this.gating.hasRoom(current, next)) return -1;
        if (control.lossy) this.announced = control.announceOverwrite(next, this.announced); // before writing
        this.tail = next;
      }
      let p = current;
      if (padding !== 0) {
        this.writeFrame(p, PADDING_FLAG | padding, p);
        p = (p + padding) | 0;
      }
      this.writeFrame(p, -frame, p);
      this.framePosition = p;
      this.frameLength = frame;
      this.pending = true;
      this.length = length;
      this.offset = (p & this.mask) + RECORD_HEADER_LENGTH;
      return this.offset;
    }
  }

  /**
   * Multi producer: extends the clean limit if no other producer is zeroing, by zeroing the
   * record space the readers have released (lossy: a chunk past `next`). Updates `cleanLimit`.
   */
  private clean(current: number, next: number): void {
    const control = this.control;
    const ctl = control.ctl;
    const limit = Atomics.load(ctl, CLEAN_LIMIT_INDEX);
    this.cleanLimit = limit;
    if (Atomics.load(ctl, CLEANING_INDEX) !== limit) return; // another producer is zeroing
    let target: number;
    if (control.lossy) {
      target = ((((next - limit) | 0) > 0 ? next : limit) + this.lossyChunk) | 0;
    } else {
      const min = this.gating.minimumFor(current, next); // evicts a silent reader holding the claim back
      target = (min + this.capacity) | 0;
      // Zero a chunk ahead at a time (the next claim that ends within cleanAhead of the limit
      // zeroes the next one): the producers then write the zeroed lines while still cached.
      const ahead = (next + 2 * this.cleanAhead) | 0;
      if (((target - ahead) | 0) > 0) target = ahead;
      // Nothing new released, or another producer already zeroed past `ahead`: the limit never moves back.
      if (((target - limit) | 0) <= 0) return;
    }
    if (Atomics.compareExchange(ctl, CLEANING_INDEX, limit, target) !== limit) return;
    Atomics.store(ctl, CLEANER_INDEX, this.entry + 1); // who is zeroing, should it die before the limit moves
    // In 8-byte words: Float64Array.fill(0) on shared memory runs ~10x faster than Uint8Array's.
    const from = (limit & this.mask) >> 3;
    const to = from + (((target - limit) | 0) >> 3);
    const words = this.cleanWords;
    const n = words.length;
    if (to <= n) {
      words.fill(0, from, to);
    } else {
      words.fill(0, from, n);
      words.fill(0, 0, to - n);
    }
    Atomics.store(ctl, CLEAN_LIMIT_INDEX, target);
    Atomics.store(ctl, CLEANER_INDEX, 0);
    this.cleanLimit = target;
    control.signalReleased(); // producers waiting at the limit
  }

  /** Stores a frame header: LENGTH first, then TAG (readers load TAG first). */
  private writeFrame(p: number, lengthWord: number, tag: number): void {
    const w = (p & this.mask) >> 2;
    Atomics.store(this.words, w + LENGTH_WORD, lengthWord);
    Atomics.store(this.words, w + TAG_WORD, tag);
  }

  /**
   * Like {@link tryClaimOffset}, but returns a writable view of the payload (allocates the view),
   * or null when the ring is full.
   */
  tryClaim(length: number): Uint8Array | null {
    const offset = this.tryClaimOffset(length);
    return offset < 0 ? null : this.ring.data.subarray(offset, offset + length);
  }

  /**
   * Claims a record of `length` bytes, waiting with the ring's wait strategy while it is full.
   * @returns a writable view of the payload; write it, then {@link commit}.
   * @throws {@link TimeoutError}, {@link AbortError}, {@link RingClosedError}, and as {@link tryClaimOffset}.
   */
  claim(length: number, options?: WaitOptions): Uint8Array {
    const offset = this.claimOffset(length, options);
    return this.ring.data.subarray(offset, offset + length);
  }

  /** Blocking form of {@link tryClaimOffset}: returns the payload offset in `ring.data`. */
  claimOffset(length: number, options?: WaitOptions): number {
    checkWaitOptions(options, 'claim');
    if (this.tryClaimOffset(length) < 0) claimWaiting(this, length, this.control, options, 'claim');
    return this.offset;
  }

  /** Like {@link claim}, but waits with `Atomics.waitAsync` (keeps the event loop running). */
  async claimAsync(length: number, options?: WaitOptions): Promise<Uint8Array> {
    checkWaitOptions(options, 'claimAsync');
    if (this.tryClaimOffset(length) < 0) await claimWaitingAsync(this, length, this.control, options, 'claimAsync');
    return this.ring.data.subarray(this.offset, this.offset + length);
  }

  /** {@link RoomClaimer.tryRoom}: {@link tryClaimOffset}, the offset kept in {@link offset}. @internal */
  tryRoom(length: number): boolean {
    return this.tryClaimOffset(length) >= 0;
  }

  /** {@link RoomClaimer.blockedBy}: readers at or before this position block a claim of `length` bytes now. @internal */
  blockedBy(length: number): number | undefined {
    if (this.control.lossy) return undefined; // no reader gates a lossy ring
    const current = this.multi ? Atomics.load(this.control.ctl, CURSOR_INDEX) : this.tail;
    return (current + 2 * (RECORD_HEADER_LENGTH + length) - this.capacity) | 0;
  }

  /**
   * Publishes the claimed record: readers may read it once this returns.
   * @throws {@link InvalidStateError} when nothing is claimed.
   */
  commit(): void {
    this.finish(this.frameLength);
  }

  /** Gives the claimed record up: readers skip it (it becomes padding). */
  abort(): void {
    this.finish(PADDING_FLAG | ((this.frameLength + ALIGN_MASK) & ~ALIGN_MASK));
  }

  private finish(lengthWord: number): void {
    if (!this.pending) throw new InvalidStateError('commit() or abort() without a claimed record: claim first');
    this.pending = false;
    this.offset = -1;
    Atomics.store(this.words, ((this.framePosition & this.mask) >> 2) + LENGTH_WORD, lengthWord);
    if (!this.multi) Atomics.store(this.control.ctl, CURSOR_INDEX, this.tail); // the release of the payload
    this.control.signalPublished();
  }

  /**
   * Copies `bytes` into a new record and commits it, waiting for room like {@link claim}.
   */
  write(bytes: Uint8Array, options?: WaitOptions): void {
    this.checkBytes(bytes);
    const offset = this.claimOffset(bytes.length, options);
    copyBytes(this.ring.data, offset, bytes);
    this.commit();
  }

  /** Copies `bytes` into a new record and commits it if there is room; false when full. */
  tryWrite(bytes: Uint8Array): boolean {
    this.checkBytes(bytes);
    const offset = this.tryClaimOffset(bytes.length);
    if (offset < 0) return false;
    copyBytes(this.ring.data, offset, bytes);
    this.commit();
    return true;
  }

  /** Async form of {@link write}. */
  async writeAsync(bytes: Uint8Array, options?: WaitOptions): Promise<void> {
    this.checkBytes(bytes);
    copyBytes(await this.claimAsync(bytes.length, options), 0, bytes);
    this.commit();
  }

  /**
   * Closes this producer. Single producer: closes the ring after the last committed record.
   * Multi producer: only this handle; close the ring with `ring.close()` once all are done.
   * @throws {@link InvalidStateError} while a claim is pending.
   */
  close(): void {
    if (this.closedHandle) return;
    if (this.pending) throw new InvalidStateError('close() with a claimed record: commit() or abort() it first');
    this.closedHandle = true;
    if (!this.multi) this.control.closeAt(this.tail);
    else this.control.producers.release(this.entry);
  }

  private checkBytes(bytes: unknown): void {
    if (!(bytes instanceof Uint8Array)) {
      throw new InvalidArgumentError(`write takes a Uint8Array: bytes=${describe(bytes)}`);
    }
  }

  private checkLength(length: number): void {
    if (typeof length !== 'number' || !(length >= 0 && length <= this.ring.maxRecordLength && (length | 0) === length)) {
      throw new InvalidArgumentError(`record length must be an integer in [0, maxRecordLength=${this.ring.maxRecordLength}] (capacity / 8 - 8): length=${describe(length)}`);
    }
    if (this.pending) throw new InvalidStateError('a record is already claimed: commit() or abort() it before claiming the next');
    if (this.closedHandle) throw new RingClosedError('this producer is closed');
    if (this.multi ? Atomics.load(this.control.ctl, CLOSING_INDEX) !== 0 : this.control.isClosed()) throw new RingClosedError();
  }
}
