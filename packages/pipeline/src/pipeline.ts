import { EventEmitter } from 'node:events';
import { ByteRing, InvalidArgumentError, InvalidStateError, Ring, type Consumer, type RegionDescriptor, type Schema } from '@ringkit/core';
import type { BootInput, HandlerShape, StageBoot } from './context.js';
import { ringBells } from './doorbell.js';
import { PipelineAbortedError, StageFailedError, StageStalledError, StopTimeoutError, TopologyError, type HeldBatch } from './errors.js';
import { checkShape } from './handler-shape.js';
import { CTL_ABORT, CTL_GO, CTL_NOTIFY, CTL_PAUSE, CTL_STOP, CTL_WORDS, MAX_INPUTS, sharedBlock, TEL_HOLD_COUNT, TEL_HOLD_INPUT, TEL_HOLD_LO, TEL_HOLD_SINCE, TEL_WORDS, type SharedBlock } from './shared.js';
import { isByteOutput, planPipeline, type Plan, type PipelineSpec } from './spec.js';
import { StallDetector } from './stall.js';
import { StageSupervisor, ThreadSupervisor, type CrashPhase } from './supervisor.js';
import { makeRegistry, renderDot } from './telemetry.js';
import { TelemetrySampler, type PipelineSnapshot, type RingInfo } from './telemetry-sampler.js';
import type { Registry } from 'prom-client';

/** What `stop()` (and `done`) resolve to. */
export interface PipelineResult {
  /** Each stage's `close()` result, by stage name. */
  results: Record<string, unknown>;
  /** Seconds from `start()` to the end of the drain. */
  seconds: number;
  /** Restarts per stage (stages never restarted are absent). */
  restarts: Record<string, number>;
}

/** The `'restart'` event: a stage's thread crashed and is being replaced. */
export interface RestartEvent {
  stage: string;
  /** Restarts of this stage so far, this one included. */
  restarts: number;
  cause: Error;
  /** The batch it held (delivered again to the new thread). */
  batch: HeldBatch | undefined;
  /** Backoff before the new thread starts, ms. */
  delayMs: number;
}

/** The `'stall'` event: a stage stopped draining its input (`stallMs`). */
export interface StallEvent {
  stage: string;
  /** How long its input has not moved (or its batch been held), ms. */
  stalledMs: number;
  batch: HeldBatch | undefined;
  /** What the pipeline does: `'restart'` (policy restart) or `'report'` (policy stop: the stage stays; a `stop()` will name it). */
  action: 'restart' | 'report';
}

type PipelineState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/**
 * A running pipeline: levels of stages on worker threads, connected by rings.
 *
 * ```ts
 * const p = new Pipeline({ levels: [{ stages: [gen] }, { stages: [sink] }] });
 * await p.start();
 * const { results } = await p.stop();
 * ```
 * Events: `'telemetry'` (a {@link PipelineSnapshot} every `telemetryIntervalMs`), `'shutdown'`
 * (a stage called `ctx.requestShutdown()`; the pipeline then stops itself), `'restart'`
 * ({@link RestartEvent}), `'stall'` ({@link StallEvent}), `'error'` (a stage failed for good:
 * the {@link StageFailedError}; `done` rejects with it too).
 */
export class Pipeline extends EventEmitter {
  readonly plan: Plan;
  /** Settles when the pipeline has ended: resolves with the results, or rejects with the {@link StageFailedError}, {@link StopTimeoutError} or {@link PipelineAbortedError}. */
  readonly done: Promise<PipelineResult>;
  private readonly spec: PipelineSpec;
  private readonly stages: StageSupervisor[];
  private readonly threads: ThreadSupervisor[] = [];
  private readonly shared: SharedBlock;
  private readonly outputs = new Map<string, Ring<Schema> | ByteRing>();
  private readonly selfInputs = new Map<string, Ring<Schema>>();
  private readonly consumerIds = new Map<string, Map<string, number>>();
  private readonly selfInputIds = new Map<string, number>();
  private readonly sampler: TelemetrySampler;
  private readonly stalls: StallDetector;
  private readonly stallMs: number;
  private registry: Registry | undefined;
  private state: PipelineState = 'new';
  private startedAt = 0;
  private stopAfterStart = false;
  private stopping: Promise<PipelineResult> | undefined;
  private failure: Error | undefined;
  private settled = false;
  private nextOwner = 1;
  private startError: Error | undefined;
  private signalCleanup: (() => void) | undefined;
  private settle!: { resolve: (r: PipelineResult) => void; reject: (e: Error) => void };
  private readonly selfDescriptors: Record<string, RegionDescriptor> = {};

  /**
   * Checks the topology and creates every ring and consumer; starts no thread.
   * @throws {@link TopologyError} for an invalid topology, naming the problem.
   */
  constructor(spec: PipelineSpec) {
    super();
    this.spec = spec;
    this.plan = planPipeline(spec);
    this.stallMs = spec.stallMs ?? 0;
    this.done = new Promise<PipelineResult>((resolve, reject) => {
      this.settle = {
        resolve: (r) => { if (!this.settled) { this.settled = true; this.signalCleanup?.(); resolve(r); } },
        reject: (e) => { if (!this.settled) { this.settled = true; this.signalCleanup?.(); reject(e); } },
      };
    });
    this.done.catch(() => undefined); // callers observe failures through start/stop/done as they choose
    this.shared = sharedBlock(this.plan.stages.length, spec.levels.length);
    // Pipeline rings wait for ever on a consumer that has not polled yet: stages start behind a
    // go word, and the pipeline's own stall detection watches for the dead and the stuck.
    const common = { startTimeoutMs: 0 };
    for (const p of this.plan.stages) {
      const s = p.spec;
      if (s.output !== undefined) {
        const consumers = this.plan.consumers.get(s.name) ?? [];
        if (isByteOutput(s.output)) {
          const ring = ByteRing.create({ ...common, capacity: s.output.bytes, producer: 'single', maxReaders: Math.min(32, consumers.length + 8) });
          this.outputs.set(s.name, ring);
          const ids = new Map<string, number>();
          for (const c of consumers) ids.set(c.stage, ring.addReader().id);
          this.consumerIds.set(s.name, ids);
        } else {
          const ring = Ring.create<Schema>({ ...common, capacity: s.output.capacity, schema: s.output.schema, producer: 'single', maxConsumers: Math.min(32, consumers.length + 8) });
          this.outputs.set(s.name, ring);
          this.consumerIds.set(s.name, this.registerConsumers(s.name, ring));
        }
      }
      if (s.selfInput !== undefined) {
        const ring = Ring.create<Schema>({ ...common, capacity: s.selfInput.capacity, schema: s.selfInput.schema, producer: 'multi', maxConsumers: 4 });
        this.selfInputs.set(s.name, ring);
        this.selfInputIds.set(s.name, ring.addConsumer().id);
        this.selfDescriptors[s.name] = ring.descriptor;
      }
    }
    const slotOf = new Map(this.plan.stages.map((p, i) => [p.spec.name, i]));
    const rings: RingInfo[] = [];
    for (const [name, ring] of this.outputs) {
      const ids = this.consumerIds.get(name)!;
      const kind = ring instanceof ByteRing ? 'bytes' : 'ring';
      rings.push({
        name: `${name}.out`, from: name, kind, ring, capacity: ring instanceof ByteRing ? ring.capacity : ring.capacity,
        consumers: [...ids].map(([stage, id]) => {
          const slot = slotOf.get(stage)!;
          const input = this.plan.stages[slot]!.inputs.findIndex((i) => i.from === name);
          return { stage, id, slot, input, member: this.plan.stages[slot]!.inputs[input]?.mode === 'shard' };
        }),
      });
    }
    for (const [name, ring] of this.selfInputs) {
      rings.push({ name: `${name}.in`, from: 'main', kind: 'ring', ring, capacity: ring.capacity, consumers: [{ stage: name, id: this.selfInputIds.get(name)!, slot: slotOf.get(name)!, input: MAX_INPUTS - 1 }] });
    }
    this.stages = this.plan.stages.map((plan, slot) => new StageSupervisor(plan, slot));
    const hooks = {
      ready: (st: StageSupervisor, shape: HandlerShape) => this.onReady(st, shape),
      crashed: (thread: ThreadSupervisor, cause: Error, phase: CrashPhase, culprit: StageSupervisor | undefined) => void this.onCrash(thread, cause, phase, culprit),
      shutdown: (st: StageSupervisor) => {
        this.emit('shutdown', st.name);
        if (this.state === 'running') this.stop().catch(() => undefined);
        else if (this.state === 'starting') this.stopAfterStart = true;
      },
    };
    // One thread per stage, or one per troupe (its members side by side on one event loop).
    const troupes = new Map<string, StageSupervisor[]>();
    for (const st of this.stages) {
      const t = st.plan.spec.troupe;
      if (t === undefined) this.threads.push(new ThreadSupervisor(st.name, [st], hooks));
      else (troupes.get(t) ?? troupes.set(t, []).get(t)!).push(st);
    }
    for (const [name, members] of troupes) this.threads.push(new ThreadSupervisor(name, members, hooks));
    const judged = (slot: number) => (): boolean => {
      const st = this.stages[slot]!;
      return (st.state === 'running' || st.state === 'stalled') && Atomics.load(this.shared.ctl, slot * CTL_WORDS + CTL_PAUSE) === 0;
    };
    this.stalls = new StallDetector(this.plan.stages.map((p, slot) => ({
      slot,
      inputs: [
        ...p.inputs.filter((i) => (i.mode ?? 'broadcast') !== 'shard' && !isByteOutput(this.plan.byName.get(i.from)!.spec.output))
          .map((i) => ({ ring: this.outputs.get(i.from) as Ring<Schema>, consumerId: this.consumerIds.get(i.from)!.get(p.spec.name)! })),
        ...(p.spec.selfInput === undefined ? [] : [{ ring: this.selfInputs.get(p.spec.name)!, consumerId: this.selfInputIds.get(p.spec.name)! }]),
      ],
      downstream: (this.plan.consumers.get(p.spec.name) ?? []).map((c) => slotOf.get(c.stage)!),
      judged: judged(slot),
    })));
    this.sampler = new TelemetrySampler(this.plan, rings, this.shared, {
      state: (slot) => {
        const st = this.stages[slot]!;
        if (st.state === 'running' && Atomics.load(this.shared.ctl, slot * CTL_WORDS + CTL_PAUSE) !== 0) return 'paused';
        return st.state;
      },
      restarts: (slot) => this.stages[slot]!.restarts,
      elu: (slot) => this.stages[slot]!.elu(),
    }, spec.telemetryIntervalMs ?? 250, spec.windowsSec ?? [1, 10, 60], (snap) => this.onSample(snap));
  }

  /** Registers the consumers of one output ring in topology order (barrier `after` first). */
  private registerConsumers(from: string, ring: Ring<Schema>): Map<string, number> {
    const list = this.plan.consumers.get(from) ?? [];
    const ids = new Map<string, number>();
    const handles = new Map<string, number>(); // stage -> id usable in `after` (consumer or group)
    const groups = new Map<string, { members: string[]; after: string[] }>();
    for (const c of list) {
      if (c.mode !== 'shard') continue;
      const g = groups.get(c.group) ?? { members: [], after: [] };
      g.members.push(c.stage);
      for (const a of c.after) if (!g.after.includes(a)) g.after.push(a);
      groups.set(c.group, g);
    }
    const pending = [...list];
    const doneGroups = new Set<string>();
    let guard = 0;
    while (pending.length > 0 && guard++ < 1000) {
      const c = pending.shift()!;
      const after = c.mode === 'shard' ? groups.get(c.group)!.after : c.after;
      if (!after.every((a) => handles.has(a))) {
        pending.push(c);
        continue;
      }
      const afterIds = after.map((a) => handles.get(a)!);
      if (c.mode === 'shard') {
        if (doneGroups.has(c.group)) continue;
        doneGroups.add(c.group);
        const g = groups.get(c.group)!;
        const wg = ring.addWorkGroup({ members: g.members.length, after: afterIds });
        g.members.forEach((m, i) => {
          ids.set(m, wg.memberIds[i]!);
          handles.set(m, wg.id);
        });
      } else {
        const consumer = ring.addConsumer({ after: afterIds });
        ids.set(c.stage, consumer.id);
        handles.set(c.stage, consumer.id);
      }
    }
    return ids;
  }

  /**
   * The self-input ring of `stage` in this thread: publish into it with `ring.producer()` (multi
   * producer). `S` types its columns (the caller asserts the stage's `selfInput.schema`).
   */
  input<S extends Schema = Schema>(stage: string): Ring<S> {
    const r = this.selfInputs.get(stage);
    if (r === undefined) throw new InvalidArgumentError(`stage "${stage}" has no selfInput; stages with one: ${[...this.selfInputs.keys()].join(', ') || '(none)'}`);
    return r as Ring<Schema> as Ring<S>;
  }

  /** The typed output ring of `stage`, viewed from the main thread (read its columns for a {@link tap}). */
  output(stage: string): Ring<Schema> {
    const r = this.outputs.get(stage);
    if (r === undefined || r instanceof ByteRing) throw new InvalidArgumentError(`stage "${stage}" has no typed output ring; stages with one: ${[...this.outputs].filter(([, x]) => !(x instanceof ByteRing)).map(([n]) => n).join(', ') || '(none)'}`);
    return r;
  }

  /** The byte-record output ring of `stage` (a stage with `output: { bytes }`). */
  byteOutput(stage: string): ByteRing {
    const r = this.outputs.get(stage);
    if (!(r instanceof ByteRing)) throw new InvalidArgumentError(`stage "${stage}" has no byte-record output; stages with one: ${[...this.outputs].filter(([, x]) => x instanceof ByteRing).map(([n]) => n).join(', ') || '(none)'}`);
    return r;
  }

  /**
   * A consumer of `stage`'s typed output ring in the main thread (e.g. a listener writing replies
   * to sockets). Call before `start()`; read it until it reports closed, or the stage will block.
   */
  tap(stage: string): Consumer<Schema> {
    if (this.state !== 'new') throw new InvalidStateError(`tap() must be called before start(): state=${this.state}`);
    const c = this.output(stage).addConsumer();
    this.consumerIds.get(stage)!.set('main', c.id);
    this.sampler.addTap(`${stage}.out`, c.id);
    return c;
  }

  /** A byte reader of `stage`'s byte-record output in the main thread (call before `start()`). */
  tapBytes(stage: string): import('@ringkit/core').ByteReader {
    if (this.state !== 'new') throw new InvalidStateError(`tapBytes() must be called before start(): state=${this.state}`);
    const r = this.byteOutput(stage).addReader();
    this.consumerIds.get(stage)!.set('main', r.id);
    this.sampler.addTap(`${stage}.out`, r.id);
    return r;
  }

  /**
   * Starts every stage thread; resolves once every handler module is loaded, its export found,
   * its shape checked against its stage and its `init` done — only then does any stage start
   * real work (sources their `run`, consumers their batches).
   * @throws {@link TopologyError} naming the stage whose module, export or handler shape is wrong
   *   (nothing ran); {@link StageFailedError} when an `init` failed (policy `'stop'`).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new InvalidStateError(`start() may be called once: state=${this.state}`);
    this.state = 'starting';
    this.startedAt = Date.now();
    this.installSignals();
    for (const t of this.threads) this.launch(t);
    await Promise.race([Promise.all(this.stages.map((s) => s.ready)), this.done.then(() => undefined, () => undefined)]);
    if (this.startError !== undefined) throw this.startError;
    if (this.failure !== undefined) throw this.failure;
    this.state = 'running';
    for (const st of this.stages) Atomics.store(this.shared.ctl, st.slot * CTL_WORDS + CTL_GO, 1);
    for (const st of this.stages) Atomics.notify(this.shared.ctl, st.slot * CTL_WORDS + CTL_GO);
    this.sampler.start();
    if (this.stopAfterStart) this.stop().catch(() => undefined);
  }

  private installSignals(): void {
    const opt = this.spec.drainOnSignals;
    if (opt === undefined || opt === false) return;
    const signals: NodeJS.Signals[] = opt === true ? ['SIGINT', 'SIGTERM'] : opt;
    const onSignal = (): void => {
      if (this.stopping === undefined && (this.state === 'running' || this.state === 'starting')) {
        if (this.state === 'starting') this.stopAfterStart = true;
        else this.stop().catch(() => undefined);
      } else void this.abort();
    };
    for (const s of signals) process.on(s, onSignal);
    this.signalCleanup = () => {
      for (const s of signals) process.off(s, onSignal);
    };
  }

  private bootOf(st: StageSupervisor): StageBoot {
    const p = st.plan;
    const s = p.spec;
    const inputs: BootInput[] = p.inputs.map((inp) => {
      const consumers = this.plan.consumers.get(inp.from)!;
      const up = this.plan.byName.get(inp.from)!.spec.output;
      let shard: { index: number; count: number } | undefined;
      if ((inp.mode ?? 'broadcast') === 'key') {
        const keyed = consumers.filter((c) => c.mode === 'key' && c.group === (inp.group ?? 'default'));
        shard = { index: keyed.findIndex((c) => c.stage === s.name), count: keyed.length };
      }
      const bytes = isByteOutput(up);
      return {
        from: inp.from, kind: bytes ? 'bytes' : 'ring', descriptor: this.outputs.get(inp.from)!.descriptor,
        consumerId: this.consumerIds.get(inp.from)!.get(s.name)!, shard, codec: bytes ? up.codec ?? 'json' : 'raw',
        releaseBells: consumers.filter((c) => c.after.includes(s.name)).map((c) => this.slotOfName(c.stage)),
      };
    });
    const self = this.selfInputs.get(s.name);
    const out = s.output;
    return {
      name: s.name,
      level: p.level,
      index: p.index,
      stageSlot: st.slot,
      owner: this.nextOwner++,
      restarts: st.restarts,
      moduleUrl: p.moduleUrl,
      exportName: s.export ?? 'default',
      options: s.options,
      maxBatch: s.maxBatch ?? 2 ** 30,
      waitStrategy: this.spec.waitStrategy ?? 'async',
      shared: this.shared.buffer,
      stageCount: this.stages.length,
      levelCount: this.spec.levels.length,
      output: this.outputs.get(s.name)?.descriptor,
      outputKind: out === undefined ? undefined : isByteOutput(out) ? 'bytes' : 'ring',
      outputCodec: isByteOutput(out) ? out.codec ?? 'json' : 'raw',
      outputBells: this.bellsOf(s.name),
      selfInput: self === undefined ? undefined : { descriptor: self.descriptor, consumerId: this.selfInputIds.get(s.name)! },
      inputs,
      selfInputs: this.selfDescriptors,
      maxRetries: s.maxRetries ?? 0,
    };
  }

  /** Starts a thread's next incarnation with every member not yet done. */
  private launch(thread: ThreadSupervisor): void {
    thread.launch(thread.members.filter((m) => m.state !== 'done' && m.state !== 'failed').map((m) => this.bootOf(m)));
  }

  private onReady(st: StageSupervisor, shape: HandlerShape): void {
    try {
      checkShape(this.plan, st.plan, shape);
    } catch (e) {
      this.failStart(e as Error);
    }
  }

  /** A load or shape error during start: nothing ran real work; every thread goes. */
  private failStart(e: Error): void {
    if (this.startError !== undefined) return;
    this.startError = e;
    this.state = 'failed';
    this.failure = e;
    void this.terminateAll();
    for (const s of this.stages) s.markFailed();
    this.settle.reject(e);
  }

  /** The batch the stage holds now (from its telemetry words), if any. */
  private heldBatch(st: StageSupervisor): HeldBatch | undefined {
    const tel = this.shared.tel;
    const b = st.slot * TEL_WORDS;
    const since = tel[b + TEL_HOLD_SINCE]!;
    if (since === 0) return undefined;
    const input = tel[b + TEL_HOLD_INPUT]!;
    return { from: input < 0 ? st.name : st.plan.inputs[input]?.from ?? '?', lo: tel[b + TEL_HOLD_LO]!, count: tel[b + TEL_HOLD_COUNT]!, heldMs: Date.now() - since };
  }

  /** Declares the dead incarnation's ring participants dead on every ring of the pipeline. */
  private recover(owner: number, keepConsumers: boolean): void {
    for (const r of this.outputs.values()) r.recover(owner, { keepConsumers });
    for (const r of this.selfInputs.values()) r.recover(owner, { keepConsumers });
  }

  private async onCrash(thread: ThreadSupervisor, cause: Error, phase: CrashPhase, culprit: StageSupervisor | undefined): Promise<void> {
    if (phase === 'load') {
      this.failStart(new TopologyError(`stage "${culprit?.name ?? thread.name}": ${cause.message}`));
      return;
    }
    const live = thread.members.filter((m) => m.state !== 'done' && m.state !== 'failed');
    const blamed = culprit ?? live.find((m) => this.heldBatch(m) !== undefined) ?? live[0] ?? thread.members[0]!;
    const held = this.heldBatch(blamed);
    const ending = this.state === 'failed' || this.state === 'stopped' || this.settled;
    const delay = ending ? undefined : thread.budget.next(Date.now());
    for (const m of live) m.state = delay === undefined ? 'failed' : 'restarting';
    await thread.terminate();
    for (const m of live) {
      this.shared.tel[m.slot * TEL_WORDS + TEL_HOLD_SINCE] = 0;
      this.recover(m.owner, delay !== undefined);
    }
    if (ending) return;
    if (delay !== undefined) {
      for (const m of live) {
        m.restarts++;
        this.emit('restart', { stage: m.name, restarts: m.restarts, cause, batch: m === blamed ? held : undefined, delayMs: delay } satisfies RestartEvent);
      }
      setTimeout(() => {
        if (this.state === 'failed' || this.state === 'stopped') return;
        this.launch(thread);
      }, delay).unref();
      return;
    }
    for (const m of live) if (m !== blamed) this.failStage(m, undefined);
    this.failStage(blamed, new StageFailedError(blamed.name, cause, { batch: held, restarts: blamed.restarts }));
  }

  /** Policy `'stop'`: the stage is gone; the others drain and close; `done` rejects with `err` (carrying their results). A troupe's other members go without an error of their own. */
  private failStage(st: StageSupervisor, err: StageFailedError | undefined): void {
    st.markFailed();
    // Let the stages downstream of it drain and finish: its output ends here.
    const out = this.outputs.get(st.name);
    try {
      out?.close();
    } catch {
      // already closed
    }
    ringBells(this.shared.ctl, this.bellsOf(st.name));
    if (err === undefined) return;
    if (this.failure === undefined) {
      this.failure = err;
      if (this.listenerCount('error') > 0) this.emit('error', err);
    }
    if (this.state === 'starting') {
      this.state = 'failed';
      void this.terminateAll();
      for (const s of this.stages) s.markFailed();
      this.settle.reject(err);
      return;
    }
    if (this.stopping === undefined) this.beginStop(this.spec.stopTimeoutMs ?? 10_000);
  }

  /** Slots of the stages consuming `stage`'s output (the doorbells its publishes ring). */
  private bellsOf(stage: string): number[] {
    return (this.plan.consumers.get(stage) ?? []).map((c) => this.slotOfName(c.stage));
  }

  private slotOfName(stage: string): number {
    return this.plan.stages.findIndex((p) => p.spec.name === stage);
  }

  private onSample(snap: PipelineSnapshot): void {
    if (this.stallMs > 0 && (this.state === 'running' || this.state === 'stopping')) {
      const now = Date.now();
      this.stalls.observe(now);
      const stuck = this.stalls.stuck(now, this.stallMs, this.shared.tel);
      const blamed = new Set(this.stalls.blame(stuck));
      for (const st of this.stages) {
        if (st.state === 'stalled' && !blamed.has(st.slot)) st.state = 'running';
        if (!blamed.has(st.slot) || st.state !== 'running') continue;
        const batch = this.heldBatch(st);
        const action = st.thread.policy.kind === 'restart' ? 'restart' : 'report';
        st.state = 'stalled';
        this.emit('stall', { stage: st.name, stalledMs: stuck.get(st.slot)!, batch, action } satisfies StallEvent);
        if (action === 'restart') void this.onCrash(st.thread, new StageStalledError(st.name, this.stallMs, batch), 'run', st);
      }
    }
    this.emit('telemetry', snap);
  }

  private async terminateAll(): Promise<void> {
    this.sampler.stop();
    for (const s of this.stages) Atomics.store(this.shared.ctl, s.slot * CTL_WORDS + CTL_ABORT, 1);
    for (const s of this.stages) Atomics.notify(this.shared.ctl, s.slot * CTL_WORDS + CTL_ABORT);
    await Promise.all(this.threads.map((t) => t.terminate()));
  }

  /**
   * Drains and stops the pipeline level by level: stops sources and closes self inputs of a
   * level, waits until its stages have processed everything published and closed their
   * outputs, then moves to the next level. Idempotent (returns the same promise).
   * @throws {@link StopTimeoutError} naming the stages that are stuck (the pipeline is then
   *   aborted); {@link StageFailedError} if a stage failed (with the others' results).
   */
  stop(options: { timeoutMs?: number } = {}): Promise<PipelineResult> {
    if (this.stopping !== undefined) return this.stopping;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.state === 'new') throw new InvalidStateError('stop() before start()');
    if (this.state === 'stopped' || this.state === 'failed') return this.done; // aborted
    if (this.state === 'starting') {
      this.stopAfterStart = true;
      return this.done;
    }
    return this.beginStop(options.timeoutMs ?? this.spec.stopTimeoutMs ?? 10_000);
  }

  private beginStop(timeoutMs: number): Promise<PipelineResult> {
    if (this.state !== 'failed') this.state = 'stopping';
    this.stopping = this.drain(timeoutMs);
    this.stopping.then((r) => this.settle.resolve(r), (e: Error) => this.settle.reject(e));
    return this.stopping;
  }

  private async drain(timeoutMs: number): Promise<PipelineResult> {
    const deadline = Date.now() + timeoutMs;
    const ctl = this.shared.ctl;
    for (let level = 0; level < this.spec.levels.length; level++) {
      const members = this.stages.filter((s) => s.plan.level === level);
      // Every stop word of the level first, then the wake-ups: no stage of the level can see its
      // stop while another one's is not yet set.
      for (const s of members) Atomics.store(ctl, s.slot * CTL_WORDS + CTL_STOP, 1);
      for (const s of members) {
        Atomics.notify(ctl, s.slot * CTL_WORDS + CTL_STOP);
        Atomics.notify(ctl, s.slot * CTL_WORDS + CTL_PAUSE);
        this.selfInputs.get(s.name)?.close();
        ringBells(ctl, [s.slot]);
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now())); });
      const outcome = await Promise.race([Promise.all(members.map((s) => s.finished)).then(() => 'ok' as const), timedOut]);
      clearTimeout(timer);
      if (this.state === 'stopped') throw this.failure ?? new PipelineAbortedError();
      if (outcome === 'timeout') {
        const err = this.timeoutError(timeoutMs, level, members);
        await this.terminateAll();
        this.state = 'failed';
        if (this.failure instanceof StageFailedError) {
          this.failure.results = this.results();
          throw this.failure;
        }
        this.failure = err;
        throw err;
      }
    }
    this.sampler.sample();
    this.sampler.stop();
    const results = this.results();
    if (this.failure instanceof StageFailedError) {
      this.failure.results = results;
      this.state = 'failed';
      throw this.failure;
    }
    this.state = 'stopped';
    const restarts: Record<string, number> = {};
    for (const s of this.stages) if (s.restarts > 0) restarts[s.name] = s.restarts;
    return { results, seconds: (Date.now() - this.startedAt) / 1000, restarts };
  }

  private results(): Record<string, unknown> {
    const results: Record<string, unknown> = {};
    for (const s of this.stages) if (s.state === 'done') results[s.name] = s.result;
    return results;
  }

  /** A stop timeout blames the stages that are stuck (most downstream), else the unfinished ones of the level. */
  private timeoutError(timeoutMs: number, level: number, members: StageSupervisor[]): StopTimeoutError {
    const now = Date.now();
    this.stalls.observe(now);
    const stuck = this.stalls.stuck(now, Math.min(250, timeoutMs / 2), this.shared.tel);
    const blamed = this.stalls.blame(stuck).map((slot) => this.stages[slot]!);
    if (blamed.length > 0) {
      const why = blamed.map((st) => {
        const b = this.heldBatch(st);
        return b === undefined ? `"${st.name}" is not draining its input` : `"${st.name}" holds ${b.count} entries from "${b.from}" since ${Math.round(b.heldMs)} ms`;
      }).join('; ');
      const lv = blamed[0]!.plan.level;
      return new StopTimeoutError(blamed.map((s) => s.name), timeoutMs, lv, `is stuck (${why}); the stages before it only wait for room behind it`);
    }
    return new StopTimeoutError(members.filter((s) => s.state !== 'done' && s.state !== 'failed').map((s) => s.name), timeoutMs, level);
  }

  /**
   * Ends the pipeline at once: fires every stage's `ctx.signal`, terminates every thread (no
   * drain), and settles `done` (rejected with {@link PipelineAbortedError} unless it had settled).
   */
  async abort(): Promise<void> {
    const was = this.state;
    this.state = 'stopped';
    await this.terminateAll();
    for (const s of this.stages) if (s.state !== 'done') s.markFailed();
    if (was !== 'stopped') this.settle.reject(this.failure ?? new PipelineAbortedError());
  }

  private slotOf(stage: string): number {
    const s = this.stages.find((x) => x.name === stage);
    if (s === undefined) throw new InvalidArgumentError(`unknown stage "${stage}"; stages: ${this.stages.map((x) => x.name).join(', ')}`);
    return s.slot;
  }

  /** Wakes one stage waiting in `ctx.waitNotify`. */
  notify(stage: string): void {
    const i = this.slotOf(stage) * CTL_WORDS + CTL_NOTIFY;
    Atomics.add(this.shared.ctl, i, 1);
    Atomics.notify(this.shared.ctl, i);
  }

  /** Wakes every stage of `level` waiting in `ctx.waitNotify` (one write, one notify). */
  notifyLevel(level: number): void {
    if (!Number.isInteger(level) || level < 0 || level >= this.spec.levels.length) {
      throw new InvalidArgumentError(`level must be an integer in [0, ${this.spec.levels.length - 1}]: level=${String(level)}`);
    }
    Atomics.add(this.shared.levelBells, level, 1);
    Atomics.notify(this.shared.levelBells, level);
  }

  /** Pauses a stage: sources see `ctx.paused`; consumer stages stop taking batches until resumed. */
  pause(stage: string): void {
    Atomics.store(this.shared.ctl, this.slotOf(stage) * CTL_WORDS + CTL_PAUSE, 1);
  }

  /** Resumes a paused stage. */
  resume(stage: string): void {
    const slot = this.slotOf(stage);
    const i = slot * CTL_WORDS + CTL_PAUSE;
    Atomics.store(this.shared.ctl, i, 0);
    Atomics.notify(this.shared.ctl, i);
    ringBells(this.shared.ctl, [slot]);
  }

  /** The latest telemetry sample (taken by the pipeline's own timer, never by this call). */
  snapshot(): PipelineSnapshot {
    return this.sampler.snapshot();
  }

  /** A Graphviz DOT graph of the pipeline with the latest telemetry on its edges. */
  dot(): string {
    return renderDot(this.snapshot());
  }

  /** Prometheus text exposition of the latest telemetry (prom-client registry). */
  metrics(): Promise<string> {
    this.registry ??= makeRegistry(() => this.snapshot(), () => { this.snapshot(); return this.sampler.telAtSample(); });
    return this.registry.metrics();
  }
}
