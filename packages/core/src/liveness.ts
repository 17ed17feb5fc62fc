import type { RingControl } from './control.js';
import { ConsumerNotStartedError } from './errors.js';
import { CONSUMER_ROLE, CONSUMER_STATE, INFO_STARTED, INFO_STATE } from './layout.js';
import { MAX_SLEEP_MS } from './wait-strategy.js';

/**
 * The one place where a blocked participant looks at the others: every waiting loop (a producer
 * waiting for room, a consumer waiting for upstream consumers or for data) calls
 * {@link Liveness.check} while it waits, so a dead or silent participant is dealt with by
 * whoever it blocks — not only by a blocked producer.
 *
 * What a check does, in order:
 * 1. **Eviction** (rings with `evictAfterMs`): consumers at or before the blocking sequence whose
 *    heartbeat is older than `evictAfterMs` stop gating (they get `EvictedError` on their next call).
 *    A consumer that has never polled counts as silent since its registration, as documented:
 *    with both rules on, whichever bound comes first applies.
 * 2. **Start timeout** (`startTimeoutMs`, on by default): a consumer at or before the blocking
 *    sequence that has never polled, while this waiter has been blocked by it for
 *    `startTimeoutMs`, is named in a {@link ConsumerNotStartedError} — the thread meant to run
 *    it did not start, so waiting for ever would hang silently. Where the waiter cannot give up
 *    (a multi-producer claim already made), it evicts that consumer instead (it holds nothing).
 * 3. **Watchdog**: the ring object's `watchdog` hook (if any), at most every 50 ms: where an
 *    embedder (e.g. `@ringkit/shm`, which knows processes) finds dead participants and calls
 *    `Ring.recover` for them.
 *
 * Threading: one per ring object (thread); reads and moves the shared consumer table.
 */
export class Liveness {
  private readonly control: RingControl;
  private readonly watchdog: (() => void) | undefined;
  private lastWatchdog = 0;

  constructor(control: RingControl, watchdog: (() => void) | undefined) {
    this.control = control;
    this.watchdog = watchdog;
  }

  /**
   * Looks at the participants blocking a waiter: consumers whose released sequence is at or
   * before `blockedBy` (pass `undefined` when no consumer can be the blocker: a consumer waiting
   * for data). `since` is when the waiter started waiting (`Date.now()` ms).
   * @param mayThrow false where the waiter must not give up: a never-started consumer is evicted instead.
   * @returns true if the check changed something (evicted a consumer): the waiter should look again at once.
   * @throws {@link ConsumerNotStartedError} (only when `mayThrow`).
   */
  check(blockedBy: number | undefined, since: number, mayThrow: boolean): boolean {
    let changed = false;
    const control = this.control;
    if (blockedBy !== undefined) {
      if (control.evictAfterMs > 0) changed = this.evictSilent(blockedBy);
      if (control.startTimeoutMs > 0) changed = this.checkStarted(blockedBy, since, mayThrow) || changed;
    }
    if (this.watchdog !== undefined) {
      const now = Date.now();
      if (now - this.lastWatchdog >= MAX_SLEEP_MS) {
        this.lastWatchdog = now;
        const epoch = control.epoch();
        this.watchdog();
        if (control.epoch() !== epoch) changed = true;
      }
    }
    return changed;
  }

  /**
   * Evicts gating consumers at or before `blockedBy` whose heartbeat is older than `evictAfterMs`
   * (waiting loops, and `GatingCache` when a producer finds no room). @returns true if it evicted one.
   */
  evictSilent(blockedBy: number): boolean {
    const control = this.control;
    const ctl = control.ctl;
    const now = control.nowMs();
    let evicted = false;
    for (let id = 0; id < control.maxConsumers; id++) {
      if (!this.blocks(id, blockedBy)) continue;
      if (((now - Atomics.load(ctl, control.heartbeatIndex(id))) | 0) <= control.evictAfterMs) continue;
      if (control.evict(id)) evicted = true;
    }
    if (evicted) control.topologyChanged();
    return evicted;
  }

  /** The start-timeout rule (see the class comment). */
  private checkStarted(blockedBy: number, since: number, mayThrow: boolean): boolean {
    const control = this.control;
    const ctl = control.ctl;
    const now = Date.now();
    let evicted = false;
    for (let id = 0; id < control.maxConsumers; id++) {
      if (!this.blocks(id, blockedBy)) continue;
      if (Atomics.load(ctl, control.infoIndex(id, INFO_STARTED)) !== 0) continue;
      // Blocked by it for startTimeoutMs: since the wait began, or since it was registered if later.
      const registered = control.header.epochMs + Atomics.load(ctl, control.heartbeatIndex(id));
      const from = registered > since ? registered : since;
      if (now - from < control.startTimeoutMs) continue;
      if (mayThrow) throw new ConsumerNotStartedError(id, control.startTimeoutMs);
      if (control.evict(id)) evicted = true;
    }
    if (evicted) control.topologyChanged();
    return evicted;
  }

  /** True when table entry `id` is an active gating consumer at or before `blockedBy`. */
  private blocks(id: number, blockedBy: number): boolean {
    const control = this.control;
    const ctl = control.ctl;
    if (Atomics.load(ctl, control.infoIndex(id, INFO_STATE)) !== CONSUMER_STATE.active || control.role(id) === CONSUMER_ROLE.group) return false;
    return ((Atomics.load(ctl, control.seqIndex(id)) - blockedBy) | 0) <= 0;
  }
}
