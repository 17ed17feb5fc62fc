#!/usr/bin/env node
// The FizzBuzz demo's two worker forms side by side, and paced against unpaced, in one run:
// rounds alternate the variants so load drifts hit each alike. Prints median, min and max
// msgs/s per variant over the rounds and each variant's median against zero-copy paced.
// Usage: node packages/pipeline/bench/worker-forms.mjs [rounds=5] [beats=500]   (build first: npx tsc -b)
import { startDemo } from '@ringkit/pipeline';

const rounds = Number(process.argv[2] ?? 5);
const beats = Number(process.argv[3] ?? 500);
const variants = [
  { label: 'zero-copy, paced', worker: 'zero-copy', paced: true },
  { label: 'double-buffer, paced', worker: 'double-buffer', paced: true },
  { label: 'zero-copy, unpaced', worker: 'zero-copy', paced: false },
  { label: 'double-buffer, unpaced', worker: 'double-buffer', paced: false },
];
const rates = variants.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (const [i, v] of variants.entries()) {
    const demo = await startDemo({ beats, worker: v.worker, paced: v.paced });
    const res = await demo.done;
    if (res.processed !== res.generated || res.fizz + res.buzz + res.fizzbuzz + res.value !== res.processed) throw new Error(`${v.label}: counts disagree`);
    rates[i].push(res.msgsPerSec);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const m = (x) => `${(x / 1e6).toFixed(1)} M/s`;
console.log(`ringkit demo --beats ${beats} (2^20-slot rings, heartbeat every 2 ms), ${rounds} alternating rounds`);
console.log('| worker | median | min | max | vs zero-copy paced |');
console.log('|---|---:|---:|---:|---:|');
const base = median(rates[0]);
variants.forEach((v, i) => console.log(`| ${v.label} | ${m(median(rates[i]))} | ${m(Math.min(...rates[i]))} | ${m(Math.max(...rates[i]))} | ${(median(rates[i]) / base).toFixed(2)}× |`));
