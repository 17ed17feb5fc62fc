#!/usr/bin/env node
// What an async onEntry costs: the same 2,000,000 entries through one stage handled by onBatch,
// a plain onEntry, and an async onEntry (awaited entry by entry, in order). Alternating rounds;
// median entries/s of the consumer stage (its own handler time excluded from nothing: wall time
// from start to the end of the drain).
// Usage: node packages/pipeline/bench/on-entry-cost.mjs [rounds=3]   (build first: npx tsc -b)
import { Pipeline } from '@ringkit/pipeline';

const rounds = Number(process.argv[2] ?? 3);
const N = 2_000_000;
const mod = new URL('./on-entry-stages.mjs', import.meta.url);
const kinds = ['batch', 'entry', 'asyncEntry'];
const rates = kinds.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (const [i, k] of kinds.entries()) {
    const p = new Pipeline({ levels: [
      { stages: [{ name: 'src', module: mod, export: 'source', options: { count: N }, output: { schema: { value: 'f64' }, capacity: 1 << 16 } }] },
      { stages: [{ name: 'sum', module: mod, export: k }] },
    ] });
    await p.start();
    const t0 = performance.now();
    const { results } = await p.stop();
    const s = (performance.now() - t0) / 1000;
    if (results.sum.sum !== (N * (N - 1)) / 2) throw new Error(`${k}: wrong sum`);
    rates[i].push(N / s);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`${N.toLocaleString('en-US')} entries, ${rounds} alternating rounds (median; min … max)`);
console.log('| handler | entries/s | ns per entry |');
console.log('|---|---:|---:|');
kinds.forEach((k, i) => console.log(`| ${k === 'batch' ? 'onBatch' : k === 'entry' ? 'onEntry' : 'async onEntry'} | ${(median(rates[i]) / 1e6).toFixed(2)} M (${(Math.min(...rates[i]) / 1e6).toFixed(2)} … ${(Math.max(...rates[i]) / 1e6).toFixed(2)}) | ${(1e9 / median(rates[i])).toFixed(0)} |`));
