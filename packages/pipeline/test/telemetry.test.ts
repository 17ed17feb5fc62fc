import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Pipeline, serveTelemetry, startDemo, type PipelineSnapshot } from '../src/index.js';

const faults = new URL('./fixtures/faults.js', import.meta.url);
const mod = new URL('./fixtures/stages.js', import.meta.url);
const V = { value: 'f64' } as const;

test('/metrics passes promtool check metrics: counters, gauges, a histogram', async () => {
  const demo = await startDemo({ seconds: 1, capacity: 1 << 16, telemetryIntervalMs: 50 });
  const server = await serveTelemetry(demo.pipeline, 0);
  try {
    await new Promise((r) => setTimeout(r, 400));
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
    assert.match(text, /# TYPE ringkit_ring_published_total counter/);
    assert.match(text, /# TYPE ringkit_stage_entries_total counter/);
    assert.match(text, /# TYPE ringkit_stage_restarts_total counter/);
    assert.match(text, /# TYPE ringkit_ring_fill_ratio gauge/);
    assert.match(text, /# TYPE ringkit_stage_batch_duration_seconds histogram/);
    assert.match(text, /ringkit_ring_rate_per_second\{ring="generator.out",window="10s"\} [\d.e+]+/);
    assert.match(text, /ringkit_ring_fill_p80_ratio\{ring="generator.out",window="60s"\} [\d.e+-]+/);
    assert.doesNotMatch(text, /quantile=/);
  } finally {
    await server.close();
    await demo.done;
  }
});

test('rates come from the pipeline\'s own timer: scraping every 2 ms takes no samples and changes no rate', async () => {
  const p = new Pipeline({ telemetryIntervalMs: 100, levels: [
    { stages: [{ name: 'src', module: faults, export: 'pacedSource', output: { schema: V, capacity: 4096 } }] },
    { stages: [{ name: 'sink', module: mod, export: 'sink' }] },
  ] });
  const samples: PipelineSnapshot[] = [];
  p.on('telemetry', (s: PipelineSnapshot) => samples.push(s));
  await p.start();
  const server = await serveTelemetry(p, 0);
  try {
    await new Promise((r) => setTimeout(r, 1500)); // never scraped
    const quiet = p.snapshot();
    // Two reads 2 ms apart with no sample between them are the same sample.
    const a = await p.metrics();
    await new Promise((r) => setTimeout(r, 2));
    const b = await p.metrics();
    if (p.snapshot().samples === quiet.samples) assert.equal(a, b);
    const t0 = Date.now();
    const before = p.snapshot().samples;
    let scrapes = 0;
    while (Date.now() - t0 < 1500) {
      await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      scrapes++;
      await new Promise((r) => setTimeout(r, 2));
    }
    const busy = p.snapshot();
    const took = busy.samples - before;
    assert.ok(scrapes > 50, `${scrapes} scrapes`);
    assert.ok(took <= Math.ceil((Date.now() - t0) / 100) + 1, `${took} samples in 1.5 s of scraping`);
    const rate = (s: PipelineSnapshot): number => s.rings.find((r) => r.name === 'src.out')!.windows.find((w) => w.seconds === 1)!.ratePerSec;
    // The source publishes 10,000/s: both 1-s windows say so, scraped or not.
    for (const [what, s] of [['quiet', quiet], ['scraped', busy]] as const) {
      assert.ok(rate(s) > 5_000 && rate(s) < 15_000, `${what}: ${rate(s)}/s`);
    }
    // Every sample of the 'telemetry' event is a timer tick: evenly spaced, however often /metrics was read.
    const gaps = samples.slice(1).map((s, i) => s.t - samples[i]!.t);
    assert.ok(gaps.every((g) => g >= 60), `sample gaps ${gaps.filter((g) => g < 60).join(',')} ms`);
    const sink = busy.stages.find((s) => s.name === 'sink')!;
    assert.equal(sink.windows.length, 3);
    assert.ok(sink.busy < 0.5, `an idle consumer is not busy: ${sink.busy}`);
  } finally {
    await server.close();
    await p.stop();
  }
});

test('work-group members each report their own count; event-loop busy: awaits are idle', async () => {
  const N = 30_000;
  const p = new Pipeline({ telemetryIntervalMs: 50, levels: [
    { stages: [{ name: 'src', module: mod, export: 'counter', options: { count: N }, output: { schema: V, capacity: 1024 } }] },
    { attach: 'shard', stages: [{ name: 'w1', module: mod, export: 'sink' }, { name: 'w2', module: mod, export: 'sink', options: { delayMs: 1 } }] },
  ] });
  await p.start();
  const { results } = await p.stop();
  const s = p.snapshot();
  const ring = s.rings.find((r) => r.name === 'src.out')!;
  const byStage = Object.fromEntries(ring.consumers.map((c) => [c.stage, c.consumed]));
  const r = results as Record<string, { count: number }>;
  assert.deepEqual(byStage, { w1: r.w1!.count, w2: r.w2!.count });
  assert.equal(r.w1!.count + r.w2!.count, N);
  assert.notEqual(byStage.w1, N, 'members do not each report the ring total');
  const w2 = s.stages.find((x) => x.name === 'w2')!;
  assert.equal(w2.entries, r.w2!.count);
});
