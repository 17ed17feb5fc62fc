import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { fileURLToPath } from 'node:url';
import { serveTelemetry, startDemo } from '../src/index.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/ringkit.js', import.meta.url));

/** Exact FizzBuzz counts for the values 0 … n-1 (0 counts as FizzBuzz). */
function expected(n: number): { fizz: number; buzz: number; fizzbuzz: number; value: number } {
  const upTo = (r: number): number => (n > r ? Math.floor((n - 1 - r) / 15) + 1 : 0);
  const fizz = upTo(3) + upTo(6) + upTo(9) + upTo(12);
  const buzz = upTo(5) + upTo(10);
  const fizzbuzz = upTo(0);
  return { fizz, buzz, fizzbuzz, value: n - fizz - buzz - fizzbuzz };
}

test('expected() matches a direct count', () => {
  const c = { fizz: 0, buzz: 0, fizzbuzz: 0, value: 0 };
  for (let v = 0; v < 1000; v++) {
    const r = v % 15;
    if (r === 0) c.fizzbuzz++;
    else if (r % 3 === 0) c.fizz++;
    else if (r % 5 === 0) c.buzz++;
    else c.value++;
  }
  assert.deepEqual(expected(1000), c);
});

test('FizzBuzz demo: exact counts for a fixed number of beats; pause/resume; telemetry', async () => {
  const demo = await startDemo({ beats: 150, rateMs: 2, capacity: 2 ** 16, telemetryIntervalMs: 50 });
  demo.pause();
  await new Promise((r) => setTimeout(r, 60));
  demo.resume();
  const r = await demo.done;
  assert.equal(r.heartbeats, 150);
  assert.ok(r.generated > 0);
  assert.equal(r.processed, r.generated);
  assert.deepEqual({ fizz: r.fizz, buzz: r.buzz, fizzbuzz: r.fizzbuzz, value: r.value }, expected(r.generated));
  const s = demo.pipeline.snapshot();
  const gen = s.rings.find((x) => x.name === 'generator.out')!;
  assert.equal(gen.published, r.generated);
  assert.equal(gen.capacity, 2 ** 16);
  assert.equal(s.stages.find((x) => x.name === 'logger')!.entries, r.generated);
});

test('telemetry server: /graph.dot parses with Graphviz, /metrics is Prometheus text', async () => {
  const demo = await startDemo({ seconds: 0.4, capacity: 2 ** 16, telemetryIntervalMs: 50 });
  const server = await serveTelemetry(demo.pipeline, 0);
  try {
    await new Promise((r) => setTimeout(r, 150));
    const base = `http://127.0.0.1:${server.port}`;
    const dot = await (await fetch(`${base}/graph.dot`)).text();
    assert.match(dot, /^digraph pipeline \{/);
    assert.match(dot, /"generator" -> "worker" \[label="generator\.out\\n\d+[KMB]? per\/sec\\nfilled \d+ %\\nCapacity: 65536 Total: [\d,]+"/);
    // Graphviz itself (compiled to WASM, from npm) lays the graph out: it throws on a syntax error.
    const svg = (await Graphviz.load()).layout(dot, 'svg', 'dot');
    assert.match(svg, /<svg/);
    assert.match(svg, /<title>generator&#45;&gt;worker<\/title>/);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? -?[0-9.e+-]+$/;
    for (const line of metrics.trim().split('\n')) {
      if (line === '') continue;
      if (line.startsWith('#')) assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/);
      else assert.match(line, sample, line);
    }
    assert.match(metrics, /ringkit_ring_published_total\{ring="generator.out",from="generator"\} \d+/);
    assert.match(metrics, /# TYPE ringkit_ring_published_total counter/);
    assert.match(metrics, /# TYPE ringkit_stage_batch_duration_seconds histogram/);
    assert.match(metrics, /ringkit_stage_batch_duration_seconds_bucket\{le="\+Inf",stage="worker"\} \d+/);
    assert.match(metrics, /ringkit_stage_batch_duration_seconds_count\{stage="worker"\} \d+/);
    assert.match(await (await fetch(base)).text(), /<title>Telemetry<\/title>/);
    const snap = await (await fetch(`${base}/snapshot.json`)).json() as { t: number; stages: unknown[] };
    assert.equal(snap.stages.length, 4);
  } finally {
    await server.close();
    await demo.done;
  }
});

test('ringkit demo --json prints the final figures; bad flags exit 2', () => {
  const r = spawnSync(process.execPath, [BIN, 'demo', '--beats', '100', '--capacity', '65536', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, number>;
  assert.deepEqual(Object.keys(j), [
    'generated', 'processed', 'fizz', 'buzz', 'fizzbuzz', 'value', 'msgsPerSec', 'seconds', 'heartbeats', 'worker', 'paced', 'pacedBound', 'threads',
    'readyMs', 'firstMessageMs', 'steadyMs', 'sustainedMsgsPerSec',
  ]);
  assert.deepEqual({ fizz: j.fizz, buzz: j.buzz, fizzbuzz: j.fizzbuzz, value: j.value }, expected(j.generated!));
  // Start-up and the sustained rate are reported apart: ready ≤ the whole run, first message ≤
  // steady ≤ the whole run, and the sustained rate (start-up and drain left out) ≥ end to end.
  assert.ok(j.readyMs! > 0 && j.readyMs! <= j.seconds! * 1000 && j.firstMessageMs! > 0 && j.firstMessageMs! <= j.steadyMs! && j.steadyMs! <= j.seconds! * 1000, JSON.stringify(j));
  assert.ok(j.sustainedMsgsPerSec! >= j.msgsPerSec!, `sustained ${j.sustainedMsgsPerSec} < end to end ${j.msgsPerSec}`);
  const bad = spawnSync(process.execPath, [BIN, 'demo', '--rate', 'fast'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--rate must be a number of milliseconds/);
  const form = spawnSync(process.execPath, [BIN, 'demo', '--worker', 'triple'], { encoding: 'utf8' });
  assert.equal(form.status, 2);
  assert.match(form.stderr, /--worker must be zero-copy or double-buffer: --worker triple/);
  const unknown = spawnSync(process.execPath, [BIN, 'demo', '--bogus'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /bogus/);
});

test('heartbeat pacing: --rate 100 --beats 10 moves at most the paced amount; both worker forms count exactly', () => {
  for (const worker of ['zero-copy', 'double-buffer']) {
    const r = spawnSync(process.execPath, [BIN, 'demo', '--rate', '100', '--beats', '10', '--capacity', '65536', '--worker', worker, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { generated: number; processed: number; heartbeats: number; worker: string; paced: boolean; pacedBound: number; fizz: number; buzz: number; fizzbuzz: number; value: number };
    assert.equal(j.worker, worker);
    assert.equal(j.paced, true);
    assert.equal(j.heartbeats, 10);
    // Two half rings per beat, plus the one ring drained after the last beat.
    assert.equal(j.pacedBound, 11 * 65536);
    assert.ok(j.processed <= j.pacedBound, `${j.processed} > paced bound ${j.pacedBound}`);
    assert.ok(j.processed > 0);
    assert.equal(j.processed, j.generated);
    assert.deepEqual({ fizz: j.fizz, buzz: j.buzz, fizzbuzz: j.fizzbuzz, value: j.value }, expected(j.generated));
  }
});

test('troupe: heartbeat and generator on one worker thread, exact counts, paced', () => {
  const r = spawnSync(process.execPath, [BIN, 'demo', '--beats', '50', '--capacity', '65536', '--troupe', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { generated: number; processed: number; heartbeats: number; threads: number; pacedBound: number; fizz: number; buzz: number; fizzbuzz: number; value: number };
  assert.equal(j.threads, 3);
  assert.equal(j.heartbeats, 50);
  assert.ok(j.processed <= j.pacedBound);
  assert.equal(j.processed, j.generated);
  assert.deepEqual({ fizz: j.fizz, buzz: j.buzz, fizzbuzz: j.fizzbuzz, value: j.value }, expected(j.generated));
  const plain = spawnSync(process.execPath, [BIN, 'demo', '--beats', '20', '--capacity', '65536', '--json'], { encoding: 'utf8' });
  assert.equal((JSON.parse(plain.stdout) as { threads: number }).threads, 4);
});

test('ringkit demo prints start-up apart from the sustained rate', () => {
  const r = spawnSync(process.execPath, [BIN, 'demo', '--beats', '50', '--capacity', '65536'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Start-up: threads ready in [\d.]+ ms, first message logged at [\d.]+ ms, steady rate from [\d.]+ ms$/m);
  assert.match(r.stdout, /^[\d.]+[KMB]? msgs\/s sustained \(first message generated to last logged\)$/m);
  assert.match(r.stdout, /^[\d.]+[KMB]? msgs\/s end to end \([\d,]+ messages in [\d.]+ s, start-up and drain included\)$/m);
});

test('startDemo({ messages }) generates exactly that many, then stops itself with exact counts', async () => {
  const messages = 5 * 32768 + 123; // not a whole number of half rings
  for (const worker of ['zero-copy', 'double-buffer'] as const) {
    const demo = await startDemo({ messages, capacity: 65536, worker });
    const r = await demo.done;
    assert.equal(r.generated, messages);
    assert.equal(r.processed, messages);
    assert.deepEqual({ fizz: r.fizz, buzz: r.buzz, fizzbuzz: r.fizzbuzz, value: r.value }, expected(messages));
    assert.ok(r.sustainedMsgsPerSec > 0 && r.firstMessageMs > 0 && r.readyMs > 0, JSON.stringify(r));
  }
  await assert.rejects(startDemo({ messages: 0 }), /messages must be a positive integer: messages=0/);
  await assert.rejects(startDemo({ messages: 1.5 }), /messages must be a positive integer: messages=1.5/);
});
