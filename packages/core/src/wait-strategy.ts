import { AbortError, InvalidArgumentError, TimeoutError } from './errors.js';
import { describe } from './schema.js';

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

/** A wait strategy: its kind, and how many times to spin before sleeping. */
export interface WaitStrategy {
  readonly kind: WaitStrategyKind;
  /** Spins before the first sleep. Defaults to 200 (`phased`, `async`). */
  readonly spinTries: number;
}

/** What `options.waitStrategy` accepts: a kind name, or a kind with its spin count. */
export type WaitStrategyOption = WaitStrategyKind | { kind: WaitStrategyKind; spinTries?: number };

/** Spins before the first sleep, unless the option says otherwise. */
export const DEFAULT_SPIN_TRIES = 200;
/** The longest single sleep: blocked threads wake this often to beat their heart and look around. */
export const MAX_SLEEP_MS = 50;

/** Resolves and validates a wait strategy option. Defaults to `phased`. */
export function resolveWaitStrategy(option: WaitStrategyOption | undefined): WaitStrategy {
  if (option === undefined) return Object.freeze({ kind: 'phased', spinTries: DEFAULT_SPIN_TRIES });
  const kind = typeof option === 'string' ? option : option?.kind;
  if (kind !== 'busySpin' && kind !== 'phased' && kind !== 'async') {
    throw new InvalidArgumentError(`options.waitStrategy must be 'busySpin', 'phased' or 'async' (or { kind, spinTries }): waitStrategy=${describe(option)}`);
  }
  const spinTries = typeof option === 'object' && option.spinTries !== undefined ? option.spinTries : DEFAULT_SPIN_TRIES;
  if (!Number.isInteger(spinTries) || spinTries < 0 || spinTries > 1e9) {
    throw new InvalidArgumentError(`options.waitStrategy.spinTries must be an integer in [0, 1e9]: spinTries=${describe(spinTries)}`);
  }
  return Object.freeze({ kind, spinTries });
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

/**
 * Sleeps on `ctl[signalIndex]` until it changes from `observed`, or `ms` pass. The caller has
 * incremented the waiter count and re-checked its condition after reading `observed`: a
 * publisher that changes the condition afterwards sees the waiter count and bumps the signal.
 */
export function sleep(ctl: Int32Array, signalIndex: number, observed: number, ms: number): void {
  Atomics.wait(ctl, signalIndex, observed, ms);
}

const keepAliveNoop = (): void => {};

/**
 * Awaits `pending` (typically an `Atomics.waitAsync` result) while holding a ref'ed timer:
 * a pending `Atomics.waitAsync` alone does not keep Node's event loop (or a worker thread)
 * alive (nodejs/node#44729), so a thread whose only work is waiting would exit.
 */
export async function keepAliveWhile<T>(pending: Promise<T>): Promise<T> {
  const timer = setInterval(keepAliveNoop, 1 << 30);
  try {
    return await pending;
  } finally {
    clearInterval(timer);
  }
}

/**
 * The async form of {@link sleep}: resolves when the signal word changes, `ms` pass, or `abort`
 * fires; keeps the event loop alive meanwhile ({@link keepAliveWhile}).
 */
export async function sleepAsync(ctl: Int32Array, signalIndex: number, observed: number, ms: number, abort: AbortSignal | undefined): Promise<void> {
  const r = Atomics.waitAsync(ctl, signalIndex, observed, ms);
  if (!r.async) return;
  if (abort === undefined) {
    await keepAliveWhile(r.value);
    return;
  }
  // Wake our own waitAsync when the signal aborts (other sleepers re-check and sleep again).
  const onAbort = (): void => void Atomics.notify(ctl, signalIndex);
  abort.addEventListener('abort', onAbort, { once: true });
  try {
    await keepAliveWhile(r.value);
  } finally {
    abort.removeEventListener('abort', onAbort);
  }
}

/** Bumps a signal word and wakes its sleepers; call only after seeing a non-zero waiter count. */
export function signalAll(ctl: Int32Array, signalIndex: number): void {
  Atomics.add(ctl, signalIndex, 1);
  Atomics.notify(ctl, signalIndex);
}
