// One ring, two OS processes: this process creates the named ring and produces; a child
// process (started here, but it could be any process on the host) opens it by name and consumes.
import { spawn } from 'node:child_process';
import { POLL_CLOSED } from '@ringkit/core';
import { SharedRing } from '@ringkit/shm';

const NAME = '/quick-start-ticks';
const schema = { price: 'f64', qty: 'u32' };

if (process.argv[2] !== 'consumer') {
  const shared = SharedRing.openOrCreate(NAME, { capacity: 1 << 16, schema });
  const ring = shared.ring;
  const consumer = ring.addConsumer();                   // register before producing
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, 'consumer', String(consumer.id)], { stdio: 'inherit' });
  const producer = ring.producer();
  const total = 10_000_000;
  const t0 = performance.now();
  for (let sent = 0; sent < total;) {
    const n = Math.min(4096, total - sent);
    const hi = producer.claim(n);                        // waits (futex) while the ring is full
    for (let s = producer.lo, k = 0; k < n; k++, s = (s + 1) | 0) {
      ring.columns.price[s & ring.mask] = sent + k;
      ring.columns.qty[s & ring.mask] = (sent + k) % 100;
    }
    producer.publish(hi);
    sent += n;
  }
  producer.close();
  await new Promise((resolve) => child.on('exit', resolve));
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${total.toLocaleString('en')} entries to another process in ${seconds.toFixed(2)} s: ${(total / seconds / 1e6).toFixed(1)} M entries/s`);
  shared.close();
  shared.unlink();                                       // the name goes; mappings stay until collected
} else {
  const shared = SharedRing.open(NAME, { schema });      // by name; the header is checked
  const consumer = shared.ring.openConsumer(Number(process.argv[3]));
  let count = 0, sum = 0;
  for (;;) {
    const n = consumer.poll();                           // sleeps on a futex when there is nothing
    if (n === POLL_CLOSED) break;
    const [prices, wrapped] = consumer.batch.slices('price');
    for (let k = 0; k < prices.length; k++) sum += prices[k];
    if (wrapped) for (let k = 0; k < wrapped.length; k++) sum += wrapped[k];
    count += n;
    consumer.release();
  }
  console.log({ pid: process.pid, count, sum, expectedSum: (count - 1) * count / 2 });
  shared.close();
}
