/**
 * Core integrity regressions (issue 10): lossy multi-producer lapping, batches never longer than
 * the ring, one range check for every publish path, regions past 2 GiB, attach validating every
 * header word, refused registrations leaving the table as it was.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteRing, InvalidArgumentError, InvalidStateError, LappedError, LayoutMismatchError, POLL_CLOSED, Ring, SlotPool, CapacityError } from '../../src/index.js';
import * as L from '../../src/layout.js';

describe('lossy multi-producer rings', () => {
  it('a lapped consumer gets LappedError with the exact count, then reads on, and the ring still closes', () => {
    const ring = Ring.create({ capacity: 8, producer: 'multi', lossy: true });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 20; i++) p.publishValue(i);
    assert.throws(() => c.tryPoll(), (e: unknown) => e instanceof LappedError && e.lost === 12);
    assert.equal(c.tryPoll(), 8);
    assert.deepEqual(Array.from({ length: 8 }, (_, i) => ring.columns.value[c.batch.index(i)]), [12, 13, 14, 15, 16, 17, 18, 19]);
    for (let i = 20; i < 40; i++) p.publishValue(i);
    ring.close();
    // The held batch 12…19 was overwritten while held (release says so), then 20…31 were lapped.
    assert.throws(() => c.poll({ timeout: 1000 }), (e: unknown) => e instanceof LappedError && e.lost === 8);
    assert.throws(() => c.poll({ timeout: 1000 }), (e: unknown) => e instanceof LappedError && e.lost === 12);
    const values: number[] = [];
    for (;;) {
      const n = c.poll({ timeout: 1000 });
      if (n === POLL_CLOSED) break;
      for (let i = 0; i < n; i++) values.push(ring.columns.value[c.batch.index(i)]!);
    }
    assert.deepEqual(values, [32, 33, 34, 35, 36, 37, 38, 39]);
  });

  it("with lossyPolicy 'skip': batch.lost and consumer.lost add up to exactly what was overwritten", () => {
    const ring = Ring.create({ capacity: 8, producer: 'multi', lossy: true, lossyPolicy: 'skip' });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 30; i++) p.publishValue(i);
    const n = c.tryPoll(100); // max above the capacity
    assert.equal(n, 8, 'a batch is never longer than the ring');
    assert.equal(c.batch.lost, 22);
    assert.equal(c.lost, 22);
    assert.equal(ring.columns.value[c.batch.index(0)], 22);
  });

  it('a producer never claims a slot whose previous entry a slower producer has not published (no torn entries; found by the stress harness)', () => {
    const ring = Ring.create({ capacity: 4, producer: 'multi', lossy: true, lossyPolicy: 'skip' });
    const c = ring.addConsumer();
    const slow = Ring.attach(ring.descriptor).producer();
    const fast = ring.producer();
    slow.claim(1); // sequence 0, slot 0: being written
    for (let i = 1; i <= 3; i++) assert.equal(fast.tryPublishValue(i), true);
    assert.equal(fast.tryPublishValue(4), false, 'sequence 4 would reuse slot 0 while sequence 0 is still being written');
    assert.throws(() => fast.claim(1, { timeout: 50 }), { name: 'TimeoutError' });
    ring.columns.value[0] = 0;
    slow.publish(slow.hi);
    for (let i = 4; i <= 9; i++) fast.publishValue(i); // consumers still never gate: 0 … 5 are overwritten
    ring.close();
    const values: number[] = [];
    for (;;) {
      const n = c.poll({ timeout: 1000 });
      if (n === POLL_CLOSED) break;
      for (let i = 0; i < n; i++) values.push(ring.columns.value[c.batch.index(i)]!);
    }
    assert.deepEqual(values, [6, 7, 8, 9]);
    assert.equal(c.lost, 6);
  });

  it('tryPoll(max) above the capacity never returns more than the capacity (single producer, lossy)', () => {
    const ring = Ring.create({ capacity: 4, lossy: true, lossyPolicy: 'skip' });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 3; i++) p.publishValue(i);
    assert.equal(c.tryPoll(1), 1);
    c.release();
    for (let i = 3; i < 13; i++) p.publishValue(i);
    const n = c.tryPoll(1000);
    assert.ok(n >= 1 && n <= 4, `batch of ${n}`);
  });
});

describe('one range check for every publish path', () => {
  for (const producer of ['single', 'multi'] as const) {
    it(`${producer} producer: publish(NaN | Infinity | fraction | out of range) is refused and nothing is exposed`, () => {
      const ring = Ring.create({ capacity: 8, producer });
      const c = ring.addConsumer();
      const p = ring.producer();
      assert.throws(() => p.publish(0), InvalidStateError, 'nothing claimed');
      const hi = p.claim(3);
      for (const bad of [NaN, Infinity, -Infinity, hi + 0.5, hi + 1, p.lo - 1, '2' as unknown as number]) {
        assert.throws(() => p.publish(bad), InvalidArgumentError, `publish(${String(bad)})`);
        assert.equal(c.tryPoll(), 0, 'nothing became visible');
      }
      p.publish(hi);
      assert.equal(c.tryPoll(), 3);
      c.release();
      p.close?.();
      if (producer === 'multi') ring.close();
      assert.equal(c.poll({ timeout: 1000 }), POLL_CLOSED, 'the ring still closes');
    });
  }

  it('multi producer: one claim at a time (a second claim before publishing would never be published)', () => {
    const ring = Ring.create({ capacity: 8, producer: 'multi' });
    const p = ring.producer();
    p.claim(2);
    assert.throws(() => p.claim(1), /a claim is outstanding/);
    assert.throws(() => p.close(), /close\(\) with a claim outstanding/);
    p.publish(p.hi);
    assert.throws(() => p.claim(1, null as never), InvalidArgumentError);
    assert.equal(p.tryClaim(1), true, 'the refused call claimed nothing');
  });
});

describe('regions of 2 GiB and more', () => {
  it('Ring.byteLength is exact for 2^28 f64 slots (2 GiB of data) and such a ring works at its last slot', () => {
    const capacity = 2 ** 28;
    const len = Ring.byteLength({ capacity });
    assert.ok(len > 2 ** 31 && len < 2 ** 31 + 16384, `byteLength=${len}`);
    const ring = Ring.create({ capacity, initialSequence: capacity - 3 });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 4; i++) p.publishValue(i + 0.5); // crosses the end of the data area
    assert.equal(c.tryPoll(), 4);
    assert.equal(ring.columns.value[capacity - 1], 1.5);
    assert.equal(ring.columns.value[0], 2.5);
    assert.equal(Ring.attach(ring.descriptor).capacity, capacity);
    assert.ok(Ring.byteLength({ capacity: 2 ** 30, producer: 'multi' }) > 12 * 2 ** 30, '2^30 slots with availability: > 12 GiB, computed exactly');
  });
});

describe('attach validates every header word', () => {
  function corrupt(make: () => { descriptor: L.RegionDescriptor }, offset: number, write: (v: DataView) => void, attach: (d: L.RegionDescriptor) => unknown, field: string): void {
    const { descriptor } = make();
    write(new DataView(descriptor.buffer, descriptor.byteOffset + offset));
    assert.throws(() => attach(descriptor), (e: unknown) => e instanceof LayoutMismatchError && e.field === field, `field ${field}`);
  }
  const typed = (): Ring => Ring.create({ capacity: 64, producer: 'multi' });
  const attachTyped = (d: L.RegionDescriptor): unknown => Ring.attach(d);

  it('refuses a capacity that is not a power of two, an unknown producer mode, unknown flags, bad table sizes, reserved words', () => {
    corrupt(typed, L.CAPACITY_OFFSET, (v) => v.setUint32(0, 96, true), attachTyped, 'capacity');
    corrupt(typed, L.PRODUCER_MODE_OFFSET, (v) => v.setUint32(0, 2, true), attachTyped, 'producer');
    corrupt(typed, L.FLAGS_OFFSET, (v) => v.setUint32(0, 8, true), attachTyped, 'flags');
    corrupt(typed, L.FLAGS_OFFSET, (v) => v.setUint32(0, 2, true), attachTyped, 'flags');
    corrupt(typed, L.MAX_CONSUMERS_OFFSET, (v) => v.setUint32(0, 0, true), attachTyped, 'maxConsumers');
    corrupt(typed, L.MAX_PRODUCERS_OFFSET, (v) => v.setUint32(0, 999, true), attachTyped, 'maxProducers');
    corrupt(typed, L.EVICT_AFTER_OFFSET, (v) => v.setUint32(0, 2 ** 31, true), attachTyped, 'evictAfterMs');
    corrupt(typed, L.START_TIMEOUT_OFFSET, (v) => v.setUint32(0, 2 ** 31, true), attachTyped, 'startTimeoutMs');
    corrupt(typed, L.EPOCH_OFFSET, (v) => v.setFloat64(0, NaN, true), attachTyped, 'epoch');
    corrupt(typed, L.REGION_LENGTH_OFFSET, (v) => v.setFloat64(0, 1.5, true), attachTyped, 'byteLength');
    corrupt(typed, L.CHECKSUM_OFFSET, (v) => v.setUint32(0, v.getUint32(0, true) ^ 1, true), attachTyped, 'checksum');
    corrupt(typed, 100, (v) => v.setUint32(0, 1, true), attachTyped, 'reserved');
  });

  it('refuses corrupt schema text as a LayoutMismatchError (not a mistake in the caller\'s options), and a bad schema length without a RangeError', () => {
    corrupt(typed, L.SCHEMA_OFFSET, (v) => v.setUint8(0, 0x2c), attachTyped, 'schema'); // ",alue:f64"
    corrupt(typed, L.SCHEMA_OFFSET + 6, (v) => v.setUint8(0, 0x78), attachTyped, 'schema'); // "value:x64"
    corrupt(typed, L.SCHEMA_OFFSET, (v) => v.setUint8(0, 0xff), attachTyped, 'schema'); // not UTF-8
    corrupt(typed, L.SCHEMA_LENGTH_OFFSET, (v) => v.setUint32(0, 2 ** 31, true), attachTyped, 'schema');
    corrupt(typed, L.SCHEMA_LENGTH_OFFSET, (v) => v.setUint32(0, 4000, true), attachTyped, 'schema');
  });

  it('byte rings and slot pools validate theirs too', () => {
    const bytes = (): ByteRing => ByteRing.create({ capacity: 1024 });
    corrupt(bytes, L.CAPACITY_OFFSET, (v) => v.setUint32(0, 128, true), (d) => ByteRing.attach(d), 'capacity');
    corrupt(bytes, L.INITIAL_SEQUENCE_OFFSET, (v) => v.setInt32(0, 3, true), (d) => ByteRing.attach(d), 'initialSequence');
    corrupt(bytes, L.SCHEMA_OFFSET, (v) => v.setUint8(0, 0x63), (d) => ByteRing.attach(d), 'schema');
    const pool = (): SlotPool => SlotPool.create({ slotBytes: 64, slotCount: 3 });
    corrupt(pool, L.SCHEMA_OFFSET + 10, (v) => v.setUint8(0, 0x39), (d) => SlotPool.attach(d), 'checksum'); // slotBytes=94: pads to the same length
    corrupt(pool, L.FLAGS_OFFSET, (v) => v.setUint32(0, 1, true), (d) => SlotPool.attach(d), 'flags');
  });
});

describe('refused registrations', () => {
  it('a refused addWorkGroup leaves every table entry free', () => {
    const ring = Ring.create({ capacity: 8, maxConsumers: 4 });
    for (let k = 0; k < 10; k++) assert.throws(() => ring.addWorkGroup({ members: 4 }), CapacityError);
    const g = ring.addWorkGroup({ members: 3 });
    assert.deepEqual(g.memberIds.length, 3);
    assert.throws(() => ring.addWorkGroup({ members: null as unknown as number }), InvalidArgumentError);
    assert.throws(() => ring.addWorkGroup(null as never), InvalidArgumentError);
    assert.throws(() => ring.addConsumer(null as never), InvalidArgumentError);
  });

  it('a __proto__ schema field is refused, not silently dropped', () => {
    assert.throws(() => Ring.create({ capacity: 8, schema: JSON.parse('{"__proto__":"f64","a":"u8"}') }), /other than __proto__/);
  });
});
