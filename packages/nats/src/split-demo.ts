/**
 * The FizzBuzz demo split across two processes (or hosts) at the level boundary generator →
 * worker, the rings that cross it (heartbeat, generator) bridged through JetStream: the code of
 * `ringkit demo --nats <url> --part generator|worker` and of `examples/nats-fizzbuzz.mjs`.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, describe } from '@ringkit/core';
import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { demoSpec, Pipeline, type TelemetrySource } from '@ringkit/pipeline';
import { connectNats, serverNames, type NatsConnectOptions } from './connection.js';
import { newRunId, nextRun, publishMarker, supersededBy, type RunStart } from './split-demo-runs.js';
import { splitPipeline, type SplitPipeline } from './split.js';
import type { NatsSinkStageOptions, NatsSourceStageOptions } from './stages.js';
import type { BridgeStats } from './stats.js';
import { streamFor } from './stream.js';

/** Subject prefix (and, upper-cased, stream name `FIZZBUZZ`) of the split demo. */
export const SPLIT_DEMO_PREFIX = 'fizzbuzz';

/** What a part reports while it runs (`ringkit demo --nats` prints them on stderr). */
export type SplitDemoEvent =
  /** Generator: started run `run` (its start marker at stream sequence `sequence`). Worker: counts run `run` from `sequence` on. */
  | { kind: 'run'; run: string; sequence: number }
  /** Worker: no run to take (none in the stream, or the newest was counted to its end already): waiting for a generator part. */
  | { kind: 'waiting' }
  /** Worker: run `run` was superseded by a newer run (a generator part restarted); its counts are dropped. */
  | { kind: 'superseded'; run: string; by: string | undefined };

/** Options of {@link startSplitDemo}. */
export interface SplitDemoOptions {
  /** Which half runs here: `'generator'` (heartbeat + generator → NATS) or `'worker'` (NATS → worker → logger). Required. */
  part: 'generator' | 'worker';
  /** NATS server URL(s). Required. */
  servers: string | readonly string[];
  /** Heartbeats before the generator part stops itself. Defaults to 300. */
  beats?: number;
  /** Heartbeat period, ms. Defaults to 2. */
  rateMs?: number;
  /** Ring capacity, a power of two. Defaults to 65536. */
  capacity?: number;
  /** Further connection options (credentials, TLS, …). */
  connection?: Omit<NatsConnectOptions, 'servers'>;
  /** Called with the part's progress: the run it follows, waiting for one, a run superseded. */
  onEvent?: (event: SplitDemoEvent) => void;
}

/** The bridge counters of one nats stage, as the demo prints them. */
export type SplitDemoBridge = Pick<BridgeStats, 'published' | 'acked' | 'messages' | 'redelivered' | 'dupDropped' | 'ignored' | 'held' | 'lost' | 'retries'>;

/** The exact counts of one part. Generator part: `generated`; worker part: `processed` and the FizzBuzz counts. */
export interface SplitDemoResult {
  part: 'generator' | 'worker';
  /** The run (generator part) the counts are of: the same id on both parts. */
  run: string;
  heartbeats: number;
  generated?: number;
  processed?: number;
  fizz?: number;
  buzz?: number;
  fizzbuzz?: number;
  value?: number;
  /** Worker: runs it began counting and dropped because a newer run superseded them. */
  superseded?: number;
  seconds: number;
  /** Per nats stage (`heartbeat.nats`, `generator.nats` upstream; `heartbeat`, `generator` downstream). */
  bridge: Record<string, SplitDemoBridge>;
}

/**
 * A running part: the pipeline of its current run (the worker part starts a new one when its run
 * is superseded), `stop()` and `done` with the part's counts. It is a telemetry source itself
 * (`serveTelemetry(handle, port)`, `bindTelemetry(board, handle)`): the current pipeline's.
 */
export interface SplitDemoHandle extends TelemetrySource {
  /** The pipeline of the current run. */
  readonly pipeline: Pipeline;
  /** The id of the current run. */
  readonly run: string;
  stop(): Promise<SplitDemoResult>;
  done: Promise<SplitDemoResult>;
}

function isBridge(r: unknown): r is BridgeStats {
  return r !== null && typeof r === 'object' && 'role' in r && 'acked' in r;
}

const STREAM = SPLIT_DEMO_PREFIX.toUpperCase();
const RUN_SUBJECT = `${SPLIT_DEMO_PREFIX}.run`;
/** The stream both parts use: every subject of the prefix (the rings and the run markers). */
const CREATE_STREAM = { name: STREAM, subjects: [`${SPLIT_DEMO_PREFIX}.>`] };
/** A worker's consumers of a run it no longer reads (killed worker) are removed by the server after this, ns. */
const CONSUMER_INACTIVE_NS = 10 * 60 * 1e9;

/**
 * Starts one part of the split FizzBuzz demo. Each stops itself: the generator part after
 * `beats` heartbeats, the worker part once the end markers of both crossing rings of its run
 * arrived (so the worker part's `processed` equals the generator part's `generated`).
 *
 * Runs (see `split-demo-runs.ts`): the generator part purges the stream, publishes a start
 * marker with a new run id, and gives its ring identities that id. The worker part takes the
 * newest run no worker counted to its end yet, or waits for a generator part (the promise
 * resolves once it took a run); it reads that run from its start marker on and only that run's
 * ring identities; a newer run (a restarted generator part) supersedes it: counts dropped,
 * started over on the new run. So whichever part starts first, restarts of either part and
 * leftovers of earlier runs give exact counts of one run on both parts.
 * @throws {@link InvalidArgumentError} for a bad part or option; connection errors of `@ringkit/nats`.
 */
export async function startSplitDemo(options: SplitDemoOptions): Promise<SplitDemoHandle> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object { part, servers, ... }: options=${describe(options)}`);
  const { part } = options;
  if (part !== 'generator' && part !== 'worker') throw new InvalidArgumentError(`part must be 'generator' or 'worker': part=${describe(part)}`);
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new InvalidArgumentError(`options.onEvent must be a function: onEvent=${describe(options.onEvent)}`);
  const connection: NatsConnectOptions = { reconnectDelayMs: 50, ...options.connection, servers: options.servers };
  const spec = demoSpec({ beats: options.beats ?? 300, rateMs: options.rateMs ?? 2, capacity: options.capacity ?? 1 << 16 });
  const split = (run: string): SplitPipeline => splitPipeline(spec, { level: 1, connection, prefix: SPLIT_DEMO_PREFIX, ringIdSuffix: `.${run}`, createStream: CREATE_STREAM });
  const onEvent = options.onEvent ?? ((): void => undefined);
  const nc = await connectNats(connection);
  try {
    const { jsm } = await streamFor(nc, serverNames(connection), RUN_SUBJECT, CREATE_STREAM);
    return part === 'generator' ? await startGenerator(nc, jsm, split, onEvent) : await startWorker(nc, jsm, split, onEvent);
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw e;
  }
}

type Split = (run: string) => SplitPipeline;

function toResult(part: 'generator' | 'worker', run: string, { results, seconds }: { results: Record<string, unknown>; seconds: number }, superseded = 0): SplitDemoResult {
  const bridge: Record<string, SplitDemoBridge> = {};
  for (const [name, r] of Object.entries(results)) {
    if (!isBridge(r)) continue;
    const { published, acked, messages, redelivered, dupDropped, ignored, held, lost, retries } = r;
    bridge[name] = { published, acked, messages, redelivered, dupDropped, ignored, held, lost, retries };
  }
  const get = (stage: string): Record<string, number> => (results[stage] ?? {}) as Record<string, number>;
  if (part === 'generator') return { part, run, generated: get('generator').generated ?? 0, heartbeats: get('heartbeat').beats ?? 0, seconds, bridge };
  const { fizz, buzz, fizzbuzz, value } = get('logger');
  return { part, run, processed: get('worker').processed ?? 0, heartbeats: get('worker').heartbeats ?? 0, fizz, buzz, fizzbuzz, value, superseded, seconds, bridge };
}

/** The telemetry of whichever pipeline `current()` is. */
function telemetryOf(current: () => Pipeline): TelemetrySource {
  return { snapshot: () => current().snapshot(), dot: () => current().dot(), metrics: () => current().metrics() };
}

async function startGenerator(nc: NatsConnection, jsm: JetStreamManager, split: Split, onEvent: (e: SplitDemoEvent) => void): Promise<SplitDemoHandle> {
  // A fresh run: what earlier runs left in the stream is not this run's (and a worker counting one of them drops it at this start marker).
  await jsm.streams.purge(STREAM);
  const run = newRunId();
  const sequence = await publishMarker(nc, RUN_SUBJECT, { event: 'start', run });
  await nc.close();
  onEvent({ kind: 'run', run, sequence });
  const pipeline = new Pipeline(split(run).upstream);
  await pipeline.start();
  const done = pipeline.done.then((r) => toResult('generator', run, r));
  done.catch(() => undefined);
  return { ...telemetryOf(() => pipeline), pipeline, run, done, stop: () => pipeline.stop().then((r) => toResult('generator', run, r)) };
}

async function startWorker(nc: NatsConnection, jsm: JetStreamManager, split: Split, onEvent: (e: SplitDemoEvent) => void): Promise<SplitDemoHandle> {
  const stopping = new AbortController();
  const nonce = randomBytes(3).toString('hex');
  let superseded = 0;
  let current!: { run: string; pipeline: Pipeline; durables: string[] };

  /** The downstream part for `start`, reading from its start marker on, only its ring identities, with consumers of this worker's own. */
  const begin = async (start: RunStart): Promise<void> => {
    const { upstream, downstream } = split(start.run);
    const ringIds = upstream.levels.at(-1)!.stages.map((s) => (s.options as NatsSinkStageOptions).ringId!);
    const durables: string[] = [];
    const levels = downstream.levels.map((lv, i) => i > 0 ? lv : {
      ...lv,
      stages: lv.stages.map((s) => {
        const o = s.options as NatsSourceStageOptions;
        const durable = `${o.durable!}_${start.run}_${nonce}`;
        durables.push(durable);
        return { ...s, options: { ...o, durable, ringIds } satisfies NatsSourceStageOptions };
      }),
    });
    for (const [i, durable] of durables.entries()) {
      await jsm.consumers.add(STREAM, {
        durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.sequence,
        ack_wait: 30_000 * 1e6, max_ack_pending: 4096, filter_subject: (levels[0]!.stages[i]!.options as NatsSourceStageOptions).subject,
        inactive_threshold: CONSUMER_INACTIVE_NS,
      });
    }
    const pipeline = new Pipeline({ ...downstream, levels });
    current = { run: start.run, pipeline, durables };
    onEvent({ kind: 'run', run: start.run, sequence: start.sequence });
    await pipeline.start();
  };
  const forget = async (durables: string[]): Promise<void> => {
    for (const d of durables) await jsm.consumers.delete(STREAM, d).catch(() => undefined);
  };
  const waiting = (): void => onEvent({ kind: 'waiting' });

  const first = await nextRun(jsm, STREAM, RUN_SUBJECT, stopping.signal, waiting);
  await begin(first!);
  const loop = async (): Promise<SplitDemoResult> => {
    try {
      for (;;) {
        const { run, pipeline, durables } = current;
        const watch = new AbortController();
        const outcome = await Promise.race([
          pipeline.done.then((r) => ({ done: r })),
          supersededBy(jsm, STREAM, RUN_SUBJECT, run, watch.signal).then((by) => ({ by })),
        ]).finally(() => watch.abort());
        if ('done' in outcome) {
          const result = toResult('worker', run, outcome.done, superseded);
          await publishMarker(nc, RUN_SUBJECT, { event: 'done', run, processed: result.processed! }).catch(() => undefined);
          await forget(durables);
          return result;
        }
        if (stopping.signal.aborted) {
          // stop() asked this pipeline to drain: its end is the part's end.
          const result = toResult('worker', run, await pipeline.done, superseded);
          await forget(durables);
          return result;
        }
        await pipeline.abort();
        await pipeline.done.catch(() => undefined);
        await forget(durables);
        superseded++;
        onEvent({ kind: 'superseded', run, by: outcome.by?.run });
        const next = stopping.signal.aborted ? undefined : outcome.by ?? await nextRun(jsm, STREAM, RUN_SUBJECT, stopping.signal, waiting);
        // Stopped while changing runs: no run was counted to its end.
        if (next === undefined) return toResult('worker', run, { results: {}, seconds: 0 }, superseded);
        await begin(next);
        if (stopping.signal.aborted) void current.pipeline.stop().catch(() => undefined);
      }
    } finally {
      await nc.close().catch(() => undefined);
    }
  };
  const done = loop();
  done.catch(() => undefined);
  return {
    ...telemetryOf(() => current.pipeline),
    get pipeline() { return current.pipeline; },
    get run() { return current.run; },
    done,
    stop: () => {
      stopping.abort();
      void current.pipeline.stop().catch(() => undefined);
      return done;
    },
  };
}

/** The part's counts as lines (`key: value`, then one line per nats stage), as `ringkit demo --nats` prints them. */
export function formatSplitDemo(r: SplitDemoResult): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (k === 'bridge' || v === undefined) continue;
    lines.push(`${k}: ${typeof v === 'number' ? v.toLocaleString('en-US') : String(v)}`);
  }
  for (const [name, s] of Object.entries(r.bridge)) lines.push(`${name}: ${JSON.stringify(s)}`);
  return `${lines.join('\n')}\n`;
}
