/**
 * Runs one case: sets up the shared memory, starts its workers, moves the phases (warm-up, then
 * `runs` measurement windows), stops the producers, closes the ring, and checks that every
 * consumer received every entry (count and checksum) before turning the marks into rates.
 *
 * Threading: main thread only. The main thread never spins; it sleeps on timers while the
 * workers run.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { bytes, Ring, type RegionDescriptor } from '@ringkit/core';
import { RingBuffer } from 'ringbuf.js';
import type { CaseSpec } from './cases.js';
import { CTL, CTL_BYTES, type LatencySummary, type Role, type Task, type WorkerReport } from './protocol.js';
import { createRawRing } from './worker/raw-layout.js';
import { createByteRing } from './byte-ring.js';
import { median } from './rounds.js';
import { checkFizzbuzz, fizzbuzzMessages, runPipelineCase } from './pipeline-case.js';

/** How long to measure. */
export interface Timing {
  /** Warm-up before the first window (JIT, caches), ms. */
  readonly warmupMs: number;
  /** Length of each measurement window, ms. */
  readonly windowMs: number;
  /** Number of windows (the C report's "runs"). */
  readonly runs: number;
}

/** The measured outcome of one case. */
export interface CaseOutcome {
  readonly spec: CaseSpec;
  /** Median over the windows (robust to one window disturbed by other load on the machine). */
  readonly opsPerSec: number;
  readonly windowRates: number[];
  readonly latency: LatencySummary | null;
  readonly memoryBytes: number | null;
  /** Worker threads the case ran. */
  readonly threads: number;
  /** What was verified (e.g. `"2 consumers × 1.2e7 entries, checksums equal"`). */
  readonly checked: string;
  /** Case-specific figures for `params` (e.g. the pipeline's start-up). */
  readonly extra?: Record<string, unknown>;
}

const ENTRY = new URL('./worker/entry.js', import.meta.url);

/** Longest a case may take to wind down after its last window. */
const DRAIN_TIMEOUT_MS = 30_000;

interface Participant {
  task: Task;
  transfer: MessagePort[];
  /** Its report carries the measurement marks. */
  measures: boolean;
  producer: boolean;
}

interface Setup {
  participants: Participant[];
  memoryBytes: number | null;
  /** Called once every producer reported (multi-producer rings: close the ring). */
  afterProducers?: () => void;
  /** Fixed-count cases: the threads run to completion (no windows); this checks their reports and gives the rate. */
  fixedCount?: (reports: WorkerReport[]) => { opsPerSec: number; checked: string };
}

function task(spec: CaseSpec, ctl: SharedArrayBuffer, role: Role, extra: Partial<Task>): Task {
  return {
    role, ctl, batch: spec.batch, capacity: spec.capacity, recordBytes: spec.recordBytes, waitStrategy: spec.wait,
    multiProducer: spec.producers > 1 || spec.group === 'contention', ...extra,
  };
}

function ringSetup(spec: CaseSpec, ctl: SharedArrayBuffer, producerRole: Role, consumerRole: Role, ring: Ring<never>): Setup {
  const multi = spec.producers > 1 || spec.group === 'contention';
  const ids = spec.workGroup
    ? [...ring.addWorkGroup({ members: spec.consumers }).memberIds]
    : Array.from({ length: spec.consumers }, () => ring.addConsumer().id);
  const descriptor: RegionDescriptor = ring.descriptor;
  const participants: Participant[] = [];
  for (let i = 0; i < spec.producers; i++) {
    participants.push({ task: task(spec, ctl, producerRole, { descriptor }), transfer: [], measures: false, producer: true });
  }
  for (const id of ids) {
    participants.push({ task: task(spec, ctl, consumerRole, { descriptor, consumerId: id }), transfer: [], measures: true, producer: false });
  }
  return { participants, memoryBytes: ring.byteLength, afterProducers: multi ? () => ring.close() : undefined };
}

function pair(spec: CaseSpec, ctl: SharedArrayBuffer, roles: [Role, Role], extra: Partial<Task>, measureFirst: boolean): Participant[] {
  return [
    { task: task(spec, ctl, roles[0], extra), transfer: [], measures: measureFirst, producer: true },
    { task: task(spec, ctl, roles[1], extra), transfer: [], measures: !measureFirst, producer: false },
  ];
}

async function setup(spec: CaseSpec, ctl: SharedArrayBuffer, timing: Timing): Promise<Setup> {
  const multi = spec.producers > 1 || spec.group === 'contention';
  const maxConsumers = spec.workGroup ? spec.consumers + 1 : Math.max(1, spec.consumers);
  switch (spec.kind) {
    case 'ring': {
      const ring = Ring.create({ capacity: spec.capacity, producer: multi ? 'multi' : 'single', maxConsumers, waitStrategy: spec.wait });
      return ringSetup(spec, ctl, 'ring-producer', 'ring-consumer', ring as unknown as Ring<never>);
    }
    case 'bytes': {
      const ring = Ring.create({ capacity: spec.capacity, schema: { data: bytes(spec.recordBytes) }, maxConsumers, waitStrategy: spec.wait });
      return ringSetup(spec, ctl, 'bytes-producer', 'bytes-consumer', ring as unknown as Ring<never>);
    }
    case 'bytering': {
      const made = createByteRing(spec);
      return { participants: pair(spec, ctl, ['bytering-producer', 'bytering-consumer'], made.task, false), memoryBytes: made.byteLength };
    }
    case 'raw':
    case 'rawblocking': {
      const buffer = createRawRing(spec.capacity);
      const roles: [Role, Role] = spec.kind === 'raw' ? ['raw-producer', 'raw-consumer'] : ['rawblock-producer', 'rawblock-consumer'];
      return { participants: pair(spec, ctl, roles, { buffer }, false), memoryBytes: buffer.byteLength };
    }
    case 'ringbufjs': {
      const buffer = RingBuffer.getStorageForCapacity(spec.capacity, Float64Array);
      return { participants: pair(spec, ctl, ['ringbufjs-producer', 'ringbufjs-consumer'], { buffer }, false), memoryBytes: buffer.byteLength };
    }
    case 'postMessage': {
      const { port1, port2 } = new MessageChannel();
      const participants = pair(spec, ctl, ['pm-sender', 'pm-receiver'], {}, false);
      participants[0] = { ...participants[0]!, task: { ...participants[0]!.task, port: port1 }, transfer: [port1] };
      participants[1] = { ...participants[1]!, task: { ...participants[1]!.task, port: port2 }, transfer: [port2] };
      return { participants, memoryBytes: null };
    }
    case 'cost': {
      const one = (t: Partial<Task>, role: Role): Setup => ({ participants: [{ task: task(spec, ctl, role, t), transfer: [], measures: true, producer: true }], memoryBytes: null });
      if (spec.name === 'cost.spsc.item') {
        const ring = Ring.create({ capacity: spec.capacity, maxConsumers: 1, waitStrategy: spec.wait });
        return one({ descriptor: ring.descriptor, consumerId: ring.addConsumer().id }, 'cost-ring');
      }
      return one({ buffer: createRawRing(spec.capacity) }, spec.name.includes('.blocking.') ? 'cost-rawblock' : 'cost-raw');
    }
    case 'rawfizzbuzz': {
      const messages = fizzbuzzMessages(timing);
      const a = createRawRing(spec.capacity);
      const b = createRawRing(spec.capacity);
      const part = (role: Role, extra: Partial<Task>, producer: boolean): Participant => ({ task: task(spec, ctl, role, { messages, ...extra }), transfer: [], measures: false, producer });
      return {
        participants: [part('fizz-generator', { buffer: a }, true), part('fizz-worker', { buffer: a, buffer2: b }, false), part('fizz-logger', { buffer: b }, false)],
        memoryBytes: a.byteLength + b.byteLength,
        fixedCount: (reports) => {
          const [g, w, l] = reports as [WorkerReport, WorkerReport, WorkerReport];
          const [fizz, buzz, fizzbuzz, value] = l.counts!;
          return {
            opsPerSec: (messages * 1000) / (l.endMs! - g.startMs!),
            checked: checkFizzbuzz(messages, { generated: g.count, processed: w.count, fizz: fizz!, buzz: buzz!, fizzbuzz: fizzbuzz!, value: value! }),
          };
        },
      };
    }
    case 'pipeline':
      throw new Error('the pipeline case runs through runPipelineCase');
    case 'copy': {
      const buffer = new SharedArrayBuffer(spec.capacity * spec.recordBytes);
      return { participants: [{ task: task(spec, ctl, 'copy', { buffer }), transfer: [], measures: true, producer: true }], memoryBytes: buffer.byteLength };
    }
    case 'pingpong': {
      const out = Ring.create({ capacity: spec.capacity, maxConsumers: 1, waitStrategy: spec.wait });
      const back = Ring.create({ capacity: spec.capacity, maxConsumers: 1, waitStrategy: spec.wait });
      const id = out.addConsumer().id;
      back.addConsumer();
      const extra = { descriptor: out.descriptor, descriptor2: back.descriptor, consumerId: id };
      return { participants: pair(spec, ctl, ['pingpong-initiator', 'pingpong-echo'], extra, true), memoryBytes: out.byteLength + back.byteLength };
    }
    case 'onehop': {
      const ring = Ring.create({ capacity: spec.capacity, schema: { t: 'f64', k: 'i32' }, maxConsumers: 1, waitStrategy: spec.wait });
      const id = ring.addConsumer().id;
      return { participants: pair(spec, ctl, ['onehop-producer', 'onehop-consumer'], { descriptor: ring.descriptor, consumerId: id }, false), memoryBytes: ring.byteLength };
    }
  }
}

function start(p: Participant): { worker: Worker; report: Promise<WorkerReport> } {
  const worker = new Worker(ENTRY, { workerData: p.task, transferList: p.transfer });
  const report = new Promise<WorkerReport>((resolve) => {
    worker.once('message', (m: WorkerReport) => resolve(m));
    worker.once('error', (e) => resolve({ count: 0, checksum: 0, marks: [], error: `${p.task.role} crashed: ${e.message}` }));
    worker.once('exit', (code) => resolve({ count: 0, checksum: 0, marks: [], error: `${p.task.role} exited with code ${code} before reporting` }));
  });
  return { worker, report };
}

/** Waits (on timers) until `ctl[index]` counts `n` workers, failing early if one reported an error. */
async function waitCount(ctl: Int32Array, index: number, n: number, reports: Promise<WorkerReport>[], what: string): Promise<void> {
  const failed = Promise.race(reports.map((r) => r.then((m) => (m.error !== undefined ? m : undefined))));
  const deadline = Date.now() + 20_000;
  while (Atomics.load(ctl, index) < n) {
    const early = await Promise.race([failed, sleep(1).then(() => undefined)]);
    if (early !== undefined) throw new Error(early.error);
    if (Date.now() > deadline) throw new Error(`workers not ${what} after 20 s (${Atomics.load(ctl, index)}/${n})`);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const ac = new AbortController();
  try {
    return await Promise.race([p, sleep(ms, undefined, { signal: ac.signal, ref: false }).then(() => { throw new Error(`${what} did not finish within ${ms} ms`); })]);
  } finally {
    ac.abort();
  }
}

/**
 * Per-window rates (entries/s) from one report's marks. Window r runs from phase r+2 to r+3; a
 * thread busy inside a blocking call can miss a phase change, so a window starts at the last mark
 * made at or before its phase and ends at the first mark made at or after the next one.
 * Undefined where no such pair exists.
 */
export function windowRates(marks: readonly number[], runs: number): (number | undefined)[] {
  const list: [number, number, number][] = [];
  for (let i = 0; i + 2 < marks.length; i += 3) list.push([marks[i]!, marks[i + 1]!, marks[i + 2]!]);
  const rates: (number | undefined)[] = [];
  for (let r = 0; r < runs; r++) {
    const a = list.filter((m) => m[0] <= r + 2).at(-1);
    const b = list.find((m) => m[0] >= r + 3);
    rates.push(a !== undefined && b !== undefined && b[2] > a[2] ? ((b[1] - a[1]) * 1000) / (b[2] - a[2]) : undefined);
  }
  return rates;
}

function combine(spec: CaseSpec, reports: WorkerReport[], runs: number): number[] {
  const perReport = reports.map((r) => windowRates(r.marks, runs));
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const seen = perReport.map((rates) => rates[r]).filter((v): v is number => v !== undefined);
    if (seen.length === 0) continue;
    const total = seen.reduce((a, b) => a + b, 0);
    // Broadcast consumers each see every entry (mean); work-group members share them (sum).
    out.push(spec.workGroup ? (total * perReport.length) / seen.length : total / seen.length);
  }
  if (out.length === 0) {
    const marks = reports.map((r) => `[${r.marks.map((m) => Math.round(m)).join(' ')}]`).join(' ');
    throw new Error(`no measurement window was observed (phase, count, ms marks: ${marks})`);
  }
  return out;
}

function verify(spec: CaseSpec, setupParts: Participant[], reports: WorkerReport[]): string {
  const producers = reports.filter((_, i) => setupParts[i]!.producer);
  const consumers = reports.filter((_, i) => !setupParts[i]!.producer);
  if (spec.kind === 'copy') return `${producers[0]!.count} copies`;
  if (spec.kind === 'cost') return `${producers[0]!.count} entries written and read back on one thread; counts and checksums equal`;
  const produced = producers.reduce((a, r) => a + r.count, 0);
  const sum = producers.reduce((a, r) => (a + r.checksum) | 0, 0);
  if (spec.workGroup) {
    const got = consumers.reduce((a, r) => a + r.count, 0);
    const gotSum = consumers.reduce((a, r) => (a + r.checksum) | 0, 0);
    if (got !== produced || gotSum !== sum) throw new Error(`work group received ${got} entries (checksum ${gotSum}), producers published ${produced} (checksum ${sum})`);
    return `${consumers.length} members shared ${produced} entries; counts and checksums equal`;
  }
  consumers.forEach((r, i) => {
    if (r.count !== produced || r.checksum !== sum) {
      throw new Error(`consumer ${i} received ${r.count} entries (checksum ${r.checksum}), producers published ${produced} (checksum ${sum})`);
    }
  });
  return `${consumers.length} consumer(s) × ${produced} entries; counts and checksums equal`;
}

/**
 * Runs one case in fresh workers.
 * @throws when a worker fails, a case makes no progress, or a check fails (the message says which).
 */
export async function runCase(spec: CaseSpec, timing: Timing): Promise<CaseOutcome> {
  if (spec.kind === 'pipeline') return runPipelineCase(spec, timing);
  const ctlBuffer = new SharedArrayBuffer(CTL_BYTES);
  const ctl = new Int32Array(ctlBuffer);
  const s = await setup(spec, ctlBuffer, timing);
  const running = s.participants.map(start);
  const reports = running.map((r) => r.report);
  try {
    await waitCount(ctl, CTL.READY, running.length, reports, 'ready');
    Atomics.store(ctl, CTL.PHASE, 1);
    Atomics.notify(ctl, CTL.PHASE);
    await waitCount(ctl, CTL.STARTED, running.length, reports, 'started');
    if (s.fixedCount !== undefined) {
      const all = await withTimeout(Promise.all(reports), DRAIN_TIMEOUT_MS, `${spec.name}: the threads`);
      const failed = all.find((r) => r.error !== undefined);
      if (failed !== undefined) throw new Error(failed.error);
      const { opsPerSec, checked } = s.fixedCount(all);
      return { spec, opsPerSec, windowRates: [opsPerSec], latency: null, memoryBytes: s.memoryBytes, threads: running.length, checked };
    }
    await sleep(timing.warmupMs);
    for (let r = 0; r < timing.runs; r++) {
      Atomics.store(ctl, CTL.PHASE, r + 2);
      await sleep(timing.windowMs);
    }
    Atomics.store(ctl, CTL.PHASE, timing.runs + 2);
    await sleep(1);
    Atomics.store(ctl, CTL.STOP, 1);
    const producerReports = reports.filter((_, i) => s.participants[i]!.producer);
    await withTimeout(Promise.all(producerReports), DRAIN_TIMEOUT_MS, `${spec.name}: the producers`);
    s.afterProducers?.();
    const all = await withTimeout(Promise.all(reports), DRAIN_TIMEOUT_MS, `${spec.name}: the consumers`);
    const failed = all.find((r) => r.error !== undefined);
    if (failed !== undefined) throw new Error(failed.error);
    const checked = verify(spec, s.participants, all);
    const measured = all.filter((_, i) => s.participants[i]!.measures);
    const rates = combine(spec, measured, timing.runs);
    const latency = measured.find((r) => r.latency !== undefined)?.latency ?? null;
    return {
      spec,
      opsPerSec: median(rates),
      windowRates: rates,
      latency,
      memoryBytes: s.memoryBytes,
      threads: running.length,
      checked,
    };
  } finally {
    await Promise.all(running.map((r) => r.worker.terminate()));
  }
}
