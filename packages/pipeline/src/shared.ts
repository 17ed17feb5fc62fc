/**
 * Shared words between the main thread and the stage threads (one `SharedArrayBuffer` per
 * pipeline). Layout, in order:
 *
 * | block        | type    | words per stage | what                                                   |
 * |--------------|---------|-----------------|--------------------------------------------------------|
 * | control      | Int32   | {@link CTL_WORDS}   | stop, pause, notify, doorbell, sleeping, go, abort    |
 * | level bells  | Int32   | 1 per level     | `pipeline.notifyLevel(level)`                          |
 * | telemetry    | Float64 | {@link TEL_WORDS}   | counters, the batch being held, latency buckets       |
 * | input counts | Float64 | {@link MAX_INPUTS}  | entries handled per input (per member of a work group) |
 *
 * Control words of one stage (offsets from `slot * CTL_WORDS`):
 *
 * | offset | name          | written by        | meaning                                               |
 * |-------:|---------------|-------------------|-------------------------------------------------------|
 * | 0      | CTL_STOP      | main              | 1 once `stop()` reached this stage's level            |
 * | 1      | CTL_PAUSE     | main              | 1 while paused                                        |
 * | 2      | CTL_NOTIFY    | main              | bumped by `pipeline.notify(stage)`                    |
 * | 3      | CTL_BELL      | upstream threads  | the doorbell: bumped after every publish into an input |
 * | 4      | CTL_SLEEPING  | this stage        | 1 while the stage sleeps on its doorbell              |
 * | 5      | CTL_GO        | main              | 1 once every stage passed its checks: start real work |
 * | 6      | CTL_ABORT     | main              | 1: fire `ctx.signal` (abort, failure, stop timeout)   |
 */

/** Int32 words per stage. */
export const CTL_WORDS = 8;
export const CTL_STOP = 0;
export const CTL_PAUSE = 1;
export const CTL_NOTIFY = 2;
export const CTL_BELL = 3;
export const CTL_SLEEPING = 4;
export const CTL_GO = 5;
export const CTL_ABORT = 6;

/**
 * Float64 words per stage (offsets from `slot * TEL_WORDS`):
 *
 * | offset  | name             | meaning                                                        |
 * |--------:|------------------|----------------------------------------------------------------|
 * | 0       | TEL_BATCHES      | handler calls                                                  |
 * | 1       | TEL_ENTRIES      | entries handled                                                |
 * | 2       | TEL_BUSY_MS      | time inside handler calls (awaits included)                    |
 * | 3–5     | TEL_P50/P99/MAX  | batch latency percentiles, µs (HDR histogram, refreshed 4×/s)  |
 * | 6       | TEL_HOLD_SINCE   | epoch ms at which the batch being handled was taken; 0: none   |
 * | 7       | TEL_HOLD_INPUT   | its input position (-1: the self input)                        |
 * | 8       | TEL_HOLD_LO      | its first sequence                                             |
 * | 9       | TEL_HOLD_COUNT   | its entry count                                                |
 * | 10      | TEL_BATCH_ERRORS | batches whose handler threw and `onError` handled              |
 * | 11      | TEL_SKIPPED      | of those, batches skipped                                      |
 * | 12      | TEL_RETRIED      | handler retries                                                |
 * | 13      | TEL_LAT_SUM_US   | sum of batch latencies, µs                                     |
 * | 14      | TEL_LAT_COUNT    | batches in the latency histogram                               |
 * | 16–29   | TEL_BUCKETS      | latency histogram: count of batches ≤ {@link LATENCY_BUCKETS_US}[i] |
 */
export const TEL_WORDS = 32;
export const TEL_BATCHES = 0;
export const TEL_ENTRIES = 1;
export const TEL_BUSY_MS = 2;
export const TEL_P50_US = 3;
export const TEL_P99_US = 4;
export const TEL_MAX_US = 5;
export const TEL_HOLD_SINCE = 6;
export const TEL_HOLD_INPUT = 7;
export const TEL_HOLD_LO = 8;
export const TEL_HOLD_COUNT = 9;
export const TEL_BATCH_ERRORS = 10;
export const TEL_SKIPPED = 11;
export const TEL_RETRIED = 12;
export const TEL_LAT_SUM_US = 13;
export const TEL_LAT_COUNT = 14;
export const TEL_BUCKETS = 16;
/** Upper bounds (µs, inclusive) of the latency histogram's buckets (cumulative counts are built at scrape time). */
export const LATENCY_BUCKETS_US: readonly number[] = [1, 5, 10, 50, 100, 500, 1000, 5000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 5_000_000];

/** Most inputs per stage (explicit inputs plus the self input, which takes the last position). */
export const MAX_INPUTS = 16;

/** Views over the pipeline's shared control buffer. */
export interface SharedBlock {
  buffer: SharedArrayBuffer;
  ctl: Int32Array;
  levelBells: Int32Array;
  tel: Float64Array;
  /** Entries handled, per stage and input position (`slot * MAX_INPUTS + position`; the self input at `MAX_INPUTS - 1`). */
  inputEntries: Float64Array;
}

/** Creates (no `buffer`) or views the shared control block for `stages` stages and `levels` levels. */
export function sharedBlock(stages: number, levels: number, buffer?: SharedArrayBuffer): SharedBlock {
  const ctlBytes = stages * CTL_WORDS * 4;
  const bellBytes = Math.ceil((levels * 4) / 8) * 8;
  const telBytes = stages * TEL_WORDS * 8;
  const inBytes = stages * MAX_INPUTS * 8;
  const b = buffer ?? new SharedArrayBuffer(ctlBytes + bellBytes + telBytes + inBytes);
  return {
    buffer: b,
    ctl: new Int32Array(b, 0, stages * CTL_WORDS),
    levelBells: new Int32Array(b, ctlBytes, levels),
    tel: new Float64Array(b, ctlBytes + bellBytes, stages * TEL_WORDS),
    inputEntries: new Float64Array(b, ctlBytes + bellBytes + telBytes, stages * MAX_INPUTS),
  };
}

/** Input position of the self input in {@link SharedBlock.inputEntries}. */
export function inputSlot(position: number): number {
  return position < 0 ? MAX_INPUTS - 1 : position;
}
