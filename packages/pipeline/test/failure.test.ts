import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pipeline, PipelineAbortedError, StageFailedError, StopTimeoutError, TopologyError, testStage, type FailurePolicy, type PipelineSpec, type RestartEvent, type StallEvent } from '../src/index.js';
import type { FaultKind } from './fixtures/faults.js';

const mod = new URL('./fixtures/stages.js', import.meta.url);
const faults = new URL('./fixtures/faults.js', import.meta.url);
const V = { value: 'f64' } as const;
const N = 20_000;
const AT = 5_000;

function shared(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** src (N values) → { faulty → sink, survivor }: faulty fails at value AT in the way `kind` says. */
function faultPipeline(kind: FaultKind, onFailure: FailurePolicy, o: { times?: number; stallMs?: number; endless?: boolean } = {}): { p: Pipeline; seenSink: Int32Array; seenSurvivor: Int32Array; faultCount: Int32Array } {
  const faultCount = shared(1);
  const seenSink = shared(N);
  const seenSurvivor = shared(N);
  const spec: PipelineSpec = {
    stallMs: o.stallMs,
    stopTimeoutMs: 30_000,
    telemetryIntervalMs: 50,
    levels: [
      { stages: [{ name: 'src', module: mod, export: 'counter', options: o.endless === true ? {} : { count: N }, output: { schema: V, capacity: 1024 } }] },
      { stages: [
        { name: 'faulty', module: faults, export: 'faulty', options: { kind, at: AT, faults: faultCount, times: o.times ?? 1 }, onFailure, inputs: [{ from: 'src' }], output: { schema: V, capacity: 1024 },
          resourceLimits: kind === 'oom' ? { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } : undefined },
        { name: 'survivor', module: faults, export: 'marker', options: { seen: seenSurvivor }, inputs: [{ from: 'src' }] },
      ] },
      { stages: [{ name: 'sink', module: faults, export: 'marker', options: { seen: seenSink }, inputs: [{ from: 'faulty' }] }] },
    ],
  };
  return { p: new Pipeline(spec), seenSink, seenSurvivor, faultCount };
}

/** Every value 0 … N-1 seen at least once; duplicates at most one ring's worth (the redelivered batch). */
function assertNothingLost(seen: Int32Array, what: string): number {
  let missing = 0;
  let dup = 0;
  for (let v = 0; v < N; v++) {
    if (seen[v] === 0) missing++;
    else dup += seen[v]! - 1;
  }
  assert.equal(missing, 0, `${what}: ${missing} values lost`);
  assert.ok(dup <= 1024, `${what}: ${dup} duplicates (more than one batch)`);
  return dup;
}

function assertExactlyOnce(seen: Int32Array, what: string): void {
  for (let v = 0; v < N; v++) if (seen[v] !== 1) assert.fail(`${what}: value ${v} seen ${seen[v]} times`);
}

for (const kind of ['throw', 'exit', 'oom', 'loop', 'init'] as const) {
  test(`restart: a stage that fails by ${kind} is replaced; survivors run on; nothing published is lost; the restart is counted`, async () => {
    const { p, seenSink, seenSurvivor } = faultPipeline(kind, { restart: { backoffMs: 20, maxRestarts: 3 } }, { stallMs: kind === 'loop' ? 300 : undefined });
    const restarts: RestartEvent[] = [];
    const stalls: StallEvent[] = [];
    p.on('restart', (e: RestartEvent) => restarts.push(e));
    p.on('stall', (e: StallEvent) => stalls.push(e));
    await p.start();
    const r = await p.stop();
    assert.equal(restarts.length, 1, JSON.stringify(restarts.map((e) => e.cause.message)));
    assert.deepEqual(r.restarts, { faulty: 1 });
    assert.equal(restarts[0]!.stage, 'faulty');
    const why = { throw: /fault at value 5000/, exit: /exited \(code 7\)/, oom: /memory/i, loop: /stalled: its input did not move for 300 ms/, init: /init failed on purpose/ }[kind];
    assert.match(restarts[0]!.cause.message, why);
    if (kind === 'init') assert.equal(restarts[0]!.batch, undefined);
    else {
      assert.equal(restarts[0]!.batch?.from, 'src');
      assert.ok(restarts[0]!.batch!.count > 0);
    }
    if (kind === 'loop') assert.deepEqual(stalls.map((s) => [s.stage, s.action]), [['faulty', 'restart']]);
    assertNothingLost(seenSink, 'sink behind the restarted stage');
    assertExactlyOnce(seenSurvivor, 'survivor');
    assert.deepEqual(r.results.survivor, { count: N });
    assert.deepEqual(r.results.src, { produced: N });
    const s = p.snapshot().stages.find((x) => x.name === 'faulty')!;
    assert.equal(s.restarts, 1);
    assert.match(p.dot(), /"faulty" \[label="faulty\\nbusy \d+ %\\n\d+[KMB]? per\/sec(\\nbatch p99 [^"]+)?\\nrestarts 1"/);
    assert.match(await p.metrics(), /ringkit_stage_restarts_total\{stage="faulty"\} 1/);
  });
}

for (const kind of ['throw', 'exit'] as const) {
  test(`stop: a stage that fails by ${kind} stops the pipeline, named with its batch and cause; the others drain and their results come back`, async () => {
    const { p, seenSurvivor } = faultPipeline(kind, 'stop');
    await p.start();
    const err = await p.done.then(() => assert.fail('done resolved'), (e: unknown) => e);
    assert.ok(err instanceof StageFailedError, String(err));
    assert.equal(err.stage, 'faulty');
    assert.equal(err.batch?.from, 'src');
    assert.ok(err.batch!.count > 0 && err.batch!.lo <= AT && AT < err.batch!.lo + err.batch!.count, JSON.stringify(err.batch));
    assert.match(err.message, kind === 'throw' ? /stage "faulty" failed and stopped the pipeline: RangeError: fault at value 5000 \(holding \d+ entr(y|ies) from "src" at \d+/ : /stage "faulty" failed and stopped the pipeline: Error: the stage thread exited \(code 7\)/);
    assert.deepEqual(err.results.src, { produced: N });
    assert.deepEqual(err.results.survivor, { count: N });
    assertExactlyOnce(seenSurvivor, 'survivor');
    const sink = err.results.sink as { count: number };
    assert.ok(sink.count <= AT, `the sink saw ${sink.count}, forwarded before the fault`);
    assert.equal('faulty' in err.results, false);
    await assert.rejects(p.stop(), StageFailedError);
  });
}

test('stop: an init failure fails start(), naming the stage; restart: budget spent → stop with the restart count', async () => {
  const a = faultPipeline('init', 'stop');
  await assert.rejects(a.p.start(), (e: Error) => e instanceof StageFailedError && e.stage === 'faulty' && /init failed on purpose/.test(e.message));
  await assert.rejects(a.p.done, StageFailedError);

  const b = faultPipeline('throw', { restart: { maxRestarts: 2, backoffMs: 10 } }, { times: 1000 });
  const seen: number[] = [];
  b.p.on('restart', (e: RestartEvent) => seen.push(e.restarts));
  await b.p.start();
  await assert.rejects(b.p.done, (e: Error) => {
    assert.ok(e instanceof StageFailedError);
    assert.equal(e.restarts, 2);
    assert.match(e.message, /stage "faulty" failed and stopped the pipeline after 2 restarts: RangeError: fault at value 5000/);
    assert.deepEqual((e.results as Record<string, unknown>).survivor, { count: N });
    return true;
  });
  assert.deepEqual(seen, [1, 2]);
});

test('stall under stop: an infinite loop is reported (event, red DOT node, snapshot state); a stop then names that stage, not the source behind it', async () => {
  const { p } = faultPipeline('loop', 'stop', { stallMs: 300, endless: true });
  const stalls: StallEvent[] = [];
  p.on('stall', (e: StallEvent) => stalls.push(e));
  await p.start();
  const t0 = Date.now();
  while (stalls.length === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(stalls.map((s) => [s.stage, s.action, s.batch?.from]), [['faulty', 'report', 'src']]);
  await new Promise((r) => setTimeout(r, 100));
  const s = p.snapshot();
  const faulty = s.stages.find((x) => x.name === 'faulty')!;
  assert.equal(faulty.state, 'stalled');
  assert.ok(faulty.busy > 0.8, `a spinning handler is busy: ${faulty.busy}`);
  assert.equal(s.stages.find((x) => x.name === 'src')!.state, 'running');
  // The survivor kept up with everything the source published.
  const published = s.rings.find((r) => r.name === 'src.out')!.published;
  assert.equal(s.stages.find((x) => x.name === 'survivor')!.entries, published);
  const dot = p.dot();
  assert.match(dot, /"faulty" \[label="faulty\\nbusy \d+ %\\n[^"]*\\nSTALLED \(batch held [^)]+\)", color=red, fillcolor="#ffd0d0", penwidth=3\];/);
  assert.match(await p.metrics(), /ringkit_stage_stalled\{stage="faulty"\} 1/);
  await assert.rejects(p.stop({ timeoutMs: 1000 }), (e: Error) => {
    assert.ok(e instanceof StopTimeoutError, String(e));
    assert.deepEqual(e.stages, ['faulty']);
    assert.match(e.message, /stage "faulty" \(level 1\) is stuck \("faulty" holds \d+ entries from "src"/);
    return true;
  });
  await assert.rejects(p.done, StopTimeoutError);
});

test('stop with a hung middle stage (no stallMs) names that stage, not the source waiting for room', async () => {
  const { p } = faultPipeline('hang', 'stop', { endless: true });
  await p.start();
  await new Promise((r) => setTimeout(r, 400));
  await assert.rejects(p.stop({ timeoutMs: 1500 }), (e: Error) => {
    assert.ok(e instanceof StopTimeoutError, String(e));
    assert.deepEqual(e.stages, ['faulty']);
    return true;
  });
});

test('abort() settles done, also with a hung stage', async () => {
  const { p } = faultPipeline('hang', 'stop', { endless: true });
  await p.start();
  await new Promise((r) => setTimeout(r, 200));
  await p.abort();
  await assert.rejects(p.done, PipelineAbortedError);
  await assert.rejects(p.done, /the pipeline was aborted/);
  await assert.rejects(p.stop(), PipelineAbortedError);
});

test('ctx.signal wakes a source parked in claimAsync on a full ring at stop; what it published is drained', async () => {
  const seen = shared(1 << 16);
  const p = new Pipeline({ levels: [
    { stages: [{ name: 'src', module: faults, export: 'signalSource', output: { schema: V, capacity: 64 } }] },
    { stages: [{ name: 'sink', module: faults, export: 'marker', options: { seen } }] },
  ] });
  p.pause('sink');
  await p.start();
  await new Promise((r) => setTimeout(r, 300));
  const s = p.snapshot();
  assert.equal(s.rings[0]!.fill, 1, 'the ring is full: the source waits in claimAsync');
  const { results } = await p.stop({ timeoutMs: 5000 });
  const src = results.src as { produced: number; woken: boolean };
  assert.equal(src.woken, true);
  assert.equal(src.produced, 64);
  assert.deepEqual(results.sink, { count: 64 });
});

test('start() checks every module, export and handler shape before any stage runs real work', async () => {
  const runs = shared(1);
  const spec = (second: { export: string; inputs?: boolean }): PipelineSpec => ({ levels: [
    { stages: [{ name: 'src', module: faults, export: 'countedSource', options: { runs, count: 10 }, output: { schema: V, capacity: 64 } }] },
    { stages: [{ name: 'b', module: faults, export: second.export, ...(second.inputs === false ? { inputs: [] } : {}) }] },
  ] });
  const cases: Array<[{ export: string; inputs?: boolean }, RegExp]> = [
    [{ export: 'markr' }, /^stage "b": handler module .*faults\.js has no export "markr"; exports: .*marker/],
    [{ export: 'noHandler' }, /^stage "b" \(export "noHandler" of .*\): it has typed-ring inputs, so its handler must implement onBatch\(batch, input, ctx\) or onEntry\(slot, input, ctx\) \(without one every entry would be discarded\); its handler has: close$/],
    [{ export: 'runWithInputs' }, /^stage "b" .*: it has inputs, so run\(ctx\) would never be called/],
    [{ export: 'sourceWithoutRun', inputs: false }, /^stage "b" .*: it has no inputs, so its handler must implement run\(ctx\)/],
  ];
  for (const [second, re] of cases) {
    const p = new Pipeline(spec(second));
    await assert.rejects(p.start(), (e: Error) => e instanceof TopologyError && re.test(e.message) ? true : assert.fail(e.message));
    await assert.rejects(p.done, TopologyError);
  }
  assert.equal(Atomics.load(runs, 0), 0, 'no source ran');
});

test('onError: retry then skip a batch; telemetry counts the errors (testStage, scripted batches)', async () => {
  const batch = (from: number): Array<{ value: number }> => Array.from({ length: 10 }, (_, i) => ({ value: from + i }));
  const r = await testStage({
    module: faults, export: 'picky', options: { skip: 100, retry: 200 },
    inputs: { src: { schema: V, batches: [batch(0), batch(100), batch(200)] } },
  });
  assert.deepEqual(r.result, { handled: 20, attempts: [1, 2, 3, 1] });
  assert.deepEqual(r.stats, { batches: 2, entries: 20, batchErrors: 4, skipped: 1, retried: 3, restarts: 0 });
});

test('an async onEntry is awaited entry by entry, in order (testStage)', async () => {
  const values = Array.from({ length: 200 }, (_, i) => ({ value: i * 3 }));
  const r = await testStage({
    module: faults, export: 'slowEntries',
    inputs: { src: { schema: V, batches: [values.slice(0, 50), values.slice(50, 51), values.slice(51)] } },
    output: { schema: V, capacity: 64 },
  });
  assert.deepEqual(r.output, values);
  assert.equal(r.stats.batches, 3);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`drainOnSignals: ${signal} drains the pipeline (nothing in flight lost) and the process exits by itself`, async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/signal-child.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', () => reject(new Error(`child exited before ready: ${err}`)));
    });
    await new Promise((r) => setTimeout(r, 300));
    child.kill(signal);
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    assert.equal(code, 0, err);
    const line = out.split('\n').find((l) => l.startsWith('{'))!;
    const { results, listeners } = JSON.parse(line) as { results: { src: { produced: number }; sink: { count: number; ordered: boolean } }; listeners: number };
    assert.ok(results.src.produced > 0);
    assert.equal(results.sink.count, results.src.produced);
    assert.equal(results.sink.ordered, true);
    assert.equal(listeners, 0, 'the signal handlers are removed once done settles');
  });
}

test('troupe: two stages on one thread crash and restart together; nothing published is lost; mismatched policies are refused', async () => {
  const faultCount = shared(1);
  const seenSink = shared(N);
  const seenMate = shared(N);
  const restart: FailurePolicy = { restart: { backoffMs: 20 } };
  const spec = (mateFailure: FailurePolicy): PipelineSpec => ({ stopTimeoutMs: 30_000, levels: [
    { stages: [{ name: 'src', module: mod, export: 'counter', options: { count: N }, output: { schema: V, capacity: 1024 } }] },
    { stages: [
      { name: 'faulty', module: faults, export: 'faulty', troupe: 'pair', onFailure: restart, options: { kind: 'exit', at: AT, faults: faultCount }, inputs: [{ from: 'src' }], output: { schema: V, capacity: 1024 } },
      { name: 'mate', module: faults, export: 'marker', troupe: 'pair', onFailure: mateFailure, options: { seen: seenMate }, inputs: [{ from: 'src' }] },
    ] },
    { stages: [{ name: 'sink', module: faults, export: 'marker', options: { seen: seenSink }, inputs: [{ from: 'faulty' }] }] },
  ] });
  assert.throws(() => new Pipeline(spec('stop')), (e: Error) => e instanceof TopologyError && /troupe "pair": stages "faulty" and "mate" share a thread, so they must declare the same onFailure/.test(e.message));
  const p = new Pipeline(spec(restart));
  const events: RestartEvent[] = [];
  p.on('restart', (e: RestartEvent) => events.push(e));
  await p.start();
  const r = await p.stop();
  assert.deepEqual(events.map((e) => e.stage).sort(), ['faulty', 'mate']);
  assert.deepEqual(r.restarts, { faulty: 1, mate: 1 });
  assertNothingLost(seenSink, 'sink');
  assertNothingLost(seenMate, 'troupe mate');
});
