/**
 * The stage harness: what runs a handler inside its stage thread. It takes batches from every
 * input (sleeping on the stage's doorbell when all are empty), hands them to the handler, asks
 * the handler's `onError` what to do with a batch that threw, keeps the telemetry words (the
 * batch being held, counters, latency) and releases each batch only once it was handled — so a
 * thread that dies holding one leaves it in the ring for its replacement.
 */
import { performance } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { AbortError, InvalidStateError, POLL_CLOSED, type ByteBatch, type Codec } from '@ringkit/core';
import type { BatchErrorAction, BatchErrorInfo, ByteStageInput, StageContext, StageHandler, StageInput } from './context.js';
import { ringBells, type Doorbell } from './doorbell.js';
import {
  CTL_PAUSE, CTL_STOP, inputSlot, LATENCY_BUCKETS_US, MAX_INPUTS, TEL_BATCH_ERRORS, TEL_BATCHES, TEL_BUCKETS, TEL_BUSY_MS, TEL_ENTRIES,
  TEL_HOLD_COUNT, TEL_HOLD_INPUT, TEL_HOLD_LO, TEL_HOLD_SINCE, TEL_LAT_COUNT, TEL_LAT_SUM_US, TEL_MAX_US, TEL_P50_US, TEL_P99_US, TEL_RETRIED,
  TEL_SKIPPED, TEL_WORDS, type SharedBlock,
} from './shared.js';

/** Longest doorbell sleep (a safety net: every publish into an input rings the bell). */
const BELL_SLEEP_MS = 1000;
const ACTIONS: readonly BatchErrorAction[] = ['retry', 'skip', 'fail'];

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** One input as the harness drives it: typed ring or byte ring behind the same three calls. */
interface Port {
  /** Declaration index of the input (`-1`: the self input). */
  readonly index: number;
  readonly from: string;
  tryPoll(): number;
  handle(n: number): Promise<void>;
  open: boolean;
}

/** Per-stage harness state (one per stage thread). */
export class StageHarness {
  private readonly h: StageHandler;
  private readonly ctx: StageContext;
  private readonly block: SharedBlock;
  private readonly base: number;
  private readonly tb: number;
  private readonly inBase: number;
  private readonly maxBatch: number;
  private readonly maxRetries: number;
  private readonly bell: Doorbell;
  /**
   * The batch-latency histogram, loaded by {@link loadHistogram} after the stage reported ready:
   * compiling hdr-histogram-js costs each stage thread ~45 ms of CPU, which on a 2-core machine
   * with 4 stages delayed `start()` (and the first message) by ~90 ms. Batches before it loads
   * count in every counter and bucket but the percentiles.
   */
  private histogram: Histogram | undefined;
  private histogramLoaded: Promise<void> = Promise.resolve();
  private lastPercentiles = 0;

  constructor(h: StageHandler, ctx: StageContext, block: SharedBlock, slot: number, ctlBase: number, maxBatch: number, maxRetries: number, bell: Doorbell) {
    this.h = h;
    this.ctx = ctx;
    this.block = block;
    this.base = ctlBase;
    this.tb = slot * TEL_WORDS;
    this.inBase = slot * MAX_INPUTS;
    this.maxBatch = maxBatch;
    this.maxRetries = maxRetries;
    this.bell = bell;
  }

  /** Starts loading the latency histogram (call once the stage reported ready); {@link flushPercentiles} waits for it. */
  loadHistogram(): void {
    this.histogramLoaded = import('hdr-histogram-js').then((hdr) => {
      this.histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2, useWebAssembly: false });
    });
  }

  /** Records one handler call (a batch of `n` entries that took `ms`). */
  account(n: number, ms: number): void {
    const tel = this.block.tel;
    const tb = this.tb;
    tel[tb + TEL_BATCHES]! += 1;
    tel[tb + TEL_ENTRIES]! += n;
    tel[tb + TEL_BUSY_MS]! += ms;
    const us = Math.max(1, Math.round(ms * 1000));
    tel[tb + TEL_LAT_SUM_US]! += us;
    tel[tb + TEL_LAT_COUNT]! += 1;
    let b = 0;
    while (b < LATENCY_BUCKETS_US.length && us > LATENCY_BUCKETS_US[b]!) b++;
    if (b < LATENCY_BUCKETS_US.length) tel[tb + TEL_BUCKETS + b]! += 1;
    const histogram = this.histogram;
    if (histogram === undefined) return;
    histogram.recordValue(us);
    const now = performance.now();
    if (now - this.lastPercentiles > 250) {
      this.lastPercentiles = now;
      this.writePercentiles(histogram);
      if (histogram.totalCount > 100_000) histogram.reset();
    }
  }

  /** Writes the latency percentiles into the telemetry words (once the histogram has loaded). */
  async flushPercentiles(): Promise<void> {
    await this.histogramLoaded;
    if (this.histogram !== undefined) this.writePercentiles(this.histogram);
  }

  private writePercentiles(histogram: Histogram): void {
    const tel = this.block.tel;
    tel[this.tb + TEL_P50_US] = histogram.getValueAtPercentile(50);
    tel[this.tb + TEL_P99_US] = histogram.getValueAtPercentile(99);
    tel[this.tb + TEL_MAX_US] = histogram.maxValue;
  }

  private hold(index: number, lo: number, n: number): void {
    const tel = this.block.tel;
    tel[this.tb + TEL_HOLD_INPUT] = index;
    tel[this.tb + TEL_HOLD_LO] = lo;
    tel[this.tb + TEL_HOLD_COUNT] = n;
    tel[this.tb + TEL_HOLD_SINCE] = Date.now();
  }

  private unhold(index: number, n: number): void {
    this.block.tel[this.tb + TEL_HOLD_SINCE] = 0;
    this.block.inputEntries[this.inBase + inputSlot(index)]! += n;
  }

  /** Calls `call` on one batch until it succeeds, is skipped, or fails (rethrows: the stage crashes holding it). */
  private async attempt(from: string, lo: number, n: number, call: () => void | Promise<void>): Promise<void> {
    const tel = this.block.tel;
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        await call();
        this.account(n, performance.now() - t0);
        return;
      } catch (e) {
        const action = await this.decide(e, { from, lo, count: n, attempt });
        if (action === 'fail') throw e;
        tel[this.tb + TEL_BATCH_ERRORS]! += 1;
        if (action === 'skip') {
          tel[this.tb + TEL_SKIPPED]! += 1;
          return;
        }
        tel[this.tb + TEL_RETRIED]! += 1;
      }
    }
  }

  private async decide(error: unknown, info: BatchErrorInfo): Promise<BatchErrorAction> {
    if (this.h.onError === undefined) return info.attempt <= this.maxRetries ? 'retry' : 'fail';
    const a = await this.h.onError(error, info, this.ctx);
    if (!ACTIONS.includes(a)) {
      throw new InvalidStateError(`stage "${this.ctx.name}": onError must return 'retry', 'skip' or 'fail': returned ${JSON.stringify(a)} (for: ${String((error as Error)?.message ?? error)})`, { cause: error });
    }
    return a;
  }

  private typedPort(input: StageInput, index: number, releaseBells: readonly number[]): Port {
    const h = this.h;
    const ctx = this.ctx;
    const consumer = input.consumer;
    const max = this.maxBatch;
    const batch = consumer.batch;
    const whole = h.onBatch === undefined ? undefined : (): void | Promise<void> => h.onBatch!(batch, input, ctx);
    return this.port(index, input.from, () => consumer.tryPoll(max), batch, whole, (i) => h.onEntry!(batch.index(i), input, ctx), () => {
      consumer.release();
      if (releaseBells.length > 0) ringBells(this.block.ctl, releaseBells);
    });
  }

  private bytePort(input: ByteStageInput, index: number, codec: Codec<unknown> | undefined): Port {
    const h = this.h;
    const ctx = this.ctx;
    const reader = input.reader;
    const batch: ByteBatch = reader.batch;
    const whole = h.onBytes === undefined ? undefined : (): void | Promise<void> => h.onBytes!(batch, input, ctx);
    return this.port(index, input.from, () => reader.tryPoll(), batch, whole, (i) => {
      const rec = batch.record(i);
      return h.onRecord!(codec === undefined ? rec : codec.decode(rec), input, ctx);
    }, () => reader.release());
  }

  /**
   * One input's port: the batch handler (`whole`), else the per-entry one (`each`, an async one
   * awaited entry by entry, in order); the batch is held in the telemetry words while handled
   * and released only once it was handled (or skipped).
   */
  private port(index: number, from: string, tryPoll: () => number, batch: { lo: number; count: number }, whole: (() => void | Promise<void>) | undefined, each: (i: number) => unknown, release: () => void): Port {
    const call = whole ?? (async (): Promise<void> => {
      const n = batch.count;
      for (let i = 0; i < n; i++) {
        const r = each(i);
        if (isThenable(r)) await r;
      }
    });
    return {
      index,
      from,
      open: true,
      tryPoll,
      handle: async (n: number) => {
        this.hold(index, batch.lo, n);
        await this.attempt(from, batch.lo, n, call);
        this.unhold(index, n);
        release();
      },
    };
  }

  /**
   * Consumer stages: takes batches from every input until all are closed and drained. Idle, it
   * sleeps on the doorbell; a self input (written by threads that do not ring it) is watched by
   * a `pollAsync` racing the bell.
   */
  async consume(typed: Array<{ input: StageInput; index: number; releaseBells: number[] }>, bytes: Array<{ input: ByteStageInput; index: number; codec: Codec<unknown> | undefined }>, self: StageInput | undefined): Promise<void> {
    const ports: Port[] = [...typed.map((t) => this.typedPort(t.input, t.index, t.releaseBells)), ...bytes.map((b) => this.bytePort(b.input, b.index, b.codec))];
    const selfPort = self === undefined ? undefined : this.typedPort(self, -1, []);
    if (selfPort !== undefined) ports.push(selfPort);
    const ctl = this.block.ctl;
    const base = this.base;
    let remaining = ports.length;
    while (remaining > 0) {
      if (Atomics.load(ctl, base + CTL_PAUSE) !== 0 && Atomics.load(ctl, base + CTL_STOP) === 0) {
        await this.ctx.waitWhilePaused();
        continue;
      }
      let progressed = await this.pass(ports);
      if (progressed < 0) remaining = ports.filter((p) => p.open).length;
      if (progressed !== 0 || remaining === 0) continue;
      // Idle: arm the bell, try once more (a publish between the pass and the arm), then sleep.
      this.bell.arm();
      progressed = await this.pass(ports);
      if (progressed !== 0) {
        this.bell.disarm();
        remaining = ports.filter((p) => p.open).length;
        continue;
      }
      if (selfPort === undefined || !selfPort.open) {
        await this.bell.sleep(BELL_SLEEP_MS);
        continue;
      }
      const ac = new AbortController();
      const watch = self!.consumer.pollAsync({ max: this.maxBatch, signal: ac.signal }).then((n) => {
        this.bell.ring();
        return n;
      }, (e: unknown) => {
        if (e instanceof AbortError) return 0;
        throw e;
      });
      await this.bell.sleep(BELL_SLEEP_MS);
      ac.abort();
      const n = await watch;
      if (n > 0) await selfPort.handle(n);
      else if (n === POLL_CLOSED) {
        selfPort.open = false;
        remaining--;
      }
    }
  }

  /** One pass over the open inputs: 1 when some batch was handled, -1 when an input closed, 0 when idle. */
  private async pass(ports: Port[]): Promise<number> {
    let r = 0;
    for (let k = 0; k < ports.length; k++) {
      const port = ports[k]!;
      if (!port.open) continue;
      const n = port.tryPoll();
      if (n > 0) {
        await port.handle(n);
        if (r === 0) r = 1;
      } else if (n === POLL_CLOSED) {
        port.open = false;
        r = -1;
      }
    }
    return r;
  }
}
