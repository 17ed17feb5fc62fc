import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { bytes, Ring, POLL_CLOSED, POLL_EMPTY, type RingOptions } from '../../src/index.js';

function make(o: Partial<RingOptions> = {}): Ring {
  return Ring.create({ capacity: 8, ...o });
}

for (const producer of ['single', 'multi'] as const) {
  describe(`${producer} producer`, () => {
    it('does not publish past the slowest gating consumer', () => {
      const ring = make({ producer });
      const fast = ring.addConsumer();
      const slow = ring.addConsumer();
      const p = ring.producer();
      for (let i = 0; i < 8; i++) assert.equal(p.tryPublishValue(i), true);
      assert.equal(p.tryClaim(1), false);
      assert.equal(fast.tryPoll(), 8);
      fast.release();
      assert.equal(p.tryClaim(1), false, 'the slow consumer still holds every slot');
      assert.equal(slow.tryPoll(3), 3);
      slow.release();
      assert.equal(p.tryClaim(3), true);
      assert.deepEqual([p.lo, p.hi], [8, 10]);
      p.publish(p.hi);
      assert.equal(p.tryClaim(1), false);
    });

    it('publishes a claimed range at once and hands batches out in order', () => {
      const ring = make({ producer, capacity: 16 });
      const c = ring.addConsumer();
      const p = ring.producer();
      const hi = p.claim(5);
      assert.equal(c.tryPoll(), POLL_EMPTY, 'claimed is not published');
      const [a] = ring.slices('value', p.lo, 5);
      a.set([10, 11, 12, 13, 14]);
      p.publish(hi);
      assert.equal(c.tryPoll(2), 2);
      assert.deepEqual([...c.batch.slices('value')[0]], [10, 11]);
      assert.equal(c.tryPoll(), 3);
      assert.deepEqual([c.batch.lo, c.batch.hi], [2, 4]);
      assert.equal(c.tryPoll(), POLL_EMPTY);
    });

    it('close drains everything published, then reports closed', () => {
      const ring = make({ producer, capacity: 16 });
      const c = ring.addConsumer();
      const p = ring.producer();
      for (let i = 0; i < 10; i++) p.publishValue(i);
      if (producer === 'single') p.close(); else ring.close();
      assert.equal(ring.closed, true);
      assert.throws(() => p.tryClaim(1), { name: 'RingClosedError' });
      assert.equal(c.tryPoll(4), 4);
      assert.equal(c.tryPoll(), 6);
      assert.deepEqual([...c.batch.slices('value')[0]], [4, 5, 6, 7, 8, 9]);
      assert.equal(c.tryPoll(), POLL_CLOSED);
      assert.equal(c.poll({ timeout: 10 }), POLL_CLOSED);
    });

    it('gives each work-group entry to exactly one member, and a consumer after the group sees it after them', () => {
      const ring = make({ producer, capacity: 16 });
      const g = ring.addWorkGroup({ members: 2 });
      const after = ring.addConsumer({ after: [g] });
      const [m0, m1] = g.memberIds.map((id) => ring.openConsumer(id));
      const p = ring.producer();
      for (let i = 0; i < 6; i++) p.publishValue(i);
      assert.equal(m0!.tryPoll(4), 4);
      assert.equal(m1!.tryPoll(), 2);
      assert.deepEqual([m0!.batch.lo, m1!.batch.lo], [0, 4]);
      assert.equal(after.tryPoll(), POLL_EMPTY, 'members hold the entries');
      m1!.release();
      assert.equal(after.tryPoll(), POLL_EMPTY, 'm0 still holds 0..3');
      m0!.release();
      assert.equal(after.tryPoll(), 4, 'm0 is idle at 3: the group has released 0..3');
      assert.equal(m0!.tryPoll(), POLL_EMPTY, 'm0 claims the next (unpublished) entry, so it no longer holds 4..5 back');
      assert.equal(after.tryPoll(), 2);
      assert.equal(after.batch.lo, 4);
    });
  });
}

describe('Ring', () => {
  it('validates its options with messages that say what is allowed', () => {
    assert.throws(() => Ring.create({ capacity: 1000 }), { name: 'InvalidArgumentError', message: 'options.capacity must be a power of two in [2, 2^30]: capacity=1000' });
    assert.throws(() => Ring.create({ capacity: 2 ** 31 }), { name: 'InvalidArgumentError' });
    assert.throws(() => Ring.create({ capacity: 8, schema: { x: 'f128' as 'f64' } }), {
      name: 'InvalidArgumentError', message: 'unknown type for schema field "x"; allowed: i8 u8 i16 u16 i32 u32 f32 f64 i64 u64 or bytes(n): type="f128"',
    });
    assert.throws(() => Ring.create({ capacity: 8, maxConsumers: 129 }), { message: 'options.maxConsumers must be an integer in [1, 128]: maxConsumers=129' });
    assert.throws(() => Ring.create({ capacity: 8, producer: 'many' as 'multi' }), { message: `options.producer must be 'single' or 'multi': producer="many"` });
    assert.throws(() => Ring.create({ capacity: 8, waitStrategy: 'yield' as 'phased' }), { name: 'InvalidArgumentError' });
    assert.throws(() => bytes(0), { message: 'bytes(length) must be an integer in [1, 2^24]: length=0' });
    const ring = make();
    const p = ring.producer();
    assert.throws(() => p.tryClaim(9), { message: 'claim size must be an integer in [1, capacity=8]: n=9' });
    assert.throws(() => p.claim(0), { name: 'InvalidArgumentError' });
    assert.throws(() => ring.producer() && Ring.attach(ring.descriptor).producer(), { name: 'InvalidStateError' });
  });

  it('rejects a full consumer table with CapacityError', () => {
    const ring = make({ maxConsumers: 2 });
    ring.addConsumer();
    ring.addConsumer();
    assert.throws(() => ring.addConsumer(), { name: 'CapacityError', message: /maxConsumers=2/ });
  });

  it('attach checks the header and names the field that differs', () => {
    const ring = Ring.create({ capacity: 16, schema: { price: 'f64', qty: 'i32', sym: bytes(8) } });
    const same = Ring.attach(ring.descriptor, { schema: { price: 'f64', qty: 'i32', sym: bytes(8) }, capacity: 16 });
    assert.equal(same.capacity, 16);
    assert.equal(same.columns.sym.length, 128);
    assert.throws(() => Ring.attach(ring.descriptor, { schema: { price: 'f64' } }), { name: 'LayoutMismatchError', field: 'schema' });
    assert.throws(() => Ring.attach(ring.descriptor, { capacity: 32 }), { name: 'LayoutMismatchError', field: 'capacity', message: 'the ring\'s capacity differs: capacity=16, expected 32' });
    assert.throws(() => Ring.attach(ring.descriptor, { producer: 'multi' }), { name: 'LayoutMismatchError', field: 'producer' });
    assert.throws(() => Ring.attach({ buffer: new SharedArrayBuffer(4096), byteOffset: 0 }), { name: 'LayoutMismatchError', field: 'magic' });
    assert.throws(() => Ring.attach({ buffer: new ArrayBuffer(4096) as unknown as SharedArrayBuffer, byteOffset: 0 }), { name: 'InvalidArgumentError' });
  });

  it('places a ring inside a larger buffer and writes typed columns, i64 and bytes fields', () => {
    const opts = { capacity: 4, schema: { id: 'u64', sym: bytes(3), qty: 'i16' } } as const;
    const size = Ring.byteLength(opts);
    const buffer = new SharedArrayBuffer(size + 256);
    const ring = Ring.create({ ...opts, buffer, byteOffset: 256 });
    const c = ring.addConsumer();
    const p = ring.producer();
    p.publishValue({ id: 2n ** 60n, sym: new Uint8Array([65, 66]), qty: -7 });
    assert.throws(() => p.publishValue({ id: 1, sym: new Uint8Array(1), qty: 1 } as never), { message: 'field "id" (u64) takes a bigint: value=1' });
    assert.throws(() => p.publishValue({ id: 1n, sym: new Uint8Array(4), qty: 1 }), { message: /at most 3 bytes/ });
    assert.equal(c.tryPoll(), 1, 'a refused value claims nothing');
    const slot = c.batch.index(0);
    assert.equal(ring.columns.id[slot], 2n ** 60n);
    assert.deepEqual([...c.batch.slices('sym')[0]], [65, 66, 0]);
    assert.equal(ring.columns.qty[slot], -7);
  });

  it('zero-copy batch slices come in two parts when a batch wraps', () => {
    const ring = make({ capacity: 8 });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 6; i++) p.publishValue(i);
    assert.equal(c.tryPoll(), 6);
    c.release();
    for (let i = 6; i < 11; i++) p.publishValue(i);
    assert.equal(c.tryPoll(), 5);
    const [a, b] = c.batch.slices('value');
    assert.deepEqual([...a], [6, 7]);
    assert.deepEqual([...b!], [8, 9, 10]);
  });

  it('a dependent consumer reads the entries its upstream changed in place', () => {
    const ring = Ring.create({ capacity: 8, schema: { v: 'f64', doubled: 'f64' } });
    const a = ring.addConsumer();
    const b = ring.addConsumer({ after: [a] });
    const p = ring.producer();
    p.publishValue({ v: 21, doubled: 0 });
    assert.equal(b.tryPoll(), POLL_EMPTY);
    assert.equal(a.tryPoll(), 1);
    ring.columns.doubled[a.batch.index(0)] = ring.columns.v[a.batch.index(0)]! * 2;
    a.release();
    assert.equal(b.tryPoll(), 1);
    assert.equal(ring.columns.doubled[b.batch.index(0)], 42);
  });
});

describe('blocking calls', () => {
  it('claim and poll time out with TimeoutError, and abort with AbortError carrying the reason', async () => {
    const ring = make({ capacity: 2 });
    const c = ring.addConsumer();
    const p = ring.producer();
    assert.throws(() => c.poll({ timeout: 20 }), { name: 'TimeoutError', message: 'poll timed out: timeout=20ms' });
    p.publishValue(1);
    p.publishValue(2);
    const t0 = Date.now();
    assert.throws(() => p.claim(1, { timeout: 30 }), { name: 'TimeoutError' });
    assert.ok(Date.now() - t0 >= 25);
    assert.throws(() => p.publishValue(3, { timeout: 5 }), { name: 'TimeoutError' });
    const reason = new Error('stop');
    assert.throws(() => p.claim(1, { signal: AbortSignal.abort(reason) }), (e: Error) => e.name === 'AbortError' && e.cause === reason);
    await assert.rejects(p.claimAsync(1, { timeout: 20 }), { name: 'TimeoutError' });
    const ac = new AbortController();
    setTimeout(() => ac.abort('enough'), 20);
    await assert.rejects(p.claimAsync(1, { signal: ac.signal }), (e: Error) => e.name === 'AbortError' && e.cause === 'enough');
    assert.equal(c.tryPoll(), 2);
    c.release();
    await assert.rejects(c.pollAsync({ timeout: 20 }), { name: 'TimeoutError' });
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 10);
    await assert.rejects(c.pollAsync({ signal: ac2.signal }), { name: 'AbortError' });
    assert.throws(() => c.poll({ timeout: -1 }), { name: 'InvalidArgumentError', message: 'poll options.timeout must be a number of milliseconds >= 0: timeout=-1' });
    assert.throws(() => c.poll({ max: 0 }), { name: 'InvalidArgumentError' });
  });

  it('claimAsync resolves once a consumer releases, and the async iterator ends at close', async () => {
    const ring = make({ capacity: 4, waitStrategy: 'async' });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 4; i++) p.publishValue(i);
    const pending = p.claimAsync(2, { timeout: 5000 });
    setTimeout(() => { c.tryPoll(2); c.release(); }, 20);
    const hi = await pending;
    assert.equal(hi, 5);
    ring.columns.value[4 & ring.mask] = 4;
    ring.columns.value[5 & ring.mask] = 5;
    p.publish(hi);
    setTimeout(() => p.close(), 30);
    const seen: number[] = [];
    for await (const batch of c) {
      const [a, b] = batch.slices('value');
      seen.push(...a, ...(b ?? []));
    }
    assert.deepEqual(seen, [2, 3, 4, 5]);
  });

  it('a worker whose only pending work is pollAsync stays alive until data arrives', async () => {
    const ring = make({ capacity: 8 });
    const c = ring.addConsumer();
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.core).then(async ({ Ring }) => {
        const ring = Ring.attach(workerData.descriptor, { waitStrategy: 'async' });
        const c = ring.openConsumer(workerData.id);
        const n = await c.pollAsync();
        parentPort.postMessage(Array.from(c.batch.slices('value')[0]).concat(n));
      });`;
    const w = new Worker(code, { eval: true, workerData: { descriptor: ring.descriptor, id: c.id, core: new URL('../../src/index.js', import.meta.url).href } });
    const got = new Promise((resolve, reject) => { w.once('message', resolve); w.once('exit', (code) => reject(new Error(`worker exited early with code ${code}`))); });
    await new Promise((r) => setTimeout(r, 300));
    ring.producer().publishValue(7);
    assert.deepEqual(await got, [7, 1]);
    await w.terminate();
  });
});

describe('lossy mode', () => {
  it('never gates the producer; a lapped consumer gets LappedError with the exact count', () => {
    const ring = make({ capacity: 8, lossy: true });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 20; i++) assert.equal(p.tryPublishValue(i), true);
    assert.throws(() => c.tryPoll(), (e: Error & { lost?: number }) => e.name === 'LappedError' && e.lost === 12);
    assert.equal(c.tryPoll(), 8);
    assert.deepEqual([...c.batch.slices('value')[0], ...(c.batch.slices('value')[1] ?? [])], [12, 13, 14, 15, 16, 17, 18, 19]);
    assert.equal(c.release(), 0);
  });

  it("with lossyPolicy 'skip' reports lost entries in batch.lost and torn ones from release()", () => {
    const ring = make({ capacity: 8, lossy: true, lossyPolicy: 'skip' });
    const c = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 11; i++) p.publishValue(i);
    assert.equal(c.tryPoll(), 8);
    assert.equal(c.batch.lost, 3);
    assert.equal(c.batch.lo, 3);
    for (let i = 11; i < 14; i++) p.publishValue(i); // overwrites 3, 4, 5 while the batch is held
    assert.equal(c.release(), 3);
    assert.equal(c.tryPoll(), 3);
    assert.equal(c.batch.lost, 0);
  });
});

describe('liveness', () => {
  it('a producer blocked on a silent consumer evicts it; the evicted consumer is told on its next call', () => {
    const ring = make({ capacity: 4, evictAfterMs: 50 });
    const silent = ring.addConsumer();
    const live = ring.addConsumer();
    const p = ring.producer();
    for (let i = 0; i < 4; i++) p.publishValue(i);
    live.tryPoll();
    live.release();
    const t0 = Date.now();
    p.publishValue(4, { timeout: 5000 });
    assert.ok(Date.now() - t0 >= 40, 'waited for the heartbeat deadline');
    assert.throws(() => silent.tryPoll(), { name: 'EvictedError', message: `consumer ${silent.id} was evicted after missing its heartbeat deadline` });
    assert.equal(live.tryPoll(), 1);
  });
});
