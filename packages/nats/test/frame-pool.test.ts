import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FramePool } from '../src/frame-pool.js';

describe('FramePool (a JetStream sink\'s reused frame buffers)', () => {
  it('hands out a buffer again only after it was given back', () => {
    const pool = new FramePool(1024, 4);
    const a = pool.take(1000);
    const b = pool.take(600);
    assert.equal(a.length, 1000);
    assert.equal(b.length, 600);
    assert.notEqual(a.buffer, b.buffer, 'two frames in flight never share a buffer');
    pool.give(a);
    const c = pool.take(700);
    assert.equal(c.buffer, a.buffer, 'the acknowledged frame\'s buffer is reused');
    assert.equal(c.byteOffset, 0);
    assert.equal(c.length, 700);
    assert.notEqual(pool.take(1024).buffer, b.buffer, 'b is still in flight');
  });

  it('gives small and oversized frames buffers of their own, and ignores foreign buffers', () => {
    const pool = new FramePool(1024, 4);
    const small = pool.take(511);
    assert.equal(small.buffer.byteLength, 511, 'under half a slab: exact size, not pooled');
    const big = pool.take(5000);
    assert.equal(big.buffer.byteLength, 5000);
    pool.give(small);
    pool.give(big);
    pool.give(new Uint8Array(new ArrayBuffer(2048), 1024, 1024)); // a slab-sized view at an offset: not one of ours
    const next = pool.take(1024);
    assert.notEqual(next.buffer, small.buffer);
    assert.notEqual(next.buffer, big.buffer);
  });

  it('keeps at most maxFree buffers', () => {
    const pool = new FramePool(1024, 2);
    const frames = [pool.take(1024), pool.take(1024), pool.take(1024)];
    for (const f of frames) pool.give(f);
    const again = new Set([pool.take(1024).buffer, pool.take(1024).buffer, pool.take(1024).buffer]);
    assert.equal([...again].filter((b) => frames.some((f) => f.buffer === b)).length, 2);
  });
});
