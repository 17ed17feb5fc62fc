// Byte-ring throughput: records/s from producer threads to one reader thread, for 64-byte and
// 4 KiB records, single producer and multi producer (1 and 2 producer threads), capacity 1 MiB.
// Run: node docs/examples/byte-ring-bench.mjs [seconds=2] [repeats=3] [core index.js paths...]
// With several core builds (e.g. before and after a change) their runs alternate case by case,
// so they share the machine's conditions. Prints the median of `repeats` runs per case and
// build. The reader checks every record's length and count.
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const load = (path) => import(path.startsWith('@') ? path : pathToFileURL(path).href);

if (isMainThread) {
  const seconds = Number(process.argv[2] ?? 2);
  const repeats = Number(process.argv[3] ?? 3);
  const paths = process.argv.length > 4 ? process.argv.slice(4) : ['@ringkit/core'];
  const cores = await Promise.all(paths.map(load));
  console.log(`${seconds} s per run, median of ${repeats}`);
  console.log('record  producer  threads  ' + paths.map((p, i) => `records/s [${i}]`.padStart(16)).join('') + '    MB/s [0]');
  for (const size of [64, 4096]) {
    for (const [mode, threads] of [['single', 1], ['multi', 1], ['multi', 2]]) {
      const rates = paths.map(() => []);
      for (let r = 0; r < repeats; r++) {
        for (let i = 0; i < paths.length; i++) rates[i].push(await runCase(cores[i], paths[i], size, mode, threads, seconds));
      }
      const medians = rates.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
      console.log(`${String(size).padStart(6)}  ${mode.padEnd(8)}  ${String(threads).padStart(7)}  ${medians.map((m) => Math.round(m).toLocaleString('en-US').padStart(16)).join('')}  ${(medians[0] * size / 1e6).toFixed(0).padStart(10)}`);
    }
  }
  paths.forEach((p, i) => console.log(`[${i}] ${p}`));
} else if (workerData.role === 'produce') {
  const { ByteRing } = await load(workerData.corePath);
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
  const { ByteRing, POLL_CLOSED } = await load(workerData.corePath);
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

async function runCase({ ByteRing }, corePath, size, mode, threads, seconds) {
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
