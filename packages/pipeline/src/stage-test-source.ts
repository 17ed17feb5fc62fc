/**
 * The scripted source of {@link testStage}: publishes the given batches one claim/publish each,
 * and waits until every consumer released a batch before publishing the next, so the stage under
 * test sees exactly the scripted batch boundaries.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Schema } from '@ringkit/core';
import type { StageContext, StageHandler } from './context.js';

/** Options of the scripted source (structured-clonable). */
export interface ScriptedOptions {
  /** Typed outputs: batches of entries (field → number, bigint or byte array). */
  batches?: Array<Array<Record<string, number | bigint | Uint8Array>>>;
  /** Byte outputs: batches of values (encoded with the output's codec by `ctx.send`). */
  records?: unknown[][];
}

/** Scripted source. */
export function scripted(ctx: StageContext): StageHandler {
  const o = ctx.options as ScriptedOptions;
  let sent = 0;
  return {
    async run() {
      const ring = ctx.output;
      if (ring !== undefined) {
        const p = ctx.producer!;
        const cols = ring.columns as Record<string, ArrayLike<unknown> & { [i: number]: unknown; set?: (a: ArrayLike<number>, at: number) => void }>;
        const widths = Object.fromEntries(Object.entries(ring.schema as Schema).map(([k, t]) => [k, typeof t === 'string' ? 1 : t.length]));
        for (const batch of o.batches ?? []) {
          if (batch.length === 0) continue;
          const hi = await p.claimAsync(batch.length);
          batch.forEach((entry, k) => {
            const slot = (p.lo + k) & ring.mask;
            for (const [field, v] of Object.entries(entry)) {
              const col = cols[field];
              if (col === undefined) throw new TypeError(`testStage: field "${field}" is not in the input's schema (fields: ${Object.keys(cols).join(', ')})`);
              if (v instanceof Uint8Array) col.set!(v, slot * widths[field]!);
              else col[slot] = v;
            }
          });
          p.publish(hi);
          sent += batch.length;
          while (((ring.gatingSequence() - hi) | 0) < 0) await delay(1);
        }
        return;
      }
      for (const batch of o.records ?? []) {
        for (const v of batch) await ctx.send(v);
        sent += batch.length;
        await delay(5);
      }
    },
    close: () => ({ sent }),
  };
}
