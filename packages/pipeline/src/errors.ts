import { registerErrorClass, RingkitError, type SerializedError } from '@ringkit/core';

/**
 * Error codes added by `@ringkit/pipeline`. Each class is registered with core's
 * `registerErrorClass`, so `reviveError` rebuilds it after a `postMessage`.
 */
export type PipelineErrorCode = 'ERR_STAGE_FAILED' | 'ERR_TOPOLOGY' | 'ERR_STOP_TIMEOUT';

/** A stage threw (or its thread died): the pipeline stopped. `stage` names it; `cause` is the error it threw. */
export class StageFailedError extends RingkitError {
  /** Name of the stage that failed. */
  readonly stage: string;
  constructor(stage: string, cause: unknown) {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('ERR_STAGE_FAILED', `stage "${stage}" failed and stopped the pipeline: ${why}`, { cause });
    this.stage = stage;
  }
}
StageFailedError.prototype.name = 'StageFailedError';

/** The pipeline description is not a valid topology (cycle, unknown stage, schema mismatch, ...). Nothing was started. */
export class TopologyError extends RingkitError {
  constructor(message: string) {
    super('ERR_TOPOLOGY', message);
  }
}
TopologyError.prototype.name = 'TopologyError';

/** `stop()` ran out of time: `stages` did not finish draining, and the pipeline was aborted. */
export class StopTimeoutError extends RingkitError {
  /** Names of the stages that had not finished. */
  readonly stages: readonly string[];
  /** How long `stop()` waited. */
  readonly timeoutMs: number;
  /** The level that was draining. */
  readonly level: number;
  constructor(stages: readonly string[], timeoutMs: number, level: number) {
    super(
      'ERR_STOP_TIMEOUT',
      `pipeline stop timed out after ${timeoutMs} ms: stage${stages.length > 1 ? 's' : ''} ${stages.map((s) => `"${s}"`).join(', ')} (level ${level}) did not finish; the pipeline was aborted`,
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
registerErrorClass('ERR_TOPOLOGY', (d) => new TopologyError(d.message));
registerErrorClass('ERR_STOP_TIMEOUT', (d) => {
  const stages = Array.isArray(d.stages) ? d.stages.map(String) : [];
  return withMessage(new StopTimeoutError(stages, Number(d.timeoutMs ?? 0), Number(d.level ?? 0)), d);
});
