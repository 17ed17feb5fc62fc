/**
 * The supervisor of one stage: runs its handler in a worker thread, one incarnation at a time.
 * It turns every way a thread can end badly — an error message from the harness, an uncaught
 * `'error'` (including `ERR_WORKER_OUT_OF_MEMORY`), an `'exit'` before `done` (`process.exit`)
 * — into exactly one `crashed` call per incarnation, and measures the thread's event-loop
 * utilisation from the main thread (a hung handler counts as busy, an `await` as idle).
 */
import { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { reviveError, type SerializedError } from '@ringkit/core';
import type { HandlerShape, StageBoot, StageMessage } from './context.js';
import { RestartBudget, resolvePolicy, type ResolvedPolicy } from './policy.js';
import type { PlannedStage } from './spec.js';
import type { StageState } from './telemetry-sampler.js';

const STAGE_WORKER = new URL('./stage-worker.js', import.meta.url);

/** Where a stage thread was when it crashed. */
export type CrashPhase = 'load' | 'init' | 'run';

/** What the supervisor tells the pipeline. */
export interface SupervisorHooks {
  ready(st: StageSupervisor, shape: HandlerShape): void;
  done(st: StageSupervisor): void;
  crashed(st: StageSupervisor, cause: Error, phase: CrashPhase): void;
  shutdown(st: StageSupervisor): void;
}

/** One stage's worker thread and its incarnations. */
export class StageSupervisor {
  readonly plan: PlannedStage;
  readonly slot: number;
  readonly name: string;
  readonly policy: ResolvedPolicy;
  readonly budget: RestartBudget;
  /** Owner tag of the current incarnation's ring objects. */
  owner = 0;
  restarts = 0;
  state: StageState = 'starting';
  /** The handler's `close()` result once done. */
  result: unknown;
  /** Resolves when the first incarnation is ready (or the stage failed). */
  readonly ready: Promise<void>;
  /** Resolves when the stage is done or failed for good. */
  readonly finished: Promise<void>;
  private resolveReady!: () => void;
  private resolveFinished!: () => void;
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private incarnation = 0;
  private lastElu: EventLoopUtilization | undefined;
  private readonly hooks: SupervisorHooks;

  constructor(plan: PlannedStage, slot: number, hooks: SupervisorHooks) {
    this.plan = plan;
    this.slot = slot;
    this.name = plan.spec.name;
    this.hooks = hooks;
    this.policy = resolvePolicy(this.name, plan.spec.onFailure);
    this.budget = new RestartBudget(this.policy);
    this.ready = new Promise<void>((r) => { this.resolveReady = r; });
    this.finished = new Promise<void>((r) => { this.resolveFinished = r; });
  }

  /** Starts a new incarnation with `boot` (its owner tag and restart count filled in). */
  launch(boot: StageBoot): void {
    const incarnation = ++this.incarnation;
    this.owner = boot.owner;
    const limits = this.plan.spec.resourceLimits;
    const w = new Worker(STAGE_WORKER, { workerData: boot, name: `ringkit:${this.name}`, ...(limits === undefined ? {} : { resourceLimits: limits }) });
    this.worker = w;
    this.lastElu = undefined;
    let phase: CrashPhase = 'load';
    let over = false;
    const crash = (cause: Error, at: CrashPhase): void => {
      if (over || incarnation !== this.incarnation) return;
      over = true;
      this.hooks.crashed(this, cause, at);
    };
    this.exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.on('message', (m: StageMessage) => {
      if (incarnation !== this.incarnation) return;
      if (m.type === 'ready') {
        phase = 'run';
        if (this.state === 'starting' || this.state === 'restarting') this.state = 'running';
        this.resolveReady();
        this.hooks.ready(this, m.shape);
      } else if (m.type === 'done') {
        over = true;
        this.state = 'done';
        this.result = m.result;
        this.hooks.done(this);
        this.resolveFinished();
      } else if (m.type === 'error') {
        crash(reviveError(m.error as SerializedError), m.phase);
      } else if (m.type === 'shutdown') {
        this.hooks.shutdown(this);
      }
    });
    w.on('error', (e) => crash(e, phase === 'load' ? 'init' : phase));
    w.on('exit', (code) => {
      crash(new Error(`the stage thread exited (code ${code}) before finishing`), phase === 'load' ? 'init' : phase);
    });
  }

  /** Marks the stage failed for good. */
  markFailed(): void {
    this.state = 'failed';
    this.resolveReady();
    this.resolveFinished();
  }

  /** Terminates the current incarnation (if any) and waits for its exit. */
  async terminate(): Promise<void> {
    const w = this.worker;
    if (w === undefined) return;
    this.incarnation++; // whatever it still reports is stale
    await w.terminate();
    await this.exited;
    this.worker = undefined;
  }

  /** Event-loop utilisation of the current thread since the last call (undefined: no thread). */
  elu(): number | undefined {
    const w = this.worker;
    if (w === undefined || this.state === 'done' || this.state === 'failed') return undefined;
    const now = w.performance.eventLoopUtilization();
    const prev = this.lastElu;
    this.lastElu = now;
    if (prev === undefined) return now.utilization;
    return w.performance.eventLoopUtilization(now, prev).utilization;
  }
}
