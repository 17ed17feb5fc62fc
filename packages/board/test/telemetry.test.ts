import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindTelemetry, type TelemetrySnapshot } from '../src/index.js';
import { formatRate, telemetryButtonId } from '../src/telemetry.js';
import { FakePipeline } from './fake-source.js';
import { post, startBoard } from './helpers.js';

test('bindTelemetry: a Pipeline page with a button per stage and ring, live sparklines, working controls', async () => {
  const { board, url } = await startBoard();
  const src = new FakePipeline();
  const binding = bindTelemetry(board, src, src, { intervalMs: 50 });
  try {
    const page = board.config().ui.pages.find((p) => p.id === 'pipeline');
    assert.ok(page, 'page added');
    assert.equal(page.name, 'Pipeline');
    assert.deepEqual(page.buttons.map((b) => b.id), ['pipeline-stage-parse', 'pipeline-stage-aggregate', 'pipeline-ring-input', 'pipeline-ring-parsed', 'pipeline-pause', 'pipeline-resume', 'pipeline-stop']);
    assert.equal(board.config().ui.pages[0]!.id, 'main_page', 'existing pages kept');
    for (let i = 0; i < 300 && (board.liveStates()['pipeline-stage-parse']?.sparkline?.data.length ?? 0) < 4; i++) await new Promise((r) => setTimeout(r, 10));
    const states = board.liveStates();
    const stage = states['pipeline-stage-parse']!;
    assert.ok(stage.sparkline && stage.sparkline.data.length >= 4, JSON.stringify(stage));
    assert.match(stage.text!, /^parse · \d+(\.\d)?k\/s · busy \d+%$/);
    assert.match(stage.sparkline.path, /^M 0,[\d.]+( L [\d.]+,[\d.]+){3,}$/);
    const ring = states['pipeline-ring-input']!;
    assert.ok(ring.sparkline?.overlay, 'ring sparkline has the rate overlaid on the fill');
    assert.match(ring.text!, /^input · fill \d+% · [\d.]+k\/s$/);
    const before = ring.sparkline.path;
    for (let i = 0; i < 300 && board.liveStates()['pipeline-ring-input']!.sparkline!.path === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.notEqual(board.liveStates()['pipeline-ring-input']!.sparkline!.path, before, 'the sparkline moves');

    for (const [id, re] of [['pipeline-pause', /Generator paused\./], ['pipeline-resume', /Generator resumed\./], ['pipeline-stop', /Pipeline stopped\./], ['pipeline-stage-parse', /stage parse: \d+ batches, avg batch [\d.]+, busy \d+%, [\d.]+k?\/s/], ['pipeline-ring-parsed', /ring parsed: capacity 1024, published \d+, fill \d+%/]] as const) {
      const r = await post(`${url}action/${id}`);
      assert.equal(r.status, 200);
      assert.match(r.text, re);
    }
    assert.deepEqual(src.calls, ['pause', 'resume', 'stop']);
  } finally {
    binding.unbind();
    assert.equal(board.config().ui.pages.some((p) => p.id === 'pipeline'), false, 'unbind removes the page');
    await board.close();
  }
});

test('bindTelemetry: new stages rebuild the page; a throwing source is survived; no controls → no control buttons', async () => {
  const { board } = await startBoard();
  let snap: TelemetrySnapshot = { t: 0, rings: [], stages: [{ name: 'a b/c', batches: 1, avgBatch: 1, busy: 0, ratePerSec: 1 }] };
  let fail = false;
  const binding = bindTelemetry(board, { snapshot: () => { if (fail) throw new Error('boom'); return snap; } }, undefined, { intervalMs: 1000, pageName: 'Telemetry' });
  try {
    assert.deepEqual(board.config().ui.pages.at(-1)!.buttons.map((b) => b.id), ['pipeline-stage-a_b_c']);
    snap = { ...snap, rings: [{ name: 'r', capacity: 8, published: 1, fill: 0.5, ratePerSec: 2 }] };
    binding.tick();
    assert.deepEqual(board.config().ui.pages.at(-1)!.buttons.map((b) => b.id), ['pipeline-stage-a_b_c', 'pipeline-ring-r']);
    snap = { ...snap, stages: [...snap.stages, { name: 'a_b_c', batches: 1, avgBatch: 1, busy: 0, ratePerSec: 1 }, { name: 'x'.repeat(300), batches: 1, avgBatch: 1, busy: 0, ratePerSec: NaN }] };
    binding.tick();
    assert.equal(binding.lastError, undefined, String(binding.lastError));
    assert.deepEqual(board.config().ui.pages.at(-1)!.buttons.map((b) => b.id.slice(0, 40)), ['pipeline-stage-a_b_c', 'pipeline-stage-a_b_c-2', `pipeline-stage-${'x'.repeat(25)}`, 'pipeline-ring-r']);
    fail = true;
    binding.tick();
    assert.match(String(binding.lastError), /boom/);
    assert.equal(telemetryButtonId('ring', 'x'), 'pipeline-ring-x');
    assert.deepEqual([formatRate(12), formatRate(1234.5), formatRate(2.5e6), formatRate(3e9), formatRate(1.25)], ['12', '1.2k', '2.5M', '3.0G', '1.3']);
    assert.throws(() => bindTelemetry(board, { snapshot: () => snap }, undefined, { intervalMs: 1 }), /intervalMs must be >= 20/);
  } finally {
    binding.unbind();
    await board.close();
  }
});

test('bindTelemetry: a stalled stage is a red button with a warning; restarts are shown', async () => {
  const { board } = await startBoard();
  let snap: TelemetrySnapshot = { t: 0, rings: [], stages: [{ name: 'mid', batches: 3, avgBatch: 1, busy: 1, ratePerSec: 0, state: 'stalled', restarts: 0 }] };
  const binding = bindTelemetry(board, { snapshot: () => snap }, undefined, { intervalMs: 1000 });
  try {
    const s = board.liveStates()['pipeline-stage-mid']!;
    assert.equal(s.text, '⚠ STALLED · mid · 0/s · busy 100%');
    assert.equal(s.style, 'button-danger');
    snap = { ...snap, stages: [{ ...snap.stages[0]!, state: 'running', restarts: 2, busy: 0.5 }] };
    binding.tick();
    const t = board.liveStates()['pipeline-stage-mid']!;
    assert.equal(t.text, 'mid · 0/s · busy 50% · restarts 2');
    assert.equal(t.style, 'button-primary');
  } finally {
    binding.unbind();
    await board.close();
  }
});
