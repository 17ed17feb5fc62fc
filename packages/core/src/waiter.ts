import { InvalidArgumentError, InvalidStateError } from './errors.js';
import { describe } from './schema.js';

/**
 * Where a blocked thread sleeps and a publisher wakes it: the one pluggable point between the
 * ring protocol and the platform's sleep primitive. The protocol around it does not change with
 * the waiter: a sleeper announces itself in a waiter count, re-checks its condition, then sleeps
 * on a signal word; a publisher that sees a non-zero waiter count bumps the signal word and calls
 * {@link Waiter.wake}. So a publisher with no sleeper never reaches the waiter at all.
 *
 * - {@link atomicsWaiter} (the default): `Atomics.wait` / `Atomics.waitAsync` / `Atomics.notify`.
 *   V8 implements these with a process-wide wait list, so they only wake threads of the same
 *   process.
 * - `@ringkit/shm` supplies a futex waiter for rings in named shared memory, whose sleepers and
 *   publishers may be in different processes.
 *
 * Every method may return early (a spurious wake-up): callers re-check their condition.
 */
export interface Waiter {
  /** A short name for messages and `describe()` (e.g. `'atomics'`, `'futex'`). */
  readonly name: string;
  /**
   * Sleeps while `ctl[index]` holds `observed`, for at most `ms` milliseconds (finite, ≥ 0).
   * Blocks the calling thread.
   */
  wait(ctl: Int32Array, index: number, observed: number, ms: number): void;
  /**
   * Resolves once `ctl[index]` no longer holds `observed`, `ms` milliseconds passed, or `signal`
   * aborted. Must not block the event loop, and must keep it alive while pending (a thread whose
   * only work is this wait must not exit).
   */
  waitAsync(ctl: Int32Array, index: number, observed: number, ms: number, signal: AbortSignal | undefined): Promise<void>;
  /** Wakes every thread sleeping on `ctl[index]`. */
  wake(ctl: Int32Array, index: number): void;
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

/** The message for a blocking wait where the engine refuses one (a browser page's main thread). */
const NO_BLOCKING_WAIT =
  'blocking waits are not allowed on this thread (a browser page\'s main thread refuses Atomics.wait): ' +
  'use claimAsync / pollAsync / for await here, or do the blocking calls in a worker';

/**
 * Checks a waiter call's arguments (shared by every {@link Waiter} implementation): a word of a
 * shared Int32Array, an Int32 to compare, and (`ms` given) a time ≥ 0.
 * @throws {@link InvalidArgumentError} naming the bad argument.
 */
export function checkWaitWord(ctl: unknown, index: unknown, observed?: unknown, ms?: unknown): void {
  if (!(ctl instanceof Int32Array) || !(ctl.buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(`a waiter sleeps on an Int32Array over a SharedArrayBuffer: ctl=${describe(ctl)}`);
  }
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= ctl.length) {
    throw new InvalidArgumentError(`index must be an integer in [0, ${ctl.length - 1}]: index=${describe(index)}`);
  }
  if (observed !== undefined && (typeof observed !== 'number' || (observed | 0) !== observed)) {
    throw new InvalidArgumentError(`observed must be an Int32: observed=${describe(observed)}`);
  }
  if (ms !== undefined && !(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
    throw new InvalidArgumentError(`ms must be a finite number of milliseconds >= 0: ms=${describe(ms)}`);
  }
}

/** The in-process waiter: `Atomics.wait` / `waitAsync` / `notify` on the signal word. */
export const atomicsWaiter: Waiter = Object.freeze({
  name: 'atomics',
  wait(ctl: Int32Array, index: number, observed: number, ms: number): void {
    checkWaitWord(ctl, index, observed, ms);
    try {
      Atomics.wait(ctl, index, observed, ms);
    } catch (e) {
      // Browsers' main threads throw TypeError "Atomics.wait cannot be called in this context".
      if (e instanceof TypeError) throw new InvalidStateError(NO_BLOCKING_WAIT, { cause: e });
      throw e;
    }
  },
  async waitAsync(ctl: Int32Array, index: number, observed: number, ms: number, signal: AbortSignal | undefined): Promise<void> {
    checkWaitWord(ctl, index, observed, ms);
    if (signal !== undefined && !(signal !== null && typeof signal === 'object' && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function')) {
      throw new InvalidArgumentError(`signal must be an AbortSignal: signal=${describe(signal)}`);
    }
    if (signal?.aborted === true) return;
    const r = Atomics.waitAsync(ctl, index, observed, ms);
    if (!r.async) return;
    if (signal === undefined) {
      await keepAliveWhile(r.value);
      return;
    }
    // Wake our own waitAsync when the signal aborts (other sleepers re-check and sleep again).
    const onAbort = (): void => void Atomics.notify(ctl, index);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await keepAliveWhile(r.value);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  },
  wake(ctl: Int32Array, index: number): void {
    checkWaitWord(ctl, index);
    Atomics.notify(ctl, index);
  },
});

/** True when `w` has the shape of a {@link Waiter}. */
export function isWaiter(w: unknown): w is Waiter {
  const o = w as Partial<Waiter> | null;
  return o !== null && typeof o === 'object' && typeof o.wait === 'function' && typeof o.waitAsync === 'function' && typeof o.wake === 'function';
}
