import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { encodeSchema, resolveSchema, type Schema, type WaitStrategyOption } from '@ringkit/core';
import { TopologyError } from './errors.js';
import { resolvePolicy, type FailurePolicy } from './policy.js';
import { MAX_INPUTS } from './shared.js';

/** A ring a stage owns: its slot schema and capacity (a power of two). */
export interface RingSpec {
  schema: Schema;
  capacity: number;
}

/** How byte-record edges encode values: core's JSON codec, `@ringkit/codec`'s msgpackr, or raw bytes. */
export type CodecName = 'json' | 'msgpackr' | 'raw';

/**
 * A byte-record output: a `ByteRing` of variable-length records (text, JSON, MessagePack, RESP…)
 * of `bytes` bytes of record space (a power of two in [256, 2^30]); one record is at most
 * `bytes / 8 - 8` bytes. Consumers get the records in `onBytes` (raw batch) or `onRecord`
 * (decoded with `codec`, default `'json'`).
 */
export interface ByteRingSpec {
  bytes: number;
  codec?: CodecName;
}

/** Largest record of a byte ring of `capacity` bytes (core's limit). */
export function maxRecordOf(capacity: number): number {
  return capacity / 8 - 8;
}

/**
 * One input of a stage: the output ring of stage `from`.
 * - `broadcast` (default): this stage sees every entry.
 * - `shard`: every entry goes to exactly one of the stages sharding this ring in the same `group`
 *   (a core work group).
 * - `key`: this stage sees every entry but owns only the keys with `key % count === index`
 *   (`ctx.inputs[i].shard` and `ctx.owns(key)`), so one key always lands on the same stage.
 * `after` gates this consumer behind other stages' consumers of the same ring (barrier routing:
 * phases process an entry in place, each after the previous).
 */
export interface InputSpec {
  from: string;
  mode?: 'broadcast' | 'shard' | 'key';
  group?: string;
  after?: string[];
  /** The schema this stage expects; checked against the producer's `output.schema` before start. */
  schema?: Schema;
}

/** A stage: a handler module run in its own worker thread. */
export interface StageSpec {
  name: string;
  /** Handler module: a `file:` URL, a URL object or a file path (relative paths resolve against the cwd). */
  module: string | URL;
  /** Export to use (an object with handler methods, or a factory `(ctx) => handler`). Defaults to `'default'`. */
  export?: string;
  /** The stage's own output ring (single producer: this stage): typed slots, or byte records. */
  output?: RingSpec | ByteRingSpec;
  /** Self attachment: an input ring that outside writers (main thread, other stages) publish into (multi producer). */
  selfInput?: RingSpec;
  /** Explicit inputs; when absent, the level's `attach` decides. */
  inputs?: InputSpec[];
  /** Structured-clonable options handed to the handler as `ctx.options`. */
  options?: unknown;
  /** Most entries per batch handed to `onBatch`. Defaults to the ring's capacity. */
  maxBatch?: number;
  /** What a crash of this stage does: `'stop'` (default) or `'restart'` (see {@link FailurePolicy}). */
  onFailure?: FailurePolicy;
  /** Without an `onError` hook: times a throwing batch handler is called again on the same batch before the throw is a crash. Defaults to 0. */
  maxRetries?: number;
  /**
   * Troupe: stages naming the same troupe share one worker thread (steady_state's troupes:
   * several actors on one thread, e.g. heartbeat + generator). They crash and restart together
   * and must declare the same `onFailure` and `resourceLimits`.
   */
  troupe?: string;
  /** Memory limits of the stage's worker thread (`worker_threads` `resourceLimits`): beyond them the thread dies (a crash). */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
}

/** A level of stages. `attach` connects each stage without explicit `inputs` to every output of the previous level. */
export interface LevelSpec {
  stages: StageSpec[];
  attach?: 'broadcast' | 'shard' | 'key' | 'none';
}

/** A pipeline description. */
export interface PipelineSpec {
  levels: LevelSpec[];
  /** Budget of `stop()` (all levels) in ms. Defaults to 10,000. */
  stopTimeoutMs?: number;
  /** Telemetry sampling period in ms. Defaults to 250. */
  telemetryIntervalMs?: number;
  /** Wait strategy of the stage threads' rings. Defaults to `'async'` (idle stages keep their event loop). */
  waitStrategy?: WaitStrategyOption;
  /**
   * A stage whose input has entries waiting but whose consumer has not moved for this long (it
   * holds a batch, or does not take one) is *stalled*: a `'stall'` event, a red node in the DOT,
   * `state: 'stalled'` in the snapshot. A stage with `onFailure: 'restart'` is then replaced; with
   * `'stop'` the pipeline fails with a `StageStalledError` as cause. Defaults to 0 (off).
   */
  stallMs?: number;
  /** Telemetry windows, seconds (rates averaged and fill percentiles over each). Defaults to [1, 10, 60]. */
  windowsSec?: number[];
  /**
   * Drain on SIGINT / SIGTERM: `true` (both) or a list of signals. The first signal calls
   * `stop()` (a second one during the drain aborts). Defaults to false (the embedder decides).
   */
  drainOnSignals?: boolean | NodeJS.Signals[];
}

/** A resolved consumer of a ring: which stage, which mode. */
export interface PlannedConsumer {
  stage: string;
  mode: 'broadcast' | 'shard' | 'key';
  group: string;
  after: string[];
}

/** A resolved stage (after level attachment). */
export interface PlannedStage {
  spec: StageSpec;
  level: number;
  index: number;
  moduleUrl: string;
  inputs: InputSpec[];
}

/** The checked topology. */
export interface Plan {
  stages: PlannedStage[];
  byName: Map<string, PlannedStage>;
  /** Consumers of each stage's output ring, by producer stage name. */
  consumers: Map<string, PlannedConsumer[]>;
}

/** True when a stage's output is a byte-record ring. */
export function isByteOutput(o: RingSpec | ByteRingSpec | undefined): o is ByteRingSpec {
  return o !== undefined && o !== null && typeof o === 'object' && 'bytes' in o;
}


function moduleUrlOf(stage: StageSpec): string {
  const m = stage.module;
  if (m instanceof URL) return m.href;
  if (typeof m !== 'string' || m.length === 0) {
    throw new TopologyError(`stage "${stage.name}": module must be a file path or URL of the handler module: module=${String(m)}`);
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(m) && !/^[a-z]:[\\/]/i.test(m)) return m;
  const abs = isAbsolute(m) ? m : resolve(process.cwd(), m);
  return new URL(`file://${abs}`).href;
}

function checkRing(stage: string, what: string, r: RingSpec | ByteRingSpec | undefined): void {
  if (r === undefined) return;
  if (r === null || typeof r !== 'object') throw new TopologyError(`stage "${stage}": ${what} must be { schema, capacity } or { bytes, codec? }`);
  if (isByteOutput(r)) {
    if (what !== 'output') throw new TopologyError(`stage "${stage}": ${what} must be { schema, capacity } (byte records are for outputs)`);
    const b = r.bytes;
    if (!Number.isInteger(b) || b < 256 || b > 2 ** 30 || (b & (b - 1)) !== 0) {
      throw new TopologyError(`stage "${stage}": output.bytes must be a power of two in [256, 2^30] (bytes of record space): bytes=${String(b)}`);
    }
    if (r.codec !== undefined && !['json', 'msgpackr', 'raw'].includes(r.codec)) {
      throw new TopologyError(`stage "${stage}": output.codec must be 'json', 'msgpackr' or 'raw': codec=${String(r.codec)}`);
    }
    return;
  }
  try {
    resolveSchema(r.schema);
  } catch (e) {
    throw new TopologyError(`stage "${stage}": ${what}.schema is invalid: ${(e as Error).message}`);
  }
  const c = r.capacity;
  if (!Number.isInteger(c) || c < 2 || c > 2 ** 30 || (c & (c - 1)) !== 0) {
    throw new TopologyError(`stage "${stage}": ${what}.capacity must be a power of two in [2, 2^30]: capacity=${String(c)}`);
  }
}

/**
 * Checks a pipeline description and resolves its topology, before any thread starts.
 * @throws {@link TopologyError} naming the problem: duplicate or unknown stage, a stage consuming
 *   a stage without output, schema mismatch, `after` on a different ring, an input from a later
 *   level, a cycle.
 */
export function planPipeline(spec: PipelineSpec): Plan {
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.levels) || spec.levels.length === 0) {
    throw new TopologyError('a pipeline needs levels: [{ stages: [...] }, ...] with at least one level');
  }
  if (spec.stallMs !== undefined && !(typeof spec.stallMs === 'number' && spec.stallMs >= 0 && Number.isFinite(spec.stallMs))) {
    throw new TopologyError(`stallMs must be a number of milliseconds ≥ 0 (0 = off): stallMs=${String(spec.stallMs)}`);
  }
  if (spec.windowsSec !== undefined && !(Array.isArray(spec.windowsSec) && spec.windowsSec.length > 0 && spec.windowsSec.every((w) => typeof w === 'number' && w > 0 && w <= 3600))) {
    throw new TopologyError(`windowsSec must be a non-empty list of seconds in (0, 3600]: windowsSec=${JSON.stringify(spec.windowsSec)}`);
  }
  const byName = new Map<string, PlannedStage>();
  const stages: PlannedStage[] = [];
  spec.levels.forEach((level, li) => {
    if (level === null || typeof level !== 'object' || !Array.isArray(level.stages) || level.stages.length === 0) {
      throw new TopologyError(`level ${li} must be { stages: [...] } with at least one stage`);
    }
    const attach = level.attach ?? (li === 0 ? 'none' : 'broadcast');
    if (!['broadcast', 'shard', 'key', 'none'].includes(attach)) {
      throw new TopologyError(`level ${li}: attach must be 'broadcast', 'shard', 'key' or 'none': attach=${String(attach)}`);
    }
    level.stages.forEach((s, si) => {
      if (s === null || typeof s !== 'object' || typeof s.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(s.name)) {
        throw new TopologyError(`level ${li} stage ${si}: name must be 1-64 characters of [A-Za-z0-9_.-]: name=${JSON.stringify(s?.name)}`);
      }
      if (byName.has(s.name)) throw new TopologyError(`duplicate stage name "${s.name}" (levels ${byName.get(s.name)!.level} and ${li})`);
      checkRing(s.name, 'output', s.output);
      checkRing(s.name, 'selfInput', s.selfInput);
      try {
        resolvePolicy(s.name, s.onFailure);
      } catch (e) {
        throw new TopologyError((e as Error).message);
      }
      if (s.maxRetries !== undefined && !(Number.isInteger(s.maxRetries) && s.maxRetries >= 0)) {
        throw new TopologyError(`stage "${s.name}": maxRetries must be an integer ≥ 0: maxRetries=${String(s.maxRetries)}`);
      }
      const moduleUrl = moduleUrlOf(s);
      if (moduleUrl.startsWith('file:') && !existsSync(fileURLToPath(moduleUrl))) {
        throw new TopologyError(`stage "${s.name}": handler module not found: ${fileURLToPath(moduleUrl)}`);
      }
      let inputs = s.inputs;
      if (inputs === undefined) {
        inputs = [];
        if (attach !== 'none' && li > 0) {
          for (const up of spec.levels[li - 1]!.stages) if (up.output !== undefined) inputs.push({ from: up.name, mode: attach });
        }
      } else if (!Array.isArray(inputs)) {
        throw new TopologyError(`stage "${s.name}": inputs must be an array of { from, mode?, group?, after?, schema? }`);
      }
      if (inputs.length > MAX_INPUTS - 1) throw new TopologyError(`stage "${s.name}" has ${inputs.length} inputs; at most ${MAX_INPUTS - 1}`);
      const p: PlannedStage = { spec: s, level: li, index: si, moduleUrl, inputs };
      byName.set(s.name, p);
      stages.push(p);
    });
  });

  const troupes = new Map<string, PlannedStage>();
  for (const p of stages) {
    const t = p.spec.troupe;
    if (t === undefined) continue;
    if (typeof t !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(t)) throw new TopologyError(`stage "${p.spec.name}": troupe must be 1-64 characters of [A-Za-z0-9_.-]: troupe=${JSON.stringify(t)}`);
    const first = troupes.get(t);
    if (first === undefined) {
      troupes.set(t, p);
      continue;
    }
    for (const k of ['onFailure', 'resourceLimits'] as const) {
      if (JSON.stringify(first.spec[k]) !== JSON.stringify(p.spec[k])) {
        throw new TopologyError(`troupe "${t}": stages "${first.spec.name}" and "${p.spec.name}" share a thread, so they must declare the same ${k}: ${JSON.stringify(first.spec[k]) ?? 'undefined'} vs ${JSON.stringify(p.spec[k]) ?? 'undefined'}`);
      }
    }
  }

  const consumers = new Map<string, PlannedConsumer[]>();
  const edges = new Map<string, string[]>();
  for (const p of stages) {
    const name = p.spec.name;
    if (p.inputs.length === 0 && p.spec.selfInput === undefined && p.level > 0 && p.spec.inputs === undefined && spec.levels[p.level]!.attach !== 'none') {
      throw new TopologyError(`stage "${name}" (level ${p.level}) has no input: the previous level has no stage with an output ring`);
    }
    const seen = new Set<string>();
    for (const inp of p.inputs) {
      const from = inp?.from;
      const up = byName.get(from);
      if (up === undefined) {
        throw new TopologyError(`stage "${name}" consumes unknown stage "${String(from)}"; stages: ${[...byName.keys()].join(', ')}`);
      }
      if (from === name) throw new TopologyError(`cycle: stage "${name}" consumes its own output ring (use selfInput for self attachment)`);
      if (seen.has(from)) throw new TopologyError(`stage "${name}" consumes stage "${from}" twice`);
      seen.add(from);
      if (up.spec.output === undefined) throw new TopologyError(`stage "${name}" consumes stage "${from}", which has no output ring`);
      if (up.level > p.level) {
        throw new TopologyError(`stage "${name}" (level ${p.level}) consumes stage "${from}" of a later level (${up.level}): inputs must come from the same or an earlier level`);
      }
      const mode = inp.mode ?? 'broadcast';
      if (!['broadcast', 'shard', 'key'].includes(mode)) {
        throw new TopologyError(`stage "${name}" input "${from}": mode must be 'broadcast', 'shard' or 'key': mode=${String(mode)}`);
      }
      if (isByteOutput(up.spec.output)) {
        if (inp.schema !== undefined) throw new TopologyError(`stage "${name}" input "${from}": "${from}" publishes byte records, not slots of a schema (drop schema)`);
        if (inp.mode === 'shard' || inp.after !== undefined) {
          throw new TopologyError(`stage "${name}" input "${from}": byte-record inputs are 'broadcast' or 'key' (no work-group 'shard', no after)`);
        }
      } else if (inp.schema !== undefined) {
        let want: string;
        try {
          want = encodeSchema(resolveSchema(inp.schema));
        } catch (e) {
          throw new TopologyError(`stage "${name}" input "${from}": schema is invalid: ${(e as Error).message}`);
        }
        const have = encodeSchema(resolveSchema(up.spec.output.schema));
        if (want !== have) {
          throw new TopologyError(`schema mismatch between producer "${from}" and consumer "${name}": "${from}" publishes {${have}}, "${name}" expects {${want}}`);
        }
      }
      const list = consumers.get(from) ?? [];
      list.push({ stage: name, mode, group: inp.group ?? 'default', after: inp.after ?? [] });
      consumers.set(from, list);
      (edges.get(from) ?? edges.set(from, []).get(from)!).push(name);
    }
  }
  // Barrier routing: `after` must name another consumer of the same ring.
  for (const [from, list] of consumers) {
    const names = new Set(list.map((c) => c.stage));
    for (const c of list) {
      for (const a of c.after) {
        if (!byName.has(a)) throw new TopologyError(`stage "${c.stage}" runs after unknown stage "${a}" on ring "${from}"`);
        if (!names.has(a)) throw new TopologyError(`stage "${c.stage}" runs after "${a}" on ring "${from}", but "${a}" does not consume "${from}"`);
        if (a === c.stage) throw new TopologyError(`cycle: stage "${c.stage}" runs after itself on ring "${from}"`);
        (edges.get(a) ?? edges.set(a, []).get(a)!).push(c.stage);
      }
    }
  }
  // Cycles (consumption and barrier edges).
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    path.push(n);
    for (const m of edges.get(n) ?? []) {
      const s = state.get(m);
      if (s === 1) throw new TopologyError(`cycle: ${[...path.slice(path.indexOf(m)), m].map((x) => `"${x}"`).join(' → ')}`);
      if (s === undefined) visit(m);
    }
    path.pop();
    state.set(n, 2);
  };
  for (const p of stages) if (!state.has(p.spec.name)) visit(p.spec.name);
  return { stages, byName, consumers };
}
