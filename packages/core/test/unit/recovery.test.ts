/**
 * Ring.recover / ByteRing.recover: participants of a thread that died are declared dead by their
 * owner tag. A multi producer terminated between claim and publish no longer stalls the
 * consumers: its claim is skipped and counted as lost, never read; a single producer's slot is
 * freed; consumers are evicted or kept for a replacement. Real worker threads, terminated.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { ByteRing, InvalidArgumentError, InvalidStateError, POLL_CLOSED, POLL_EMPTY, Ring, EvictedError } from '../../src/index.js';
import * as L from '../../src/layout.js';
import type { ClaimAndHangTask } from '../fixtures/claim-and-hang.js';

const HANG = new URL('../fixtures/claim-and-hang.js', import.meta.url);

/** Starts a claim-and-hang worker; resolves once it has claimed, with what it claimed. */
async function claimAndHang(task: ClaimAndHangTask): Promise<{ worker: Worker; claimed: { lo?: number; hi?: number; position?: number } }> {
  const worker = new Worker(HANG, { workerData: task });
  const claimed = await new Promise<{ lo?: number; hi?: number; position?: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, claimed };
}

describe('Ring.recover: a multi producer that died between claim and publish', () => {
  it('stalls nobody once recovered: its claim is reported lost, never read, and the ring goes on and closes', async () => {
    const ring = Ring.create({ capacity: 64, producer: 'multi' });
    const c = ring.addConsumer();
    const mine = ring.producer();
    mine.publishValue(1);
    const { worker, claimed } = await claimAndHang({ kind: 'typed', descriptor: ring.descriptor, owner: 7, n: 5 });
    assert.deepEqual(claimed, { lo: 1, hi: 5 });
    for (let v = 2; v <= 4; v++) mine.publishValue(v); // published after the dead claim: sequences 6..8
    await worker.terminate();
    assert.equal(c.poll({ timeout: 200 }), 1);
    assert.equal(ring.columns.value[c.batch.index(0)], 1);
    c.release();
    assert.equal(c.tryPoll(), POLL_EMPTY, 'stuck behind the unpublished claim until it is recovered');
    const report = ring.recover(7);
    assert.deepEqual({ ...report }, { owner: 7, producers: 1, consumers: 0 });
    assert.equal(c.poll({ timeout: 1000 }), 3);
    assert.equal(c.batch.lost, 5, 'the five claimed entries are counted, not delivered');
    assert.deepEqual([0, 1, 2].map((i) => ring.columns.value[c.batch.index(i)]), [2, 3, 4]);
    assert.equal(c.lost, 5);
    c.release();
    // The dead entry is retired once every consumer passed it; the ring laps on normally.
    for (let v = 0; v < 200; v++) {
      mine.publishValue(v);
      assert.equal(c.poll({ timeout: 1000 }), 1);
      assert.equal(ring.columns.value[c.batch.index(0)], v);
    }
    assert.equal(Atomics.load(new Int32Array(ring.descriptor.buffer), L.DEAD_CLAIMS_INDEX), 0, 'the dead claim was retired');
    ring.close();
    c.release();
    assert.equal(c.poll({ timeout: 1000 }), POLL_CLOSED);
  });

  it('skips only the unpublished rest of a partly published claim, and downstream consumers skip it too', async () => {
    const ring = Ring.create({ capacity: 32, producer: 'multi' });
    const a = ring.addConsumer();
    const b = ring.addConsumer({ after: [a] });
    const { worker } = await claimAndHang({ kind: 'typed', descriptor: ring.descriptor, owner: 3, n: 6, publishFirst: 2 });
    const mine = ring.producer();
    mine.publishValue(100);
    await worker.terminate();
    ring.recover(3);
    // a: the two published (-1 written by the worker), then 4 lost, then 100.
    assert.equal(a.poll({ timeout: 1000 }), 2);
    a.release();
    assert.equal(a.poll({ timeout: 1000 }), 1);
    assert.equal(a.batch.lost, 4);
    assert.equal(ring.columns.value[a.batch.index(0)], 100);
    a.release();
    // b runs after a: it must not take the skipped slots for data either.
    let seen = 0;
    let lost = 0;
    const values: number[] = [];
    while (seen < 3) {
      const n = b.poll({ timeout: 1000 });
      lost += b.batch.lost;
      for (let i = 0; i < n; i++) values.push(ring.columns.value[b.batch.index(i)]!);
      seen += n;
      b.release();
    }
    assert.equal(lost, 4);
    assert.deepEqual(values, [-1, -1, 100]);
  });

  it('lossy ring: a live producer a lap behind a dead one waits (tryClaim false, claim times out) until recover releases it', async () => {
    const ring = Ring.create({ capacity: 8, producer: 'multi', lossy: true, lossyPolicy: 'skip' });
    const c = ring.addConsumer();
    const { worker, claimed } = await claimAndHang({ kind: 'typed', descriptor: ring.descriptor, owner: 9, n: 2 });
    await worker.terminate();
    assert.deepEqual(claimed, { lo: 0, hi: 1 });
    const mine = ring.producer();
    // Sequences 2..7 fill the rest of the lap; 8 and 9 would land on the dead claim's slots.
    for (let v = 2; v <= 7; v++) mine.publishValue(v);
    assert.equal(mine.tryClaim(1), false, 'the slot of sequence 0 still holds an unpublished claim');
    assert.throws(() => mine.claim(1, { timeout: 50 }), { name: 'TimeoutError' });
    assert.deepEqual({ ...ring.recover(9) }, { owner: 9, producers: 1, consumers: 0 });
    const hi = mine.claim(1, { timeout: 1000 });
    assert.equal(hi, 8);
    ring.columns.value[hi & ring.mask] = 8;
    mine.publish(hi);
    // The consumer is a lap behind (capacity 8, 9 sequences): it skips, never given the dead -1s.
    const values: number[] = [];
    let lost = 0;
    for (let n = c.tryPoll(); n > 0; n = c.tryPoll()) {
      lost += c.batch.lost;
      for (let i = 0; i < n; i++) values.push(ring.columns.value[c.batch.index(i)]);
      c.release();
    }
    // Sequence 0 was overwritten by 8 and sequence 1 was the dead claim: both lost, the rest intact.
    assert.deepEqual({ values, lost }, { values: [2, 3, 4, 5, 6, 7, 8], lost: 2 });
  });

  it('lossy ring: once every consumer has passed a recovered dead claim, the producers lap over its slots (it is retired as finished)', async () => {
    const ring = Ring.create({ capacity: 8, producer: 'multi', lossy: true, lossyPolicy: 'skip' });
    const c = ring.addConsumer();
    const { worker, claimed } = await claimAndHang({ kind: 'typed', descriptor: ring.descriptor, owner: 5, n: 3 });
    await worker.terminate();
    assert.deepEqual(claimed, { lo: 0, hi: 2 });
    ring.recover(5);
    const mine = ring.producer();
    mine.publishValue(3);
    // The consumer skips the dead claim and releases past it: the dead entry is retired.
    assert.equal(c.poll({ timeout: 1000 }), 1);
    assert.deepEqual([c.batch.lost, ring.columns.value[c.batch.index(0)]], [3, 3]);
    c.release();
    assert.equal(Atomics.load(new Int32Array(ring.descriptor.buffer), L.DEAD_CLAIMS_INDEX), 0, 'retired');
    // Two more laps over the dead claim's slots: nothing waits for a publish that never comes.
    for (let v = 4; v < 20; v++) {
      assert.notEqual(mine.tryClaim(1), false, `sequence ${v - 1} waited for the retired dead claim`);
      ring.columns.value[mine.hi & ring.mask] = v;
      mine.publish(mine.hi);
      assert.equal(c.poll({ timeout: 1000 }), 1);
      assert.deepEqual([c.batch.lost, ring.columns.value[c.batch.index(0)]], [0, v]);
      c.release();
    }
    ring.close();
    assert.equal(c.poll({ timeout: 1000 }), POLL_CLOSED);
  });

  it('a producer that died after its claim became visible but before recording it: the unrecorded run is skipped', () => {
    // The dying moment is emulated in memory: CLAIMING = 1 in a producer entry, the cursor moved,
    // nothing recorded (a real SIGKILL can land there; a terminated worker thread cannot).
    const ring = Ring.create({ capacity: 16, producer: 'multi' });
    const c = ring.addConsumer();
    const ctl = new Int32Array(ring.descriptor.buffer);
    const layout = L.computeLayout({ capacity: 16, maxConsumers: 8, maxProducers: 16, multiProducer: true, schemaLength: L.schemaByteLength('value:f64'), columnBytes: [128] });
    const entry = (layout.producersOffset >> 2) + 5 * (L.PRODUCER_ENTRY_LENGTH >> 2);
    ctl[entry + L.PRODUCER_STATE_WORD] = L.PRODUCER_STATE.active | (1 << 4);
    ctl[entry + L.PRODUCER_OWNER_WORD] = 9;
    ctl[entry + L.PRODUCER_CLAIMING_WORD] = 1;
    Atomics.add(ctl, L.CURSOR_INDEX, 3); // claimed 0..2, never recorded
    const p = ring.producer();
    p.publishValue(42); // sequence 3
    assert.equal(c.tryPoll(), POLL_EMPTY);
    ring.recover(9);
    assert.equal(c.tryPoll(), 1);
    assert.equal(c.batch.lost, 3);
    assert.equal(ring.columns.value[c.batch.index(0)], 42);
  });

  it('refuses bad owners with a typed error', () => {
    const ring = Ring.create({ capacity: 8 });
    for (const bad of [0, NaN, 1.5, '1', 2 ** 31, undefined]) {
      assert.throws(() => ring.recover(bad as number), InvalidArgumentError);
    }
    assert.throws(() => ring.recover(1, { keepConsumers: 'yes' as unknown as boolean }), InvalidArgumentError);
    assert.throws(() => Ring.create({ capacity: 8, owner: -1 }), /options.owner must be an integer in \[1, 2\^31 - 1\]/);
  });
});

describe('Ring.recover: single producer, consumers', () => {
  it('frees a dead single producer\'s slot: close() works from another thread, and a new producer continues after the last published entry', async () => {
    const ring = Ring.create({ capacity: 16 });
    const c = ring.addConsumer();
    const w = await claimAndHang({ kind: 'typed', descriptor: ring.descriptor, owner: 4, n: 3, publishFirst: 1 });
    await w.worker.terminate();
    assert.throws(() => ring.close(), InvalidStateError);
    assert.throws(() => ring.producer(), InvalidStateError);
    assert.equal(ring.recover(4).producers, 1);
    const p = ring.producer();
    p.publishValue(7);
    assert.equal(c.poll({ timeout: 1000 }), 2);
    assert.deepEqual([ring.columns.value[c.batch.index(0)], ring.columns.value[c.batch.index(1)]], [-1, 7]);
    assert.equal(c.batch.lost, 0, 'a single producer never exposed its unpublished claim');
    p.close();
    assert.equal(c.poll({ timeout: 1000 }), POLL_CLOSED);
  });

  it('evicts the dead owner\'s consumers (the producer is no longer gated), or keeps them for a replacement to reopen', () => {
    const ring = Ring.create({ capacity: 4 });
    const theirs = Ring.attach(ring.descriptor, { owner: 11 });
    const dead = ring.addConsumer();
    theirs.openConsumer(dead.id); // opened in the thread that then dies: owner 11
    const p = ring.producer();
    for (let i = 0; i < 4; i++) p.publishValue(i);
    assert.equal(p.tryClaim(1), false);
    assert.equal(ring.recover(11).consumers, 1);
    assert.equal(p.tryClaim(1), true);
    p.publish(p.hi);
    assert.throws(() => dead.tryPoll(), EvictedError);

    const ring2 = Ring.create({ capacity: 4 });
    const kept = ring2.addConsumer();
    Ring.attach(ring2.descriptor, { owner: 12 }).openConsumer(kept.id);
    const p2 = ring2.producer();
    for (let i = 0; i < 4; i++) p2.publishValue(i);
    const first = Ring.attach(ring2.descriptor).openConsumer(kept.id);
    assert.equal(first.tryPoll(2), 2);
    first.release();
    assert.equal(ring2.recover(12, { keepConsumers: true }).consumers, 0);
    const replacement = Ring.attach(ring2.descriptor, { owner: 13 }).openConsumer(kept.id);
    assert.equal(replacement.tryPoll(), 2, 'resumes after what was released');
    assert.deepEqual([ring2.columns.value[replacement.batch.index(0)], ring2.columns.value[replacement.batch.index(1)]], [2, 3]);
  });

  it('a work-group member reopened after its thread died resumes the work it had claimed (at-least-once)', () => {
    const ring = Ring.create({ capacity: 16, producer: 'multi' });
    const g = ring.addWorkGroup({ members: 2 });
    const p = ring.producer();
    for (let i = 0; i < 6; i++) p.publishValue(i);
    const dying = Ring.attach(ring.descriptor, { owner: 21 }).openConsumer(g.memberIds[0]!);
    assert.equal(dying.tryPoll(4), 4); // claims 0..3, releases nothing
    ring.recover(21, { keepConsumers: true });
    const again = Ring.attach(ring.descriptor, { owner: 22 }).openConsumer(g.memberIds[0]!);
    assert.equal(again.tryPoll(), 4);
    assert.deepEqual([0, 1, 2, 3].map((i) => ring.columns.value[again.batch.index(i)]), [0, 1, 2, 3]);
    again.release();
    const other = ring.openConsumer(g.memberIds[1]!);
    assert.equal(other.tryPoll(), 2);
    assert.deepEqual([ring.columns.value[other.batch.index(0)], ring.columns.value[other.batch.index(1)]], [4, 5]);
  });
});

describe('ByteRing.recover', () => {
  it('a multi producer terminated between claim and commit: readers skip its record, count its bytes, and read on', async () => {
    const ring = ByteRing.create({ capacity: 4096, producer: 'multi' });
    const r = ring.addReader();
    const mine = ring.producer();
    mine.write(Uint8Array.of(1, 2, 3));
    const { worker, claimed } = await claimAndHang({ kind: 'bytes', descriptor: ring.descriptor, owner: 5, n: 100 });
    mine.write(Uint8Array.of(9));
    await worker.terminate();
    assert.deepEqual([...r.read({ timeout: 1000 })!], [1, 2, 3]);
    assert.equal(r.tryRead(), undefined, 'stuck at the uncommitted record');
    ring.recover(5);
    const n = r.poll({ timeout: 1000 });
    assert.equal(n, 1);
    assert.equal(r.batch.lost, 8 + 104, 'the frame header and the 8-aligned payload');
    assert.deepEqual([...r.batch.record(0)], [9]);
    assert.equal(claimed.position, 16);
    r.release();
    for (let i = 0; i < 300; i++) { // several laps: the dead entry is retired, the space reused
      mine.write(Uint8Array.of(i & 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
      assert.equal(r.read({ timeout: 1000 })![0], i & 255);
    }
  });

  it('a producer that died while zeroing the space ahead: recover finishes it and the other producers go on', () => {
    const ring = ByteRing.create({ capacity: 1024, producer: 'multi' });
    const r = ring.addReader();
    const dead = ByteRing.attach(ring.descriptor, { owner: 6 }).producer();
    const ctl = new Int32Array(ring.descriptor.buffer);
    // Emulate: `dead` won the zeroing of [LIMIT, LIMIT + 256) and died before moving the limit.
    const CLEANING = L.CLAIM_INDEX, CLEANER = L.CLAIM_INDEX + 8, LIMIT = L.CLAIM_INDEX + 16;
    const limit = Atomics.load(ctl, LIMIT);
    Atomics.store(ctl, CLEANING, limit + 256);
    Atomics.store(ctl, CLEANER, dead.entry + 1);
    const mine = ring.producer();
    let written = 0;
    while (mine.tryWrite(new Uint8Array(40))) written++;
    r.poll({ timeout: 100 });
    while (r.tryPoll() > 0) r.release();
    assert.equal(mine.tryWrite(new Uint8Array(40)), false, 'stuck at the limit the dead producer was moving');
    ring.recover(6);
    assert.equal(Atomics.load(ctl, LIMIT), limit + 256);
    assert.equal(Atomics.load(ctl, CLEANER), 0);
    assert.equal(mine.tryWrite(new Uint8Array(40)), true);
    assert.ok(written > 0);
  });
});
