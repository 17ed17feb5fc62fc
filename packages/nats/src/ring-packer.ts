import { ByteRing, copyBytes, POLL_CLOSED, Ring, type Batch, type ByteReader, type Consumer, type Schema } from '@ringkit/core';
import { BYTES_SCHEMA_TEXT, FRAME_HEADER_LENGTH, FRAME_KIND, RECORD_LENGTH_PREFIX, schemaId, typedColumns, writeFrameHeader } from './frame.js';

/**
 * The sink's side of the ring: polls batches as a normal consumer (gating the producer) and
 * packs the entries of the batch it holds into frames or single-entry payloads, in order. The
 * batch stays unreleased until {@link release}: the sink calls it once JetStream acknowledged
 * every message made from it.
 *
 * Sequences: the packer numbers entries with its own 53-bit counter (it does not wrap as the
 * ring's Int32 sequences do), one per entry sent and without gaps: a typed ring's count starts
 * at the first batch's ring sequence, a byte ring's at `firstSequence`.
 */
export interface RingPacker {
  /** {@link FRAME_KIND} of the frames. */
  readonly kind: number;
  /** Schema id the frames carry. */
  readonly schemaId: number;
  /** Entries (records) of the held batch not packed yet. */
  readonly remaining: number;
  /** Sequence of the next entry to pack. */
  readonly nextSequence: number;
  /** Entries (typed) or bytes (byte ring) the last poll found lost before its batch (lossy rings). */
  readonly lostBefore: number;
  /** Waits for the next batch (the previous must be released). Resolves with its size, or {@link POLL_CLOSED}. */
  poll(signal: AbortSignal): Promise<number>;
  /** Bytes the next `n` entries take in a packed frame body (n ≥ 1); for byte rings the next entry's alone when n = 1. */
  frameLength(n: number): number;
  /** How many of the remaining entries fit a frame of at most `maxBytes` (at least 1). */
  fit(maxBytes: number): number;
  /** Packs the next `n` entries into `out` (header included), {@link frameLength}`(n)` bytes long. */
  packFrame(n: number, out: Uint8Array): void;
  /** Copies the next entry alone (typed: its fields in schema order; bytes: the record). */
  packEntry(): Uint8Array;
  /** Releases the held batch: the producer may reuse its slots. */
  release(): void;
}

/** A typed ring's packer. */
export class TypedPacker<S extends Schema> implements RingPacker {
  readonly kind = FRAME_KIND.typed;
  readonly schemaId: number;
  remaining = 0;
  nextSequence = 0;
  lostBefore = 0;
  private readonly consumer: Consumer<S>;
  private readonly mask: number;
  private readonly capacity: number;
  private readonly columns: Uint8Array[];
  private readonly widths: number[];
  private readonly entryLength: number;
  private readonly maxBatch: number;
  private started = false;
  /** Slot index of the next entry. */
  private slot = 0;

  constructor(ring: Ring<S>, consumer: Consumer<S>, maxBatch: number) {
    this.consumer = consumer;
    this.mask = ring.mask;
    this.capacity = ring.capacity;
    this.maxBatch = maxBatch;
    ({ schemaId: this.schemaId, columns: this.columns, widths: this.widths, entryLength: this.entryLength } = typedColumns(ring));
  }

  async poll(signal: AbortSignal): Promise<number> {
    const n = await this.consumer.pollAsync({ max: this.maxBatch, signal });
    if (n !== POLL_CLOSED) this.hold(this.consumer.batch);
    return n;
  }

  /** Takes a batch polled by someone else (a pipeline stage's runtime), who releases it once {@link remaining} is 0 and every message is acknowledged. */
  hold(batch: Batch<S>): void {
    const n = batch.count;
    // Unwrap the Int32 sequence: the distance from the last batch is exact below 2^31.
    // Entries a lossy ring lapped are counted in `lostBefore`, never numbered: the sequences a
    // sink sends have no gaps, so a source can tell a message that is late from one that is lost.
    if (!this.started) this.nextSequence = batch.lo;
    this.started = true;
    this.lostBefore = batch.lost;
    this.remaining = n;
    this.slot = batch.lo & this.mask;
  }

  frameLength(n: number): number {
    return FRAME_HEADER_LENGTH + n * this.entryLength;
  }

  fit(maxBytes: number): number {
    return Math.max(1, Math.min(this.remaining, Math.floor((maxBytes - FRAME_HEADER_LENGTH) / this.entryLength)));
  }

  packFrame(n: number, out: Uint8Array): void {
    writeFrameHeader(new DataView(out.buffer, out.byteOffset, out.length), this.kind, this.schemaId, n, this.nextSequence);
    let at = FRAME_HEADER_LENGTH;
    const start = this.slot;
    const first = Math.min(n, this.capacity - start); // entries before the wrap
    for (let f = 0; f < this.columns.length; f++) {
      const col = this.columns[f]!;
      const w = this.widths[f]!;
      copyBytes(out, at, col.subarray(start * w, (start + first) * w));
      if (first < n) copyBytes(out, at + first * w, col.subarray(0, (n - first) * w));
      at += n * w;
    }
    this.advance(n);
  }

  packEntry(): Uint8Array {
    const out = new Uint8Array(this.entryLength);
    let at = 0;
    const s = this.slot;
    for (let f = 0; f < this.columns.length; f++) {
      const w = this.widths[f]!;
      copyBytes(out, at, this.columns[f]!.subarray(s * w, s * w + w));
      at += w;
    }
    this.advance(1);
    return out;
  }

  private advance(n: number): void {
    this.slot = (this.slot + n) & this.mask;
    this.nextSequence += n;
    this.remaining -= n;
  }

  release(): void {
    this.consumer.release();
  }
}

/** A byte ring's packer. */
export class BytePacker implements RingPacker {
  readonly kind = FRAME_KIND.bytes;
  readonly schemaId = schemaId(BYTES_SCHEMA_TEXT);
  remaining = 0;
  nextSequence: number;
  lostBefore = 0;
  private readonly reader: ByteReader;
  private readonly data: Uint8Array;
  /** Index in the batch of the next record. */
  private index = 0;

  private readonly maxBatch: number;

  constructor(ring: ByteRing, reader: ByteReader, firstSequence: number, maxBatch: number) {
    this.reader = reader;
    this.maxBatch = maxBatch;
    this.data = ring.data;
    this.nextSequence = firstSequence;
  }

  async poll(signal: AbortSignal): Promise<number> {
    const n = await this.reader.pollAsync({ max: this.maxBatch, signal });
    if (n === POLL_CLOSED) return n;
    this.lostBefore = this.reader.batch.lost;
    this.remaining = n;
    this.index = 0;
    return n;
  }

  frameLength(n: number): number {
    const batch = this.reader.batch;
    let len = FRAME_HEADER_LENGTH;
    for (let i = 0; i < n; i++) len += RECORD_LENGTH_PREFIX + batch.length(this.index + i);
    return len;
  }

  fit(maxBytes: number): number {
    const batch = this.reader.batch;
    let len = FRAME_HEADER_LENGTH;
    let n = 0;
    while (n < this.remaining) {
      const next = len + RECORD_LENGTH_PREFIX + batch.length(this.index + n);
      if (next > maxBytes && n > 0) break;
      len = next;
      n++;
    }
    return n;
  }

  packFrame(n: number, out: Uint8Array): void {
    const view = new DataView(out.buffer, out.byteOffset, out.length);
    writeFrameHeader(view, this.kind, this.schemaId, n, this.nextSequence);
    const batch = this.reader.batch;
    let at = FRAME_HEADER_LENGTH;
    for (let i = 0; i < n; i++) {
      const o = batch.offset(this.index + i);
      const len = batch.length(this.index + i);
      view.setUint32(at, len, true);
      copyBytes(out, at + RECORD_LENGTH_PREFIX, this.data.subarray(o, o + len));
      at += RECORD_LENGTH_PREFIX + len;
    }
    this.advance(n);
  }

  packEntry(): Uint8Array {
    const out = this.reader.batch.copy(this.index);
    this.advance(1);
    return out;
  }

  private advance(n: number): void {
    this.index += n;
    this.nextSequence += n;
    this.remaining -= n;
  }

  release(): void {
    this.reader.release();
  }
}
