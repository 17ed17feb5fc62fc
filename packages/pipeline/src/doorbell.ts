/**
 * The doorbell: one shared Int32 per stage that the producers of all its inputs bump after every
 * publish (and close), so a stage waiting on several inputs sleeps on one word instead of
 * polling each input with a timeout. A ring only costs an `Atomics.notify` while the stage
 * announced that it sleeps (`CTL_SLEEPING`).
 *
 * Protocol (sequentially consistent atomics throughout):
 * - consumer: `SLEEPING = 1`; `b = BELL`; try every input; if nothing: `wait(BELL, b)`; `SLEEPING = 0`.
 * - producer: publish; `BELL += 1`; if `SLEEPING`: `notify(BELL)`.
 * A publish before the consumer read `b` is seen by its try; one after changes `BELL` from `b`,
 * so the wait returns at once. The timeout is only a safety net (self inputs written by the main
 * thread ring it too, through the pipeline).
 */
import { keepAliveWhile } from '@ringkit/core';
import { CTL_BELL, CTL_SLEEPING, CTL_WORDS } from './shared.js';

/** Rings the doorbells of the stages in `slots` (the consumers of one ring). */
export function ringBells(ctl: Int32Array, slots: readonly number[]): void {
  for (let k = 0; k < slots.length; k++) {
    const base = slots[k]! * CTL_WORDS;
    Atomics.add(ctl, base + CTL_BELL, 1);
    if (Atomics.load(ctl, base + CTL_SLEEPING) !== 0) Atomics.notify(ctl, base + CTL_BELL);
  }
}

/** One stage's doorbell, seen from its own thread. */
export class Doorbell {
  private readonly ctl: Int32Array;
  private readonly bell: number;
  private readonly sleeping: number;
  private observed = 0;

  constructor(ctl: Int32Array, slot: number) {
    this.ctl = ctl;
    this.bell = slot * CTL_WORDS + CTL_BELL;
    this.sleeping = slot * CTL_WORDS + CTL_SLEEPING;
  }

  /** Announces the sleep and reads the bell: call before the last try of every input. */
  arm(): void {
    Atomics.store(this.ctl, this.sleeping, 1);
    this.observed = Atomics.load(this.ctl, this.bell);
  }

  /** Cancels an armed sleep (the last try found work). */
  disarm(): void {
    Atomics.store(this.ctl, this.sleeping, 0);
  }

  /** Sleeps until the bell rings (or `timeoutMs`); the event loop keeps running meanwhile. */
  async sleep(timeoutMs: number): Promise<void> {
    const r = Atomics.waitAsync(this.ctl, this.bell, this.observed, timeoutMs);
    if (r.async) await keepAliveWhile(r.value);
    Atomics.store(this.ctl, this.sleeping, 0);
  }

  /** Rings this stage's own bell (wakes its sleep from this thread: an abort, a self-input publish). */
  ring(): void {
    Atomics.add(this.ctl, this.bell, 1);
    Atomics.notify(this.ctl, this.bell);
  }
}
