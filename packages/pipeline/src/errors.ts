import { RingkitError, type RingkitErrorCode } from '@ringkit/core';

/**
 * Error codes added by `@ringkit/pipeline`. Core's `RingkitErrorCode` is a closed union, so the
 * pipeline codes are cast where they are passed to the base class (see the package README).
 */
export type PipelineErrorCode = 'ERR_STAGE_FAILED' | 'ERR_TOPOLOGY' | 'ERR_STOP_TIMEOUT';

/** A stage threw (or its thread died): the pipeline stopped. `stage` names it; `cause` is the error it threw. */
export class StageFailedError extends RingkitError {
  /** Name of the stage that failed. */
  readonly stage: string;
  constructor(stage: string, cause: unknown) {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('ERR_STAGE_FAILED' as RingkitErrorCode, `stage "${stage}" failed and stopped the pipeline: ${why}`, { cause });
    this.stage = stage;
  }
}
StageFailedError.prototype.name = 'StageFailedError';

/** The pipeline description is not a valid topology (cycle, unknown stage, schema mismatch, ...). Nothing was started. */
export class TopologyError extends RingkitError {
  constructor(message: string) {
    super('ERR_TOPOLOGY' as RingkitErrorCode, message);
  }
}
TopologyError.prototype.name = 'TopologyError';

/** `stop()` ran out of time: `stages` did not finish draining, and the pipeline was aborted. */
export class StopTimeoutError extends RingkitError {
  /** Names of the stages that had not finished. */
  readonly stages: readonly string[];
  constructor(stages: readonly string[], timeoutMs: number, level: number) {
    super(
      'ERR_STOP_TIMEOUT' as RingkitErrorCode,
      `pipeline stop timed out after ${timeoutMs} ms: stage${stages.length > 1 ? 's' : ''} ${stages.map((s) => `"${s}"`).join(', ')} (level ${level}) did not finish; the pipeline was aborted`,
    );
    this.stages = stages;
  }
}
StopTimeoutError.prototype.name = 'StopTimeoutError';
