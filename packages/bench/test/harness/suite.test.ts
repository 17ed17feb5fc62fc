/**
 * Runs a tiny configuration of every case in real workers (threads outnumber cores here, so the
 * plan is made for one core: no ringkit case busy-spins) and checks what the harness promises:
 * every entry received (counts and checksums, verified inside the run), every required name in
 * the JSON shape, well-formed SVG charts.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allCases, formatMarkdown, formatText, REQUIRED_NAMES, runBench, writeReportFiles, type BenchReport } from '../../src/index.js';
import { checkWellFormedSvg } from './svg-check.js';

let report: BenchReport;

before(async () => {
  report = await runBench({ cores: 1, rounds: 2, timing: { warmupMs: 20, windowMs: 50, runs: 1 }, only: allCases(1).map((c) => c.name).filter((n) => n !== 'scale.33554432') });
});

test('every case ran in workers and every consumer received every entry', () => {
  assert.deepEqual(report.failed, []);
  for (const r of report.results) {
    const checked = r.params.checked as string;
    if (r.params.kind === 'copy') assert.match(checked, /^\d+ copies$/);
    else assert.match(checked, /counts and checksums equal/, r.name);
    const moved = /(\d+) (entries|copies)/.exec(checked);
    assert.ok(moved !== null && Number(moved[1]) > 0, `${r.name}: nothing moved (${checked})`);
  }
});

test('the JSON report has every required name, in the shape of issue 4', () => {
  const json = JSON.parse(JSON.stringify(report)) as BenchReport;
  const names = new Set(json.results.map((r) => r.name));
  for (const n of REQUIRED_NAMES) assert.ok(names.has(n), `missing ${n}`);
  for (const r of json.results) {
    assert.equal(typeof r.name, 'string');
    assert.equal(typeof r.opsPerSec, 'number');
    assert.ok(r.bytesPerSec === null || typeof r.bytesPerSec === 'number');
    assert.ok(r.memoryBytes === null || typeof r.memoryBytes === 'number');
    assert.equal(typeof r.params, 'object');
    if (r.latencyNs !== null) {
      for (const k of ['avg', 'p50', 'p99', 'p999', 'max'] as const) assert.equal(typeof r.latencyNs[k], 'number', `${r.name}.latencyNs.${k}`);
    }
  }
  for (const n of ['pingpong.spin', 'pingpong.block']) {
    const r = json.results.find((x) => x.name === n)!;
    assert.ok(r.latencyNs !== null && r.latencyNs.p50 > 0 && r.latencyNs.p50 <= r.latencyNs.p99 && r.latencyNs.p99 <= r.latencyNs.max, n);
  }
  assert.equal(json.machine.cores, 1);
  assert.equal(json.machine.oversubscribed, true);
  assert.equal(json.machine.waitStrategies['spsc.item'], 'phased');
  assert.equal(json.targets.length, 10);
  // Compared cases ran interleaved with their baselines: one ratio per round, median and spread.
  const item = json.results.find((x) => x.name === 'spsc.item')!;
  assert.equal(item.params.rounds, 2);
  const stats = item.params.ratioStats as Record<string, { median: number; min: number; max: number; rounds: number[] }>;
  for (const b of ['baseline.raw.spsc.item', 'baseline.raw.blocking.spsc.item', 'baseline.postMessage']) {
    const s = stats[b]!;
    assert.equal(s.rounds.length, 2, b);
    assert.ok(s.min <= s.median && s.median <= s.max && s.min > 0, b);
  }
  const pipe = json.targets.find((t) => t.text.startsWith('pipeline.fizzbuzz'))!;
  assert.equal(pipe.rounds, 2);
  assert.ok(pipe.verdict === 'met' || pipe.verdict === 'missed' || pipe.verdict === 'inconclusive');
  const fizz = json.results.find((x) => x.name === 'pipeline.fizzbuzz')!;
  assert.match(fizz.params.checked as string, /every class count exact/);
  assert.ok((fizz.params.firstMessageMs as number) > 0 && (fizz.params.readyMs as number) > 0);
  assert.match(json.results.find((x) => x.name === 'baseline.raw.fizzbuzz')!.params.checked as string, /every class count exact/);
  // The byte-ring cases run like the others.
  assert.equal([...names].filter((n) => n.startsWith('bytes.ring.')).length, 3);
});

test('--out writes report.json and well-formed SVG charts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ringkit-bench-'));
  try {
    await writeReportFiles(report, dir);
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['bytes.svg', 'contention.svg', 'latency.svg', 'report.json', 'scaling.svg', 'throughput.svg']);
    for (const f of files.filter((x) => x.endsWith('.svg'))) checkWellFormedSvg(await readFile(join(dir, f), 'utf8'), f);
    const back = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as BenchReport;
    assert.equal(back.results.length, report.results.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the text report has the C report sections and the Markdown table a row per result', () => {
  const text = formatText(report);
  for (const s of ['RINGKIT PERFORMANCE REPORT', 'THROUGHPUT TESTS', 'SCALABILITY TESTS', 'CONTENTION TESTS', 'LATENCY TESTS', 'MEMORY EFFICIENCY', 'TARGETS', 'SUMMARY', 'END OF PERFORMANCE REPORT']) {
    assert.ok(text.includes(s), s);
  }
  const md = formatMarkdown(report);
  assert.equal(md.split('\n').filter((l) => l.startsWith('| `')).length, report.results.length);
});
