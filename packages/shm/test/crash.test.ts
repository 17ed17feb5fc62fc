// Crash survival with real processes killed by SIGKILL: a consumer mid-batch, a multi producer
// between claim and publish, a single producer (and its replacement), random kills, the creator
// (stale segments), and pid reuse.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Segment, SharedRing, SharedRingBuffer } from '@ringkit/shm';
import { childStarter, SCHEMA, uniqueName } from './helpers.js';

const child = childStarter(after);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Result = { count: number; next: Record<string, number>; errors: string[]; lost: number; gaps: number };

describe('crash survival across processes (SIGKILL)', () => {
  it('a consumer process killed mid-batch: the producer goes on, the survivor receives every entry', async () => {
    const name = uniqueName('killconsumer');
    const shared = SharedRing.create(name, { capacity: 256, schema: SCHEMA });
    const [a, b] = [shared.ring.addConsumer().id, shared.ring.addConsumer().id];
    const total = 100_000;
    const survivor = child('consume', { name, id: a });
    const victim = child('consume', { name, id: b, holdAfter: 3000 });
    const producer = child('produce', { name, id: 0, count: total, batch: 32, close: true });
    await victim.event('holding');
    await sleep(100); // the producer is now blocked by the batch the victim holds
    await victim.kill();
    assert.deepEqual(await producer.result(), { event: 'result', sent: total });
    const r = await survivor.result() as unknown as Result;
    assert.deepEqual(r.errors, []);
    assert.equal(r.count, total);
    assert.deepEqual(r.next, { 0: total });
    assert.equal(shared.processes().filter((p) => !p.alive).length, 0, 'the dead process left the table');
    shared.close();
  });

  it('a stopped (silent) consumer process is evicted after evictAfterMs', async () => {
    const name = uniqueName('evict');
    const shared = SharedRing.create(name, { capacity: 256, schema: SCHEMA, evictAfterMs: 1000 });
    const [a, b] = [shared.ring.addConsumer().id, shared.ring.addConsumer().id];
    const total = 50_000;
    const survivor = child('consume', { name, id: a });
    const silent = child('consume', { name, id: b, holdAfter: 1000 });
    // Both consumers attached before anything is produced: a process slow to start (a loaded
    // machine) must not be what gets evicted.
    await survivor.event('ready');
    await silent.event('ready');
    const producer = child('produce', { name, id: 0, count: total, batch: 16, close: true });
    await silent.event('holding');
    silent.proc.kill('SIGSTOP'); // alive but silent: only its heartbeat tells
    assert.deepEqual(await producer.result(), { event: 'result', sent: total });
    const r = await survivor.result() as unknown as Result;
    assert.deepEqual(r.errors, []);
    assert.equal(r.count, total);
    await silent.kill();
    shared.close();
  });

  it('a multi-producer process killed between claim and publish: consumers skip its claim as lost and go on', async () => {
    const name = uniqueName('killclaim');
    const shared = SharedRing.create(name, { capacity: 1024, schema: SCHEMA, producer: 'multi' });
    const ids = [shared.ring.addConsumer().id, shared.ring.addConsumer().id];
    const consumers = ids.map((id) => child('consume', { name, id }));
    const total = 60_000;
    const victim = child('produce', { name, id: 1, count: 1e9, batch: 50, hangAfter: 5000 });
    const claimed = await victim.event('claimed');
    const good = child('produce', { name, id: 0, count: total, batch: 7 });
    await sleep(200); // consumers are now blocked on the unpublished claim
    await victim.kill();
    assert.deepEqual(await good.result(), { event: 'result', sent: total });
    shared.ring.close();
    for (const c of consumers) {
      const r = await c.result() as unknown as Result;
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.next, { 0: total, 1: claimed.sent });
      assert.equal(r.count, total + (claimed.sent as number));
      assert.equal(r.lost, 50, 'the dead claim is reported lost, never read');
    }
    shared.close();
  });

  it('a single producer process killed at a random point; its replacement goes on after the last published entry', async () => {
    const name = uniqueName('killsingle');
    const shared = SharedRing.create(name, { capacity: 512, schema: SCHEMA });
    const id = shared.ring.addConsumer().id;
    const total = 400_000;
    const consumer = child('consume', { name, id });
    for (let round = 0; round < 3; round++) {
      const p = child('produce', { name, id: 0, count: total, batch: 1 + round * 20, from: 'cursor' });
      await p.event('ready');
      await sleep(20 + Math.floor(Math.random() * 60));
      await p.kill();
    }
    const last = child('produce', { name, id: 0, count: total, batch: 64, from: 'cursor', close: true });
    assert.deepEqual(await last.result(), { event: 'result', sent: total });
    const r = await consumer.result() as unknown as Result;
    assert.deepEqual(r.errors, []);
    assert.equal(r.count, total, 'every entry exactly once, in order, across 4 producer processes');
    assert.equal(r.lost, 0);
    shared.close();
  });

  it('random SIGKILLs of producers and consumers of a multi-producer ring (more processes than cores)', async () => {
    const name = uniqueName('random');
    const shared = SharedRing.create(name, { capacity: 512, schema: SCHEMA, producer: 'multi' });
    const ids = [0, 1, 2].map(() => shared.ring.addConsumer().id);
    const consumers = ids.map((id) => child('consume', { name, id }));
    const total = 80_000;
    const producers = [0, 1, 2, 3].map((id) => child('produce', { name, id, count: total, batch: 1 + id * 17 }));
    await Promise.all(producers.map((p) => p.event('ready')));
    await sleep(30 + Math.floor(Math.random() * 100));
    await producers[1]!.kill();
    await sleep(Math.floor(Math.random() * 50));
    await consumers[2]!.kill();
    await sleep(Math.floor(Math.random() * 50));
    await producers[3]!.kill();
    for (const p of [producers[0]!, producers[2]!]) assert.deepEqual(await p.result(), { event: 'result', sent: total });
    shared.ring.close();
    for (const c of consumers.slice(0, 2)) {
      const r = await c.result() as unknown as Result;
      assert.deepEqual(r.errors, [], 'no entry duplicated, reordered or skipped without being reported');
      assert.equal(r.next[0], total);
      assert.equal(r.next[2], total);
      const killedSeen = (r.next[1] ?? 0) + (r.next[3] ?? 0);
      assert.equal(r.count, 2 * total + killedSeen);
    }
    shared.close();
  });

  it('a RingBuffer writer process killed: reader processes drain what it wrote, then see WriterFinishedError', async () => {
    const name = uniqueName('facadewriter');
    const shared = SharedRingBuffer.create(name, { slotBytes: 32, slotCount: 64 });
    const readers = [0, 1].map(() => shared.buffer.newReader().id);
    const writer = child('facade', { name, writer: true, count: 40, hang: true }); // registers itself (newWriter in its process)
    await writer.event('written');
    const rs = readers.map((id) => child('facade', { name, id }));
    await Promise.all(rs.map((r) => r.event('ready')));
    await writer.kill();
    for (const r of rs) {
      const res = await r.result();
      assert.deepEqual(res.errors, []);
      assert.equal(res.read, 40, 'every item it wrote, then finished');
    }
    assert.equal(shared.buffer.activeWriters, 0);
    shared.close();
  });

  it('the creator killed: openOrCreate recreates a stale segment and reuses a live one', async () => {
    const name = uniqueName('stale');
    const creator = child('idle', { name, create: true });
    await creator.event('ready');
    const before = Segment.open(name);
    const live = SharedRing.openOrCreate(name, { capacity: 64, schema: SCHEMA });
    assert.equal(live.created, false, 'a live segment is reused');
    live.close();
    await creator.kill();
    const again = SharedRing.openOrCreate(name, { capacity: 64, schema: SCHEMA });
    assert.equal(again.created, true, 'a stale segment is recreated');
    assert.notEqual(new Float64Array(again.segment.buffer, 32, 1)[0], 0);
    assert.equal(new Int32Array(before.buffer)[11], creator.proc.pid, 'the old mapping was the dead creator\'s');
    again.close();
    // A creator killed before it finished (header never marked ready, no creator recorded).
    const half = uniqueName('half');
    Segment.create(half, { size: 65536 });
    const fresh = SharedRing.openOrCreate(half, { capacity: 64, schema: SCHEMA, openTimeoutMs: 100 });
    assert.equal(fresh.created, true);
    assert.throws(() => SharedRing.open(uniqueName('none')), /no shared-memory segment/);
    fresh.close();
  });

  it('a reused pid is not mistaken for the old process (start time recorded)', () => {
    const name = uniqueName('pid');
    const shared = SharedRing.create(name, { capacity: 64, schema: SCHEMA });
    // Forge an entry: a live pid (our parent) with another start time, as after pid reuse.
    const w = new Int32Array(shared.segment.buffer, 0, 1024);
    const f = new Float64Array(shared.segment.buffer, 0, 512);
    const e = (128 + 48) >> 2; // entry 1 (entry 0 is this process; entries are 48 bytes)
    w[e + 1] = process.ppid;
    f[(128 + 48 + 8) >> 3] = 1; // started one tick after boot: not our parent
    w[e + 4] = 999;
    w[e + 5] = 1;
    Atomics.store(w, e, 2);
    const entries = shared.processes();
    assert.equal(entries.length, 2);
    assert.equal(entries.find((x) => x.pid === process.ppid)!.alive, false);
    assert.equal(entries.find((x) => x.pid === process.pid)!.alive, true);
    assert.deepEqual(shared.recoverDead(), [999]);
    assert.equal(shared.processes().length, 1);
    shared.close();
  });
});
