// Stage modules of crash-restart.mjs and stall-dot.mjs. Fault counters live in
// SharedArrayBuffers passed through the options, so they survive a restart.
export function numbers(ctx) {
  const { count } = ctx.options;
  let n = 0;
  return {
    async run() {
      const ring = ctx.output;
      const col = ring.columns.value;
      const p = ctx.producer;
      while (n < count) {
        const k = Math.min(4096, count - n);
        const hi = await p.claimAsync(k);
        for (let i = 0; i < k; i++) col[(p.lo + i) & ring.mask] = n + i;
        p.publish(hi);
        n += k;
      }
    },
    close: () => ({ produced: n }),
  };
}

/** Squares values; dies by process.exit at `exitAt` and throws at `throwAt`, each once. */
export function fragile(ctx) {
  const { exitAt, throwAt, faults, spinAt } = ctx.options;
  const out = ctx.output;
  const p = ctx.producer;
  return {
    async onBatch(batch, input) {
      const src = input.ring.columns.value;
      for (let i = 0; i < batch.count; i++) {
        const v = src[batch.index(i)];
        if (v === exitAt && Atomics.add(faults, 0, 1) === 0) process.exit(3);
        if (v === throwAt && Atomics.add(faults, 1, 1) === 0) throw new RangeError(`cannot square ${v}`);
        if (v === spinAt) for (;;) { /* a handler stuck in a loop */ }
      }
      const hi = await p.claimAsync(batch.count);
      for (let i = 0; i < batch.count; i++) out.columns.value[(p.lo + i) & out.mask] = src[batch.index(i)] ** 2;
      p.publish(hi);
    },
  };
}

/** Counts each value it sees (x = √value) into `seen`. */
export function tally(ctx) {
  const { seen, squared } = ctx.options;
  let count = 0;
  return {
    onBatch(batch, input) {
      const col = input.ring.columns.value;
      for (let i = 0; i < batch.count; i++) {
        const v = col[batch.index(i)];
        Atomics.add(seen, squared ? Math.round(Math.sqrt(v)) : v, 1);
      }
      count += batch.count;
    },
    close: () => ({ count }),
  };
}
