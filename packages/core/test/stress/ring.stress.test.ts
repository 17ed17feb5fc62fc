/**
 * Concurrency tests over real worker threads (more threads than the 2 cores), checking every
 * message: none lost, none duplicated, per-producer order kept. Each run prints its seed;
 * `RINGKIT_SEED=<seed>` replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, type Schema } from '../../src/index.js';
import { runSeed, runWorker } from '../fixtures/run-worker.js';
import type { WorkerReport } from '../fixtures/ring-worker.js';

const PRODUCER_SHIFT = 2 ** 24;

/** Asserts that `values` (from one consumer, or merged from a work group) hold exactly k = 0 … count-1 of each producer. */
function assertExactlyOnce(values: Float64Array, producers: number, count: number, what: string): void {
  assert.equal(values.length, producers * count, `${what}: received ${values.length} entries, expected ${producers * count}`);
  const seen = new Uint8Array(producers * count);
  for (const v of values) {
    const p = Math.floor(v / PRODUCER_SHIFT);
    const k = v - p * PRODUCER_SHIFT;
    assert.ok(p >= 0 && p < producers && k >= 0 && k < count, `${what}: unexpected value ${v}`);
    assert.equal(seen[p * count + k], 0, `${what}: duplicate entry producer=${p} k=${k}`);
    seen[p * count + k] = 1;
  }
}

function assertClean(r: WorkerReport, what: string): void {
  assert.deepEqual(r.errors, [], `${what} reported errors`);
}

interface Scenario {
  name: string;
  capacity: number;
  producers: number;
  perProducer: number;
  consumers: number;
  group?: number;
  initialSequence?: number;
  schema?: Schema;
  delays?: boolean;
}

async function run(s: Scenario): Promise<void> {
  const seed = runSeed();
  console.log(`# ${s.name}: seed=${seed}`);
  const ring = Ring.create({
    capacity: s.capacity,
    producer: s.producers > 1 ? 'multi' : 'single',
    maxConsumers: 16,
    initialSequence: s.initialSequence,
    ...(s.schema === undefined ? {} : { schema: s.schema }),
  });
  const ids: number[] = [];
  for (let i = 0; i < s.consumers; i++) ids.push(ring.addConsumer().id);
  const group = s.group !== undefined ? ring.addWorkGroup({ members: s.group }) : undefined;
  const consumers = [...ids, ...(group?.memberIds ?? [])].map((id, i) =>
    runWorker({ role: 'consume', descriptor: ring.descriptor, consumerId: id, seed: seed + 100 + i, ...(s.delays === true ? { delayEvery: 50 + i * 13, delayMs: 1 } : {}) }),
  );
  const producers = Array.from({ length: s.producers }, (_, p) =>
    runWorker({ role: 'produce', descriptor: ring.descriptor, producer: p, count: s.perProducer, seed: seed + p, maxBatch: 97, close: s.producers === 1 }),
  );
  for (const p of producers) assertClean(await p.done, 'producer');
  if (s.producers > 1) ring.close();
  const reports = await Promise.all(consumers.map((c) => c.done));
  reports.forEach((r, i) => assertClean(r, `consumer ${i}`));
  for (let i = 0; i < ids.length; i++) assertExactlyOnce(reports[i]!.values!, s.producers, s.perProducer, `broadcast consumer ${i}`);
  if (group !== undefined) {
    const members = reports.slice(ids.length);
    const merged = new Float64Array(members.reduce((n, r) => n + r.values!.length, 0));
    let at = 0;
    for (const r of members) { merged.set(r.values!, at); at += r.values!.length; }
    assertExactlyOnce(merged, s.producers, s.perProducer, 'work group');
    assert.ok(members.every((r) => r.values!.length > 0) || s.perProducer * s.producers < 1000, 'every member took part');
  }
}

test('SPSC: every entry arrives once, in order, with random batches and consumer delays', async () => {
  await run({ name: 'spsc', capacity: 1024, producers: 1, perProducer: 300_000, consumers: 1, delays: true });
});

test('1 producer × 3 broadcast consumers: each sees every entry', async () => {
  await run({ name: 'spmc', capacity: 256, producers: 1, perProducer: 100_000, consumers: 3, delays: true });
});

test('4 producers × 1 consumer: every entry once, per-producer order kept', async () => {
  await run({ name: 'mpsc', capacity: 512, producers: 4, perProducer: 50_000, consumers: 1 });
});

test('4 producers × a work group of 3: each entry to exactly one member', async () => {
  await run({ name: 'mpmc-group', capacity: 512, producers: 4, perProducer: 30_000, consumers: 0, group: 3, delays: true });
});

test('runs across the Int32 wrap (initial sequence near 2^31), single and multi producer', async () => {
  await run({ name: 'wrap-sp', capacity: 64, producers: 1, perProducer: 20_000, consumers: 2, initialSequence: 2 ** 31 - 5000 });
  await run({ name: 'wrap-mp', capacity: 64, producers: 3, perProducer: 10_000, consumers: 1, group: 2, initialSequence: 2 ** 31 - 7000 });
});

test('diamond: C runs after A and B, and sees both phases done in place', async () => {
  const seed = runSeed();
  console.log(`# diamond: seed=${seed}`);
  const ring = Ring.create({ capacity: 128, schema: { value: 'f64', a: 'f64', b: 'f64' } });
  const a = ring.addConsumer();
  const b = ring.addConsumer();
  const c = ring.addConsumer({ after: [a, b] });
  const count = 50_000;
  const workers = [
    runWorker({ role: 'consume', descriptor: ring.descriptor, consumerId: a.id, seed, writeField: 'a', factor: 2, delayEvery: 31, delayMs: 1 }),
    runWorker({ role: 'consume', descriptor: ring.descriptor, consumerId: b.id, seed: seed + 1, writeField: 'b', factor: 3, delayEvery: 47, delayMs: 1 }),
    runWorker({ role: 'consume', descriptor: ring.descriptor, consumerId: c.id, seed: seed + 2, checkFields: { a: 2, b: 3 } }),
  ];
  const producer = runWorker({ role: 'produce', descriptor: ring.descriptor, producer: 0, count, seed: seed + 3, close: true });
  assertClean(await producer.done, 'producer');
  for (const [i, w] of workers.entries()) {
    const r = await w.done;
    assertClean(r, ['A', 'B', 'C'][i]!);
    assertExactlyOnce(r.values!, 1, count, ['A', 'B', 'C'][i]!);
  }
});
