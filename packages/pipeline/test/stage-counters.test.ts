import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Pipeline, serveTelemetry } from '../src/index.js';

const mod = new URL('./fixtures/stages.js', import.meta.url);

test('ctx.counters: named counters in the snapshot (with window rates), the DOT label and /metrics (promtool-clean)', async () => {
  const p = new Pipeline({ levels: [{ stages: [{ name: 'src', module: mod, export: 'countersSource', options: { count: 1e9 } }] }], telemetryIntervalMs: 50 });
  await p.start();
  const server = await serveTelemetry(p, 0);
  try {
    await new Promise((r) => setTimeout(r, 800));
    const st = p.snapshot().stages.find((s) => s.name === 'src')!;
    const byName = Object.fromEntries(st.counters!.map((c) => [c.name, c]));
    assert.deepEqual(st.counters!.map((c) => [c.name, c.kind, c.family]), [['ticks', 'counter', 'stage'], ['level', 'gauge', 'stage'], ['done', 'counter', 'demo']]);
    assert.ok(byName.ticks!.value >= 100, `ticks ${byName.ticks!.value}`);
    assert.equal(byName.ticks!.value, byName.done!.value * 10);
    // About 1,000 ticks per second (10 per 10 ms timer; timers on a loaded box are late, never early).
    assert.ok(byName.ticks!.ratePerSec > 100 && byName.ticks!.ratePerSec <= 1100, `rate ${byName.ticks!.ratePerSec}`);
    assert.equal(byName.ticks!.windows.length, 3);
    assert.equal(byName.level!.value, 7);
    assert.equal(byName.level!.ratePerSec, 0);
    const dot = p.dot();
    assert.match(dot, /"src" \[label="src\\n[^"]*\\nticks \d+K? \(\d+K?\/sec\)\\nlevel 7\\ndone \d+ \(\d+\/sec\)/);
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
    assert.match(text, /# HELP ringkit_stage_ticks_total Ticks of the test source\n# TYPE ringkit_stage_ticks_total counter\nringkit_stage_ticks_total\{stage="src"\} [1-9]\d*/);
    assert.match(text, /# TYPE ringkit_stage_level gauge\nringkit_stage_level\{stage="src"\} 7\n/);
    assert.match(text, /ringkit_demo_done_total\{stage="src"\} [1-9]/);
    assert.match(text, /ringkit_stage_ticks_per_second\{stage="src",window="1s"\} [1-9]/);
    assert.match(text, /ringkit_demo_done_per_second\{stage="src",window="10s"\} [\d.]+/);
  } finally {
    await server.close();
    await p.stop();
  }
});

test('ctx.counters: bad defs, a second call, an unknown name are typed errors', async () => {
  const p = new Pipeline({ levels: [{ stages: [{ name: 'src', module: mod, export: 'countersSource', options: { count: 3, misuse: true } }] }], telemetryIntervalMs: 50 });
  await p.start();
  await new Promise((r) => setTimeout(r, 200));
  const { results } = await p.stop();
  const { errors, names, done } = results.src as { errors: string[]; names: string[]; done: number };
  assert.equal(done, 3);
  assert.deepEqual(names, ['ticks', 'level', 'done']);
  assert.match(errors[0]!, /^InvalidArgumentError: stage "src": a counter name must match \[a-z\]\[a-z0-9_\]\*/);
  assert.match(errors[1]!, /^InvalidArgumentError: stage "src": counter names must be unique: name=a/);
  assert.match(errors[2]!, /^InvalidStateError: stage "src": ctx.counters\(defs\) may be called once/);
  assert.match(errors[3]!, /^InvalidArgumentError: stage "src": no counter "nope"; defined: ticks, level, done/);
});
