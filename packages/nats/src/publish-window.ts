import type { JetStreamClient } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { NatsPermissionError, PayloadTooLargeError } from './errors.js';
import { isPassing, isPermissionViolation } from './failure.js';
import { endId, entryId, frameId } from './msg-id.js';
import { sleep } from './options.js';
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
 * @throws {@link PayloadTooLargeError} for an entry larger than the server's `max_payload`.
 */
export async function publishHeld(ctx: SinkContext, window: PublishWindow, signal: AbortSignal): Promise<void> {
  const { packer, stats } = ctx;
  stats.lost += packer.lostBefore;
  const maxPayload = ctx.nc.info?.max_payload ?? Infinity;
  while (packer.remaining > 0) {
    if (signal.aborted) return;
    const first = packer.nextSequence;
    if (ctx.mode === 'packed') {
      const count = packer.fit(ctx.maxBytes);
      const length = packer.frameLength(count);
      if (length > maxPayload) throw new PayloadTooLargeError(ctx.server, ctx.subject, length, maxPayload);
      await window.send(packer.packFrame(count), frameId(ctx.ringId, first, count), count, first + count - 1);
    } else {
      const payload = packer.packEntry();
      if (payload.length > maxPayload) throw new PayloadTooLargeError(ctx.server, ctx.subject, payload.length, maxPayload);
      await window.send(payload, entryId(ctx.ringId, first), 1, first);
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

  constructor(ctx: SinkContext, signal: AbortSignal) {
    this.ctx = ctx;
    this.signal = signal;
  }

  /** Sends one message (waits while the window is full). */
  async send(payload: Uint8Array, msgId: string, count: number, last: number): Promise<void> {
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
    while (this.inFlight >= this.ctx.maxInFlight && this.failure === undefined) await this.waitForOne();
    this.check();
    this.inFlight++;
    stats.inFlight += count;
    this.publish(js, payload, msgId, count).then(() => {
      stats.inFlight -= count;
      stats.acked += count;
      if (last > stats.lastSequence) stats.lastSequence = last;
    }, (e: unknown) => {
      stats.inFlight -= count;
      if (this.failure === undefined) this.failure = e;
    }).finally(() => {
      this.inFlight--;
      const w = this.wake;
      this.wake = undefined;
      w?.();
    });
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
    await this.publish(js, new Uint8Array(0), endId(ringId, next), 0);
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

  private async publish(js: JetStreamClient, payload: Uint8Array, msgId: string, count: number): Promise<void> {
    const { stats, publishTimeoutMs, server, subject } = this.ctx;
    let delay = 25;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        stats.retries++;
        stats.redelivered += count;
        await sleep(delay, this.signal);
        delay = Math.min(MAX_RETRY_DELAY_MS, delay * 2);
      }
      if (this.signal.aborted) throw new Error('sink stopped');
      try {
        const ack = await js.publish(subject, payload, { msgID: msgId, timeout: publishTimeoutMs });
        if (ack.duplicate) stats.dupDropped += count;
        return;
      } catch (e) {
        if (isPermissionViolation(e)) throw new NatsPermissionError(server, subject, 'publish to', e);
        if (!isPassing(e)) throw e;
        // Passing (no answer in time, the server restarting, a full stream): send it again.
      }
    }
  }
}
