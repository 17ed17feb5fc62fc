import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allCases, comparisonGroups, evaluateTargets, expectedFizzbuzz, fizzbuzzMessages, fixed2, REQUIRED_NAMES, roundOrder, selectCases, verdictOf, windowRates, type BenchResult } from '../../src/index.js';

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

test('evaluateTargets: per-round ratios give the median and spread; a spread across the goal is inconclusive', () => {
  const r = (name: string, stats?: Record<string, { median: number; min: number; max: number; rounds: number[] }>): BenchResult => ({
    name, opsPerSec: 1, bytesPerSec: null, latencyNs: null, memoryBytes: null, params: stats === undefined ? {} : { ratioStats: stats },
  });
  const t = evaluateTargets([
    r('spsc.item', {
      'baseline.raw.spsc.item': { median: 0.92, min: 0.85, max: 0.97, rounds: [0.85, 0.92, 0.97] },
      'baseline.raw.blocking.spsc.item': { median: 0.97, min: 0.96, max: 0.99, rounds: [0.96, 0.97, 0.99] },
    }),
    r('baseline.raw.spsc.item'), r('baseline.raw.blocking.spsc.item'),
  ]);
  const spin = t.find((x) => x.text.startsWith('spsc.item ≥ 0.9 ×'))!;
  assert.deepEqual([spin.value, spin.min, spin.max, spin.rounds, spin.verdict, spin.met], [0.92, 0.85, 0.97, 3, 'inconclusive', null]);
  const block = t.find((x) => x.text.startsWith('spsc.item ≥ 0.95 ×'))!;
  assert.deepEqual([block.verdict, block.met], ['met', true]);
  assert.equal(verdictOf({ min: 0.5, max: 0.89 }, 0.9), 'missed');
});

test('comparison groups: a case with the baselines it is compared with, run forward then backward', () => {
  const groups = comparisonGroups(selectCases({ only: ['spsc.item', 'bytes.64B', 'bytes.ring.64B'], cores: 2 })).map((g) => g.map((c) => c.name));
  assert.deepEqual(groups[0], ['spsc.item', 'baseline.raw.spsc.item', 'baseline.raw.blocking.spsc.item', 'baseline.postMessage']);
  assert.ok(groups.some((g) => g.join() === 'bytes.64B,bytes.ring.64B,baseline.copy.64B'), JSON.stringify(groups));
  assert.ok(groups.some((g) => g.join() === 'spsc.item.small'), 'a case compared with nothing is alone');
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 1), ['c', 'b', 'a']);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 2), ['a', 'b', 'c']);
});

test('a selected case brings its baselines', () => {
  const names = selectCases({ only: ['pipeline.fizzbuzz'], cores: 2 }).map((c) => c.name);
  assert.deepEqual(names, ['pipeline.fizzbuzz', 'baseline.raw.fizzbuzz']);
});

test('FizzBuzz: exact class counts of 0 … n-1, message counts in whole half rings', () => {
  assert.deepEqual(expectedFizzbuzz(16), { generated: 16, processed: 16, fizzbuzz: 2, fizz: 4, buzz: 2, value: 8 });
  const n = 1 << 20;
  let fb = 0; let f = 0; let b = 0;
  for (let v = 0; v < n; v++) { if (v % 15 === 0) fb++; else if (v % 3 === 0) f++; else if (v % 5 === 0) b++; }
  assert.deepEqual(expectedFizzbuzz(n), { generated: n, processed: n, fizzbuzz: fb, fizz: f, buzz: b, value: n - fb - f - b });
  assert.equal(fizzbuzzMessages({ warmupMs: 0, windowMs: 1000, runs: 1 }) % (1 << 19), 0);
});
