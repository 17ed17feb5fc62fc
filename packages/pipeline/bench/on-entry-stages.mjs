// Stage modules of on-entry-cost.mjs.
export function source(ctx) {
  const { count } = ctx.options;
  return {
    async run() {
      const ring = ctx.output;
      const p = ctx.producer;
      for (let n = 0; n < count;) {
        const k = Math.min(8192, count - n);
        const hi = await p.claimAsync(k);
        for (let i = 0; i < k; i++) ring.columns.value[(p.lo + i) & ring.mask] = n + i;
        p.publish(hi);
        n += k;
      }
    },
  };
}

export function batch() {
  let sum = 0;
  return {
    onBatch(b, input) {
      const col = input.ring.columns.value;
      for (let i = 0; i < b.count; i++) sum += col[b.index(i)];
    },
    close: () => ({ sum }),
  };
}

export function entry() {
  let sum = 0;
  return {
    onEntry(slot, input) {
      sum += input.ring.columns.value[slot];
    },
    close: () => ({ sum }),
  };
}

export function asyncEntry() {
  let sum = 0;
  return {
    async onEntry(slot, input) {
      sum += input.ring.columns.value[slot];
    },
    close: () => ({ sum }),
  };
}
