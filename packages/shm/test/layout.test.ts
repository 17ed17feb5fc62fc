// The segment header's layout checks: the process table's size (`maxProcesses`: set at create,
// checked on open, a full table is a ProcessTableFullError, dead entries are reused) and the
// layout version (a segment of an older or unknown layout is a LayoutMismatchError naming the
// field with the found and the expected value, for every structure).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, LayoutMismatchError, SlotPool } from '@ringkit/core';
import {
  DEFAULT_MAX_PROCESSES, inspectSegment, MAX_PROCESSES, Segment, SharedByteRing, SharedRing, SharedRingBuffer, SharedSlotPool,
} from '@ringkit/shm';
import { childStarter, SCHEMA, uniqueName } from './helpers.js';

const child = childStarter(after);

describe('the process table: maxProcesses', () => {
  it('a full table refuses the next process with ProcessTableFullError (segment, limit, what to do); a killed process\'s entry is reused', async () => {
    const name = uniqueName('table');
    const shared = SharedRing.create(name, { capacity: 64, schema: SCHEMA, maxProcesses: 3 });
    const first = child('tryopen', { name });
    const second = child('tryopen', { name });
    await first.event('opened');
    await second.event('opened');
    assert.equal(shared.processes().length, 3);
    const refused = (await child('tryopen', { name }).result()).error as Record<string, unknown>;
    assert.equal(refused.name, 'ProcessTableFullError');
    assert.equal(refused.code, 'ERR_PROCESS_TABLE_FULL');
    assert.equal(refused.capacity, true, 'also a CapacityError');
    assert.equal(refused.segment, name);
    assert.equal(refused.limit, 3);
    assert.match(refused.message as string, new RegExp(`segment ${name}: its process table is full \\(3 live processes attached, maxProcesses=3\\)`));
    assert.match(refused.message as string, /larger maxProcesses \(at most 1024\)/);
    const dead = shared.processes().find((e) => e.pid === first.proc.pid)!;
    await first.kill();
    const third = child('tryopen', { name });
    const { owner } = await third.event('opened');
    const entries = shared.processes();
    assert.equal(entries.length, 3, 'the dead entry was recovered');
    assert.equal(entries.find((e) => e.owner === owner)!.index, dead.index, 'and reused');
    assert.ok(entries.every((e) => e.alive));
    shared.close();
  });

  it('is set at create, checked on open; a slot pool keeps one hold row per entry', () => {
    assert.equal(DEFAULT_MAX_PROCESSES, 64);
    assert.equal(MAX_PROCESSES, 1024);
    const name = uniqueName('maxp');
    const shared = SharedSlotPool.create(name, { slotBytes: 64, slotCount: 4, maxProcesses: 200 });
    assert.equal(shared.pool.holders, 200);
    // 128 + 48 × 200 = 9728 header bytes, rounded up to 12288: then the pool.
    assert.equal(shared.segment.size, 12288 + SlotPool.byteLength({ slotBytes: 64, slotCount: 4, holders: 200 }));
    const again = SharedSlotPool.open(name, { maxProcesses: 200 });
    assert.equal(again.pool.holders, 200);
    again.close();
    assert.throws(() => SharedSlotPool.open(name, { maxProcesses: 64 }), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'maxProcesses' && /200 entries found, expected 64/.test(e.message));
    const small = SharedRing.create(uniqueName('maxp'), { capacity: 64, schema: SCHEMA });
    assert.equal(new Uint32Array(small.segment.buffer, 0, 32)[4], 4096, 'the default table fits the first page: the ring starts at 4096');
    small.close();
    for (const bad of [0, 1025, 1.5, '8']) {
      assert.throws(() => SharedRing.create(uniqueName('maxp'), { capacity: 64, schema: SCHEMA, maxProcesses: bad as number }),
        (e: unknown) => e instanceof InvalidArgumentError && /options.maxProcesses \(entries of the segment's process table\) must be an integer in \[1, 1024\]/.test((e as Error).message));
    }
    shared.close();
  });

  it('a corrupt table size in the header is refused on open, naming the field', () => {
    const name = uniqueName('maxpbad');
    const shared = SharedRing.create(name, { capacity: 64, schema: SCHEMA });
    const u = new Uint32Array(shared.segment.buffer, 0, 32);
    u[14] = 5000;
    assert.throws(() => SharedRing.open(name, { schema: SCHEMA }), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'maxProcesses' && /5000 entries found, expected 1 … 1024/.test(e.message));
    u[14] = 100; // 128 + 48 × 100 does not fit the first page: the data offset disagrees
    assert.throws(() => SharedRing.open(name, { schema: SCHEMA }), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'dataOffset' && /data offset found 4096, expected 8192/.test(e.message));
    u[14] = 64;
    shared.close();
    const pool = SharedSlotPool.create(uniqueName('maxpbad'), { slotBytes: 8, slotCount: 2 });
    new Uint32Array(pool.segment.buffer, 0, 32)[14] = 65; // fits the page, but the pool has 64 hold rows
    assert.throws(() => SharedSlotPool.open(pool.name), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'holders' && /hold rows found 64, expected 65/.test(e.message));
    new Uint32Array(pool.segment.buffer, 0, 32)[14] = 64;
    pool.close();
  });
});

describe('the layout version', () => {
  /** Lays out a segment as @ringkit/shm version `version` did: the header words, then a slot pool without hold rows (before they existed). */
  function craft(version: number): string {
    const name = uniqueName(`v${version}`);
    const segment = Segment.create(name, { size: 4096 + SlotPool.byteLength({ slotBytes: 64, slotCount: 4 }) });
    SlotPool.create({ buffer: segment.buffer, byteOffset: 4096, slotBytes: 64, slotCount: 4 });
    const u = new Uint32Array(segment.buffer, 0, 32);
    u[1] = version;
    u[3] = 3; // slot pool
    u[4] = 4096; // data offset
    u[5] = SlotPool.byteLength({ slotBytes: 64, slotCount: 4 });
    new Float64Array(segment.buffer, 32, 1)[0] = Date.now();
    u[10] = 4;
    u[14] = 64;
    u[0] = 0x4d534b52; // "RKSM"
    Atomics.store(new Int32Array(segment.buffer, 0, 4), 2, 1); // ready
    return name;
  }

  it('a slot pool segment of layout version 1 (before hold rows): LayoutMismatchError naming the version, found and expected', () => {
    const name = craft(1);
    const isOld = (e: unknown): boolean => e instanceof LayoutMismatchError && e.field === 'version' &&
      e.message.includes(`shared-memory segment ${name} has an older layout: version found 1, expected 2`) && e.message.includes(`ringkit shm rm ${name}`);
    assert.throws(() => SharedSlotPool.open(name), isOld);
    assert.throws(() => SharedSlotPool.open(name, { slotBytes: 64, slotCount: 4 }), isOld);
    assert.throws(() => SharedSlotPool.openOrCreate(name, { slotBytes: 64, slotCount: 4 }), isOld, 'openOrCreate neither reuses nor removes it');
    // One check for every structure: any kind opened on it says the same.
    assert.throws(() => SharedRing.open(name, { schema: SCHEMA }), isOld);
    assert.throws(() => SharedByteRing.open(name), isOld);
    assert.throws(() => SharedRingBuffer.open(name), isOld);
    assert.equal(inspectSegment(name)!.stale, false, '`shm clean` leaves a segment it cannot read');
    assert.equal(inspectSegment(name)!.kind, 'slotPool');
  });

  it('an unknown (newer) layout version is refused the same way', () => {
    const name = craft(7);
    assert.throws(() => SharedSlotPool.open(name), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'version' && /has an unknown layout: version found 7, expected 2/.test(e.message));
    assert.throws(() => SharedRing.openOrCreate(name, { capacity: 64, schema: SCHEMA }), (e: unknown) => e instanceof LayoutMismatchError && e.field === 'version');
  });
});
