// A typed ring bridged to another through NATS JetStream (docs/nats.md). Needs a nats-server with
// JetStream: `nats-server -js -sd /tmp/nats-store`; NATS_URL defaults to nats://127.0.0.1:4222.
import { Ring, POLL_CLOSED } from '@ringkit/core';
import { connectNats, RingSink, RingSource } from '@ringkit/nats';

const schema = { price: 'f64', qty: 'u32' };
const nc = await connectNats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });

// Near side: a ring whose sink is a normal consumer (it gates the producer).
const near = Ring.create({ capacity: 1 << 14, schema });
const sink = await RingSink.start({
  ring: near, connection: nc, subject: 'ticks.acme', ringId: 'ticks-acme',
  createStream: { name: 'TICKS', subjects: ['ticks.>'], maxBytes: 256 << 20 },
});

// Far side (another process or host in real life): a durable pull consumer filling a ring.
const far = Ring.create({ capacity: 1 << 12, schema });
const reader = far.addConsumer();
const source = await RingSource.start({ ring: far, connection: nc, subject: 'ticks.acme', durable: 'ticks-reader', closeAfterEnds: 1 });

const total = 1_000_000;
const t0 = performance.now();
const producing = (async () => {
  const p = near.producer();
  for (let sent = 0; sent < total;) {
    const n = Math.min(1024, total - sent);
    const hi = await p.claimAsync(n);
    for (let s = p.lo, k = 0; k < n; k++, s = (s + 1) | 0) {
      near.columns.price[s & near.mask] = sent + k;
      near.columns.qty[s & near.mask] = (sent + k) % 100;
    }
    p.publish(hi);
    sent += n;
  }
  p.close(); // the sink sends an end marker once everything is acknowledged
})();

let count = 0, sum = 0;
for (;;) {
  const n = await reader.pollAsync();
  if (n === POLL_CLOSED) break; // the source closed the far ring after the end marker
  for (let k = 0; k < n; k++) sum += far.columns.price[reader.batch.index(k)];
  count += n;
  reader.release(); // the source acknowledges to JetStream only after this
}
await producing;
const [s, r] = await Promise.all([sink.done, source.done]);
const seconds = (performance.now() - t0) / 1000;
console.log({ count, sum, expectedSum: (total - 1) * total / 2 });
console.log('sink  ', { published: s.published, acked: s.acked, messages: s.messages, inFlight: s.inFlight });
console.log('source', { published: r.published, acked: r.acked, messages: r.messages, dupDropped: r.dupDropped });
console.log(`${total.toLocaleString('en')} entries ring → JetStream → ring in ${seconds.toFixed(2)} s`);
await nc.close();
