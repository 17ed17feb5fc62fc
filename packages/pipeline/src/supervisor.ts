/**
 * Supervision of the stage threads. A {@link ThreadSupervisor} runs one worker thread — one
 * stage, or every stage of a troupe — one incarnation at a time. It turns every way a thread can
 * end badly — an error message from a stage's harness, an uncaught `'error'` (including
 * `ERR_WORKER_OUT_OF_MEMORY`), an `'exit'` before all its stages are done (`process.exit`) —
 * into exactly one `crashed` call per incarnation, and measures the thread's event-loop
 * utilisation from the main thread (a hung handler counts as busy, an `await` as idle).
 * A {@link StageSupervisor} holds one stage's state across incarnations.
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

/** What the supervisors tell the pipeline. */
export interface SupervisorHooks {
  ready(st: StageSupervisor, shape: HandlerShape): void;
  /** The thread crashed; `culprit` is the stage whose harness reported the error (undefined: the thread died as a whole). */
  crashed(thread: ThreadSupervisor, cause: Error, phase: CrashPhase, culprit: StageSupervisor | undefined): void;
  shutdown(st: StageSupervisor): void;
}

/** One stage's state across its thread's incarnations. */
export class StageSupervisor {
  readonly plan: PlannedStage;
  readonly slot: number;
  readonly name: string;
  /** The thread it runs on (shared by the members of a troupe). */
  thread!: ThreadSupervisor;
  /** Owner tag of the current incarnation's ring objects. */
  owner = 0;
  restarts = 0;
  state: StageState = 'starting';
  /** Where the current incarnation is. */
  phase: CrashPhase = 'load';
  /** The handler's `close()` result once done. */
  result: unknown;
  /** Resolves when the first incarnation is ready (or the stage failed). */
  readonly ready: Promise<void>;
  /** Resolves when the stage is done or failed for good. */
  readonly finished: Promise<void>;
  private resolveReady!: () => void;
  private resolveFinished!: () => void;

  constructor(plan: PlannedStage, slot: number) {
    this.plan = plan;
    this.slot = slot;
    this.name = plan.spec.name;
    this.ready = new Promise<void>((r) => { this.resolveReady = r; });
    this.finished = new Promise<void>((r) => { this.resolveFinished = r; });
  }

  /** Marks it ready (its handler loaded, checked, `init` done). */
  markReady(): void {
    this.phase = 'run';
    if (this.state === 'starting' || this.state === 'restarting') this.state = 'running';
    this.resolveReady();
  }

  /** Marks it done with its `close()` result. */
  markDone(result: unknown): void {
    this.state = 'done';
    this.result = result;
    this.resolveFinished();
  }

  /** Marks the stage failed for good. */
  markFailed(): void {
    this.state = 'failed';
    this.resolveReady();
    this.resolveFinished();
  }

  /** Event-loop utilisation of its thread (shared by a troupe's members). */
  elu(): number | undefined {
    return this.state === 'done' || this.state === 'failed' ? undefined : this.thread.elu();
  }
}

/** One worker thread running one stage or a troupe. */
export class ThreadSupervisor {
  readonly members: StageSupervisor[];
  /** The troupe's name, or the stage's for a thread of its own. */
  readonly name: string;
  readonly policy: ResolvedPolicy;
  readonly budget: RestartBudget;
  private readonly hooks: SupervisorHooks;
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private incarnation = 0;
  private lastElu: EventLoopUtilization | undefined;
  private eluAt = 0;
  private eluValue = 0;

  constructor(name: string, members: StageSupervisor[], hooks: SupervisorHooks) {
    this.name = name;
    this.members = members;
    this.hooks = hooks;
    for (const m of members) m.thread = this;
    // A troupe's members share one policy (the planner checks they declare the same).
    this.policy = resolvePolicy(members[0]!.name, members[0]!.plan.spec.onFailure);
    this.budget = new RestartBudget(this.policy);
  }

  /** Starts a new incarnation running `boots` (one per member not yet done). */
  launch(boots: StageBoot[]): void {
    const incarnation = ++this.incarnation;
    const bySlot = new Map(this.members.map((m) => [m.slot, m]));
    for (const b of boots) {
      const m = bySlot.get(b.stageSlot)!;
      m.owner = b.owner;
      m.phase = 'load';
    }
    const limits = this.members[0]!.plan.spec.resourceLimits;
    const w = new Worker(STAGE_WORKER, { workerData: { boots }, name: `ringkit:${this.name}`, ...(limits === undefined ? {} : { resourceLimits: limits }) });
    this.worker = w;
    this.lastElu = undefined;
    let over = false;
    const running = new Set(boots.map((b) => b.stageSlot));
    const crash = (cause: Error, at: CrashPhase | undefined, culprit: StageSupervisor | undefined): void => {
      if (over || incarnation !== this.incarnation) return;
      over = true;
      const phase = at ?? this.phaseOf(running);
      this.hooks.crashed(this, cause, phase, culprit);
    };
    this.exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.on('message', (m: StageMessage & { slot: number }) => {
      if (incarnation !== this.incarnation) return;
      const st = bySlot.get(m.slot)!;
      if (m.type === 'ready') {
        st.markReady();
        this.hooks.ready(st, m.shape);
      } else if (m.type === 'done') {
        running.delete(st.slot);
        st.markDone(m.result);
        if (running.size === 0) over = true;
      } else if (m.type === 'error') {
        crash(reviveError(m.error as SerializedError), m.phase, st);
      } else if (m.type === 'shutdown') {
        this.hooks.shutdown(st);
      }
    });
    w.on('error', (e) => crash(e, undefined, undefined));
    w.on('exit', (code) => crash(new Error(`the stage thread exited (code ${code}) before finishing`), undefined, undefined));
  }

  /** The earliest phase of the members still running (a load error outranks everything). */
  private phaseOf(running: Set<number>): CrashPhase {
    const phases = this.members.filter((m) => running.has(m.slot)).map((m) => m.phase);
    return phases.includes('load') || phases.includes('init') ? 'init' : 'run';
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

  /** Event-loop utilisation of the thread since the last sample (undefined: no thread); one value per sample for all members. */
  elu(): number | undefined {
    const w = this.worker;
    if (w === undefined) return undefined;
    const now = performance.now();
    if (now - this.eluAt < 5) return this.eluValue;
    this.eluAt = now;
    const cur = w.performance.eventLoopUtilization();
    const prev = this.lastElu;
    this.lastElu = cur;
    this.eluValue = prev === undefined ? cur.utilization : w.performance.eventLoopUtilization(cur, prev).utilization;
    return this.eluValue;
  }
}
