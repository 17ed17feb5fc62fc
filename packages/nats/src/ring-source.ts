import { AckPolicy, DeliverPolicy, jetstream, JetStreamApiError, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { ClosedConnectionError, PermissionViolationError, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { ByteRing, InvalidArgumentError, Ring, describe, type Schema } from '@ringkit/core';
import { openConnection, type ConnectionOption } from './connection.js';
import { FrameError, NatsPermissionError } from './errors.js';
import { FRAME_MAGIC, readFrameHeader, type FrameHeader } from './frame.js';
import { parseId, type ParsedId } from './msg-id.js';
import { intOption, oneOf, sleep, subjectOption } from './options.js';
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
  /** Close the ring once this many end markers (one per sink ring) arrived and everything before them is written; then `done` resolves once the ring's consumers released it all. Defaults to 0 (never: run until stopped). */
  closeAfterEnds?: number;
  /** Create the stream with these limits when none captures `subject`. */
  createStream?: CreateStreamOptions;
  /** Stops the source. */
  signal?: AbortSignal;
}

/** A message being written or waiting for the ring's consumers to release it. */
interface Pending {
  msg: JsMsg | undefined;
  position: number;
  count: number;
  ringId: string;
  last: number;
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
    const resume = new Map<string, number>();
    if (options.resumeAfter !== undefined) {
      if (options.resumeAfter === null || typeof options.resumeAfter !== 'object') throw new InvalidArgumentError(`options.resumeAfter must be an object { ringId: lastSequence }: resumeAfter=${describe(options.resumeAfter)}`);
      for (const [k, v] of Object.entries(options.resumeAfter)) {
        if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`options.resumeAfter values must be integer sequences: ${k}=${describe(v)}`);
        resume.set(k, v);
      }
    }
    const writer: RingWriter = ring instanceof Ring ? new TypedWriter(ring) : new ByteWriter(ring);
    const { nc, owned, server } = await openConnection(options.connection);
    const stats = newStats('source', transport);
    const ctx: SourceContext = { nc, owned, server, subject, writer, stats, ackCheckMs, closeAfterEnds, resume, maxFetch };
    try {
      if (transport === 'core') return new RingSource(stats, (acked, signal) => runCore(ctx, acked, signal), options.signal);
      let stream: string;
      if (options.stream !== undefined) {
        if (typeof options.stream !== 'string' || options.stream === '') throw new InvalidArgumentError(`options.stream must be a stream name: stream=${describe(options.stream)}`);
        stream = options.stream;
        await checkStream(await jetstreamManager(nc), server, stream);
      } else {
        stream = (await streamFor(nc, server, subject, options.createStream)).stream;
      }
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.consumers.info(stream, durable!);
      } catch {
        await jsm.consumers.add(stream, {
          durable_name: durable!, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
          ack_wait: ackWaitMs * 1_000_000, max_ack_pending: maxAckPending, filter_subject: subject,
        });
      }
      const consumer = await jetstream(nc).consumers.get(stream, durable!);
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

interface SourceContext {
  nc: NatsConnection;
  owned: boolean;
  server: string;
  subject: string;
  writer: RingWriter;
  stats: BridgeStats;
  ackCheckMs: number;
  closeAfterEnds: number;
  resume: Map<string, number>;
  maxFetch: number;
}

/** What the source knows of what it wrote: per ring identity the last sequence, and the last stream sequence. */
class Written {
  readonly last: Map<string, number>;
  lastStreamSeq = 0;
  ends = 0;
  /** Largest units one message took so far (sizes the next fetch). */
  unitsPerMessage = 1;
  /** The header of the message being written (one per source: sources on one thread interleave at every await). */
  readonly header: FrameHeader = { kind: 0, schemaId: 0, count: 0, first: 0 };
  readonly parsed: ParsedId = { ringId: '', sequence: 0, end: false };
  constructor(resume: Map<string, number>) {
    this.last = new Map(resume);
  }
}

function msgIdOf(h: MsgHdrs | undefined): string | undefined {
  return h?.get('Nats-Msg-Id') || undefined;
}

function isFrame(data: Uint8Array): boolean {
  return data.length >= 4 && (data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)) >>> 0 === FRAME_MAGIC;
}

/**
 * Decides what of one message goes into the ring. Returns the ring identity, the first
 * sequence, the count and how many leading entries to skip; or `end: true` for an end marker.
 * @throws {@link FrameError} for a message the ring cannot take.
 */
function classify(ctx: SourceContext, written: Written, data: Uint8Array, id: string | undefined, fallbackSeq: number, subject: string): { ringId: string; first: number; count: number; skip: number; frame: boolean; end: boolean } {
  const { header, parsed } = written;
  const known = parseId(id, parsed);
  if (known && parsed.end) return { ringId: parsed.ringId, first: parsed.sequence, count: 0, skip: 0, frame: false, end: true };
  const ringId = known ? parsed.ringId : '';
  let first: number;
  let count: number;
  let frame = false;
  if (isFrame(data)) {
    const why = readFrameHeader(data, header) ?? ctx.writer.checkFrame(header, data);
    if (why !== undefined) throw new FrameError(ctx.server, subject, `a message on "${subject}" cannot go into the ring: ${why}`);
    first = header.first;
    count = header.count;
    frame = true;
  } else {
    const why = ctx.writer.checkEntry(data);
    if (why !== undefined) throw new FrameError(ctx.server, subject, `a message on "${subject}" cannot go into the ring: ${why}`);
    first = known ? parsed.sequence : fallbackSeq;
    count = 1;
  }
  const last = written.last.get(ringId);
  const skip = last === undefined ? 0 : Math.max(0, Math.min(count, last - first + 1));
  return { ringId, first, count, skip, frame, end: false };
}

async function runJetStream(ctx: SourceContext, consumer: Awaited<ReturnType<ReturnType<typeof jetstream>['consumers']['get']>>, acked: Map<string, number>, signal: AbortSignal): Promise<BridgeStats> {
  const { writer, stats } = ctx;
  const written = new Written(ctx.resume);
  const pending: Pending[] = [];
  let head = 0;
  const ackReleased = (): void => {
    while (head < pending.length && writer.released(pending[head]!.position)) {
      const p = pending[head++]!;
      p.msg?.ack();
      stats.acked += p.count;
      stats.inFlight -= p.count;
      if (p.count > 0) {
        stats.lastSequence = p.last;
        acked.set(p.ringId, p.last);
      }
    }
    if (head > 1024 && head * 2 > pending.length) {
      pending.splice(0, head);
      head = 0;
    }
  };
  const timer = setInterval(ackReleased, ctx.ackCheckMs);
  let iter: ConsumerMessages | undefined;
  const stopIter = (): void => {
    void iter?.close();
  };
  signal.addEventListener('abort', stopIter, { once: true });
  let closed = false;
  let delay = 25;
  try {
    while (!signal.aborted) {
      ackReleased();
      if (closed) {
        if (head === pending.length) break;
        await sleep(ctx.ackCheckMs, signal);
        continue;
      }
      const n = Math.min(ctx.maxFetch, Math.floor(writer.free() / written.unitsPerMessage));
      if (n < 1) {
        await sleep(ctx.ackCheckMs, signal);
        continue;
      }
      try {
        iter = await consumer.fetch({ max_messages: n, expires: 1000 });
        for await (const m of iter) {
          await take(m);
          if (closed) break;
        }
        delay = 25;
      } catch (e) {
        if (signal.aborted) break;
        if (e instanceof FrameError) throw e;
        if (e instanceof PermissionViolationError) throw new NatsPermissionError(ctx.server, ctx.subject, 'consume from', e);
        if (e instanceof ClosedConnectionError) throw e;
        if (e instanceof JetStreamApiError && e.code !== 503 && e.status !== 503) throw e;
        stats.retries++; // passing: the server restarting, heartbeats missed, no responders
        await sleep(delay, signal);
        delay = Math.min(1000, delay * 2);
      } finally {
        await iter?.close();
        iter = undefined;
      }
    }
    ackReleased();
    return stats;
  } finally {
    clearInterval(timer);
    signal.removeEventListener('abort', stopIter);
    if (ctx.owned) await ctx.nc.close().catch(() => undefined);
  }

  async function take(m: JsMsg): Promise<void> {
    const { header } = written;
    const data = m.data;
    stats.messages++;
    stats.bytes += data.length;
    if (m.seq <= written.lastStreamSeq) {
      // Delivered again (its acknowledgement was lost or late): it was written already.
      const c = isFrame(data) && readFrameHeader(data, header) === undefined ? header.count : 1;
      stats.redelivered += c;
      stats.dupDropped += c;
      pending.push({ msg: m, position: writer.position(), count: 0, ringId: '', last: -1 });
      return;
    }
    const c = classify(ctx, written, data, msgIdOf(m.headers), m.seq, m.subject);
    if (m.redelivered) stats.redelivered += c.count;
    if (c.end) {
      written.ends++;
      written.lastStreamSeq = m.seq;
      pending.push({ msg: m, position: writer.position(), count: 0, ringId: c.ringId, last: -1 });
      if (ctx.closeAfterEnds > 0 && written.ends >= ctx.closeAfterEnds) {
        writer.close();
        closed = true;
      }
      return;
    }
    const units = writer.units(data.length, c.count);
    if (units > written.unitsPerMessage) written.unitsPerMessage = units;
    stats.dupDropped += c.skip;
    const n = c.count - c.skip;
    if (n > 0) {
      if (c.frame) await writer.writeFrame(header, data, c.skip);
      else await writer.writeEntry(data);
      written.last.set(c.ringId, c.first + c.count - 1);
      stats.published += n;
      stats.inFlight += n;
    }
    written.lastStreamSeq = m.seq;
    pending.push({ msg: m, position: writer.position(), count: n, ringId: c.ringId, last: c.first + c.count - 1 });
  }
}

async function runCore(ctx: SourceContext, acked: Map<string, number>, signal: AbortSignal): Promise<BridgeStats> {
  const { writer, stats, nc } = ctx;
  const written = new Written(ctx.resume);
  const { header, parsed } = written;
  let failure: unknown;
  let finish: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const sub: Subscription = nc.subscribe(ctx.subject, {
    callback: (err: Error | null, m: Msg) => {
      if (err !== null) {
        failure = err instanceof PermissionViolationError ? new NatsPermissionError(ctx.server, ctx.subject, 'subscribe to', err) : err;
        finish!();
        return;
      }
      try {
        const data = m.data;
        stats.messages++;
        stats.bytes += data.length;
        const c = classify(ctx, written, data, msgIdOf(m.headers), written.lastStreamSeq + 1, m.subject);
        if (!parseId(msgIdOf(m.headers), parsed)) written.lastStreamSeq++;
        if (c.end) {
          written.ends++;
          if (ctx.closeAfterEnds > 0 && written.ends >= ctx.closeAfterEnds) finish!();
          return;
        }
        const last = written.last.get(c.ringId);
        // A gap in a ring's sequences: messages the server (or the network) dropped.
        if (last !== undefined && c.first > last + 1) stats.lost += c.first - last - 1;
        const n = c.count - c.skip;
        stats.dupDropped += c.skip;
        if (n <= 0) return;
        const ok = c.frame ? writer.tryWriteFrame(header, data, c.skip) : writer.tryWriteEntry(data);
        written.last.set(c.ringId, c.first + c.count - 1);
        if (!ok) {
          stats.lost += n; // the ring had no room: core NATS never waits
          return;
        }
        stats.published += n;
        stats.acked += n;
        stats.lastSequence = c.first + c.count - 1;
        acked.set(c.ringId, stats.lastSequence);
      } catch (e) {
        failure = e;
        finish!();
      }
    },
  });
  const onAbort = (): void => finish!();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await finished;
    if (failure !== undefined) throw failure;
    if (!signal.aborted && ctx.closeAfterEnds > 0) writer.close();
    return stats;
  } finally {
    signal.removeEventListener('abort', onAbort);
    sub.unsubscribe();
    if (ctx.owned) await nc.close().catch(() => undefined);
  }
}
