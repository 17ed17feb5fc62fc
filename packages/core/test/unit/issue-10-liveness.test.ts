/**
 * Issue 10, "Liveness" (items 7–10): no participant waits forever behind a dead, silent or
 * never-started one. Every scenario runs in its own worker under a hard deadline
 * (fixtures/guarded-run.ts): a defect shows as `hung` with what the scenario was doing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeGuarded } from '../fixtures/guarded-run.js';
import { guarded, scenario } from '../fixtures/issue-10-run.js';
import type { PollStep } from '../fixtures/issue-10-scenarios.js';

function entries(s: PollStep | undefined): number[] | string {
  return s === undefined ? 'missing' : 'error' in s ? `${s.error}: ${s.message}` : s.values;
}

function ended(s: PollStep | undefined): boolean {
  return s !== undefined && !('error' in s) && s.n === -1;
}

describe('issue 10 item 7: consumers after a dead consumer', { concurrency: true }, () => {
  for (const api of ['poll', 'pollAsync'] as const) {
    it(`a consumer after a dead consumer gets the published entries (${api}) once the dead one misses its heartbeat deadline, with no producer blocked`, async () => {
      const r = await scenario('afterDeadConsumer', { api, chain: false, closeFirst: false }, 10_000);
      assert.deepEqual(entries(r.got[0]), [0, 1, 2, 3], `after ${r.ms} ms`);
      assert.ok(ended(r.ends[0]), `and sees the end after close: ${JSON.stringify(r.ends[0])}`);
    });
  }

  it('a chain after a dead consumer (dead → B → C) drains and ends after close', async () => {
    const r = await scenario('afterDeadConsumer', { api: 'pollAsync', chain: true, closeFirst: false }, 10_000);
    assert.deepEqual(r.got.map(entries), [[0, 1, 2, 3], [0, 1, 2, 3]]);
    assert.ok(r.ends.every(ended), `ends: ${JSON.stringify(r.ends)}`);
  });

  it('a consumer after a dead consumer drains a ring closed before it polled', async () => {
    const r = await scenario('afterDeadConsumer', { api: 'pollAsync', chain: false, closeFirst: true }, 10_000);
    assert.deepEqual(entries(r.got[0]), [0, 1, 2, 3]);
    assert.ok(ended(r.ends[0]), `ends: ${JSON.stringify(r.ends[0])}`);
  });
});

describe('issue 10 item 8: eviction under busySpin', () => {
  for (const producer of ['single', 'multi'] as const) {
    it(`a ${producer}-producer claim(n) with waitStrategy 'busySpin' and no options evicts a silent consumer after evictAfterMs`, async () => {
      // One spinning thread (the scenario's worker) while the test thread sleeps: not more spinners than cores.
      const r = await scenario('busySpinClaimPastSilentConsumer', { producer }, 6000);
      assert.ok(r.ms >= 90, `waited for the heartbeat deadline: ${r.ms} ms`);
      assert.equal((r.silent as { threw?: { name: string } }).threw?.name, 'EvictedError', JSON.stringify(r.silent));
    });
  }
});

describe('issue 10 item 9: a producer or consumer thread that dies', { concurrency: true }, () => {
  it("a multi-producer thread that dies between claim and publish: after ring.recover(owner) consumers skip its claim as lost, never as data, and the ring closes", async () => {
    const r = await scenario('abandonedMultiProducerClaim', {}, 15_000);
    assert.deepEqual(r.values, [100, 101, 102, 103, 104], `steps: ${JSON.stringify(r.steps)}`);
    assert.equal(r.lost, 3, 'the abandoned claim of 3 is reported in batch.lost');
    assert.ok(ended(r.end), `end: ${JSON.stringify(r.end)}`);
  });

  for (const closeFirst of [false, true]) {
    it(`a multi-producer thread that dies with the last claim of the ring: consumers count it lost and then see the end (ring closed ${closeFirst ? 'before' : 'after'} recover)`, async () => {
      const r = await scenario('abandonedClaimAtTheEnd', { closeFirst }, 15_000);
      assert.deepEqual(r.values, [0, 1, 2, 3, 4], `steps: ${JSON.stringify(r.steps)}`);
      assert.equal(r.lost, 3, `the abandoned claim of 3 is reported lost: steps ${JSON.stringify(r.steps)}`);
      assert.ok(ended(r.steps[r.steps.length - 1]), `steps: ${JSON.stringify(r.steps)}`);
    });
  }

  it('a single-producer thread that dies: after ring.recover(owner) a new producer attaches, publishes and closes', async () => {
    const r = await scenario('deadSingleProducer', { then: 'new-producer' }, 15_000);
    assert.deepEqual(r.producer, { returned: 'published 10, 11 and closed' });
    assert.deepEqual(r.values, [0, 1, 10, 11]);
    assert.equal(r.lost, 0, 'its unpublished claim was never visible');
    assert.ok(ended(r.end), `end: ${JSON.stringify(r.end)}`);
  });

  it('a single-producer thread that dies: after ring.recover(owner) the ring can be closed from another thread', async () => {
    const r = await scenario('deadSingleProducer', { then: 'close' }, 15_000);
    assert.deepEqual(r.producer, { returned: 'closed' });
    assert.deepEqual(r.values, [0, 1]);
    assert.ok(ended(r.end), `end: ${JSON.stringify(r.end)}`);
  });

  it('a multi-producer byte-ring thread that dies between claim and commit: after ring.recover(owner) readers skip the frame as lost bytes', async () => {
    const r = await scenario('abandonedByteClaim', {}, 15_000);
    assert.deepEqual(r.records, [[1, 1, 1], [2, 2, 2], [3, 3, 3]]);
    assert.equal(r.lost, 24, 'the abandoned 16-byte record (a 24-byte frame) is reported lost');
    assert.equal(r.end, -1);
  });

  it('a consumer thread that dies holding a batch: ring.recover(owner) evicts its consumers, so the producer goes on', async () => {
    const r = await scenario('deadConsumerOwner', { keepConsumers: false }, 15_000);
    assert.deepEqual(r.claim, { returned: true }, 'the dead consumer no longer gates');
    assert.equal((r.reopened as { error?: string }).error, 'EvictedError', JSON.stringify(r.reopened));
  });

  it('a consumer thread that dies holding a batch: ring.recover(owner, { keepConsumers: true }) keeps it, and a new handle gets the held batch again', async () => {
    const r = await scenario('deadConsumerOwner', { keepConsumers: true }, 15_000);
    assert.deepEqual(r.claim, { returned: false }, 'the kept consumer still gates the full ring');
    assert.deepEqual(r.reopened, { n: 4, lo: 0, lost: 0, values: [0, 1, 2, 3] });
  });
});

describe('issue 10 item 10: a consumer that never starts', { concurrency: true }, () => {
  function assertNamesConsumer(error: { name: string; code: string; message: string; consumerId?: unknown } | null, id: number): void {
    assert.ok(error !== null, 'the claim must fail instead of waiting forever');
    assert.match(error.code, /^ERR_/, `a RingkitError: ${error.name}: ${error.message}`);
    assert.match(error.message, new RegExp(`consumer\\D{0,12}\\b${id}\\b`, 'i'), `the message names consumer ${id}: ${error.message}`);
    if (error.consumerId !== undefined) assert.equal(error.consumerId, id);
  }

  for (const async of [false, true]) {
    it(`a blocked ${async ? 'claimAsync' : 'claim'} behind a registered consumer that never polled fails after startTimeoutMs, naming it`, async () => {
      const r = await scenario('claimPastNeverStartedConsumer', { startTimeoutMs: 300, async }, 8000);
      assertNamesConsumer(r.error, r.id);
      assert.ok(r.ms >= 250 && r.ms < 6000, `after about startTimeoutMs: ${r.ms} ms`);
    });
  }

  it('the start-up bound is on by default: a blocked claim behind a never-started consumer fails within seconds', async () => {
    const g = await guarded('claimPastNeverStartedConsumer', { async: false }, 20_000);
    assert.equal(g.outcome, 'returned', describeGuarded(g));
    const r = (g as { value: { id: number; ms: number; error: null } }).value;
    assertNamesConsumer(r.error, r.id);
  });

  it('the quick-start pattern with a consumer thread that throws at start-up fails in the producer, naming that consumer', async () => {
    const r = await scenario('quickStartWithFailedConsumerThread', {}, 15_000);
    assertNamesConsumer(r.error, r.failedId);
  });
});
