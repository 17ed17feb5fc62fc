/**
 * The FizzBuzz stages (steady_state's "performant" lesson): heartbeat and generator (sources),
 * worker (classifies in place, zero copy between the two rings' column views) and logger (counts).
 * Messages are f64: a plain value `v ≥ 0`, or -15 (FizzBuzz), -3 (Fizz), -5 (Buzz).
 */
import type { Batch, Schema } from '@ringkit/core';
import type { StageContext, StageHandler, StageInput } from '../context.js';
import { setTimeout as delay } from 'node:timers/promises';

/** Options of the heartbeat stage. */
export interface HeartbeatOptions {
  rateMs: number;
  beats: number;
}

/** Heartbeat: publishes 0, 1, … every `rateMs`; after `beats` beats it asks the pipeline to shut down. */
export function heartbeat(ctx: StageContext): StageHandler {
  const { rateMs, beats } = ctx.options as HeartbeatOptions;
  let count = 0;
  return {
    async run() {
      const p = ctx.producer!;
      const col = ctx.output!.columns.beat as Float64Array;
      const mask = ctx.output!.mask;
      let next = performance.now() + rateMs;
      while (!ctx.stopRequested && count < beats) {
        const wait = next - performance.now();
        if (wait > 0) await delay(wait);
        next += rateMs;
        if (ctx.stopRequested) break;
        const hi = await p.claimAsync(1);
        const t0 = performance.now();
        col[hi & mask] = count;
        p.publish(hi);
        ctx.record(1, performance.now() - t0);
        count++;
        if (count === beats) ctx.requestShutdown();
      }
    },
    close: () => ({ beats: count }),
  };
}

/** Options of the generator stage. */
export interface GeneratorOptions {
  /** Messages to generate before asking the pipeline to shut down. Defaults to no limit. */
  messages?: number;
}

/** Wall-clock milliseconds (epoch) with sub-millisecond precision, comparable across threads. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Generator: writes consecutive integers into half a ring at a time (zero copy, in place). With
 * `messages`, stops after exactly that many and asks the pipeline to shut down.
 */
export function generator(ctx: StageContext): StageHandler {
  const limit = (ctx.options as GeneratorOptions | undefined)?.messages ?? Infinity;
  let generated = 0;
  let firstAt = 0;
  return {
    async run() {
      const ring = ctx.output!;
      const p = ctx.producer!;
      const half = ring.capacity >>> 1;
      let v = 0;
      while (!ctx.stopRequested && generated < limit) {
        if (ctx.paused) {
          await ctx.waitWhilePaused();
          continue;
        }
        const n = Math.min(half, limit - generated);
        const hi = await p.claimAsync(n);
        const t0 = performance.now();
        if (firstAt === 0) firstAt = wallMs();
        const [a, b] = ring.slices('value', p.lo, n) as [Float64Array, Float64Array | undefined];
        v = fill(a, v);
        if (b !== undefined) v = fill(b, v);
        p.publish(hi);
        generated += n;
        ctx.record(n, performance.now() - t0);
      }
      if (generated >= limit) ctx.requestShutdown();
    },
    /** `firstAt`: wall-clock ms of the first message (0 if none). */
    close: () => ({ generated, firstAt }),
  };
}

function fill(a: Float64Array, v: number): number {
  const n = a.length;
  for (let i = 0; i < n; i++) a[i] = v + i;
  return v + n;
}

/** out = v × KEEP[v mod 15] + CODE[v mod 15]: branch-free classification. */
const KEEP = new Float64Array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1]);
const CODE = new Float64Array([-15, 0, 0, -3, 0, -5, -3, 0, 0, -3, -5, 0, -3, 0, 0]);

function classify(src: Float64Array, s: number, dst: Float64Array, d: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = src[s + i]!;
    const r = (v - Math.floor(v / 15) * 15) | 0;
    dst[d + i] = v * KEEP[r]! + CODE[r]!;
  }
}

/** Worker: counts heartbeats; maps each generator batch into the output ring (FizzBuzz messages). */
export function worker(ctx: StageContext): StageHandler {
  let processed = 0;
  let beats = 0;
  const out = ctx.output!;
  const p = ctx.producer!;
  return {
    async onBatch(batch: Batch<Schema>, input: StageInput) {
      if (input.from === 'heartbeat') {
        beats += batch.count;
        return;
      }
      const n = batch.count;
      await p.claimAsync(n);
      const src = input.ring.columns.value as Float64Array;
      const dst = out.columns.msg as Float64Array;
      const srcMask = input.ring.mask;
      const dstMask = out.mask;
      let s = batch.lo & srcMask;
      let d = p.lo & dstMask;
      let left = n;
      // Up to three contiguous runs (either ring may wrap inside the batch).
      while (left > 0) {
        const run = Math.min(left, src.length - s, dst.length - d);
        classify(src, s, dst, d, run);
        left -= run;
        s = (s + run) & srcMask;
        d = (d + run) & dstMask;
      }
      p.publish(p.hi);
      processed += n;
    },
    close: () => ({ processed, heartbeats: beats }),
  };
}

function tally(a: Float64Array, counts: Float64Array): void {
  const n = a.length;
  for (let i = 0; i < n; i++) {
    const m = a[i]!;
    counts[m < 0 ? -m : 0]!++;
  }
}

/** Most (time, count) points the logger keeps of its progress (one per {@link SAMPLE_MS} at most). */
const MAX_SAMPLES = 4096;
const SAMPLE_MS = 5;

/**
 * Logger: counts Fizz, Buzz, FizzBuzz and plain values, and when messages arrived: the first
 * and last batch (wall-clock ms) and a coarse progress timeline (flat `[ms, count, …]`), from
 * which the demo tells start-up from the sustained rate.
 */
export function logger(): StageHandler {
  const counts = new Float64Array(16);
  const timeline: number[] = [];
  let seen = 0;
  let firstAt = 0;
  let lastAt = 0;
  let nextSample = 0;
  return {
    onBatch(batch: Batch<Schema>) {
      const [a, b] = batch.slices('msg') as [Float64Array, Float64Array | undefined];
      tally(a, counts);
      if (b !== undefined) tally(b, counts);
      seen += batch.count;
      const t = wallMs();
      if (firstAt === 0) firstAt = t;
      lastAt = t;
      if (t >= nextSample && timeline.length < 2 * MAX_SAMPLES) {
        timeline.push(t, seen);
        nextSample = t + SAMPLE_MS;
      }
    },
    close: () => ({ fizz: counts[3]!, buzz: counts[5]!, fizzbuzz: counts[15]!, value: counts[0]!, firstAt, lastAt, timeline }),
  };
}
