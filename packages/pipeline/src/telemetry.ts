import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS_US, TEL_BUCKETS, TEL_LAT_COUNT, TEL_LAT_SUM_US, TEL_WORDS } from './shared.js';
import type { PipelineSnapshot, RingSnapshot, StageSnapshot } from './telemetry-sampler.js';

export type { PipelineSnapshot, RingSnapshot, StageSnapshot, StageState, RingWindow, StageWindow, WindowStats } from './telemetry-sampler.js';

/** Graphviz DOT in the spirit of steady_state: per edge rate, fill, capacity and total; red when full; stalled stages red, restarts counted. */
export function renderDot(s: PipelineSnapshot): string {
  const lines = ['digraph pipeline {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="monospace"];', '  edge [fontname="monospace", fontsize=10];'];
  if (s.rings.some((r) => r.from === 'main') || s.rings.some((r) => r.to.includes('main'))) lines.push('  "main" [shape=ellipse, label="main thread"];');
  for (const st of s.stages) {
    const lat = st.latencyUs === undefined ? '' : `\\nbatch p99 ${fmtUs(st.latencyUs.p99)}`;
    const restarts = st.restarts > 0 ? `\\nrestarts ${st.restarts}` : '';
    const state = st.state === 'running' || st.state === 'done' ? '' : `\\n${st.state.toUpperCase()}${st.holdingMs > 0 ? ` (batch held ${fmtMs(st.holdingMs)})` : ''}`;
    const bad = st.state === 'stalled' || st.state === 'failed';
    const color = bad ? 'red' : st.busy > 0.9 ? 'red' : st.busy > 0.6 ? 'orange' : 'grey';
    const fill = bad ? ', fillcolor="#ffd0d0", penwidth=3' : st.state === 'restarting' ? ', fillcolor="#fff0c0"' : '';
    lines.push(`  ${q(st.name)} [label="${st.name}\\nbusy ${Math.round(st.busy * 100)} %\\n${human(st.ratePerSec)} per/sec${lat}${restarts}${state}", color=${color}${fill}];`);
  }
  for (const r of s.rings) {
    const color = r.fill > 0.9 ? 'red' : r.fill > 0.6 ? 'orange' : 'grey';
    const width = 1 + Math.min(15, Math.floor(Math.log2(1 + r.ratePerSec / 1e6)));
    const unit = r.kind === 'bytes' ? ' bytes' : '';
    for (const to of r.to) {
      lines.push(`  ${q(r.from)} -> ${q(to)} [label="${r.name}\\n${human(r.ratePerSec)}${unit} per/sec\\nfilled ${Math.round(r.fill * 100)} %\\nCapacity: ${r.capacity}${unit} Total: ${r.published.toLocaleString('en-US')}", color=${color}, penwidth=${width}];`);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** A prom-client histogram whose buckets are the stages' shared latency counters (filled in the stage threads), as of the latest sample. */
class SharedLatencyHistogram extends Histogram<'stage'> {
  private readonly source: () => { names: string[]; tel: Float64Array };
  constructor(registry: Registry, source: () => { names: string[]; tel: Float64Array }) {
    super({ name: 'ringkit_stage_batch_duration_seconds', help: 'Handler time per batch', labelNames: ['stage'], buckets: LATENCY_BUCKETS_US.map((us) => us / 1e6), registers: [registry] });
    this.source = source;
  }

  getForPromString(): ReturnType<Histogram<'stage'>['get']> {
    const { names, tel } = this.source();
    const name = 'ringkit_stage_batch_duration_seconds';
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    names.forEach((stage, i) => {
      const b = i * TEL_WORDS;
      let cum = 0;
      LATENCY_BUCKETS_US.forEach((us, k) => {
        cum += tel[b + TEL_BUCKETS + k]!;
        values.push({ labels: { le: us / 1e6, stage }, value: cum, metricName: `${name}_bucket` });
      });
      const count = tel[b + TEL_LAT_COUNT]!;
      values.push({ labels: { le: '+Inf', stage }, value: count, metricName: `${name}_bucket` });
      values.push({ labels: { stage }, value: tel[b + TEL_LAT_SUM_US]! / 1e6, metricName: `${name}_sum` });
      values.push({ labels: { stage }, value: count, metricName: `${name}_count` });
    });
    return Promise.resolve({ name, help: 'Handler time per batch', type: 'histogram', values, aggregator: 'sum' }) as unknown as ReturnType<Histogram<'stage'>['get']>;
  }

  override get(): ReturnType<Histogram<'stage'>['get']> {
    return this.getForPromString();
  }
}

/**
 * A prom-client registry over the latest sample (nothing is sampled at scrape time): counters
 * for totals, gauges for levels and windowed rates, a histogram for batch latency.
 */
export function makeRegistry(snap: () => PipelineSnapshot, telAtSample: () => Float64Array): Registry {
  const registry = new Registry();
  const counter = <L extends string>(name: string, help: string, labelNames: L[], fill: (set: (labels: Record<L, string>, v: number) => void) => void): void => {
    new Counter<L>({ name, help, labelNames, registers: [registry], collect() {
      this.reset();
      fill((labels, v) => this.inc(labels as never, Math.max(0, v)));
    } });
  };
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (set: (labels: Record<L, string>, v: number) => void) => void): void => {
    new Gauge<L>({ name, help, labelNames, registers: [registry], collect() {
      this.reset();
      fill((labels, v) => this.set(labels as never, v));
    } });
  };
  const rings = (set: (r: RingSnapshot) => void): void => snap().rings.forEach(set);
  const stages = (set: (s: StageSnapshot) => void): void => snap().stages.forEach(set);
  counter('ringkit_ring_published_total', 'Entries (byte rings: bytes) published into the ring since start', ['ring', 'from'], (set) => rings((r) => set({ ring: r.name, from: r.from }, r.published)));
  counter('ringkit_ring_consumed_total', 'Entries handled by each consumer of a ring (work-group members each their own)', ['ring', 'consumer'], (set) => rings((r) => r.consumers.forEach((c) => set({ ring: r.name, consumer: c.stage }, c.consumed))));
  gauge('ringkit_ring_capacity', 'Ring capacity (slots; byte rings: bytes)', ['ring', 'from'], (set) => rings((r) => set({ ring: r.name, from: r.from }, r.capacity)));
  gauge('ringkit_ring_fill_ratio', 'Fraction of the ring not yet released by its slowest consumer (latest sample)', ['ring', 'from'], (set) => rings((r) => set({ ring: r.name, from: r.from }, r.fill)));
  gauge('ringkit_ring_fill_p80_ratio', '80th percentile of the fill samples over the window', ['ring', 'window'], (set) => rings((r) => r.windows.forEach((w) => set({ ring: r.name, window: `${w.seconds}s` }, w.fillP80))));
  gauge('ringkit_ring_rate_per_second', 'Entries published per second, averaged over the window', ['ring', 'window'], (set) => rings((r) => r.windows.forEach((w) => set({ ring: r.name, window: `${w.seconds}s` }, w.ratePerSec))));
  counter('ringkit_stage_batches_total', 'Batches handled by the stage', ['stage'], (set) => stages((s) => set({ stage: s.name }, s.batches)));
  counter('ringkit_stage_entries_total', 'Entries handled by the stage', ['stage'], (set) => stages((s) => set({ stage: s.name }, s.entries)));
  counter('ringkit_stage_restarts_total', 'Restarts of the stage thread (failure policy restart)', ['stage'], (set) => stages((s) => set({ stage: s.name }, s.restarts)));
  counter('ringkit_stage_batch_errors_total', 'Batches whose handler threw and onError retried or skipped', ['stage'], (set) => stages((s) => set({ stage: s.name }, s.batchErrors)));
  counter('ringkit_stage_skipped_batches_total', 'Batches skipped by onError', ['stage'], (set) => stages((s) => set({ stage: s.name }, s.skipped)));
  gauge('ringkit_stage_busy_ratio', 'Event-loop utilisation of the stage thread, averaged over the window', ['stage', 'window'], (set) => stages((s) => s.windows.forEach((w) => set({ stage: s.name, window: `${w.seconds}s` }, w.busy))));
  gauge('ringkit_stage_rate_per_second', 'Entries handled per second, averaged over the window', ['stage', 'window'], (set) => stages((s) => s.windows.forEach((w) => set({ stage: s.name, window: `${w.seconds}s` }, w.ratePerSec))));
  gauge('ringkit_stage_stalled', '1 while the stage is stalled (stallMs)', ['stage'], (set) => stages((s) => set({ stage: s.name }, s.state === 'stalled' ? 1 : 0)));
  gauge('ringkit_stage_up', '1 while the stage thread runs (0 while restarting, after failing or finishing)', ['stage'], (set) => stages((s) => set({ stage: s.name }, s.state === 'running' || s.state === 'paused' || s.state === 'stalled' ? 1 : 0)));
  new SharedLatencyHistogram(registry, () => ({ names: snap().stages.map((s) => s.name), tel: telAtSample() }));
  return registry;
}

function q(s: string): string {
  return `"${s.replace(/"/g, '\\"')}"`;
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us} µs`;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** 64M, 33K, 1.2B: steady_state-style rate labels (truncated). */
export function human(n: number): string {
  const units: Array<[number, string]> = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [v, u] of units) if (n >= v) return `${Math.floor(n / v)}${u}`;
  return `${Math.floor(n)}`;
}

/** The small telemetry HTTP server. */
export interface TelemetryServer {
  readonly port: number;
  close(): Promise<void>;
}

/** What the telemetry server serves. */
export interface TelemetrySource {
  snapshot(): PipelineSnapshot;
  dot(): string;
  metrics(): Promise<string>;
}

/**
 * Serves `/graph.dot` (Graphviz), `/metrics` (Prometheus text), `/snapshot.json` and an index page.
 * `port` 0 picks a free port (see `.port`).
 */
export function serveTelemetry(source: TelemetrySource, port: number, host = '127.0.0.1'): Promise<TelemetryServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (path === '/graph.dot') send(200, 'text/vnd.graphviz; charset=utf-8', source.dot());
    else if (path === '/metrics') {
      source.metrics().then((m) => send(200, 'text/plain; version=0.0.4; charset=utf-8', m), (e: Error) => send(500, 'text/plain', e.message));
    } else if (path === '/snapshot.json') send(200, 'application/json', JSON.stringify(source.snapshot()));
    else if (path === '/' || path === '/index.html') {
      send(200, 'text/html; charset=utf-8', '<!doctype html><html><head><title>Telemetry</title></head><body><h1>ringkit pipeline telemetry</h1><ul><li><a href="/graph.dot">/graph.dot</a></li><li><a href="/metrics">/metrics</a></li><li><a href="/snapshot.json">/snapshot.json</a></li></ul></body></html>');
    } else send(404, 'text/plain', `not found: ${path}; routes: /graph.dot /metrics /snapshot.json /\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}
