/**
 * Failure policy of a stage: what the pipeline does when the stage's thread crashes (a throw
 * its `onError` did not handle, a throw in `init`, `process.exit`, running out of memory, or a
 * stall past `stallMs`).
 *
 * - `'stop'` (default): the pipeline stops. The other stages drain what they hold and close;
 *   `done` and `stop()` reject with a `StageFailedError` that names the stage, the batch it held
 *   and the cause, and carries the other stages' `close()` results (`error.results`).
 * - `'restart'`: the stage gets a new worker thread after a backoff; the batch it had not
 *   released is delivered again from the ring (its consumer sequence only moves on release), so
 *   nothing published is lost — at-least-once inside the pipeline: entries of that batch the dead
 *   thread had already forwarded may be forwarded twice. After `maxRestarts` restarts within
 *   `windowMs` the next crash is handled as `'stop'`.
 */
import { InvalidArgumentError } from '@ringkit/core';

/** Bounded restarts with exponential backoff. */
export interface RestartPolicy {
  restart: {
    /** Most restarts within `windowMs`. Defaults to 5. */
    maxRestarts?: number;
    /** Window of `maxRestarts`, ms. Defaults to 60,000. */
    windowMs?: number;
    /** Delay before the first restart, ms; doubled for each restart in the window. Defaults to 100. */
    backoffMs?: number;
    /** Longest delay, ms. Defaults to 5,000. */
    maxBackoffMs?: number;
  };
}

/** A stage's failure policy (see the module comment). */
export type FailurePolicy = 'stop' | 'restart' | RestartPolicy;

/** A resolved failure policy. */
export interface ResolvedPolicy {
  kind: 'stop' | 'restart';
  maxRestarts: number;
  windowMs: number;
  backoffMs: number;
  maxBackoffMs: number;
}

const DEFAULTS = { maxRestarts: 5, windowMs: 60_000, backoffMs: 100, maxBackoffMs: 5_000 };

function nonNegative(stage: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(`stage "${stage}": onFailure.restart.${name} must be a finite number ≥ 0: ${name}=${String(v)}`);
  }
  return v;
}

/**
 * Checks and resolves a stage's `onFailure`.
 * @throws {@link InvalidArgumentError} naming what is allowed.
 */
export function resolvePolicy(stage: string, p: FailurePolicy | undefined): ResolvedPolicy {
  if (p === undefined || p === 'stop') return { kind: 'stop', ...DEFAULTS };
  if (p === 'restart') return { kind: 'restart', ...DEFAULTS };
  if (p === null || typeof p !== 'object' || p.restart === null || typeof p.restart !== 'object') {
    throw new InvalidArgumentError(`stage "${stage}": onFailure must be 'stop', 'restart' or { restart: { maxRestarts?, windowMs?, backoffMs?, maxBackoffMs? } }: onFailure=${JSON.stringify(p)}`);
  }
  const r = p.restart;
  const maxRestarts = nonNegative(stage, 'maxRestarts', r.maxRestarts, DEFAULTS.maxRestarts);
  if (!Number.isInteger(maxRestarts)) throw new InvalidArgumentError(`stage "${stage}": onFailure.restart.maxRestarts must be an integer ≥ 0: maxRestarts=${maxRestarts}`);
  return {
    kind: 'restart',
    maxRestarts,
    windowMs: nonNegative(stage, 'windowMs', r.windowMs, DEFAULTS.windowMs),
    backoffMs: nonNegative(stage, 'backoffMs', r.backoffMs, DEFAULTS.backoffMs),
    maxBackoffMs: nonNegative(stage, 'maxBackoffMs', r.maxBackoffMs, DEFAULTS.maxBackoffMs),
  };
}

/** The restart budget of one stage: crash times within the window decide whether and when to restart. */
export class RestartBudget {
  private readonly policy: ResolvedPolicy;
  private readonly crashes: number[] = [];

  constructor(policy: ResolvedPolicy) {
    this.policy = policy;
  }

  /**
   * Records a crash at `now`; returns the backoff before the restart, or `undefined` when the
   * stage must not be restarted (policy `'stop'`, or the budget of the window is spent).
   */
  next(now: number): number | undefined {
    const p = this.policy;
    if (p.kind !== 'restart') return undefined;
    while (this.crashes.length > 0 && now - this.crashes[0]! > p.windowMs) this.crashes.shift();
    if (this.crashes.length >= p.maxRestarts) return undefined;
    const delay = Math.min(p.maxBackoffMs, p.backoffMs * 2 ** this.crashes.length);
    this.crashes.push(now);
    return delay;
  }
}
