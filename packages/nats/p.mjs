import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { Ring, POLL_CLOSED } from '@ringkit/core';
import { RingSink, RingSource } from '@ringkit/nats';
const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const N = 20000;
for (let round = 0; round < 2; round++) {
  for (const name of ['P', 'Q']) await jsm.streams.delete(name + round).catch(() => {});
  await jsm.streams.add({ name: 'P' + round, subjects: ['p' + round + '.>'] });
  await jsm.streams.add({ name: 'Q' + round, subjects: ['q' + round + '.>'] });
  // plain publish alone
  let t = performance.now();
  const inF = new Set();
  for (let i = 0; i < N; i++) { const p = js.publish(`p${round}.a`, new Uint8Array(8), { msgID: 'x' + i }).finally(() => inF.delete(p)); inF.add(p); if (inF.size >= 256) await Promise.race(inF); }
  await Promise.all(inF);
  console.log('plain publish', (N / (performance.now() - t) * 1000) | 0);
  // sink alone
  const near = Ring.create({ capacity: 1 << 15, schema: { t: 'f64' } });
  const sink = await RingSink.start({ ring: near, connection: nc, subject: `q${round}.a`, mode: 'entry' });
  const p = near.producer();
  t = performance.now();
  for (let i = 0; i < N; i += 1000) { const hi = await p.claimAsync(1000); p.publish(hi); }
  p.close(); await sink.done;
  console.log('sink', (N / (performance.now() - t) * 1000) | 0);
  // plain consume alone
  await jsm.consumers.add('P' + round, { durable_name: 'c', ack_policy: AckPolicy.Explicit });
  const c = await js.consumers.get('P' + round, 'c');
  t = performance.now(); let got = 0;
  while (got < N) { const it = await c.fetch({ max_messages: 256, expires: 1000 }); for await (const m of it) { m.ack(); got++; } }
  console.log('plain consume', (N / (performance.now() - t) * 1000) | 0);
  const far = Ring.create({ capacity: 1 << 15, schema: { t: 'f64' } });
  const fc = far.addConsumer();
  t = performance.now();
  const src = await RingSource.start({ ring: far, connection: nc, subject: `q${round}.a`, durable: 'd', closeAfterEnds: 1 });
  let g2 = 0; for (;;) { const n = await fc.pollAsync(); if (n === POLL_CLOSED) break; g2 += n; fc.release(); }
  await src.done;
  console.log('source', (N / (performance.now() - t) * 1000) | 0, g2);
}
await nc.close();
