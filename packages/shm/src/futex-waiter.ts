import { describe, InvalidArgumentError, keepAliveWhile, MAX_SLEEP_MS, type Waiter } from '@ringkit/core';
import { addon } from './addon.js';

/** A {@link Waiter} over real futexes, with native threads for its asynchronous waits: close it when done. */
export interface FutexWaiter extends Waiter {
  /** Stops this waiter's native threads (pending `waitAsync` calls resolve; later ones still work, restarting a thread). */
  close(): void;
}

const ALL = 0x7fffffff;

function checkWord(ctl: unknown, index: unknown): void {
  if (!(ctl instanceof Int32Array) || !(ctl.buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(`a waiter sleeps on an Int32Array over a SharedArrayBuffer: ctl=${describe(ctl)}`);
  }
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= ctl.length) {
    throw new InvalidArgumentError(`index must be an integer in [0, ${ctl.length - 1}]: index=${describe(index)}`);
  }
}

function boundMs(ms: unknown): number {
  if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
    throw new InvalidArgumentError(`ms must be a finite number of milliseconds >= 0: ms=${describe(ms)}`);
  }
  // Every native sleep is bounded: worker.terminate() cannot interrupt a thread inside a futex call.
  return ms < MAX_SLEEP_MS ? ms : MAX_SLEEP_MS;
}

/**
 * The cross-process waiter of `@ringkit/shm`'s structures: `FUTEX_WAIT` / `FUTEX_WAKE` without
 * `FUTEX_PRIVATE_FLAG` on the shared page, so a publisher in one process wakes a sleeper in
 * another (V8's `Atomics.wait`/`notify` only pair within one process and one mapping). Core's
 * waiter-count protocol is unchanged: a publisher with no sleeper never calls {@link Waiter.wake}.
 *
 * - `wait` blocks the calling thread, at most 50 ms per call (core re-checks and sleeps again).
 * - `waitAsync` hands the sleep to a native thread of this waiter (one per overlapping wait,
 *   reused; never libuv's pool) which signals the event loop when the word changes; the loop
 *   stays alive while a wait is pending. `close()` wakes and joins the threads.
 */
export function futexWaiter(): FutexWaiter {
  let handle = 0;
  return Object.freeze({
    name: 'futex',
    wait(ctl: Int32Array, index: number, observed: number, ms: number): void {
      checkWord(ctl, index);
      addon().wait(ctl, index, observed | 0, boundMs(ms));
    },
    waitAsync(ctl: Int32Array, index: number, observed: number, ms: number, signal: AbortSignal | undefined): Promise<void> {
      checkWord(ctl, index);
      const bounded = boundMs(ms);
      if (signal?.aborted === true || Atomics.load(ctl, index) !== (observed | 0)) return Promise.resolve();
      const a = addon();
      if (handle === 0) handle = a.waiterOpen();
      const pending = new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        a.waiterWait(handle, ctl, index, observed | 0, bounded, () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
      return signal === undefined ? pending : keepAliveWhile(pending);
    },
    wake(ctl: Int32Array, index: number): void {
      checkWord(ctl, index);
      addon().wake(ctl, index, ALL);
    },
    close(): void {
      if (handle !== 0) addon().waiterClose(handle);
      handle = 0;
    },
  });
}
