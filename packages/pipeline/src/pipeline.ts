import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, InvalidStateError, reviveError, Ring, type Consumer, type RegionDescriptor, type Schema, type SerializedError } from '@ringkit/core';
import type { StageBoot, StageMessage } from './context.js';
import { StageFailedError, StopTimeoutError } from './errors.js';
import { CTL_DOORBELL, CTL_PAUSE, CTL_STOP, CTL_WORDS, sharedBlock, type SharedBlock } from './shared.js';
import { planPipeline, type Plan, type PipelineSpec, type PlannedStage } from './spec.js';
import { Telemetry, type PipelineSnapshot, type RingInfo } from './telemetry.js';

const STAGE_WORKER = new URL('./stage-worker.js', import.meta.url);

/** What `stop()` (and `done`) resolve to. */
export interface PipelineResult {
  /** Each stage's `close()` result, by stage name. */
  results: Record<string, unknown>;
  /** Seconds from `start()` to the end of the drain. */
  seconds: number;
}

interface RunningStage {
  plan: PlannedStage;
  slot: number;
  worker: Worker | undefined;
  state: 'new' | 'ready' | 'done' | 'failed';
  result: unknown;
  ready: Promise<void>;
  finished: Promise<void>;
  resolveReady: () => void;
  resolveFinished: () => void;
}

/**
 * A running pipeline: levels of stages on worker threads, connected by rings.
 *
 * ```ts
 * const p = new Pipeline({ levels: [{ stages: [gen] }, { stages: [sink] }] });
 * await p.start();
 * const { results } = await p.stop();
 * ```
 * Events: `'telemetry'` (a {@link PipelineSnapshot} every `telemetryIntervalMs`), `'shutdown'`
 * (a stage called `ctx.requestShutdown()`; the pipeline then stops itself), `'error'` (a stage failed).
 */
export class Pipeline extends EventEmitter {
  readonly plan: Plan;
  /** Settles when the pipeline has stopped: resolves with the results, or rejects with the {@link StageFailedError}. */
  readonly done: Promise<PipelineResult>;
  private readonly spec: PipelineSpec;
  private readonly stages: RunningStage[];
  private readonly shared: SharedBlock;
  private readonly outputs = new Map<string, Ring<Schema>>();
  private readonly selfInputs = new Map<string, Ring<Schema>>();
  private readonly consumerIds = new Map<string, Map<string, number>>();
  private readonly selfInputIds = new Map<string, number>();
  private readonly telemetry: Telemetry;
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed' = 'new';
  private startedAt = 0;
  private stopAfterStart = false;
  private stopping: Promise<PipelineResult> | undefined;
  private failure: Error | undefined;
  private settle!: { resolve: (r: PipelineResult) => void; reject: (e: Error) => void };

  /**
   * Checks the topology and creates every ring and consumer; starts no thread.
   * @throws {@link TopologyError} for an invalid topology, naming the problem.
   */
  constructor(spec: PipelineSpec) {
    super();
    this.spec = spec;
    this.plan = planPipeline(spec);
    this.done = new Promise<PipelineResult>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined); // callers observe failures through start/stop/done as they choose
    this.shared = sharedBlock(this.plan.stages.length, spec.levels.length);
    const rings: RingInfo[] = [];
    for (const p of this.plan.stages) {
      const s = p.spec;
      if (s.output !== undefined) {
        const consumers = this.plan.consumers.get(s.name) ?? [];
        const ring = Ring.create<Schema>({ capacity: s.output.capacity, schema: s.output.schema, producer: 'single', maxConsumers: Math.min(32, consumers.length + 8) });
        this.outputs.set(s.name, ring);
        this.consumerIds.set(s.name, this.registerConsumers(s.name, ring));
      }
      if (s.selfInput !== undefined) {
        const ring = Ring.create<Schema>({ capacity: s.selfInput.capacity, schema: s.selfInput.schema, producer: 'multi', maxConsumers: 4 });
        this.selfInputs.set(s.name, ring);
        this.selfInputIds.set(s.name, ring.addConsumer().id);
      }
    }
    for (const [name, ring] of this.outputs) {
      const ids = this.consumerIds.get(name)!;
      rings.push({ name: `${name}.out`, from: name, ring, consumers: [...ids].map(([stage, id]) => ({ stage, id })) });
    }
    for (const [name, ring] of this.selfInputs) rings.push({ name: `${name}.in`, from: 'main', ring, consumers: [{ stage: name, id: this.selfInputIds.get(name)! }] });
    this.stages = this.plan.stages.map((plan, slot) => {
      const st = { plan, slot, worker: undefined, state: 'new', result: undefined } as unknown as RunningStage;
      st.ready = new Promise<void>((r) => { st.resolveReady = r; });
      st.finished = new Promise<void>((r) => { st.resolveFinished = r; });
      return st;
    });
    this.telemetry = new Telemetry(this.plan, rings, this.shared, spec.telemetryIntervalMs ?? 250, (snap) => this.emit('telemetry', snap));
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

  /** The self-input ring of `stage` in this thread: publish into it with `ring.producer()` (multi producer). */
  input(stage: string): Ring<Schema> {
    const r = this.selfInputs.get(stage);
    if (r === undefined) throw new InvalidArgumentError(`stage "${stage}" has no selfInput; stages with one: ${[...this.selfInputs.keys()].join(', ') || '(none)'}`);
    return r;
  }

  /** The output ring of `stage`, viewed from the main thread (read its columns for a {@link tap}). */
  output(stage: string): Ring<Schema> {
    const r = this.outputs.get(stage);
    if (r === undefined) throw new InvalidArgumentError(`stage "${stage}" has no output ring; stages with one: ${[...this.outputs.keys()].join(', ') || '(none)'}`);
    return r;
  }

  /**
   * A consumer of `stage`'s output ring in the main thread (e.g. a listener writing replies to
   * sockets). Call before `start()`; read it until it reports closed, or the stage will block.
   */
  tap(stage: string): Consumer<Schema> {
    if (this.state !== 'new') throw new InvalidStateError(`tap() must be called before start(): state=${this.state}`);
    const c = this.output(stage).addConsumer();
    this.consumerIds.get(stage)!.set('main', c.id);
    this.telemetry.addConsumer(`${stage}.out`, 'main', c.id);
    return c;
  }

  /** Starts every stage thread; resolves when all are ready (handlers loaded, `init` done). */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new InvalidStateError(`start() may be called once: state=${this.state}`);
    this.state = 'starting';
    this.startedAt = Date.now();
    const selfInputs: Record<string, RegionDescriptor> = {};
    for (const [n, r] of this.selfInputs) selfInputs[n] = r.descriptor;
    for (const st of this.stages) this.launch(st, selfInputs);
    await Promise.race([
      Promise.all(this.stages.map((s) => s.ready)),
      this.done.then(() => undefined),
    ]);
    if (this.failure !== undefined) throw this.failure;
    this.state = 'running';
    this.telemetry.start();
    if (this.stopAfterStart) this.stop().catch(() => undefined);
  }

  private launch(st: RunningStage, selfInputs: Record<string, RegionDescriptor>): void {
    const p = st.plan;
    const s = p.spec;
    const inputs: StageBoot['inputs'] = p.inputs.map((inp) => {
      const consumers = this.plan.consumers.get(inp.from)!;
      let shard: { index: number; count: number } | undefined;
      if ((inp.mode ?? 'broadcast') === 'key') {
        const keyed = consumers.filter((c) => c.mode === 'key' && c.group === (inp.group ?? 'default'));
        shard = { index: keyed.findIndex((c) => c.stage === s.name), count: keyed.length };
      }
      return { from: inp.from, descriptor: this.outputs.get(inp.from)!.descriptor, consumerId: this.consumerIds.get(inp.from)!.get(s.name)!, shard };
    });
    let selfInput: StageBoot['selfInput'];
    const self = this.selfInputs.get(s.name);
    if (self !== undefined) selfInput = { descriptor: self.descriptor, consumerId: this.selfInputIds.get(s.name)! };
    const boot: StageBoot = {
      name: s.name,
      level: p.level,
      index: p.index,
      stageSlot: st.slot,
      moduleUrl: p.moduleUrl,
      exportName: s.export ?? 'default',
      options: s.options,
      maxBatch: s.maxBatch ?? 2 ** 30,
      waitStrategy: this.spec.waitStrategy ?? 'async',
      shared: this.shared.buffer,
      stageCount: this.stages.length,
      levelCount: this.spec.levels.length,
      output: this.outputs.get(s.name)?.descriptor,
      selfInput,
      inputs,
      selfInputs,
    };
    const w = new Worker(STAGE_WORKER, { workerData: boot, name: `ringkit:${s.name}` });
    st.worker = w;
    w.on('message', (m: StageMessage) => {
      if (m.type === 'ready') {
        st.state = 'ready';
        st.resolveReady();
      } else if (m.type === 'done') {
        st.state = 'done';
        st.result = m.result;
        st.resolveFinished();
      } else if (m.type === 'error') {
        this.fail(st, reviveError(m.error as SerializedError));
      } else if (m.type === 'shutdown') {
        this.emit('shutdown', s.name);
        if (this.state === 'running') this.stop().catch(() => undefined);
        else if (this.state === 'starting') this.stopAfterStart = true;
      }
    });
    w.on('error', (e) => this.fail(st, e));
    w.on('exit', (code) => {
      if (st.state !== 'done' && this.failure === undefined && this.state !== 'stopped') {
        this.fail(st, new Error(`the stage thread exited (code ${code}) before finishing`));
      }
    });
  }

  private fail(st: RunningStage, cause: unknown): void {
    if (this.failure !== undefined || this.state === 'stopped') return;
    st.state = 'failed';
    const err = new StageFailedError(st.plan.spec.name, cause);
    this.failure = err;
    this.state = 'failed';
    this.terminate();
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.settle.reject(err);
    for (const s of this.stages) {
      s.resolveReady();
      s.resolveFinished();
    }
  }

  private terminate(): void {
    this.telemetry.stop();
    for (const s of this.stages) void s.worker?.terminate();
  }

  /**
   * Drains and stops the pipeline level by level: stops sources and closes self inputs of a
   * level, waits until its stages have processed everything published and closed their
   * outputs, then moves to the next level. Idempotent (returns the same promise).
   * @throws {@link StopTimeoutError} naming the stages that did not finish within `timeoutMs`
   *   (the pipeline is then aborted); {@link StageFailedError} if a stage failed.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<PipelineResult> {
    if (this.stopping !== undefined) return this.stopping;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.state === 'new') throw new InvalidStateError('stop() before start()');
    this.state = 'stopping';
    const timeoutMs = options.timeoutMs ?? this.spec.stopTimeoutMs ?? 10_000;
    this.stopping = this.drain(timeoutMs);
    this.stopping.then((r) => this.settle.resolve(r), (e: Error) => this.settle.reject(e));
    return this.stopping;
  }

  private async drain(timeoutMs: number): Promise<PipelineResult> {
    const deadline = Date.now() + timeoutMs;
    const ctl = this.shared.ctl;
    for (let level = 0; level < this.spec.levels.length; level++) {
      const members = this.stages.filter((s) => s.plan.level === level);
      for (const s of members) {
        Atomics.store(ctl, s.slot * CTL_WORDS + CTL_STOP, 1);
        Atomics.notify(ctl, s.slot * CTL_WORDS + CTL_PAUSE);
        this.selfInputs.get(s.plan.spec.name)?.close();
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now())); });
      const outcome = await Promise.race([Promise.all(members.map((s) => s.finished)).then(() => 'ok' as const), timedOut]);
      clearTimeout(timer);
      if (this.failure !== undefined) throw this.failure;
      if (outcome === 'timeout') {
        const late = members.filter((s) => s.state !== 'done').map((s) => s.plan.spec.name);
        const err = new StopTimeoutError(late, timeoutMs, level);
        this.failure = err;
        this.state = 'failed';
        this.terminate();
        throw err;
      }
    }
    this.telemetry.sample();
    this.telemetry.stop();
    this.state = 'stopped';
    const results: Record<string, unknown> = {};
    for (const s of this.stages) results[s.plan.spec.name] = s.result;
    return { results, seconds: (Date.now() - this.startedAt) / 1000 };
  }

  /** Terminates every stage thread at once (no drain). */
  async abort(): Promise<void> {
    this.state = 'stopped';
    this.terminate();
    await Promise.all(this.stages.map((s) => s.worker?.terminate()));
  }

  private slotOf(stage: string): number {
    const s = this.stages.find((x) => x.plan.spec.name === stage);
    if (s === undefined) throw new InvalidArgumentError(`unknown stage "${stage}"; stages: ${this.stages.map((x) => x.plan.spec.name).join(', ')}`);
    return s.slot;
  }

  /** Wakes one stage waiting in `ctx.waitNotify`. */
  notify(stage: string): void {
    const i = this.slotOf(stage) * CTL_WORDS + CTL_DOORBELL;
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
    const i = this.slotOf(stage) * CTL_WORDS + CTL_PAUSE;
    Atomics.store(this.shared.ctl, i, 0);
    Atomics.notify(this.shared.ctl, i);
  }

  /** The latest telemetry: rings (published, fill, rate, consumers) and stages (batches, busy, rate, latency). */
  snapshot(): PipelineSnapshot {
    return this.telemetry.snapshot();
  }

  /** A Graphviz DOT graph of the pipeline with the latest telemetry on its edges. */
  dot(): string {
    return this.telemetry.dot();
  }

  /** Prometheus text exposition of the latest telemetry (prom-client registry). */
  metrics(): Promise<string> {
    return this.telemetry.metrics();
  }
}
