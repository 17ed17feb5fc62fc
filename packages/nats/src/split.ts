import { InvalidArgumentError, describe } from '@ringkit/core';
import type { InputSpec, PipelineSpec, StageSpec } from '@ringkit/pipeline';
import type { NatsConnectOptions } from './connection.js';
import { natsStagesModule, type NatsSinkStageOptions, type NatsSourceStageOptions } from './stages.js';
import type { CreateStreamOptions } from './stream.js';

/** Options of {@link splitPipeline}. */
export interface SplitOptions {
  /** The first level of the downstream part (1 … levels - 1). Required. */
  level: number;
  /** How both parts connect to NATS. Required. */
  connection: NatsConnectOptions;
  /** Subject prefix: ring `X` crosses on `<prefix>.X`. Defaults to `'ringkit'`. */
  prefix?: string;
  /** The stream both parts use (created when missing). Defaults to `{ name: <PREFIX>, subjects: ['<prefix>.>'] }`. */
  createStream?: CreateStreamOptions;
  /** Suffix of every sink's ring identity (`<prefix>.X<ringIdSuffix>`): make it unique per run when runs reuse a stream inside its de-duplication window. Defaults to `''`. */
  ringIdSuffix?: string;
  /** Extra options for every sink stage (mode, maxMessageBytes, maxInFlight, …). */
  sink?: Partial<NatsSinkStageOptions>;
  /** Extra options for every source stage (ackWaitMs, maxFetch, …). */
  source?: Partial<NatsSourceStageOptions>;
}

/** The two halves of a split pipeline. */
export interface SplitPipeline {
  /** Levels `0 … level-1`, plus one level of `natsSink` stages named `<X>.nats`, one per ring that crosses. */
  upstream: PipelineSpec;
  /** One level of `natsSource` stages named like the rings they replace (so the downstream stages' inputs are unchanged), then levels `level …`. */
  downstream: PipelineSpec;
  /** Names of the stages whose output rings cross the boundary. */
  crossing: string[];
}

/**
 * Splits a pipeline at a level boundary into two specs that run in two processes (or hosts),
 * the rings that cross it bridged through JetStream: the upstream part publishes each crossing
 * ring with a `natsSink` stage, the downstream part reads it back into a ring of the same
 * schema and capacity with a `natsSource` stage of the same name. Handler modules stay the same.
 * @throws {@link InvalidArgumentError} for a level outside [1, levels - 1] or bad options.
 */
export function splitPipeline(spec: PipelineSpec, options: SplitOptions): SplitPipeline {
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.levels)) throw new InvalidArgumentError(`spec must be a pipeline spec { levels: [...] }: spec=${describe(spec)}`);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object { level, connection, ... }: options=${describe(options)}`);
  const L = options.level;
  if (!Number.isInteger(L) || L < 1 || L > spec.levels.length - 1) {
    throw new InvalidArgumentError(`options.level must be an integer in [1, ${spec.levels.length - 1}] (the first level of the downstream part): level=${describe(L)}`);
  }
  const prefix = options.prefix ?? 'ringkit';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) throw new InvalidArgumentError(`options.prefix must be subject tokens of [A-Za-z0-9_-] joined by '.': prefix=${describe(prefix)}`);
  // Stages may start while the server restarts: keep trying the first connection for a while.
  const connection: NatsConnectOptions = { firstConnectRetryMs: 15_000, ...options.connection };
  const stream = options.createStream ?? { name: prefix.replace(/\./g, '_').toUpperCase(), subjects: [`${prefix}.>`] };
  const levelOf = new Map<string, number>();
  const stageByName = new Map<string, StageSpec>();
  spec.levels.forEach((lv, i) => lv.stages.forEach((s) => {
    levelOf.set(s.name, i);
    stageByName.set(s.name, s);
  }));
  // Downstream stages with their inputs made explicit (level L's implicit attachment points at level L-1).
  const downstreamLevels = spec.levels.slice(L).map((lv, k) => ({
    ...lv,
    stages: lv.stages.map((s): StageSpec => {
      if (s.inputs !== undefined || k !== 0) return s;
      const attach = lv.attach ?? 'broadcast';
      if (attach === 'none') return { ...s, inputs: [] };
      const inputs: InputSpec[] = spec.levels[L - 1]!.stages.filter((u) => u.output !== undefined).map((u) => ({ from: u.name, mode: attach }));
      return { ...s, inputs };
    }),
    ...(k === 0 ? { attach: 'none' as const } : {}),
  }));
  const crossing: string[] = [];
  for (const lv of downstreamLevels) {
    for (const s of lv.stages) {
      for (const i of s.inputs ?? []) {
        const from = levelOf.get(i.from);
        if (from !== undefined && from < L && !crossing.includes(i.from)) crossing.push(i.from);
      }
    }
  }
  const subjectOf = (name: string): string => `${prefix}.${name}`;
  const sinks: StageSpec[] = crossing.map((name) => ({
    name: `${name}.nats`,
    module: natsStagesModule.href,
    export: 'natsSink',
    inputs: [{ from: name }],
    options: { ...options.sink, connection, subject: subjectOf(name), ringId: `${subjectOf(name)}${options.ringIdSuffix ?? ''}`, createStream: stream } satisfies NatsSinkStageOptions,
  }));
  const sources: StageSpec[] = crossing.map((name) => ({
    name,
    module: natsStagesModule.href,
    export: 'natsSource',
    output: stageByName.get(name)!.output!,
    options: { ...options.source, connection, subject: subjectOf(name), durable: `${prefix}.${name}`.replace(/\./g, '_'), createStream: stream } satisfies NatsSourceStageOptions,
  }));
  const { levels: _levels, ...common } = spec;
  return {
    upstream: { ...common, levels: [...spec.levels.slice(0, L), { stages: sinks, attach: 'none' }] },
    downstream: { ...common, levels: [{ stages: sources }, ...downstreamLevels] },
    crossing,
  };
}
