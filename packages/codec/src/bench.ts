/**
 * Byte-ring measurements (run: `node packages/codec/dist/src/bench.js [seconds]`):
 *
 * 1. codecs: a sample object encoded, written to a byte ring, read back and decoded, in one
 *    thread — jsonCodec against msgpackrCodec (messages/s and bytes per message);
 * 2. 64-byte records from a producer thread to a reader thread: byte ring records/s against
 *    `postMessage` of a 64-byte `Uint8Array` per record.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ByteRing, POLL_CLOSED, jsonCodec, type Codec, type RegionDescriptor } from '@ringkit/core';
import { msgpackrCodec } from './index.js';

const SAMPLE = {
  id: 123456, kind: 'trade', symbol: 'ACME', price: 101.25, size: 300, ts: 1718000000123,
  flags: ['open', 'lit'], venue: { id: 7, name: 'XNAS' },
};

function codecRate(codec: Codec<unknown>, seconds: number): { perSec: number; bytes: number } {
  const ring = ByteRing.create({ capacity: 1 << 20 });
  const reader = ring.addReader();
  const producer = ring.producer();
  let n = 0;
  let bytes = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      const enc = codec.encode(SAMPLE);
      bytes = enc.length;
      producer.write(enc);
      reader.tryPoll(1);
      const v = codec.decode(reader.batch.record(0)) as { id: number };
      if (v.id !== SAMPLE.id) throw new Error(`${codec.name}: decoded a different value`);
      reader.release();
    }
    n += 1000;
  }
  return { perSec: n / seconds, bytes };
}

const RECORD = 64;

async function acrossThreads(kind: 'ring' | 'postMessage', seconds: number): Promise<number> {
  if (kind === 'ring') {
    const ring = ByteRing.create({ capacity: 1 << 20 });
    const reader = ring.addReader();
    const worker = new Worker(new URL(import.meta.url), { workerData: { descriptor: ring.descriptor, seconds } });
    const start = performance.now();
    let count = 0;
    for (;;) {
      const n = reader.poll();
      if (n === POLL_CLOSED) break;
      const b = reader.batch;
      for (let i = 0; i < n; i++) if (b.length(i) !== RECORD) throw new Error('bad record');
      count += n;
    }
    const elapsed = (performance.now() - start) / 1000;
    await new Promise((r) => worker.once('exit', r));
    return count / elapsed;
  }
  const worker = new Worker(new URL(import.meta.url), { workerData: { post: true, seconds } });
  const start = performance.now();
  let count = 0;
  await new Promise<void>((resolve) => {
    worker.on('message', (m: Uint8Array | 'end') => {
      if (m === 'end') resolve();
      else count++;
    });
  });
  return count / ((performance.now() - start) / 1000);
}

function produce(d: { descriptor?: RegionDescriptor; post?: boolean; seconds: number }): void {
  const record = new Uint8Array(RECORD).fill(7);
  const end = performance.now() + d.seconds * 1000;
  if (d.post === true) {
    while (performance.now() < end) for (let i = 0; i < 1000; i++) parentPort!.postMessage(record);
    parentPort!.postMessage('end');
    return;
  }
  const ring = ByteRing.attach(d.descriptor!);
  const p = ring.producer();
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) {
      const off = p.claimOffset(RECORD);
      ring.data.set(record, off);
      p.commit();
    }
  }
  p.close();
}

if (!isMainThread) {
  produce(workerData as { descriptor?: RegionDescriptor; post?: boolean; seconds: number });
} else {
  const seconds = Number(process.argv[2] ?? 2);
  const json = codecRate(jsonCodec, seconds);
  const msgpack = codecRate(msgpackrCodec(), seconds);
  console.log(`codec     messages/s (encode+write+read+decode, one thread)  bytes/message`);
  console.log(`json      ${Math.round(json.perSec).toLocaleString('en-US').padStart(12)}  ${String(json.bytes).padStart(40)}`);
  console.log(`msgpackr  ${Math.round(msgpack.perSec).toLocaleString('en-US').padStart(12)}  ${String(msgpack.bytes).padStart(40)}`);
  console.log(`msgpackr / json: ${(msgpack.perSec / json.perSec).toFixed(2)}x`);
  const ring = await acrossThreads('ring', seconds);
  const post = await acrossThreads('postMessage', seconds);
  console.log(`64-byte records, producer thread -> reader thread:`);
  console.log(`byte ring    ${Math.round(ring).toLocaleString('en-US').padStart(14)} records/s`);
  console.log(`postMessage  ${Math.round(post).toLocaleString('en-US').padStart(14)} records/s`);
  console.log(`byte ring / postMessage: ${(ring / post).toFixed(1)}x`);
}
