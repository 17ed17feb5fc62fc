/**
 * Issue 10, "Bad input" (items 11–15): each bad value is refused with a RingkitError subclass that
 * names it, leaves the object usable and never hangs. `publish` runs in a worker under a hard
 * deadline (a multi-producer `publish(NaN)` used to loop forever).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytes, ByteRing, CapacityError, describeLayout, InvalidArgumentError, jsonCodec, LayoutMismatchError, reviveError, Ring,
  RingkitError, SlotPool, type Schema,
} from '../../src/index.js';
import * as L from '../../src/layout.js';
import { describeGuarded } from '../fixtures/guarded-run.js';
import { guarded } from '../fixtures/issue-10-run.js';
import { BAD_HI } from '../fixtures/issue-10-scenarios.js';

/** Asserts `f` throws a RingkitError subclass `cls` whose message contains every `names` string (`a|b`: either). */
function refuses(f: () => unknown, cls: new (...a: never[]) => RingkitError, ...names: string[]): void {
  let thrown: unknown;
  let value: unknown;
  try {
    value = f();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `accepted (returned ${String(value)}) instead of throwing ${cls.name}`);
  assert.ok(thrown instanceof cls, `threw ${(thrown as Error)?.name}: ${(thrown as Error)?.message}; expected ${cls.name}`);
  for (const n of names) assert.ok(n.split('|').some((alt) => (thrown as Error).message.includes(alt)), `the message names ${n}: ${(thrown as Error).message}`);
}

describe('issue 10 item 11: publish(hi) of a range that was not claimed', { concurrency: 3 }, () => {
  for (const producer of ['single', 'multi'] as const) {
    for (const which of BAD_HI) {
      it(`${producer}-producer publish(${which}) throws InvalidArgumentError naming hi, marks nothing published, and the ring still publishes and closes`, async () => {
        const g = await guarded('badPublish', { producer, which }, 5000);
        assert.equal(g.outcome, 'returned', describeGuarded(g));
        const r = (g as { value: { bad: string; publish: object; afterBad: object; afterValid: object; close: object; end: object } }).value;
        const threw = (r.publish as { threw?: { name: string; message: string } }).threw;
        assert.ok(threw !== undefined, `publish(${r.bad}) was accepted`);
        // A bad argument (InvalidArgumentError), or a call the producer's state does not allow (InvalidStateError).
        assert.ok(threw.name === 'InvalidArgumentError' || threw.name === 'InvalidStateError', `${threw.name}: ${threw.message}`);
        assert.match(threw.message, /hi=/, threw.message);
        assert.deepEqual(r.afterBad, { n: 0, lo: 0, lost: 0, values: [] }, 'nothing became visible');
        assert.deepEqual(r.afterValid, { n: 2, lo: 0, lost: 0, values: [10, 11] }, 'a valid publish afterwards round-trips');
        assert.deepEqual(r.close, { returned: undefined }, 'the ring can be closed');
        assert.equal((r.end as { n?: number }).n, -1);
      });
    }
  }
});

describe('issue 10 item 12: regions of 2 GiB or more', () => {
  const cases: Array<[string, number, Schema, 'single' | 'multi']> = [
    ['2^30 f64 slots', 2 ** 30, { value: 'f64' }, 'single'],
    ['2^28 f64 slots (2 GiB of data)', 2 ** 28, { value: 'f64' }, 'single'],
    ['2^29 slots of two u32 fields, multi producer', 2 ** 29, { a: 'u32', b: 'u32' }, 'multi'],
    ['2^27 slots of bytes(16)', 2 ** 27, { b: bytes(16) }, 'single'],
  ];
  for (const [name, capacity, schema, producer] of cases) {
    it(`Ring.byteLength of ${name} is the real size or an InvalidArgumentError naming the limit, never a wrapped 32-bit value`, () => {
      let length: number | undefined;
      try {
        length = Ring.byteLength({ capacity, schema, producer });
      } catch (e) {
        assert.ok(e instanceof InvalidArgumentError, `threw ${(e as Error).name}: ${(e as Error).message}`);
        assert.match((e as Error).message, /capacity|byteLength|GiB/);
        // The same limit in create, as a RingkitError rather than a bare RangeError of the allocation.
        assert.throws(() => Ring.create({ capacity, schema, producer }), (c: Error) => c instanceof InvalidArgumentError);
        return;
      }
      const perEntry = Object.values(schema).reduce<number>((n, f) => n + (typeof f === 'string' ? { f64: 8, u32: 4 }[f as 'f64' | 'u32'] : f.length), 0);
      const data = perEntry * capacity + (producer === 'multi' ? 4 * capacity : 0);
      assert.ok(Number.isSafeInteger(length) && length >= data, `byteLength=${length} for ${data} bytes of slots`);
    });
  }
});

describe('issue 10 item 13: attach validates every header word', () => {
  type Kind = 'ring' | 'byteRing';
  function region(kind: Kind): { buffer: SharedArrayBuffer; view: DataView } {
    const d = kind === 'ring' ? Ring.create({ capacity: 64, schema: { v: 'u8' } }).descriptor : ByteRing.create({ capacity: 256 }).descriptor;
    return { buffer: d.buffer, view: new DataView(d.buffer) };
  }
  function attach(kind: Kind, buffer: SharedArrayBuffer): unknown {
    return kind === 'ring' ? Ring.attach({ buffer, byteOffset: 0 }) : ByteRing.attach({ buffer, byteOffset: 0 });
  }
  const text = (s: string): number[] => Array.from(new TextEncoder().encode(s));
  const cases: Array<{ kind: Kind; what: string; write: (v: DataView) => void; names: string }> = [
    { kind: 'ring', what: 'a capacity that is not a power of two but pads to the same length', write: (v) => v.setUint32(L.CAPACITY_OFFSET, 100, true), names: '100' },
    { kind: 'ring', what: 'a capacity of 0', write: (v) => v.setUint32(L.CAPACITY_OFFSET, 0, true), names: '0' },
    { kind: 'ring', what: 'an unknown producer mode', write: (v) => v.setUint32(L.PRODUCER_MODE_OFFSET, 2, true), names: '2' },
    { kind: 'ring', what: 'a schema length far past the buffer', write: (v) => v.setUint32(L.SCHEMA_LENGTH_OFFSET, 0xfffffff0, true), names: '4294967280' },
    { kind: 'ring', what: 'a schema length above the largest schema', write: (v) => v.setUint32(L.SCHEMA_LENGTH_OFFSET, L.MAX_SCHEMA_LENGTH + 1, true), names: String(L.MAX_SCHEMA_LENGTH + 1) },
    { kind: 'ring', what: 'schema text with an unknown type', write: (v) => text('v:zz').forEach((b, i) => v.setUint8(L.SCHEMA_OFFSET + i, b)), names: 'v:zz' },
    { kind: 'ring', what: 'schema text with a bad field name', write: (v) => v.setUint8(L.SCHEMA_OFFSET, '#'.charCodeAt(0)), names: '#:u8' },
    { kind: 'ring', what: 'unknown flag bits', write: (v) => v.setUint32(L.FLAGS_OFFSET, 0x80, true), names: '128|0x80' },
    { kind: 'ring', what: 'an evictAfterMs above 2^30', write: (v) => v.setUint32(L.EVICT_AFTER_OFFSET, 2 ** 31, true), names: '2147483648' },
    { kind: 'ring', what: 'a maxConsumers above 128', write: (v) => v.setUint32(L.MAX_CONSUMERS_OFFSET, 129, true), names: '129' },
    { kind: 'ring', what: 'a creation time that is not a number', write: (v) => v.setFloat64(L.EPOCH_OFFSET, NaN, true), names: 'NaN' },
    { kind: 'byteRing', what: 'a capacity that is not a power of two but pads to the same length', write: (v) => v.setUint32(L.CAPACITY_OFFSET, 200, true), names: '200' },
    { kind: 'byteRing', what: 'an unknown producer mode', write: (v) => v.setUint32(L.PRODUCER_MODE_OFFSET, 7, true), names: '7' },
    { kind: 'byteRing', what: 'an initial position that is not a multiple of 8', write: (v) => v.setInt32(L.INITIAL_SEQUENCE_OFFSET, 4, true), names: '4' },
    { kind: 'byteRing', what: 'schema text that is not a byte ring', write: (v) => text('bytez').forEach((b, i) => v.setUint8(L.SCHEMA_OFFSET + i, b)), names: 'bytez' },
    { kind: 'byteRing', what: 'a schema length far past the buffer', write: (v) => v.setUint32(L.SCHEMA_LENGTH_OFFSET, 0xfffffff0, true), names: '4294967280' },
  ];
  for (const c of cases) {
    it(`${c.kind === 'ring' ? 'Ring' : 'ByteRing'}.attach refuses ${c.what} with LayoutMismatchError naming the value`, () => {
      const { buffer, view } = region(c.kind);
      c.write(view);
      refuses(() => attach(c.kind, buffer), LayoutMismatchError, c.names);
    });
  }

  it('describeLayout of a corrupt header describes it instead of throwing a bare RangeError', () => {
    const { buffer, view } = region('ring');
    view.setUint32(L.SCHEMA_LENGTH_OFFSET, 0xfffffff0, true);
    let out: unknown;
    try {
      out = describeLayout(buffer, 0);
    } catch (e) {
      assert.ok(e instanceof RingkitError, `threw ${(e as Error).name}: ${(e as Error).message}`);
      return;
    }
    assert.equal(typeof out, 'string');
  });
});

describe('issue 10 item 14: a refused addWorkGroup', () => {
  it('a work group refused for a full table uses up no consumer-table entries', () => {
    const ring = Ring.create({ capacity: 8, maxConsumers: 4 });
    assert.throws(() => ring.addWorkGroup({ members: 4 }), (e: Error) => e instanceof CapacityError);
    const consumers = [0, 1, 2, 3].map(() => ring.addConsumer());
    assert.equal(consumers.length, 4, 'all four entries are still free');
  });

  it('the members a refused work group registered do not gate the producer', () => {
    const ring = Ring.create({ capacity: 8, maxConsumers: 3 });
    const c = ring.addConsumer();
    assert.throws(() => ring.addWorkGroup({ members: 3 }), (e: Error) => e instanceof CapacityError);
    const p = ring.producer();
    for (let i = 0; i < 8; i++) assert.equal(p.tryPublishValue(i), true, `entry ${i} fits: only c gates`);
    assert.equal(c.tryPoll(), 8);
    c.release();
    assert.equal(p.tryPublishValue(8), true);
    assert.equal(ring.addConsumer().id >= 0 && ring.addConsumer().id >= 0, true, 'the two entries left are usable');
  });
});

describe('issue 10 item 15: smaller gaps', { concurrency: true }, () => {
  for (const api of ['RingBuffer.read', 'ByteReader.read'] as const) {
    for (const options of ['number', 'string', 'null'] as const) {
      it(`${api}(…, options) with options that are a ${options} throws InvalidArgumentError instead of waiting for ever with no timeout`, async () => {
        const g = await guarded('readWithNonObjectOptions', { api, options }, 5000);
        assert.equal(g.outcome, 'returned', describeGuarded(g));
        const threw = (g as { value: { threw?: { name: string; message: string } } }).value.threw;
        assert.equal(threw?.name, 'InvalidArgumentError', JSON.stringify((g as { value: unknown }).value));
      });
    }
  }

  it("multi-producer claim(1, null) and publishValue(v, null) throw InvalidArgumentError naming the options", () => {
    const p = Ring.create({ capacity: 8, producer: 'multi' }).producer();
    refuses(() => p.claim(1, null as never), InvalidArgumentError, 'null');
    refuses(() => p.publishValue(1, null as never), InvalidArgumentError, 'null');
  });

  it('addConsumer(null), addWorkGroup(null) and addReader(null) throw InvalidArgumentError', () => {
    refuses(() => Ring.create({ capacity: 8 }).addConsumer(null as never), InvalidArgumentError, 'null');
    refuses(() => Ring.create({ capacity: 8 }).addWorkGroup(null as never), InvalidArgumentError);
    refuses(() => ByteRing.create({ capacity: 256 }).addReader(null as never), InvalidArgumentError, 'null');
  });

  it('a schema field named __proto__ is refused by name or kept as a real column, never dropped', () => {
    const schema = JSON.parse('{"a":"f64","__proto__":"u32"}') as Schema;
    let ring: Ring<Schema>;
    try {
      ring = Ring.create({ capacity: 8, schema });
    } catch (e) {
      assert.ok(e instanceof InvalidArgumentError && e.message.includes('__proto__'), `threw ${(e as Error).name}: ${(e as Error).message}`);
      return;
    }
    assert.ok(Object.hasOwn(ring.columns, '__proto__'), `columns: ${Object.keys(ring.columns).join(', ')}`);
    assert.ok(Object.hasOwn(Ring.attach(ring.descriptor).columns, '__proto__'), 'an attached ring has it too');
  });

  it('attach(descriptor, null) throws InvalidArgumentError (Ring, ByteRing, SlotPool)', () => {
    refuses(() => Ring.attach(Ring.create({ capacity: 8 }).descriptor, null as never), InvalidArgumentError, 'null');
    refuses(() => ByteRing.attach(ByteRing.create({ capacity: 256 }).descriptor, null as never), InvalidArgumentError, 'null');
    refuses(() => SlotPool.attach(SlotPool.create({ slotBytes: 8, slotCount: 1 }).descriptor, null as never), InvalidArgumentError, 'null');
  });

  it("Ring.attach with an unknown expected producer ('bogus') throws InvalidArgumentError instead of matching", () => {
    refuses(() => Ring.attach(Ring.create({ capacity: 8 }).descriptor, { producer: 'bogus' as 'single' }), InvalidArgumentError, 'bogus');
  });

  it('ring.groupSize of an id outside the table throws InvalidArgumentError', () => {
    const ring = Ring.create({ capacity: 8 });
    refuses(() => ring.groupSize(999), InvalidArgumentError, '999');
    refuses(() => ring.groupSize('x' as never), InvalidArgumentError, 'x');
  });

  it('ByteRing.byteLength validates its options like create', () => {
    refuses(() => ByteRing.byteLength({ capacity: 3 }), InvalidArgumentError, 'capacity=3');
    refuses(() => ByteRing.byteLength({ capacity: 256, maxReaders: 0 }), InvalidArgumentError, 'maxReaders=0');
    refuses(() => ByteRing.byteLength(null as never), InvalidArgumentError, 'null');
  });

  it('jsonCodec refuses values JSON cannot carry and bytes that are not JSON with RingkitErrors', () => {
    refuses(() => jsonCodec.encode(1n), RingkitError);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    refuses(() => jsonCodec.encode(loop), RingkitError);
    refuses(() => jsonCodec.decode(new Uint8Array([1, 2, 3])), RingkitError);
  });

  it('reviveError of something that is not a serialized error throws InvalidArgumentError', () => {
    refuses(() => reviveError(null as never), InvalidArgumentError, 'null');
    refuses(() => reviveError({} as never), InvalidArgumentError);
  });

  it('describeLayout of something that is not a region throws InvalidArgumentError', () => {
    refuses(() => describeLayout({} as SharedArrayBuffer), InvalidArgumentError);
    refuses(() => describeLayout(new SharedArrayBuffer(256), -1), InvalidArgumentError, '-1');
  });

  it('claimAsync with a bad timeout is refused even when the ring has room, and claims nothing', async () => {
    const ring = Ring.create({ capacity: 8 });
    const c = ring.addConsumer();
    const p = ring.producer();
    await assert.rejects(p.claimAsync(1, { timeout: -1 }), (e: Error) => e instanceof InvalidArgumentError && e.message.includes('timeout=-1'));
    p.publishValue(7);
    assert.equal(c.tryPoll(), 1, 'only the valid entry is there');
    assert.equal(ring.columns.value[c.batch.index(0)], 7);
  });

  it("ByteBatch.record(i) and copy(i) outside the batch throw InvalidArgumentError instead of an earlier batch's record", () => {
    const ring = ByteRing.create({ capacity: 256 });
    const reader = ring.addReader();
    const p = ring.producer();
    p.write(new Uint8Array([1, 2, 3]));
    p.write(new Uint8Array([4, 5]));
    assert.equal(reader.tryPoll(), 2);
    reader.release();
    p.write(new Uint8Array([7]));
    assert.equal(reader.tryPoll(), 1);
    refuses(() => reader.batch.record(1), InvalidArgumentError, '1');
    refuses(() => reader.batch.copy(1), InvalidArgumentError, '1');
    refuses(() => reader.batch.record(-1), InvalidArgumentError, '-1');
  });
});
