// A byte ring between the main thread and a worker: zero-copy claim/commit on one side,
// zero-copy batches on the other. Run: node docs/examples/byte-ring.mjs
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { ByteRing, POLL_CLOSED, jsonCodec } from '@ringkit/core';

if (isMainThread) {
  const ring = ByteRing.create({ capacity: 1 << 16 });          // 64 KiB of records
  const reader = ring.addReader();                              // register before producing
  const worker = new Worker(new URL(import.meta.url), { workerData: ring.descriptor });
  let records = 0;
  for (;;) {
    const n = reader.poll({ timeout: 5000 });                   // a batch of records, in place
    if (n === POLL_CLOSED) break;
    for (let i = 0; i < n; i++) {
      const value = jsonCodec.decode(reader.batch.record(i));   // a view, valid until release
      if (records++ % 25_000 === 0) console.log('reader got', value);
    }
    reader.release();
  }
  console.log(`reader: ${records} records, max record ${ring.maxRecordLength} bytes`);
  await new Promise((r) => worker.once('exit', r));
} else {
  const ring = ByteRing.attach(workerData);
  const producer = ring.producer();
  for (let k = 0; k < 100_000; k++) {
    if (k % 2 === 0) {
      const view = producer.claim(8);                           // zero-copy: write into the ring
      new DataView(view.buffer, view.byteOffset, 8).setFloat64(0, k, true);
      producer.abort();                                         // (changed our mind: readers skip it)
      producer.write(jsonCodec.encode({ k, even: true }));      // copying helper
    } else {
      producer.write(jsonCodec.encode({ k }));
    }
  }
  producer.close();                                             // readers drain, then POLL_CLOSED
}
