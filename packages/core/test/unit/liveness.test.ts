/**
 * Liveness: any waiter deals with the participants that block it. A consumer that never starts
 * is named in an error instead of a silent forever-wait; a downstream consumer evicts a silent
 * upstream one; a busy-spinning multi producer evicts too; a consumer evicted while it held a
 * batch learns it at release; the watchdog runs while a call is blocked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteRing, ConsumerNotStartedError, EvictedError, POLL_EMPTY, Ring, reviveError, serializeError } from '../../src/index.js';

describe('start timeout: a registered consumer that never polls', () => {
  for (const producer of ['single', 'multi'] as const) {
    it(`makes a blocked ${producer}-producer claim() throw ConsumerNotStartedError naming it, with nothing claimed`, () => {
      const ring = Ring.create({ capacity: 8, producer, startTimeoutMs: 150 });
      const started = ring.addConsumer();
      const never = ring.addConsumer(); // its thread "failed to start"
      const p = ring.producer();
      for (let i = 0; i < 8; i++) p.publishValue(i);
      while (started.tryPoll() > 0) started.release();
      const t0 = Date.now();
      assert.throws(() => p.claim(1), (e: unknown) => e instanceof ConsumerNotStartedError && e.consumerId === never.id
        && /consumer 1 has never polled and this call has waited on it for 150 ms/.test(e.message));
      const waited = Date.now() - t0;
      assert.ok(waited >= 140 && waited < 5000, `waited ${waited} ms`);
      assert.equal(ring.cursor, producer === 'single' ? 7 : 7, 'nothing was claimed');
      // The consumer starts after all: the ring works on.
      assert.equal(never.tryPoll(), 8);
      never.release();
      p.publishValue(8);
      assert.equal(started.tryPoll(), 1);
    });
  }

  it('also applies to claimAsync, to byte rings, and survives postMessage as its class', async () => {
    const ring = Ring.create({ capacity: 4, startTimeoutMs: 100 });
    ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 4; i++) p.publishValue(i);
    await assert.rejects(p.claimAsync(1), ConsumerNotStartedError);
    const bytes = ByteRing.create({ capacity: 256, startTimeoutMs: 100 });
    bytes.addReader();
    const bp = bytes.producer();
    while (bp.tryWrite(new Uint8Array(16)));
    assert.throws(() => bp.write(new Uint8Array(16)), ConsumerNotStartedError);
    const revived = reviveError(structuredClone(serializeError(new ConsumerNotStartedError(3, 100))));
    assert.ok(revived instanceof ConsumerNotStartedError && revived.consumerId === 3);
  });

  it('is off with startTimeoutMs: 0 (the claim waits, here up to its own timeout)', () => {
    const ring = Ring.create({ capacity: 2, startTimeoutMs: 0 });
    ring.addConsumer();
    const p = ring.producer();
    p.publishValue(1);
    p.publishValue(2);
    assert.throws(() => p.claim(1, { timeout: 100 }), { name: 'TimeoutError' });
  });

  it('a consumer after one that never started is told too, instead of waiting for ever', () => {
    const ring = Ring.create({ capacity: 8, startTimeoutMs: 100 });
    const a = ring.addConsumer();
    const b = ring.addConsumer({ after: [a] });
    ring.producer().publishValue(1);
    assert.throws(() => b.poll({ timeout: 5000 }), (e: unknown) => e instanceof ConsumerNotStartedError && e.consumerId === a.id);
  });
});

describe('eviction by whoever is blocked', () => {
  it('a consumer waiting on a silent upstream consumer evicts it (the producer never blocks here)', () => {
    const ring = Ring.create({ capacity: 64, evictAfterMs: 100 });
    const a = ring.addConsumer();
    const c = ring.addConsumer({ after: [a] });
    const p = ring.producer();
    p.publishValue(1);
    assert.equal(a.tryPoll(), 1); // a starts, then its thread goes silent holding the batch
    p.publishValue(2);
    const t0 = Date.now();
    const n = c.poll({ timeout: 5000 });
    assert.ok(n >= 1, 'c got entries once a was evicted');
    assert.ok(Date.now() - t0 >= 90);
    assert.throws(() => a.release(), EvictedError, 'a learns it was evicted while holding its batch');
  });

  it('a busy-spinning multi-producer claim() with no options evicts a silent consumer', () => {
    const ring = Ring.create({ capacity: 4, producer: 'multi', waitStrategy: 'busySpin', evictAfterMs: 50 });
    const c = ring.addConsumer();
    const p = ring.producer();
    p.publishValue(0);
    assert.equal(c.tryPoll(), 1);
    c.release(); // then silent
    for (let i = 1; i < 5; i++) p.publishValue(i);
    const t0 = Date.now();
    p.publishValue(5); // blocked by c until it is evicted
    assert.ok(Date.now() - t0 >= 40 && Date.now() - t0 < 5000);
    assert.throws(() => c.tryPoll(), EvictedError);
  });

  it('release() of a batch held across an eviction throws EvictedError saying the entries may be overwritten', () => {
    const ring = Ring.create({ capacity: 4, evictAfterMs: 30 });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 4; i++) p.publishValue(i);
    assert.equal(c.tryPoll(), 4);
    const t0 = Date.now();
    while (Date.now() - t0 < 60) { /* holds the batch past evictAfterMs */ }
    p.publishValue(99); // evicts c and overwrites slot 0 of c's batch
    assert.throws(() => c.release(), (e: unknown) => e instanceof EvictedError && /sequences 0…3.*must not be trusted/.test((e as Error).message));
  });
});

describe('eviction by a producer that only tries', () => {
  const sleep = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };
  /** Calls `attempt` every millisecond for up to 2 s; the ms it took to succeed, or -1. */
  const until = (attempt: () => boolean): number => {
    const t0 = Date.now();
    while (Date.now() - t0 < 2000) {
      if (attempt()) return Date.now() - t0;
      sleep(1);
    }
    return -1;
  };
  for (const producer of ['single', 'multi'] as const) {
    it(`${producer}-producer tryClaim in a loop evicts a silent consumer after evictAfterMs instead of failing for ever`, () => {
      const ring = Ring.create({ capacity: 4, producer, evictAfterMs: 100 });
      const silent = ring.addConsumer();
      const live = ring.addConsumer();
      silent.tryPoll();
      const p = ring.producer();
      for (let v = 0; v < 4; v++) p.publishValue(v);
      assert.equal(live.tryPoll(), 4);
      live.release();
      assert.equal(p.tryClaim(1), false, 'full: the silent consumer still holds the ring');
      const ms = until(() => {
        live.tryPoll(); // the live consumer keeps beating
        live.release();
        return p.tryClaim(1);
      });
      assert.ok(ms >= 0, 'tryClaim never got room');
      assert.ok(ms >= 60, `evicted only once silent for about evictAfterMs, not at once: ${ms} ms`);
      assert.throws(() => silent.tryPoll(), EvictedError);
      p.publish(p.hi);
      assert.equal(live.tryPoll(), 1, 'the live consumer was not evicted');
    });
  }

  for (const producer of ['single', 'multi'] as const) it(`${producer}-producer ByteRing tryWrite in a loop evicts a silent reader after evictAfterMs`, () => {
    const ring = ByteRing.create({ capacity: 256, producer, evictAfterMs: 100 });
    const silent = ring.addReader();
    silent.tryPoll();
    const p = ring.producer();
    const record = new Uint8Array(16);
    let written = 0;
    while (p.tryWrite(record)) written++;
    assert.ok(written > 0);
    const ms = until(() => p.tryWrite(record));
    assert.ok(ms >= 60, `tryWrite got room after ${ms} ms`);
    assert.throws(() => silent.tryPoll(), EvictedError);
  });
});

describe('watchdog', () => {
  it('runs while a call is blocked (at most every 50 ms), where an embedder can recover the dead', () => {
    let calls = 0;
    const ring = Ring.create({ capacity: 2, producer: 'multi', watchdog: () => { calls++; } });
    const c = ring.addConsumer();
    assert.equal(c.tryPoll(), POLL_EMPTY);
    assert.throws(() => c.poll({ timeout: 300 }), { name: 'TimeoutError' });
    assert.ok(calls >= 2 && calls <= 8, `watchdog calls: ${calls}`);
    assert.throws(() => Ring.create({ capacity: 2, watchdog: 5 as unknown as () => void }), /options.watchdog must be a function/);
  });
});
