import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ByteRing } from '@ringkit/core';
import { jsonCodec, msgpackrCodec } from '../src/index.js';

describe('codecs through a byte ring', () => {
  for (const codec of [jsonCodec, msgpackrCodec()]) {
    it(`${codec.name}: values round-trip through records read in place`, () => {
      const ring = ByteRing.create({ capacity: 1 << 16 });
      const reader = ring.addReader();
      const p = ring.producer();
      const values = [{ a: 1, s: 'héllo', list: [1, 2.5, null] }, 'text', 42, [true, false], { nested: { deep: [{ x: -1 }] } }];
      for (const v of values) p.write(codec.encode(v));
      assert.equal(reader.tryPoll(), values.length);
      for (let i = 0; i < values.length; i++) assert.deepEqual(codec.decode(reader.batch.record(i)), values[i]);
    });
  }

  it('msgpackr is more compact than JSON for a typical object', () => {
    const v = { id: 123456, price: 101.25, flags: ['open', 'lit'] };
    assert.ok(msgpackrCodec().encode(v).length < jsonCodec.encode(v).length);
  });
});
