/**
 * Named counters a stage publishes for telemetry (`ctx.counters(defs)`): the stage writes plain
 * numbers into its own words of the pipeline's shared block; the main thread's sampler reads
 * them on its own timer, with windows and rates like the built-in counters, and they appear in
 * the snapshot (`stage.counters`), the DOT label and `/metrics` (`ringkit_<family>_<name>_total`
 * for a counter, `ringkit_<family>_<name>` for a gauge, `ringkit_<family>_<name>_per_second` for a counter's rate per window).
 *
 * Words of one stage in the counters block (offsets from `slot * COUNTER_WORDS`): offset `i` is
 * the value of the `i`-th def, written only by the stage's thread.
 */
import { InvalidArgumentError, InvalidStateError, describe } from '@ringkit/core';

/** Most named counters per stage. */
export const COUNTER_WORDS = 16;

/** One named counter of a stage. */
export interface CounterDef {
  /** `[a-z][a-z0-9_]*`, unique in the stage, e.g. `'published'`. */
  name: string;
  /** `'counter'` (default: only grows; rates per window) or `'gauge'` (a level, e.g. in flight). */
  kind?: 'counter' | 'gauge';
  /** Metric family: the metric is `ringkit_<family>_<name>[_total]`. `[a-z][a-z0-9_]*`; defaults to `'stage'`. */
  family?: string;
  /** Help text of the metric. Defaults to the name. */
  help?: string;
}

/** A stage's named counters, as `ctx.counters(defs)` returns them. */
export interface StageCounters {
  /** The names, in the order given. */
  readonly names: readonly string[];
  /** Sets counter `name` to `value` (a total, or the gauge's level). @throws {@link InvalidArgumentError} for an unknown name. */
  set(name: string, value: number): void;
  /** Adds `delta` to counter `name`. @throws {@link InvalidArgumentError} for an unknown name. */
  add(name: string, delta: number): void;
}

/** One named counter in a {@link PipelineSnapshot} stage (`stage.counters`). */
export interface CounterSnapshot {
  name: string;
  kind: 'counter' | 'gauge';
  family: string;
  help: string;
  /** The latest value the stage wrote. */
  value: number;
  /** Counters: growth per second over the shortest window (gauges: 0). */
  ratePerSec: number;
  /** Counters: growth per second over each window (gauges: the average level in `ratePerSec`). */
  windows: Array<{ seconds: number; coveredSec: number; ratePerSec: number }>;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/** Checks and completes `defs` (the ones a stage thread reports to the main thread). */
export function checkCounterDefs(stage: string, defs: unknown): Required<CounterDef>[] {
  if (!Array.isArray(defs) || defs.length === 0 || defs.length > COUNTER_WORDS) {
    throw new InvalidArgumentError(`stage "${stage}": counters(defs) takes an array of 1 … ${COUNTER_WORDS} { name, kind?, family?, help? }: defs=${describe(defs)}`);
  }
  const seen = new Set<string>();
  return defs.map((d: unknown) => {
    const o = d as CounterDef;
    if (o === null || typeof o !== 'object' || typeof o.name !== 'string' || !NAME.test(o.name)) throw new InvalidArgumentError(`stage "${stage}": a counter name must match [a-z][a-z0-9_]*: def=${describe(d)}`);
    if (seen.has(o.name)) throw new InvalidArgumentError(`stage "${stage}": counter names must be unique: name=${o.name}`);
    seen.add(o.name);
    const kind = o.kind ?? 'counter';
    if (kind !== 'counter' && kind !== 'gauge') throw new InvalidArgumentError(`stage "${stage}": counter kind must be 'counter' or 'gauge': ${o.name}.kind=${describe(o.kind)}`);
    const family = o.family ?? 'stage';
    if (typeof family !== 'string' || !NAME.test(family)) throw new InvalidArgumentError(`stage "${stage}": counter family must match [a-z][a-z0-9_]*: ${o.name}.family=${describe(o.family)}`);
    const help = o.help ?? o.name;
    if (typeof help !== 'string') throw new InvalidArgumentError(`stage "${stage}": counter help must be a string: ${o.name}.help=${describe(o.help)}`);
    return { name: o.name, kind, family, help };
  });
}

/** The stage-thread side: `words` is the stage's slice of the counters block. */
export function stageCounters(stage: string, defs: readonly Required<CounterDef>[], words: Float64Array): StageCounters {
  const index = new Map(defs.map((d, i) => [d.name, i]));
  const at = (name: string): number => {
    const i = index.get(name);
    if (i === undefined) throw new InvalidArgumentError(`stage "${stage}": no counter "${name}"; defined: ${[...index.keys()].join(', ')}`);
    return i;
  };
  return {
    names: defs.map((d) => d.name),
    set(name, value) {
      words[at(name)] = value;
    },
    add(name, delta) {
      words[at(name)]! += delta;
    },
  };
}

/** `ctx.counters` succeeds once per stage incarnation, before `init` resolves: `check` before, `done` after a successful call. */
export function counterGuard(stage: string): { check(ready: boolean): void; done(): void } {
  let defined = false;
  return {
    check(ready) {
      if (ready) throw new InvalidStateError(`stage "${stage}": ctx.counters(defs) must be called before init() resolves (in the factory or in init)`);
      if (defined) throw new InvalidStateError(`stage "${stage}": ctx.counters(defs) may be called once`);
    },
    done() {
      defined = true;
    },
  };
}
