import { ByteRing, copyBytes, Ring, type ByteProducer, type Producer, type Schema } from '@ringkit/core';
import { BYTES_SCHEMA_TEXT, FRAME_HEADER_LENGTH, FRAME_KIND, RECORD_LENGTH_PREFIX, schemaId, typedColumns, type FrameHeader } from './frame.js';

/**
 * The source's side of the ring: it is the ring's producer, writes decoded entries in place,
 * says how much room the ring has (to size fetches) and when the ring's consumers have
 * released what was written (to acknowledge).
 *
 * Positions are the ring's own: sequences (typed) or byte positions (byte ring), Int32 and
 * wrap-safe. Every check returns a sentence instead of throwing, for the caller to raise as a
 * `FrameError` naming the server and subject.
 */
export interface RingWriter {
  /** {@link FRAME_KIND} this ring takes. */
  readonly kind: number;
  /** Its schema id. */
  readonly schemaId: number;
  /** Entries (typed) or bytes (byte ring) free now. A query. */
  free(): number;
  /** Entries (typed) or bytes (byte ring) of the whole ring. */
  readonly capacity: number;
  /** Units (entries or bytes) a message takes in the ring: for sizing the next fetch. */
  units(payloadLength: number, count: number): number;
  /** Why a frame with this header and payload cannot be written; undefined when it can. */
  checkFrame(h: FrameHeader, payload: Uint8Array): string | undefined;
  /** Why one entry payload cannot be written; undefined when it can. */
  checkEntry(payload: Uint8Array): string | undefined;
  /** Writes entries `skip … count - 1` of a checked frame, waiting for room. */
  writeFrame(h: FrameHeader, payload: Uint8Array, skip: number): Promise<void>;
  /** Writes one checked entry, waiting for room. */
  writeEntry(payload: Uint8Array): Promise<void>;
  /** Writes one checked entry only if there is room now (core NATS: never waits). */
  tryWriteEntry(payload: Uint8Array): boolean;
  /**
   * Like {@link tryWriteEntry}, but a typed ring's entry is published only by the next
   * {@link flush} (or the next write that publishes): a run of messages that arrived together
   * becomes one publish, so the ring's consumers wake once for it, not once per entry. Call
   * `flush` before waiting for anything. Byte rings commit each record at once.
   */
  tryStageEntry(payload: Uint8Array): boolean;
  /** Publishes the entries {@link tryStageEntry} wrote. */
  flush(): void;
  /** Writes a checked frame only if all of it fits now. */
  tryWriteFrame(h: FrameHeader, payload: Uint8Array, skip: number): boolean;
  /** The position after the last entry written (staged ones included). */
  position(): number;
  /** True once every consumer of the ring released everything up to `position`. */
  released(position: number): boolean;
  /** Closes the ring after the last entry written. */
  close(): void;
}

/** A typed ring's writer. */
export class TypedWriter<S extends Schema> implements RingWriter {
  readonly kind = FRAME_KIND.typed;
  readonly schemaId: number;
  private readonly ring: Ring<S>;
  private readonly producer: Producer<S>;
  private readonly columns: Uint8Array[];
  private readonly widths: number[];
  private readonly entryLength: number;
  readonly capacity: number;
  /** Whether entries are claimed and written but not published (up to `producer.hi`). */
  private staged = false;

  constructor(ring: Ring<S>) {
    this.ring = ring;
    this.capacity = ring.capacity;
    this.producer = ring.producer();
    ({ schemaId: this.schemaId, columns: this.columns, widths: this.widths, entryLength: this.entryLength } = typedColumns(ring));
  }

  free(): number {
    return this.ring.capacity - ((this.position() - this.ring.gatingSequence()) | 0);
  }

  units(_payloadLength: number, count: number): number {
    return count;
  }

  checkFrame(h: FrameHeader, payload: Uint8Array): string | undefined {
    if (h.kind !== FRAME_KIND.typed) return `a frame of kind ${h.kind} cannot go into a typed ring (kind ${FRAME_KIND.typed}): it comes from a byte ring`;
    if (h.schemaId !== this.schemaId) return `the frame's schema id differs from the ring's (the rings must have the same schema): frame=0x${h.schemaId.toString(16)}, ring=0x${this.schemaId.toString(16)}`;
    const want = FRAME_HEADER_LENGTH + h.count * this.entryLength;
    if (payload.length !== want) return `a frame of ${h.count} entries of ${this.entryLength} bytes is ${want} bytes long: length=${payload.length}`;
    return undefined;
  }

  checkEntry(payload: Uint8Array): string | undefined {
    if (payload.length !== this.entryLength) return `an entry of this ring's schema is ${this.entryLength} bytes (its fields in schema order): length=${payload.length}`;
    return undefined;
  }

  async writeFrame(h: FrameHeader, payload: Uint8Array, skip: number): Promise<void> {
    this.flush();
    const producer = this.producer;
    const capacity = this.ring.capacity;
    for (let i = skip; i < h.count;) {
      const k = Math.min(h.count - i, capacity >> 1 || 1);
      const hi = producer.tryClaim(k) ? producer.hi : await producer.claimAsync(k);
      this.copyFrame(h, payload, i, k, (hi - k + 1) | 0);
      producer.publish(hi);
      i += k;
    }
  }

  tryWriteFrame(h: FrameHeader, payload: Uint8Array, skip: number): boolean {
    const k = h.count - skip;
    if (k <= 0) return true;
    if (k > this.ring.capacity || !this.producer.tryClaim(k)) return false;
    this.copyFrame(h, payload, skip, k, this.producer.lo);
    this.producer.publish(this.producer.hi);
    this.staged = false;
    return true;
  }

  /** Copies entries `from … from + k - 1` of the frame, column by column, to the slots from sequence `lo`. */
  private copyFrame(h: FrameHeader, payload: Uint8Array, from: number, k: number, lo: number): void {
    const start = lo & this.ring.mask;
    const first = Math.min(k, this.ring.capacity - start); // entries before the wrap
    let at = FRAME_HEADER_LENGTH;
    for (let f = 0; f < this.columns.length; f++) {
      const col = this.columns[f]!;
      const w = this.widths[f]!;
      const src = at + from * w;
      copyBytes(col, start * w, payload.subarray(src, src + first * w));
      if (first < k) copyBytes(col, 0, payload.subarray(src + first * w, src + k * w));
      at += h.count * w;
    }
  }

  async writeEntry(payload: Uint8Array): Promise<void> {
    this.flush();
    const producer = this.producer;
    const hi = producer.tryClaim(1) ? producer.hi : await producer.claimAsync(1);
    this.copyEntry(payload, hi);
    producer.publish(hi);
  }

  tryWriteEntry(payload: Uint8Array): boolean {
    if (!this.producer.tryClaim(1)) return false;
    this.copyEntry(payload, this.producer.hi);
    this.producer.publish(this.producer.hi);
    this.staged = false;
    return true;
  }

  tryStageEntry(payload: Uint8Array): boolean {
    if (!this.producer.tryClaim(1)) return false;
    this.copyEntry(payload, this.producer.hi);
    this.staged = true;
    return true;
  }

  flush(): void {
    if (!this.staged) return;
    this.staged = false;
    this.producer.publish(this.producer.hi);
  }

  private copyEntry(payload: Uint8Array, seq: number): void {
    const s = seq & this.ring.mask;
    let at = 0;
    for (let f = 0; f < this.columns.length; f++) {
      const w = this.widths[f]!;
      copyBytes(this.columns[f]!, s * w, payload.subarray(at, at + w));
      at += w;
    }
  }

  position(): number {
    return this.staged ? this.producer.hi : this.ring.cursor;
  }

  released(position: number): boolean {
    return ((this.ring.gatingSequence() - position) | 0) >= 0;
  }

  close(): void {
    this.flush();
    this.producer.close();
  }
}

/** Bytes a record of `length` takes in a byte ring (8-byte header, 8-byte alignment), without the padding at a wrap. */
function recordUnits(length: number): number {
  return (length + 8 + 7) & ~7;
}

/** A byte ring's writer. */
export class ByteWriter implements RingWriter {
  readonly kind = FRAME_KIND.bytes;
  readonly schemaId = schemaId(BYTES_SCHEMA_TEXT);
  private readonly ring: ByteRing;
  private readonly producer: ByteProducer;
  readonly capacity: number;

  constructor(ring: ByteRing) {
    this.ring = ring;
    this.capacity = ring.capacity;
    this.producer = ring.producer();
  }

  free(): number {
    return this.ring.capacity - ((this.ring.cursor - this.ring.gatingPosition()) | 0);
  }

  units(payloadLength: number, count: number): number {
    return payloadLength + count * 8 + 8;
  }

  checkFrame(h: FrameHeader, payload: Uint8Array): string | undefined {
    if (h.kind !== FRAME_KIND.bytes) return `a frame of kind ${h.kind} cannot go into a byte ring (kind ${FRAME_KIND.bytes}): it comes from a typed ring`;
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    let at = FRAME_HEADER_LENGTH;
    for (let i = 0; i < h.count; i++) {
      if (at + RECORD_LENGTH_PREFIX > payload.length) return `the frame ends inside record ${i} of ${h.count}: length=${payload.length}`;
      const len = view.getUint32(at, true);
      if (len > this.ring.maxRecordLength) return `record ${i} is longer than the byte ring's maxRecordLength=${this.ring.maxRecordLength}: length=${len}`;
      at += RECORD_LENGTH_PREFIX + len;
    }
    if (at !== payload.length) return `a frame of ${h.count} records is ${at} bytes long: length=${payload.length}`;
    return undefined;
  }

  checkEntry(payload: Uint8Array): string | undefined {
    if (payload.length > this.ring.maxRecordLength) return `the record is longer than the byte ring's maxRecordLength=${this.ring.maxRecordLength}: length=${payload.length}`;
    return undefined;
  }

  async writeFrame(h: FrameHeader, payload: Uint8Array, skip: number): Promise<void> {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    let at = FRAME_HEADER_LENGTH;
    for (let i = 0; i < h.count; i++) {
      const len = view.getUint32(at, true);
      at += RECORD_LENGTH_PREFIX;
      if (i >= skip) await this.writeEntry(payload.subarray(at, at + len));
      at += len;
    }
  }

  tryWriteFrame(h: FrameHeader, payload: Uint8Array, skip: number): boolean {
    let need = 0;
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    for (let i = 0, at = FRAME_HEADER_LENGTH; i < h.count; i++) {
      const len = view.getUint32(at, true);
      if (i >= skip) need += recordUnits(len);
      at += RECORD_LENGTH_PREFIX + len;
    }
    // Room for every record and one wrap's padding: then no claim below can fail half way.
    if (need + (this.ring.maxRecordLength + 8) > this.free()) return false;
    for (let i = 0, at = FRAME_HEADER_LENGTH; i < h.count; i++) {
      const len = view.getUint32(at, true);
      at += RECORD_LENGTH_PREFIX;
      if (i >= skip && !this.tryWriteEntry(payload.subarray(at, at + len))) return false;
      at += len;
    }
    return true;
  }

  async writeEntry(payload: Uint8Array): Promise<void> {
    const view = this.producer.tryClaim(payload.length) ?? await this.producer.claimAsync(payload.length);
    copyBytes(view, 0, payload);
    this.producer.commit();
  }

  tryWriteEntry(payload: Uint8Array): boolean {
    const view = this.producer.tryClaim(payload.length);
    if (view === null) return false;
    copyBytes(view, 0, payload);
    this.producer.commit();
    return true;
  }

  tryStageEntry(payload: Uint8Array): boolean {
    return this.tryWriteEntry(payload);
  }

  flush(): void {
    // Each record was committed as it was written.
  }

  position(): number {
    return this.ring.cursor;
  }

  released(position: number): boolean {
    return ((this.ring.gatingPosition() - position) | 0) >= 0;
  }

  close(): void {
    this.producer.close();
  }
}
