import type { RingControl } from './control.js';
import { RELEASE_SIGNAL_INDEX, RELEASE_WAITERS_INDEX } from './layout.js';
import { checkWait, deadlineOf, MAX_SLEEP_MS, sleepMs, type WaitOptions } from './wait-strategy.js';

/** What the claim-waiting loops drive: a producer (typed or byte) and its non-blocking claim. */
export interface RoomClaimer {
  /** Tries to claim `n` (entries, or bytes) now; true on success (the producer keeps the claim). @internal */
  tryRoom(n: number): boolean;
  /** Consumers released only up to this sequence (or position) block a claim of `n` now; undefined when no consumer can (lossy rings). @internal */
  blockedBy(n: number): number | undefined;
}

/**
 * The waiting half of every blocking claim (typed and byte producers, and a multi producer
 * waiting for room after its claim): called after a claim found the ring full. Spins (all the
 * time under `busySpin`, looking at the deadline and at the participants blocking it every 1024
 * tries), then sleeps on the release signal, announcing itself in the waiter count so consumers
 * wake it only when a producer sleeps; tries again after announcing, so a release between the
 * try and the sleep is never missed. Every time it wakes it runs the ring's {@link Liveness}
 * checks on the consumers blocking it (eviction, start timeout, watchdog).
 * @param mayThrow false where the claim is already made and cannot be given up (a never-started
 *   consumer is then evicted rather than named in an error); `options` must then be undefined.
 */
export function claimWaiting(target: RoomClaimer, n: number, control: RingControl, options: WaitOptions | undefined, what: string, mayThrow = true): void {
  const deadline = deadlineOf(options, what);
  const signal = options?.signal;
  const ctl = control.ctl;
  const busy = control.strategy.kind === 'busySpin';
  const spinTries = control.strategy.spinTries;
  const since = Date.now();
  let spins = 0;
  for (;;) {
    if (target.tryRoom(n)) return;
    if (busy || spins < spinTries) {
      if ((++spins & 1023) === 0) {
        checkWait(deadline, signal, what, options?.timeout);
        control.liveness.check(target.blockedBy(n), since, mayThrow);
      }
      continue;
    }
    checkWait(deadline, signal, what, options?.timeout);
    if (control.liveness.check(target.blockedBy(n), since, mayThrow)) continue;
    Atomics.add(ctl, RELEASE_WAITERS_INDEX, 1);
    const observed = Atomics.load(ctl, RELEASE_SIGNAL_INDEX);
    const ok = target.tryRoom(n);
    if (!ok) control.strategy.waiter.wait(ctl, RELEASE_SIGNAL_INDEX, observed, sleepMs(deadline, MAX_SLEEP_MS));
    Atomics.sub(ctl, RELEASE_WAITERS_INDEX, 1);
    if (ok) return;
  }
}

/** Like {@link claimWaiting}, but sleeps with the waiter's `waitAsync`: the thread's event loop keeps running. */
export async function claimWaitingAsync(target: RoomClaimer, n: number, control: RingControl, options: WaitOptions | undefined, what: string): Promise<void> {
  const deadline = deadlineOf(options, what);
  const signal = options?.signal;
  const ctl = control.ctl;
  const since = Date.now();
  for (;;) {
    checkWait(deadline, signal, what, options?.timeout);
    if (control.liveness.check(target.blockedBy(n), since, true)) {
      if (target.tryRoom(n)) return;
      continue;
    }
    Atomics.add(ctl, RELEASE_WAITERS_INDEX, 1);
    const observed = Atomics.load(ctl, RELEASE_SIGNAL_INDEX);
    let ok = false;
    try {
      ok = target.tryRoom(n);
      if (!ok) await control.strategy.waiter.waitAsync(ctl, RELEASE_SIGNAL_INDEX, observed, sleepMs(deadline, MAX_SLEEP_MS), signal);
    } finally {
      Atomics.sub(ctl, RELEASE_WAITERS_INDEX, 1);
    }
    if (ok || target.tryRoom(n)) return;
  }
}
