import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { POLL_CLOSED, Ring } from '@ringkit/core';
import { RingSink, RingSource } from '../src/index.js';
import { NatsServer } from './fixtures/nats-server.js';
import { produceTyped, schema } from './fixtures/typed-ring.js';

let server: NatsServer;
let nc: NatsConnection;
before(async () => {
  server = await NatsServer.start({ jetstream: false });
  nc = await connect({ servers: server.url });
});
after(async () => {
  await nc.close();
  await server.close();
});

/** Reads the far ring to its close: every entry that arrived is intact and later than the one before. */
async function drainInOrder(ring: Ring<typeof schema>, consumer: ReturnType<Ring<typeof schema>['addConsumer']>, slowMs: number): Promise<number> {
  let count = 0;
  let last = -1;
  for (;;) {
    const n = await consumer.pollAsync();
    if (n === POLL_CLOSED) return count;
    for (let k = 0; k < n; k++) {
      const i = consumer.batch.index(k);
      const v = ring.columns.value[i]!;
      assert.ok(v > last, `entries in order: ${v} after ${last}`);
      assert.equal(ring.columns.tag[i], v % 1000);
      last = v;
      count++;
    }
    consumer.release();
    if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
  }
}

describe('core NATS mode (no JetStream): lossy fan-out, losses counted', () => {
  it('every entry arrives when the far side keeps up, to each of two subscribers', async () => {
    const total = 50_000;
    const near = Ring.create({ capacity: 4096, schema });
    const fars = [Ring.create({ capacity: 1 << 16, schema }), Ring.create({ capacity: 1 << 16, schema })];
    const consumers = fars.map((f) => f.addConsumer());
    const sources = await Promise.all(fars.map((ring) => RingSource.start({ ring, connection: nc, subject: 'core.all', transport: 'core', closeAfterEnds: 1 })));
    const sink = await RingSink.start({ ring: near, connection: nc, subject: 'core.all', transport: 'core', maxMessageBytes: 8192 });
    const [, ...rest] = await Promise.all([produceTyped(near, total, 200, 4096), sink.done, ...fars.map((f, i) => drainInOrder(f, consumers[i]!, 0)), ...sources.map((s) => s.done)]);
    const counts = rest.slice(1, 3) as number[];
    for (const [i, s] of sources.entries()) {
      const stats = s.stats;
      assert.equal(counts[i]! + stats.lost, total, 'arrived + lost = sent');
      assert.equal(stats.lost, 0, 'nothing lost on a quiet loopback with room to spare');
    }
  });

  it('a slow far ring drops what does not fit, and counts it as lost: arrived + lost = sent', async () => {
    const total = 40_000;
    const near = Ring.create({ capacity: 4096, schema });
    const far = Ring.create({ capacity: 512, schema });
    const consumer = far.addConsumer();
    const source = await RingSource.start({ ring: far, connection: nc, subject: 'core.slow', transport: 'core', closeAfterEnds: 1 });
    const sink = await RingSink.start({ ring: near, connection: nc, subject: 'core.slow', transport: 'core', maxMessageBytes: 2048 });
    const [, sinkStats, got, stats] = await Promise.all([produceTyped(near, total, 200, 4096), sink.done, drainInOrder(far, consumer, 2), source.done]);
    assert.equal(sinkStats.published, total);
    assert.ok(stats.lost > 0, 'the far ring could not take everything');
    assert.equal(got + stats.lost, total, `arrived ${got} + lost ${stats.lost} = sent ${total}`);
  });

  it('messages dropped on the way are holes in the sequence, counted exactly', async () => {
    // A relay drops every 7th message between the sink's subject and the source's.
    const total = 20_000;
    let dropped = 0;
    let n = 0;
    const relay = nc.subscribe('core.raw', {
      callback: (_e, m) => {
        const id = m.headers?.get('Nats-Msg-Id') ?? '';
        if (!id.includes('end@') && ++n % 7 === 0) {
          dropped += Number(id.split('+')[1]);
          return;
        }
        nc.publish('core.relayed', m.data, { headers: m.headers });
      },
    });
    const near = Ring.create({ capacity: 4096, schema });
    const far = Ring.create({ capacity: 1 << 16, schema });
    const consumer = far.addConsumer();
    const source = await RingSource.start({ ring: far, connection: nc, subject: 'core.relayed', transport: 'core', closeAfterEnds: 1 });
    const sink = await RingSink.start({ ring: near, connection: nc, subject: 'core.raw', transport: 'core', maxMessageBytes: 1024 });
    const [, , got, stats] = await Promise.all([produceTyped(near, total, 200, 4096), sink.done, drainInOrder(far, consumer, 0), source.done]);
    relay.unsubscribe();
    assert.ok(dropped > 0);
    // The last messages may be dropped with no later one to reveal the hole: count only holes before the last arrival.
    assert.equal(stats.lost, total - got - (total - 1 - stats.lastSequence), `lost ${stats.lost}, dropped ${dropped}, arrived ${got}`);
    assert.ok(stats.lost <= dropped);
  });
});
