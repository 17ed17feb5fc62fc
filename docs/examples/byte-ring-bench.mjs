// Byte-ring throughput: records/s from producer threads to one reader thread, for 64-byte and
// 4 KiB records, single producer and multi producer (1 and 2 producer threads), capacity 1 MiB.
// Run: node docs/examples/byte-ring-bench.mjs [seconds=2] [repeats=3] [path to a core build's index.js]
// Prints the median of `repeats` runs per case. The reader checks every record's length.
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const corePath = (isMainThread ? process.argv[4] : workerData.corePath) ?? '@ringkit/core';
const { ByteRing, POLL_CLOSED } = await import(corePath.startsWith('@') ? corePath : pathToFileURL(corePath).href);

if (isMainThread) {
  const seconds = Number(process.argv[2] ?? 2);
  const repeats = Number(process.argv[3] ?? 3);
  console.log(`core: ${corePath}; ${seconds} s per run, median of ${repeats}`);
  console.log('record  producer  threads    records/s      MB/s');
  for (const size of [64, 4096]) {
    for (const [mode, threads] of [['single', 1], ['multi', 1], ['multi', 2]]) {
      const rates = [];
      for (let r = 0; r < repeats; r++) rates.push(await runCase(size, mode, threads, seconds));
      rates.sort((a, b) => a - b);
      const m = rates[Math.floor(rates.length / 2)];
      console.log(`${String(size).padStart(6)}  ${mode.padEnd(8)}  ${String(threads).padStart(7)}  ${Math.round(m).toLocaleString('en-US').padStart(11)}  ${(m * size / 1e6).toFixed(0).padStart(8)}`);
    }
  }
} else if (workerData.role === 'produce') {
  const { descriptor, size, stopAt } = workerData;
  const ring = ByteRing.attach(descriptor);
  const p = ring.producer();
  const record = new Uint8Array(size).fill(7);
  let n = 0;
  while (Date.now() < stopAt) {
    for (let i = 0; i < 256; i++) {
      const o = p.claimOffset(size, { timeout: 10_000 });
      ring.data.set(record, o);
      p.commit();
    }
    n += 256;
  }
  if (!ring.header.multiProducer) p.close();
  parentPort.postMessage(n);
} else {
  const { descriptor, readerId, size } = workerData;
  const reader = ByteRing.attach(descriptor).openReader(readerId);
  let received = 0;
  let start = 0;
  let last = 0;
  for (;;) {
    const k = reader.poll({ timeout: 10_000 });
    if (k === POLL_CLOSED) break;
    if (received === 0) start = performance.now();
    for (let i = 0; i < k; i++) if (reader.batch.length(i) !== size) throw new Error(`record of ${reader.batch.length(i)} bytes, expected ${size}`);
    received += k;
    reader.release();
    last = performance.now();
  }
  parentPort.postMessage({ received, ms: last - start });
}

function result(worker) {
  return new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
}

async function runCase(size, mode, threads, seconds) {
  const ring = ByteRing.create({ capacity: 1 << 20, producer: mode });
  const reader = ring.addReader();
  const url = new URL(import.meta.url);
  const read = result(new Worker(url, { workerData: { role: 'read', descriptor: ring.descriptor, readerId: reader.id, size, corePath } }));
  const stopAt = Date.now() + 300 + seconds * 1000;
  const sent = await Promise.all(Array.from({ length: threads }, () =>
    result(new Worker(url, { workerData: { role: 'produce', descriptor: ring.descriptor, size, stopAt, corePath } }))));
  if (mode === 'multi') ring.close();
  const { received, ms } = await read;
  const total = sent.reduce((a, n) => a + n, 0);
  if (received !== total) throw new Error(`reader got ${received} records, producers wrote ${total}`);
  return received / (ms / 1000);
}
