import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import type { Consumer, Ring, Schema } from '@ringkit/core';
import { TEL_BATCHES, TEL_BUSY_MS, TEL_ENTRIES, TEL_MAX_US, TEL_P50_US, TEL_P99_US, TEL_WORDS, type SharedBlock } from './shared.js';
import type { Plan } from './spec.js';

/** A ring as telemetry sees it. */
export interface RingInfo {
  name: string;
  /** Producer stage (or `'main'` for self inputs). */
  from: string;
  ring: Ring<Schema>;
  consumers: Array<{ stage: string; id: number }>;
}

/** One ring in a snapshot. */
export interface RingSnapshot {
  name: string;
  from: string;
  to: string[];
  capacity: number;
  /** Entries published since start. */
  published: number;
  /** Fraction of the ring holding entries not yet released by the slowest consumer (0 … 1). */
  fill: number;
  /** Published entries per second over the last sample period. */
  ratePerSec: number;
  /** Entries released by each consumer since start. */
  consumers: Array<{ stage: string; consumed: number }>;
}

/** One stage in a snapshot. */
export interface StageSnapshot {
  name: string;
  level: number;
  batches: number;
  /** Entries handed to the handler since start. */
  entries: number;
  avgBatch: number;
  /** Fraction of the last sample period spent in the handler (0 … 1). */
  busy: number;
  /** Entries per second over the last sample period. */
  ratePerSec: number;
  /** Handler time per batch, microseconds (HDR histogram). */
  latencyUs?: { p50: number; p99: number; max: number };
}

/** The telemetry of a pipeline at one moment. */
export interface PipelineSnapshot {
  /** Wall-clock time of the sample, ms since the epoch. */
  t: number;
  rings: RingSnapshot[];
  stages: StageSnapshot[];
}

interface RingState {
  info: RingInfo;
  handles: Array<{ stage: string; consumer: Consumer<Schema>; last: number; total: number }>;
  last: number;
  total: number;
  rate: number;
  fill: number;
}

/** Samples the shared counters and ring cursors; renders snapshot, DOT and Prometheus text. */
export class Telemetry {
  private readonly rings: RingState[];
  private readonly plan: Plan;
  private readonly shared: SharedBlock;
  private readonly intervalMs: number;
  private readonly onSample: (s: PipelineSnapshot) => void;
  private timer: NodeJS.Timeout | undefined;
  private lastT = Date.now();
  private lastStage: Float64Array;
  private stageRate: Float64Array;
  private stageBusy: Float64Array;
  private latest: PipelineSnapshot | undefined;
  private registry: Registry | undefined;

  constructor(plan: Plan, rings: RingInfo[], shared: SharedBlock, intervalMs: number, onSample: (s: PipelineSnapshot) => void) {
    this.plan = plan;
    this.shared = shared;
    this.intervalMs = intervalMs;
    this.onSample = onSample;
    this.rings = rings.map((info) => {
      const start = info.ring.cursor;
      return {
        info,
        handles: info.consumers.map((c) => ({ stage: c.stage, consumer: info.ring.openConsumer(c.id), last: start, total: 0 })),
        last: start,
        total: 0,
        rate: 0,
        fill: 0,
      };
    });
    const n = plan.stages.length;
    this.lastStage = new Float64Array(n * TEL_WORDS);
    this.stageRate = new Float64Array(n);
    this.stageBusy = new Float64Array(n);
  }

  /** Adds a main-thread consumer (a tap) to a ring's telemetry. */
  addConsumer(ring: string, stage: string, id: number): void {
    const r = this.rings.find((x) => x.info.name === ring);
    if (r === undefined) return;
    r.info.consumers.push({ stage, id });
    r.handles.push({ stage, consumer: r.info.ring.openConsumer(id), last: r.last, total: 0 });
  }

  start(): void {
    this.lastT = Date.now();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes a sample now. */
  sample(): PipelineSnapshot {
    const now = Date.now();
    const dt = Math.max(1, now - this.lastT) / 1000;
    this.lastT = now;
    for (const r of this.rings) {
      const cur = r.info.ring.cursor;
      const d = (cur - r.last) | 0;
      r.last = cur;
      r.total += d;
      r.rate = d / dt;
      let minTotal = r.total;
      for (const h of r.handles) {
        const seq = h.consumer.sequence;
        h.total += (seq - h.last) | 0;
        h.last = seq;
        if (h.total < minTotal) minTotal = h.total;
      }
      r.fill = r.handles.length === 0 ? 0 : Math.min(1, Math.max(0, (r.total - minTotal) / r.info.ring.capacity));
    }
    const tel = this.shared.tel;
    for (let i = 0; i < this.plan.stages.length; i++) {
      const b = i * TEL_WORDS;
      this.stageRate[i] = (tel[b + TEL_ENTRIES]! - this.lastStage[b + TEL_ENTRIES]!) / dt;
      this.stageBusy[i] = Math.min(1, (tel[b + TEL_BUSY_MS]! - this.lastStage[b + TEL_BUSY_MS]!) / (dt * 1000));
      for (let k = 0; k < TEL_WORDS; k++) this.lastStage[b + k] = tel[b + k]!;
    }
    this.latest = this.build(now);
    this.onSample(this.latest);
    return this.latest;
  }

  private build(t: number): PipelineSnapshot {
    const tel = this.shared.tel;
    return {
      t,
      rings: this.rings.map((r) => ({
        name: r.info.name,
        from: r.info.from,
        to: r.handles.map((h) => h.stage),
        capacity: r.info.ring.capacity,
        published: r.total,
        fill: r.fill,
        ratePerSec: r.rate,
        consumers: r.handles.map((h) => ({ stage: h.stage, consumed: h.total })),
      })),
      stages: this.plan.stages.map((p, i) => {
        const b = i * TEL_WORDS;
        const batches = tel[b + TEL_BATCHES]!;
        const entries = tel[b + TEL_ENTRIES]!;
        const s: StageSnapshot = {
          name: p.spec.name,
          level: p.level,
          batches,
          entries,
          avgBatch: batches === 0 ? 0 : entries / batches,
          busy: this.stageBusy[i]!,
          ratePerSec: this.stageRate[i]!,
        };
        if (batches > 0) s.latencyUs = { p50: tel[b + TEL_P50_US]!, p99: tel[b + TEL_P99_US]!, max: tel[b + TEL_MAX_US]! };
        return s;
      }),
    };
  }

  /** The latest sample (taken now if none yet). */
  snapshot(): PipelineSnapshot {
    return this.latest ?? this.sample();
  }

  /** Graphviz DOT in the spirit of steady_state: per edge rate, fill, capacity and total; red when full. */
  dot(): string {
    const s = this.snapshot();
    const lines = ['digraph pipeline {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="monospace"];', '  edge [fontname="monospace", fontsize=10];'];
    if (s.rings.some((r) => r.from === 'main') || s.rings.some((r) => r.to.includes('main'))) lines.push('  "main" [shape=ellipse, label="main thread"];');
    for (const st of s.stages) {
      const lat = st.latencyUs === undefined ? '' : `\\nbatch p99 ${fmtUs(st.latencyUs.p99)}`;
      const color = st.busy > 0.9 ? 'red' : st.busy > 0.6 ? 'orange' : 'grey';
      lines.push(`  ${q(st.name)} [label="${st.name}\\nbusy ${Math.round(st.busy * 100)} %\\n${human(st.ratePerSec)} per/sec${lat}", color=${color}];`);
    }
    for (const r of s.rings) {
      const color = r.fill > 0.9 ? 'red' : r.fill > 0.6 ? 'orange' : 'grey';
      const width = 1 + Math.min(15, Math.floor(Math.log2(1 + r.ratePerSec / 1e6)));
      for (const to of r.to) {
        lines.push(`  ${q(r.from)} -> ${q(to)} [label="${r.name}\\n${human(r.ratePerSec)} per/sec\\nfilled ${Math.round(r.fill * 100)} %\\nCapacity: ${r.capacity} Total: ${r.published.toLocaleString('en-US')}", color=${color}, penwidth=${width}];`);
      }
    }
    lines.push('}');
    return `${lines.join('\n')}\n`;
  }

  /** Prometheus text via a prom-client registry (gauges read from the latest sample at scrape time). */
  metrics(): Promise<string> {
    if (this.registry === undefined) this.registry = this.makeRegistry();
    this.sample();
    return this.registry.metrics();
  }

  private makeRegistry(): Registry {
    const registry = new Registry();
    const snap = (): PipelineSnapshot => this.snapshot();
    const ringGauge = (name: string, help: string, pick: (r: RingSnapshot) => number): void => {
      new Gauge({ name, help, labelNames: ['ring', 'from'], registers: [registry], collect() {
        for (const r of snap().rings) this.set({ ring: r.name, from: r.from }, pick(r));
      } });
    };
    const stageGauge = (name: string, help: string, pick: (s: StageSnapshot) => number): void => {
      new Gauge({ name, help, labelNames: ['stage'], registers: [registry], collect() {
        for (const s of snap().stages) this.set({ stage: s.name }, pick(s));
      } });
    };
    ringGauge('ringkit_ring_published_total', 'Entries published into the ring since start', (r) => r.published);
    ringGauge('ringkit_ring_capacity', 'Ring capacity (slots)', (r) => r.capacity);
    ringGauge('ringkit_ring_fill_ratio', 'Fraction of the ring not yet released by its slowest consumer', (r) => r.fill);
    ringGauge('ringkit_ring_rate_per_second', 'Entries published per second (last sample period)', (r) => r.ratePerSec);
    new Gauge({ name: 'ringkit_ring_consumed_total', help: 'Entries released by each consumer of a ring', labelNames: ['ring', 'consumer'], registers: [registry], collect() {
      for (const r of snap().rings) for (const c of r.consumers) this.set({ ring: r.name, consumer: c.stage }, c.consumed);
    } });
    stageGauge('ringkit_stage_batches_total', 'Batches handled by the stage', (s) => s.batches);
    stageGauge('ringkit_stage_entries_total', 'Entries handled by the stage', (s) => s.entries);
    stageGauge('ringkit_stage_avg_batch', 'Average batch size', (s) => s.avgBatch);
    stageGauge('ringkit_stage_busy_ratio', 'Fraction of time spent in the handler (last sample period)', (s) => s.busy);
    stageGauge('ringkit_stage_rate_per_second', 'Entries handled per second (last sample period)', (s) => s.ratePerSec);
    new Gauge({ name: 'ringkit_stage_batch_latency_microseconds', help: 'Handler time per batch (HDR histogram percentiles)', labelNames: ['stage', 'quantile'], registers: [registry], collect() {
      for (const s of snap().stages) {
        if (s.latencyUs === undefined) continue;
        this.set({ stage: s.name, quantile: '0.5' }, s.latencyUs.p50);
        this.set({ stage: s.name, quantile: '0.99' }, s.latencyUs.p99);
        this.set({ stage: s.name, quantile: '1' }, s.latencyUs.max);
      }
    } });
    return registry;
  }
}

function q(s: string): string {
  return `"${s.replace(/"/g, '\\"')}"`;
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us} µs`;
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
