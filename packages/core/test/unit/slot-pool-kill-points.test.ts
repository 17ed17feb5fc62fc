/**
 * SlotPool.recover(owner) is exact at every kill point: a participant is stopped after each step
 * of each recorded slot change (the step hook throws there, leaving the change half-done exactly
 * as a kill does: no later instruction of the call runs), then its owner is recovered, and every
 * reference of the survivor must still be there (nothing freed while it holds it) and, once the
 * survivor releases them, every slot must be free (nothing leaked). Then the same with a real
 * worker thread parked inside the change and terminated there.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { setSlotPoolStepHook, SLOT_POOL_STEP, SlotPool, type SlotHandle, type SlotPoolOperation, type WritableSlot } from '../../src/index.js';

const SURVIVOR = 1;
const VICTIM = 2;
const RECOVERER = 3;

class Killed extends Error {}

/** Arms the hook: the next time `operation` reaches `step`, it "dies" there. */
function killAt(operation: SlotPoolOperation, step: number): void {
  setSlotPoolStepHook((op, s) => {
    if (op === operation && s === step) {
      setSlotPoolStepHook(undefined);
      throw new Killed(`killed in ${op} at step ${s}`);
    }
  });
}

/** What the survivor holds, to check after the victim's recovery: per handle, its own acquires and whether it has the producer's reference. */
interface Held { handle: SlotHandle; acquires: number; producer: boolean }

interface Scenario {
  name: string;
  /** The killed operation. */
  operation: SlotPoolOperation;
  /**
   * Sets up what survivor and victim hold; returns the victim's killed call and what the survivor
   * holds afterwards: `held` if the killed change is rolled back (killed before its journal was
   * cleared), `done` (default: the same) if it had been made in full.
   */
  run(a: SlotPool, v: SlotPool): { call: () => void; held: Held[]; done?: Held[] };
}

function produce(pool: SlotPool, byte: number): SlotHandle {
  const s = pool.allocate(1);
  s.view[0] = byte;
  return pool.markReady(s, 1);
}

/** The scenarios: every operation that changes a slot, in each way it can change it. */
export const SCENARIOS: Scenario[] = [
  { name: 'allocate', operation: 'allocate', run: (_a, v) => ({ call: () => void v.allocate(1), held: [] }) },
  { name: 'allocate (overwrite)', operation: 'allocate', run: (a, v) => {
    // Fill the pool with the survivor's READY slots it released (nobody holds them): the victim overwrites one.
    for (let i = 0; i < 4; i++) a.release(produce(a, i));
    const h = produce(a, 9); // READY, held: never overwritten
    return { call: () => void v.allocate(1), held: [{ handle: h, acquires: 0, producer: true }] };
  } },
  { name: 'markReady', operation: 'markReady', run: (_a, v) => {
    const s = v.allocate(1);
    return { call: () => void v.markReady(s, 1), held: [] };
  } },
  { name: 'acquire', operation: 'acquire', run: (a, v) => {
    const h = produce(a, 1);
    a.acquire(h);
    return { call: () => void v.acquire(h), held: [{ handle: h, acquires: 1, producer: true }] };
  } },
  { name: 'acquire (the victim\'s second)', operation: 'acquire', run: (a, v) => {
    const h = produce(a, 1);
    v.acquire(h);
    return { call: () => void v.acquire(h), held: [{ handle: h, acquires: 0, producer: true }] };
  } },
  { name: 'view (hand-over)', operation: 'view', run: (a, v) => {
    const h = produce(a, 1);
    const other = produce(a, 2);
    a.acquire(other);
    // Rolled back, the survivor still has the producer's reference it was handing over.
    return { call: () => void v.view(h), held: [{ handle: h, acquires: 0, producer: true }, { handle: other, acquires: 1, producer: true }], done: [{ handle: other, acquires: 1, producer: true }] };
  } },
  { name: 'release of its producer reference (slot freed)', operation: 'release', run: (_a, v) => {
    const h = produce(v, 1);
    return { call: () => v.release(h), held: [] };
  } },
  { name: 'release of its producer reference (a reader stays)', operation: 'release', run: (a, v) => {
    const h = produce(v, 1);
    a.acquire(h);
    return { call: () => v.release(h), held: [{ handle: h, acquires: 1, producer: false }] };
  } },
  { name: 'release of its acquire', operation: 'release', run: (a, v) => {
    const h = produce(a, 1);
    v.acquire(h);
    a.acquire(h);
    return { call: () => v.release(h), held: [{ handle: h, acquires: 1, producer: true }] };
  } },
  { name: 'release of the reference handed to it', operation: 'release', run: (a, v) => {
    const h = produce(a, 1);
    v.view(h);
    const other = produce(a, 2);
    return { call: () => v.release(h), held: [{ handle: other, acquires: 0, producer: true }] };
  } },
  { name: 'release aborting its write', operation: 'release', run: (_a, v) => {
    const s: WritableSlot = v.allocate(1);
    return { call: () => v.release(s), held: [] };
  } },
  { name: 'release on the survivor\'s behalf (its producer reference)', operation: 'release', run: (a, v) => {
    const h = produce(a, 1);
    const kept = produce(a, 2);
    v.acquire(kept);
    // The victim releases h without holding it: the producer's reference, held by the survivor.
    return { call: () => v.release(h), held: [{ handle: h, acquires: 0, producer: true }, { handle: kept, acquires: 0, producer: true }], done: [{ handle: kept, acquires: 0, producer: true }] };
  } },
];

/** Checks the survivor's references are intact, releases them one by one, and checks nothing is left. */
function checkAndDrain(pool: SlotPool, held: Held[], what: string): void {
  const slots = pool.slotCount;
  for (const x of held) {
    assert.equal(pool.readers(x.handle), x.acquires, `${what}: the survivor's acquires of slot ${x.handle.slot} are all there`);
    assert.doesNotThrow(() => pool.view(x.handle), `${what}: the survivor's slot ${x.handle.slot} is still READY in its use`);
  }
  const live = new Set(held.map((x) => x.handle.slot));
  assert.equal(pool.occupancy().free, slots - live.size, `${what}: exactly the survivor's slots are in use (nothing leaked)`);
  for (const x of held) {
    for (let k = 0; k < x.acquires + (x.producer ? 1 : 0); k++) {
      assert.equal(pool.occupancy().free, slots - live.size, `${what}: slot ${x.handle.slot} not freed while a reference is left`);
      pool.release(x.handle);
    }
    live.delete(x.handle.slot);
    assert.equal(pool.occupancy().free, slots - live.size, `${what}: slot ${x.handle.slot} freed at its last release`);
  }
  assert.deepEqual(pool.occupancy(), { free: slots, writing: 0, ready: 0 }, `${what}: every slot free`);
}

afterEach(() => setSlotPoolStepHook(undefined));

const STEPS = Object.entries(SLOT_POOL_STEP);

describe('slot pool: recover(owner) is exact wherever the owner was killed', () => {
  for (const sc of SCENARIOS) {
    it(`${sc.name}: killed after each step, then recovered`, () => {
      for (const [stepName, step] of STEPS) {
        const a = SlotPool.create({ slotBytes: 16, slotCount: 5, holders: 3, owner: SURVIVOR });
        const v = SlotPool.attach(a.descriptor, { owner: VICTIM });
        const { call, held, done } = sc.run(a, v);
        killAt(sc.operation, step);
        assert.throws(call, Killed, `${sc.name}: the hook stops it at ${stepName}`);
        a.recover(VICTIM);
        checkAndDrain(a, step === SLOT_POOL_STEP.cleared ? done ?? held : held, `${sc.name}, killed after '${stepName}'`);
      }
    });
  }

  it('a recoverer killed after each step of its recovery: recovering it, then the first owner again, is exact', () => {
    for (const [stepName, step] of STEPS) {
      for (const sc of SCENARIOS) {
        const a = SlotPool.create({ slotBytes: 16, slotCount: 5, holders: 3, owner: SURVIVOR });
        const v = SlotPool.attach(a.descriptor, { owner: VICTIM });
        const r = SlotPool.attach(a.descriptor, { owner: RECOVERER });
        const { call, held } = sc.run(a, v);
        killAt(sc.operation, SLOT_POOL_STEP.state); // the victim dies half-way: its change is rolled back
        assert.throws(call, Killed);
        killAt('recover', step);
        try {
          r.recover(VICTIM);
        } catch (e) {
          if (!(e instanceof Killed)) throw e;
        }
        setSlotPoolStepHook(undefined);
        a.recover(RECOVERER);
        a.recover(VICTIM);
        checkAndDrain(a, held, `${sc.name}, its recoverer killed after '${stepName}'`);
      }
    }
  });

  it('an operation waits while another object has the slot locked, and the watchdog recovers a dead lock holder', () => {
    let dead = 0;
    const a: SlotPool = SlotPool.create({ slotBytes: 16, slotCount: 2, holders: 2, owner: SURVIVOR, watchdog: () => { if (dead !== 0) a.recover(dead); } });
    const v = SlotPool.attach(a.descriptor, { owner: VICTIM });
    const h = produce(a, 7);
    killAt('acquire', SLOT_POOL_STEP.locked);
    assert.throws(() => v.acquire(h), Killed);
    dead = VICTIM; // the survivor's acquire waits on the lock, its watchdog finds the victim dead
    assert.equal(a.acquire(h)[0], 7);
    assert.equal(a.readers(h), 1);
    a.release(h);
    a.release(h);
    assert.deepEqual(a.occupancy(), { free: 2, writing: 0, ready: 0 });
  });
});

describe('slot pool: a worker thread terminated while parked inside a slot change', () => {
  const WORKER = new URL('../fixtures/pool-step-worker.js', import.meta.url);
  for (const operation of ['allocate', 'acquire', 'view'] as const) {
    it(`${operation}: terminated after each step, then recovered exactly`, async () => {
      for (const [stepName, step] of STEPS) {
        const a = SlotPool.create({ slotBytes: 16, slotCount: 3, holders: 2, owner: SURVIVOR });
        const h = produce(a, 5);
        if (operation === 'acquire') a.acquire(h);
        const parked = new SharedArrayBuffer(4);
        const worker = new Worker(WORKER, { workerData: { descriptor: a.descriptor, owner: VICTIM, operation, step, handle: h, parked } });
        const flag = new Int32Array(parked);
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        const failed = new Promise<never>((_, reject) => worker.once('error', reject));
        await Promise.race([Atomics.waitAsync(flag, 0, 0, 30_000).value, failed]);
        assert.equal(Atomics.load(flag, 0), 1, `${operation}: the worker parked after '${stepName}'`);
        await worker.terminate();
        await exited;
        a.recover(VICTIM);
        // Rolled back unless the change was whole: the survivor keeps what it had either way;
        // a view made in full took the producer's reference over (then freed with the victim).
        const viewDone = operation === 'view' && step === SLOT_POOL_STEP.cleared;
        checkAndDrain(a, viewDone ? [] : [{ handle: h, acquires: operation === 'acquire' ? 1 : 0, producer: true }], `${operation}, terminated after '${stepName}'`);
      }
    });
  }
});
