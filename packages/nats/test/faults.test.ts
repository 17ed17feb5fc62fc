import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { POLL_CLOSED, Ring } from '@ringkit/core';
import { RingSink, RingSource, type BridgeStats } from '../src/index.js';
import { NatsServer } from './fixtures/nats-server.js';
import { Child } from './fixtures/child.js';

const schema = { value: 'f64', tag: 'u32' } as const;

let server: NatsServer;
let nc: NatsConnection;
before(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
});
after(async () => {
  await nc.close();
  await server.close();
});

let streams = 0;
async function freshStream(extra: Record<string, unknown> = {}): Promise<{ stream: string; subject: string }> {
  const n = ++streams;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: `F${n}`, subjects: [`f${n}.>`], ...extra });
  return { stream: `F${n}`, subject: `f${n}.data` };
}

/**
 * Produces values 0 … total-1 (tag = value % 1000) in random batches on this event loop;
 * `onBatch` runs after each publish. Resolves with the number of claims that found the ring full.
 */
async function produce(ring: Ring<typeof schema>, total: number, onBatch?: (sent: number) => Promise<void> | void): Promise<number> {
  const p = ring.producer();
  let gated = 0;
  for (let i = 0; i < total;) {
    const n = Math.min(total - i, 1 + Math.floor(Math.random() * 100));
    let hi: number;
    if (p.tryClaim(n)) hi = p.hi;
    else {
      gated++;
      hi = await p.claimAsync(n);
    }
    for (let s = p.lo, k = 0; k < n; k++, s = (s + 1) | 0) {
      ring.columns.value[s & ring.mask] = i + k;
      ring.columns.tag[s & ring.mask] = (i + k) % 1000;
    }
    p.publish(hi);
    i += n;
    await onBatch?.(i);
  }
  p.close();
  return gated;
}

/** Checks every entry of a ring in order to its close; `slowMs` sleeps after each batch. */
async function drain(ring: Ring<typeof schema>, consumer = ring.addConsumer(), slowMs = 0): Promise<number> {
  let next = 0;
  for (;;) {
    const n = await consumer.pollAsync({ max: 128 });
    if (n === POLL_CLOSED) return next;
    for (let k = 0; k < n; k++) {
      const i = consumer.batch.index(k);
      assert.equal(ring.columns.value[i], next, `entry ${next} arrives once and in order`);
      assert.equal(ring.columns.tag[i], next % 1000);
      next++;
    }
    consumer.release();
    if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
  }
}

/** Every value 0 … total-1 exactly once, in order, in a list of (first, count) batches. */
function assertExactlyOnce(batches: ReadonlyArray<readonly [number, number]>, total: number): void {
  let next = 0;
  for (const [first, count] of batches) {
    assert.equal(first, next, `batch from ${first}: expected ${next} (none lost, none duplicated)`);
    next += count;
  }
  assert.equal(next, total);
}

describe('faults', () => {
  it('nats-server killed (SIGKILL) and restarted mid-stream: the far ring still gets every entry exactly once', async () => {
    const { subject } = await freshStream();
    const total = 60_000;
    const near = Ring.create({ capacity: 1024, schema });
    const far = Ring.create({ capacity: 1024, schema });
    const farConsumer = far.addConsumer();
    const sink = await RingSink.start({ ring: near, connection: { servers: server.url, reconnectDelayMs: 20 }, subject, ringId: 'near', maxMessageBytes: 2048, publishTimeoutMs: 500 });
    const source = await RingSource.start({ ring: far, connection: { servers: server.url, reconnectDelayMs: 20 }, subject, durable: 'far', closeAfterEnds: 1, gapTimeoutMs: 60_000 });
    let restarted = false;
    const [, got, sinkStats, sourceStats] = await Promise.all([
      produce(near, total, async (sent) => {
        if (!restarted && sent > total / 3) {
          restarted = true;
          await server.kill();
          await new Promise((r) => setTimeout(r, 300));
          await server.start();
        }
      }),
      drain(far, farConsumer),
      sink.done,
      source.done,
    ]);
    assert.equal(got, total);
    assert.equal(sinkStats.acked, total);
    assert.ok(sinkStats.retries > 0, `the sink retried publishes across the restart: ${JSON.stringify(sinkStats)}`);
    assert.equal(sourceStats.acked, total);
    assert.equal(sourceStats.lost, 0);
  });

  it('the source process killed after a fetch and before the ack: a new one with the checkpoint fills the gap, no duplicates', async () => {
    const { subject } = await freshStream();
    const total = 20_000;
    const near = Ring.create({ capacity: 4096, schema });
    const sink = await RingSink.start({ ring: near, connection: nc, subject, ringId: 'near', maxMessageBytes: 1024 });
    await Promise.all([produce(near, total), sink.done]);
    // The server delivers unacknowledged messages again after the consumer's ack wait (2 s here).
    const first = new Child('./source-child.js', { url: server.url, subject, durable: 'far', slowMs: 1, ackWaitMs: 2000 });
    // Kill it while it holds messages it fetched and wrote but has not acknowledged.
    await first.until(() => first.batches.length > 20 && (first.stats?.inFlight ?? 0) > 0 && (first.stats?.acked ?? 0) > 0, 'in-flight entries');
    await first.kill();
    const seen = first.batches.slice();
    const lastSeen = seen.length === 0 ? -1 : seen.at(-1)![0] + seen.at(-1)![1] - 1;
    assert.ok(lastSeen < total - 1, 'killed mid-stream');
    const second = new Child('./source-child.js', { url: server.url, subject, durable: 'far', slowMs: 0, ackWaitMs: 2000, resumeAfter: { near: lastSeen } });
    await second.finished();
    const final = second.final!;
    assert.ok(final.redelivered > 0, `the server delivered the unacknowledged messages again: ${JSON.stringify(final)}`);
    assertExactlyOnce([...seen, ...second.batches], total);
  });

  it('the sink process killed and restarted from scratch: the server and the source drop what is sent twice', async () => {
    const { subject } = await freshStream();
    const total = 30_000;
    const first = new Child('./sink-child.js', { url: server.url, subject, ringId: 'gen', total });
    await first.until(() => (first.stats?.acked ?? 0) > total / 3, 'a third acknowledged');
    await first.kill();
    const second = new Child('./sink-child.js', { url: server.url, subject, ringId: 'gen', total });
    const far = Ring.create({ capacity: 2048, schema });
    const farConsumer = far.addConsumer();
    const source = await RingSource.start({ ring: far, connection: nc, subject, durable: 'far', closeAfterEnds: 1 });
    const [got, , sourceStats] = await Promise.all([drain(far, farConsumer), second.finished(), source.done]);
    assert.equal(got, total);
    const sinkStats = second.final!;
    assert.equal(sinkStats.acked, total);
    assert.ok(sinkStats.dupDropped + sourceStats.dupDropped > 0, `re-sent entries were dropped: sink ${JSON.stringify(sinkStats)} source ${JSON.stringify(sourceStats)}`);
    assert.equal(sourceStats.published, total, 'each entry written into the far ring once');
  });

  it('a slow far side with a bounded stream: memory stays bounded and the near producer is gated', async () => {
    // Work-queue retention, at most 8 messages, new ones refused when full: the stream is a bounded buffer.
    const { subject } = await freshStream({ retention: RetentionPolicy.Workqueue, max_msgs: 8, discard: DiscardPolicy.New });
    const total = 8000;
    const near = Ring.create({ capacity: 256, schema });
    const far = Ring.create({ capacity: 256, schema });
    const farConsumer = far.addConsumer();
    const maxMessageBytes = 24 + 64 * 12; // 64 entries a message
    const sink = await RingSink.start({ ring: near, connection: nc, subject, ringId: 'near', maxMessageBytes, maxInFlight: 4 });
    const source = await RingSource.start({ ring: far, connection: nc, subject, durable: 'far', closeAfterEnds: 1, maxFetch: 4 });
    let maxSinkInFlight = 0;
    let maxSourceInFlight = 0;
    let maxBacklog = 0;
    const jsm = await jetstreamManager(nc);
    const heapBefore = process.memoryUsage().heapUsed;
    let maxHeap = heapBefore;
    const watch = setInterval(() => {
      maxSinkInFlight = Math.max(maxSinkInFlight, sink.stats.inFlight);
      maxSourceInFlight = Math.max(maxSourceInFlight, source.stats.inFlight);
      maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    }, 2);
    const backlog = setInterval(() => {
      void jsm.streams.info(`F${streams}`).then((i) => { maxBacklog = Math.max(maxBacklog, i.state.messages); }, () => undefined);
    }, 20);
    try {
      const [gated, got, sinkStats] = await Promise.all([produce(near, total), drain(far, farConsumer, 20), sink.done, source.done]);
      assert.equal(got, total);
      assert.ok(gated > 10, `the near producer found its ring full (gated by the sink, gated by the stream): ${gated} times`);
      assert.ok(sinkStats.retries > 0, `the full stream refused publishes and the sink waited: ${JSON.stringify(sinkStats)}`);
    } finally {
      clearInterval(watch);
      clearInterval(backlog);
    }
    assert.ok(maxSinkInFlight <= 4 * 64, `sink in flight ≤ maxInFlight messages: ${maxSinkInFlight}`);
    assert.ok(maxSourceInFlight <= far.capacity + 4 * 64, `source in flight ≤ the far ring plus one fetch: ${maxSourceInFlight}`);
    assert.ok(maxBacklog <= 8, `the stream never held more than its limit: ${maxBacklog}`);
    assert.ok(maxHeap - heapBefore < 64 << 20, `heap growth stays small: ${((maxHeap - heapBefore) / 2 ** 20).toFixed(1)} MiB`);
  });
});

export type { BridgeStats };
