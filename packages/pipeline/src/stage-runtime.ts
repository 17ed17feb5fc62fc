/**
 * One stage inside a stage thread: attaches its rings under its owner tag, loads the handler,
 * reports its shape and waits for the go, then runs it (source loop, or the {@link StageHarness}
 * over its inputs) and reports done / error. Every publish into its output rings the doorbells
 * of the stages consuming it. A thread runs one stage, or every stage of a troupe.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  AbortError, ByteRing, InvalidArgumentError, InvalidStateError, keepAliveWhile, Ring, serializeError,
  type ByteProducer, type Codec, type Producer, type Schema,
} from '@ringkit/core';
import type { ByteStageInput, HandlerShape, StageBoot, StageContext, StageHandler, StageInput, StageMessage } from './context.js';
import { Doorbell, ringBells } from './doorbell.js';
import { CTL_ABORT, CTL_GO, CTL_NOTIFY, CTL_PAUSE, CTL_STOP, CTL_WORDS, sharedBlock } from './shared.js';
import { StageHarness } from './stage-harness.js';
import { codecOf } from './codecs.js';
import { checkCounterDefs, counterGuard, COUNTER_WORDS, stageCounters, type CounterDef } from './stage-counters.js';

/** Runs the stage `boot` describes in this thread; `post` sends its messages to the main thread. */
export async function runStage(boot: StageBoot, post: (m: StageMessage) => void): Promise<void> {
  const block = sharedBlock(boot.stageCount, boot.levelCount, boot.shared);
  const ctl = block.ctl;
  const base = boot.stageSlot * CTL_WORDS;
  const bell = new Doorbell(ctl, boot.stageSlot);
  const attach = { waitStrategy: boot.waitStrategy, owner: boot.owner };
  const abort = new AbortController();
  /** Fires only when the pipeline aborts (a stop does not end a `send` waiting for room). */
  const kill = new AbortController();

  /** Rings the downstream doorbells after every publish (and the close) of this thread's producer. */
  function withBells<P extends { close(): void }>(p: P, publishName: 'publish' | 'commit'): P {
    const bells = boot.outputBells;
    if (bells.length === 0) return p;
    const rec = p as unknown as Record<string, (...a: unknown[]) => unknown>;
    const publish = rec[publishName]!.bind(p);
    rec[publishName] = (...a: unknown[]) => {
      publish(...a);
      ringBells(ctl, bells);
    };
    const close = p.close.bind(p);
    p.close = () => {
      close();
      ringBells(ctl, bells);
    };
    return p;
  }

  let output: Ring<Schema> | undefined;
  let producer: Producer<Schema> | undefined;
  let byteOutput: ByteRing | undefined;
  let byteProducer: ByteProducer | undefined;
  if (boot.output !== undefined && boot.outputKind === 'ring') {
    output = Ring.attach<Schema>(boot.output, attach);
    producer = withBells(output.producer(), 'publish');
  } else if (boot.output !== undefined) {
    byteOutput = ByteRing.attach(boot.output, attach);
    byteProducer = withBells(byteOutput.producer(), 'commit');
  }
  let outCodec: Codec<unknown> | undefined;

  const typed: Array<{ input: StageInput; index: number; releaseBells: number[] }> = [];
  const bytes: Array<{ input: ByteStageInput; index: number; codec: Codec<unknown> | undefined }> = [];
  boot.inputs.forEach((i, index) => {
    if (i.kind === 'ring') {
      const ring = Ring.attach<Schema>(i.descriptor, attach);
      typed.push({ input: { from: i.from, ring, consumer: ring.openConsumer(i.consumerId), position: typed.length, shard: i.shard }, index, releaseBells: i.releaseBells });
    } else {
      const ring = ByteRing.attach(i.descriptor, attach);
      bytes.push({ input: { from: i.from, ring, reader: ring.openReader(i.consumerId), position: bytes.length, codec: i.codec, shard: i.shard }, index, codec: undefined });
      }
  });
  const inputs = typed.map((t) => t.input);
  let selfInput: StageInput | undefined;
  if (boot.selfInput !== undefined) {
    const ring = Ring.attach<Schema>(boot.selfInput.descriptor, attach);
    selfInput = { from: boot.name, ring, consumer: ring.openConsumer(boot.selfInput.consumerId), position: -1, shard: undefined };
  }
  const attachedSelfInputs = new Map<string, Ring<Schema>>();
  let harness: StageHarness | undefined;
  let counterDefs: Required<CounterDef>[] | undefined;
  const guardCounters = counterGuard(boot.name);
  let readyPosted = false;
  const isSource = boot.inputs.length === 0 && boot.selfInput === undefined;

  const ctx: StageContext = {
    name: boot.name,
    level: boot.level,
    index: boot.index,
    options: boot.options,
    restarts: boot.restarts,
    signal: abort.signal,
    output,
    producer,
    byteOutput,
    byteProducer,
    inputs,
    byteInputs: bytes.map((b) => b.input),
    selfInput,
    get stopRequested() {
      return Atomics.load(ctl, base + CTL_STOP) !== 0;
    },
    get paused() {
      return Atomics.load(ctl, base + CTL_PAUSE) !== 0;
    },
    async waitWhilePaused() {
      while (Atomics.load(ctl, base + CTL_PAUSE) !== 0 && Atomics.load(ctl, base + CTL_STOP) === 0 && !kill.signal.aborted) {
        const r = Atomics.waitAsync(ctl, base + CTL_PAUSE, 1, 1000);
        if (r.async) await keepAliveWhile(r.value);
      }
    },
    record(entries: number, busyMs: number) {
      harness?.account(entries, busyMs);
    },
    counters(defs: readonly CounterDef[]) {
      guardCounters.check(readyPosted);
      counterDefs = checkCounterDefs(boot.name, defs);
      guardCounters.done();
      return stageCounters(boot.name, counterDefs, block.counters.subarray(boot.stageSlot * COUNTER_WORDS, (boot.stageSlot + 1) * COUNTER_WORDS));
    },
    requestShutdown() {
      post({ type: 'shutdown' });
    },
    async waitNotify(timeoutMs: number) {
      const n = Atomics.load(ctl, base + CTL_NOTIFY);
      const levelBell = Atomics.load(block.levelBells, boot.level);
      const a = Atomics.waitAsync(ctl, base + CTL_NOTIFY, n, timeoutMs);
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
        r = Ring.attach<Schema>(d, attach);
        attachedSelfInputs.set(stage, r);
      }
      return r;
    },
    async send(value: unknown) {
      if (byteProducer === undefined) throw new InvalidStateError(`stage "${boot.name}" has no byte-record output (output: { bytes, codec? }) to send to`);
      let rec: Uint8Array;
      if (outCodec !== undefined) rec = outCodec.encode(value);
      else if (value instanceof Uint8Array) rec = value;
      else throw new InvalidArgumentError(`stage "${boot.name}": the 'raw' codec sends Uint8Array records: value=${typeof value}`);
      await byteProducer.writeAsync(rec, { signal: kill.signal });
    },
  };

  /** Fires `ctx.signal` when `index` leaves 0 (stop for sources, abort for everyone); not a keep-alive. */
  function watchWord(index: number, reason: string): void {
    const fire = (): void => {
      if (index === base + CTL_ABORT) kill.abort(new Error(reason));
      if (abort.signal.aborted) return;
      abort.abort(new Error(reason));
      bell.ring();
    };
    if (Atomics.load(ctl, index) !== 0) return fire();
    const r = Atomics.waitAsync(ctl, index, 0);
    if (r.async) void r.value.then(fire);
    else fire();
  }

  async function loadHandler(): Promise<StageHandler> {
    const mod = (await import(boot.moduleUrl)) as Record<string, unknown>;
    const exp = mod[boot.exportName];
    if (exp === undefined) {
      throw new TypeError(`handler module ${boot.moduleUrl} has no export "${boot.exportName}"; exports: ${Object.keys(mod).join(', ') || '(none)'}`);
    }
    const h = typeof exp === 'function' ? await (exp as (c: StageContext) => StageHandler | Promise<StageHandler>)(ctx) : exp;
    if (h === null || typeof h !== 'object') throw new TypeError(`export "${boot.exportName}" of ${boot.moduleUrl} must be a handler object or a factory returning one: got ${h === null ? 'null' : typeof h}`);
    return h as StageHandler;
  }

  function shapeOf(h: StageHandler): HandlerShape {
    const methods = ['init', 'run', 'onBatch', 'onEntry', 'onBytes', 'onRecord', 'onError', 'canStop', 'close'].filter((m) => typeof (h as Record<string, unknown>)[m] === 'function');
    const fn = (h as Record<string, unknown>).onEntry;
    return { methods, asyncOnEntry: typeof fn === 'function' && fn.constructor.name === 'AsyncFunction', ...(counterDefs === undefined ? {} : { counters: counterDefs }) };
  }

  async function waitForGo(): Promise<void> {
    while (Atomics.load(ctl, base + CTL_GO) === 0 && !kill.signal.aborted) {
      const r = Atomics.waitAsync(ctl, base + CTL_GO, 0, 1000);
      if (r.async) await keepAliveWhile(r.value);
    }
  }

  let phase: 'load' | 'init' | 'run' = 'load';
  async function main(): Promise<void> {
    watchWord(base + CTL_ABORT, 'the pipeline aborted');
    const h = await loadHandler();
    for (const b of bytes) b.codec = await codecOf(b.input.codec);
    outCodec = await codecOf(boot.outputCodec);
    harness = new StageHarness(h, ctx, block, boot.stageSlot, base, boot.maxBatch, boot.maxRetries, bell);
    phase = 'init';
    if (h.init !== undefined) await h.init(ctx);
    const shape = shapeOf(h);
    readyPosted = true;
    post({ type: 'ready', shape });
    harness.loadHistogram();
    await waitForGo();
    phase = 'run';
    if (isSource) {
      watchWord(base + CTL_STOP, 'stop requested');
      try {
        if (!kill.signal.aborted && h.run !== undefined) await h.run(ctx);
      } catch (e) {
        // A source woken by ctx.signal at stop ends normally (its aborted wait claimed nothing).
        if (!(e instanceof AbortError && abort.signal.aborted && !kill.signal.aborted)) throw e;
      }
    } else {
      await harness.consume(typed, bytes, selfInput);
      if (!abort.signal.aborted) abort.abort(new Error('inputs drained'));
    }
    // Shutdown veto: stay (timers and sockets keep running) until the handler agrees.
    if (h.canStop !== undefined) while (!h.canStop(ctx)) await delay(10);
    const result = h.close !== undefined ? await h.close(ctx) : undefined;
    producer?.close();
    byteProducer?.close();
    await harness.flushPercentiles();
    post({ type: 'done', result });
  }

  try {
    await main();
  } catch (e) {
    post({ type: 'error', error: serializeError(e), phase });
  }
}
