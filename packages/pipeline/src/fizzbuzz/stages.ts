/**
 * The FizzBuzz stages (steady_state's "performant" lesson): heartbeat and generator (sources),
 * worker (classifies in place, zero copy between the two rings' column views, or through its
 * own buffer) and logger (counts). Messages are f64: a plain value `v ≥ 0`, or -15 (FizzBuzz),
 * -3 (Fizz), -5 (Buzz). Every stage is typed with `defineStage`: no casts.
 *
 * Pacing (the lesson's rule): each heartbeat lets the worker take at most two half-channels of
 * the generator's ring. The worker's batches are at most half a ring (`maxBatch`), each costs
 * one credit, and a beat brings two. Once the heartbeat has ended (its ring closed) the worker
 * drains what is left, so every generated value is processed.
 */
import { setImmediate as yieldToLoop, setTimeout as delay } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { POLL_CLOSED } from '@ringkit/core';
import { defineStage } from '../define-stage.js';

/** Options of the heartbeat stage. */
export interface HeartbeatOptions {
  rateMs: number;
  beats: number;
}

/** How the worker moves a batch: straight between the rings' views, or through its own buffer first. */
export type WorkerForm = 'zero-copy' | 'double-buffer';

/** Options of the worker stage. */
export interface WorkerOptions {
  /** Heartbeat-paced (the lesson) or not (heartbeats only counted). */
  paced: boolean;
  form: WorkerForm;
}

/** Options of the generator stage. */
export interface GeneratorOptions {
  /** Messages to generate before asking the pipeline to shut down. Defaults to no limit. */
  messages: number;
}

/** Wall-clock milliseconds (epoch) with sub-millisecond precision, comparable across threads. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Reads a field of the raw options (structured-cloned from the spec), checked at the stage's start. */
function field(raw: unknown, name: string): unknown {
  return raw !== null && typeof raw === 'object' ? Reflect.get(raw, name) : undefined;
}

function parseHeartbeat(raw: unknown): HeartbeatOptions {
  const rateMs = field(raw, 'rateMs');
  const beats = field(raw, 'beats');
  if (typeof rateMs !== 'number' || !(rateMs > 0) || typeof beats !== 'number' || !Number.isInteger(beats) || beats < 1) {
    throw new TypeError(`heartbeat options must be { rateMs > 0, beats ≥ 1 integer }: ${JSON.stringify(raw)}`);
  }
  return { rateMs, beats };
}

function parseWorker(raw: unknown): WorkerOptions {
  const paced = field(raw, 'paced') ?? true;
  const form = field(raw, 'form') ?? 'zero-copy';
  if (typeof paced !== 'boolean' || (form !== 'zero-copy' && form !== 'double-buffer')) {
    throw new TypeError(`worker options must be { paced?: boolean, form?: 'zero-copy' | 'double-buffer' }: ${JSON.stringify(raw)}`);
  }
  return { paced, form };
}

function parseGenerator(raw: unknown): GeneratorOptions {
  const messages = field(raw, 'messages') ?? Infinity;
  if (typeof messages !== 'number' || !(messages === Infinity || (Number.isSafeInteger(messages) && messages >= 1))) {
    throw new TypeError(`generator options must be { messages?: positive integer }: ${JSON.stringify(raw)}`);
  }
  return { messages };
}

const BEAT = { beat: 'f64' } as const;
const VALUE = { value: 'f64' } as const;
const MSG = { msg: 'f64' } as const;

/** Heartbeat: publishes 0, 1, … every `rateMs`; after `beats` beats it asks the pipeline to shut down. */
export const heartbeat = defineStage({
  output: BEAT,
  options: parseHeartbeat,
}, (ctx) => {
  const { rateMs, beats } = ctx.options;
  let count = 0;
  return {
    async run() {
      const p = ctx.producer;
      const col = ctx.output.columns.beat;
      const mask = ctx.output.mask;
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
      // Keep the beat ring open until the stop reached this level (the generator's stop is set
      // with it): the worker's pacing ends only then, so it never drains an unpaced generator.
      while (!ctx.stopRequested) await delay(5);
    },
    close: () => ({ beats: count, thread: threadId }),
  };
});

/**
 * Generator: writes consecutive integers into half a ring at a time (zero copy, in place). With
 * `messages`, stops after exactly that many and asks the pipeline to shut down.
 */
export const generator = defineStage({ output: VALUE, options: parseGenerator }, (ctx) => {
  const limit = ctx.options.messages;
  let generated = 0;
  let firstAt = 0;
  return {
    async run() {
      const ring = ctx.output;
      const p = ctx.producer;
      const half = ring.capacity >>> 1;
      let v = 0;
      while (!ctx.stopRequested && generated < limit) {
        if (ctx.paused) {
          await ctx.waitWhilePaused();
          continue;
        }
        const n = Math.min(half, limit - generated);
        const hi = await p.claimAsync(n, { signal: ctx.signal }); // a stop wakes it (AbortError ends run)
        const t0 = performance.now();
        if (firstAt === 0) firstAt = wallMs();
        const [a, b] = ring.slices('value', p.lo, n);
        v = fill(a, v);
        if (b !== undefined) v = fill(b, v);
        p.publish(hi);
        generated += n;
        ctx.record(n, performance.now() - t0);
        await yieldToLoop(); // once per half ring: a troupe's heartbeat timer gets its turn
      }
      if (generated >= limit) ctx.requestShutdown();
    },
    /** `firstAt`: wall-clock ms of the first message (0 if none). */
    close: () => ({ generated, firstAt, thread: threadId }),
  };
});

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

/** Worker: counts heartbeats; maps each generator batch into the output ring (FizzBuzz messages), paced by the beats. */
export const worker = defineStage({
  inputs: { heartbeat: BEAT, generator: VALUE },
  output: MSG,
  options: parseWorker,
}, (ctx) => {
  let processed = 0;
  let beats = 0;
  let credits = 0;
  let beatsOver = false;
  const { paced, form } = ctx.options;
  const out = ctx.output;
  const p = ctx.producer;
  const heart = ctx.inputs.find((i) => i.from === 'heartbeat')!;
  const own = form === 'double-buffer' ? new Float64Array(ctx.inputs.find((i) => i.from === 'generator')!.ring.capacity >>> 1) : undefined;
  /** Waits for a beat (two half-channel credits), reading the heartbeat input itself. */
  const awaitBeat = async (): Promise<void> => {
    while (credits === 0 && !beatsOver) {
      const n = await heart.consumer.pollAsync();
      if (n === POLL_CLOSED) beatsOver = true;
      else {
        beats += n;
        credits += 2 * n;
        heart.consumer.release();
      }
    }
  };
  return {
    async onBatch(batch, input) {
      if (input.from === 'heartbeat') {
        beats += batch.count;
        credits += 2 * batch.count;
        return;
      }
      if (paced && credits === 0) await awaitBeat();
      if (credits > 0) credits--;
      const n = batch.count;
      await p.claimAsync(n);
      const src = input.ring.columns.value;
      const dst = out.columns.msg;
      const srcMask = input.ring.mask;
      const dstMask = out.mask;
      let s = batch.lo & srcMask;
      let d = p.lo & dstMask;
      let left = n;
      if (own !== undefined) {
        // Double buffer (the lesson's default): copy the batch out of the ring, then work on the copy.
        let at = 0;
        while (at < n) {
          const run = Math.min(n - at, src.length - s);
          own.set(src.subarray(s, s + run), at);
          at += run;
          s = (s + run) & srcMask;
        }
        at = 0;
        while (left > 0) {
          const run = Math.min(left, dst.length - d);
          classify(own, at, dst, d, run);
          left -= run;
          at += run;
          d = (d + run) & dstMask;
        }
      } else {
        // Zero copy: up to three contiguous runs (either ring may wrap inside the batch).
        while (left > 0) {
          const run = Math.min(left, src.length - s, dst.length - d);
          classify(src, s, dst, d, run);
          left -= run;
          s = (s + run) & srcMask;
          d = (d + run) & dstMask;
        }
      }
      p.publish(p.hi);
      processed += n;
    },
    close: () => ({ processed, heartbeats: beats, thread: threadId }),
  };
});

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
export const logger = defineStage({ inputs: { worker: MSG } }, () => {
  const counts = new Float64Array(16);
  const timeline: number[] = [];
  let seen = 0;
  let firstAt = 0;
  let lastAt = 0;
  let nextSample = 0;
  return {
    onBatch(batch) {
      const [a, b] = batch.slices('msg');
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
    close: () => ({ fizz: counts[3]!, buzz: counts[5]!, fizzbuzz: counts[15]!, value: counts[0]!, firstAt, lastAt, timeline, thread: threadId }),
  };
});
