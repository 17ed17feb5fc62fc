/**
 * Shared words between the main thread and the stage threads (one `SharedArrayBuffer` per
 * pipeline): per stage an Int32 block of control words and a Float64 block of counters.
 */

/** Int32 words per stage. */
export const CTL_WORDS = 8;
/** 1 once `stop()` reached this stage's level. */
export const CTL_STOP = 0;
/** 1 while paused. */
export const CTL_PAUSE = 1;
/** Bumped by `pipeline.notify(stage)`. */
export const CTL_DOORBELL = 2;

/** Float64 counters per stage. */
export const TEL_WORDS = 8;
export const TEL_BATCHES = 0;
export const TEL_ENTRIES = 1;
export const TEL_BUSY_MS = 2;
export const TEL_P50_US = 3;
export const TEL_P99_US = 4;
export const TEL_MAX_US = 5;

/** Views over the pipeline's shared control buffer. */
export interface SharedBlock {
  buffer: SharedArrayBuffer;
  ctl: Int32Array;
  levelBells: Int32Array;
  tel: Float64Array;
}

/** Creates (no `buffer`) or views the shared control block for `stages` stages and `levels` levels. */
export function sharedBlock(stages: number, levels: number, buffer?: SharedArrayBuffer): SharedBlock {
  const ctlBytes = stages * CTL_WORDS * 4;
  const bellBytes = Math.ceil((levels * 4) / 8) * 8;
  const telBytes = stages * TEL_WORDS * 8;
  const b = buffer ?? new SharedArrayBuffer(ctlBytes + bellBytes + telBytes);
  return {
    buffer: b,
    ctl: new Int32Array(b, 0, stages * CTL_WORDS),
    levelBells: new Int32Array(b, ctlBytes, levels),
    tel: new Float64Array(b, ctlBytes + bellBytes, stages * TEL_WORDS),
  };
}
