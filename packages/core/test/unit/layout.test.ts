import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as L from '../../src/layout.js';

test('each single-writer control word sits alone in its own 128-byte block', () => {
  const hot = [L.CURSOR_OFFSET, L.CLAIM_OFFSET, L.PUBLISH_SIGNAL_OFFSET, L.PUBLISH_WAITERS_OFFSET, L.RELEASE_SIGNAL_OFFSET, L.RELEASE_WAITERS_OFFSET, L.STATE_OFFSET];
  const blocks = new Set(hot.map((o) => Math.floor(o / L.BLOCK_LENGTH)));
  assert.equal(blocks.size, hot.length);
  for (const o of hot) assert.equal(o % L.BLOCK_LENGTH, 0, `offset ${o} is block aligned`);
  assert.equal(L.HEADER_LENGTH, L.BLOCK_LENGTH);
  assert.ok(L.EPOCH_OFFSET % 8 === 0 && L.EPOCH_OFFSET + 8 <= L.HEADER_LENGTH);
});

test('computeLayout aligns every table and column to 128 bytes and gives each consumer and producer a block', () => {
  const l = L.computeLayout({ capacity: 1024, maxConsumers: 4, maxProducers: 3, multiProducer: true, schemaLength: 10, columnBytes: [8192, 1024, 3] });
  for (const o of [l.consumerInfoOffset, l.producersOffset, l.consumerSeqOffset, l.availableOffset, l.dataOffset, ...l.columnOffsets]) {
    assert.equal(o % L.BLOCK_LENGTH, 0);
  }
  assert.equal(l.producersOffset - l.consumerInfoOffset >= 4 * L.CONSUMER_INFO_LENGTH, true);
  assert.equal(l.consumerSeqOffset - l.producersOffset, 3 * L.PRODUCER_ENTRY_LENGTH);
  assert.equal(l.availableOffset - l.consumerSeqOffset, 4 * L.CONSUMER_SEQ_LENGTH);
  assert.equal(l.dataOffset - l.availableOffset, 4096);
  assert.deepEqual(l.columnOffsets.map((o) => o - l.dataOffset), [0, 8192, 9216]);
  assert.equal(l.byteLength, l.dataOffset + 8192 + 1024 + 128);
  assert.equal(L.HEARTBEAT_WORD * 4, 64);
  assert.equal(L.WORK_CLAIM_WORD * 4, 32);
});

test('computeLayout stays exact past 2^31 and 2^32 bytes (no 32-bit arithmetic)', () => {
  const l = L.computeLayout({ capacity: 2 ** 30, maxConsumers: 8, maxProducers: 16, multiProducer: true, schemaLength: 10, columnBytes: [8 * 2 ** 30] });
  assert.equal(l.dataOffset - l.availableOffset, 4 * 2 ** 30);
  assert.equal(l.byteLength, l.dataOffset + 8 * 2 ** 30);
  assert.equal(L.alignTo(2 ** 32 + 1, 128), 2 ** 32 + 128);
});

test('readHeader names the field that differs', () => {
  const buffer = new SharedArrayBuffer(4096);
  assert.throws(() => L.readHeader({ buffer, byteOffset: 0 }, L.KIND.typedRing, () => {}), { name: 'LayoutMismatchError', field: 'magic' });
  L.writeHeader({ buffer, byteOffset: 0 }, { kind: L.KIND.byteRing, capacity: 256, multiProducer: false, maxConsumers: 2, maxProducers: 1, lossy: false, initialSequence: -8, evictAfterMs: 0, startTimeoutMs: 0, byteLength: 2048, schema: '', epochMs: 1 });
  assert.throws(() => L.readHeader({ buffer, byteOffset: 0 }, L.KIND.typedRing, () => {}), {
    name: 'LayoutMismatchError', field: 'kind', message: 'region holds a byte ring, expected a typed ring: kind=2',
  });
  const h = L.readHeader({ buffer, byteOffset: 0 }, L.KIND.byteRing, () => {});
  assert.equal(h.capacity, 256);
  assert.match(L.describeLayout(buffer), /byte ring v2 at byteOffset=0/);
});
