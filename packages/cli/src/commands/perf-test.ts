/**
 * `ringkit perf-test`: bslatkin/ringbuffer's `perf_test_ringbuffer.py`, on ringkit's
 * {@link RingBuffer}: one writer thread writes `--slot-bytes` items at `--writes-per-second`
 * for `--duration-seconds`; `--readers` reader threads read (copy) and verify every item.
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MAX_CONSUMERS, RingBuffer } from '@ringkit/core';
import type { Command } from '../main.js';
import { READER_WORDS, STAT, type PerfTask } from './perf-test-shared.js';
import { integerFlag, UsageError } from '../flags.js';
import { StatusLine } from '../status-line.js';

const USAGE = `Usage: ringkit perf-test --slot-bytes N --slots N --duration-seconds S --writes-per-second N --readers N [options]

Measures a RingBuffer (the bslatkin/ringbuffer facade): one writer thread, N reader threads
(--processes: one writer process and N reader processes over a named shared-memory segment).

Options:
  --slot-bytes N                     bytes per item (every write is exactly this size)    [required]
  --slots N                          slots in the ring                                    [required]
  --duration-seconds S               how long the writer runs (may be fractional)         [required]
  --writes-per-second N              target write rate; 0 = as fast as possible           [required]
  --readers N                        reader threads, 1 … ${MAX_CONSUMERS}                                [required]
  --reader-burn-cpu-milliseconds N   busy-loop this long after every read (slow reader)   [default 0]
  --verify-writes / --no-verify-writes
                                     CRC32 in the last 4 bytes of every item, checked by
                                     every reader                                         [default on]
  --zero-copy-reads                  readers check items in place (RingBuffer.readView)
                                     instead of copying each one (the reference copies)
  --copy-baseline                    also measure TypedArray.set copy bandwidth for items of
                                     --slot-bytes in this run (hot source, and from a pool)
  --processes                        writer and readers as separate OS processes over a named
                                     segment (@ringkit/shm; Linux), as the reference runs them
  --json                             print one JSON object on stdout instead of the report
  --debug                            log progress of every thread on stderr
  -h, --help                         this text

Flags may be spelled with underscores as the reference spells them (--verify_writes,
--no-verify_writes, --slot_bytes, ...).

A write that would overwrite an item some reader has not read is dropped and counted (as in
the reference); with --writes-per-second 0 the writer waits for readers instead.
`;

interface Flags {
  slotBytes: number;
  slots: number;
  durationSeconds: number;
  writesPerSecond: number;
  readers: number;
  burnMs: number;
  verify: boolean;
  copyBaseline: boolean;
  zeroCopyReads: boolean;
  processes: boolean;
  json: boolean;
  debug: boolean;
}

/** `--verify_writes` → `--verify-writes`: the reference's underscore spellings, for every flag name. */
export function dashFlags(argv: string[]): string[] {
  return argv.map((a) => {
    if (!a.startsWith('--')) return a;
    const eq = a.indexOf('=');
    return eq < 0 ? a.replace(/_/g, '-') : a.slice(0, eq).replace(/_/g, '-') + a.slice(eq);
  });
}

function intFlag(values: Record<string, unknown>, name: string, min: number, max: number, fallback?: number): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${name} is required: an integer in [${min}, ${max}]`);
  }
  return integerFlag(name, raw, min, max)!;
}

function parseFlags(argv: string[]): Flags | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: dashFlags(argv),
      strict: true,
      allowPositionals: false,
      options: {
        processes: { type: 'boolean' },
        'slot-bytes': { type: 'string' },
        slots: { type: 'string' },
        'duration-seconds': { type: 'string' },
        'writes-per-second': { type: 'string' },
        readers: { type: 'string' },
        'reader-burn-cpu-milliseconds': { type: 'string' },
        'verify-writes': { type: 'boolean' },
        'no-verify-writes': { type: 'boolean' },
        'copy-baseline': { type: 'boolean' },
        'zero-copy-reads': { type: 'boolean' },
        json: { type: 'boolean' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; run \`ringkit perf-test --help\` for the allowed flags`);
  }
  const v = parsed.values as Record<string, unknown>;
  if (v.help === true) return 'help';
  const durationRaw = v['duration-seconds'];
  if (durationRaw === undefined) throw new UsageError('--duration-seconds is required: a number of seconds in (0, 86400]');
  const durationSeconds = Number(durationRaw);
  if (!Number.isFinite(durationSeconds) || durationSeconds <= 0 || durationSeconds > 86400) {
    throw new UsageError(`--duration-seconds must be a number of seconds in (0, 86400]: --duration-seconds=${String(durationRaw)}`);
  }
  if (v['verify-writes'] === true && v['no-verify-writes'] === true) throw new UsageError('--verify-writes and --no-verify-writes contradict each other: give one');
  const slotBytes = intFlag(v, 'slot-bytes', 1, 2 ** 30);
  const verify = v['no-verify-writes'] !== true;
  if (verify && slotBytes < 5) throw new UsageError(`--slot-bytes must be at least 5 with --verify-writes (4 bytes of CRC32 follow the data): --slot-bytes=${slotBytes}`);
  return {
    slotBytes,
    slots: intFlag(v, 'slots', 1, 2 ** 20),
    durationSeconds,
    writesPerSecond: intFlag(v, 'writes-per-second', 0, 10_000_000),
    readers: intFlag(v, 'readers', 1, MAX_CONSUMERS),
    burnMs: intFlag(v, 'reader-burn-cpu-milliseconds', 0, 60_000, 0),
    verify,
    copyBaseline: v['copy-baseline'] === true,
    zeroCopyReads: v['zero-copy-reads'] === true,
    processes: v.processes === true,
    json: v.json === true,
    debug: v.debug === true,
  };
}

/**
 * Bytes per second of `TypedArray.set` copies of `bytes`-sized blocks into a shared buffer,
 * measured for about `ms`. `sourceBytes` = `bytes`: the same (cache-hot) source every time;
 * larger: sources at rotating offsets of a pool that big (as the perf-test writer copies).
 */
export function measureCopyBandwidth(bytes: number, ms: number, sourceBytes = bytes): number {
  const src = new Uint8Array(Math.max(bytes, sourceBytes));
  for (let i = 0; i < src.length; i += 4096) src[i] = i & 255;
  const sources = Math.max(1, Math.floor(src.length / bytes));
  const count = Math.max(2, Math.min(64, Math.floor((256 << 20) / bytes)));
  const dst = new Uint8Array(new SharedArrayBuffer(bytes * count));
  let copied = 0;
  const start = performance.now();
  let now = start;
  for (let k = 0; now - start < ms; k++) {
    const from = (k % sources) * bytes;
    dst.set(src.subarray(from, from + bytes), (k % count) * bytes);
    copied += bytes;
    if ((k & 7) === 7 || bytes > 1 << 20) now = performance.now();
  }
  return copied / ((performance.now() - start) / 1000);
}

interface ReaderResult {
  reader: number;
  reads: number;
  seconds: number;
  readsPerSec: number;
  bytesPerSec: number;
  lagMax: number;
  verifyFailures: number;
}

function block(label: string, count: number, seconds: number, slotBytes: number, target: number): string {
  const rate = seconds > 0 ? count / seconds : 0;
  const delta = target > 0 ? ` ${((100 * (rate - target)) / target).toFixed(1)}% relative to target` : '';
  return [
    label,
    `${count} slots in ${seconds.toFixed(6)} seconds`,
    `${((slotBytes * rate) / 1e6).toFixed(6)} MBytes per second`,
    `${rate.toFixed(6)} slots/second,${delta === '' ? ' (no target: as fast as possible)' : delta}`,
    '',
  ].join('\n');
}

function runWorker(task: PerfTask): Promise<void> {
  const worker = new Worker(new URL('./perf-test-worker.js', import.meta.url), { workerData: task });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`perf-test ${task.role} thread exited with code ${code}`))));
  });
}

/** Runs one role as its own OS process (`--processes`). */
function runProcess(task: PerfTask): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./perf-test-process.js', import.meta.url)), JSON.stringify(task)], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`perf-test ${task.role} process exited with ${code ?? signal}`))));
  });
}

/** `--processes`: the facade and the statistics in named segments (removed when the run ends). */
async function namedPlace(flags: Flags, statsBytes: number): Promise<{ rb: RingBuffer; stats: Int32Array; ringName: string; statsName: string; release(): void }> {
  let shm: typeof import('@ringkit/shm');
  try {
    shm = await import('@ringkit/shm');
  } catch (e) {
    throw new UsageError(`--processes needs @ringkit/shm (named shared memory, a small native addon): npm install @ringkit/shm (${(e as Error).message})`);
  }
  const ringName = `/ringkit-perf-test-${process.pid}`;
  const statsName = `${ringName}-stats`;
  const shared = shm.SharedRingBuffer.create(ringName, { slotBytes: flags.slotBytes, slotCount: flags.slots });
  const stats = new Int32Array(shm.Segment.create(statsName, { size: statsBytes }).buffer);
  return {
    rb: shared.buffer, stats, ringName, statsName,
    release() {
      shared.close();
      shared.unlink();
      try {
        shm.Segment.unlink(statsName);
      } catch {
        // gone already
      }
    },
  };
}

async function run(flags: Flags): Promise<number> {
  if (flags.debug) process.stderr.write(`Starting performance test with flags: ${JSON.stringify(flags)}\n`);
  let copyBaseline: { bytes: number; bytesPerSec: number; fromPoolBytesPerSec: number } | undefined;
  if (flags.copyBaseline) {
    copyBaseline = {
      bytes: flags.slotBytes,
      bytesPerSec: measureCopyBandwidth(flags.slotBytes, 1000),
      fromPoolBytesPerSec: measureCopyBandwidth(flags.slotBytes, 1000, Math.max(1 << 24, flags.slotBytes * 2)),
    };
  }
  const statsBytes = (STAT.readers + flags.readers * READER_WORDS) * 4;
  const place = flags.processes ? await namedPlace(flags, statsBytes) : undefined;
  const rb = place?.rb ?? new RingBuffer({ slotBytes: flags.slotBytes, slotCount: flags.slots });
  rb.newWriter();
  const stats = place?.stats ?? new Int32Array(new SharedArrayBuffer(statsBytes));
  const common = {
    ...(place === undefined ? { ring: rb.descriptor, stats: stats.buffer as SharedArrayBuffer } : { ringName: place.ringName, statsName: place.statsName }),
    readers: flags.readers, slotBytes: flags.slotBytes,
    durationMs: flags.durationSeconds * 1000, writesPerSecond: flags.writesPerSecond, burnMs: flags.burnMs,
    verify: flags.verify, zeroCopyReads: flags.zeroCopyReads, debug: flags.debug,
  };
  const readerIds = Array.from({ length: flags.readers }, () => rb.newReader().id);
  const started = performance.now();
  const start = place === undefined ? runWorker : runProcess;
  const done = Promise.all([
    start({ ...common, role: 'writer' }),
    ...readerIds.map((readerId, readerIndex) => start({ ...common, role: 'reader', readerId, readerIndex })),
  ]).finally(() => place?.release());
  const status = new StatusLine();
  let lagMaxSeen = 0;
  const progress = setInterval(() => {
    let minReads = Infinity;
    for (let r = 0; r < flags.readers; r++) {
      minReads = Math.min(minReads, Atomics.load(stats, STAT.readers + r * READER_WORDS));
      lagMaxSeen = Math.max(lagMaxSeen, rb.lag(readerIds[r]!));
    }
    const secs = (performance.now() - started) / 1000;
    const writes = Atomics.load(stats, STAT.writes);
    const line = `perf-test ${secs.toFixed(1)}s/${flags.durationSeconds}s  writes ${writes} (${(writes / secs).toFixed(1)}/s)  slowest reader ${minReads}  dropped ${Atomics.load(stats, STAT.drops)}  lag max ${lagMaxSeen}`;
    status.update(line);
  }, status.inPlace ? 250 : 1000);
  try {
    await done;
  } finally {
    clearInterval(progress);
    status.end();
  }
  const writes = Atomics.load(stats, STAT.writes);
  const writerSeconds = Atomics.load(stats, STAT.writerMs) / 1000;
  const readers: ReaderResult[] = readerIds.map((_, r) => {
    const base = STAT.readers + r * READER_WORDS;
    const reads = Atomics.load(stats, base);
    const seconds = Atomics.load(stats, base + 3) / 1000;
    const readsPerSec = seconds > 0 ? reads / seconds : 0;
    return { reader: r, reads, seconds, readsPerSec, bytesPerSec: readsPerSec * flags.slotBytes, lagMax: Atomics.load(stats, base + 2), verifyFailures: Atomics.load(stats, base + 1) };
  });
  const writesPerSec = writerSeconds > 0 ? writes / writerSeconds : 0;
  const verifyFailures = readers.reduce((a, r) => a + r.verifyFailures, 0);
  const readerLagMax = Math.max(lagMaxSeen, ...readers.map((r) => r.lagMax));
  const lost = readers.filter((r) => r.reads !== writes);
  if (flags.json) {
    const out = {
      slotBytes: flags.slotBytes,
      slots: flags.slots,
      durationSeconds: writerSeconds,
      targetWritesPerSec: flags.writesPerSecond,
      writes,
      writesPerSec,
      bytesPerSec: writesPerSec * flags.slotBytes,
      relativeToTargetPercent: flags.writesPerSecond > 0 ? (100 * (writesPerSec - flags.writesPerSecond)) / flags.writesPerSecond : null,
      dropped: Atomics.load(stats, STAT.drops),
      readers,
      readerLagMax,
      verified: flags.verify,
      verifyFailures,
      zeroCopyReads: flags.zeroCopyReads,
      ...(copyBaseline === undefined ? {} : { copyBaseline }),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    const lines = [block('Writer', writes, writerSeconds, flags.slotBytes, flags.writesPerSecond)];
    for (const r of readers) lines.push(block(`Reader ${r.reader}`, r.reads, r.seconds, flags.slotBytes, flags.writesPerSecond));
    lines.push(`Dropped writes (waiting for readers): ${Atomics.load(stats, STAT.drops)}`);
    lines.push(`Most items a reader fell behind: ${readerLagMax} of ${flags.slots} slots`);
    lines.push(flags.verify ? `Verification: ${verifyFailures} failures in ${readers.reduce((a, r) => a + r.reads, 0)} reads` : 'Verification: off');
    if (copyBaseline !== undefined) {
      lines.push(`Copy baseline (TypedArray.set of ${flags.slotBytes} bytes): ${(copyBaseline.bytesPerSec / 1e9).toFixed(3)} GB/s from one hot source, ${(copyBaseline.fromPoolBytesPerSec / 1e9).toFixed(3)} GB/s from a 16 MB pool like the writer's`);
      lines.push(`perf-test: ${((writesPerSec * flags.slotBytes) / 1e9).toFixed(3)} GB/s written and read by every reader`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (lost.length > 0 && verifyFailures === 0) {
    // Every reader must see every successful write: a difference is a bug, not a slow reader.
    process.stderr.write(`ERROR readers missed items: ${lost.map((r) => `reader ${r.reader} read ${r.reads} of ${writes}`).join(', ')}\n`);
    return 1;
  }
  return verifyFailures > 0 ? 1 : 0;
}

/** `ringkit perf-test`. */
export const command: Command = {
  summary: 'measure a RingBuffer: one writer, N reader threads or processes (bslatkin/ringbuffer perf tool)',
  async run(argv: string[]): Promise<number> {
    let flags: Flags | 'help';
    try {
      flags = parseFlags(argv);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      process.stderr.write(`ringkit perf-test: ${e.message}\n`);
      return 2;
    }
    if (flags === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    try {
      return await run(flags);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      process.stderr.write(`ringkit perf-test: ${e.message}\n`);
      return 2;
    }
  },
};
