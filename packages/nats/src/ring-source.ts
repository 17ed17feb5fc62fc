import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ByteRing, InvalidArgumentError, Ring, describe, type Schema } from '@ringkit/core';
import { openConnection, type ConnectionOption } from './connection.js';
import { startCall } from './failure.js';
import { intOption, oneOf, subjectOption } from './options.js';
import { runCore } from './source-core.js';
import { runJetStream } from './source-jetstream.js';
import { SourceOrder } from './source-order.js';
import { ByteWriter, TypedWriter, type RingWriter } from './ring-writer.js';
import { newStats, type BridgeStats } from './stats.js';
import { checkStream, streamFor, type CreateStreamOptions } from './stream.js';

/** Options of {@link RingSource.start}. */
export interface RingSourceOptions<S extends Schema = Schema> {
  /** The ring to fill: a typed `Ring` or a `ByteRing`; the source becomes its producer. Required. */
  ring: Ring<S> | ByteRing;
  /** A NATS connection (yours to close) or how to open one (closed when the source ends). Required. */
  connection: ConnectionOption;
  /** Subject to take messages from (wildcards allowed): the durable consumer's filter, and how the stream is found when `stream` is not given. Required. */
  subject: string;
  /** The stream's name. Defaults to the stream that captures `subject`. */
  stream?: string;
  /** Name of the durable pull consumer (created when missing; a restarted source with the same name resumes after what was acknowledged). Required for JetStream. */
  durable?: string;
  /** `'jetstream'` (durable pull consumer, at-least-once) or `'core'` (a plain subscription: lossy, losses counted). Defaults to `'jetstream'`. */
  transport?: 'jetstream' | 'core';
  /** JetStream: a message not acknowledged this long after delivery is delivered again, ms (only at creation of the consumer). Defaults to 30000. */
  ackWaitMs?: number;
  /** JetStream: most messages in one fetch (fetches are also sized to the ring's free space). Defaults to 256. */
  maxFetch?: number;
  /** JetStream: most messages delivered and not acknowledged (only at creation of the consumer). Defaults to 4096. */
  maxAckPending?: number;
  /** How often acknowledgements are checked against the ring's consumers while waiting, ms. Defaults to 2. */
  ackCheckMs?: number;
  /** Per ring identity, the last sequence already delivered downstream (a checkpoint kept by the caller, see {@link RingSource.checkpoint}): entries at or before it are dropped. */
  resumeAfter?: Readonly<Record<string, number>>;
  /**
   * Take only messages of these ring identities (a sink's `ringId`: the part of `Nats-Msg-Id`
   * before the last `:`; `''` for messages without a sink id): the others, end markers included,
   * are acknowledged and dropped, counted in `ignored` — e.g. what an earlier run left in the
   * stream. Defaults to every identity.
   */
  ringIds?: readonly string[];
  /** Close the ring once this many end markers (one per sink ring) arrived and everything before them is written; then `done` resolves once the ring's consumers released it all. Defaults to 0 (never: run until stopped). */
  closeAfterEnds?: number;
  /**
   * A hole in a sink's sequences holds later messages back this long, then is counted lost:
   * messages stored late (around a server restart), or delivered again only after the ack wait
   * (those a crashed source had fetched). Defaults to `ackWaitMs` + 10000.
   */
  gapTimeoutMs?: number;
  /** Create the stream with these limits when none captures `subject`. */
  createStream?: CreateStreamOptions;
  /** Stops the source. */
  signal?: AbortSignal;
}

/**
 * NATS → ring: a durable JetStream pull consumer (or, with `transport: 'core'`, a plain
 * subscription) whose messages are written in place into a `Ring` or `ByteRing`, as its producer.
 *
 * JetStream: each fetch asks for no more messages than the ring has room for (a slow far side
 * stops the fetching: memory stays bounded, the stream keeps the backlog); a message is
 * acknowledged only once every consumer of the ring released its entries, so a crash after the
 * fetch loses nothing (the server delivers it again). Entries already written — a message the
 * server delivered again, or entries another message already carried (the same ring identity
 * and sequences) — are dropped and counted in `dupDropped`, never published twice into the ring.
 *
 * Core NATS: frames are written only if the ring has room at once; what does not fit, and any
 * gap in a ring identity's sequences (messages the server dropped), is counted in `lost`.
 *
 * Threading: runs on the event loop of the thread that starts it (the ring's producer thread).
 */
export class RingSource {
  /** Live counters (a query: read them any time on this thread). */
  readonly stats: BridgeStats;
  /** Resolves with the final stats once the source ended (`closeAfterEnds` reached and released, or stopped); rejects with the error that stopped it. */
  readonly done: Promise<BridgeStats>;
  private readonly abort = new AbortController();
  private readonly acked = new Map<string, number>();

  private constructor(stats: BridgeStats, run: (acked: Map<string, number>, signal: AbortSignal) => Promise<BridgeStats>, signal: AbortSignal | undefined) {
    this.stats = stats;
    if (signal !== undefined) {
      if (signal.aborted) this.abort.abort(signal.reason);
      else signal.addEventListener('abort', () => this.abort.abort(signal.reason), { once: true });
    }
    this.done = run(this.acked, this.abort.signal);
    this.done.catch(() => undefined);
  }

  /**
   * Per ring identity, the last sequence the ring's consumers released (and that was
   * acknowledged): persist it downstream and pass it as `resumeAfter` to a restarted source.
   * Allocates the returned object.
   */
  checkpoint(): Record<string, number> {
    return Object.fromEntries(this.acked);
  }

  /**
   * Connects (unless given a connection), finds or creates the stream and the durable
   * consumer, and starts filling the ring.
   * @throws {@link InvalidArgumentError}, {@link NatsUnreachableError}, {@link StreamMissingError}.
   */
  static async start<S extends Schema>(options: RingSourceOptions<S>): Promise<RingSource> {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object { ring, connection, subject, durable, ... }: options=${describe(options)}`);
    const { ring } = options;
    if (!(ring instanceof Ring) && !(ring instanceof ByteRing)) throw new InvalidArgumentError(`options.ring must be a Ring or a ByteRing: ring=${describe(ring)}`);
    const subject = subjectOption(options.subject, 'subject', true);
    const transport = oneOf(options.transport, 'transport', ['jetstream', 'core'], 'jetstream');
    const durable = options.durable;
    if (transport === 'jetstream' && (typeof durable !== 'string' || !/^[^\s.*>]+$/.test(durable))) {
      throw new InvalidArgumentError(`options.durable must name the durable consumer (no spaces, '.', '*' or '>'): durable=${describe(durable)}`);
    }
    const ackWaitMs = intOption(options.ackWaitMs, 'ackWaitMs', 30_000, 1);
    const maxFetch = intOption(options.maxFetch, 'maxFetch', 256, 1, 1 << 20);
    const maxAckPending = intOption(options.maxAckPending, 'maxAckPending', 4096, 1);
    const ackCheckMs = intOption(options.ackCheckMs, 'ackCheckMs', 2, 1, 1000);
    const closeAfterEnds = intOption(options.closeAfterEnds, 'closeAfterEnds', 0, 0);
    const gapTimeoutMs = intOption(options.gapTimeoutMs, 'gapTimeoutMs', ackWaitMs + 10_000, 0);
    const resume = new Map<string, number>();
    if (options.resumeAfter !== undefined) {
      if (options.resumeAfter === null || typeof options.resumeAfter !== 'object') throw new InvalidArgumentError(`options.resumeAfter must be an object { ringId: lastSequence }: resumeAfter=${describe(options.resumeAfter)}`);
      for (const [k, v] of Object.entries(options.resumeAfter)) {
        if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`options.resumeAfter values must be integer sequences: ${k}=${describe(v)}`);
        resume.set(k, v);
      }
    }
    let accept: Set<string> | undefined;
    if (options.ringIds !== undefined) {
      if (!Array.isArray(options.ringIds) || options.ringIds.some((r) => typeof r !== 'string')) throw new InvalidArgumentError(`options.ringIds must be an array of ring identities (strings): ringIds=${describe(options.ringIds)}`);
      accept = new Set(options.ringIds);
    }
    const writer: RingWriter = ring instanceof Ring ? new TypedWriter(ring) : new ByteWriter(ring);
    const { nc, owned, server } = await openConnection(options.connection);
    const stats = newStats('source', transport);
    const ctx: SourceContext = { nc, owned, server, subject, writer, stats, ackCheckMs, closeAfterEnds, order: new SourceOrder(writer, server, resume, gapTimeoutMs, accept), maxFetch };
    try {
      if (transport === 'core') return new RingSource(stats, (acked, signal) => runCore(ctx, acked, signal), options.signal);
      let stream: string;
      if (options.stream !== undefined) {
        if (typeof options.stream !== 'string' || options.stream === '') throw new InvalidArgumentError(`options.stream must be a stream name: stream=${describe(options.stream)}`);
        stream = options.stream;
        await checkStream(await startCall(() => jetstreamManager(nc)), server, stream);
      } else {
        stream = (await streamFor(nc, server, subject, options.createStream)).stream;
      }
      const jsm = await startCall(() => jetstreamManager(nc));
      try {
        await startCall(() => jsm.consumers.info(stream, durable!));
      } catch {
        await startCall(() => jsm.consumers.add(stream, {
          durable_name: durable!, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
          ack_wait: ackWaitMs * 1_000_000, max_ack_pending: maxAckPending, filter_subject: subject,
        }));
      }
      const consumer = await startCall(() => jetstream(nc).consumers.get(stream, durable!));
      return new RingSource(stats, (acked, signal) => runJetStream(ctx, consumer, acked, signal), options.signal);
    } catch (e) {
      if (owned) await nc.close();
      throw e;
    }
  }

  /** Stops taking messages; what was written and not yet released stays unacknowledged (delivered again to the next source). Resolves once stopped. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done.catch(() => undefined);
  }
}

/** What the source's loops share. */
export interface SourceContext {
  nc: NatsConnection;
  owned: boolean;
  server: string;
  subject: string;
  writer: RingWriter;
  stats: BridgeStats;
  ackCheckMs: number;
  closeAfterEnds: number;
  order: SourceOrder;
  maxFetch: number;
}
