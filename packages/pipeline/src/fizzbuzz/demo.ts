import { InvalidArgumentError } from '@ringkit/core';
import { Pipeline } from '../pipeline.js';
import type { PipelineSpec } from '../spec.js';
import { wallMs, type WorkerForm } from './stages.js';

export type { WorkerForm } from './stages.js';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Heartbeat period in ms (steady_state `--rate`). Defaults to 2. */
  rateMs?: number;
  /** Heartbeats before the demo stops itself (steady_state `--beats`). Defaults to 30,000 (with `seconds`: unlimited). */
  beats?: number;
  /** Stop after this many seconds (whichever comes first with `beats`). */
  seconds?: number;
  /** Stop after exactly this many generated messages (whichever comes first; with it `beats` defaults to unlimited). */
  messages?: number;
  /** Ring capacity (power of two). Defaults to 2^20. */
  capacity?: number;
  /** Telemetry sample period, ms. Defaults to 250. */
  telemetryIntervalMs?: number;
  /**
   * Heartbeat pacing (the lesson): each beat lets the worker take at most two half-channels of
   * the generator ring. `false`: heartbeats are only counted. Defaults to true.
   */
  paced?: boolean;
  /** How the worker moves a batch: `'zero-copy'` (default) or `'double-buffer'` (the lesson's default). */
  worker?: WorkerForm;
  /** Heartbeat and generator as one troupe: two stages on one worker thread, as in the lesson. Defaults to false. */
  troupe?: boolean;
}

/** The demo's final figures (the `--json` fields plus heartbeats). */
export interface DemoResult {
  generated: number;
  processed: number;
  fizz: number;
  buzz: number;
  fizzbuzz: number;
  value: number;
  /** Messages per second end to end: processed / seconds (start-up and drain included). */
  msgsPerSec: number;
  /** Seconds from the pipeline's start to the end of the drain. */
  seconds: number;
  heartbeats: number;
  /** Milliseconds from `startDemo` until every stage reported ready (module loaded, `init` done) and was given the go: `start()` resolved. */
  readyMs: number;
  /** Milliseconds from `startDemo` until the first message reached the logger (0 messages: the whole run). */
  firstMessageMs: number;
  /** Milliseconds from `startDemo` until the logger ran at ≥ 90 % of the sustained rate. */
  steadyMs: number;
  /** Messages per second while running: processed / (last message logged − first message generated). */
  sustainedMsgsPerSec: number;
  paced: boolean;
  worker: WorkerForm;
  /** Worker threads the stages ran on (3 with the troupe, else 4). */
  threads: number;
  /** Paced runs: the most the worker may take, (heartbeats + 1) × capacity (two half rings per beat, plus the drain of one ring at the end). */
  pacedBound: number | undefined;
}

/** A running demo. `pause`/`resume` pause the generator (a shared Int32 flag it checks per half ring). */
export interface DemoHandle {
  pipeline: Pipeline;
  pause(): void;
  resume(): void;
  stop(): Promise<DemoResult>;
  done: Promise<DemoResult>;
}

/** The FizzBuzz pipeline: heartbeat + generator (level 0) → worker (level 1) → logger (level 2). */
export function demoSpec(options: DemoOptions = {}): PipelineSpec {
  const rateMs = options.rateMs ?? 2;
  const beats = options.beats ?? (options.seconds !== undefined || options.messages !== undefined ? Number.MAX_SAFE_INTEGER : 30_000);
  const capacity = options.capacity ?? 2 ** 20;
  if (!(rateMs > 0 && rateMs <= 60_000)) throw new InvalidArgumentError(`rate must be a number of milliseconds in (0, 60000]: rate=${String(rateMs)}`);
  if (!(Number.isInteger(beats) && beats >= 1)) throw new InvalidArgumentError(`beats must be a positive integer: beats=${String(beats)}`);
  if (options.seconds !== undefined && !(options.seconds > 0)) throw new InvalidArgumentError(`seconds must be a positive number: seconds=${String(options.seconds)}`);
  if (options.messages !== undefined && !(Number.isSafeInteger(options.messages) && options.messages >= 1)) {
    throw new InvalidArgumentError(`messages must be a positive integer: messages=${String(options.messages)}`);
  }
  if (!(Number.isInteger(capacity) && capacity >= 16 && capacity <= 2 ** 26 && (capacity & (capacity - 1)) === 0)) {
    throw new InvalidArgumentError(`capacity must be a power of two in [16, 2^26]: capacity=${String(capacity)}`);
  }
  const paced = options.paced ?? true;
  const form = options.worker ?? 'zero-copy';
  if (typeof paced !== 'boolean') throw new InvalidArgumentError(`paced must be a boolean: paced=${String(paced)}`);
  if (form !== 'zero-copy' && form !== 'double-buffer') throw new InvalidArgumentError(`worker must be 'zero-copy' or 'double-buffer': worker=${String(form)}`);
  const module = new URL('./stages.js', import.meta.url);
  const troupe = options.troupe === true ? 'sources' : undefined;
  return {
    telemetryIntervalMs: options.telemetryIntervalMs ?? 250,
    stopTimeoutMs: 20_000,
    levels: [
      {
        stages: [
          { name: 'heartbeat', module, export: 'heartbeat', options: { rateMs, beats }, output: { schema: { beat: 'f64' }, capacity: 1024 }, troupe },
          { name: 'generator', module, export: 'generator', options: { messages: options.messages }, output: { schema: { value: 'f64' }, capacity }, troupe },
        ],
      },
      {
        stages: [{
          name: 'worker', module, export: 'worker', maxBatch: capacity >>> 1, options: { paced, form },
          inputs: [{ from: 'heartbeat', schema: { beat: 'f64' } }, { from: 'generator', schema: { value: 'f64' } }],
          output: { schema: { msg: 'f64' }, capacity },
        }],
      },
      { stages: [{ name: 'logger', module, export: 'logger', inputs: [{ from: 'worker', schema: { msg: 'f64' } }] }] },
    ],
  };
}

/** Steady once the logger's rate over this window reaches 90 % of the sustained rate. */
const STEADY_WINDOW_MS = 50;

/** Wall-clock ms from the logger's progress timeline (flat `[ms, count, …]`) when the rate first holds ≥ 90 % of `rate`. */
function steadyAt(timeline: readonly number[], rate: number, fallback: number): number {
  for (let i = 0; i + 2 < timeline.length; i += 2) {
    let j = i + 2;
    while (j + 2 < timeline.length && timeline[j]! - timeline[i]! < STEADY_WINDOW_MS) j += 2;
    const dt = timeline[j]! - timeline[i]!;
    if (dt >= STEADY_WINDOW_MS && ((timeline[j + 1]! - timeline[i + 1]!) * 1000) / dt >= 0.9 * rate) return timeline[i]!;
  }
  return fallback;
}

/** When the run's phases happened (wall-clock ms): `startDemo` called, every stage ready. */
interface Moments {
  startedAt: number;
  readyAt: number;
}

function resultOf(results: Record<string, unknown>, seconds: number, options: DemoOptions, at: Moments): DemoResult {
  const g = results.generator as { generated: number; firstAt: number };
  const w = results.worker as { processed: number };
  const l = results.logger as { fizz: number; buzz: number; fizzbuzz: number; value: number; firstAt: number; lastAt: number; timeline: number[] };
  const h = results.heartbeat as { beats: number };
  const runMs = l.lastAt - g.firstAt;
  const sustained = w.processed > 0 && runMs > 0 ? (w.processed * 1000) / runMs : 0;
  const firstMessageMs = l.firstAt > 0 ? l.firstAt - at.startedAt : seconds * 1000;
  const round1 = (x: number): number => Math.round(x * 10) / 10;
  return {
    generated: g.generated,
    processed: w.processed,
    fizz: l.fizz,
    buzz: l.buzz,
    fizzbuzz: l.fizzbuzz,
    value: l.value,
    msgsPerSec: Math.round(w.processed / seconds),
    seconds,
    heartbeats: h.beats,
    readyMs: round1(at.readyAt - at.startedAt),
    firstMessageMs: round1(firstMessageMs),
    steadyMs: round1(Math.max(firstMessageMs, steadyAt(l.timeline, sustained, l.firstAt) - at.startedAt)),
    sustainedMsgsPerSec: Math.round(sustained),
    threads: new Set(Object.values(results).map((r) => (r as { thread: number }).thread)).size,
    paced: options.paced ?? true,
    worker: options.worker ?? 'zero-copy',
    pacedBound: options.paced === false ? undefined : (h.beats + 1) * (options.capacity ?? 2 ** 20),
  };
}

/**
 * Starts the FizzBuzz demo; resolves once every stage is ready. It stops by itself after
 * `beats` heartbeats, `messages` or `seconds`, or when `stop()` is called; `done` then resolves with the counts.
 */
export async function startDemo(options: DemoOptions = {}): Promise<DemoHandle> {
  const at: Moments = { startedAt: wallMs(), readyAt: 0 };
  at.readyAt = at.startedAt;
  const pipeline = new Pipeline(demoSpec(options));
  let timer: NodeJS.Timeout | undefined;
  const done = pipeline.done.then((r) => {
    clearTimeout(timer);
    return resultOf(r.results, r.seconds, options, at);
  }, (e: unknown) => {
    clearTimeout(timer);
    throw e;
  });
  done.catch(() => undefined);
  await pipeline.start();
  at.readyAt = wallMs();
  if (options.seconds !== undefined) timer = setTimeout(() => void pipeline.stop().catch(() => undefined), options.seconds * 1000);
  return {
    pipeline,
    pause: () => pipeline.pause('generator'),
    resume: () => pipeline.resume('generator'),
    stop: async () => {
      await pipeline.stop().catch(() => undefined);
      return done;
    },
    done,
  };
}
