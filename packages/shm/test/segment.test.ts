// Segments: create / open / openOrCreate / unlink as real SharedArrayBuffers shared between
// processes, names, modes, and every failure as a typed error naming the segment and the size.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { LayoutMismatchError, InvalidArgumentError } from '@ringkit/core';
import {
  checkSegmentName, InvalidSegmentNameError, Segment, SegmentExistsError, SegmentNoSpaceError, SegmentNotFoundError,
  SegmentPermissionError, SegmentSizeMismatchError, SharedByteRing, SharedRing, SharedSlotPool, shmSpace, SharedRingBuffer,
} from '@ringkit/shm';
import { cleanup, uniqueName } from './helpers.js';

after(cleanup);

describe('Segment', () => {
  it('creates a real SharedArrayBuffer, zero-filled, mode 0600, that another process sees', () => {
    const name = uniqueName('seg');
    const seg = Segment.create(name, { size: 8192 });
    assert.ok(seg.buffer instanceof SharedArrayBuffer);
    assert.equal(seg.size, 8192);
    assert.equal(seg.created, true);
    const words = new Int32Array(seg.buffer);
    assert.ok(words.every((w) => w === 0));
    assert.equal(statSync(`/dev/shm${name}`).mode & 0o777, 0o600);
    Atomics.store(words, 7, 1234);
    const code = `import('@ringkit/shm').then(({ Segment }) => { const s = Segment.open(${JSON.stringify(name)}); const w = new Int32Array(s.buffer); process.stdout.write(String(Atomics.load(w, 7))); Atomics.store(w, 8, 4321); })`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', cwd: new URL('.', import.meta.url).pathname });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1234');
    assert.equal(Atomics.load(words, 8), 4321);
    Segment.unlink(name);
    assert.equal(Segment.exists(name), false);
  });

  it('honours options.mode', () => {
    const name = uniqueName('mode');
    Segment.create(name, { size: 4096, mode: 0o640 });
    assert.equal(statSync(`/dev/shm${name}`).mode & 0o777, 0o640);
  });

  it('open / openOrCreate / size mismatch', () => {
    const name = uniqueName('open');
    const a = Segment.openOrCreate(name, { size: 4096 });
    assert.equal(a.created, true);
    const b = Segment.openOrCreate(name, { size: 4096 });
    assert.equal(b.created, false);
    new Uint8Array(a.buffer)[100] = 9;
    assert.equal(new Uint8Array(b.buffer)[100], 9);
    assert.equal(Segment.open(name).size, 4096);
    assert.throws(() => Segment.open(name, { size: 8192 }), (e: unknown) => {
      assert.ok(e instanceof SegmentSizeMismatchError);
      assert.equal(e.segment, name);
      assert.equal(e.size, 8192);
      assert.equal(e.actual, 4096);
      assert.match(e.message, /is 4 KiB \(4096 bytes\), not the 8 KiB \(8192 bytes\) expected/);
      return true;
    });
    assert.throws(() => Segment.openOrCreate(name, { size: 8192 }), SegmentSizeMismatchError);
  });

  it('exists, not found', () => {
    const name = uniqueName('exists');
    Segment.create(name, { size: 4096 });
    assert.throws(() => Segment.create(name, { size: 4096 }), (e: unknown) => {
      assert.ok(e instanceof SegmentExistsError);
      assert.equal(e.code, 'ERR_SEGMENT_EXISTS');
      assert.equal(e.segment, name);
      assert.match(e.message, new RegExp(`segment ${name} exists already: open it with open\\(\\), or use openOrCreate\\(\\)`));
      return true;
    });
    const missing = uniqueName('missing');
    assert.throws(() => Segment.open(missing), (e: unknown) => e instanceof SegmentNotFoundError && e.segment === missing && /no shared-memory segment/.test(e.message));
    assert.throws(() => Segment.unlink(missing), SegmentNotFoundError);
    assert.throws(() => SharedRing.open(missing), SegmentNotFoundError);
  });

  it('no space: says how big /dev/shm is', () => {
    const space = shmSpace();
    assert.ok(space !== undefined && space.total > 0);
    const name = uniqueName('nospace');
    const size = space.total + 2 ** 30;
    assert.throws(() => Segment.create(name, { size }), (e: unknown) => {
      assert.ok(e instanceof SegmentNoSpaceError, String(e));
      assert.equal(e.segment, name);
      assert.equal(e.size, size);
      assert.equal(e.total, space.total);
      assert.match(e.message, /no space for shared-memory segment .* in \/dev\/shm \(size [\d.]+ [KMGT]iB, [\d.]+ [KMGT]?i?B? ?free\)/);
      return true;
    });
    assert.equal(Segment.exists(name), false, 'a failed create leaves no name behind');
  });

  it('permission denied: another user opening a 0600 segment', () => {
    const name = uniqueName('perm');
    Segment.create(name, { size: 4096 });
    const code = `import('@ringkit/shm').then(({ Segment, SegmentPermissionError }) => { try { Segment.open(${JSON.stringify(name)}); process.stdout.write('opened'); } catch (e) { process.stdout.write(e instanceof SegmentPermissionError ? 'EPERM ' + e.message : 'other ' + e); } })`;
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8', cwd: new URL('.', import.meta.url).pathname, ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    assert.equal(r.status, 0, r.stderr);
    if (asRoot) {
      assert.match(r.stdout, /^EPERM permission denied to open shared-memory segment/);
    } else {
      assert.equal(r.stdout, 'opened'); // the same user may
    }
    // The addon maps every errno it can meet; check the class directly as well.
    assert.equal(new SegmentPermissionError(name, 1, 'x').code, 'ERR_SEGMENT_PERMISSION');
  });

  it('validates names as POSIX allows', () => {
    assert.equal(checkSegmentName('ticks'), '/ticks');
    assert.equal(checkSegmentName('/ticks.v2_a-b'), '/ticks.v2_a-b');
    assert.equal(checkSegmentName(`/${'a'.repeat(255)}`), `/${'a'.repeat(255)}`);
    for (const bad of ['', '/', '/a/b', 'ring_ab/c==', '/a\0b', `/${'a'.repeat(256)}`, '/.', '..', 42, null, undefined]) {
      assert.throws(() => checkSegmentName(bad), (e: unknown) => e instanceof InvalidSegmentNameError && e instanceof InvalidArgumentError && e.code === 'ERR_INVALID_SEGMENT_NAME', String(bad));
    }
    assert.throws(() => Segment.create('/a/b', { size: 10 }), /has a '\/' after the leading one \(base64 names do: use hex or base64url\)/);
  });

  it('refuses bad sizes and modes', () => {
    const name = uniqueName('bad');
    for (const size of [0, -1, 1.5, NaN, 2 ** 41, '4096', undefined]) {
      assert.throws(() => Segment.create(name, { size: size as number }), /options.size must be an integer number of bytes in \[1, 2\^40\]/);
    }
    for (const mode of [-1, 0o1000, 1.5, '600']) {
      assert.throws(() => Segment.create(name, { size: 4096, mode: mode as number }), /options.mode must be permission bits/);
    }
    assert.throws(() => Segment.open(name, { size: 0 }), InvalidArgumentError);
    assert.equal(Segment.exists(name), false);
  });

  it('structures check the kind and the expected layout on open', () => {
    const name = uniqueName('kind');
    const r = SharedRing.create(name, { capacity: 64, schema: { a: 'u32' } });
    assert.throws(() => SharedByteRing.open(name), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'kind' && /holds a ring, not a byteRing/.test(e.message));
    assert.throws(() => SharedSlotPool.open(name), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'kind');
    assert.throws(() => SharedRingBuffer.open(name), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'kind');
    assert.throws(() => SharedRing.open(name, { schema: { a: 'f64' } }), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'schema');
    assert.throws(() => SharedRing.open(name, { capacity: 128 }), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'capacity');
    assert.throws(() => SharedRing.open(name, { producer: 'multi' }), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'producer');
    assert.throws(() => SharedRing.openOrCreate(name, { capacity: 64, schema: { a: 'f64' } }), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'schema');
    const o = SharedRing.open(name, { schema: { a: 'u32' }, capacity: 64 });
    assert.equal(o.ring.capacity, 64);
    // A segment that is not ringkit's.
    const foreign = uniqueName('foreign');
    new Uint8Array(Segment.create(foreign, { size: 8192 }).buffer).fill(7);
    assert.throws(() => SharedRing.open(foreign), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'magic');
    // A corrupted ring header (core validates every word and a checksum).
    const seg = Segment.open(name);
    const words = new Uint32Array(seg.buffer, 4096, 32);
    words[3] = (words[3]! ^ 0xff) >>> 0;
    assert.throws(() => SharedRing.open(name), LayoutMismatchError);
    o.close();
    r.close();
  });

  it('bad options of the structures are refused before anything is created', () => {
    const name = uniqueName('opts');
    assert.throws(() => SharedRing.create(name, { capacity: 3 }), /options.capacity must be a power of two/);
    assert.throws(() => SharedRing.create(name, { capacity: 4, deadConsumers: 'maybe' as 'keep' }), /options.deadConsumers must be 'evict' or 'keep'/);
    assert.throws(() => SharedSlotPool.create(name, { slotBytes: 0, slotCount: 1 }), InvalidArgumentError);
    assert.equal(Segment.exists(name), false);
  });
});
