import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { reviveError, serializeError, type SerializedError } from '@ringkit/core';
import { Pipeline, StageFailedError, StopTimeoutError, TopologyError, type PipelineSpec } from '../src/index.js';

const mod = new URL('./fixtures/stages.js', import.meta.url);
const V = { value: 'f64' } as const;
const sumTo = (n: number): number => (n * (n - 1)) / 2;

test('invalid topologies are rejected before any thread starts, naming the problem', () => {
  const bad = (spec: PipelineSpec, re: RegExp): void => assert.throws(() => new Pipeline(spec), (e: Error) => e instanceof TopologyError && re.test(e.message));
  bad({ levels: [{ stages: [{ name: 'a', module: mod, export: 'counter', output: { schema: V, capacity: 64 } }] }, { stages: [{ name: 'b', module: mod, export: 'sink', inputs: [{ from: 'nope' }] }] }] }, /consumes unknown stage "nope"/);
  bad({
    levels: [
      { stages: [{ name: 'a', module: mod, export: 'sink', inputs: [{ from: 'b' }], output: { schema: V, capacity: 64 } }, { name: 'b', module: mod, export: 'sink', inputs: [{ from: 'a' }], output: { schema: V, capacity: 64 } }] },
    ],
  }, /cycle: "a" → "b" → "a"|cycle: "b" → "a" → "b"/);
  bad({ levels: [{ stages: [{ name: 'a', module: mod, export: 'counter', output: { schema: V, capacity: 64 } }] }, { stages: [{ name: 'b', module: mod, export: 'sink', inputs: [{ from: 'a', schema: { value: 'u32' } }] }] }] }, /schema mismatch between producer "a" and consumer "b": "a" publishes \{value:f64\}, "b" expects \{value:u32\}/);
  bad({ levels: [{ stages: [{ name: 'a', module: mod, export: 'counter', output: { schema: V, capacity: 64 } }, { name: 'a', module: mod }] }] }, /duplicate stage name "a"/);
  bad({ levels: [{ stages: [{ name: 'a', module: mod, output: { schema: V, capacity: 100 } }] }] }, /output.capacity must be a power of two/);
  bad({ levels: [{ stages: [{ name: 'a', module: '/nonexistent/x.js' }] }] }, /handler module not found/);
  bad({ levels: [{ stages: [{ name: 'a', module: mod, export: 'counter', output: { schema: V, capacity: 64 } }] }, { stages: [{ name: 'b', module: mod, inputs: [{ from: 'a', after: ['c'] }] }, { name: 'c', module: mod, inputs: [] }] }] }, /runs after "c" on ring "a", but "c" does not consume "a"/);
});

test('broadcast: every consumer sees every entry in order; stop drains what is in flight', async () => {
  const p = new Pipeline({
    levels: [
      { stages: [{ name: 'src', module: mod, export: 'counter', output: { schema: V, capacity: 256 } }] },
      { attach: 'broadcast', stages: [{ name: 's1', module: mod, export: 'sink' }, { name: 's2', module: mod, export: 'sink', options: { delayMs: 1 } }] },
    ],
  });
  await p.start();
  await new Promise((r) => setTimeout(r, 200));
  const { results } = await p.stop();
  const n = (results.src as { produced: number }).produced;
  assert.ok(n > 1000, `produced ${n}`);
  for (const s of ['s1', 's2']) assert.deepEqual(results[s], { count: n, sum: sumTo(n), ordered: true, foreign: 0 });
});

test('shard (work group) and key sharding: each entry handled by exactly one stage', async () => {
  const N = 20_000;
  const p = new Pipeline({
    levels: [
      { stages: [{ name: 'src', module: mod, export: 'counter', options: { count: N }, output: { schema: V, capacity: 512 } }, { name: 'src2', module: mod, export: 'counter', options: { count: N }, output: { schema: V, capacity: 512 } }] },
      { stages: [
        { name: 'w1', module: mod, export: 'sink', inputs: [{ from: 'src', mode: 'shard' }] },
        { name: 'w2', module: mod, export: 'sink', inputs: [{ from: 'src', mode: 'shard' }] },
        { name: 'k1', module: mod, export: 'sink', inputs: [{ from: 'src2', mode: 'key' }] },
        { name: 'k2', module: mod, export: 'sink', inputs: [{ from: 'src2', mode: 'key' }] },
        { name: 'k3', module: mod, export: 'sink', inputs: [{ from: 'src2', mode: 'key' }] },
      ] },
    ],
  });
  await p.start();
  const { results } = await p.stop();
  const r = results as Record<string, { count: number; sum: number; ordered: boolean; foreign: number }>;
  assert.equal(r.w1!.count + r.w2!.count, N);
  assert.equal(r.w1!.sum + r.w2!.sum, sumTo(N));
  assert.equal(r.k1!.count + r.k2!.count + r.k3!.count, N);
  assert.equal(r.k1!.sum + r.k2!.sum + r.k3!.sum, sumTo(N));
  for (const k of ['k1', 'k2', 'k3']) {
    assert.equal(r[k]!.ordered, true);
    assert.equal(r[k]!.count + r[k]!.foreign, N);
  }
});

test('self attachment: the main thread publishes into a stage input; stop loses nothing', async () => {
  const p = new Pipeline({ levels: [{ stages: [{ name: 'sink', module: mod, export: 'sink', selfInput: { schema: V, capacity: 128 } }] }] });
  const ring = p.input('sink');
  await p.start();
  const prod = ring.producer();
  const N = 5000;
  for (let i = 0; i < N; i++) await prod.publishValueAsync(i);
  const { results } = await p.stop();
  assert.deepEqual(results.sink, { count: N, sum: sumTo(N), ordered: true, foreign: 0 });
});

test('barrier routing: phase 2 sees what phase 1 wrote in place; per-entry handlers', async () => {
  const N = 3000;
  const AB = { a: 'f64', b: 'f64' } as const;
  const p = new Pipeline({
    levels: [
      { stages: [{ name: 'src', module: mod, export: 'abSource', options: { count: N }, output: { schema: AB, capacity: 64 } }, { name: 'cnt', module: mod, export: 'counter', options: { count: N }, output: { schema: V, capacity: 64 } }] },
      { stages: [
        { name: 'p1', module: mod, export: 'phase1', inputs: [{ from: 'src' }] },
        { name: 'p2', module: mod, export: 'phase2', inputs: [{ from: 'src', after: ['p1'] }] },
        { name: 'dbl', module: mod, export: 'doubler', inputs: [{ from: 'cnt' }], output: { schema: V, capacity: 64 } },
      ] },
      { stages: [{ name: 'out', module: mod, export: 'sink', inputs: [{ from: 'dbl' }] }] },
    ],
  });
  await p.start();
  const { results } = await p.stop();
  assert.deepEqual(results.p2, { ok: N, bad: 0 });
  assert.deepEqual(results.out, { count: N, sum: 2 * sumTo(N), ordered: true, foreign: 0 });
});

test('a throwing stage stops the pipeline; the error names the stage and carries the cause', async () => {
  const p = new Pipeline({
    levels: [
      { stages: [{ name: 'src', module: mod, export: 'counter', output: { schema: V, capacity: 64 } }] },
      { stages: [{ name: 'bad', module: mod, export: 'thrower' }] },
    ],
  });
  await p.start();
  await assert.rejects(p.done, (e: Error) => {
    assert.ok(e instanceof StageFailedError);
    assert.equal(e.stage, 'bad');
    assert.match(e.message, /stage "bad" failed.*RangeError: boom on batch 3/);
    assert.match((e.cause as Error).message, /boom on batch 3/);
    return true;
  });
  await assert.rejects(p.stop(), StageFailedError);
});

test('shutdown veto: stop waits for the veto; a stage that never agrees times out, named', async () => {
  const p = new Pipeline({
    levels: [
      { stages: [{ name: 'src', module: mod, export: 'counter', options: { count: 100 }, output: { schema: V, capacity: 64 } }] },
      { stages: [{ name: 'linger', module: mod, export: 'lingering' }] },
    ],
  });
  await p.start();
  const { results } = await p.stop();
  assert.ok((results.linger as { lingeredMs: number }).lingeredMs >= 100);

  const q = new Pipeline({
    levels: [
      { stages: [{ name: 'src', module: mod, export: 'counter', options: { count: 100 }, output: { schema: V, capacity: 64 } }] },
      { stages: [{ name: 'mule', module: mod, export: 'stubborn' }, { name: 'ok', module: mod, export: 'sink' }] },
    ],
  });
  await q.start();
  await assert.rejects(q.stop({ timeoutMs: 400 }), (e: Error) => {
    assert.ok(e instanceof StopTimeoutError);
    assert.deepEqual(e.stages, ['mule']);
    assert.match(e.message, /stage "mule" \(level 1\) did not finish/);
    return true;
  });
});

test('pipeline errors survive a postMessage: reviveError rebuilds StageFailedError, TopologyError and StopTimeoutError', async () => {
  const hop = async (e: Error): Promise<Error> => {
    const { port1, port2 } = new MessageChannel();
    const got = new Promise<SerializedError>((resolve) => port2.once('message', resolve));
    port1.postMessage(serializeError(e));
    const data = await got;
    port1.close();
    return reviveError(data);
  };
  const failed = await hop(new StageFailedError('parse', new RangeError('bad byte at 7')));
  assert.ok(failed instanceof StageFailedError);
  assert.equal(failed.code, 'ERR_STAGE_FAILED');
  assert.equal(failed.stage, 'parse');
  assert.equal(failed.message, 'stage "parse" failed and stopped the pipeline: RangeError: bad byte at 7');
  assert.equal((failed.cause as Error).message, 'bad byte at 7');
  assert.equal((failed.cause as Error).name, 'RangeError');
  // A cause that is not an Error: the message is the one that was sent, not recomposed.
  assert.equal((await hop(new StageFailedError('s', 'plain text'))).message, 'stage "s" failed and stopped the pipeline: plain text');
  const topo = await hop(new TopologyError('duplicate stage name "a" (levels 0 and 1)'));
  assert.ok(topo instanceof TopologyError);
  assert.equal(topo.message, 'duplicate stage name "a" (levels 0 and 1)');
  for (const stages of [['linger'], ['a.b', 'c-d']]) {
    const late = await hop(new StopTimeoutError(stages, 250, 2));
    assert.ok(late instanceof StopTimeoutError);
    assert.deepEqual(late.stages, stages);
    assert.equal(late.message, new StopTimeoutError(stages, 250, 2).message);
  }
});
