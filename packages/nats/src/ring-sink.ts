import { jetstream } from '@nats-io/jetstream';
import { ByteRing, InvalidArgumentError, POLL_CLOSED, Ring, describe, type ByteReader, type Consumer, type Schema } from '@ringkit/core';
import { openConnection, type ConnectionOption } from './connection.js';
import { publishHeld, PublishWindow, type SinkContext } from './publish-window.js';
import { intOption, oneOf, sleep, subjectOption } from './options.js';
import { BytePacker, TypedPacker, type RingPacker } from './ring-packer.js';
import { newStats, type BridgeStats } from './stats.js';
import { streamFor, type CreateStreamOptions } from './stream.js';
import { startCall } from './failure.js';

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
  /**
   * Largest packed message body, bytes (one larger record goes alone). Capped at what the server
   * takes: its `max_payload` (and the stream's `max_msg_size`, when set) less
   * {@link headerRoom}`(ringId)` bytes for the `Nats-Msg-Id` header. Defaults to that cap with
   * JetStream (on a default server, `max_payload` 1 MiB: 1,048,576 − 128 − the ring identity's
   * UTF-8 length, e.g. 1,048,441 bytes for ring identity `b1.data`), and to 65536 with core
   * NATS (where a frame the far ring has no room for is lost whole).
   */
  maxMessageBytes?: number;
  /** Wait this long before each poll of the ring, so that a trickle of entries goes in fewer, fuller messages (latency for message count). Defaults to 0 (send what is there). */
  lingerMs?: number;
  /** JetStream: most messages published and not yet acknowledged. Defaults to 256. */
  maxInFlight?: number;
  /** Most entries (records) taken from the ring at once, and held until acknowledged. Defaults to half the ring (typed) or the ring's `maxBatch` (byte; at most that). */
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
    let packer: RingPacker;
    if (ring instanceof Ring) {
      const maxBatch = intOption(options.maxBatch, 'maxBatch', Math.max(1, ring.capacity >> 1), 1, ring.capacity);
      packer = new TypedPacker(ring, (options.consumer ?? ring.addConsumer()) as Consumer<S>, maxBatch);
    } else {
      const maxBatch = intOption(options.maxBatch, 'maxBatch', ring.maxBatch, 1, ring.maxBatch);
      packer = new BytePacker(ring, (options.consumer ?? ring.addReader()) as ByteReader, intOption(options.firstSequence, 'firstSequence', 0, 0), maxBatch);
    }
    const ctx = await openSink(options, packer);
    return new RingSink(ctx.stats, ctx.subject, ctx.stream, (_self, signal) => runSink(ctx, signal), options.signal);
  }

  /** Stops publishing: what was not acknowledged stays unreleased in the ring. Resolves once the sink has stopped (`done` settles). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done.catch(() => undefined);
  }
}

/** The default largest packed message with core NATS, bytes. */
const CORE_MESSAGE_BYTES = 65536;

/**
 * Bytes a packed frame leaves below the server's limit for the message's headers
 * (`NATS/1.0`, `Nats-Msg-Id: <ringId>:<first>+<count>`): 128 plus the ring identity's UTF-8 length.
 */
export function headerRoom(ringId: string): number {
  return 128 + Buffer.byteLength(ringId, 'utf8');
}

/** The settings every sink shares (the options but `ring`, `consumer`, `maxBatch`, `firstSequence`, `signal`). */
export type SinkSettings = Omit<RingSinkOptions, 'ring' | 'consumer' | 'maxBatch' | 'firstSequence' | 'signal'>;

/**
 * Checks the shared sink options, connects, checks (or creates) the stream: what
 * {@link RingSink.start} and the pipeline stage `natsSink` both run before publishing.
 */
export async function openSink(options: SinkSettings, packer: RingPacker): Promise<SinkContext> {
  const subject = subjectOption(options.subject, 'subject', false);
  const ringId = options.ringId ?? subject;
  if (typeof ringId !== 'string' || ringId === '' || /\s/.test(ringId)) throw new InvalidArgumentError(`options.ringId must be a non-empty string without spaces: ringId=${describe(ringId)}`);
  const transport = oneOf(options.transport, 'transport', ['jetstream', 'core'], 'jetstream');
  const mode = oneOf(options.mode, 'mode', ['packed', 'entry'], 'packed');
  const maxMessageBytes = intOption(options.maxMessageBytes, 'maxMessageBytes', transport === 'core' ? CORE_MESSAGE_BYTES : Number.MAX_SAFE_INTEGER, 64);
  const lingerMs = intOption(options.lingerMs, 'lingerMs', 0, 0, 60_000);
  const maxInFlight = intOption(options.maxInFlight, 'maxInFlight', 256, 1, 1 << 20);
  const publishTimeoutMs = intOption(options.publishTimeoutMs, 'publishTimeoutMs', 5000, 1);
  const endMarker = options.endMarker ?? true;
  if (typeof endMarker !== 'boolean') throw new InvalidArgumentError(`options.endMarker must be a boolean: endMarker=${describe(endMarker)}`);
  const { nc, owned, server } = await openConnection(options.connection);
  let stream: string | undefined;
  let limit = nc.info?.max_payload ?? CORE_MESSAGE_BYTES;
  try {
    if (transport === 'jetstream') {
      const found = await streamFor(nc, server, subject, options.createStream);
      stream = found.stream;
      const maxMsgSize = (await startCall(() => found.jsm.streams.info(found.stream))).config.max_msg_size ?? -1;
      if (maxMsgSize > 0) limit = Math.min(limit, maxMsgSize);
    }
  } catch (e) {
    if (owned) await nc.close();
    throw e;
  }
  const stats = newStats('sink', transport);
  const maxBytes = Math.min(maxMessageBytes, Math.max(64, limit - headerRoom(ringId)));
  return {
    nc, owned, server, subject, stream, ringId, mode, maxBytes, lingerMs, maxInFlight, publishTimeoutMs, endMarker, packer, stats,
    js: transport === 'jetstream' ? jetstream(nc) : undefined,
  };
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
      await publishHeld(ctx, window, signal);
      if (signal.aborted) break;
      packer.release();
    }
    await window.drain();
    return stats;
  } finally {
    if (ctx.owned) await ctx.nc.close().catch(() => undefined);
  }
}

