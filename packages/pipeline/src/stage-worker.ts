/**
 * The stage thread: attaches its rings, loads the handler, runs it (source loop, or batches from
 * its inputs), keeps its telemetry counters, and reports ready / done / error to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { InvalidArgumentError, keepAliveWhile, POLL_CLOSED, Ring, serializeError, TimeoutError, type Schema } from '@ringkit/core';
import type { StageBoot, StageContext, StageHandler, StageInput, StageMessage } from './context.js';
import { CTL_DOORBELL, CTL_PAUSE, CTL_STOP, CTL_WORDS, sharedBlock, TEL_BATCHES, TEL_BUSY_MS, TEL_ENTRIES, TEL_MAX_US, TEL_P50_US, TEL_P99_US, TEL_WORDS } from './shared.js';
import { setTimeout as delay } from 'node:timers/promises';

const boot = workerData as StageBoot;
const port = parentPort!;
const post = (m: StageMessage): void => port.postMessage(m);
const block = sharedBlock(boot.stageCount, boot.levelCount, boot.shared);
const ctl = block.ctl;
const base = boot.stageSlot * CTL_WORDS;
const tel = block.tel;
const tb = boot.stageSlot * TEL_WORDS;
/**
 * The batch-latency histogram, loaded after the stage reported ready: compiling hdr-histogram-js
 * costs each stage thread ~45 ms of CPU, which on a 2-core machine with 4 stages delayed
 * `start()` (and the first message) by ~90 ms. Batches before it loads count in every counter
 * but the percentiles.
 */
let histogram: Histogram | undefined;
const loadHistogram = (): Promise<void> => import('hdr-histogram-js').then((hdr) => {
  histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2, useWebAssembly: false });
});
let lastPercentiles = 0;

/** Records one handler call (batch of `n` entries that took `ms`). */
function account(n: number, ms: number): void {
  tel[tb + TEL_BATCHES]! += 1;
  tel[tb + TEL_ENTRIES]! += n;
  tel[tb + TEL_BUSY_MS]! += ms;
  if (histogram === undefined) return;
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  const now = performance.now();
  if (now - lastPercentiles > 250) {
    lastPercentiles = now;
    tel[tb + TEL_P50_US] = histogram.getValueAtPercentile(50);
    tel[tb + TEL_P99_US] = histogram.getValueAtPercentile(99);
    tel[tb + TEL_MAX_US] = histogram.maxValue;
    if (histogram.totalCount > 100_000) histogram.reset();
  }
}

function attachInput(from: string, descriptor: StageBoot['inputs'][number]['descriptor'], consumerId: number, position: number, shard: StageInput['shard']): StageInput {
  const ring = Ring.attach<Schema>(descriptor, { waitStrategy: boot.waitStrategy });
  return { from, ring, consumer: ring.openConsumer(consumerId), position, shard };
}

const output = boot.output === undefined ? undefined : Ring.attach<Schema>(boot.output, { waitStrategy: boot.waitStrategy });
const inputs = boot.inputs.map((i, k) => attachInput(i.from, i.descriptor, i.consumerId, k, i.shard));
const selfInput = boot.selfInput === undefined ? undefined : attachInput(boot.name, boot.selfInput.descriptor, boot.selfInput.consumerId, -1, undefined);
const attachedSelfInputs = new Map<string, Ring<Schema>>();

const ctx: StageContext = {
  name: boot.name,
  level: boot.level,
  index: boot.index,
  options: boot.options,
  output,
  producer: output?.producer(),
  inputs,
  selfInput,
  get stopRequested() {
    return Atomics.load(ctl, base + CTL_STOP) !== 0;
  },
  get paused() {
    return Atomics.load(ctl, base + CTL_PAUSE) !== 0;
  },
  async waitWhilePaused() {
    while (Atomics.load(ctl, base + CTL_PAUSE) !== 0 && Atomics.load(ctl, base + CTL_STOP) === 0) {
      const r = Atomics.waitAsync(ctl, base + CTL_PAUSE, 1, 100);
      if (r.async) await keepAliveWhile(r.value);
    }
  },
  record(entries: number, busyMs: number) {
    account(entries, busyMs);
  },
  requestShutdown() {
    post({ type: 'shutdown' });
  },
  async waitNotify(timeoutMs: number) {
    const bell = Atomics.load(ctl, base + CTL_DOORBELL);
    const levelBell = Atomics.load(block.levelBells, boot.level);
    const a = Atomics.waitAsync(ctl, base + CTL_DOORBELL, bell, timeoutMs);
    const b = Atomics.waitAsync(block.levelBells, boot.level, levelBell, timeoutMs);
    if (!a.async || !b.async) return true;
    const r = await keepAliveWhile(Promise.race([a.value, b.value]));
    return r === 'ok';
  },
  owns(key: number, position = 0) {
    const s = inputs[position]?.shard;
    return s === undefined || key % s.count === s.index;
  },
  selfInputOf(stage: string) {
    let r = attachedSelfInputs.get(stage);
    if (r === undefined) {
      const d = boot.selfInputs[stage];
      if (d === undefined) throw new InvalidArgumentError(`stage "${stage}" has no self input; stages with one: ${Object.keys(boot.selfInputs).join(', ')}`);
      r = Ring.attach<Schema>(d, { waitStrategy: boot.waitStrategy });
      attachedSelfInputs.set(stage, r);
    }
    return r;
  },
};

async function loadHandler(): Promise<StageHandler> {
  const mod = (await import(boot.moduleUrl)) as Record<string, unknown>;
  const exp = mod[boot.exportName];
  if (exp === undefined) {
    throw new TypeError(`handler module ${boot.moduleUrl} has no export "${boot.exportName}"; exports: ${Object.keys(mod).join(', ')}`);
  }
  const h = typeof exp === 'function' ? await (exp as (c: StageContext) => StageHandler | Promise<StageHandler>)(ctx) : exp;
  if (h === null || typeof h !== 'object') throw new TypeError(`export "${boot.exportName}" of ${boot.moduleUrl} must be a handler object or a factory returning one`);
  return h as StageHandler;
}

async function handleBatch(h: StageHandler, input: StageInput, n: number): Promise<void> {
  const t0 = performance.now();
  if (h.onBatch !== undefined) {
    const r = h.onBatch(input.consumer.batch, input, ctx);
    if (r !== undefined) await r;
  } else if (h.onEntry !== undefined) {
    const batch = input.consumer.batch;
    for (let i = 0; i < n; i++) h.onEntry(batch.index(i), input, ctx);
  }
  account(n, performance.now() - t0);
  input.consumer.release();
}

/** Consumer stages: take batches from every input until all are closed and drained. */
async function consume(h: StageHandler): Promise<void> {
  const all = selfInput === undefined ? inputs : [...inputs, selfInput];
  const open = all.map(() => true);
  let remaining = all.length;
  const max = boot.maxBatch;
  let turn = 0;
  while (remaining > 0) {
    if (Atomics.load(ctl, base + CTL_PAUSE) !== 0 && Atomics.load(ctl, base + CTL_STOP) === 0) {
      await ctx.waitWhilePaused();
      continue;
    }
    let progressed = false;
    for (let k = 0; k < all.length; k++) {
      if (!open[k]) continue;
      const input = all[k]!;
      const n = input.consumer.tryPoll(max);
      if (n > 0) {
        progressed = true;
        await handleBatch(h, input, n);
      } else if (n === POLL_CLOSED) {
        open[k] = false;
        remaining--;
      }
    }
    if (progressed || remaining === 0) continue;
    // Idle: sleep asynchronously on one open input (its close or its next publish wakes us).
    turn = (turn + 1) % all.length;
    let k = turn;
    while (!open[k]) k = (k + 1) % all.length;
    const input = all[k]!;
    try {
      const n = await input.consumer.pollAsync({ max, timeout: remaining > 1 ? 2 : 50 });
      if (n > 0) await handleBatch(h, input, n);
      else if (n === POLL_CLOSED) {
        open[k] = false;
        remaining--;
      }
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
    }
  }
}

let histogramLoaded: Promise<void> = Promise.resolve();

async function main(): Promise<void> {
  const h = await loadHandler();
  if (h.init !== undefined) await h.init(ctx);
  post({ type: 'ready' });
  histogramLoaded = loadHistogram();
  if (inputs.length === 0 && selfInput === undefined) {
    if (h.run === undefined) throw new TypeError(`stage "${boot.name}" has no inputs, so its handler must implement run(ctx)`);
    await h.run(ctx);
  } else {
    await consume(h);
  }
  // Shutdown veto: stay (timers and sockets keep running) until the handler agrees.
  if (h.canStop !== undefined) while (!h.canStop(ctx)) await delay(10);
  const result = h.close !== undefined ? await h.close(ctx) : undefined;
  if (ctx.producer !== undefined) ctx.producer.close();
  await histogramLoaded;
  tel[tb + TEL_P50_US] = histogram!.getValueAtPercentile(50);
  tel[tb + TEL_P99_US] = histogram!.getValueAtPercentile(99);
  tel[tb + TEL_MAX_US] = histogram!.maxValue;
  post({ type: 'done', result });
}

main().catch((e: unknown) => {
  post({ type: 'error', error: serializeError(e) });
});
