import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { ByteRing, POLL_CLOSED, Ring } from '@ringkit/core';
import { RingSink, RingSource } from '../src/index.js';
import { NatsServer } from './fixtures/nats-server.js';
import { drainTyped, produceTyped, schema } from './fixtures/typed-ring.js';

let server: NatsServer;
let nc: NatsConnection;
before(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
});
after(async () => {
  await nc.close();
  await server.close();
});

/**
 * The durable's info once the server applied the acknowledgements already sent (it applies
 * them on its own goroutine: an info request right after the last ack can still count it).
 * Polls until nothing is pending an ack, for at most 3 s, then returns the last info.
 */
async function settledConsumer(stream: string, durable: string): Promise<{ num_ack_pending: number; num_redelivered: number }> {
  const jsm = await jetstreamManager(nc);
  const deadline = Date.now() + 3000;
  for (;;) {
    const info = await jsm.consumers.info(stream, durable);
    if (info.num_ack_pending === 0 || Date.now() > deadline) return info;
    await new Promise((r) => setTimeout(r, 20));
  }
}

let streams = 0;
async function freshStream(): Promise<{ stream: string; subject: string }> {
  const n = ++streams;
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: `T${n}`, subjects: [`t${n}.>`] });
  return { stream: `T${n}`, subject: `t${n}.data` };
}

for (const mode of ['packed', 'entry'] as const) {
  describe(`typed ring → JetStream → typed ring, ${mode}`, () => {
    it('moves every entry once, in order, and closes the far ring after the end marker', async () => {
      const { stream, subject } = await freshStream();
      const total = mode === 'packed' ? 200_000 : 5_000;
      const near = Ring.create({ capacity: 1024, schema });
      const sink = await RingSink.start({ ring: near, connection: nc, subject, ringId: 'near', mode, maxMessageBytes: 4096 });
      const far = Ring.create({ capacity: 512, schema });
      const farConsumer = far.addConsumer();
      const source = await RingSource.start({ ring: far, connection: nc, subject, durable: 'far', closeAfterEnds: 1 });
      const [, got, sinkStats, sourceStats] = await Promise.all([produceTyped(near, total), drainTyped(far, farConsumer), sink.done, source.done]);
      assert.equal(got, total);
      assert.equal(sinkStats.published, total);
      assert.equal(sinkStats.acked, total);
      assert.equal(sinkStats.inFlight, 0);
      assert.equal(sourceStats.published, total);
      assert.equal(sourceStats.acked, total);
      assert.equal(sourceStats.inFlight, 0);
      assert.equal(sourceStats.dupDropped, 0);
      assert.deepEqual(source.checkpoint(), { near: total - 1 });
      const info = await settledConsumer(stream, 'far');
      assert.equal(info.num_ack_pending, 0, 'every message acknowledged');
      assert.equal(info.num_redelivered, 0, 'none delivered twice');
    });
  });
}

describe('byte ring → JetStream → byte ring', () => {
  for (const mode of ['packed', 'entry'] as const) {
    it(`moves every record once, in order (${mode})`, async () => {
      const { stream, subject } = await freshStream();
      const total = mode === 'packed' ? 50_000 : 3000;
      const near = ByteRing.create({ capacity: 1 << 16 });
      const sink = await RingSink.start({ ring: near, connection: nc, subject, mode });
      const far = ByteRing.create({ capacity: 1 << 14 });
      const reader = far.addReader();
      const source = await RingSource.start({ ring: far, connection: nc, subject, durable: 'far', closeAfterEnds: 1 });
      const enc = new TextEncoder();
      const dec = new TextDecoder();
      const produce = (async () => {
        const p = near.producer();
        for (let i = 0; i < total; i++) await p.writeAsync(enc.encode(`record ${i} ${'x'.repeat(i % 97)}`));
        p.close();
      })();
      let next = 0;
      for (;;) {
        const n = await reader.pollAsync();
        if (n === POLL_CLOSED) break;
        for (let k = 0; k < n; k++) {
          assert.equal(dec.decode(reader.batch.copy(k)), `record ${next} ${'x'.repeat(next % 97)}`);
          next++;
        }
        reader.release();
      }
      await produce;
      assert.equal(next, total);
      assert.equal((await sink.done).acked, total);
      assert.equal((await source.done).acked, total);
      const info = await settledConsumer(stream, 'far');
      assert.equal(info.num_ack_pending, 0, 'every message acknowledged');
      assert.equal(info.num_redelivered, 0, 'none delivered twice');
    });
  }
});

describe('RingSource ringIds', () => {
  it('takes only the listed ring identities: the others (an earlier run, say) are acknowledged and counted in ignored, their end markers do not close the ring', async () => {
    const { subject } = await freshStream();
    // An earlier run, ended: 3,000 entries and an end marker under ring identity "run-1".
    const old = Ring.create({ capacity: 1024, schema });
    const oldSink = await RingSink.start({ ring: old, connection: nc, subject, ringId: 'run-1', maxMessageBytes: 4096 });
    await Promise.all([produceTyped(old, 3000), oldSink.done]);
    const far = Ring.create({ capacity: 512, schema });
    const farConsumer = far.addConsumer();
    const source = await RingSource.start({ ring: far, connection: nc, subject, durable: 'run2', closeAfterEnds: 1, ringIds: ['run-2'] });
    const near = Ring.create({ capacity: 1024, schema });
    const sink = await RingSink.start({ ring: near, connection: nc, subject, ringId: 'run-2', maxMessageBytes: 4096 });
    const [, got, , stats] = await Promise.all([produceTyped(near, 20_000), drainTyped(far, farConsumer), sink.done, source.done]);
    assert.equal(got, 20_000, 'only run-2, every entry once in order');
    assert.equal(stats.published, 20_000);
    assert.equal(stats.ignored, 3000);
    assert.equal(stats.dupDropped, 0);
    const info = await settledConsumer(`T${streams}`, 'run2');
    assert.equal(info.num_ack_pending, 0, 'ignored messages are acknowledged too');
    await assert.rejects(RingSource.start({ ring: far, connection: nc, subject, durable: 'x', ringIds: 'run-2' as never }), /^InvalidArgumentError: options\.ringIds must be an array of ring identities \(strings\): ringIds="run-2"$/);
  });
});
