import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { ByteRing, InvalidArgumentError, POLL_CLOSED, Ring, describe, type ByteReader, type Consumer, type Schema } from '@ringkit/core';
import { openConnection, type ConnectionOption } from './connection.js';
import { NatsPermissionError, PayloadTooLargeError } from './errors.js';
import { isPassing, isPermissionViolation } from './failure.js';
import { endId, entryId, frameId } from './msg-id.js';
import { intOption, oneOf, sleep, subjectOption } from './options.js';
import { BytePacker, TypedPacker, type RingPacker } from './ring-packer.js';
import { newStats, type BridgeStats } from './stats.js';
import { streamFor, type CreateStreamOptions } from './stream.js';

/** Options of {@link RingSink.start}. */
export interface RingSinkOptions<S extends Schema = Schema> {
  /** The ring to drain: a typed `Ring` or a `ByteRing`. Required. */
  ring: Ring<S> | ByteRing;
  /** The consumer (reader) to drain it with. Defaults to a new one registered now (`ring.addConsumer()` / `ring.addReader()`): register it before producing. */
  consumer?: Consumer<S> | ByteReader;
  /** A NATS connection (yours to close) or how to open one (closed when the sink ends). Required. */
  connection: ConnectionOption;
  /** Subject to publish to (no wildcards). Required. */
  subject: string;
  /** This ring's identity in `Nats-Msg-Id` (with the sequence): keep it the same across restarts so the server drops what is sent again. Defaults to `subject`. */
  ringId?: string;
  /** `'jetstream'` (acknowledged, at-least-once, de-duplicated) or `'core'` (core NATS: fire and forget, lossy). Defaults to `'jetstream'`. */
  transport?: 'jetstream' | 'core';
  /** `'packed'` (many entries per message, {@link FRAME_HEADER_LENGTH}-byte frame header) or `'entry'` (one entry per message: the record bytes, or a typed entry's fields in schema order). Defaults to `'packed'`. */
  mode?: 'packed' | 'entry';
  /** Largest packed message, bytes (capped at the server's `max_payload`; one larger record goes alone). Defaults to 65536. */
  maxMessageBytes?: number;
  /** When less than a full packed message is waiting, wait up to this long for more before sending. Defaults to 0 (send what is there). */
  lingerMs?: number;
  /** JetStream: most messages published and not yet acknowledged. Defaults to 256. */
  maxInFlight?: number;
  /** Most entries (records) taken from the ring at once, and held until acknowledged. Defaults to half the ring (typed) or the reader's `maxBatch` (byte). */
  maxBatch?: number;
  /** JetStream: time to wait for one publish's acknowledgement before sending it again, ms. Defaults to 5000. */
  publishTimeoutMs?: number;
  /** Byte rings: the sequence of the first record (continue a previous run's count). Defaults to 0. */
  firstSequence?: number;
  /** Create the stream with these limits when none captures `subject`. Defaults to none (a missing stream is a `StreamMissingError`). */
  createStream?: CreateStreamOptions;
  /** After the ring closed and everything was acknowledged, publish an end marker (empty payload, `Nats-Msg-Id` `<ringId>:end@<next>`). Defaults to true. */
  endMarker?: boolean;
  /** Stops the sink (what was not acknowledged stays unreleased in the ring). */
  signal?: AbortSignal;
}

/** Longest wait between two publish attempts of one message, ms. */
const MAX_RETRY_DELAY_MS = 1000;

/**
 * Ring → NATS: a normal consumer of a `Ring` or `ByteRing` (it gates the producer like any
 * consumer) that publishes the ring's entries to a subject.
 *
 * JetStream (default): entries are released only once JetStream acknowledged every message
 * made of them; at most `maxInFlight` messages are unacknowledged (memory is bounded whatever
 * the far side does: the ring fills and gates its producer); every message carries a
 * `Nats-Msg-Id` from (`ringId`, sequence), so a message sent again after a timeout, a
 * reconnect or a restart of this process is dropped by the server. A publish that fails for
 * a passing reason (no answer, server restarting, no responders) is retried with backoff for
 * as long as the sink runs; permission errors and oversized records fail the sink.
 *
 * Core NATS (`transport: 'core'`): each message is released as soon as it is written to the
 * socket; nothing is acknowledged, so a slow or absent subscriber loses messages (a core
 * source counts them as lost).
 *
 * Threading: runs on the event loop of the thread that starts it (the consumer's thread).
 */
export class RingSink {
  /** Live counters (a query: read them any time on this thread). */
  readonly stats: BridgeStats;
  /** Resolves with the final stats once the ring closed and everything was acknowledged (and the end marker sent); rejects with the error that stopped the sink. */
  readonly done: Promise<BridgeStats>;
  /** The subject messages go to. */
  readonly subject: string;
  /** The stream that captures it (JetStream). */
  readonly stream: string | undefined;
  private readonly abort = new AbortController();

  private constructor(stats: BridgeStats, subject: string, stream: string | undefined, run: (self: RingSink, signal: AbortSignal) => Promise<BridgeStats>, signal: AbortSignal | undefined) {
    this.stats = stats;
    this.subject = subject;
    this.stream = stream;
    if (signal !== undefined) {
      if (signal.aborted) this.abort.abort(signal.reason);
      else signal.addEventListener('abort', () => this.abort.abort(signal.reason), { once: true });
    }
    this.done = run(this, this.abort.signal);
    this.done.catch(() => undefined); // the caller sees it through `done`; never an unhandled rejection
  }

  /**
   * Connects (unless given a connection), checks the stream, registers the consumer (unless
   * given one) and starts publishing.
   * @throws {@link InvalidArgumentError} for bad options; {@link NatsUnreachableError};
   *   {@link StreamMissingError} when no stream captures the subject (and no `createStream`).
   */
  static async start<S extends Schema>(options: RingSinkOptions<S>): Promise<RingSink> {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object { ring, connection, subject, ... }: options=${describe(options)}`);
    const { ring } = options;
    if (!(ring instanceof Ring) && !(ring instanceof ByteRing)) throw new InvalidArgumentError(`options.ring must be a Ring or a ByteRing: ring=${describe(ring)}`);
    const subject = subjectOption(options.subject, 'subject', false);
    const ringId = options.ringId ?? subject;
    if (typeof ringId !== 'string' || ringId === '' || /\s/.test(ringId)) throw new InvalidArgumentError(`options.ringId must be a non-empty string without spaces: ringId=${describe(ringId)}`);
    const transport = oneOf(options.transport, 'transport', ['jetstream', 'core'], 'jetstream');
    const mode = oneOf(options.mode, 'mode', ['packed', 'entry'], 'packed');
    const maxMessageBytes = intOption(options.maxMessageBytes, 'maxMessageBytes', 65536, 64);
    const lingerMs = intOption(options.lingerMs, 'lingerMs', 0, 0, 60_000);
    const maxInFlight = intOption(options.maxInFlight, 'maxInFlight', 256, 1, 1 << 20);
    const publishTimeoutMs = intOption(options.publishTimeoutMs, 'publishTimeoutMs', 5000, 1);
    const firstSequence = intOption(options.firstSequence, 'firstSequence', 0, 0);
    const endMarker = options.endMarker ?? true;
    if (typeof endMarker !== 'boolean') throw new InvalidArgumentError(`options.endMarker must be a boolean: endMarker=${describe(endMarker)}`);
    let packer: RingPacker;
    if (ring instanceof Ring) {
      const maxBatch = intOption(options.maxBatch, 'maxBatch', Math.max(1, ring.capacity >> 1), 1, ring.capacity);
      const consumer = options.consumer ?? ring.addConsumer();
      packer = new TypedPacker(ring, consumer as Consumer<S>, maxBatch);
    } else {
      intOption(options.maxBatch, 'maxBatch', 1, 1, ring.maxBatch);
      const reader = options.consumer ?? ring.addReader();
      packer = new BytePacker(ring, reader as ByteReader, firstSequence);
    }
    const { nc, owned, server } = await openConnection(options.connection);
    let stream: string | undefined;
    try {
      if (transport === 'jetstream') stream = (await streamFor(nc, server, subject, options.createStream)).stream;
    } catch (e) {
      if (owned) await nc.close();
      throw e;
    }
    const stats = newStats('sink', transport);
    const maxBytes = Math.min(maxMessageBytes, nc.info?.max_payload ?? maxMessageBytes);
    const ctx: SinkContext = {
      nc, owned, server, subject, ringId, mode, maxBytes, lingerMs, maxInFlight, publishTimeoutMs, endMarker, packer, stats,
      js: transport === 'jetstream' ? jetstream(nc) : undefined,
    };
    return new RingSink(stats, subject, stream, (_self, signal) => runSink(ctx, signal), options.signal);
  }

  /** Stops publishing: what was not acknowledged stays unreleased in the ring. Resolves once the sink has stopped (`done` settles). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done.catch(() => undefined);
  }
}

interface SinkContext {
  nc: NatsConnection;
  owned: boolean;
  server: string;
  subject: string;
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

/** The sink's loop: poll a batch, publish it in messages (bounded in flight), wait for every ack, release, again. */
async function runSink(ctx: SinkContext, signal: AbortSignal): Promise<BridgeStats> {
  const { packer, stats } = ctx;
  const window = new PublishWindow(ctx, signal);
  try {
    for (;;) {
      if (ctx.lingerMs > 0) await sleep(ctx.lingerMs, signal); // let a partial message fill
      let n: number;
      try {
        n = await packer.poll(signal);
      } catch (e) {
        if (signal.aborted) break;
        throw e;
      }
      if (n === POLL_CLOSED) {
        if (ctx.endMarker) await window.sendEnd(packer.nextSequence);
        break;
      }
      stats.lost += packer.lostBefore;
      while (packer.remaining > 0) {
        if (signal.aborted) return stats;
        const first = packer.nextSequence;
        if (ctx.mode === 'packed') {
          const count = packer.fit(ctx.maxBytes);
          const length = packer.frameLength(count);
          if (length > ctx.maxBytes && length > (ctx.nc.info?.max_payload ?? Infinity)) throw new PayloadTooLargeError(ctx.server, ctx.subject, length, ctx.nc.info?.max_payload ?? 0);
          await window.send(packer.packFrame(count), frameId(ctx.ringId, first, count), count, first + count - 1);
        } else {
          const payload = packer.packEntry();
          if (payload.length > (ctx.nc.info?.max_payload ?? Infinity)) throw new PayloadTooLargeError(ctx.server, ctx.subject, payload.length, ctx.nc.info?.max_payload ?? 0);
          await window.send(payload, entryId(ctx.ringId, first), 1, first);
        }
      }
      await window.drain();
      if (signal.aborted) break;
      packer.release();
    }
    await window.drain();
    return stats;
  } finally {
    if (ctx.owned) await ctx.nc.close().catch(() => undefined);
  }
}

/**
 * The messages in flight: at most `maxInFlight` unacknowledged publishes, each retried with
 * backoff (same payload, same `Nats-Msg-Id`) until JetStream acknowledges it or a fatal error
 * (permission, the connection closed for good) stops the sink.
 */
class PublishWindow {
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
