/**
 * Close, lossy and liveness behaviour with real worker threads: nothing published is lost by a
 * close, a lapped consumer's losses are counted exactly, and a consumer worker terminated
 * mid-batch does not wedge the producer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring } from '../../src/index.js';
import { runSeed, runWorker } from '../fixtures/run-worker.js';

test('close with unread entries: a consumer started after the close drains every entry', async () => {
  const seed = runSeed();
  console.log(`# close-drain: seed=${seed}`);
  const ring = Ring.create({ capacity: 4096 });
  const c = ring.addConsumer();
  const count = 4000;
  const producer = runWorker({ role: 'produce', descriptor: ring.descriptor, producer: 0, count, seed, close: true });
  assert.deepEqual((await producer.done).errors, []);
  assert.equal(ring.closed, true);
  const consumer = runWorker({ role: 'consume', descriptor: ring.descriptor, consumerId: c.id, seed: seed + 1 });
  const r = await consumer.done;
  assert.deepEqual(r.errors, []);
  assert.deepEqual(Array.from(r.values!), Array.from({ length: count }, (_, k) => k));
});

test('lossy mode with a deliberately slow consumer: received + lost + torn = published, exactly', async () => {
  const seed = runSeed();
  console.log(`# lossy: seed=${seed}`);
  const ring = Ring.create({ capacity: 64, lossy: true, lossyPolicy: 'skip' });
  const c = ring.addConsumer();
  const count = 200_000;
  const consumer = runWorker({ role: 'consume', descriptor: ring.descriptor, consumerId: c.id, seed, delayEvery: 5, delayMs: 1 });
  const producer = runWorker({ role: 'produce', descriptor: ring.descriptor, producer: 0, count, seed: seed + 1, maxBatch: 16, close: true });
  assert.deepEqual((await producer.done).errors, []);
  const r = await consumer.done;
  assert.deepEqual(r.errors, [], 'every value it trusted is the value published at that sequence, in order');
  assert.ok(r.lost! > 0, 'the slow consumer was lapped');
  assert.equal(r.received! + r.lost! + r.torn!, count);
  const last = r.values![r.values!.length - 1];
  assert.equal(last, count - 1, 'the final entries (never overwritten) arrive');
});

test('a consumer worker terminated mid-batch is evicted; the producer proceeds and the others get everything', async () => {
  const seed = runSeed();
  console.log(`# eviction: seed=${seed}`);
  const ring = Ring.create({ capacity: 16, evictAfterMs: 1000 });
  const dead = ring.addConsumer();
  const live = ring.addConsumer();
  const p = ring.producer();
  for (let i = 0; i < 16; i++) p.publishValue(i);
  const holder = runWorker({ role: 'hold', descriptor: ring.descriptor, consumerId: dead.id, seed });
  const held = (await holder.done) as unknown as { holding: number };
  assert.equal(held.holding, 16);
  await holder.worker.terminate();
  const consumer = runWorker({ role: 'consume', descriptor: ring.descriptor, consumerId: live.id, seed: seed + 1 });
  const count = 2000;
  for (let i = 16; i < count; i++) p.publishValue(i, { timeout: 10_000 });
  p.close();
  const r = await consumer.done;
  assert.deepEqual(r.errors, []);
  assert.deepEqual(Array.from(r.values!), Array.from({ length: count }, (_, k) => k));
  assert.throws(() => ring.openConsumer(dead.id).tryPoll(), { name: 'EvictedError' });
});
