/**
 * Runs one stress scenario (scenario.ts) on real worker threads: creates the structure, starts the
 * consumers in topological order (each registers itself, so it carries its worker's owner tag),
 * then the producers; kills and recovers participants at the planned points; closes the ring (or
 * lets the single producer close it); and hands every report to the verdict (stress-verdict.ts).
 *
 * A watchdog ends a run that stops making progress (no entry handled by anyone for
 * `stallLimitMs`) or outlives `maxMs`, with a dump of the ring's state: a hang is a failure
 * like any other, and the run never hangs the caller.
 */
import { Worker } from 'node:worker_threads';
import {
  bytes, ByteRing, Ring, RingBuffer, SlotPool, type RegionDescriptor, type Schema,
} from '../../src/index.js';
import { FINAL_SEQUENCE_OFFSET } from '../../src/layout.js';
import { HANDLE_SCHEMA } from '../fixtures/stress-facade-roles.js';
import {
  BoardEntry, boardLength, CLAIMED_WORD, INTENT_WORD, LAPPED_WORD, PROGRESS_WORD, PUBLISHED_WORD, requestStop, STATE_WORD, WORKER_STATE,
} from '../fixtures/stress-board.js';
import type { Fate, StressReport, StressRole, StressTask } from '../fixtures/stress-task.js';
import { describeScenario, type NodePlan, type ProducerPlan, type Scenario } from './scenario.js';
import { verdict, type Participant } from './stress-verdict.js';

const STRESS_WORKER = new URL('../fixtures/stress-worker.js', import.meta.url);

/** How one scenario went. */
export interface ScenarioResult {
  seed: number;
  scenario: string;
  ok: boolean;
  failures: string[];
  /** Entries (records, items) published by all producers. */
  published: number;
  /** Entries every reader checked and trusted, summed over readers. */
  checked: number;
  ms: number;
}

export interface RunOptions {
  /** No progress by anyone for this long is a hang. Defaults to 15 s. */
  stallLimitMs?: number;
  /** The whole scenario may take this long. Defaults to 120 s. */
  maxMs?: number;
}

/** The structure under test, as the orchestrator's thread sees it. */
interface Structure {
  descriptor?: RegionDescriptor;
  ring?: Ring<Schema>;
  byteRing?: ByteRing;
  facade?: RingBuffer;
  pool?: SlotPool;
  /** The handle ring of a slot pool, or the ring itself. */
  closeable?: { close(): void };
  lapMask: number;
}

function schemaOf(s: Scenario): Schema {
  const schema: Record<string, Schema[string]> = { p: 'i32', k: 'i32', check: 'i32' };
  if (s.tail > 0) schema.tail = bytes(s.tail);
  s.nodes.forEach((n, i) => { if (n.marks) schema[`m${i}`] = 'i32'; });
  return schema;
}

function tableSize(s: Scenario): number {
  return s.nodes.reduce((n, node) => n + (node.kind === 'group' ? 1 + node.members : 1), 0);
}

function build(s: Scenario): Structure {
  const producer = s.multi ? 'multi' : 'single';
  const lossy = s.lossy !== 'no';
  const lossyPolicy = s.lossy === 'skip' ? 'skip' : 'error';
  switch (s.kind) {
    case 'ring': {
      const ring = Ring.create<Schema>({
        capacity: s.capacity, schema: schemaOf(s), producer, maxConsumers: tableSize(s), lossy, lossyPolicy,
        evictAfterMs: s.evictAfterMs, initialSequence: s.initial,
      });
      return { descriptor: ring.descriptor, ring, closeable: ring, lapMask: 0 };
    }
    case 'byteRing': {
      const byteRing = ByteRing.create({
        capacity: s.capacity, producer, maxReaders: tableSize(s), lossy, lossyPolicy, evictAfterMs: s.evictAfterMs,
        initialPosition: s.initial, maxBatch: s.maxBatch,
      });
      return { descriptor: byteRing.descriptor, byteRing, closeable: byteRing, lapMask: s.capacity - 1 };
    }
    case 'ringBuffer':
      return { facade: new RingBuffer({ slotBytes: s.slotBytes, slotCount: s.capacity, maxReaders: s.nodes.length }), lapMask: 0 };
    case 'slotPool': {
      const pool = SlotPool.create({ slotBytes: s.slotBytes, slotCount: s.slotCount, whenFull: s.whenFull });
      const ring = Ring.create<Schema>({ capacity: s.capacity, schema: HANDLE_SCHEMA, producer, maxConsumers: s.nodes.length, initialSequence: s.initial });
      return { descriptor: ring.descriptor, ring, pool, closeable: ring, lapMask: 0 };
    }
  }
}

/** The ring's final sequence (typed: last sequence; byte ring: end position), read from its STATE block. */
function finalOf(d: RegionDescriptor): number {
  return Atomics.load(new Int32Array(d.buffer, d.byteOffset + FINAL_SEQUENCE_OFFSET, 1), 0);
}

class Run {
  readonly participants: Participant[] = [];
  readonly failures: string[] = [];
  private readonly board: SharedArrayBuffer;
  private readonly st: Structure;
  private nextWorker = 0;
  private nextProducerId = 0;

  constructor(private readonly s: Scenario) {
    this.st = build(s);
    // consumers + members + producers + one replacement producer
    this.board = new SharedArrayBuffer(boardLength(tableSize(s) + s.producers.length + 1));
    // RingBuffer readers finish as soon as no writer is registered: register the writers first.
    if (s.kind === 'ringBuffer') for (let i = 0; i < s.producers.length; i++) this.st.facade!.newWriter();
  }

  private baseTask(role: StressRole, fate: Fate, wait: 'phased' | 'async'): StressTask {
    const s = this.s;
    return {
      role, worker: this.nextWorker++, seed: (s.seed * 7919 + this.nextWorker * 104729) | 0, board: this.board,
      descriptor: this.st.descriptor, facade: this.st.facade?.descriptor, pool: this.st.pool?.descriptor,
      wait, fate, producers: s.producers.length + (s.replaceDeadProducer ? 1 : 0), lossy: s.lossy !== 'no',
      producerId: -1, count: 0, maxBatch: 1, claim: 'add', closeWhenDone: false, maxLength: s.maxLength, tail: s.tail,
      markColumns: s.nodes.flatMap((n, i) => (n.marks ? [`m${i}`] : [])),
      node: -1, after: [], consumerId: -1, maxPoll: 1, pauseEvery: 0, pauseMs: 0, writeMark: '', checkMarks: [], copying: false,
      readers: s.nodes.length, abandonEvery: s.abandonEvery, holdMs: s.holdMs,
    };
  }

  private spawn(task: StressTask, plan: Participant['plan']): Participant {
    const worker = new Worker(STRESS_WORKER, { workerData: task });
    let resolveReady!: (id: number) => void;
    const ready = new Promise<number>((r) => { resolveReady = r; });
    const p: Participant = {
      task, plan, worker, entry: new BoardEntry(this.board, task.worker), report: undefined, killed: false, killSnapshot: undefined,
      ready, done: undefined as unknown as Promise<void>, consumerId: -1,
    };
    p.done = new Promise<void>((resolve) => {
      worker.on('message', (m: { ready?: number; report?: StressReport }) => {
        if (m.ready !== undefined) {
          p.consumerId = m.ready;
          resolveReady(m.ready);
        }
        if (m.report !== undefined) {
          p.report = m.report;
          resolve();
        }
      });
      worker.on('error', (e) => {
        if (!p.killed) this.failures.push(`${task.role} worker ${task.worker} crashed: ${e.stack ?? e.message}`);
        resolve();
      });
      worker.on('exit', () => resolve());
    });
    this.participants.push(p);
    return p;
  }

  private consumerTask(i: number, n: NodePlan, role: StressRole, after: number[], consumerId: number): StressTask {
    const t = this.baseTask(role, n.fate, n.wait);
    const ancestors = new Set<number>();
    const visit = (j: number): void => { for (const a of this.s.nodes[j]!.after) if (!ancestors.has(a)) { ancestors.add(a); visit(a); } };
    visit(i);
    return {
      ...t, node: i, after, consumerId, maxPoll: n.maxPoll, pauseEvery: n.pauseEvery, pauseMs: n.pauseMs,
      writeMark: n.marks ? `m${i}` : '', checkMarks: [...ancestors].filter((a) => this.s.nodes[a]!.marks).map((a) => ({ column: `m${a}`, node: a })),
      copying: n.copying,
    };
  }

  private producerTask(plan: ProducerPlan, count: number): StressTask {
    const s = this.s;
    const role: StressRole = { ring: 'ring-produce', byteRing: 'byte-produce', ringBuffer: 'rb-write', slotPool: 'pool-produce' }[s.kind] as StressRole;
    return {
      ...this.baseTask(role, plan.fate, plan.wait), producerId: this.nextProducerId++, count, maxBatch: plan.maxBatch, claim: plan.claim,
      closeWhenDone: !s.multi && s.kind !== 'ringBuffer',
    };
  }

  /** Starts the consumers in topological order, each ready (registered and polled once) before the next. */
  async startConsumers(): Promise<void> {
    const s = this.s;
    const ids: number[] = [];
    const role: StressRole = { ring: 'ring-consume', byteRing: 'byte-read', ringBuffer: 'rb-read', slotPool: 'pool-read' }[s.kind] as StressRole;
    for (const [i, n] of s.nodes.entries()) {
      const after = n.after.map((j) => ids[j]!);
      if (n.kind === 'group') {
        const g = this.st.ring!.addWorkGroup({ members: n.members, after });
        ids.push(g.id);
        for (const id of g.memberIds) await this.ready(this.spawn(this.consumerTask(i, { ...n, marks: false }, role, [], id), n));
        continue;
      }
      const reader = s.kind === 'ringBuffer' ? this.st.facade!.newReader().id : -1;
      ids.push(await this.ready(this.spawn(this.consumerTask(i, n, role, after, reader), n)));
    }
  }

  private async ready(p: Participant): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<number>((_, reject) => { timer = setTimeout(() => reject(new Error(`${p.task.role} worker ${p.task.worker} was not ready after 60 s`)), 60_000); });
    try {
      return await Promise.race([p.ready, late, p.done.then(() => { throw new Error(`${p.task.role} worker ${p.task.worker} ended before it was ready: ${p.report?.errors.join('; ') ?? ''}`); })]);
    } finally {
      clearTimeout(timer);
    }
  }

  startProducers(): void {
    const s = this.s;
    for (const plan of s.producers) this.spawn(this.producerTask(plan, s.perProducer), plan);
  }

  private producersOf(): Participant[] {
    return this.participants.filter((p) => p.task.producerId >= 0);
  }

  /** Terminates `p` and recovers what it held, as planned. */
  private async kill(p: Participant): Promise<void> {
    p.killed = true;
    await p.worker.terminate();
    // Read after the worker has stopped: a worker killed at a random instant runs on until then.
    p.killSnapshot = { published: p.entry.get(PUBLISHED_WORD), claimed: p.entry.get(CLAIMED_WORD), intent: p.entry.get(INTENT_WORD) };
    const s = this.s;
    const owner = p.task.worker + 1;
    const producer = p.task.producerId >= 0;
    if (s.kind === 'ringBuffer') {
      if (producer) this.st.facade!.writerDone();
      else this.st.facade!.forget(p.report?.consumerId ?? p.task.consumerId);
      return;
    }
    const ring = (this.st.ring ?? this.st.byteRing)!;
    if (producer || (p.plan as NodePlan).recovery === 'recover') ring.recover(owner);
    if (producer && !s.multi) {
      if (s.replaceDeadProducer) {
        const plan: ProducerPlan = { ...(p.plan as ProducerPlan), fate: { kind: 'live', at: 0, where: 'between', stallMs: 0 } };
        this.spawn(this.producerTask(plan, Math.max(50, Math.floor(Math.abs(s.perProducer) / 2))), plan);
      }
      else this.st.closeable!.close();
    }
  }

  /** Watches the run until every participant is done (or killed), closing and killing as planned. */
  async supervise(options: Required<RunOptions>): Promise<void> {
    const s = this.s;
    const t0 = Date.now();
    let lastProgress = -1;
    let lastProgressAt = t0;
    let closed = false;
    let stopped = false;
    let raceFrom: number | undefined;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const now = Date.now();
      for (const p of this.participants) {
        if (p.killed || p.report !== undefined || p.plan.fate.kind !== 'kill') continue;
        const f = p.plan.fate;
        const parked = p.entry.get(STATE_WORD) === WORKER_STATE.parked;
        if (f.where === 'random' ? p.entry.get(PROGRESS_WORD) >= f.at : parked) await this.kill(p);
      }
      const progress = this.participants.reduce((n, p) => n + p.entry.get(PROGRESS_WORD), 0);
      if (progress !== lastProgress) {
        lastProgress = progress;
        lastProgressAt = now;
      }
      const producers = this.producersOf();
      const producing = producers.some((p) => !p.killed && p.report === undefined);
      // The close race starts counting once the producers are publishing (workers take a while to start).
      if (raceFrom === undefined && producers.some((p) => p.entry.get(PUBLISHED_WORD) > 0)) raceFrom = now;
      if (s.close === 'race' && !closed && !stopped && raceFrom !== undefined && now - raceFrom >= s.raceAfterMs) {
        if (s.multi) {
          this.st.closeable!.close();
          closed = true;
        } else {
          requestStop(this.board);
          stopped = true;
        }
      }
      if (!producing && !closed && s.multi && this.st.closeable !== undefined) {
        this.st.closeable.close();
        closed = true;
      }
      if (this.participants.every((p) => p.killed || p.report !== undefined)) return;
      if (now - lastProgressAt > options.stallLimitMs || now - t0 > options.maxMs) {
        this.failures.push(`hang: ${now - lastProgressAt > options.stallLimitMs ? `no progress for ${now - lastProgressAt} ms` : `still running after ${now - t0} ms`}\n${this.dump()}`);
        return;
      }
    }
  }

  /** The state of everything, for a hang report. */
  dump(): string {
    const lines: string[] = [];
    const ring = this.st.ring ?? this.st.byteRing;
    if (ring !== undefined) lines.push(ring.describe().split('\n').map((l) => `  ${l}`).join('\n'));
    for (const p of this.participants) {
      const e = p.entry;
      const state = p.killed ? 'killed' : p.report !== undefined ? 'done' : ['starting', 'running', 'parked', 'done'][e.get(STATE_WORD)] ?? '?';
      lines.push(`  worker ${p.task.worker} ${p.task.role}${p.task.producerId >= 0 ? ` producer ${p.task.producerId}` : ` node ${p.task.node} consumer ${p.consumerId}`}: ${state}, progress ${e.get(PROGRESS_WORD)}` +
        (p.task.producerId >= 0 ? `, claimed ${e.get(CLAIMED_WORD)}, published ${e.get(PUBLISHED_WORD)}` : `, released up to ${this.sequenceOf(p.consumerId)}, LappedErrors caught ${e.get(LAPPED_WORD)}`));
    }
    return lines.join('\n');
  }

  /** Where consumer `id` has released up to (a query), or '?' when it cannot be read. */
  private sequenceOf(id: number): string {
    try {
      if (id < 0) return '?';
      if (this.st.ring !== undefined) return String(this.st.ring.consumerSequence(id));
      if (this.st.byteRing !== undefined) return String(this.st.byteRing.openReader(id).position);
      if (this.st.facade !== undefined) return `lag ${this.st.facade.lag(id)}`;
    } catch (e) {
      return `? (${(e as Error).message})`;
    }
    return '?';
  }

  async finish(): Promise<void> {
    await Promise.all(this.participants.map(async (p) => {
      if (p.report === undefined && !p.killed) await p.worker.terminate();
    }));
  }

  final(): number | undefined {
    return this.st.descriptor === undefined ? undefined : finalOf(this.st.descriptor);
  }

  poolOverwrites(): number {
    return this.st.pool?.stats().overwrites ?? 0;
  }
}

/** Runs scenario `s` to the end and judges it. Never throws for a failing scenario: the result says. */
export async function runScenario(s: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const opts = { stallLimitMs: options.stallLimitMs ?? 15_000, maxMs: options.maxMs ?? 120_000 };
  const t0 = Date.now();
  let run: Run | undefined;
  const failures: string[] = [];
  try {
    run = new Run(s);
    await run.startConsumers();
    run.startProducers();
    await run.supervise(opts);
  } catch (e) {
    failures.push(`the run failed: ${(e as Error).stack ?? String(e)}${run !== undefined ? `\n${run.dump()}` : ''}`);
  } finally {
    await run?.finish();
  }
  let published = 0;
  let checked = 0;
  if (run !== undefined) {
    failures.push(...run.failures);
    if (failures.length === 0) {
      const v = verdict(s, run.participants, run.final(), run.poolOverwrites());
      failures.push(...v.failures);
      published = v.published;
      checked = v.checked;
    } else {
      published = run.participants.reduce((n, p) => n + (p.task.producerId >= 0 ? p.entry.get(PUBLISHED_WORD) : 0), 0);
    }
  }
  return { seed: s.seed, scenario: describeScenario(s), ok: failures.length === 0, failures, published, checked, ms: Date.now() - t0 };
}
