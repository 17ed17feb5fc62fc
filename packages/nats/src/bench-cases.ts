/**
 * The NATS bench cases themselves: one run of a case on a connection. bench-run.ts schedules
 * them, each in a process of its own (bench-case.ts).
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { bytes, POLL_CLOSED, Ring, type Schema } from '@ringkit/core';
import { RingSink } from './ring-sink.js';
import { RingSource } from './ring-source.js';

const SCHEMA_8 = { t: 'f64' } as const;
const SCHEMA_1K = { t: 'f64', pad: bytes(1016) } as const;

/** One bench case. */
export interface Case {
  name: string;
  kind: 'bridge' | 'plain';
  transport: 'jetstream' | 'core';
  mode: 'packed' | 'entry';
  schema: Schema;
  entryBytes: number;
  entries: number;
}

/** Every case, in run order. */
export const CASES: readonly Case[] = [
  { name: 'nats.packed.8B', kind: 'bridge', transport: 'jetstream', mode: 'packed', schema: SCHEMA_8, entryBytes: 8, entries: 4_000_000 },
  { name: 'nats.entry.8B', kind: 'bridge', transport: 'jetstream', mode: 'entry', schema: SCHEMA_8, entryBytes: 8, entries: 20_000 },
  { name: 'nats.plain.8B', kind: 'plain', transport: 'jetstream', mode: 'entry', schema: SCHEMA_8, entryBytes: 8, entries: 20_000 },
  { name: 'nats.packed.1KiB', kind: 'bridge', transport: 'jetstream', mode: 'packed', schema: SCHEMA_1K, entryBytes: 1024, entries: 200_000 },
  { name: 'nats.entry.1KiB', kind: 'bridge', transport: 'jetstream', mode: 'entry', schema: SCHEMA_1K, entryBytes: 1024, entries: 20_000 },
  { name: 'nats.plain.1KiB', kind: 'plain', transport: 'jetstream', mode: 'entry', schema: SCHEMA_1K, entryBytes: 1024, entries: 20_000 },
  { name: 'nats.core.packed.8B', kind: 'bridge', transport: 'core', mode: 'packed', schema: SCHEMA_8, entryBytes: 8, entries: 8_000_000 },
  { name: 'nats.core.entry.8B', kind: 'bridge', transport: 'core', mode: 'entry', schema: SCHEMA_8, entryBytes: 8, entries: 100_000 },
];

/** What one run of a case measured: entries/s, and latency samples (ms, produce → far consumer). */
export interface Result { perSec: number; latency: number[] }

/** Names of this process's streams: `B<case index>_<pid>_<n>` (unique on a server shared by several runs). */
let streams = 0;
function streamName(c: Case): string {
  return `B${CASES.indexOf(c)}_${process.pid}_${++streams}`;
}

/** A new stream for one run of `c`, and the subject its entries go to. */
async function freshStream(nc: NatsConnection, c: Case): Promise<{ stream: string; subject: string }> {
  const stream = streamName(c);
  await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.>`] });
  return { stream, subject: `${stream.toLowerCase()}.data` };
}

/**
 * Deletes the stream once its case is measured: the next case does not run while the server
 * (and the kernel) still hold and write back a previous run's 200 MB.
 */
async function dropStream(nc: NatsConnection, stream: string): Promise<void> {
  await (await jetstreamManager(nc)).streams.delete(stream);
}

async function bridge(nc: NatsConnection, c: Case): Promise<Result> {
  const { stream, subject } = c.transport === 'jetstream' ? await freshStream(nc, c) : { stream: '', subject: `${streamName(c).toLowerCase()}.core` };
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
  if (c.transport === 'jetstream') await dropStream(nc, stream);
  return { perSec: got / seconds, latency };
}

/** The plain client loop: the same payloads published (msgID, ≤ 256 in flight) and consumed by a durable pull consumer. */
async function plain(nc: NatsConnection, c: Case): Promise<Result> {
  const { stream, subject } = await freshStream(nc, c);
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
  await dropStream(nc, stream);
  return { perSec: got / seconds, latency };
}

/** Runs `c` once on `nc`. */
export function runCase(nc: NatsConnection, c: Case): Promise<Result> {
  return c.kind === 'plain' ? plain(nc, c) : bridge(nc, c);
}
