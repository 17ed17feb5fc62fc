/**
 * `@ringkit/nats` measurements, run by `ringkit bench --only nats.` and by the standalone script
 * `node packages/nats/dist/src/bench.js [--rounds N] [--url nats://…] [--only <text>] [--json]`;
 * without a URL it starts its own `nats-server -js` on a free loopback port, store in a temp dir.
 *
 * Entries/s ring → JetStream → ring in one process (producer, sink, server, source and consumer
 * all running), packed and one entry per message, for 8-byte and 1 KiB entries, beside a plain
 * `@nats-io/jetstream` loop moving the same payloads (publish with `msgID`, at most 256 in
 * flight, a durable pull consumer fetching and acknowledging), and core NATS (no JetStream)
 * packed and per entry. A warm-up round runs every case once first, not counted (the JIT, the
 * server's first streams). Cases alternate round by round (every other round, each per-entry case
 * and its plain loop swap places); each JetStream case's stream is deleted after it is
 * measured; each JetStream case moves about 0.5–1 s of entries on this 2-core VM, so a run is
 * long beside the time its pipeline takes to fill and drain. The report gives each case's median
 * and the same-run ratios (median, min–max over the rounds), and end-to-end latency
 * percentiles (produce → far consumer, at full load: queueing included). `--only <text>` runs
 * the cases whose name contains it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bytes, describe, InvalidArgumentError, POLL_CLOSED, Ring, type Schema } from '@ringkit/core';
import { connectNats } from './connection.js';
import { RingSink } from './ring-sink.js';
import { RingSource } from './ring-source.js';
import { freePort, natsServerBinary } from './server-binary.js';

const SCHEMA_8 = { t: 'f64' } as const;
const SCHEMA_1K = { t: 'f64', pad: bytes(1016) } as const;

interface Case {
  name: string;
  kind: 'bridge' | 'plain';
  transport: 'jetstream' | 'core';
  mode: 'packed' | 'entry';
  schema: Schema;
  entryBytes: number;
  entries: number;
}

/** Every case, in run order. */
const CASES: Case[] = [
  { name: 'nats.packed.8B', kind: 'bridge', transport: 'jetstream', mode: 'packed', schema: SCHEMA_8, entryBytes: 8, entries: 1_000_000 },
  { name: 'nats.entry.8B', kind: 'bridge', transport: 'jetstream', mode: 'entry', schema: SCHEMA_8, entryBytes: 8, entries: 20_000 },
  { name: 'nats.plain.8B', kind: 'plain', transport: 'jetstream', mode: 'entry', schema: SCHEMA_8, entryBytes: 8, entries: 20_000 },
  { name: 'nats.packed.1KiB', kind: 'bridge', transport: 'jetstream', mode: 'packed', schema: SCHEMA_1K, entryBytes: 1024, entries: 200_000 },
  { name: 'nats.entry.1KiB', kind: 'bridge', transport: 'jetstream', mode: 'entry', schema: SCHEMA_1K, entryBytes: 1024, entries: 20_000 },
  { name: 'nats.plain.1KiB', kind: 'plain', transport: 'jetstream', mode: 'entry', schema: SCHEMA_1K, entryBytes: 1024, entries: 20_000 },
  { name: 'nats.core.packed.8B', kind: 'bridge', transport: 'core', mode: 'packed', schema: SCHEMA_8, entryBytes: 8, entries: 1_000_000 },
  { name: 'nats.core.entry.8B', kind: 'bridge', transport: 'core', mode: 'entry', schema: SCHEMA_8, entryBytes: 8, entries: 100_000 },
];

interface Result { perSec: number; latency: number[] }

let streams = 0;
async function freshStream(nc: NatsConnection): Promise<string> {
  const n = ++streams;
  await (await jetstreamManager(nc)).streams.add({ name: `B${n}`, subjects: [`b${n}.>`] });
  return `b${n}.data`;
}

/**
 * Deletes the stream of `subject` once its case is measured: the next case does not run while
 * the server (and the kernel) still hold and write back a previous case's 100 MB.
 */
async function dropStream(nc: NatsConnection, subject: string): Promise<void> {
  await (await jetstreamManager(nc)).streams.delete(`B${subject.slice(1, subject.indexOf('.'))}`);
}

/**
 * The cases of round `r` in run order: every other round, each per-entry bridge case and the
 * plain loop after it swap places, so neither is always the one that follows a packed case.
 */
function roundOrder(cases: readonly Case[], r: number): Case[] {
  const order = cases.slice();
  if ((r & 1) === 0) return order;
  for (let i = 0; i + 1 < order.length; i++) {
    const a = order[i]!;
    const b = order[i + 1]!;
    if (a.kind === 'bridge' && a.mode === 'entry' && a.transport === 'jetstream' && b.kind === 'plain' && b.entryBytes === a.entryBytes) {
      order[i] = b;
      order[i + 1] = a;
      i++;
    }
  }
  return order;
}

/** Latency samples (ms) → p50, p99, max. */
function percentiles(samples: number[]): number[] {
  const s = samples.slice().sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return [at(0.5), at(0.99), s.at(-1) ?? NaN];
}

async function bridge(nc: NatsConnection, c: Case): Promise<Result> {
  const subject = c.transport === 'jetstream' ? await freshStream(nc) : `core${++streams}.data`;
  const capacity = 1 << 14;
  const near = Ring.create({ capacity, schema: c.schema });
  const far = Ring.create({ capacity: c.transport === 'core' ? 1 << 20 : capacity, schema: c.schema });
  const consumer = far.addConsumer();
  const source = await RingSource.start({ ring: far, connection: nc, subject, durable: 'bench', transport: c.transport, closeAfterEnds: 1 });
  const sink = await RingSink.start({ ring: near, connection: nc, subject, transport: c.transport, mode: c.mode });
  const latency: number[] = [];
  const t0 = performance.now();
  const produce = (async () => {
    const p = near.producer();
    const col = near.columns.t as Float64Array;
    for (let i = 0; i < c.entries;) {
      const n = Math.min(c.entries - i, 1024);
      const hi = await p.claimAsync(n);
      const now = performance.now();
      for (let s = p.lo, k = 0; k < n; k++, s = (s + 1) | 0) col[s & near.mask] = now;
      p.publish(hi);
      i += n;
      if ((i & 0xffff) < n) await new Promise((r) => setImmediate(r));
    }
    p.close();
  })();
  let got = 0;
  const col = far.columns.t as Float64Array;
  for (;;) {
    const n = await consumer.pollAsync();
    if (n === POLL_CLOSED) break;
    const now = performance.now();
    for (let k = 0; k < n; k += 97) latency.push(now - col[consumer.batch.index(k)]!);
    got += n;
    consumer.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all([produce, sink.done, source.done]);
  if (c.transport === 'jetstream' && got !== c.entries) throw new Error(`${c.name}: ${got} of ${c.entries} entries arrived`);
  if (c.transport === 'jetstream') await dropStream(nc, subject);
  return { perSec: got / seconds, latency };
}

/** The plain client loop: the same payloads published (msgID, ≤ 256 in flight) and consumed by a durable pull consumer. */
async function plain(nc: NatsConnection, c: Case): Promise<Result> {
  const subject = await freshStream(nc);
  const stream = `B${streams}`;
  const js = jetstream(nc);
  await (await jetstreamManager(nc)).consumers.add(stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(stream, 'bench');
  const latency: number[] = [];
  const t0 = performance.now();
  const publish = (async () => {
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < c.entries; i++) {
      const payload = new Uint8Array(c.entryBytes);
      new DataView(payload.buffer).setFloat64(0, performance.now(), true);
      const p = js.publish(subject, payload, { msgID: `plain:${i}` }).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 256) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  })();
  let got = 0;
  while (got < c.entries) {
    const iter = await consumer.fetch({ max_messages: Math.min(256, c.entries - got), expires: 1000 });
    for await (const m of iter) {
      const d = m.data;
      if ((got % 97) === 0) latency.push(performance.now() - new DataView(d.buffer, d.byteOffset, 8).getFloat64(0, true));
      m.ack();
      got++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  await publish;
  await dropStream(nc, subject);
  return { perSec: got / seconds, latency };
}

/** A count of rounds: an integer in [min, 100], or `fallback` when not given. */
function roundsOption(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 100) {
    throw new InvalidArgumentError(`options.${name} must be an integer in [${min}, 100]: ${name}=${describe(value)}`);
  }
  return value;
}

/** The names of the NATS bench cases (`nats.packed.8B`, …). */
export const NATS_CASES: readonly string[] = CASES.map((c) => c.name);

/** Options of {@link runNatsBench}. */
export interface NatsBenchOptions {
  /** Rounds counted (cases alternate round by round), an integer in [1, 100]. Defaults to 5. */
  rounds?: number;
  /** Rounds run first and not counted, an integer in [0, 100]. Defaults to 1. */
  warmupRounds?: number;
  /** A running server with JetStream; without it the bench starts its own `nats-server -js`. */
  url?: string;
  /** Only the cases whose name contains one of these. Defaults to all. */
  only?: readonly string[];
  /** Called before each case of each round (`round` < 0: a warm-up round). */
  onProgress?: (round: number, rounds: number, name: string) => void;
}

/** A same-run ratio over the rounds. */
export interface NatsBenchRatio { median: number; min: number; max: number }

/** What {@link runNatsBench} measured. */
export interface NatsBenchReport {
  /** Rounds counted. */
  rounds: number;
  /** Warm-up rounds run before them, not counted. */
  warmupRounds: number;
  /** Per case: median entries/s, end-to-end latency percentiles (ms, over all rounds, at full load). */
  results: Array<{ name: string; entriesPerSec: number; latencyMs: { p50: number; p99: number; max: number } }>;
  /** Same-run ratios (packed/entry, entry/plain, core packed/entry) whose both cases ran. */
  ratios: Record<string, NatsBenchRatio>;
}

/** Runs the NATS bench cases (see the module's documentation). */
export async function runNatsBench(options: NatsBenchOptions = {}): Promise<NatsBenchReport> {
  const only = options.only ?? [];
  const cases = CASES.filter((c) => only.length === 0 || only.some((t) => c.name.includes(t)));
  const rounds = roundsOption(options.rounds, 'rounds', 5, 1);
  const warmupRounds = roundsOption(options.warmupRounds, 'warmupRounds', 1, 0);
  let server: ChildProcess | undefined;
  let dir: string | undefined;
  let url = options.url;
  if (url === undefined) {
    dir = mkdtempSync(join(tmpdir(), 'ringkit-nats-bench-'));
    const port = await freePort();
    server = spawn(natsServerBinary(), ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    url = `nats://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        await (await connect({ servers: url })).close();
        break;
      } catch (e) {
        if (i > 100) {
          server.kill();
          throw e;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  // One connection for every case, the plain loop's included (connectNats: no per-request Error objects).
  const results = new Map<string, Result[]>(CASES.map((c) => [c.name, []]));
  try {
    const nc = await connectNats({ servers: url });
    try {
      for (let r = -warmupRounds; r < rounds; r++) {
        for (const c of roundOrder(cases, r)) {
          options.onProgress?.(r, rounds, c.name);
          const result = c.kind === 'plain' ? await plain(nc, c) : await bridge(nc, c);
          if (r >= 0) results.get(c.name)!.push(result);
        }
      }
    } finally {
      await nc.close();
    }
  } finally {
    server?.kill();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
  const ratio = (a: string, b: string): NatsBenchRatio => {
    const rs = results.get(a)!.map((x, i) => x.perSec / (results.get(b)![i]?.perSec ?? NaN));
    return rs.length === 0 ? { median: NaN, min: NaN, max: NaN } : { median: median(rs), min: Math.min(...rs), max: Math.max(...rs) };
  };
  const rows = cases.map((c) => {
    const rs = results.get(c.name)!;
    const [p50, p99, max] = percentiles(rs.flatMap((x) => x.latency));
    return { name: c.name, entriesPerSec: median(rs.map((x) => x.perSec)), latencyMs: { p50: p50!, p99: p99!, max: max! } };
  });
  const ratios: Record<string, NatsBenchRatio> = {
    'packed/entry 8B': ratio('nats.packed.8B', 'nats.entry.8B'),
    'packed/entry 1KiB': ratio('nats.packed.1KiB', 'nats.entry.1KiB'),
    'entry/plain 8B': ratio('nats.entry.8B', 'nats.plain.8B'),
    'entry/plain 1KiB': ratio('nats.entry.1KiB', 'nats.plain.1KiB'),
    'core packed/entry 8B': ratio('nats.core.packed.8B', 'nats.core.entry.8B'),
  };
  for (const [k, v] of Object.entries(ratios)) if (!Number.isFinite(v.median)) delete ratios[k];
  return { rounds, warmupRounds, results: rows, ratios };
}

/** The report as text rows (one per case, then the ratios). */
export function formatNatsBench(report: NatsBenchReport): string {
  const warmup = report.warmupRounds === 0 ? '' : ` after ${report.warmupRounds} warm-up round${report.warmupRounds === 1 ? '' : 's'}`;
  const lines = [`@ringkit/nats, ring → NATS → ring in one process, ${report.rounds} rounds${warmup} (median; latency over all rounds, at full load)`];
  for (const r of report.results) {
    lines.push(`${r.name.padEnd(22)} ${(r.entriesPerSec / 1e6).toFixed(3).padStart(9)} M entries/s   latency p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms, max ${r.latencyMs.max.toFixed(1)} ms`);
  }
  for (const [k, v] of Object.entries(report.ratios)) lines.push(`${k.padEnd(22)} ${v.median.toFixed(2)}× (min ${v.min.toFixed(2)}×, max ${v.max.toFixed(2)}×)`);
  return `${lines.join('\n')}\n`;
}
