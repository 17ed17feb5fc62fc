/** copyBytes/sliceBytes: exact copies for every alignment and every private/shared combination. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyBytes, sliceBytes } from '../../src/index.js';

function bytes(shared: boolean, length: number): Uint8Array {
  const a = new Uint8Array(shared ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
  for (let i = 0; i < length; i++) a[i] = (i * 131 + 7) & 255;
  return a;
}

test('copyBytes equals set() for any offsets, lengths (across the chunk size) and buffer kinds', () => {
  fc.assert(fc.property(
    fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }),
    fc.integer({ min: 0, max: 200_000 }),
    (srcShared, dstShared, srcOffset, dstOffset, length) => {
      const src = bytes(srcShared, srcOffset + length + 3).subarray(srcOffset, srcOffset + length);
      const dst = new Uint8Array(dstShared ? new SharedArrayBuffer(dstOffset + length + 8) : new ArrayBuffer(dstOffset + length + 8));
      dst.fill(0xee);
      copyBytes(dst, dstOffset, src);
      const want = new Uint8Array(dst.length).fill(0xee);
      want.set(src, dstOffset);
      assert.deepEqual(dst, want);
      assert.deepEqual(sliceBytes(src), src.slice());
    },
  ), { numRuns: 120 });
});

test('copyBytes refuses a copy that does not fit with InvalidArgumentError, writing nothing', () => {
  const dst = new Uint8Array(new SharedArrayBuffer(10_000));
  assert.throws(() => copyBytes(dst, 5, bytes(false, 10_000).subarray(1)), { name: 'InvalidArgumentError', message: /offset=5, src.length=9999, dst.length=10000/ });
  assert.ok(dst.every((b) => b === 0));
});
