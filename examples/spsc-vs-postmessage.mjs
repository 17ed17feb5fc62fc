// SPSC throughput, per item and batched, beside a plain postMessage loop, measured in one run.
// Run with `node examples/spsc-vs-postmessage.mjs` after `npm ci`. (`npx ringkit bench` is the full report.)
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { Ring, POLL_CLOSED } from '@ringkit/core';

if (!isMainThread) {
  if (workerData.kind === 'postMessage') {
    let count = 0, sum = 0;
    parentPort.on('message', (v) => {
      if (v < 0) { parentPort.postMessage({ count, sum }); parentPort.close(); return; }
      count++; sum += v;
    });
  } else {
    const ring = Ring.attach(workerData.descriptor);
    const c = ring.openConsumer(workerData.id);
    const values = ring.columns.value;
    const max = workerData.kind === 'item' ? 1 : ring.capacity;
    let count = 0, sum = 0;
    for (;;) {
      const n = c.poll({ max });
      if (n === POLL_CLOSED) break;
      for (let k = 0; k < n; k++) sum += values[c.batch.index(k)];
      count += n;
      c.release();
    }
    parentPort.postMessage({ count, sum });
  }
} else {
  const run = async (kind, total) => {
    const ring = Ring.create({ capacity: 1 << 16 });
    const c = ring.addConsumer();
    const worker = new Worker(new URL(import.meta.url), { workerData: { kind, descriptor: ring.descriptor, id: c.id } });
    const done = new Promise((resolve) => worker.once('message', resolve));
    await new Promise((resolve) => worker.once('online', resolve));
    const t0 = performance.now();
    if (kind === 'postMessage') {
      for (let i = 0; i < total; i++) worker.postMessage(i);
      worker.postMessage(-1);
    } else {
      const p = ring.producer();
      if (kind === 'item') {
        for (let i = 0; i < total; i++) p.publishValue(i);
      } else {
        const values = ring.columns.value;
        for (let sent = 0; sent < total;) {
          const n = Math.min(1024, total - sent);
          const hi = p.claim(n);
          for (let s = p.lo, k = 0; k < n; k++, s = (s + 1) | 0) values[s & ring.mask] = sent + k;
          p.publish(hi);
          sent += n;
        }
      }
      p.close();
    }
    const r = await done;
    const seconds = (performance.now() - t0) / 1000;
    await worker.terminate();
    if (r.count !== total || r.sum !== (total - 1) * total / 2) throw new Error(`${kind}: lost or wrong messages: ${JSON.stringify(r)}`);
    return total / seconds;
  };
  const pm = await run('postMessage', 500_000);
  const item = await run('item', 10_000_000);
  const batch = await run('batch', 100_000_000);
  const row = (name, rate) => console.log(`${name.padEnd(28)} ${(rate / 1e6).toFixed(2).padStart(8)} M msgs/s  ${(rate / pm).toFixed(0).padStart(5)}× postMessage`);
  row('postMessage (1 number/msg)', pm);
  row('ringkit SPSC per item', item);
  row('ringkit SPSC batched (1024)', batch);
}
