import type { SequenceBarrier } from './barrier.js';
import type { RingControl } from './control.js';
import { InvalidArgumentError } from './errors.js';
import { describe } from './schema.js';
import { checkWait, checkWaitOptions, deadlineOf, MAX_SLEEP_MS, sleepMs, type WaitOptions } from './wait-strategy.js';

/** `tryPoll`/`poll` result: nothing to read yet. */
export const POLL_EMPTY = 0;
/** `tryPoll`/`poll` result: the ring is closed and this consumer has read everything. */
export const POLL_CLOSED = -1;

/** Options of `poll`/`pollAsync` (typed consumers and byte readers alike). */
export interface PollOptions extends WaitOptions {
  /** Most entries (records) to take in one batch. Defaults to the whole ring. */
  max?: number;
}

/** What the waiting loops drive: a consumer's non-blocking poll. */
export interface Pollable {
  tryPoll(max: number): number;
  /** Consumers at or before this sequence (position) hold this one back; undefined when it runs after none. @internal */
  blockedBy(): number | undefined;
}

/** Validates the options of a poll (`max`, and `timeout` / `signal` up front); returns `max`, `fallback` when absent. */
export function pollMax(options: PollOptions | undefined, fallback: number, what = 'poll'): number {
  if (options === undefined) return fallback;
  checkWaitOptions(options, what);
  return options.max === undefined ? fallback : checkMax(options.max, 'options.max');
}

/**
 * Validates a batch size limit: a positive integer.
 * @throws {@link InvalidArgumentError} naming it.
 */
export function checkMax(max: unknown, name = 'max'): number {
  if (typeof max !== 'number' || !(max >= 1 && (max | 0) === max)) {
    throw new InvalidArgumentError(`${name} must be a positive integer: max=${describe(max)}`);
  }
  return max;
}

/**
 * The waiting half of every blocking poll (typed consumers and byte readers): called after a
 * `tryPoll` found nothing. Spins (all the time under `busySpin`, looking at the deadline every
 * 1024 tries), then sleeps on the barrier's signal word, announcing itself in the waiter count
 * so publishers notify only when someone sleeps; re-polls after announcing, so a publish between
 * the poll and the sleep is never missed. Every time it wakes it runs the ring's `Liveness`
 * checks on the consumers it runs after (eviction, start timeout) and the watchdog.
 */
export function pollWaiting(target: Pollable, max: number, control: RingControl, barrier: SequenceBarrier, options: WaitOptions | undefined): number {
  const deadline = deadlineOf(options, 'poll');
  const signal = options?.signal;
  const ctl = control.ctl;
  const busy = control.strategy.kind === 'busySpin';
  const spinTries = control.strategy.spinTries;
  const { signalIndex, waitersIndex } = barrier;
  const since = Date.now();
  for (let spins = 1; ; spins++) {
    let n = target.tryPoll(max);
    if (n !== POLL_EMPTY) return n;
    if (busy || spins <= spinTries) {
      if ((spins & 1023) === 0) {
        checkWait(deadline, signal, 'poll', options?.timeout);
        control.liveness.check(target.blockedBy(), since, true);
      }
      continue;
    }
    checkWait(deadline, signal, 'poll', options?.timeout);
    if (control.liveness.check(target.blockedBy(), since, true)) continue;
    Atomics.add(ctl, waitersIndex, 1);
    const observed = Atomics.load(ctl, signalIndex);
    n = target.tryPoll(max);
    if (n === POLL_EMPTY) control.strategy.waiter.wait(ctl, signalIndex, observed, sleepMs(deadline, MAX_SLEEP_MS));
    Atomics.sub(ctl, waitersIndex, 1);
    if (n !== POLL_EMPTY) return n;
  }
}

/** Like {@link pollWaiting}, but sleeps with `Atomics.waitAsync`: the thread's event loop keeps running. */
export async function pollWaitingAsync(target: Pollable, max: number, control: RingControl, barrier: SequenceBarrier, options: WaitOptions | undefined): Promise<number> {
  const deadline = deadlineOf(options, 'pollAsync');
  const signal = options?.signal;
  const ctl = control.ctl;
  const { signalIndex, waitersIndex } = barrier;
  for (let spins = 0; spins < control.strategy.spinTries; spins++) {
    const n = target.tryPoll(max);
    if (n !== POLL_EMPTY) return n;
  }
  const since = Date.now();
  for (;;) {
    checkWait(deadline, signal, 'pollAsync', options?.timeout);
    if (control.liveness.check(target.blockedBy(), since, true)) {
      const n = target.tryPoll(max);
      if (n !== POLL_EMPTY) return n;
      continue;
    }
    Atomics.add(ctl, waitersIndex, 1);
    const observed = Atomics.load(ctl, signalIndex);
    let n: number;
    try {
      n = target.tryPoll(max);
      if (n === POLL_EMPTY) await control.strategy.waiter.waitAsync(ctl, signalIndex, observed, sleepMs(deadline, MAX_SLEEP_MS), signal);
    } finally {
      Atomics.sub(ctl, waitersIndex, 1);
    }
    if (n !== POLL_EMPTY) return n;
  }
}

/** What {@link batchesOf} iterates: a consumer or byte reader. */
export interface BatchSource<B> {
  readonly batch: B;
  pollAsync(): Promise<number>;
  release(): unknown;
}

/**
 * Batches as an async iterator: each step releases the previous batch and waits (with
 * `pollAsync`) for the next; ends when the ring is closed and drained, and releases the last
 * batch however the loop ends (`break`, `return`, a throw).
 */
export async function* batchesOf<B>(source: BatchSource<B>): AsyncGenerator<B, void, undefined> {
  try {
    for (;;) {
      const n = await source.pollAsync();
      if (n === POLL_CLOSED) return;
      yield source.batch;
    }
  } finally {
    source.release();
  }
}
