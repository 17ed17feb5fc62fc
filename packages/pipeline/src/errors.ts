import { registerErrorClass, RingkitError, type SerializedError } from '@ringkit/core';

/**
 * Error codes added by `@ringkit/pipeline`. Each class is registered with core's
 * `registerErrorClass`, so `reviveError` rebuilds it after a `postMessage`.
 */
export type PipelineErrorCode = 'ERR_STAGE_FAILED' | 'ERR_TOPOLOGY' | 'ERR_STOP_TIMEOUT' | 'ERR_STAGE_STALLED' | 'ERR_PIPELINE_ABORTED';

/** The batch a stage held when it failed or stalled. */
export interface HeldBatch {
  /** The input it came from (producer stage name; the stage's own name for its self input). */
  from: string;
  /** First sequence (typed ring) or position (byte ring). */
  lo: number;
  count: number;
  /** How long it had been held, ms. */
  heldMs: number;
}

/** What else a {@link StageFailedError} carries. */
export interface StageFailureDetails {
  /** The batch the stage held when it failed (undefined: it held none, e.g. in `init` or `run`). */
  batch?: HeldBatch | undefined;
  /** `close()` results of the stages that drained and closed after the failure (partial results). */
  results?: Record<string, unknown>;
  /** Restarts of this stage before the failure that stopped the pipeline. */
  restarts?: number;
}

function heldText(b: HeldBatch | undefined): string {
  return b === undefined ? '' : ` (holding ${b.count} entr${b.count === 1 ? 'y' : 'ies'} from "${b.from}" at ${b.lo} for ${Math.round(b.heldMs)} ms)`;
}

/**
 * A stage crashed (it threw, its thread exited or ran out of memory, or it stalled) and its
 * failure policy stopped the pipeline. `stage` names it, `batch` says what it held, `cause` is
 * what it threw; `results` has the other stages' `close()` results (they drained and closed).
 */
export class StageFailedError extends RingkitError {
  /** Name of the stage that failed. */
  readonly stage: string;
  /** The batch it held, if any. */
  readonly batch: HeldBatch | undefined;
  /** Partial results: `close()` of every stage that finished after the failure. */
  results: Record<string, unknown>;
  /** Restarts before this failure. */
  readonly restarts: number;
  constructor(stage: string, cause: unknown, details: StageFailureDetails = {}) {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    const tries = details.restarts !== undefined && details.restarts > 0 ? ` after ${details.restarts} restart${details.restarts > 1 ? 's' : ''}` : '';
    super('ERR_STAGE_FAILED', `stage "${stage}" failed and stopped the pipeline${tries}: ${why}${heldText(details.batch)}`, { cause });
    this.stage = stage;
    this.batch = details.batch;
    this.results = details.results ?? {};
    this.restarts = details.restarts ?? 0;
  }
}
StageFailedError.prototype.name = 'StageFailedError';

/** A stage held a batch (or did not take one while its input had entries) for longer than `stallMs`. */
export class StageStalledError extends RingkitError {
  readonly stage: string;
  readonly stallMs: number;
  constructor(stage: string, stallMs: number, batch: HeldBatch | undefined) {
    super('ERR_STAGE_STALLED', `stage "${stage}" stalled: its input did not move for ${stallMs} ms${heldText(batch)}`);
    this.stage = stage;
    this.stallMs = stallMs;
  }
}
StageStalledError.prototype.name = 'StageStalledError';

/** `pipeline.abort()` ended the pipeline: `done` rejects with this. */
export class PipelineAbortedError extends RingkitError {
  constructor(message = 'the pipeline was aborted (abort()): stage threads terminated without a drain') {
    super('ERR_PIPELINE_ABORTED', message);
  }
}
PipelineAbortedError.prototype.name = 'PipelineAbortedError';

/** The pipeline description is not a valid topology (cycle, unknown stage, schema mismatch, ...). Nothing was started. */
export class TopologyError extends RingkitError {
  constructor(message: string) {
    super('ERR_TOPOLOGY', message);
  }
}
TopologyError.prototype.name = 'TopologyError';

/**
 * `stop()` ran out of time and the pipeline was aborted. `stages` names the stages that are
 * actually stuck — holding a batch, or not draining an input that has entries — not the ones
 * only blocked behind them; when none is stuck that way, the stages of the draining level that
 * had not finished.
 */
export class StopTimeoutError extends RingkitError {
  /** Names of the stages that had not finished. */
  readonly stages: readonly string[];
  /** How long `stop()` waited. */
  readonly timeoutMs: number;
  /** The level that was draining. */
  readonly level: number;
  constructor(stages: readonly string[], timeoutMs: number, level: number, why = 'did not finish') {
    super(
      'ERR_STOP_TIMEOUT',
      `pipeline stop timed out after ${timeoutMs} ms: stage${stages.length > 1 ? 's' : ''} ${stages.map((s) => `"${s}"`).join(', ')} (level ${level}) ${why}; the pipeline was aborted`,
    );
    this.stages = stages;
    this.timeoutMs = timeoutMs;
    this.level = level;
  }
}
StopTimeoutError.prototype.name = 'StopTimeoutError';

/** The constructors compose their messages: a revived error keeps the one it was sent with. */
function withMessage<E extends Error>(e: E, data: SerializedError): E {
  e.message = data.message;
  return e;
}

registerErrorClass('ERR_STAGE_FAILED', (d, o) => withMessage(new StageFailedError(String(d.stage ?? 'unknown'), o?.cause), d));
registerErrorClass('ERR_STAGE_STALLED', (d) => withMessage(new StageStalledError(String(d.stage ?? 'unknown'), Number(d.stallMs ?? 0), undefined), d));
registerErrorClass('ERR_PIPELINE_ABORTED', (d) => new PipelineAbortedError(d.message));
registerErrorClass('ERR_TOPOLOGY', (d) => new TopologyError(d.message));
registerErrorClass('ERR_STOP_TIMEOUT', (d) => {
  const stages = Array.isArray(d.stages) ? d.stages.map(String) : [];
  return withMessage(new StopTimeoutError(stages, Number(d.timeoutMs ?? 0), Number(d.level ?? 0)), d);
});
