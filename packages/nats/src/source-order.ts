import type { MsgHdrs } from '@nats-io/transport-node';
import { FrameError } from './errors.js';
import { FRAME_MAGIC, readFrameHeader, type FrameHeader } from './frame.js';
import { parseId, type ParsedId } from './msg-id.js';
import type { RingWriter } from './ring-writer.js';

/** What to do with one message. */
export type Verdict =
  /** Write entries `skip … count - 1` (`skip` leading ones the ring already has). */
  | 'write'
  /** The ring has every entry of it already (a message delivered again, or carried twice). */
  | 'duplicate'
  /** Entries before it have not arrived yet (the server stored them later, around a restart): hold it back. */
  | 'early'
  /** An end marker, in order: the ring identity sent everything before `first`. */
  | 'end'
  /** A ring identity the source does not take (not in its `ringIds`): drop it, `count` entries. */
  | 'ignored';

/**
 * The source's order keeper: per ring identity (the part of `Nats-Msg-Id` before the last `:`)
 * the last sequence written, so that every entry goes into the ring once and in order.
 *
 * Messages from other clients (no sink `Nats-Msg-Id`) count as ring identity `''` numbered by
 * their stream sequence: only duplicates are dropped, gaps are normal there. A hole in a sink's
 * sequences waits up to `gapTimeoutMs` for its messages, then is counted lost and passed.
 */
export class SourceOrder {
  readonly last: Map<string, number>;
  /** Ring identities whose end marker was taken. */
  readonly ended = new Set<string>();
  /** Header of the message classified last (one per source: sources on one thread interleave at every await). */
  readonly header: FrameHeader = { kind: 0, schemaId: 0, count: 0, first: 0 };
  ringId = '';
  first = 0;
  count = 0;
  skip = 0;
  frame = false;
  /** Entries the hole before this message holds (set with a `'write'` that passes a hole after its timeout). */
  lostBefore = 0;
  /**
   * Largest units one message took so far (sizes the next fetch); 0 before the first message
   * to write (its size unknown: a fetch then asks for what half the ring holds in one message).
   */
  unitsPerMessage = 0;
  private readonly parsed: ParsedId = { ringId: '', sequence: 0, end: false };
  private readonly holeSince = new Map<string, number>();
  private readonly writer: RingWriter;
  private readonly server: string;
  private readonly gapTimeoutMs: number;
  private readonly accept: ReadonlySet<string> | undefined;

  /** @param accept the ring identities to take (undefined: every one). */
  constructor(writer: RingWriter, server: string, resume: ReadonlyMap<string, number>, gapTimeoutMs: number, accept?: ReadonlySet<string>) {
    this.writer = writer;
    this.accept = accept;
    this.server = server;
    this.last = new Map(resume);
    this.gapTimeoutMs = gapTimeoutMs;
  }

  /**
   * Classifies one message and sets {@link ringId}, {@link first}, {@link count}, {@link skip}.
   * @param streamSeq the message's stream sequence (numbers messages without a sink id).
   * @param waitForHoles false in core NATS mode: a hole is lost at once.
   * @throws {@link FrameError} for a message the ring cannot take.
   */
  classify(data: Uint8Array, headers: MsgHdrs | undefined, streamSeq: number, subject: string, waitForHoles: boolean): Verdict {
    const parsed = this.parsed;
    const id = headers?.get('Nats-Msg-Id') || undefined;
    const known = parseId(id, parsed);
    this.ringId = known ? parsed.ringId : '';
    this.lostBefore = 0;
    this.skip = 0;
    if (this.accept !== undefined && !this.accept.has(this.ringId)) {
      this.frame = false;
      this.first = known ? parsed.sequence : streamSeq;
      this.count = known && parsed.end ? 0 : isFrame(data) && readFrameHeader(data, this.header) === undefined ? this.header.count : 1;
      return 'ignored';
    }
    if (known && parsed.end) {
      this.first = parsed.sequence;
      this.count = 0;
      this.frame = false;
    } else if (isFrame(data)) {
      const why = readFrameHeader(data, this.header) ?? this.writer.checkFrame(this.header, data);
      if (why !== undefined) throw new FrameError(this.server, subject, `a message on "${subject}" cannot go into the ring: ${why}`);
      this.first = this.header.first;
      this.count = this.header.count;
      this.frame = true;
    } else {
      const why = this.writer.checkEntry(data);
      if (why !== undefined) throw new FrameError(this.server, subject, `a message on "${subject}" cannot go into the ring: ${why}`);
      this.first = known ? parsed.sequence : streamSeq;
      this.count = 1;
      this.frame = false;
    }
    const last = this.last.get(this.ringId);
    if (last !== undefined) {
      const hole = this.first - last - 1;
      if (hole > 0 && known) {
        if (waitForHoles) {
          const since = this.holeSince.get(this.ringId);
          const now = Date.now();
          if (since === undefined) this.holeSince.set(this.ringId, now);
          if (since === undefined || now - since < this.gapTimeoutMs) return 'early';
        }
        this.lostBefore = hole;
      }
      this.skip = Math.max(0, Math.min(this.count, last - this.first + 1));
      if (known && parsed.end) {
        if (this.ended.has(this.ringId) || hole < 0) return 'duplicate';
      } else if (this.skip === this.count) {
        return 'duplicate';
      }
    }
    if (known && parsed.end) {
      if (this.ended.has(this.ringId)) return 'duplicate';
      this.ended.add(this.ringId);
      this.holeSince.delete(this.ringId);
      return 'end';
    }
    const units = this.writer.units(data.length, this.count);
    if (units > this.unitsPerMessage) this.unitsPerMessage = units;
    return 'write';
  }

  /** Records that the classified message was written. */
  written(): void {
    this.last.set(this.ringId, this.first + this.count - 1);
    this.holeSince.delete(this.ringId);
  }
}

/** Whether a payload starts with the packed frame's magic. */
export function isFrame(data: Uint8Array): boolean {
  return data.length >= 4 && (data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)) >>> 0 === FRAME_MAGIC;
}
