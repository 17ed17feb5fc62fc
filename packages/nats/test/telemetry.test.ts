import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { demoSpec, Pipeline, serveTelemetry, type PipelineSnapshot } from '@ringkit/pipeline';
import { splitPipeline } from '../src/index.js';
import { NatsServer } from './fixtures/nats-server.js';

let server: NatsServer;
before(async () => {
  server = await NatsServer.start();
});
after(async () => {
  await server.close();
});

const counter = (s: PipelineSnapshot, stage: string, name: string): number => s.stages.find((x) => x.name === stage)?.counters?.find((c) => c.name === name)?.value ?? -1;

test('bridge counters of natsSink / natsSource stages in the snapshot, the DOT and /metrics (promtool-clean)', async () => {
  const { upstream, downstream } = splitPipeline(demoSpec({ beats: 1500, rateMs: 2, capacity: 4096 }), { level: 1, connection: { servers: server.url }, prefix: 'tel' });
  const up = new Pipeline({ ...upstream, telemetryIntervalMs: 50 });
  const down = new Pipeline({ ...downstream, telemetryIntervalMs: 50 });
  await down.start();
  await up.start();
  const tUp = await serveTelemetry(up, 0);
  const tDown = await serveTelemetry(down, 0);
  try {
    const deadline = Date.now() + 20_000;
    while (counter(down.snapshot(), 'generator', 'acked') <= 0 || counter(up.snapshot(), 'generator.nats', 'acked') <= 0) {
      assert.ok(Date.now() < deadline, 'the bridge counters grow');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300)); // a few samples, for the rates
    const u = up.snapshot().stages.find((s) => s.name === 'generator.nats')!;
    const names = u.counters!.map((c) => c.name);
    assert.deepEqual(names, ['published', 'acked', 'redelivered', 'in_flight', 'dup_dropped', 'ignored', 'lost', 'messages', 'bytes', 'retries']);
    const pub = u.counters!.find((c) => c.name === 'published')!;
    assert.ok(pub.value > 0 && pub.ratePerSec > 0, JSON.stringify(pub));
    assert.equal(u.counters!.find((c) => c.name === 'in_flight')!.kind, 'gauge');
    assert.ok(counter(up.snapshot(), 'generator.nats', 'acked') <= pub.value);
    for (const [p, stage] of [[up, 'generator.nats'], [down, 'generator']] as const) {
      assert.match(p.dot(), new RegExp(`"${stage.replace('.', '\\.')}" \\[label="[^"]*\\\\npublished [1-9]\\d*[KMB]? \\([1-9]\\d*[KMB]?/sec\\)\\\\nacked [1-9]\\d*[KMB]? \\(\\d+[KMB]?/sec\\)\\\\nredelivered \\d+ \\(\\d+/sec\\)\\\\nin_flight \\d+[KMB]?`));
    }
    for (const [t, stage] of [[tUp, 'generator.nats'], [tDown, 'generator']] as const) {
      const text = await (await fetch(`http://127.0.0.1:${t.port}/metrics`)).text();
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
      assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
      assert.match(text, /# TYPE ringkit_bridge_published_total counter/);
      assert.match(text, new RegExp(`ringkit_bridge_published_total\\{stage="${stage}"\\} [1-9]`));
      assert.match(text, new RegExp(`ringkit_bridge_acked_total\\{stage="${stage}"\\} [1-9]`));
      assert.match(text, new RegExp(`ringkit_bridge_redelivered_total\\{stage="${stage}"\\} \\d`));
      assert.match(text, /# TYPE ringkit_bridge_in_flight gauge/);
      assert.match(text, new RegExp(`ringkit_bridge_in_flight\\{stage="${stage}"\\} \\d`));
      assert.match(text, new RegExp(`ringkit_bridge_published_per_second\\{stage="${stage}",window="1s"\\} [1-9]`));
    }
    const [ru, rd] = await Promise.all([up.done, down.done]);
    const sent = (ru.results['generator.nats'] as { acked: number }).acked;
    // The last sample, taken at stop, holds the final counts.
    assert.equal(counter(up.snapshot(), 'generator.nats', 'acked'), sent);
    assert.equal(counter(down.snapshot(), 'generator', 'acked'), (rd.results.generator as { acked: number }).acked);
    assert.equal((rd.results.worker as { processed: number }).processed, sent);
  } finally {
    await tUp.close();
    await tDown.close();
    await up.stop().catch(() => undefined);
    await down.stop().catch(() => undefined);
  }
});
