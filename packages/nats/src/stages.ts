/**
 * Pipeline stage handlers that bridge a level boundary through NATS, for `@ringkit/pipeline`
 * specs (`module: natsStagesModule`, `export: 'natsSink'` or `'natsSource'`):
 * - `natsSink`: a consumer stage with one input; publishes every batch of it (packed or an
 *   entry per message) and returns from `onBatch` only once JetStream acknowledged it, so the
 *   runtime releases the batch after the acknowledgement. On close it sends the end marker.
 * - `natsSource`: a source stage with an output ring, filled from a durable pull consumer
 *   (`RingSource`); it ends (and asks the pipeline to shut down, unless told otherwise) once
 *   the end marker of every sink arrived and its ring's consumers released everything; a stop
 *   of the pipeline waits for that too (`drainToEnd`), so no source is cut off while the first
 *   to end stops the pipeline.
 * Both return their {@link BridgeStats} from `close()`, i.e. in `pipeline.stop()`'s results,
 * and publish them while running as the stage's named counters ({@link BRIDGE_COUNTERS},
 * family `bridge`): in the pipeline's snapshot (`stage.counters`), DOT label, `/metrics`
 * (`ringkit_bridge_published_total{stage}`, `ringkit_bridge_in_flight{stage}`,
 * `ringkit_bridge_published_per_second{stage,window}`, …) and on the board.
 *
 * Options (`ctx.options`, structured-clonable): see {@link NatsSinkStageOptions} and
 * {@link NatsSourceStageOptions}; `connection` is connect options (a stage opens its own).
 */
import { InvalidArgumentError, InvalidStateError, describe, type Batch, type Schema } from '@ringkit/core';
import type { CounterDef, StageContext, StageCounters, StageHandler } from '@ringkit/pipeline';
import { sleep } from './options.js';
import { publishHeld, PublishWindow, type SinkContext } from './publish-window.js';
import { TypedPacker } from './ring-packer.js';
import { openSink, type SinkSettings } from './ring-sink.js';
import { RingSource, type RingSourceOptions } from './ring-source.js';
import type { NatsConnectOptions } from './connection.js';
import type { BridgeStats } from './stats.js';

/** The URL of this module, for a stage spec's `module`. */
export const natsStagesModule: URL = new URL(import.meta.url);

/** Options of a `natsSink` stage: the sink options without the ring; `ringId` defaults to the stage name. */
export type NatsSinkStageOptions = Omit<SinkSettings, 'connection'> & { connection: NatsConnectOptions };

/** Options of a `natsSource` stage: the source options without the ring. `closeAfterEnds` defaults to 1. */
export type NatsSourceStageOptions = Omit<RingSourceOptions, 'ring' | 'connection' | 'signal'> & {
  connection: NatsConnectOptions;
  /** Ask the pipeline to shut down once this source ended (all its end markers arrived). Defaults to true. */
  shutdownOnEnd?: boolean;
  /**
   * When the pipeline stops, keep filling the ring until the end markers arrived (the stop
   * drains what the upstream part sent; bounded by the pipeline's `stopTimeoutMs`), instead
   * of stopping at once. Defaults to true when `closeAfterEnds` > 0.
   */
  drainToEnd?: boolean;
};

/** The named counters (family `bridge`) a nats stage publishes for telemetry: its {@link BridgeStats}. */
export const BRIDGE_COUNTERS: readonly CounterDef[] = [
  { name: 'published', family: 'bridge', help: 'Sink: entries published to NATS (first sends). Source: entries written into the ring' },
  { name: 'acked', family: 'bridge', help: 'Sink: entries JetStream acknowledged. Source: entries acknowledged to JetStream' },
  { name: 'redelivered', family: 'bridge', help: 'Sink: entries sent again. Source: entries the server delivered again' },
  { name: 'in_flight', kind: 'gauge', family: 'bridge', help: 'Entries published (sink) or written into the ring (source) and not yet acknowledged' },
  { name: 'dup_dropped', family: 'bridge', help: 'Entries dropped as duplicates (sink: by the server; source: already in the ring)' },
  { name: 'ignored', family: 'bridge', help: 'Source: entries of ring identities it does not take (ringIds), acknowledged and dropped' },
  { name: 'lost', family: 'bridge', help: 'Entries lost (core NATS gaps and drops, lapped entries of a lossy ring)' },
  { name: 'messages', family: 'bridge', help: 'NATS messages sent (sink) or received (source)' },
  { name: 'bytes', family: 'bridge', help: 'Payload bytes sent or received' },
  { name: 'retries', family: 'bridge', help: 'Publishes or fetches retried after an error' },
];

/** Writes `s` into the stage's bridge counters. */
function publishStats(c: StageCounters, s: BridgeStats): void {
  c.set('published', s.published);
  c.set('acked', s.acked);
  c.set('redelivered', s.redelivered);
  c.set('in_flight', s.inFlight);
  c.set('dup_dropped', s.dupDropped);
  c.set('ignored', s.ignored);
  c.set('lost', s.lost);
  c.set('messages', s.messages);
  c.set('bytes', s.bytes);
  c.set('retries', s.retries);
}

/** Copies the bridge's stats into the stage's counters every `ms` until the returned stop is called (and once more then). */
function publishEvery(c: StageCounters, stats: () => BridgeStats | undefined, ms: number): () => void {
  const tick = (): void => {
    const s = stats();
    if (s !== undefined) publishStats(c, s);
  };
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => {
    clearInterval(timer);
    tick();
  };
}

function stageOptions<T>(ctx: StageContext, what: string): T {
  const o = ctx.options;
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError(`stage "${ctx.name}" (${what}) needs options { connection, subject, ... }: options=${describe(o)}`);
  return o as T;
}

/** Ring → NATS as a pipeline stage (see the module's documentation). */
export function natsSink(ctx: StageContext): StageHandler {
  const options = stageOptions<NatsSinkStageOptions>(ctx, 'natsSink');
  const abort = new AbortController();
  let sink: SinkContext | undefined;
  let window: PublishWindow | undefined;
  let packer: TypedPacker<Schema> | undefined;
  const stopCounters = publishEvery(ctx.counters(BRIDGE_COUNTERS), () => sink?.stats, 50);
  return {
    async init() {
      if (ctx.inputs.length !== 1) throw new InvalidStateError(`stage "${ctx.name}" (natsSink) takes exactly one input: inputs=${ctx.inputs.length}`);
      const input = ctx.inputs[0]!;
      packer = new TypedPacker(input.ring, input.consumer, input.ring.capacity);
      sink = await openSink({ ...options, ringId: options.ringId ?? ctx.name }, packer);
      window = new PublishWindow(sink, abort.signal);
    },
    async onBatch(batch: Batch<Schema>) {
      packer!.hold(batch);
      await publishHeld(sink!, window!, abort.signal);
    },
    async close(): Promise<BridgeStats> {
      try {
        if (sink!.endMarker) await window!.sendEnd(packer!.nextSequence);
        await window!.drain();
        return { ...sink!.stats };
      } finally {
        stopCounters();
        if (sink!.owned) await sink!.nc.close().catch(() => undefined);
      }
    },
  };
}

/** NATS → ring as a pipeline source stage (see the module's documentation). */
export function natsSource(ctx: StageContext): StageHandler {
  const options = stageOptions<NatsSourceStageOptions>(ctx, 'natsSource');
  let source: RingSource | undefined;
  const stopCounters = publishEvery(ctx.counters(BRIDGE_COUNTERS), () => source?.stats, 50);
  return {
    async init() {
      if (ctx.output === undefined) throw new InvalidStateError(`stage "${ctx.name}" (natsSource) needs an output ring: output: { schema, capacity }`);
      const { shutdownOnEnd: _s, drainToEnd: _d, ...rest } = options;
      source = await RingSource.start({ ...rest, ring: ctx.output, closeAfterEnds: options.closeAfterEnds ?? 1 });
    },
    async run() {
      const s = source!;
      let ended = false;
      void s.done.then(() => { ended = true; }, () => { ended = true; });
      let counted = 0;
      const drainToEnd = options.drainToEnd ?? (options.closeAfterEnds ?? 1) > 0;
      while (!ended && !(ctx.stopRequested && !drainToEnd)) {
        await sleep(20);
        if (s.stats.published > counted) ctx.record(s.stats.published - counted, 0); // entries written into the ring: the stage's rate
        counted = s.stats.published;
      }
      if (!ended) await s.stop();
      const stats = await s.done; // rethrows what stopped it
      if (stats.published > counted) ctx.record(stats.published - counted, 0);
      if (options.shutdownOnEnd !== false && !ctx.stopRequested) ctx.requestShutdown();
    },
    close(): BridgeStats {
      stopCounters();
      return { ...source!.stats };
    },
  };
}
