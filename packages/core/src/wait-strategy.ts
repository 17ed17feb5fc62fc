import { AbortError, InvalidArgumentError, TimeoutError } from './errors.js';
import { describe } from './schema.js';
import { atomicsWaiter, isWaiter, type Waiter } from './waiter.js';

/**
 * How a blocked producer or consumer waits. Every blocking point spins a bounded number of times
 * (cheap when the other side is a few hundred nanoseconds away), then — unless the strategy is
 * `busySpin` — sleeps on a signal word with `Atomics.wait`, after announcing itself in a waiter
 * count so that the other side pays for `Atomics.notify` (~36 ns, a global mutex in V8) only
 * when someone actually sleeps.
 *
 * - `busySpin`: never sleeps. Only for benchmarks with one thread per core: when threads
 *   outnumber cores, spinners steal the CPU from the thread they wait for (209 → 11 M events/s
 *   measured on 2 cores with 3 spinners).
 * - `phased` (default): spin `spinTries` times, then sleep.
 * - `async`: like `phased` for the blocking calls; the `*Async` calls (which always sleep with
 *   `Atomics.waitAsync`) are the ones to use from an event loop.
 */
export type WaitStrategyKind = 'busySpin' | 'phased' | 'async';

/** A wait strategy: its kind, how many times to spin before sleeping, and what it sleeps with. */
export interface WaitStrategy {
  readonly kind: WaitStrategyKind;
  /** Spins before the first sleep. Defaults to 200 (`phased`, `async`). */
  readonly spinTries: number;
  /** Sleeps and wakes ({@link atomicsWaiter} unless a cross-process structure supplies its own). */
  readonly waiter: Waiter;
}

/**
 * What `options.waitStrategy` accepts: a kind name, or a kind with its spin count (and, for
 * structures in memory shared across processes, the {@link Waiter} to sleep with; `@ringkit/shm`
 * sets it).
 */
export type WaitStrategyOption = WaitStrategyKind | { kind: WaitStrategyKind; spinTries?: number; waiter?: Waiter };

/** Spins before the first sleep, unless the option says otherwise. */
export const DEFAULT_SPIN_TRIES = 200;
/** The longest single sleep: blocked threads wake this often to beat their heart and look around. */
export const MAX_SLEEP_MS = 50;

const DEFAULT_STRATEGY: WaitStrategy = Object.freeze({ kind: 'phased', spinTries: DEFAULT_SPIN_TRIES, waiter: atomicsWaiter });

/**
 * Resolves and validates a wait strategy option. Defaults to `phased` with {@link atomicsWaiter}.
 * @throws {@link InvalidArgumentError} naming the bad field.
 */
export function resolveWaitStrategy(option: WaitStrategyOption | undefined): WaitStrategy {
  if (option === undefined) return DEFAULT_STRATEGY;
  const kind = typeof option === 'string' ? option : (option !== null && typeof option === 'object' ? option.kind : undefined);
  if (kind !== 'busySpin' && kind !== 'phased' && kind !== 'async') {
    throw new InvalidArgumentError(`options.waitStrategy must be 'busySpin', 'phased' or 'async' (or { kind, spinTries }): waitStrategy=${describe(option)}`);
  }
  const spinTries = typeof option === 'object' && option.spinTries !== undefined ? option.spinTries : DEFAULT_SPIN_TRIES;
  if (typeof spinTries !== 'number' || !Number.isInteger(spinTries) || spinTries < 0 || spinTries > 1e9) {
    throw new InvalidArgumentError(`options.waitStrategy.spinTries must be an integer in [0, 1e9]: spinTries=${describe(spinTries)}`);
  }
  const waiter = typeof option === 'object' && option.waiter !== undefined ? option.waiter : atomicsWaiter;
  if (!isWaiter(waiter)) {
    throw new InvalidArgumentError(`options.waitStrategy.waiter must be a Waiter { wait, waitAsync, wake }: waiter=${describe(waiter)}`);
  }
  return Object.freeze({ kind, spinTries, waiter });
}

/** `strategy` with its waiter replaced (a cross-process structure's own waiter wins over the caller's). */
export function withWaiter(strategy: WaitStrategy, waiter: Waiter): WaitStrategy {
  return strategy.waiter === waiter ? strategy : Object.freeze({ kind: strategy.kind, spinTries: strategy.spinTries, waiter });
}

/** Options every blocking call takes. */
export interface WaitOptions {
  /** Give up after this many milliseconds with a `TimeoutError`. Defaults to no limit. */
  timeout?: number;
  /** Give up when this signal aborts, with an `AbortError` whose `cause` is the signal's reason. */
  signal?: AbortSignal;
}

/** Validates {@link WaitOptions} and turns the timeout into an absolute deadline (ms, `Date.now()` clock). */
export function deadlineOf(options: WaitOptions | undefined, what: string): number {
  if (options === undefined) return Infinity;
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`${what} options must be an object { timeout?, signal? }: options=${describe(options)}`);
  }
  const { timeout, signal } = options;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    throw new InvalidArgumentError(`${what} options.signal must be an AbortSignal: signal=${describe(signal)}`);
  }
  if (timeout === undefined || timeout === Infinity) return Infinity;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new InvalidArgumentError(`${what} options.timeout must be a number of milliseconds >= 0: timeout=${describe(timeout)}`);
  }
  return Date.now() + timeout;
}

/**
 * Validates the options of a blocking call up front, whether or not it will wait (a call that
 * finds room at once must refuse bad options all the same). `undefined` passes.
 * @throws {@link InvalidArgumentError} naming the bad option.
 */
export function checkWaitOptions(options: WaitOptions | undefined, what: string): void {
  if (options !== undefined) deadlineOf(options, what);
}

/** Throws the right error when a wait has run out of time or was aborted. */
export function checkWait(deadline: number, signal: AbortSignal | undefined, what: string, timeout: number | undefined): void {
  if (signal !== undefined && signal.aborted) {
    throw new AbortError(`${what} was aborted`, { cause: signal.reason });
  }
  if (deadline !== Infinity && Date.now() >= deadline) {
    throw new TimeoutError(`${what} timed out: timeout=${String(timeout)}ms`);
  }
}

/** Milliseconds to sleep next: up to the deadline, at most {@link MAX_SLEEP_MS} (or `slice`). */
export function sleepMs(deadline: number, slice: number): number {
  const left = deadline === Infinity ? slice : deadline - Date.now();
  return left < slice ? (left < 0 ? 0 : left) : slice;
}

/** Bumps a signal word and wakes its sleepers; call only after seeing a non-zero waiter count. */
export function signalAll(waiter: Waiter, ctl: Int32Array, signalIndex: number): void {
  Atomics.add(ctl, signalIndex, 1);
  waiter.wake(ctl, signalIndex);
}
