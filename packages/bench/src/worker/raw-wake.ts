/**
 * The cheapest correct wake protocol we know for a hand-written ring, shared by the
 * blocking-capable raw baselines (`baseline.raw.blocking.*`, `baseline.raw.fizzbuzz`):
 *
 * - a waiter spins `spinTries` times on the sequence word it needs to move, then announces
 *   itself (`Atomics.add` on a waiter count), re-checks, and sleeps with `Atomics.wait` **on the
 *   sequence word itself** (no separate signal word to bump);
 * - a publisher stores the sequence, then loads the waiter count and calls `Atomics.notify` only
 *   when it is not 0.
 *
 * Why nothing is lost: the sequence store, the waiter-count load, the waiter-count add and the
 * value check inside `Atomics.wait` are all sequentially consistent, so either the publisher's
 * load sees the announced waiter (and notifies under the wait-list lock), or the waiter's check
 * sees the new sequence (and does not sleep). A plain (non-atomic) load of the waiter count
 * would give no such order. Per publish with nobody asleep this costs one atomic load.
 */

/** Longest single sleep (ms): a waiter re-checks at least this often (the end of a run, a lost race). */
const SLEEP_MS = 50;

/** Spins per call of {@link awaitMove} when the strategy never sleeps (the caller then looks at its stop flag). */
const SPIN_CHUNK = 256;

/**
 * One round of waiting for `ctl[seqIndex]` to differ from `seen`: spins `spinTries` times, then
 * sleeps (announced in `ctl[waitersIndex]`) for at most {@link SLEEP_MS}. With `spinTries` above
 * {@link SPIN_CHUNK} (busy spin: `Infinity`) it spins that many and never sleeps. Callers loop,
 * checking their own end condition between rounds.
 * @returns the sequence word's newest value (may still be `seen`).
 */
export function awaitMove(ctl: Int32Array, seqIndex: number, waitersIndex: number, seen: number, spinTries: number): number {
  const spins = spinTries > SPIN_CHUNK ? SPIN_CHUNK : spinTries;
  for (let i = 0; i < spins; i++) {
    const v = Atomics.load(ctl, seqIndex);
    if (v !== seen) return v;
  }
  if (spinTries > SPIN_CHUNK) return seen;
  Atomics.add(ctl, waitersIndex, 1);
  Atomics.wait(ctl, seqIndex, seen, SLEEP_MS); // returns at once ('not-equal') if it moved meanwhile
  Atomics.sub(ctl, waitersIndex, 1);
  return Atomics.load(ctl, seqIndex);
}

/** After storing `ctl[seqIndex]`: wakes its sleepers, if the waiter count says there are any. */
export function wakeMoved(ctl: Int32Array, seqIndex: number, waitersIndex: number): void {
  if (Atomics.load(ctl, waitersIndex) !== 0) Atomics.notify(ctl, seqIndex);
}

/** Spins before sleeping, for a case's wait strategy: busy spin never sleeps, `spinTries: 0` sleeps at once. */
export function spinTriesOf(wait: string | { kind: string; spinTries?: number }): number {
  if (typeof wait === 'string') return wait === 'busySpin' ? Number.POSITIVE_INFINITY : 200;
  if (wait.kind === 'busySpin') return Number.POSITIVE_INFINITY;
  return wait.spinTries ?? 200;
}
