/**
 * The human report (in the shape of the C ring's "RING BUFFER PERFORMANCE REPORT", plus latency,
 * bytes, baselines, ratios and targets) and the Markdown results table for the README.
 */
import type { RatioStats } from './rounds.js';
import type { BenchReport, BenchResult, TargetResult } from './suite.js';

const RULE = '='.repeat(80);
const DASH = '-'.repeat(80);

/** Two decimals, ties to even at exact binary ties (as C's printf; `toFixed` rounds them up). */
export function fixed2(x: number): string {
  const scaled = x * 100;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5) return ((floor % 2 === 0 ? floor : floor + 1) / 100).toFixed(2);
  return x.toFixed(2);
}

function centre(text: string): string {
  return ' '.repeat(Math.max(0, Math.floor((80 - text.length) / 2))) + text;
}

function section(title: string): string[] {
  return [DASH, `  ${title}`, DASH, ''];
}

/** `12.34 M`, `1.23 G`, `456.00 K` … for rates. */
export function si(x: number): string {
  if (x >= 1e9) return `${fixed2(x / 1e9)} G`;
  if (x >= 1e6) return `${fixed2(x / 1e6)} M`;
  if (x >= 1e3) return `${fixed2(x / 1e3)} K`;
  return fixed2(x);
}

/** Nanoseconds as `850 ns`, `12.3 µs`, `1.20 ms`. */
export function duration(ns: number): string {
  if (ns >= 1e6) return `${fixed2(ns / 1e6)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${Math.round(ns)} ns`;
}

/** `0.91× name (0.85–0.97 over 5 rounds)`: the median ratio, and its spread when there were rounds. */
function ratios(r: BenchResult): string {
  const stats = (r.params.ratioStats ?? {}) as Record<string, RatioStats>;
  const entries = Object.entries(r.params.ratios as Record<string, number>);
  return entries.map(([b, v]) => {
    const s = stats[b];
    return s === undefined || s.rounds.length < 2 ? `${fixed2(v)}× ${b}` : `${fixed2(v)}× ${b} (${fixed2(s.min)}–${fixed2(s.max)} over ${s.rounds.length} rounds)`;
  }).join(', ');
}

/** A target's measured value: the median, and its min–max over rounds. */
function targetValue(t: TargetResult): string {
  if (t.value === null) return 'not run';
  const spread = t.rounds > 1 && t.min !== null && t.max !== null ? ` (${fixed2(t.min)}–${fixed2(t.max)}, ${t.rounds} rounds)` : '';
  return `${fixed2(t.value)} ${t.unit}${spread}`;
}

/** The verdict word: met, MISSED, or inconclusive (the spread crosses the goal). */
function verdictWord(t: TargetResult, missed: string): string {
  return t.verdict === null ? '' : t.verdict === 'met' ? 'met' : t.verdict === 'missed' ? missed : 'inconclusive';
}

function test(r: BenchResult): string[] {
  const p = r.params;
  const head = `  ${`${p.label as string} [${r.name}]`.padEnd(72)} ...`;
  const lines = [head];
  if (r.latencyNs !== null) {
    const l = r.latencyNs;
    lines.push(`    Rate:          ${si(r.opsPerSec).padStart(10)} ${r.name.startsWith('pingpong') ? 'round trips/sec' : 'hops/sec'}`);
    lines.push(`    Latency avg:   ${duration(l.avg).padStart(10)}   p50 ${duration(l.p50)}   p99 ${duration(l.p99)}   p99.9 ${duration(l.p999)}   max ${duration(l.max)}`);
  } else {
    const rounds = typeof p.rounds === 'number' && p.rounds > 1 ? `, ${String(p.rounds)} rounds` : '';
    lines.push(`    Throughput:    ${si(r.opsPerSec).padStart(10)} ops/sec (median of ${String(p.runs)} runs${rounds}; stddev: ${fixed2(p.stddevPct as number)}%)`);
    if (r.bytesPerSec !== null && (p.recordBytes as number) > 8) lines.push(`    Bandwidth:     ${si(r.bytesPerSec).padStart(10)} B/sec`);
    lines.push(`    Time per op:   ${fixed2(p.nsPerOp as number).padStart(10)} ns (range ${fixed2(1e9 / (p.maxOpsPerSec as number))} - ${fixed2(1e9 / (p.minOpsPerSec as number))} ns over ${String(p.runs)} run(s))`);
  }
  if (r.memoryBytes !== null) lines.push(`    Memory:        ${String(r.memoryBytes).padStart(10)} bytes (${fixed2(r.memoryBytes / 1024)} KB)`);
  const other = typeof p.otherLoadCores === 'number' ? `; other processes used ${fixed2(p.otherLoadCores)} cores meanwhile` : '';
  lines.push(`    Threads:       ${String(p.threads).padStart(10)} (${p.waitStrategy as string}${p.oversubscribed === true ? ', more threads than cores' : ''}${other})`);
  const vs = ratios(r);
  if (vs !== '') lines.push(`    vs baselines:  ${vs}`);
  lines.push('');
  return lines;
}

const SECTIONS: [string, string][] = [
  ['throughput', 'THROUGHPUT TESTS'],
  ['cost', 'PER-ITEM COST (one thread: the protocol without the core-to-core hand-off)'],
  ['scaling', 'SCALABILITY TESTS (Ring Size Impact)'],
  ['contention', 'CONTENTION TESTS (Producer Scaling)'],
  ['latency', 'LATENCY TESTS (HDR histogram)'],
  ['bytes', 'BYTE RECORDS'],
  ['baseline', 'BASELINES (same run, no ringkit code)'],
];

/** The human-readable report. */
export function formatText(report: BenchReport): string {
  const m = report.machine;
  const out = [RULE, centre('RINGKIT PERFORMANCE REPORT'), RULE];
  out.push(`  Configuration: ${m.timing.runs} runs, ${m.timing.windowMs} ms duration per run (warm-up ${m.timing.warmupMs} ms); a case and its baselines interleaved over ${m.rounds ?? 1} rounds`);
  out.push(`  Platform: ${m.platform} ${m.release}, ${m.arch}, ${m.cpuModel}`);
  out.push(`  Runtime: Node ${m.node} (V8 ${m.v8})`);
  out.push(`  Cores: ${m.cores} logical CPUs; up to ${m.maxThreads} worker threads per case${m.oversubscribed ? ' (oversubscribed: threads > cores)' : ''}`);
  out.push(`  Load average at start: ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')}`);
  out.push(`  Wait strategies: ${m.note}`, '');
  for (const [group, title] of SECTIONS) {
    const rows = report.results.filter((r) => r.params.group === group);
    if (rows.length === 0) continue;
    out.push(...section(title));
    for (const r of rows) out.push(...test(r));
  }
  out.push(...section('MEMORY EFFICIENCY'), '  Ring Size vs Memory Usage (default slot: one f64, 8 consumer entries):');
  out.push(`  ${'Entries'.padEnd(20)}${'Memory (bytes)'.padStart(16)}${'Bytes/Entry'.padStart(16)}${'Overhead'.padStart(16)}`, DASH);
  for (const e of report.memory) {
    out.push(`  ${String(e.entries).padEnd(20)}${String(e.bytes).padStart(16)}${fixed2(e.bytesPerEntry).padStart(16)}${fixed2(e.overheadBytes).padStart(16)}`);
  }
  out.push('', ...section('TARGETS (median over rounds, min–max; measured, not asserted)'));
  for (const t of report.targets) {
    out.push(`  ${t.text.padEnd(54)}${targetValue(t).padStart(30)}  ${verdictWord(t, 'MISSED')}`);
  }
  for (const f of report.failed) out.push(`  FAILED ${f.name}: ${f.error}`);
  out.push('', ...section('SUMMARY'));
  const best = report.results.filter((r) => r.params.group === 'throughput').sort((a, b) => b.opsPerSec - a.opsPerSec)[0];
  if (best !== undefined) out.push('  Best throughput configuration:', `    ${best.params.label as string}: ${fixed2(best.opsPerSec / 1e6)} M ops/sec`);
  out.push('', RULE, centre('END OF PERFORMANCE REPORT'), RULE, '');
  return out.join('\n');
}

function cell(x: string): string {
  return x.replace(/\|/g, '\\|');
}

/** A Markdown results table (one row per result) and the targets, for the README. */
export function formatMarkdown(report: BenchReport): string {
  const m = report.machine;
  const out = [
    `Machine: ${m.cpuModel}, ${m.cores} logical CPUs, Node ${m.node}, ${m.platform} ${m.release}; ${m.timing.runs} × ${m.timing.windowMs} ms per case, compared cases interleaved with their baselines over ${m.rounds ?? 1} rounds; up to ${m.maxThreads} worker threads${m.oversubscribed ? ' (more threads than cores)' : ''}; load average at start ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')}.`,
    '',
    '| Result | What | M ops/s | GB/s | Latency p50 / p99 / max | vs baselines | Wait | Threads | Other load |',
    '|---|---|--:|--:|---|---|---|--:|--:|',
  ];
  for (const r of report.results) {
    const p = r.params;
    const lat = r.latencyNs === null ? '' : `${duration(r.latencyNs.p50)} / ${duration(r.latencyNs.p99)} / ${duration(r.latencyNs.max)}`;
    const gbs = r.bytesPerSec === null ? '' : fixed2(r.bytesPerSec / 1e9);
    out.push(`| \`${r.name}\` | ${cell(p.label as string)} | ${fixed2(r.opsPerSec / 1e6)} | ${gbs} | ${lat} | ${cell(ratios(r))} | ${cell(p.waitStrategy as string)} | ${String(p.threads)} | ${typeof p.otherLoadCores === 'number' ? fixed2(p.otherLoadCores) : ''} |`);
  }
  out.push('', '| Target | Measured (median, min–max over rounds) | Verdict |', '|---|--:|---|');
  for (const t of report.targets) {
    out.push(`| ${cell(t.text)} | ${targetValue(t)} | ${verdictWord(t, 'missed')} |`);
  }
  return `${out.join('\n')}\n`;
}
