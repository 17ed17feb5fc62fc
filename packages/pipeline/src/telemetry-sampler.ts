/**
 * The telemetry sampler: on the pipeline's own timer (every `telemetryIntervalMs`), reads ring
 * cursors, consumer sequences, the stages' shared counters and each worker's event-loop
 * utilisation, and keeps the samples of the longest window. Readers (`snapshot()`, `/metrics`,
 * the DOT) only read the latest sample: how often anyone looks changes nothing.
 *
 * Windows (default 1 s / 10 s / 60 s): average rate (entries over the window ÷ its length),
 * fill percentiles (p50 / p80 / p99 / max of the samples in it), average busy.
 */
import type { ByteRing, Ring, Schema } from '@ringkit/core';
import { MAX_INPUTS, TEL_BATCHES, TEL_BATCH_ERRORS, TEL_BUSY_MS, TEL_ENTRIES, TEL_HOLD_SINCE, TEL_MAX_US, TEL_P50_US, TEL_P99_US, TEL_RETRIED, TEL_SKIPPED, TEL_WORDS, type SharedBlock } from './shared.js';
import type { Plan } from './spec.js';

/** A ring as telemetry sees it. */
export interface RingInfo {
  name: string;
  /** Producer stage (or `'main'` for self inputs). */
  from: string;
  kind: 'ring' | 'bytes';
  ring: Ring<Schema> | ByteRing;
  /** Slots (typed) or bytes (byte ring). */
  capacity: number;
  /**
   * Consumers: typed-ring consumers are read by their released sequence (what a handler polled
   * itself counts too); work-group members (`member`) and byte-ring readers by the stage's own
   * per-input counter (`slot`/`input`), so each member reports its own share.
   */
  consumers: Array<{ stage: string; id: number; slot: number; input: number; member?: boolean }>;
}

/** State of a stage as telemetry reports it. */
export type StageState = 'starting' | 'running' | 'paused' | 'stalled' | 'restarting' | 'done' | 'failed';

/** Averages over one window. */
export interface WindowStats {
  /** Window length, seconds (the samples available may cover less right after start: `coveredSec`). */
  seconds: number;
  coveredSec: number;
  ratePerSec: number;
}

/** Ring figures over one window. */
export interface RingWindow extends WindowStats {
  fillP50: number;
  fillP80: number;
  fillP99: number;
  fillMax: number;
}

/** Stage figures over one window. */
export interface StageWindow extends WindowStats {
  /** Average event-loop utilisation of the stage's thread over the window (0 … 1). */
  busy: number;
}

/** One ring in a snapshot. */
export interface RingSnapshot {
  name: string;
  from: string;
  to: string[];
  kind: 'ring' | 'bytes';
  /** Slots (typed ring) or bytes of record space (byte ring). */
  capacity: number;
  /** Entries (typed) or bytes (byte ring) published since start. */
  published: number;
  /** Fraction of the ring holding entries not yet released by the slowest consumer (0 … 1; typed rings). */
  fill: number;
  /** Published per second over the shortest window. */
  ratePerSec: number;
  /** Entries (records) handled by each consumer since start: a work-group member counts its own. */
  consumers: Array<{ stage: string; consumed: number }>;
  windows: RingWindow[];
}

/** One stage in a snapshot. */
export interface StageSnapshot {
  name: string;
  level: number;
  state: StageState;
  /** Restarts of the stage's thread. */
  restarts: number;
  batches: number;
  /** Entries handed to the handler since start (all incarnations). */
  entries: number;
  avgBatch: number;
  /** Event-loop utilisation of the stage's thread over the last sample period (awaits are idle, a hung handler is busy). */
  busy: number;
  /** Fraction of the last sample period inside handler calls (awaits included). */
  handlerBusy: number;
  /** Entries per second over the shortest window. */
  ratePerSec: number;
  /** Handler time per batch, microseconds (HDR histogram). */
  latencyUs?: { p50: number; p99: number; max: number };
  /** Batches whose handler threw and `onError` retried or skipped; of those skipped; retries. */
  batchErrors: number;
  skipped: number;
  retried: number;
  /** How long the stage has held its current batch, ms (0: none). */
  holdingMs: number;
  windows: StageWindow[];
}

/** The telemetry of a pipeline at one moment. */
export interface PipelineSnapshot {
  /** Wall-clock time of the sample, ms since the epoch. */
  t: number;
  /** Samples taken since start (one per `telemetryIntervalMs`). */
  samples: number;
  rings: RingSnapshot[];
  stages: StageSnapshot[];
}

/** What the sampler asks the supervisor about each stage. */
export interface StageProbe {
  state(slot: number): StageState;
  restarts(slot: number): number;
  /** Event-loop utilisation of the stage's worker since the last call (undefined: no worker now). */
  elu(slot: number): number | undefined;
}

interface RingState {
  info: RingInfo;
  last: number;
  total: number;
  consumed: number[];
  lastSeq: number[];
  fill: number;
}

/** One retained sample: totals and fills, for the windows. */
interface Sample {
  t: number;
  ringTotals: Float64Array;
  ringFills: Float64Array;
  stageEntries: Float64Array;
  stageBusy: Float64Array;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

/** Samples the pipeline on its own timer; holds the windows. */
export class TelemetrySampler {
  private readonly rings: RingState[];
  private readonly plan: Plan;
  private readonly shared: SharedBlock;
  private readonly probe: StageProbe;
  readonly intervalMs: number;
  private readonly windowsSec: number[];
  private readonly onSample: (s: PipelineSnapshot) => void;
  private readonly history: Sample[] = [];
  private readonly keep: number;
  private timer: NodeJS.Timeout | undefined;
  private lastT = Date.now();
  private readonly lastTel: Float64Array;
  private readonly busy: Float64Array;
  private readonly handlerBusy: Float64Array;
  private latest: PipelineSnapshot | undefined;
  private count = 0;

  constructor(plan: Plan, rings: RingInfo[], shared: SharedBlock, probe: StageProbe, intervalMs: number, windowsSec: number[], onSample: (s: PipelineSnapshot) => void) {
    this.plan = plan;
    this.shared = shared;
    this.probe = probe;
    this.intervalMs = intervalMs;
    this.windowsSec = [...windowsSec].sort((a, b) => a - b);
    this.onSample = onSample;
    this.keep = Math.ceil((this.windowsSec[this.windowsSec.length - 1]! * 1000) / intervalMs) + 2;
    this.rings = rings.map((info) => {
      const start = info.ring.cursor;
      return { info, last: start, total: 0, consumed: info.consumers.map(() => 0), lastSeq: info.consumers.map((c) => this.tapSequence(info, c.id, start)), fill: 0 };
    });
    const n = plan.stages.length;
    this.lastTel = new Float64Array(n * TEL_WORDS);
    this.busy = new Float64Array(n);
    this.handlerBusy = new Float64Array(n);
  }

  private tapSequence(info: RingInfo, id: number, fallback: number): number {
    return info.kind === 'ring' ? (info.ring as Ring<Schema>).consumerSequence(id) : fallback;
  }

  /** Adds a main-thread consumer (a tap) to a ring's telemetry. */
  addTap(ring: string, id: number): void {
    const r = this.rings.find((x) => x.info.name === ring);
    if (r === undefined) return;
    r.info.consumers.push({ stage: 'main', id, slot: -1, input: -1 });
    r.consumed.push(0);
    r.lastSeq.push(this.tapSequence(r.info, id, r.last));
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

  /** Takes a sample now (the timer does; `stop()` takes a last one). */
  sample(): PipelineSnapshot {
    const now = Date.now();
    const dt = Math.max(1, now - this.lastT) / 1000;
    this.lastT = now;
    const tel = this.shared.tel;
    const inputs = this.shared.inputEntries;
    const ringTotals = new Float64Array(this.rings.length);
    const ringFills = new Float64Array(this.rings.length);
    this.rings.forEach((r, k) => {
      const cur = r.info.ring.cursor;
      r.total += (cur - r.last) | 0;
      r.last = cur;
      let minReleased = Infinity;
      r.info.consumers.forEach((c, i) => {
        if (c.slot >= 0 && (c.member === true || r.info.kind === 'bytes')) {
          r.consumed[i] = inputs[c.slot * MAX_INPUTS + c.input]!;
        } else if (r.info.kind === 'ring') {
          const seq = (r.info.ring as Ring<Schema>).consumerSequence(c.id);
          r.consumed[i]! += (seq - r.lastSeq[i]!) | 0;
          r.lastSeq[i] = seq;
        }
      });
      if (r.info.kind === 'ring' && r.info.consumers.length > 0) {
        const ring = r.info.ring as Ring<Schema>;
        const gating = ring.gatingSequence();
        minReleased = (cur - gating) | 0;
      }
      r.fill = minReleased === Infinity ? 0 : Math.min(1, Math.max(0, minReleased / r.info.capacity));
      ringTotals[k] = r.total;
      ringFills[k] = r.fill;
    });
    const n = this.plan.stages.length;
    const stageEntries = new Float64Array(n);
    const stageBusy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const b = i * TEL_WORDS;
      this.handlerBusy[i] = Math.min(1, (tel[b + TEL_BUSY_MS]! - this.lastTel[b + TEL_BUSY_MS]!) / (dt * 1000));
      const elu = this.probe.elu(i);
      this.busy[i] = elu ?? 0;
      for (let k = 0; k < TEL_WORDS; k++) this.lastTel[b + k] = tel[b + k]!;
      stageEntries[i] = tel[b + TEL_ENTRIES]!;
      stageBusy[i] = this.busy[i]!;
    }
    this.history.push({ t: now, ringTotals, ringFills, stageEntries, stageBusy });
    if (this.history.length > this.keep) this.history.shift();
    this.count++;
    this.latest = this.build(now);
    this.onSample(this.latest);
    return this.latest;
  }

  /** The retained samples within `sec` seconds of the newest (at least the newest two). */
  private windowOf(sec: number): Sample[] {
    const h = this.history;
    const newest = h[h.length - 1]!;
    let i = h.length - 1;
    while (i > 0 && newest.t - h[i - 1]!.t <= sec * 1000 + this.intervalMs / 2) i--;
    return h.slice(Math.min(i, Math.max(0, h.length - 2)));
  }

  private build(t: number): PipelineSnapshot {
    const tel = this.shared.tel;
    const windows = this.windowsSec.map((sec) => ({ sec, samples: this.windowOf(sec) }));
    const rate = (samples: Sample[], pick: (s: Sample) => number): { rate: number; covered: number } => {
      const a = samples[0]!;
      const z = samples[samples.length - 1]!;
      const covered = (z.t - a.t) / 1000;
      return { rate: covered > 0 ? (pick(z) - pick(a)) / covered : 0, covered };
    };
    return {
      t,
      samples: this.count,
      rings: this.rings.map((r, k) => {
        const ws: RingWindow[] = windows.map(({ sec, samples }) => {
          const { rate: ratePerSec, covered } = rate(samples, (s) => s.ringTotals[k]!);
          const fills = samples.map((s) => s.ringFills[k]!).sort((x, y) => x - y);
          return { seconds: sec, coveredSec: covered, ratePerSec, fillP50: percentile(fills, 0.5), fillP80: percentile(fills, 0.8), fillP99: percentile(fills, 0.99), fillMax: fills[fills.length - 1] ?? 0 };
        });
        return {
          name: r.info.name,
          from: r.info.from,
          to: r.info.consumers.map((c) => c.stage),
          kind: r.info.kind,
          capacity: r.info.capacity,
          published: r.total,
          fill: r.fill,
          ratePerSec: ws[0]!.ratePerSec,
          consumers: r.info.consumers.map((c, i) => ({ stage: c.stage, consumed: r.consumed[i]! })),
          windows: ws,
        };
      }),
      stages: this.plan.stages.map((p, i) => {
        const b = i * TEL_WORDS;
        const batches = tel[b + TEL_BATCHES]!;
        const entries = tel[b + TEL_ENTRIES]!;
        const since = tel[b + TEL_HOLD_SINCE]!;
        const ws: StageWindow[] = windows.map(({ sec, samples }) => {
          const { rate: ratePerSec, covered } = rate(samples, (s) => s.stageEntries[i]!);
          const busy = samples.length <= 1 ? 0 : samples.slice(1).reduce((sum, s) => sum + s.stageBusy[i]!, 0) / (samples.length - 1);
          return { seconds: sec, coveredSec: covered, ratePerSec, busy };
        });
        const s: StageSnapshot = {
          name: p.spec.name,
          level: p.level,
          state: this.probe.state(i),
          restarts: this.probe.restarts(i),
          batches,
          entries,
          avgBatch: batches === 0 ? 0 : entries / batches,
          busy: this.busy[i]!,
          handlerBusy: this.handlerBusy[i]!,
          ratePerSec: ws[0]!.ratePerSec,
          batchErrors: tel[b + TEL_BATCH_ERRORS]!,
          skipped: tel[b + TEL_SKIPPED]!,
          retried: tel[b + TEL_RETRIED]!,
          holdingMs: since > 0 ? Math.max(0, t - since) : 0,
          windows: ws,
        };
        if (batches > 0) s.latencyUs = { p50: tel[b + TEL_P50_US]!, p99: tel[b + TEL_P99_US]!, max: tel[b + TEL_MAX_US]! };
        return s;
      }),
    };
  }

  /** The stages' telemetry words as of the latest sample (latency buckets for /metrics). */
  telAtSample(): Float64Array {
    return this.lastTel;
  }

  /** The latest sample (taken now only if none was taken yet). */
  snapshot(): PipelineSnapshot {
    return this.latest ?? this.sample();
  }
}
