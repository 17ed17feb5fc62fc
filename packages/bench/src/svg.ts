/**
 * Small hand-written SVG charts for `--out`: horizontal bar charts (log or linear axis) and
 * line charts. No dependencies; the output is plain SVG 1.1 that browsers and GitHub render.
 */
import { duration } from './report.js';
import type { BenchReport, BenchResult } from './suite.js';

/** One bar: label, value, and whether it is a baseline (drawn grey). */
export interface Bar {
  label: string;
  value: number;
  baseline: boolean;
  /** Text after the bar (defaults to the value). */
  note?: string;
}

/** One series of a line chart. */
export interface Series {
  name: string;
  points: [number, number][];
}

const FONT = 'font-family="Helvetica,Arial,sans-serif"';
const COLOURS = ['#2f6fb5', '#d9822b', '#3f9b52', '#b23c3c', '#7a4fb0'];

/** Escapes text for SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(v < 10 ? 2 : 0);
}

function decades(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out;
}

/** A horizontal bar chart on a log axis (values span orders of magnitude). */
export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const left = 230;
  const width = 760;
  const plot = width - left - 150;
  const rowH = 22;
  const top = 50;
  const height = top + bars.length * rowH + 40;
  const values = bars.map((b) => b.value).filter((v) => v > 0);
  const ticks = decades(Math.min(...values), Math.max(...values));
  const lo = Math.log10(ticks[0]!);
  const hi = Math.log10(ticks[ticks.length - 1]!);
  const x = (v: number): number => left + ((Math.log10(Math.max(v, ticks[0]!)) - lo) / (hi - lo || 1)) * plot;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" ${FONT}>${esc(title)}</text>`,
  ];
  for (const t of ticks) {
    parts.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${height - 34}" stroke="#dddddd"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${height - 20}" text-anchor="middle" font-size="11" ${FONT}>${esc(fmt(t))}</text>`);
  }
  parts.push(`<text x="${left + plot / 2}" y="${height - 5}" text-anchor="middle" font-size="11" ${FONT}>${esc(unit)} (log scale)</text>`);
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, x(b.value) - left);
    parts.push(`<text x="${left - 6}" y="${y + 14}" text-anchor="end" font-size="12" ${FONT}>${esc(b.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.baseline ? '#9a9a9a' : COLOURS[0]}"/>`);
    parts.push(`<text x="${(left + w + 5).toFixed(1)}" y="${y + 14}" font-size="11" ${FONT}>${esc(b.note ?? fmt(b.value))}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** A line chart; `logX` for ring sizes, y always linear from 0. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[], logX: boolean): string {
  const width = 760;
  const height = 380;
  const l = 80;
  const r = 160;
  const t = 45;
  const b = 55;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const fx = (v: number): number => (logX ? Math.log2(v) : v);
  const x0 = Math.min(...xs.map(fx));
  const x1 = Math.max(...xs.map(fx));
  const y1 = Math.max(...ys, 1) * 1.1;
  const px = (v: number): number => l + ((fx(v) - x0) / (x1 - x0 || 1)) * (width - l - r);
  const py = (v: number): number => height - b - (v / y1) * (height - t - b);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" ${FONT}>${esc(title)}</text>`,
    `<line x1="${l}" y1="${height - b}" x2="${width - r}" y2="${height - b}" stroke="#333333"/>`,
    `<line x1="${l}" y1="${t}" x2="${l}" y2="${height - b}" stroke="#333333"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (y1 / 4) * i;
    parts.push(`<line x1="${l}" y1="${py(v).toFixed(1)}" x2="${width - r}" y2="${py(v).toFixed(1)}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${l - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" ${FONT}>${esc(fmt(v))}</text>`);
  }
  for (const v of [...new Set(xs)].sort((a, c) => a - c)) {
    const label = logX ? (v >= 1 << 20 ? `${v / (1 << 20)}Mi` : v >= 1024 ? `${v / 1024}Ki` : String(v)) : String(v);
    parts.push(`<text x="${px(v).toFixed(1)}" y="${height - b + 16}" text-anchor="middle" font-size="11" ${FONT}>${esc(label)}</text>`);
  }
  parts.push(`<text x="${(l + width - r) / 2}" y="${height - 12}" text-anchor="middle" font-size="12" ${FONT}>${esc(xLabel)}</text>`);
  parts.push(`<text x="16" y="${(t + height - b) / 2}" text-anchor="middle" font-size="12" ${FONT} transform="rotate(-90 16 ${(t + height - b) / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const pts = s.points.map(([a, c]) => `${px(a).toFixed(1)},${py(c).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [a, c] of s.points) parts.push(`<circle cx="${px(a).toFixed(1)}" cy="${py(c).toFixed(1)}" r="3" fill="${colour}"/>`);
    parts.push(`<rect x="${width - r + 12}" y="${t + i * 18}" width="10" height="10" fill="${colour}"/>`);
    parts.push(`<text x="${width - r + 26}" y="${t + i * 18 + 9}" font-size="11" ${FONT}>${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function group(report: BenchReport, g: string): BenchResult[] {
  return report.results.filter((r) => r.params.group === g);
}

/** The charts of a report, by file name (only those with data). */
export function charts(report: BenchReport): Record<string, string> {
  const out: Record<string, string> = {};
  const tput = [...group(report, 'throughput'), ...report.results.filter((r) => r.params.group === 'baseline' && !r.name.startsWith('baseline.copy'))];
  if (tput.length > 0) {
    out['throughput.svg'] = barChart('Throughput by configuration, with baselines (grey) from the same run', 'entries per second', tput.map((r) => ({
      label: r.name, value: r.opsPerSec, baseline: r.params.group === 'baseline',
    })));
  }
  const scale = group(report, 'scaling');
  if (scale.length > 0) {
    out['scaling.svg'] = lineChart('Ring-size scaling (SPSC, per item)', 'ring size (entries)', 'M entries / s',
      [{ name: 'spsc per item', points: scale.map((r) => [r.params.capacity as number, r.opsPerSec / 1e6]) }], true);
  }
  const cont = group(report, 'contention');
  if (cont.length > 0) {
    out['contention.svg'] = lineChart('Producer contention (multi-producer ring, 1 consumer, per item)', 'producers', 'M entries / s',
      [{ name: 'throughput', points: cont.map((r) => [r.params.producers as number, r.opsPerSec / 1e6]) }], false);
  }
  const lat = report.results.filter((r) => r.latencyNs !== null);
  if (lat.length > 0) {
    const bars: Bar[] = [];
    for (const r of lat) {
      const l = r.latencyNs!;
      for (const [k, v] of [['p50', l.p50], ['p99', l.p99], ['p99.9', l.p999], ['max', l.max]] as const) {
        bars.push({ label: `${r.name} ${k}`, value: v, baseline: false, note: duration(v) });
      }
    }
    out['latency.svg'] = barChart('Latency percentiles (HDR histogram)', 'nanoseconds', bars);
  }
  const byteRows = [...group(report, 'bytes'), ...report.results.filter((r) => r.name.startsWith('baseline.copy'))];
  if (byteRows.length > 0) {
    out['bytes.svg'] = barChart('Byte records: bandwidth vs TypedArray.set copy (grey)', 'bytes per second', byteRows.map((r) => ({
      label: r.name, value: r.bytesPerSec ?? 0, baseline: r.params.group === 'baseline', note: `${((r.bytesPerSec ?? 0) / 1e9).toFixed(2)} GB/s`,
    })));
  }
  return out;
}
