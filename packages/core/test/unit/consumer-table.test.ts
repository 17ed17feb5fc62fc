/**
 * The consumer table holds up to MAX_CONSUMERS (128) entries; dependency masks are one Int32, so
 * `after` may name only ids below MAX_DEPENDENCY_IDS (32), and ids above 31 never alias a mask bit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteRing, CapacityError, InvalidArgumentError, MAX_CONSUMERS, POLL_EMPTY, Ring, RingBuffer } from '../../src/index.js';

describe('consumer table of 128 entries', () => {
  it('a typed ring takes 128 consumers, each sees every entry; the 129th is refused', () => {
    assert.equal(MAX_CONSUMERS, 128);
    const ring = Ring.create({ capacity: 16, maxConsumers: 128 });
    const consumers = Array.from({ length: 128 }, () => ring.addConsumer());
    assert.deepEqual(consumers.map((c) => c.id), Array.from({ length: 128 }, (_, i) => i));
    assert.throws(() => ring.addConsumer(), (e: Error) => e instanceof CapacityError && /at most 128/.test(e.message));
    const p = ring.producer();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 16; i++) assert.equal(p.tryPublishValue(round * 16 + i), true);
      assert.equal(p.tryClaim(1), false, 'every consumer gates');
      for (const c of consumers) {
        assert.equal(c.tryPoll(), 16);
        assert.equal(c.batch.lo, round * 16);
        c.release();
      }
    }
  });

  it('after: may name ids 0 … 31 only, with a clear error', () => {
    const ring = Ring.create({ capacity: 16, maxConsumers: 40 });
    const consumers = Array.from({ length: 33 }, () => ring.addConsumer());
    assert.ok(ring.addConsumer({ after: [consumers[31]!] }).id === 33);
    assert.throws(() => ring.addConsumer({ after: [consumers[32]!] }), {
      name: 'InvalidArgumentError',
      message: 'options.after entries must have ids below 32 (a dependency mask is one Int32; register the consumers others run after first): id=32',
    });
    const bytes = ByteRing.create({ capacity: 1024, maxReaders: 128 });
    const readers = Array.from({ length: 33 }, () => bytes.addReader());
    assert.throws(() => bytes.addReader({ after: [readers[32]!.id] }), InvalidArgumentError);
    assert.equal(bytes.addReader({ after: [readers[0]!] }).id, 33);
  });

  it('a consumer with id 40 does not alias mask bit 8: a dependent of consumer 8 waits only for 8', () => {
    const ring = Ring.create({ capacity: 16, maxConsumers: 42 });
    const consumers = Array.from({ length: 41 }, () => ring.addConsumer());
    const dependent = ring.addConsumer({ after: [consumers[8]!] });
    const p = ring.producer();
    for (let i = 0; i < 4; i++) p.publishValue(i);
    assert.equal(dependent.tryPoll(), POLL_EMPTY, 'consumer 8 has not released yet');
    assert.equal(consumers[8]!.tryPoll(), 4);
    consumers[8]!.release();
    assert.equal(dependent.tryPoll(), 4, 'consumer 40 (which never read) does not hold it back');
  });

  it('RingBuffer takes 100 readers', () => {
    const rb = new RingBuffer({ slotBytes: 8, slotCount: 4 });
    const readers = Array.from({ length: 100 }, () => rb.newReader());
    rb.newWriter();
    rb.tryWrite(new Uint8Array([1, 2, 3]));
    for (const r of readers) assert.deepEqual(Array.from(rb.tryRead(r)), [1, 2, 3]);
  });
});
