/**
 * Which stages are stuck, and which of them to blame. A consumer stage is *stuck* for `ms` when
 * it has held its current batch that long, or when one of its typed inputs has entries waiting
 * and its consumer sequence has not moved for that long. A stuck stage whose output feeds
 * another stuck stage is only blocked behind it (waiting for room): the blame goes to the most
 * downstream stuck stages. Sources are never stuck this way (they have no input to not drain).
 */
import type { Ring, Schema } from '@ringkit/core';
import { TEL_HOLD_SINCE, TEL_WORDS } from './shared.js';

/** A typed input whose progress can be watched from the main thread. */
export interface WatchedInput {
  ring: Ring<Schema>;
  consumerId: number;
}

/** What the detector knows of one stage. */
export interface WatchedStage {
  slot: number;
  inputs: WatchedInput[];
  /** Slots of the stages consuming its output. */
  downstream: number[];
  /** False while the stage should not be judged (paused, restarting, done, failed). */
  judged: () => boolean;
}

/** Tracks input progress per stage; judges who is stuck. */
export class StallDetector {
  private readonly stages: WatchedStage[];
  private readonly lastSeq: number[][];
  private readonly movedAt: number[][];

  constructor(stages: WatchedStage[]) {
    this.stages = stages;
    const now = Date.now();
    this.lastSeq = stages.map((s) => s.inputs.map((i) => i.ring.consumerSequence(i.consumerId)));
    this.movedAt = stages.map((s) => s.inputs.map(() => now));
  }

  /** Records input progress (call on every telemetry sample). */
  observe(now: number): void {
    this.stages.forEach((s, k) => {
      s.inputs.forEach((inp, i) => {
        const seq = inp.ring.consumerSequence(inp.consumerId);
        const pending = ((inp.ring.cursor - seq) | 0) > 0;
        if (seq !== this.lastSeq[k]![i] || !pending || !s.judged()) {
          this.lastSeq[k]![i] = seq;
          this.movedAt[k]![i] = now;
        }
      });
    });
  }

  /** Slots stuck for at least `ms` at `now`, with how long (ms). */
  stuck(now: number, ms: number, tel: Float64Array): Map<number, number> {
    const out = new Map<number, number>();
    this.stages.forEach((s, k) => {
      if (!s.judged()) return;
      const since = tel[s.slot * TEL_WORDS + TEL_HOLD_SINCE]!;
      let longest = since > 0 ? now - since : 0;
      for (const t of this.movedAt[k]!) longest = Math.max(longest, now - t);
      if (longest >= ms) out.set(s.slot, longest);
    });
    return out;
  }

  /** The stuck slots to blame: those none of whose downstream stages is stuck too. */
  blame(stuck: Map<number, number>): number[] {
    const bySlot = new Map(this.stages.map((s) => [s.slot, s]));
    return [...stuck.keys()].filter((slot) => !(bySlot.get(slot)?.downstream ?? []).some((d) => stuck.has(d)));
  }
}
