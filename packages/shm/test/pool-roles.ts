// Child-process roles of the slot pool's kill tests (run through child.ts): a participant
// parked at a chosen step of a slot change until it is killed, a recoverer parked in its
// recovery, and a churning job of the random SIGKILL test.
import { writeSync } from 'node:fs';
import { setSlotPoolStepHook, StaleSlotError, TimeoutError, type SlotHandle, type SlotPool, type SlotPoolOperation, type WritableSlot } from '@ringkit/core';
import { Segment, SharedSlotPool } from '@ringkit/shm';

/** One step of a victim's script: its own handles are referred to by index (`w`: writable slots, `h`: ready handles). */
export type PoolOp =
  | { op: 'allocate' }
  | { op: 'markReady'; w: number }
  | { op: 'release'; w: number }
  | { op: 'acquire' | 'view' | 'release'; h: SlotHandle | number };

/** Runs `ops` on `pool`, keeping the writable slots and handles it makes. */
export function runOps(pool: SlotPool, ops: PoolOp[], ws: WritableSlot[] = [], hs: SlotHandle[] = []): void {
  for (const o of ops) {
    if (o.op === 'allocate') ws.push(pool.allocate(1, { timeout: 10_000 }));
    else if (o.op === 'markReady') hs.push(pool.markReady(ws[o.w]!, 1));
    else if ('w' in o) pool.release(ws[o.w]!);
    else {
      const h = typeof o.h === 'number' ? hs[o.h]! : o.h;
      if (o.op === 'acquire') pool.acquire(h);
      else if (o.op === 'view') pool.view(h);
      else pool.release(h);
    }
  }
}

/** Says `parked` (synchronously: the parent kills at once) and blocks this thread for ever. */
function park(): never {
  writeSync(1, `${JSON.stringify({ event: 'parked', pid: process.pid })}\n`);
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

/** Parks the next time `operation` reaches `step`. */
function parkAt(operation: SlotPoolOperation, step: number): void {
  setSlotPoolStepHook((op, s) => {
    if (op === operation && s === step) park();
  });
}

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Payload of a slot: [writer pid, its count, count of words, words..., checksum] as Int32 (little-endian). */
function fill(view: Uint8Array, pid: number, count: number, random: () => number): void {
  const w = new Int32Array(view.buffer, view.byteOffset, view.byteLength >> 2);
  const n = 3 + Math.floor(random() * (w.length - 4));
  w[0] = pid;
  w[1] = count;
  w[2] = n;
  let sum = pid ^ count ^ n;
  for (let i = 3; i < n; i++) {
    w[i] = (random() * 2 ** 31) | 0;
    sum = (Math.imul(sum, 31) + w[i]!) | 0;
  }
  w[n] = sum;
}

/** The checksum a payload carries, recomputed: a string saying what is wrong, or '' when whole. */
function check(view: Uint8Array, expectPid?: number, expectCount?: number): string {
  const w = new Int32Array(view.buffer, view.byteOffset, view.byteLength >> 2);
  const n = w[2]!;
  if (!(n >= 3 && n < w.length)) return `bad length word ${n}`;
  let sum = w[0]! ^ w[1]! ^ n;
  for (let i = 3; i < n; i++) sum = (Math.imul(sum, 31) + w[i]!) | 0;
  if (w[n] !== sum) return `checksum mismatch (pid ${w[0]}, count ${w[1]})`;
  if (expectPid !== undefined && (w[0] !== expectPid || w[1] !== expectCount)) return `payload of pid ${w[0]} count ${w[1]}, expected pid ${expectPid} count ${expectCount}`;
  return '';
}

/** Handles posted at once in the mailbox of the random SIGKILL test. */
export const BOXES = 32;

/** Mailbox word of a handle: (generation << 7 | slot) + 1; 0 = empty (slotCount ≤ 128). */
const pack = (h: SlotHandle): number => ((h.generation << 7) | h.slot) + 1;
const unpack = (x: number, length: number): SlotHandle => ({ slot: (x - 1) & 127, generation: (x - 1) >>> 7, length });

function say(o: object): void {
  writeSync(1, `${JSON.stringify(o)}\n`);
}

export const poolRoles: Record<string, (a: Record<string, unknown>) => void> = {
  /**
   * Opens pool `name`, runs `prep` (unhooked), then runs `final` with the step hook parking it at
   * `kill` = { operation, step } (the parent kills it there). Says `prepared` with its handles first.
   */
  poolstep(a) {
    const shared = SharedSlotPool.open(a.name as string);
    const ws: WritableSlot[] = [];
    const hs: SlotHandle[] = [];
    runOps(shared.pool, a.prep as PoolOp[], ws, hs);
    say({ event: 'prepared', owner: shared.owner, handles: hs });
    const kill = a.kill as { operation: SlotPoolOperation; step: number };
    parkAt(kill.operation, kill.step);
    runOps(shared.pool, [a.final as PoolOp], ws, hs);
    say({ event: 'result', error: `not parked at ${kill.operation} step ${kill.step}` });
    process.exit(0);
  },
  /** Parks at `step` of a recovery: its open recovers the dead processes of pool `name`. */
  poolrecoverstep(a) {
    parkAt('recover', a.step as number);
    const shared = SharedSlotPool.open(a.name as string);
    say({ event: 'result', error: `not parked in recover step ${a.step as number}`, owner: shared.owner });
    process.exit(0);
  },
  /**
   * A job of the random SIGKILL test: until the stop word of mailbox `box` is set, allocates
   * slots (checking nobody else writes its slot), marks them ready, posts their handles to the
   * mailbox, acquires posted handles (checking every payload when acquired and again before
   * release: a slot freed under it would be overwritten), holds some of each for a while.
   * `widen`: sleeps a little after each step of a slot change, so kills land inside them.
   * Reports each failed check at once (`bad`), counts at the stop (`result`).
   */
  poolchurn(a) {
    const random = rng(a.seed as number);
    if (a.widen === true) {
      // Sleep up to 0.4 ms after every step: the job spends most of its time inside slot changes.
      const nap = new Int32Array(new SharedArrayBuffer(4));
      setSlotPoolStepHook(() => void Atomics.wait(nap, 0, 0, random() * 0.4));
    }
    const shared = SharedSlotPool.open(a.name as string);
    const pool = shared.pool;
    const boxSegment = Segment.open(a.box as string);
    const box = new Int32Array(boxSegment.buffer, 0, 1 + BOXES); // word 0: stop, then the posted handles
    const boxes = BOXES;
    const pid = process.pid;
    /** References this job holds: its producer references and its acquires, each with the payload it must still see. */
    type Held = { h: SlotHandle; view: Uint8Array; pid: number; count: number };
    const mine: Held[] = [];
    const acquired: Held[] = [];
    const release = (x: Held): void => {
      const e = check(x.view, x.pid, x.count);
      if (e !== '') bad(`slot ${x.h.slot} changed while held: ${e}`);
      pool.release(x.h);
    };
    let count = 0;
    let reads = 0;
    let stale = 0;
    const bad = (what: string): void => say({ event: 'bad', what, pid });
    say({ event: 'ready', owner: shared.owner });
    while (Atomics.load(box, 0) === 0) {
      const r = random();
      if (r < 0.35) {
        let s: WritableSlot | null = null;
        if (random() < 0.5) s = pool.tryAllocate(pool.slotBytes);
        else {
          try {
            s = pool.allocate(pool.slotBytes, { timeout: 200 }); // a blocked allocate recovers dead jobs (watchdog)
          } catch (e) {
            if (!(e instanceof TimeoutError)) throw e;
          }
        }
        if (s === null) continue;
        fill(s.view, pid, count, random);
        const e = check(s.view, pid, count);
        if (e !== '') bad(`own slot ${s.slot} changed while being written: ${e}`);
        if (random() < 0.05) {
          pool.release(s); // an aborted write
          continue;
        }
        const h = pool.markReady(s, pool.slotBytes);
        Atomics.store(box, 1 + Math.floor(random() * boxes), pack(h));
        mine.push({ h, view: s.view, pid, count });
        count++;
      } else if (r < 0.75) {
        const x = Atomics.load(box, 1 + Math.floor(random() * boxes));
        if (x === 0) continue;
        const h = unpack(x, pool.slotBytes);
        let view: Uint8Array;
        try {
          view = pool.acquire(h);
        } catch (e) {
          if (e instanceof StaleSlotError) {
            stale++;
            continue;
          }
          throw e;
        }
        const w = new Int32Array(view.buffer, view.byteOffset, 2);
        const e = check(view);
        if (e !== '') bad(`acquired slot ${h.slot} generation ${h.generation}: ${e}`);
        reads++;
        acquired.push({ h, view, pid: w[0]!, count: w[1]! });
      } else {
        // Release one held reference (own producer's or an acquire), re-checking what was read.
        const list = random() < 0.5 ? mine : acquired;
        if (list.length === 0) continue;
        release(list.splice(Math.floor(random() * list.length), 1)[0]!);
      }
      if (mine.length + acquired.length > 3) release(mine.length > 0 ? mine.shift()! : acquired.shift()!);
    }
    for (const x of [...mine, ...acquired]) release(x);
    say({ event: 'result', written: count, reads, stale });
    shared.close();
    process.exit(0);
  },
};
