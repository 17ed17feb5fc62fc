import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ByteRing, InvalidArgumentError, InvalidStateError, LappedError, LayoutMismatchError, POLL_CLOSED, POLL_EMPTY,
  Ring, RingClosedError, TimeoutError, jsonCodec, PADDING_FLAG,
} from '../../src/index.js';

const enc = new TextEncoder();
const text = (b: Uint8Array): string => new TextDecoder().decode(b.slice());

for (const producer of ['single', 'multi'] as const) {
  describe(`byte ring, ${producer} producer`, () => {
    it('claims a writable view in the ring, commits it, and hands readers zero-copy views in order', () => {
      const ring = ByteRing.create({ capacity: 256, producer });
      const a = ring.addReader();
      const b = ring.addReader();
      const p = ring.producer();
      const view = p.claim(5);
      assert.equal(view.buffer, ring.descriptor.buffer, 'the claim is a view into the shared memory');
      view.set(enc.encode('hello'));
      assert.equal(a.tryPoll(), POLL_EMPTY, 'nothing is visible before commit');
      p.commit();
      p.write(enc.encode(''));
      assert.equal(p.tryWrite(enc.encode('world!')), true);
      for (const r of [a, b]) {
        assert.equal(r.tryPoll(), 3);
        assert.deepEqual([0, 1, 2].map((i) => text(r.batch.record(i))), ['hello', '', 'world!']);
        assert.equal(r.batch.record(0).buffer, ring.descriptor.buffer, 'records are views, not copies');
        r.release();
        assert.equal(r.tryPoll(), POLL_EMPTY);
      }
    });

    it('pads at the wrap and never splits a record; refuses to overwrite unreleased records', () => {
      const ring = ByteRing.create({ capacity: 256, producer });
      const r = ring.addReader();
      const p = ring.producer();
      // 24-byte records take 32-byte frames: 8 of them fill the ring.
      for (let k = 0; k < 7; k++) assert.equal(p.tryWrite(new Uint8Array(24).fill(k)), true);
      assert.equal(p.tryWrite(new Uint8Array(24)), true);
      assert.equal(p.tryWrite(new Uint8Array(0)), false, 'full');
      assert.equal(r.tryPoll(3), 3);
      r.release();
      // 220 bytes free at offsets 0..95 after padding? The next 20-byte record (frame 32) fits at offset 0.
      assert.equal(p.tryWrite(new Uint8Array(20).fill(9)), true);
      assert.equal(r.tryPoll(), 6);
      assert.deepEqual(Array.from({ length: 6 }, (_, i) => r.batch.record(i)[0]), [3, 4, 5, 6, 0, 9]);
      r.release();
      // Now at offset 32: a 24-byte record fits; then one that would cross the end gets padding.
      for (let k = 0; k < 6; k++) assert.equal(p.tryWrite(new Uint8Array(24).fill(10 + k)), true, `write ${k}`);
      assert.equal(r.tryPoll(), 6);
      r.release();
      assert.equal(p.tryWrite(new Uint8Array(24).fill(42)), true, 'needs 32 at offset 224: fits exactly');
      assert.equal(p.tryWrite(new Uint8Array(8).fill(43)), true);
      assert.equal(p.tryWrite(new Uint8Array(16).fill(44)), true);
      assert.equal(r.tryPoll(), 3);
      assert.deepEqual([0, 1, 2].map((i) => [r.batch.length(i), r.batch.record(i)[0]]), [[24, 42], [8, 43], [16, 44]]);
      for (let i = 0; i < 3; i++) assert.equal(r.batch.offset(i) % 8, 0, 'payloads are 8-aligned');
    });

    it('writes a padding frame when a record would cross the end of the ring', () => {
      const ring = ByteRing.create({ capacity: 256, producer });
      const r = ring.addReader();
      const p = ring.producer();
      p.write(new Uint8Array(16).fill(100)); // frame 24: the next frames start at 24, 56, ... 216
      for (let k = 0; k < 7; k++) p.write(new Uint8Array(24).fill(k));
      assert.equal(r.tryPoll(), 8);
      r.release();
      p.write(new Uint8Array(24).fill(50)); // 8 bytes left at 248: padding there, the record at 0
      const frameAt248 = ring.words[248 >> 2]!;
      assert.equal(frameAt248 & PADDING_FLAG, PADDING_FLAG, 'a padding frame fills the end');
      assert.equal(frameAt248 & ~PADDING_FLAG, 8);
      assert.equal(r.tryPoll(), 1);
      assert.equal(r.batch.offset(0), 8, 'the record starts at the beginning of the ring, after its header');
      assert.deepEqual(r.batch.record(0), new Uint8Array(24).fill(50));
      r.release();
      assert.equal(r.position, ring.cursor, 'the reader released past the padding');
    });

    it('rejects records longer than capacity / 8 - 8, and bad lengths, naming the limit', () => {
      const ring = ByteRing.create({ capacity: 1024, producer });
      const p = ring.producer();
      assert.equal(ring.maxRecordLength, 120);
      assert.throws(() => p.tryClaim(121), (e: Error) => e instanceof InvalidArgumentError && /maxRecordLength=120/.test(e.message));
      assert.throws(() => p.tryClaim(-1), InvalidArgumentError);
      assert.throws(() => p.tryClaim(1.5), InvalidArgumentError);
      assert.throws(() => p.write('text' as unknown as Uint8Array), (e: Error) => e instanceof InvalidArgumentError && /Uint8Array/.test(e.message));
      assert.ok(p.tryClaim(120) !== null);
      assert.throws(() => p.tryClaim(1), InvalidStateError, 'one claim at a time');
      p.abort();
      assert.throws(() => p.commit(), InvalidStateError);
    });

    it('readers skip aborted claims; close drains what was committed, then POLL_CLOSED', () => {
      const ring = ByteRing.create({ capacity: 512, producer });
      const r = ring.addReader();
      const p = ring.producer();
      p.write(enc.encode('a'));
      p.tryClaim(10)!.fill(1);
      p.abort();
      p.write(enc.encode('b'));
      ring.close();
      assert.throws(() => p.tryWrite(enc.encode('c')), RingClosedError);
      assert.equal(r.tryPoll(), 2);
      assert.deepEqual([text(r.batch.record(0)), text(r.batch.record(1))], ['a', 'b']);
      assert.equal(r.tryPoll(), POLL_CLOSED);
      assert.equal(r.read(), null);
    });

    it('a dependent reader sees a record only after its upstream released it', () => {
      const ring = ByteRing.create({ capacity: 512, producer });
      const up = ring.addReader();
      const down = ring.addReader({ after: [up] });
      const p = ring.producer();
      p.write(enc.encode('x'));
      p.write(enc.encode('y'));
      assert.equal(down.tryPoll(), POLL_EMPTY);
      assert.equal(up.tryPoll(1), 1);
      up.release();
      assert.equal(down.tryPoll(), 1);
      assert.equal(text(down.batch.record(0)), 'x');
    });

    it('blocking claim and poll time out with TimeoutError', () => {
      const ring = ByteRing.create({ capacity: 256, producer });
      const r = ring.addReader();
      const p = ring.producer();
      assert.throws(() => r.poll({ timeout: 20 }), TimeoutError);
      while (p.tryWrite(new Uint8Array(24)));
      assert.throws(() => p.claim(24, { timeout: 20 }), TimeoutError);
      assert.ok(r.lag() > 0);
      r.remove();
      assert.ok(p.tryClaim(24) !== null, 'a removed reader no longer holds the producer back');
      p.commit();
    });

    it('lossy: the producer never waits; a lapped reader gets LappedError or skips with batch.lost', async () => {
      for (const lossyPolicy of ['error', 'skip'] as const) {
        const ring = ByteRing.create({ capacity: 256, producer, lossy: true, lossyPolicy });
        const r = ring.addReader();
        const p = ring.producer();
        for (let k = 0; k < 20; k++) assert.equal(p.tryWrite(new Uint8Array(24).fill(k)), true);
        if (lossyPolicy === 'error') {
          assert.throws(() => r.tryPoll(), (e: Error) => e instanceof LappedError && e.lost > 0);
        } else {
          assert.equal(r.tryPoll(), POLL_EMPTY, 'skipped to the newest claimed position');
        }
        p.write(new Uint8Array(24).fill(99));
        assert.equal(r.tryPoll(), 1, 'resumes with the first record after the lap');
        assert.equal(r.batch.lost, lossyPolicy === 'skip' ? 20 * 32 : 0, 'skip: batch.lost counts the bytes skipped');
        assert.equal(r.batch.record(0)[0], 99);
      }
    });

    it('async: claimAsync waits for a release, pollAsync and the async iterator read to the end', async () => {
      const ring = ByteRing.create({ capacity: 256, producer, waitStrategy: 'async' });
      const r = ring.addReader();
      const p = ring.producer();
      while (p.tryWrite(new Uint8Array(24)));
      const pending = p.claimAsync(24, { timeout: 5000 });
      setTimeout(() => { r.tryPoll(); r.release(); }, 20);
      (await pending).fill(7);
      p.commit();
      ring.close();
      let records = 0;
      for await (const batch of r) records += batch.count;
      assert.equal(records, 1);
    });
  });
}

describe('byte ring gating position', () => {
  it('is the slowest reader\'s released position, or the cursor with no reader', () => {
    const ring = ByteRing.create({ capacity: 256 });
    const p = ring.producer();
    p.write(enc.encode('x'));
    assert.equal(ring.gatingPosition(), ring.cursor, 'no reader: the cursor');
    const a = ring.addReader();
    const b = ring.addReader();
    const before = ring.gatingPosition();
    p.write(enc.encode('abcdefgh'));
    assert.equal(a.tryPoll(), 1);
    a.release();
    assert.equal(ring.gatingPosition(), before, 'b has not released');
    assert.equal(b.tryPoll(), 1);
    b.release();
    assert.equal(ring.gatingPosition(), ring.cursor);
    assert.equal(ring.capacity - ((ring.cursor - ring.gatingPosition()) | 0), ring.capacity);
  });
});

describe('byte ring options, attach and codecs', () => {
  it('rejects bad options with the option named', () => {
    assert.throws(() => ByteRing.create({ capacity: 1000 }), /options.capacity must be a power of two in \[256, 2\^30\]/);
    assert.throws(() => ByteRing.create({ capacity: 128 }), /capacity=128/);
    assert.throws(() => ByteRing.create({ capacity: 1024, producer: 'many' as 'single' }), /options.producer/);
    assert.throws(() => ByteRing.create({ capacity: 1024, initialPosition: 3 }), /initialPosition must be an Int32 multiple of 8/);
    assert.throws(() => ByteRing.create({ capacity: 1024, maxReaders: 129 }), /options.maxReaders must be an integer in \[1, 128\]: maxReaders=129/);
    assert.throws(() => ByteRing.create({ capacity: 1024, maxBatch: 0 }), /maxBatch/);
  });

  it('attaches by descriptor, and refuses a typed ring', () => {
    const ring = ByteRing.create({ capacity: 1024 });
    const r = ring.addReader();
    const other = ByteRing.attach(ring.descriptor, { capacity: 1024 });
    other.producer().write(enc.encode('via attach'));
    assert.equal(text(r.tryRead()!), 'via attach');
    assert.throws(() => ByteRing.attach(ring.descriptor, { capacity: 2048 }), (e: Error) => e instanceof LayoutMismatchError && e.field === 'capacity');
    assert.throws(() => ByteRing.attach(Ring.create({ capacity: 8 }).descriptor), (e: Error) => e instanceof LayoutMismatchError && e.field === 'kind');
    assert.throws(() => ring.producer(), InvalidStateError, 'single producer: one in all threads');
  });

  it('JSON codec round-trips values through records', () => {
    const ring = ByteRing.create({ capacity: 4096 });
    const r = ring.addReader();
    const p = ring.producer();
    const value = { id: 7, tags: ['a', 'é'], nested: { x: 1.5 } };
    p.write(jsonCodec.encode(value));
    assert.equal(r.tryPoll(), 1);
    assert.deepEqual(jsonCodec.decode(r.batch.record(0)), value);
    assert.throws(() => jsonCodec.encode(undefined), InvalidArgumentError);
    assert.equal(PADDING_FLAG, 0x40000000);
  });
});
