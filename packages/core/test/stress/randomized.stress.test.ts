/**
 * The randomized stress harness (scenario.ts, stress-run.ts) for a fixed time in `npm test`:
 * scenarios drawn from consecutive seeds (a random first seed, printed) on real worker threads,
 * every entry checked. A failure prints its seed and the command that replays it.
 *
 * - `RINGKIT_STRESS_SECONDS` (default 70): how long to keep drawing scenarios.
 * - `RINGKIT_STRESS_SEED=<seed>[,<seed>…]`: run exactly these scenarios (a replay).
 * - `RINGKIT_STRESS_FROM=<seed>`: the first seed.
 * - `RINGKIT_STRESS_MESSAGES=<n>`: entries per scenario (else drawn).
 * - `RINGKIT_STRESS_KILLS=0`: no planned kills (for Deno, whose worker.terminate() does not stop a running worker).
 *
 * The long soak is `npm run soak -- --minutes 30` (scripts/soak.mjs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stressLoop } from './stress-loop.js';

function envNumber(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number: ${name}=${text}`);
  return n;
}

const seconds = envNumber('RINGKIT_STRESS_SECONDS') ?? 70;
const seeds = process.env.RINGKIT_STRESS_SEED?.split(',').filter((x) => x !== '').map(Number);

test(`randomized stress of every core structure for ${seconds} s: none lost, duplicated, reordered or torn; losses accounted exactly; nothing hangs`, { timeout: (seconds + 300) * 1000 }, async () => {
  const summary = await stressLoop({
    seconds,
    seeds,
    seed: envNumber('RINGKIT_STRESS_FROM'),
    messages: envNumber('RINGKIT_STRESS_MESSAGES'),
    kills: process.env.RINGKIT_STRESS_KILLS !== '0',
    replay: (seed) => `RINGKIT_STRESS_SEED=${seed} node scripts/run-tests.mjs core/dist/test/stress/randomized (or npm run soak -- --seed ${seed})`,
  });
  assert.ok(summary.scenarios >= 1, 'at least one scenario ran');
  assert.deepEqual(
    summary.failed.map((f) => `seed ${f.seed}: ${f.failures[0]?.split('\n')[0]}`),
    [],
    `${summary.failed.length} of ${summary.scenarios} scenarios failed`,
  );
});
