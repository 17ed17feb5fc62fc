import type { Batch, Consumer, Producer, RegionDescriptor, Ring, Schema, WaitStrategyOption } from '@ringkit/core';

/** One input of a running stage. */
export interface StageInput {
  /** Name of the stage whose output ring this is. */
  readonly from: string;
  readonly ring: Ring<Schema>;
  readonly consumer: Consumer<Schema>;
  /** Position of this input in `ctx.inputs` (`-1` for the self input). */
  readonly position: number;
  /** Key sharding: this stage owns keys with `key % count === index`. Undefined for other modes. */
  readonly shard: { readonly index: number; readonly count: number } | undefined;
}

/** What a stage's handler sees: its rings, its options, and the pipeline's control words. */
export interface StageContext {
  readonly name: string;
  readonly level: number;
  /** Index of the stage in its level. */
  readonly index: number;
  readonly options: unknown;
  /** The stage's output ring (undefined without `output`). */
  readonly output: Ring<Schema> | undefined;
  /** The output ring's producer (this thread is its only producer). */
  readonly producer: Producer<Schema> | undefined;
  /** Upstream inputs, in declaration order. */
  readonly inputs: readonly StageInput[];
  /** The self-attached input (undefined without `selfInput`). */
  readonly selfInput: StageInput | undefined;
  /** True once `stop()` reached this stage's level: sources should finish their work and return. */
  readonly stopRequested: boolean;
  /** True while the pipeline paused this stage (`pipeline.pause(name)`). */
  readonly paused: boolean;
  /** Resolves when the stage is not paused (or stop was requested). */
  waitWhilePaused(): Promise<void>;
  /** Source stages: counts `entries` produced in `busyMs` into the stage's telemetry (consumer stages are counted by the runtime). */
  record(entries: number, busyMs: number): void;
  /** Asks the main thread to stop the whole pipeline (steady_state's `request_shutdown`). */
  requestShutdown(): void;
  /** Waits until `pipeline.notify(this)` or `pipeline.notifyLevel(level)` rings, or `timeoutMs` passes. Resolves true when notified. */
  waitNotify(timeoutMs: number): Promise<boolean>;
  /** Key sharding: true when this stage owns `key` on input `position` (always true for non-key inputs). */
  owns(key: number, position?: number): boolean;
  /** The self-input ring of another stage, attached in this thread (publish with its multi producer). */
  selfInputOf(stage: string): Ring<Schema>;
}

/**
 * A stage handler. Export an object with these methods, or a factory `(ctx) => handler` (per-stage state).
 * - Source stages (no inputs) implement `run`: loop until `ctx.stopRequested`, then return.
 * - Consumer stages implement `onBatch` (zero-copy batches, write into `ctx.output` with
 *   claim/publish) or `onEntry` (one call per entry, with the slot index).
 * - `canStop` is the shutdown veto: after the inputs are drained the stage stays until it returns true.
 * - `close` runs last; its structured-clonable result is returned by `pipeline.stop()`.
 */
export interface StageHandler {
  init?(ctx: StageContext): void | Promise<void>;
  run?(ctx: StageContext): void | Promise<void>;
  onBatch?(batch: Batch<Schema>, input: StageInput, ctx: StageContext): void | Promise<void>;
  onEntry?(slot: number, input: StageInput, ctx: StageContext): void;
  canStop?(ctx: StageContext): boolean;
  close?(ctx: StageContext): unknown;
}

/** What the main thread sends a stage thread (structured-clonable). */
export interface StageBoot {
  name: string;
  level: number;
  index: number;
  stageSlot: number;
  moduleUrl: string;
  exportName: string;
  options: unknown;
  maxBatch: number;
  waitStrategy: WaitStrategyOption;
  shared: SharedArrayBuffer;
  stageCount: number;
  levelCount: number;
  output: RegionDescriptor | undefined;
  selfInput: { descriptor: RegionDescriptor; consumerId: number } | undefined;
  inputs: Array<{ from: string; descriptor: RegionDescriptor; consumerId: number; shard: { index: number; count: number } | undefined }>;
  selfInputs: Record<string, RegionDescriptor>;
}

/** Messages from a stage thread to the main thread. */
export type StageMessage =
  | { type: 'ready' }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: unknown }
  | { type: 'shutdown' };
