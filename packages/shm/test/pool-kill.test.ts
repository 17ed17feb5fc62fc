// The slot pool's recovery is exact at every kill point, across processes: a job parked at each
// step of each kind of slot change (or of its own recovery of another) is killed with SIGKILL;
// then a random SIGKILL test of churning jobs, every payload checked.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SLOT_POOL_STEP, type SlotHandle, type SlotPool, type SlotPoolOperation } from '@ringkit/core';
import { Segment, SharedSlotPool } from '@ringkit/shm';
import { childStarter, uniqueName, type Child } from './helpers.js';
import { BOXES, type PoolOp } from './pool-roles.js';

const child = childStarter(after);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A reference the survivor (this process) holds: its acquires of the handle and whether it has the producer's reference. */
interface Held { handle: SlotHandle; acquires: number; producer: boolean }

interface Scenario {
  name: string;
  operation: SlotPoolOperation;
  /**
   * Sets up the survivor's side; returns the victim's script (`prep`, then `final`, where it is
   * killed) and what the survivor holds after the victim's recovery: `held` if the killed change
   * was rolled back, `done` (default: the same) if it was made in full (killed after `cleared`).
   */
  setup(a: SlotPool): { prep: PoolOp[]; final: PoolOp; held: Held[]; done?: Held[] };
}

function produce(pool: SlotPool, byte: number): SlotHandle {
  const s = pool.allocate(1);
  s.view[0] = byte;
  return pool.markReady(s, 1);
}

const SCENARIOS: Scenario[] = [
  { name: 'allocate', operation: 'allocate', setup: () => ({ prep: [], final: { op: 'allocate' }, held: [] }) },
  { name: 'markReady', operation: 'markReady', setup: () => ({ prep: [{ op: 'allocate' }], final: { op: 'markReady', w: 0 }, held: [] }) },
  { name: 'acquire', operation: 'acquire', setup: (a) => {
    const h = produce(a, 1);
    a.acquire(h);
    return { prep: [], final: { op: 'acquire', h }, held: [{ handle: h, acquires: 1, producer: true }] };
  } },
  { name: 'view (hand-over)', operation: 'view', setup: (a) => {
    const h = produce(a, 1);
    const other = produce(a, 2);
    return { prep: [], final: { op: 'view', h }, held: [{ handle: h, acquires: 0, producer: true }, { handle: other, acquires: 0, producer: true }], done: [{ handle: other, acquires: 0, producer: true }] };
  } },
  { name: 'release of its producer reference', operation: 'release', setup: () => ({ prep: [{ op: 'allocate' }, { op: 'markReady', w: 0 }], final: { op: 'release', h: 0 }, held: [] }) },
  { name: 'release of its acquire', operation: 'release', setup: (a) => {
    const h = produce(a, 1);
    a.acquire(h);
    return { prep: [{ op: 'acquire', h }], final: { op: 'release', h }, held: [{ handle: h, acquires: 1, producer: true }] };
  } },
  { name: 'release of the reference handed to it', operation: 'release', setup: (a) => {
    const h = produce(a, 1);
    const other = produce(a, 2);
    return { prep: [{ op: 'view', h }], final: { op: 'release', h }, held: [{ handle: other, acquires: 0, producer: true }] };
  } },
  { name: 'release aborting its write', operation: 'release', setup: () => ({ prep: [{ op: 'allocate' }], final: { op: 'release', w: 0 }, held: [] }) },
  { name: 'release on the survivor\'s behalf', operation: 'release', setup: (a) => {
    const h = produce(a, 1);
    const kept = produce(a, 2);
    return { prep: [{ op: 'acquire', h: kept }], final: { op: 'release', h }, held: [{ handle: h, acquires: 0, producer: true }, { handle: kept, acquires: 0, producer: true }], done: [{ handle: kept, acquires: 0, producer: true }] };
  } },
];

/** The survivor's references are intact (nothing freed under it); released one by one, every slot comes free (nothing leaked). */
function checkAndDrain(pool: SlotPool, held: Held[], what: string): void {
  const slots = pool.slotCount;
  const live = new Set(held.map((x) => x.handle.slot));
  for (const x of held) assert.equal(pool.readers(x.handle), x.acquires, `${what}: the survivor's acquires of slot ${x.handle.slot}`);
  assert.equal(pool.occupancy().free, slots - live.size, `${what}: exactly the survivor's slots are in use`);
  for (const x of held) {
    for (let k = 0; k < x.acquires + (x.producer ? 1 : 0); k++) {
      assert.equal(pool.occupancy().free, slots - live.size, `${what}: slot ${x.handle.slot} still in use while referenced`);
      pool.release(x.handle);
    }
    live.delete(x.handle.slot);
  }
  assert.deepEqual(pool.occupancy(), { free: slots, writing: 0, ready: 0 }, `${what}: every slot free`);
}

const STEPS = Object.entries(SLOT_POOL_STEP);

/**
 * Starts the victim of a scenario parked at `step`; resolves once it is parked, with what the
 * survivor must hold. `more`: the victim also holds a slot it writes and one it marked ready
 * (so its recovery has slots to free at every step).
 */
async function parkedVictim(sc: Scenario, step: number, more = false): Promise<{ shared: SharedSlotPool; victim: Child; held: Held[]; done: Held[] }> {
  const name = uniqueName('poolstep');
  const shared = SharedSlotPool.create(name, { slotBytes: 16, slotCount: 8 });
  const { prep, final, held, done } = sc.setup(shared.pool);
  const w = prep.filter((o) => o.op === 'allocate').length;
  if (more) prep.push({ op: 'allocate' }, { op: 'allocate' }, { op: 'markReady', w: w + 1 });
  const victim = child('poolstep', { name, prep, final, kill: { operation: sc.operation, step } });
  await victim.event('parked');
  return { shared, victim, held, done: done ?? held };
}

describe('slot pool across processes: a job killed at each step of a slot change is recovered exactly', () => {
  for (const sc of SCENARIOS) {
    it(`${sc.name}: SIGKILL while parked after each step`, async () => {
      await Promise.all(STEPS.map(async ([stepName, step]) => {
        const { shared, victim, held, done } = await parkedVictim(sc, step);
        await victim.kill();
        assert.equal(shared.recoverDead().length, 1, 'the victim is recovered');
        checkAndDrain(shared.pool, step === SLOT_POOL_STEP.cleared ? done : held, `${sc.name}, killed after '${stepName}'`);
        assert.equal(shared.processes().length, 1);
        shared.close();
      }));
    });
  }

  it('a process killed at each step of its recovery of a dead job: the next recovery finishes both exactly', async () => {
    for (const sc of SCENARIOS) {
      await Promise.all(STEPS.map(async ([stepName, step]) => {
        const { shared, victim, held } = await parkedVictim(sc, SLOT_POOL_STEP.state, true);
        await victim.kill();
        const recoverer = child('poolrecoverstep', { name: shared.name, step });
        await recoverer.event('parked');
        await recoverer.kill();
        const deadline = Date.now() + 10_000;
        while (shared.processes().length > 1) {
          assert.ok(Date.now() < deadline, 'both dead processes are recovered');
          shared.recoverDead();
          await sleep(10);
        }
        checkAndDrain(shared.pool, held, `${sc.name}: its recoverer killed after '${stepName}'`);
        shared.close();
      }));
    }
  });
});

describe('slot pool across processes: random SIGKILLs of churning jobs', () => {
  it('no slot leaks, no slot is freed or reused while a job holds it (every payload checked when acquired and again at release)', async () => {
    const name = uniqueName('churn');
    const box = uniqueName('churnbox');
    const shared = SharedSlotPool.create(name, { slotBytes: 256, slotCount: 16 });
    const boxSegment = Segment.create(box, { size: 4096 });
    const stop = new Int32Array(boxSegment.buffer, 0, 1 + BOXES);
    const jobs: Child[] = [];
    let seed = 1;
    const start = (): Child => {
      const c = child('poolchurn', { name, box, seed: seed++ * 7919, widen: seed % 3 !== 0 });
      jobs.push(c);
      return c;
    };
    const running: Child[] = Array.from({ length: 5 }, start); // more processes than cores
    await Promise.all(running.map((c) => c.event('ready')));
    let kills = 0;
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      await sleep(100 + Math.floor(Math.random() * 200));
      // Kill a job that is working (not one still starting up).
      const working = running.map((c, i) => [c, i] as const).filter(([c]) => c.events.some((e) => e.event === 'ready'));
      if (working.length === 0) continue;
      const i = working[Math.floor(Math.random() * working.length)]![1];
      await running[i]!.kill();
      kills++;
      running[i] = start();
    }
    Atomics.store(stop, 0, 1);
    const results = await Promise.all(running.map((c) => c.result()));
    await sleep(10);
    const deadline = Date.now() + 10_000;
    while (shared.processes().length > 1) {
      assert.ok(Date.now() < deadline, 'every killed job is recovered');
      shared.recoverDead();
      await sleep(10);
    }
    const bad = jobs.flatMap((c) => c.events.filter((e) => e.event === 'bad'));
    assert.deepEqual(bad, [], 'every payload whole and unchanged while held');
    assert.deepEqual(shared.pool.occupancy(), { free: 16, writing: 0, ready: 0 }, 'no slot leaked');
    const total = (k: string): number => results.reduce((n, r) => n + (r[k] as number), 0);
    assert.ok(kills >= 10, `kills: ${kills}`);
    assert.ok(total('written') > 0 && total('reads') > 0, `the surviving jobs wrote and read: ${JSON.stringify(results)}`);
    // The pool still works at full size.
    const all = Array.from({ length: 16 }, () => shared.pool.allocate(1, { timeout: 5000 }));
    for (const s of all) shared.pool.release(s);
    shared.close();
  });
});
