import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline, TopologyError, testStage } from '../src/index.js';
import { record, rng } from './fixtures/bytes.js';

const mod = new URL('./fixtures/bytes.js', import.meta.url);

test('byte-record edges carry random-length records (1 … 4000 bytes) through a relay, checked byte by byte', async () => {
  const stream = { count: 20_000, seed: 12345, maxLen: 4000 };
  const p = new Pipeline({ levels: [
    { stages: [{ name: 'src', module: mod, export: 'randomSource', options: stream, output: { bytes: 1 << 16, codec: 'raw' } }] },
    { stages: [{ name: 'relay', module: mod, export: 'relay', output: { bytes: 1 << 15, codec: 'raw' } }] },
    { stages: [{ name: 'check', module: mod, export: 'checker', options: stream }] },
  ] });
  await p.start();
  const { results } = await p.stop();
  const src = results.src as { count: number; bytes: number };
  assert.equal(src.count, 20_000);
  assert.deepEqual(results.relay, { relayed: 20_000 });
  assert.deepEqual(results.check, { count: 20_000, bad: 0, bytes: src.bytes });
  const ring = p.snapshot().rings.find((r) => r.name === 'src.out')!;
  assert.equal(ring.kind, 'bytes');
  assert.ok(ring.published >= src.bytes, `${ring.published} bytes of frames for ${src.bytes} bytes of records`);
  assert.deepEqual(ring.consumers, [{ stage: 'relay', consumed: 20_000 }]);
});

test('JSON and msgpackr edges exchange objects; the main thread taps a byte output', async () => {
  for (const codec of ['json', 'msgpackr'] as const) {
    const p = new Pipeline({ levels: [
      { stages: [{ name: 'objs', module: mod, export: 'objectSource', options: { count: 3000 }, output: { bytes: 1 << 14, codec } }] },
      { stages: [{ name: 'sink', module: mod, export: 'objectSink' }] },
    ] });
    const tap = p.tapBytes('objs');
    let tapped = 0;
    const reading = (async () => {
      for (;;) {
        const n = await tap.pollAsync();
        if (n < 0) return;
        tapped += n;
        tap.release();
      }
    })();
    await p.start();
    const { results } = await p.stop();
    await reading;
    assert.deepEqual(results.sink, { count: 3000, bad: 0 }, codec);
    assert.equal(tapped, 3000);
  }
});

test('testStage drives a byte stage: scripted records in, records out', async () => {
  const next = rng(7);
  const recs = Array.from({ length: 30 }, () => record(next, 500));
  const r = await testStage({
    module: mod, export: 'relay',
    inputs: { src: { codec: 'raw', records: [recs.slice(0, 10), recs.slice(10)] } },
    output: { bytes: 1 << 14, codec: 'raw' },
  });
  assert.equal(r.output.length, 30);
  (r.output as Uint8Array[]).forEach((got, i) => assert.deepEqual(got, recs[i]));
  assert.deepEqual(r.result, { relayed: 30 });
});

test('byte-record topology errors', () => {
  const bad = (o: object, re: RegExp): void => assert.throws(() => new Pipeline({ levels: [{ stages: [{ name: 'a', module: mod, export: 'objectSource', ...o }] }] }), (e: Error) => e instanceof TopologyError && re.test(e.message));
  bad({ output: { bytes: 1000 } }, /output\.bytes must be a power of two in \[256, 2\^30\]/);
  bad({ output: { bytes: 1024, codec: 'xml' } }, /output\.codec must be 'json', 'msgpackr' or 'raw'/);
  assert.throws(() => new Pipeline({ levels: [
    { stages: [{ name: 'a', module: mod, export: 'objectSource', output: { bytes: 1024 } }] },
    { stages: [{ name: 'b', module: mod, export: 'objectSink', inputs: [{ from: 'a', schema: { value: 'f64' } }] }] },
  ] }), /"a" publishes byte records, not slots of a schema/);
});
