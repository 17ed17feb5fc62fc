import type { Batch, ByteBatch, ByteProducer, ByteReader, ByteRing, Consumer, Producer, RegionDescriptor, Ring, Schema, WaitStrategyOption } from '@ringkit/core';
import type { CodecName } from './spec.js';

/** One typed-ring input of a running stage. */
export interface StageInput<S extends Schema = Schema> {
  /** Name of the stage whose output ring this is. */
  readonly from: string;
  readonly ring: Ring<S>;
  readonly consumer: Consumer<S>;
  /** Position of this input in `ctx.inputs` (`-1` for the self input). */
  readonly position: number;
  /** Key sharding: this stage owns keys with `key % count === index`. Undefined for other modes. */
  readonly shard: { readonly index: number; readonly count: number } | undefined;
}

/** One byte-record input (the upstream stage's output is a `ByteRing` of variable-length records). */
export interface ByteStageInput {
  readonly from: string;
  readonly ring: ByteRing;
  readonly reader: ByteReader;
  /** Position of this input in `ctx.byteInputs`. */
  readonly position: number;
  /** The codec the records were written with (`onRecord` receives them decoded). */
  readonly codec: CodecName;
  /** Key sharding (`mode: 'key'`): this stage owns keys with `key % count === index`. */
  readonly shard: { readonly index: number; readonly count: number } | undefined;
}

/** What a batch handler's error hook is told: where it happened and how many times it was tried. */
export interface BatchErrorInfo {
  /** Name of the input the batch came from (the producer stage). */
  readonly from: string;
  /** First sequence (typed rings) or position (byte rings) of the batch. */
  readonly lo: number;
  /** Entries (records) in the batch. */
  readonly count: number;
  /** 1 on the first failure of this batch, 2 after one retry, … */
  readonly attempt: number;
}

/**
 * What the error hook decides for a batch whose handler threw: `'retry'` calls the handler again
 * on the same batch, `'skip'` releases it unhandled (counted in telemetry), `'fail'` lets the
 * error go to the stage's failure policy (`onFailure`).
 */
export type BatchErrorAction = 'retry' | 'skip' | 'fail';

/** What a stage's handler sees: its rings, its options, and the pipeline's control words. */
export interface StageContext<O = unknown> {
  readonly name: string;
  readonly level: number;
  /** Index of the stage in its level. */
  readonly index: number;
  /** The spec's `options` (typed by {@link defineStage}). */
  readonly options: O;
  /** How many times this stage's thread was restarted before this one (0 for the first). */
  readonly restarts: number;
  /**
   * Fires when the stage should let go: for sources when `stop()` reaches their level, for
   * consumer stages once their inputs are drained, and for every stage when the pipeline
   * aborts (stop timeout, `abort()`, a failure). Pass it to your own `claimAsync` / `pollAsync`
   * / `fetch` so a stop wakes them (they then throw core's `AbortError`).
   */
  readonly signal: AbortSignal;
  /** The stage's output ring (undefined without a typed `output`). */
  readonly output: Ring<Schema> | undefined;
  /** The output ring's producer (this thread is its only producer). */
  readonly producer: Producer<Schema> | undefined;
  /** The stage's byte-record output ring (undefined unless `output.bytes`). */
  readonly byteOutput: ByteRing | undefined;
  /** Its producer. */
  readonly byteProducer: ByteProducer | undefined;
  /** Upstream typed-ring inputs, in declaration order. */
  readonly inputs: readonly StageInput[];
  /** Upstream byte-record inputs, in declaration order. */
  readonly byteInputs: readonly ByteStageInput[];
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
  /**
   * Byte-record output: encodes `value` with the output's codec and writes it as one record
   * (waits for room; `ctx.signal` aborts the wait). `Uint8Array` values are written as they are
   * with the `'raw'` codec.
   * @throws {@link InvalidStateError} when the stage has no byte output.
   */
  send(value: unknown): Promise<void>;
}

/**
 * A stage handler. Export an object with these methods, or a factory `(ctx) => handler` (per-stage state).
 * - Source stages (no inputs) implement `run`: loop until `ctx.stopRequested` (or `ctx.signal`), then return.
 * - Consumer stages implement `onBatch` (zero-copy batches, write into `ctx.output` with
 *   claim/publish) or `onEntry` (one call per entry, with the slot index; an async `onEntry` is
 *   awaited entry by entry, in order). Byte-record inputs go to `onBytes` (the raw batch) or
 *   `onRecord` (one decoded value per record).
 * - `onError` decides what happens to a batch whose handler threw (retry, skip, or fail).
 * - `canStop` is the shutdown veto: after the inputs are drained the stage stays until it returns true.
 * - `close` runs last; its structured-clonable result is returned by `pipeline.stop()`.
 * `start()` checks these shapes before any stage does real work (`TopologyError` naming the stage).
 */
export interface StageHandler {
  init?(ctx: StageContext): void | Promise<void>;
  run?(ctx: StageContext): void | Promise<void>;
  onBatch?(batch: Batch<Schema>, input: StageInput, ctx: StageContext): void | Promise<void>;
  onEntry?(slot: number, input: StageInput, ctx: StageContext): void | Promise<void>;
  onBytes?(batch: ByteBatch, input: ByteStageInput, ctx: StageContext): void | Promise<void>;
  onRecord?(value: unknown, input: ByteStageInput, ctx: StageContext): void | Promise<void>;
  onError?(error: unknown, info: BatchErrorInfo, ctx: StageContext): BatchErrorAction | Promise<BatchErrorAction>;
  canStop?(ctx: StageContext): boolean;
  close?(ctx: StageContext): unknown;
}

/** One input as the main thread describes it to a stage thread. */
export interface BootInput {
  from: string;
  kind: 'ring' | 'bytes';
  descriptor: RegionDescriptor;
  consumerId: number;
  shard: { index: number; count: number } | undefined;
  codec: CodecName;
  /** Stage slots gated behind this stage on this ring (`after`): their doorbells ring after each release. */
  releaseBells: number[];
}

/** What the main thread sends a stage thread (structured-clonable). */
export interface StageBoot {
  name: string;
  level: number;
  index: number;
  stageSlot: number;
  /** Owner tag of this thread's ring objects (one per incarnation: `recover(owner)` after a crash). */
  owner: number;
  restarts: number;
  moduleUrl: string;
  exportName: string;
  options: unknown;
  maxBatch: number;
  waitStrategy: WaitStrategyOption;
  shared: SharedArrayBuffer;
  stageCount: number;
  levelCount: number;
  output: RegionDescriptor | undefined;
  outputKind: 'ring' | 'bytes' | undefined;
  outputCodec: CodecName;
  /** Stage slots consuming this stage's output (their doorbells ring after each publish). */
  outputBells: number[];
  selfInput: { descriptor: RegionDescriptor; consumerId: number } | undefined;
  inputs: BootInput[];
  selfInputs: Record<string, RegionDescriptor>;
  /** Retries of one batch before it counts as failed when the handler has no `onError`. */
  maxRetries: number;
}

/** What a stage thread reports about its handler once loaded (checked before the go). */
export interface HandlerShape {
  methods: string[];
  asyncOnEntry: boolean;
}

/** Messages from a stage thread to the main thread. */
export type StageMessage =
  | { type: 'ready'; shape: HandlerShape }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: unknown; phase: 'load' | 'init' | 'run' }
  | { type: 'shutdown' };
