/**
 * The threads of `ringkit perf-test`: one writer and N readers on a shared {@link RingBuffer},
 * counting into a shared `Int32Array` of statistics that the main thread samples for its
 * progress line and report (layout: {@link STAT}).
 */
import { randomFillSync } from 'node:crypto';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { copyBytes, RingBuffer, WaitingForReaderError, WriterFinishedError, TimeoutError } from '@ringkit/core';
import { READER_WORDS, STAT, type PerfTask } from './perf-test-shared.js';

const POOL_BYTES = 1 << 24;

/** Random bytes to take payloads from (at random offsets), so the RNG stays out of the measurement. */
function randomPool(slotBytes: number): Uint8Array {
  const pool = new Uint8Array(Math.max(POOL_BYTES, slotBytes * 2));
  for (let off = 0; off < pool.length; off += 65536) randomFillSync(pool, off, Math.min(65536, pool.length - off));
  return pool;
}

const pauseCell = new Int32Array(new SharedArrayBuffer(4));
function pause(ms: number): void {
  if (ms > 0) Atomics.wait(pauseCell, 0, 0, ms);
}

function log(task: PerfTask, line: string): void {
  if (task.debug) process.stderr.write(`${line}\n`);
}

/** The writer's loop on `rb` (a thread's attached facade, or a process's named one). */
export function writer(rb: RingBuffer, task: PerfTask, stats: Int32Array): void {
  const pool = randomPool(task.slotBytes);
  const interval = task.writesPerSecond > 0 ? 1000 / task.writesPerSecond : 0;
  const recent = new Float64Array(10);
  let recentCount = 0;
  let drops = 0;
  // Bounded waits: across processes (--processes) Atomics.notify does not reach this one.
  while (Atomics.load(stats, STAT.readersReady) < task.readers) Atomics.wait(stats, STAT.readersReady, Atomics.load(stats, STAT.readersReady), 10);
  const start = performance.now();
  const end = start + task.durationMs;
  let writes = 0;
  for (;;) {
    const t0 = performance.now();
    if (t0 >= end) break;
    const from = Math.floor(Math.random() * (pool.length - task.slotBytes));
    try {
      if (task.verify) {
        const body = task.slotBytes - 4;
        const slot = interval === 0 ? rb.reserveWrite(task.slotBytes, { timeout: Math.max(1, end - t0) }) : rb.reserveWrite(task.slotBytes);
        copyBytes(slot, 0, pool.subarray(from, from + body));
        const crc = crc32(slot.subarray(0, body));
        slot[body] = crc >>> 24;
        slot[body + 1] = (crc >>> 16) & 255;
        slot[body + 2] = (crc >>> 8) & 255;
        slot[body + 3] = crc & 255;
        rb.commitWrite();
      } else if (interval === 0) {
        rb.write(pool.subarray(from, from + task.slotBytes), { timeout: Math.max(1, end - t0) });
      } else {
        rb.tryWrite(pool.subarray(from, from + task.slotBytes));
      }
      writes++;
      Atomics.store(stats, STAT.writes, writes);
      if (interval > 0 && writes % task.writesPerSecond === 0) log(task, `Wrote ${writes} slots so far`);
    } catch (e) {
      if (e instanceof TimeoutError) break;
      if (!(e instanceof WaitingForReaderError)) throw e;
      drops++;
      Atomics.store(stats, STAT.drops, drops);
      if (drops <= 20) {
        process.stderr.write(`ERROR Write ${writes} is waiting for readers\n`);
      } else if (drops === 21) {
        process.stderr.write('ERROR (more "waiting for readers" drops are counted, not printed)\n');
      }
    }
    if (interval > 0) {
      recent[recentCount++ % 10] = performance.now() - t0;
      let sum = 0;
      const n = Math.min(recentCount, 10);
      for (let i = 0; i < n; i++) sum += recent[i]!;
      pause(interval - sum / n);
    }
  }
  rb.writerDone();
  Atomics.store(stats, STAT.writerMs, Math.round(performance.now() - start));
  Atomics.store(stats, STAT.writerDone, 1);
  log(task, 'Exiting writer');
}

function burn(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* simulated slow consumer */ }
}

/** A reader's loop on `rb`. */
export function reader(rb: RingBuffer, task: PerfTask, stats: Int32Array): void {
  const id = task.readerId!;
  const base = STAT.readers + task.readerIndex! * READER_WORDS;
  let reads = 0;
  let failures = 0;
  let lagMax = 0;
  Atomics.add(stats, STAT.readersReady, 1);
  Atomics.notify(stats, STAT.readersReady);
  let start = 0;
  const into = new Uint8Array(task.slotBytes); // copying reads reuse one buffer (no allocation per item)
  for (;;) {
    let data: Uint8Array;
    try {
      data = task.zeroCopyReads ? rb.readView(id, { timeout: 1000 }) : into.subarray(0, rb.readInto(id, into, { timeout: 1000 }));
    } catch (e) {
      if (e instanceof WriterFinishedError) break;
      if (e instanceof TimeoutError) continue;
      throw e;
    }
    if (start === 0) start = performance.now();
    const lag = rb.lag(id);
    if (lag > lagMax) Atomics.store(stats, base + 2, (lagMax = lag));
    if (task.verify) {
      const body = data.length - 4;
      const expected = ((data[body]! << 24) | (data[body + 1]! << 16) | (data[body + 2]! << 8) | data[body + 3]!) >>> 0;
      const found = crc32(data.subarray(0, body));
      if (found !== expected) {
        failures++;
        Atomics.store(stats, base + 1, failures);
        process.stderr.write(`ERROR reader ${task.readerIndex}: Expected crc ${expected}, found crc ${found}\n`);
      }
    }
    if (task.burnMs > 0) burn(task.burnMs);
    reads++;
    Atomics.store(stats, base, reads);
    if (task.writesPerSecond > 0 && reads % task.writesPerSecond === 0) log(task, `Reader ${task.readerIndex} read ${reads} slots so far`);
  }
  Atomics.store(stats, base + 3, start === 0 ? 0 : Math.round(performance.now() - start));
  log(task, `Exiting reader ${task.readerIndex}`);
}

if (!isMainThread) {
  const task = workerData as PerfTask;
  const stats = new Int32Array(task.stats!);
  const rb = RingBuffer.attach(task.ring!);
  if (task.role === 'writer') writer(rb, task, stats);
  else reader(rb, task, stats);
  parentPort?.postMessage('done');
}
