/**
 * `pipeline.fizzbuzz`: the FizzBuzz demo of `@ringkit/pipeline` (its stages, its runtime, through
 * its public `startDemo`) run for a fixed message count, beside `baseline.raw.fizzbuzz` (the
 * same three stages hand-written, `worker/fizzbuzz-roles.ts`). Both are checked message for
 * message (every count of the classification) and timed the same way: messages / (last message
 * logged − first message generated). The pipeline's start-up is reported beside it.
 */
import { startDemo, type DemoResult } from '@ringkit/pipeline';
import type { CaseSpec } from './cases.js';
import type { CaseOutcome, Timing } from './runner.js';

/** The message rate the message count is sized for (so a run lasts about the timing's windows). */
const SIZING_RATE = 150e6;

/**
 * Messages per FizzBuzz run for `timing`: about `runs × windowMs` at 150 M msgs/s, a whole number
 * of half rings of 2^20 (at least 8 of them).
 */
export function fizzbuzzMessages(timing: Timing): number {
  const half = 1 << 19;
  const wanted = (timing.runs * timing.windowMs * SIZING_RATE) / 1000;
  return Math.max(8, Math.ceil(wanted / half)) * half;
}

/** What a FizzBuzz run counted (the demo's own fields). */
export type FizzbuzzCounts = Pick<DemoResult, 'generated' | 'processed' | 'fizz' | 'buzz' | 'fizzbuzz' | 'value'>;

/** Values v in [0, n) with v mod 15 in `residues`. */
function countResidues(n: number, residues: readonly number[]): number {
  let c = 0;
  for (const r of residues) if (n > r) c += Math.floor((n - 1 - r) / 15) + 1;
  return c;
}

/** The exact counts of 0 … n-1 (0 counts as FizzBuzz, as the demo's). */
export function expectedFizzbuzz(n: number): FizzbuzzCounts {
  const fizzbuzz = countResidues(n, [0]);
  const fizz = countResidues(n, [3, 6, 9, 12]);
  const buzz = countResidues(n, [5, 10]);
  return { generated: n, processed: n, fizz, buzz, fizzbuzz, value: n - fizzbuzz - fizz - buzz };
}

/**
 * Checks a run's counts against the exact ones.
 * @throws naming every count that differs.
 */
export function checkFizzbuzz(n: number, got: FizzbuzzCounts): string {
  const want = expectedFizzbuzz(n);
  const wrong = (Object.keys(want) as (keyof FizzbuzzCounts)[]).filter((k) => got[k] !== want[k]).map((k) => `${k}=${got[k]} (expected ${want[k]})`);
  if (wrong.length > 0) throw new Error(`FizzBuzz counts differ: ${wrong.join(', ')}`);
  return `3 stages × ${n} entries; generated, processed and every class count exact (counts and checksums equal)`;
}

/** Runs the demo pipeline for a fixed message count and reports its sustained rate and start-up. */
export async function runPipelineCase(spec: CaseSpec, timing: Timing): Promise<CaseOutcome> {
  const messages = fizzbuzzMessages(timing);
  const demo = await startDemo({ messages, capacity: spec.capacity, telemetryIntervalMs: 1000 });
  const r = await demo.done;
  const checked = checkFizzbuzz(messages, r);
  return {
    spec,
    opsPerSec: r.sustainedMsgsPerSec,
    windowRates: [r.sustainedMsgsPerSec],
    latency: null,
    memoryBytes: null,
    threads: 4,
    checked,
    extra: { readyMs: r.readyMs, firstMessageMs: r.firstMessageMs, steadyMs: r.steadyMs, endToEndMsgsPerSec: r.msgsPerSec, messages },
  };
}
