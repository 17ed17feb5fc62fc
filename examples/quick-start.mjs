// Quick-start: one producer (main thread) and two broadcast consumers (worker threads) sharing a
// typed ring. Run with `node examples/quick-start.mjs` after `npm ci`.
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { Ring, POLL_CLOSED } from '@ringkit/core';

const schema = { price: 'f64', qty: 'u32' };

if (isMainThread) {
  const ring = Ring.create({ capacity: 1 << 16, schema });
  // Register consumers before producing: the producer never overwrites what they have not released.
  const consumers = [ring.addConsumer(), ring.addConsumer()];
  const workers = consumers.map((c, i) => new Worker(new URL(import.meta.url), { workerData: { descriptor: ring.descriptor, id: c.id, owner: i + 1 } }));
  // Nothing can hang on a worker: one that dies is recovered (its consumer stops gating the
  // producer), one that fails to start rejects `ready`, and the producer awaits its claims so
  // these events get to run.
  const ready = workers.map((w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); }));
  const results = workers.map((w, i) => new Promise((resolve, reject) => {
    w.once('error', reject);
    w.on('exit', (code) => { if (code !== 0) ring.recover(i + 1); });
    ready[i].then(() => w.once('message', resolve));
  }));
  await Promise.all(ready);

  const producer = ring.producer();
  const total = 10_000_000;
  const t0 = performance.now();
  for (let sent = 0; sent < total;) {
    const n = Math.min(4096, total - sent);
    const hi = await producer.claimAsync(n);           // waits while the ring is full
    for (let s = producer.lo, k = 0; k < n; k++, s = (s + 1) | 0) {
      const i = s & ring.mask;                         // write the slots in place
      ring.columns.price[i] = sent + k;
      ring.columns.qty[i] = (sent + k) % 100;
    }
    producer.publish(hi);                              // one store publishes the whole batch
    sent += n;
  }
  producer.close();                                    // consumers drain, then see the end
  for (const r of await Promise.all(results)) console.log(r);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${total.toLocaleString('en')} entries to 2 consumers in ${seconds.toFixed(2)} s: ${(total / seconds / 1e6).toFixed(1)} M entries/s per consumer`);
} else {
  const ring = Ring.attach(workerData.descriptor, { schema, owner: workerData.owner });
  const consumer = ring.openConsumer(workerData.id);
  parentPort.postMessage('ready');
  let count = 0, sum = 0, qty = 0;
  for (;;) {
    const n = consumer.poll();                         // a batch of everything published so far
    if (n === POLL_CLOSED) break;
    const [prices, wrapped] = consumer.batch.slices('price'); // zero-copy views (two if it wraps)
    for (let k = 0; k < prices.length; k++) sum += prices[k];
    if (wrapped) for (let k = 0; k < wrapped.length; k++) sum += wrapped[k];
    for (let k = 0; k < n; k++) qty += ring.columns.qty[consumer.batch.index(k)];
    count += n;
    consumer.release();                                // one store releases the batch
  }
  parentPort.postMessage({ consumer: workerData.id, count, sum, qty, expectedSum: (count - 1) * count / 2 });
}
