/**
 * Property-based tests (fast-check): the sequence arithmetic, a model-based run against a plain
 * array queue, and the error contract of the public entry points (only RingkitError subclasses
 * escape, and the ring still works afterwards).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytes, InvalidStateError, POLL_EMPTY, Ring, RingkitError, seqAdd, seqAfter, seqDiff, seqMax, seqMin } from '../../src/index.js';

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const distance = fc.integer({ min: -(2 ** 30), max: 2 ** 30 });

test('wrap-safe sequence arithmetic holds across the Int32 wrap', () => {
  fc.assert(fc.property(int32, distance, (a, d) => {
    const b = seqAdd(a, d);
    assert.equal(seqDiff(b, a), d);
    assert.equal(seqAfter(b, a), d > 0);
    assert.equal(seqMax(a, b), d >= 0 ? b : a);
    assert.equal(seqMin(a, b), d >= 0 ? a : b);
    assert.ok(Number.isInteger(b) && b >= -(2 ** 31) && b < 2 ** 31);
  }), { numRuns: 5000 });
});

type Op = { kind: 'claim'; n: number } | { kind: 'poll'; max: number } | { kind: 'release' };

test('model-based: a single-consumer ring behaves as a bounded FIFO queue, across the wrap', () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('claim' as const), n: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant('poll' as const), max: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ kind: fc.constant('release' as const) }),
  );
  fc.assert(fc.property(
    fc.constantFrom(2, 4, 8, 16), fc.boolean(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.array(op, { maxLength: 120 }),
    (capacity, multi, initialSequence, ops) => {
      const ring = Ring.create({ capacity, producer: multi ? 'multi' : 'single', initialSequence });
      const c = ring.addConsumer();
      const p = ring.producer();
      const queue: number[] = []; // published, not yet polled
      let held = 0; // polled, not yet released
      let nextValue = 0;
      for (const o of ops) {
        if (o.kind === 'claim') {
          const n = Math.min(o.n, capacity);
          const room = capacity - queue.length - held;
          const ok = p.tryClaim(n);
          assert.equal(ok, n <= room, `claim ${n} with room ${room}`);
          if (!ok) continue;
          for (let s = p.lo, i = 0; i < n; i++, s = (s + 1) | 0) ring.columns.value[ring.index(s)] = nextValue + i;
          p.publish(p.hi);
          for (let i = 0; i < n; i++) queue.push(nextValue++);
        } else if (o.kind === 'poll') {
          held = 0; // tryPoll releases the previous batch
          const got = c.tryPoll(o.max);
          const want = Math.min(o.max, queue.length);
          assert.equal(got, want === 0 ? POLL_EMPTY : want);
          for (let i = 0; i < want; i++) assert.equal(ring.columns.value[c.batch.index(i)], queue.shift());
          held = want;
        } else {
          c.release();
          held = 0;
        }
      }
    },
  ), { numRuns: 300 });
});

test('bad arguments throw only RingkitError subclasses, and the ring still works afterwards', () => {
  const anything = fc.oneof(fc.anything(), fc.double(), fc.integer({ min: -5, max: 2 ** 31 }), fc.constantFrom(NaN, Infinity, -1, 0, 3, 2 ** 30 + 1));
  fc.assert(fc.property(anything, anything, anything, (a, b, x) => {
    const attempts: Array<() => unknown> = [
      () => Ring.create({ capacity: a as number }),
      () => Ring.create({ capacity: 8, schema: a as never }),
      () => Ring.create({ capacity: 8, maxConsumers: a as number, producer: b as 'single' }),
      () => Ring.create({ capacity: 8, evictAfterMs: a as number, initialSequence: b as number }),
      () => Ring.create({ capacity: 8, waitStrategy: a as 'phased' }),
      () => bytes(a as number),
      () => Ring.attach(a as never),
    ];
    for (const attempt of attempts) {
      try { attempt(); } catch (e) { assert.ok(e instanceof RingkitError, `escaped: ${String(e)}`); }
    }
    const ring = Ring.create({ capacity: 8 });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (const attempt of [
      () => p.tryClaim(a as number), () => p.claim(x as number, { timeout: 0 }), () => p.publish(b as number),
      () => p.tryPublishValue(a as number), () => c.tryPoll(a as number), () => c.poll({ timeout: 0, max: b as number }),
      () => c.poll({ timeout: 0, signal: a as never }), () => ring.addConsumer({ after: a as never }), () => ring.openConsumer(a as number),
      () => ring.slices(a as 'value', 0, b as number),
    ]) {
      try { attempt(); } catch (e) { assert.ok(e instanceof RingkitError, `escaped: ${String(e)}`); }
    }
    // Whatever happened, a fresh claim/publish/poll round still works (after publishing what
    // the attempts claimed and left unpublished).
    try { p.publish(p.hi); } catch (e) { assert.ok(e instanceof InvalidStateError, `nothing was left unpublished: ${String(e)}`); }
    c.release();
    while (c.tryPoll() > 0) c.release();
    assert.equal(p.tryPublishValue(42), true);
    // (sequences an attempt claimed without publishing become visible with it: single producer)
    const n = c.tryPoll();
    assert.ok(n >= 1, `poll after publish: ${n}`);
    assert.equal(ring.columns.value[c.batch.index(n - 1)], 42);
  }), { numRuns: 400 });
});
