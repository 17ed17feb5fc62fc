#!/usr/bin/env node
// The DOT of a stalled stage: "fragile" spins at value 50,000 (an infinite loop); with stallMs
// the pipeline reports it (event, red node) while the survivor runs on. Then abort().
// Usage: node packages/pipeline/examples/stall-dot.mjs   (build first: npx tsc -b)
import { Pipeline } from '@ringkit/pipeline';

const mod = new URL('./crash-stages.mjs', import.meta.url);
const V = { value: 'f64' };
const shared = (n) => new Int32Array(new SharedArrayBuffer(4 * n));
const N = 100_000;
const p = new Pipeline({
  stallMs: 1000,
  levels: [
    { stages: [{ name: 'numbers', module: mod, export: 'numbers', options: { count: N }, output: { schema: V, capacity: 1 << 12 } }] },
    { stages: [
      { name: 'fragile', module: mod, export: 'fragile', options: { spinAt: 50_000, faults: shared(2) }, inputs: [{ from: 'numbers' }], output: { schema: V, capacity: 1 << 12 } },
      { name: 'plain', module: mod, export: 'tally', options: { seen: shared(N) }, inputs: [{ from: 'numbers' }] },
    ] },
    { stages: [{ name: 'squares', module: mod, export: 'tally', options: { seen: shared(N), squared: true }, inputs: [{ from: 'fragile' }] }] },
  ],
});
const stalled = new Promise((resolve) => p.once('stall', resolve));
await p.start();
const e = await stalled;
console.error(`stall: "${e.stage}" (${e.action}), input not moving for ${Math.round(e.stalledMs)} ms, holding ${e.batch.count} entries from "${e.batch.from}" at ${e.batch.lo}`);
await new Promise((r) => setTimeout(r, 600));
process.stdout.write(p.dot());
try {
  await p.stop({ timeoutMs: 1000 });
} catch (err) {
  console.error(`stop: ${err.message}`);
}
