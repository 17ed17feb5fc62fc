/**
 * The FizzBuzz demo split across two processes (or hosts) at the level boundary generator →
 * worker, the rings that cross it (heartbeat, generator) bridged through JetStream: the code of
 * `ringkit demo --nats <url> --part generator|worker` and of `examples/nats-fizzbuzz.mjs`.
 */
import { InvalidArgumentError, describe } from '@ringkit/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { demoSpec, Pipeline } from '@ringkit/pipeline';
import { connectNats, type NatsConnectOptions } from './connection.js';
import { splitPipeline } from './split.js';
import type { BridgeStats } from './stats.js';

/** Subject prefix (and, upper-cased, stream name `FIZZBUZZ`) of the split demo. */
export const SPLIT_DEMO_PREFIX = 'fizzbuzz';

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
}

/** The bridge counters of one nats stage, as the demo prints them. */
export type SplitDemoBridge = Pick<BridgeStats, 'published' | 'acked' | 'messages' | 'redelivered' | 'dupDropped' | 'held' | 'lost' | 'retries'>;

/** The exact counts of one part. Generator part: `generated`; worker part: `processed` and the FizzBuzz counts. */
export interface SplitDemoResult {
  part: 'generator' | 'worker';
  heartbeats: number;
  generated?: number;
  processed?: number;
  fizz?: number;
  buzz?: number;
  fizzbuzz?: number;
  value?: number;
  seconds: number;
  /** Per nats stage (`heartbeat.nats`, `generator.nats` upstream; `heartbeat`, `generator` downstream). */
  bridge: Record<string, SplitDemoBridge>;
}

/** A running part: the pipeline (for telemetry), `stop()` and `done` with the part's counts. */
export interface SplitDemoHandle {
  pipeline: Pipeline;
  stop(): Promise<SplitDemoResult>;
  done: Promise<SplitDemoResult>;
}

function isBridge(r: unknown): r is BridgeStats {
  return r !== null && typeof r === 'object' && 'role' in r && 'acked' in r;
}

/**
 * Starts one part of the split FizzBuzz demo. Each stops itself: the generator part after
 * `beats` heartbeats, the worker part once the end markers of both crossing rings arrived
 * (so the worker part's `processed` equals the generator part's `generated`). The generator
 * part purges the stream first (a fresh run) and gives its ring identities a run id, since runs
 * reuse the stream inside the server's de-duplication window.
 * @throws {@link InvalidArgumentError} for a bad part or option; connection errors of `@ringkit/nats`.
 */
export async function startSplitDemo(options: SplitDemoOptions): Promise<SplitDemoHandle> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object { part, servers, ... }: options=${describe(options)}`);
  const { part } = options;
  if (part !== 'generator' && part !== 'worker') throw new InvalidArgumentError(`part must be 'generator' or 'worker': part=${describe(part)}`);
  const connection: NatsConnectOptions = { reconnectDelayMs: 50, ...options.connection, servers: options.servers };
  const spec = demoSpec({ beats: options.beats ?? 300, rateMs: options.rateMs ?? 2, capacity: options.capacity ?? 1 << 16 });
  const { upstream, downstream } = splitPipeline(spec, { level: 1, connection, prefix: SPLIT_DEMO_PREFIX, ringIdSuffix: `.${Date.now().toString(36)}` });
  if (part === 'generator') {
    // A fresh run: what an earlier run left in the stream is not this run's.
    const nc = await connectNats(connection);
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.purge(SPLIT_DEMO_PREFIX.toUpperCase()).catch(() => undefined);
    } finally {
      await nc.close();
    }
  }
  const pipeline = new Pipeline(part === 'generator' ? upstream : downstream);
  const toResult = ({ results, seconds }: { results: Record<string, unknown>; seconds: number }): SplitDemoResult => {
    const bridge: Record<string, SplitDemoBridge> = {};
    for (const [name, r] of Object.entries(results)) {
      if (!isBridge(r)) continue;
      const { published, acked, messages, redelivered, dupDropped, held, lost, retries } = r;
      bridge[name] = { published, acked, messages, redelivered, dupDropped, held, lost, retries };
    }
    const get = (stage: string): Record<string, number> => (results[stage] ?? {}) as Record<string, number>;
    if (part === 'generator') return { part, generated: get('generator').generated!, heartbeats: get('heartbeat').beats!, seconds, bridge };
    const { fizz, buzz, fizzbuzz, value } = get('logger');
    return { part, processed: get('worker').processed!, heartbeats: get('worker').heartbeats!, fizz, buzz, fizzbuzz, value, seconds, bridge };
  };
  await pipeline.start();
  const done = pipeline.done.then(toResult);
  done.catch(() => undefined);
  return { pipeline, done, stop: () => pipeline.stop().then(toResult) };
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
