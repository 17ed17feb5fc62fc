/**
 * `baseline.raw.fizzbuzz`: the FizzBuzz demo's three stages hand-written over two raw rings
 * (`raw-layout.ts`), no library: generator → worker → logger, f64 values (as the demo's
 * columns), the generator publishing half a ring per batch, the worker classifying whatever is
 * published (at most half a ring) into the second ring, the logger counting. Three threads on
 * two cores, so every wait spins briefly and then sleeps (`raw-wake.ts`), as the pipeline's do.
 * Each thread knows the message count; the rate is count / (last message logged − first generated).
 */
import type { Task, WorkerReport } from '../protocol.js';
import { Phases } from './phases.js';
import { RAW_CONSUMED, RAW_CURSOR, RAW_PUBLISH_WAITERS, RAW_RELEASE_WAITERS, rawViews } from './raw-layout.js';
import { awaitMove, spinTriesOf, wakeMoved } from './raw-wake.js';

/** Wall-clock ms with sub-ms precision, comparable across threads. */
function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Waits (spin, then sleep) until the producer of `hdr` may claim up to `hi` on a ring of `capacity`. @returns the newest gate. */
function awaitRoom(hdr: Int32Array, hi: number, capacity: number, gate: number, spinTries: number): number {
  const wrap = (hi - capacity) | 0;
  while (((wrap - gate) | 0) > 0) {
    gate = Atomics.load(hdr, RAW_CONSUMED);
    if (((wrap - gate) | 0) > 0) gate = awaitMove(hdr, RAW_CONSUMED, RAW_RELEASE_WAITERS, gate, spinTries);
  }
  return gate;
}

/** Waits (spin, then sleep) until `hdr`'s cursor reaches `next`. @returns the newest cursor. */
function awaitPublished(hdr: Int32Array, next: number, spinTries: number): number {
  let avail = Atomics.load(hdr, RAW_CURSOR);
  while (((avail - next) | 0) < 0) avail = awaitMove(hdr, RAW_CURSOR, RAW_PUBLISH_WAITERS, avail, spinTries);
  return avail;
}

function publish(hdr: Int32Array, hi: number): void {
  Atomics.store(hdr, RAW_CURSOR, hi);
  wakeMoved(hdr, RAW_CURSOR, RAW_PUBLISH_WAITERS);
}

function release(hdr: Int32Array, hi: number): void {
  Atomics.store(hdr, RAW_CONSUMED, hi);
  wakeMoved(hdr, RAW_CONSUMED, RAW_RELEASE_WAITERS);
}

/** Generator: consecutive integers, half a ring per publish. */
export function fizzGenerator(task: Task): WorkerReport {
  const { hdr, data } = rawViews(task.buffer!, task.capacity);
  const total = task.messages!;
  const capacity = task.capacity;
  const mask = capacity - 1;
  const half = capacity >>> 1;
  const spinTries = spinTriesOf(task.waitStrategy);
  const phases = new Phases(task.ctl);
  phases.start();
  const startMs = wallMs();
  let next = -1;
  let gate = -1;
  let v = 0;
  while (v < total) {
    const n = Math.min(half, total - v);
    const hi = (next + n) | 0;
    gate = awaitRoom(hdr, hi, capacity, gate, spinTries);
    for (let s = (next + 1) | 0, k = 0; k < n; k++, s = (s + 1) | 0) data[s & mask] = v + k;
    v += n;
    publish(hdr, hi);
    next = hi;
  }
  return { count: v, checksum: 0, marks: phases.marks, startMs };
}

const KEEP = new Float64Array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1]);
const CODE = new Float64Array([-15, 0, 0, -3, 0, -5, -3, 0, 0, -3, -5, 0, -3, 0, 0]);

/** Worker: classifies each published batch (at most half a ring) into the second ring. */
export function fizzWorker(task: Task): WorkerReport {
  const input = rawViews(task.buffer!, task.capacity);
  const output = rawViews(task.buffer2!, task.capacity);
  const total = task.messages!;
  const capacity = task.capacity;
  const mask = capacity - 1;
  const half = capacity >>> 1;
  const spinTries = spinTriesOf(task.waitStrategy);
  const src = input.data;
  const dst = output.data;
  const phases = new Phases(task.ctl);
  phases.start();
  let next = 0;
  let outNext = -1;
  let gate = -1;
  let done = 0;
  while (done < total) {
    const avail = awaitPublished(input.hdr, next, spinTries);
    let n = ((avail - next) | 0) + 1;
    if (n > half) n = half;
    const hi = (outNext + n) | 0;
    gate = awaitRoom(output.hdr, hi, capacity, gate, spinTries);
    for (let k = 0; k < n; k++) {
      const x = src[(next + k) & mask]!;
      const r = (x - Math.floor(x / 15) * 15) | 0;
      dst[(outNext + 1 + k) & mask] = x * KEEP[r]! + CODE[r]!;
    }
    publish(output.hdr, hi);
    outNext = hi;
    release(input.hdr, (next + n - 1) | 0);
    next = (next + n) | 0;
    done += n;
  }
  return { count: done, checksum: 0, marks: phases.marks };
}

/** Logger: counts Fizz (-3), Buzz (-5), FizzBuzz (-15) and plain values. */
export function fizzLogger(task: Task): WorkerReport {
  const { hdr, data } = rawViews(task.buffer!, task.capacity);
  const total = task.messages!;
  const mask = task.capacity - 1;
  const spinTries = spinTriesOf(task.waitStrategy);
  const counts = new Float64Array(16);
  const phases = new Phases(task.ctl);
  phases.start();
  let next = 0;
  let done = 0;
  while (done < total) {
    const avail = awaitPublished(hdr, next, spinTries);
    const n = ((avail - next) | 0) + 1;
    for (let k = 0; k < n; k++) {
      const m = data[(next + k) & mask]!;
      counts[m < 0 ? -m : 0]!++;
    }
    release(hdr, avail);
    next = (avail + 1) | 0;
    done += n;
  }
  const endMs = wallMs();
  return { count: done, checksum: 0, marks: phases.marks, endMs, counts: [counts[3]!, counts[5]!, counts[15]!, counts[0]!] };
}
