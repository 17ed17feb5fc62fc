import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allCases, evaluateTargets, fixed2, REQUIRED_NAMES, selectCases, windowRates, type BenchResult } from '../../src/index.js';

test('fixed2 rounds exact binary ties to even, like C printf', () => {
  assert.equal(fixed2(2098304 / 1024), '2049.12');
  assert.equal(fixed2(2098048 / 1024), '2048.88');
  assert.equal(fixed2(128.75), '128.75');
  assert.equal(fixed2(10.914), '10.91');
});

test('windowRates: one rate per window from (phase, count, time) marks', () => {
  // phase 1 at t=0 (warm-up), window 1 = phase 2 → 3, window 2 = phase 3 → 4.
  const marks = [1, 0, 0, 2, 100, 10, 3, 1100, 20, 4, 1600, 30];
  assert.deepEqual(windowRates(marks, 2), [100_000, 50_000]);
});

test('windowRates: a missed phase falls back to the nearest marks around the window', () => {
  const marks = [1, 0, 0, 3, 500, 10];
  assert.deepEqual(windowRates(marks, 1), [50_000]);
  assert.deepEqual(windowRates([1, 0, 0], 1), [undefined]);
});

test('the catalogue holds every required name exactly once, and --quick keeps them all', () => {
  const names = allCases(2).map((c) => c.name);
  assert.equal(new Set(names).size, names.length, 'duplicate case names');
  const quick = new Set(selectCases({ quick: true, cores: 2 }).map((c) => c.name));
  for (const n of REQUIRED_NAMES) assert.ok(quick.has(n), `${n} missing from --quick`);
});

test('busy spin only where every thread has a core', () => {
  for (const c of allCases(2)) {
    if (c.wait !== 'busySpin') continue;
    assert.ok(c.producers + c.consumers <= 2 || c.kind === 'copy', `${c.name} spins with ${c.producers + c.consumers} threads`);
  }
  assert.ok(allCases(1).every((c) => c.wait !== 'busySpin'), 'one core: nothing spins');
});

test('spsc.batch and its raw baseline use the same batch size', () => {
  const by = new Map(allCases(2).map((c) => [c.name, c]));
  assert.equal(by.get('spsc.batch')!.batch, by.get('baseline.raw.spsc.batch')!.batch);
  assert.equal(by.get('spsc.item')!.batch, 1);
  assert.equal(by.get('baseline.raw.spsc.item')!.batch, 1);
});

test('evaluateTargets: ratios against the baselines, null when a name did not run', () => {
  const r = (name: string, opsPerSec: number, bytesPerSec: number | null = null): BenchResult => ({ name, opsPerSec, bytesPerSec, latencyNs: null, memoryBytes: null, params: {} });
  const t = evaluateTargets([r('spsc.batch', 180), r('baseline.raw.spsc.batch', 200), r('bytes.1MiB', 1, 4e9), r('baseline.copy.1MiB', 1, 10e9)]);
  const batch = t.find((x) => x.text.startsWith('spsc.batch'))!;
  assert.equal(batch.value, 0.9);
  assert.equal(batch.met, true);
  const bytes = t.find((x) => x.text.startsWith('bytes.1MiB'))!;
  assert.equal(bytes.value, 0.4);
  assert.equal(bytes.met, false);
  assert.equal(t.find((x) => x.text.startsWith('mpsc.8 '))!.value, null);
});
