// Handler modules of bench/idle-cpu.mjs: a source that publishes nothing (it wakes once a second
// to look for a stop) and a consumer that counts what it gets.
export function idleSource(ctx) {
  return {
    async run() {
      while (!ctx.stopRequested) await ctx.waitNotify(1000);
    },
  };
}

export function counter() {
  let n = 0;
  return {
    onBatch(batch) {
      n += batch.count;
    },
    close: () => ({ n }),
  };
}
