// `ringkit bench --shm` machinery: every case runs (real child processes, worker threads, a
// Unix socket), every entry and record is checked by the case itself, ratios are per round.
// Speed is not asserted (benchmarks measure it); only that each case moved its data.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { formatShmText, runShmBench, SHM_CASES } from '@ringkit/bench';

describe('cross-process bench', () => {
  it('runs every case in alternating rounds and reports ratios with their spread', async () => {
    const r = await runShmBench({ rounds: 2, windowMs: 100, rtts: 200 });
    assert.deepEqual(r.results.map((x) => x.name), [...SHM_CASES]);
    for (const x of r.results) {
      assert.equal(x.perRound.length, 2, x.name);
      assert.ok(x.perRound.every((v) => Number.isFinite(v) && v > 0), `${x.name}: ${x.perRound.join(', ')}`);
      assert.ok(x.min <= x.median && x.median <= x.max);
    }
    assert.ok(r.results.find((x) => x.name === 'shm.wake.rtt')!.rttUs! > 0);
    const ratio = r.ratios.find((q) => q.of === 'shm.spsc.batch' && q.to === 'inproc.spsc.batch')!;
    assert.equal(ratio.target, 0.9);
    assert.ok(ratio.median > 0);
    const text = formatShmText(r);
    assert.match(text, /^cross-process benchmark: 2 alternating rounds, 100 ms per throughput case, spsc wait strategy phased/);
    assert.match(text, /shm batched \/ in-process batched\s+[\d.]+×\s+\[[\d.]+ … [\d.]+\]\s+target ≥ 0.9: (met|NOT met)/);
    assert.deepEqual(readdirSync('/dev/shm').filter((n) => n.startsWith(`ringkit-bench-${process.pid}`)), [], 'segments removed');
  });
});
