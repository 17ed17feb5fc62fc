import type { Msg } from '@nats-io/transport-node';
import { NatsPermissionError } from './errors.js';
import { isPermissionViolation } from './failure.js';
import type { SourceContext } from './ring-source.js';
import type { BridgeStats } from './stats.js';

/**
 * The core NATS source: a plain subscription whose messages are written only if the ring has
 * room at once. What does not fit, and every hole in a ring identity's sequences (messages
 * the server dropped for a slow subscriber, or sent while nobody listened), counts in `lost`.
 */
export async function runCore(ctx: SourceContext, acked: Map<string, number>, signal: AbortSignal): Promise<BridgeStats> {
  const { writer, stats, nc, order } = ctx;
  let failure: unknown;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let received = 0;
  const sub = nc.subscribe(ctx.subject, {
    callback: (err: Error | null, m: Msg) => {
      if (err !== null) {
        failure = isPermissionViolation(err) ? new NatsPermissionError(ctx.server, ctx.subject, 'subscribe to', err) : err;
        finish();
        return;
      }
      try {
        const data = m.data;
        stats.messages++;
        stats.bytes += data.length;
        const verdict = order.classify(data, m.headers, ++received, m.subject, false);
        if (verdict === 'end') {
          if (ctx.closeAfterEnds > 0 && order.ended.size >= ctx.closeAfterEnds) finish();
          return;
        }
        if (verdict === 'ignored') {
          stats.ignored += order.count;
          return;
        }
        if (verdict !== 'write') {
          stats.dupDropped += order.count;
          return;
        }
        stats.lost += order.lostBefore;
        stats.dupDropped += order.skip;
        const n = order.count - order.skip;
        const ok = order.frame ? writer.tryWriteFrame(order.header, data, order.skip) : writer.tryWriteEntry(data);
        order.written();
        if (!ok) {
          stats.lost += n; // the ring had no room: core NATS never waits
          return;
        }
        stats.published += n;
        stats.acked += n;
        stats.lastSequence = order.first + order.count - 1;
        acked.set(order.ringId, stats.lastSequence);
      } catch (e) {
        failure = e;
        finish();
      }
    },
  });
  const onAbort = (): void => finish();
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
