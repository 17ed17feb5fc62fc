import type { JetStreamClient } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { NatsPermissionError, PayloadTooLargeError } from './errors.js';
import { isPassing, isPermissionViolation } from './failure.js';
import { endId, entryId, frameId } from './msg-id.js';
import { sleep } from './options.js';
import { FramePool } from './frame-pool.js';
import type { RingPacker } from './ring-packer.js';
import type { BridgeStats } from './stats.js';

/** Longest wait between two publish attempts of one message, ms. */
const MAX_RETRY_DELAY_MS = 1000;

/** What a sink runs with, once its options are checked and it is connected. */
export interface SinkContext {
  nc: NatsConnection;
  owned: boolean;
  server: string;
  subject: string;
  stream: string | undefined;
  ringId: string;
  mode: 'packed' | 'entry';
  maxBytes: number;
  lingerMs: number;
  maxInFlight: number;
  publishTimeoutMs: number;
  endMarker: boolean;
  packer: RingPacker;
  stats: BridgeStats;
  js: JetStreamClient | undefined;
}

/**
 * Publishes every entry of the batch the packer holds (packed frames or one message per
 * entry) and waits until JetStream acknowledged them all: then the caller may release it.
 *
 * Every message the window has room for goes out in one synchronous run, so the client writes
 * them to the socket together (one write for the run, not one per message); the loop waits
 * only when the window is full, and then for as much room as the acknowledgements that
 * arrived together made.
 * @throws {@link PayloadTooLargeError} for an entry larger than the server's `max_payload`.
 */
export async function publishHeld(ctx: SinkContext, window: PublishWindow, signal: AbortSignal): Promise<void> {
  const { packer, stats } = ctx;
  stats.lost += packer.lostBefore;
  const maxPayload = ctx.nc.info?.max_payload ?? Infinity;
  while (packer.remaining > 0) {
    if (signal.aborted) return;
    if (!window.hasRoom()) {
      await window.room();
      continue;
    }
    const first = packer.nextSequence;
    if (ctx.mode === 'packed') {
      const count = packer.fit(ctx.maxBytes);
      const length = packer.frameLength(count);
      if (length > maxPayload) throw new PayloadTooLargeError(ctx.server, ctx.subject, length, maxPayload);
      const frame = window.frame(length);
      packer.packFrame(count, frame);
      window.send(frame, frameId(ctx.ringId, first, count), count, first + count - 1);
    } else {
      const payload = packer.packEntry();
      if (payload.length > maxPayload) throw new PayloadTooLargeError(ctx.server, ctx.subject, payload.length, maxPayload);
      window.send(payload, entryId(ctx.ringId, first), 1, first);
    }
  }
  await window.drain();
}

/**
 * The messages in flight: at most `maxInFlight` unacknowledged publishes, each retried with
 * backoff (same payload, same `Nats-Msg-Id`) until JetStream acknowledges it or a fatal error
 * (permission, the connection closed for good) stops the sink.
 */
export class PublishWindow {
  private inFlight = 0;
  private wake: (() => void) | undefined;
  private failure: unknown = undefined;
  private readonly ctx: SinkContext;
  private readonly signal: AbortSignal;
  /** JetStream: frame buffers reused once acknowledged (core NATS lets a message go as soon as it is queued, before the client copied it). */
  private readonly frames: FramePool | undefined;

  constructor(ctx: SinkContext, signal: AbortSignal) {
    this.ctx = ctx;
    this.signal = signal;
    this.frames = ctx.js === undefined ? undefined : new FramePool(ctx.maxBytes, ctx.maxInFlight);
  }

  /** A buffer for a packed frame of `length` bytes, to fill and {@link send}. */
  frame(length: number): Uint8Array {
    return this.frames === undefined ? new Uint8Array(length) : this.frames.take(length);
  }

  /** Whether {@link send} may send now (core NATS: always). @throws the error that failed a message. */
  hasRoom(): boolean {
    this.check();
    return this.ctx.js === undefined || this.inFlight < this.ctx.maxInFlight;
  }

  /** Waits until a message in flight settles (there is room, or a failure to throw from {@link hasRoom}). */
  room(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : this.waitForOne();
  }

  /** Sends one message; the caller checked {@link hasRoom}. */
  send(payload: Uint8Array, msgId: string, count: number, last: number): void {
    const { stats, js } = this.ctx;
    stats.published += count;
    stats.messages++;
    stats.bytes += payload.length;
    if (js === undefined) {
      // Core NATS: the id tells a core source the ring identity and sequence (to count holes as lost).
      const h = headers();
      h.set('Nats-Msg-Id', msgId);
      this.ctx.nc.publish(this.ctx.subject, payload, { headers: h });
      stats.acked += count;
      stats.lastSequence = last;
      return;
    }
    this.inFlight++;
    stats.inFlight += count;
    // The first attempt straight on the client's promise (one handler, no wrapper); retries in `resend`.
    js.publish(this.ctx.subject, payload, { msgID: msgId, timeout: this.ctx.publishTimeoutMs }).then(
      (ack) => this.settled(ack.duplicate, count, last, undefined, payload),
      (e: unknown) => this.failed(e, payload, msgId, count, last),
    );
  }

  /** Sends the end marker (after everything else was acknowledged). */
  async sendEnd(next: number): Promise<void> {
    await this.drain();
    const { js, nc, subject, ringId } = this.ctx;
    const h = headers();
    h.set('Nats-Msg-Id', endId(ringId, next));
    if (js === undefined) {
      nc.publish(subject, new Uint8Array(0), { headers: h });
      await nc.flush();
      return;
    }
    await this.resend(js, new Uint8Array(0), endId(ringId, next), 0, false);
  }

  /** Waits until every message sent is acknowledged. @throws the error that failed one. */
  async drain(): Promise<void> {
    while (this.inFlight > 0) await this.waitForOne();
    this.check();
  }

  private waitForOne(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** One message settled: acknowledged (`error` undefined; its `payload` goes back to the frame pool) or failed for good. */
  private settled(duplicate: boolean, count: number, last: number, error: unknown, payload?: Uint8Array): void {
    const { stats } = this.ctx;
    stats.inFlight -= count;
    if (error === undefined) {
      if (payload !== undefined) this.frames?.give(payload);
      if (duplicate) stats.dupDropped += count;
      stats.acked += count;
      if (last > stats.lastSequence) stats.lastSequence = last;
    } else if (this.failure === undefined) {
      this.failure = error;
    }
    this.inFlight--;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The first attempt failed: fatal, or sent again with backoff until acknowledged. */
  private failed(e: unknown, payload: Uint8Array, msgId: string, count: number, last: number): void {
    const js = this.ctx.js!;
    const fatal = this.fatal(e);
    if (fatal !== undefined) return this.settled(false, count, last, fatal);
    this.resend(js, payload, msgId, count, true).then(
      (duplicate) => this.settled(duplicate, count, last, undefined, payload),
      (err: unknown) => this.settled(false, count, last, err),
    );
  }

  /** The error that stops the sink, or undefined for a passing one (no answer in time, the server restarting, a full stream). */
  private fatal(e: unknown): unknown {
    if (isPermissionViolation(e)) return new NatsPermissionError(this.ctx.server, this.ctx.subject, 'publish to', e);
    return isPassing(e) ? undefined : e;
  }

  /** Publishes until acknowledged (`again`: an attempt failed already, so back off first). Resolves with the ack's `duplicate`. */
  private async resend(js: JetStreamClient, payload: Uint8Array, msgId: string, count: number, again: boolean): Promise<boolean> {
    const { stats, publishTimeoutMs, subject } = this.ctx;
    let delay = 25;
    for (let attempt = again ? 1 : 0; ; attempt++) {
      if (attempt > 0) {
        stats.retries++;
        stats.redelivered += count;
        await sleep(delay, this.signal);
        delay = Math.min(MAX_RETRY_DELAY_MS, delay * 2);
      }
      if (this.signal.aborted) throw new Error('sink stopped');
      try {
        return (await js.publish(subject, payload, { msgID: msgId, timeout: publishTimeoutMs })).duplicate;
      } catch (e) {
        const fatal = this.fatal(e);
        if (fatal !== undefined) throw fatal;
      }
    }
  }
}
