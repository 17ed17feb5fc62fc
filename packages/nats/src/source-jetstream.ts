import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { NatsPermissionError } from './errors.js';
import { isPassing, isPermissionViolation } from './failure.js';
import { sleep } from './options.js';
import type { SourceContext } from './ring-source.js';
import type { BridgeStats } from './stats.js';

/**
 * A message written (or dropped) and waiting for the ring's consumers to release up to
 * `position`. It keeps the message's reply subject, not the message: a held `JsMsg` keeps its
 * payload buffer (the client's, about twice a 1 MiB frame) alive past young-generation
 * collections, and the old-generation collections that then free them showed as GC time.
 */
interface Pending {
  /** The message's reply subject (publishing {@link ACK} to it acknowledges the message, as `JsMsg.ack()` does), or the message itself when the client gave none. */
  ack: string | JsMsg;
  position: number;
  count: number;
  ringId: string;
  last: number;
}

/** How long a message held back (entries before it not arrived) waits before the server delivers it again, ms. */
const HOLD_DELAY_MS = 100;

/** JetStream's acknowledgement payload. */
const ACK = new TextEncoder().encode('+ACK');

/** What acknowledges `m` later: its reply subject (the client's messages carry one, though the `JsMsg` type does not declare it), else `m`. */
function ackOf(m: JsMsg): string | JsMsg {
  const reply = (m as { readonly reply?: unknown }).reply;
  return typeof reply === 'string' && reply !== '' ? reply : m;
}

/**
 * The JetStream source loop: fetch no more messages than the ring has room for, write them in
 * order, acknowledge each once the ring's consumers released its entries (checked every
 * `ackCheckMs`, also while a write waits for room).
 */
export async function runJetStream(ctx: SourceContext, consumer: Consumer, acked: Map<string, number>, signal: AbortSignal): Promise<BridgeStats> {
  const { writer, stats, order } = ctx;
  const pending: Pending[] = [];
  let head = 0;
  const ackReleased = (): void => {
    writer.flush();
    while (head < pending.length && writer.released(pending[head]!.position)) {
      const p = pending[head++]!;
      if (typeof p.ack === 'string') ctx.nc.publish(p.ack, ACK);
      else p.ack.ack();
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

  /**
   * Takes one message: synchronously when a single entry finds room at once (staged, published
   * with the rest of its run by `writer.flush()`), else a promise that settles once written.
   */
  function take(m: JsMsg): Promise<void> | undefined {
    const data = m.data;
    stats.messages++;
    stats.bytes += data.length;
    const verdict = order.classify(data, m.headers, m.seq, m.subject, true);
    if (m.redelivered) stats.redelivered += order.count;
    if (verdict === 'early') {
      stats.held++;
      m.nak(HOLD_DELAY_MS);
      return undefined;
    }
    if (verdict === 'duplicate' || verdict === 'ignored') {
      if (verdict === 'duplicate') stats.dupDropped += order.count;
      else stats.ignored += order.count;
      pending.push({ ack: ackOf(m), position: writer.position(), count: 0, ringId: order.ringId, last: -1 });
      return undefined;
    }
    if (verdict === 'end') {
      pending.push({ ack: ackOf(m), position: writer.position(), count: 0, ringId: order.ringId, last: -1 });
      if (ctx.closeAfterEnds > 0 && order.ended.size >= ctx.closeAfterEnds) {
        writer.close();
        closed = true;
      }
      return undefined;
    }
    stats.lost += order.lostBefore;
    stats.dupDropped += order.skip;
    if (!order.frame && writer.tryStageEntry(data)) {
      wrote(m);
      return undefined;
    }
    return (order.frame ? writer.writeFrame(order.header, data, order.skip) : writer.writeEntry(data)).then(() => wrote(m));
  }

  /** Books the message `order` classified last as written. */
  function wrote(m: JsMsg): void {
    const { ringId, first, count, skip } = order;
    const n = count - skip;
    order.written();
    stats.published += n;
    stats.inFlight += n;
    pending.push({ ack: ackOf(m), position: writer.position(), count: n, ringId, last: first + count - 1 });
  }

  try {
    while (!signal.aborted) {
      ackReleased();
      if (closed) {
        if (head === pending.length) break;
        await sleep(ctx.ackCheckMs, signal);
        continue;
      }
      // A message larger than the ring is written in parts as the consumers release: fetch it once half the ring is free.
      // Before the first message, its size is unknown: assume it that large (a fetch of a few), not one unit
      // (a fetch of `maxFetch` packed frames would be buffered by the client far beyond the ring's room).
      const half = writer.capacity >> 1 || 1;
      const n = Math.min(ctx.maxFetch, Math.floor(writer.free() / (order.unitsPerMessage === 0 ? half : Math.min(order.unitsPerMessage, half))));
      if (n < 1) {
        await sleep(ctx.ackCheckMs, signal);
        continue;
      }
      try {
        iter = await consumer.fetch({ max_messages: n, expires: 1000 });
        for await (const m of iter) {
          const wait = take(m);
          if (wait !== undefined) await wait;
          // The last message the client holds: publish the staged run before waiting for more.
          if (iter.getPending() === 0) writer.flush();
          if (closed || signal.aborted) break;
        }
        writer.flush();
        delay = 25;
      } catch (e) {
        if (signal.aborted) break;
        if (isPermissionViolation(e)) throw new NatsPermissionError(ctx.server, ctx.subject, 'consume from', e);
        if (!isPassing(e)) throw e;
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
}
