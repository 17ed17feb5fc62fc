import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { NatsPermissionError } from './errors.js';
import { isPassing, isPermissionViolation } from './failure.js';
import { sleep } from './options.js';
import type { SourceContext } from './ring-source.js';
import type { BridgeStats } from './stats.js';

/** A message written (or dropped) and waiting for the ring's consumers to release up to `position`. */
interface Pending {
  msg: JsMsg;
  position: number;
  count: number;
  ringId: string;
  last: number;
}

/** How long a message held back (entries before it not arrived) waits before the server delivers it again, ms. */
const HOLD_DELAY_MS = 100;

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
    while (head < pending.length && writer.released(pending[head]!.position)) {
      const p = pending[head++]!;
      p.msg.ack();
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

  async function take(m: JsMsg): Promise<void> {
    const data = m.data;
    stats.messages++;
    stats.bytes += data.length;
    const verdict = order.classify(data, m.headers, m.seq, m.subject, true);
    if (m.redelivered) stats.redelivered += order.count;
    if (verdict === 'early') {
      stats.held++;
      m.nak(HOLD_DELAY_MS);
      return;
    }
    if (verdict === 'duplicate' || verdict === 'ignored') {
      if (verdict === 'duplicate') stats.dupDropped += order.count;
      else stats.ignored += order.count;
      pending.push({ msg: m, position: writer.position(), count: 0, ringId: order.ringId, last: -1 });
      return;
    }
    if (verdict === 'end') {
      pending.push({ msg: m, position: writer.position(), count: 0, ringId: order.ringId, last: -1 });
      if (ctx.closeAfterEnds > 0 && order.ended.size >= ctx.closeAfterEnds) {
        writer.close();
        closed = true;
      }
      return;
    }
    stats.lost += order.lostBefore;
    stats.dupDropped += order.skip;
    const { ringId, first, count, skip } = order;
    const n = count - skip;
    if (order.frame) await writer.writeFrame(order.header, data, skip);
    else await writer.writeEntry(data);
    order.written();
    stats.published += n;
    stats.inFlight += n;
    pending.push({ msg: m, position: writer.position(), count: n, ringId, last: first + count - 1 });
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
      const n = Math.min(ctx.maxFetch, Math.floor(writer.free() / Math.min(order.unitsPerMessage, writer.capacity >> 1 || 1)));
      if (n < 1) {
        await sleep(ctx.ackCheckMs, signal);
        continue;
      }
      try {
        iter = await consumer.fetch({ max_messages: n, expires: 1000 });
        for await (const m of iter) {
          await take(m);
          if (closed || signal.aborted) break;
        }
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
