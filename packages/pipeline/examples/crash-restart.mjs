#!/usr/bin/env node
// A pipeline surviving a crashing stage under onFailure: 'restart'.
// numbers (1,000,000 values) → { fragile (squares; process.exit at 300,000, throws at 600,000,
// each once) → squares, plain (a survivor on the same ring) }.
// With --stop, the same crash under onFailure: 'stop': the error names the stage, its batch and
// the cause, and carries the other stages' results.
// Usage: node packages/pipeline/examples/crash-restart.mjs [--stop]   (build first: npx tsc -b)
import { Pipeline } from '@ringkit/pipeline';

const N = 1_000_000;
const stopPolicy = process.argv.includes('--stop');
const mod = new URL('./crash-stages.mjs', import.meta.url);
const V = { value: 'f64' };
const shared = (n) => new Int32Array(new SharedArrayBuffer(4 * n));
const seenSquares = shared(N);
const seenPlain = shared(N);
const p = new Pipeline({
  levels: [
    { stages: [{ name: 'numbers', module: mod, export: 'numbers', options: { count: N }, output: { schema: V, capacity: 1 << 14 } }] },
    { stages: [
      { name: 'fragile', module: mod, export: 'fragile', options: { exitAt: 300_000, throwAt: 600_000, faults: shared(2) }, onFailure: stopPolicy ? 'stop' : { restart: { maxRestarts: 5, backoffMs: 50 } }, inputs: [{ from: 'numbers' }], output: { schema: V, capacity: 1 << 14 } },
      { name: 'plain', module: mod, export: 'tally', options: { seen: seenPlain }, inputs: [{ from: 'numbers' }] },
    ] },
    { stages: [{ name: 'squares', module: mod, export: 'tally', options: { seen: seenSquares, squared: true }, inputs: [{ from: 'fragile' }] }] },
  ],
});
p.on('restart', (e) => console.log(`restart #${e.restarts} of "${e.stage}" after ${e.delayMs} ms: ${e.cause.message}; batch redelivered: ${e.batch ? `${e.batch.count} entries from "${e.batch.from}" at ${e.batch.lo}` : 'none'}`));
await p.start();
if (stopPolicy) {
  try {
    await p.done;
  } catch (e) {
    console.log(`${e.name}: ${e.message}`);
    console.log('batch:', e.batch);
    console.log('partial results:', e.results);
  }
  process.exit(0);
}
const r = await p.stop();
const check = (seen) => {
  let missing = 0;
  let twice = 0;
  for (let v = 0; v < N; v++) {
    if (seen[v] === 0) missing++;
    else twice += seen[v] - 1;
  }
  return { missing, twice };
};
const sq = check(seenSquares);
const pl = check(seenPlain);
console.log(`numbers produced ${r.results.numbers.produced.toLocaleString('en-US')}; restarts ${JSON.stringify(r.restarts)}`);
console.log(`squares (behind the restarted stage): ${r.results.squares.count.toLocaleString('en-US')} entries, ${sq.missing} values missing, ${sq.twice.toLocaleString('en-US')} delivered twice (at-least-once: the redelivered batches)`);
console.log(`plain (survivor, never restarted): ${r.results.plain.count.toLocaleString('en-US')} entries, ${pl.missing} missing, ${pl.twice} twice`);
console.log(p.snapshot().stages.map((s) => `${s.name}: ${s.state}, ${s.restarts} restarts, ${s.entries.toLocaleString('en-US')} entries`).join('\n'));
