/**
 * `ringkit bench --shm`: the cross-process cases (`shm.*`) beside their in-process twins
 * (`inproc.*`, the same loops in worker threads) and two process baselines (`process.send`
 * child_process IPC, a Unix-domain socket stream), in alternating rounds of the same run, with
 * ratios taken per round (so a slow moment of the machine hits both sides of a ratio).
 *
 * | case                    | what                                                            |
 * |-------------------------|-----------------------------------------------------------------|
 * | inproc / shm.spsc.item  | 1 producer, 1 consumer (busy spin), publish per entry, 64 Ki ring |
 * | inproc / shm.spsc.batch | the same, claims of 64                                          |
 * | inproc / shm.wake.rtt   | sleep/wake ping-pong: Atomics.wait/notify vs futex              |
 * | baseline.raw.spsc.item  | a minimal plain-JS SPSC ring (no ringkit) in two threads, per item |
 * | baseline.process.send   | one number per `process.send` message, parent counts them       |
 * | baseline.unix.socket    | 8-byte records over a Unix socket stream, 64 KiB writes         |
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Ring } from '@ringkit/core';
import type { RoleArgs } from './roles.js';
import { RAW_CAPACITY, SCHEMA } from './schema.js';

const ROLES = fileURLToPath(new URL('./roles.js', import.meta.url));
const CAPACITY = 1 << 16;
const BATCH = 64;

/** Options of {@link runShmBench}. */
export interface ShmBenchOptions {
  /** Alternating rounds of every case. Defaults to 5. */
  rounds?: number;
  /** Producer run time per throughput case (ms). Defaults to 1000. */
  windowMs?: number;
  /** Round trips per wake case. Defaults to 3000. */
  rtts?: number;
  /**
   * Producer and consumer busy-spin instead of the default `phased` (spin, then sleep): only on
   * a quiet machine with a core for each (2 here); under load spinning collapses. Defaults to false.
   */
  spin?: boolean;
  onProgress?: (round: number, rounds: number, name: string) => void;
}

/** One case over all rounds. */
export interface ShmBenchResult {
  name: string;
  /** Entries (or messages, or round trips) per second, per round. */
  perRound: number[];
  median: number;
  min: number;
  max: number;
  /** Wake cases: median round trip in µs. */
  rttUs?: number;
  unit: 'entries/s' | 'messages/s' | 'records/s' | 'round trips/s';
}

/** A ratio of two cases, taken per round. */
export interface ShmRatio {
  name: string;
  of: string;
  to: string;
  median: number;
  min: number;
  max: number;
  target: number | null;
}

export interface ShmBenchReport {
  rounds: number;
  windowMs: number;
  waitStrategy: 'busySpin' | 'phased';
  /** 1-minute load average when the run started (other work on the machine skews results). */
  loadAverage: number;
  results: ShmBenchResult[];
  ratios: ShmRatio[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs a role in a child process; resolves with its JSON result. */
function inProcess(role: string, args: RoleArgs): Promise<Record<string, number>> {
  const child = spawn(process.execPath, [ROLES, role, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`bench role ${role} exited with ${code}`)))));
}

/** Runs a role in a worker thread; resolves with its result. */
function inThread(role: string, args: RoleArgs): Promise<Record<string, number>> {
  const w = new Worker(ROLES, { workerData: { role, args } });
  return new Promise((resolve, reject) => {
    let result: Record<string, number> | undefined;
    w.once('message', (m: Record<string, number>) => (result = m));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`bench role ${role} thread exited with ${code}`))));
  });
}

type Shm = typeof import('@ringkit/shm');

async function spsc(shm: Shm, mode: 'shm' | 'inproc', batch: number, ms: number, spin: boolean): Promise<number> {
  const run = mode === 'shm' ? inProcess : inThread;
  let name: string | undefined;
  let ring: Ring<typeof SCHEMA>;
  let shared: { ring: Ring<typeof SCHEMA>; close(): void; unlink(): void } | undefined;
  if (mode === 'shm') {
    name = `/ringkit-bench-${process.pid}-${batch}`;
    shared = shm.SharedRing.create(name, { capacity: CAPACITY, schema: SCHEMA });
    ring = shared.ring;
  } else {
    ring = Ring.create({ capacity: CAPACITY, schema: SCHEMA });
  }
  try {
    const id = ring.addConsumer().id;
    const where = mode === 'shm' ? { name: name! } : { descriptor: ring.descriptor };
    const wait = spin ? 'busySpin' as const : 'phased' as const;
    const [c, p] = await Promise.all([run('consume', { mode, ...where, id, wait }), run('produce', { mode, ...where, batch, ms, wait })]);
    if (c.bad !== 0 || c.count !== p.sent) throw new Error(`${mode} spsc: the consumer got ${c.count} of ${p.sent} entries, ${c.bad} wrong`);
    return c.count! / c.seconds!;
  } finally {
    shared?.close();
    shared?.unlink();
  }
}

async function wake(shm: Shm, mode: 'shm' | 'inproc', rounds: number): Promise<number> {
  const run = mode === 'shm' ? inProcess : inThread;
  const name = `/ringkit-bench-wake-${process.pid}`;
  const args: RoleArgs = mode === 'shm' ? (shm.Segment.create(name, { size: 4096 }), { mode, name, rounds }) : { mode, descriptor: { buffer: new SharedArrayBuffer(128), byteOffset: 0 }, rounds };
  try {
    const [a] = await Promise.all([run('pingpong', { ...args, side: 0 }), run('pingpong', { ...args, side: 1 })]);
    return a.rounds! / a.seconds!;
  } finally {
    if (mode === 'shm') shm.Segment.unlink(name);
  }
}

/** The minimal plain-JS ring (roles.ts `rawProduce` / `rawConsume`) in two worker threads, per item. */
async function rawSpsc(ms: number): Promise<number> {
  const descriptor = { buffer: new SharedArrayBuffer(1024 + 8 * RAW_CAPACITY), byteOffset: 0 };
  const [c, p] = await Promise.all([inThread('rawConsume', { mode: 'inproc', descriptor }), inThread('rawProduce', { mode: 'inproc', descriptor, ms })]);
  if (c.bad !== 0 || c.count !== p.sent) throw new Error(`minimal ring: the consumer got ${c.count} of ${p.sent} entries, ${c.bad} wrong`);
  return c.count! / c.seconds!;
}

async function processSend(ms: number): Promise<number> {
  const child = spawn(process.execPath, [ROLES, 'send', JSON.stringify({ mode: 'inproc', ms })], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let count = 0;
  let t0 = 0;
  let seconds = 0;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: unknown) => {
      if (typeof m === 'number') {
        if (m >= 0) {
          if (t0 === 0) t0 = performance.now();
          count++;
        }
      } else {
        seconds = (performance.now() - t0) / 1000;
        if ((m as { done: number }).done !== count) reject(new Error(`process.send: got ${count} of ${(m as { done: number }).done} messages`));
      }
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`process.send role exited with ${code}`))));
  });
  return count / seconds;
}

async function unixSocket(ms: number): Promise<number> {
  const path = join(tmpdir(), `ringkit-bench-${process.pid}.sock`);
  rmSync(path, { force: true });
  let bytes = 0;
  let t0 = 0;
  let t1 = 0;
  let expect = 0;
  let bad = 0;
  let carry = new Uint8Array(0);
  const server = createServer((sock) => {
    sock.on('data', (d: Buffer) => {
      if (t0 === 0) t0 = performance.now();
      bytes += d.length;
      // Check every record (as the ring consumer checks every entry).
      let buf: Uint8Array = d;
      if (carry.length > 0) {
        const joined = new Uint8Array(carry.length + d.length);
        joined.set(carry);
        joined.set(d, carry.length);
        buf = joined;
      }
      const whole = buf.length - (buf.length % 8);
      const view = new DataView(buf.buffer, buf.byteOffset, whole);
      for (let o = 0; o < whole; o += 8) if (view.getFloat64(o, true) !== expect++) bad++;
      carry = buf.slice(whole);
    });
    sock.on('end', () => (t1 = performance.now()));
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  try {
    const r = await inProcess('socket', { mode: 'inproc', path, ms });
    while (t1 === 0) await new Promise((res) => setTimeout(res, 5));
    if (bad !== 0 || expect !== r.sent) throw new Error(`unix socket: ${expect} of ${r.sent} records, ${bad} wrong`);
    return bytes / 8 / ((t1 - t0) / 1000);
  } finally {
    server.close();
    rmSync(path, { force: true });
  }
}

/** The cases, in the order a round runs them. */
export const SHM_CASES = [
  'inproc.spsc.item', 'shm.spsc.item', 'inproc.spsc.batch', 'shm.spsc.batch', 'inproc.wake.rtt', 'shm.wake.rtt', 'baseline.raw.spsc.item', 'baseline.process.send', 'baseline.unix.socket',
] as const;

const RATIOS: Array<[string, string, string, number | null]> = [
  ['shm batched / in-process batched', 'shm.spsc.batch', 'inproc.spsc.batch', 0.9],
  ['shm per item / in-process per item', 'shm.spsc.item', 'inproc.spsc.item', 0.8],
  ['shm per item / process.send', 'shm.spsc.item', 'baseline.process.send', 50],
  ['in-process per item / minimal JS ring', 'inproc.spsc.item', 'baseline.raw.spsc.item', null],
  ['shm batched / process.send', 'shm.spsc.batch', 'baseline.process.send', 50],
  ['shm batched / Unix socket', 'shm.spsc.batch', 'baseline.unix.socket', null],
  ['futex wake rate / Atomics.wait wake rate', 'shm.wake.rtt', 'inproc.wake.rtt', null],
];

/**
 * Runs every case `rounds` times, alternating (round 1: all cases, round 2: all cases, ...).
 * @throws when @ringkit/shm is not installed (it is an optional peer).
 */
export async function runShmBench(options: ShmBenchOptions = {}): Promise<ShmBenchReport> {
  const shm = await import('@ringkit/shm');
  const rounds = options.rounds ?? 5;
  const ms = options.windowMs ?? 1000;
  const rtts = options.rtts ?? 3000;
  const spin = options.spin === true;
  const loadAverage = loadavg()[0]!;
  const per = new Map<string, number[]>(SHM_CASES.map((c) => [c, []]));
  const run: Record<(typeof SHM_CASES)[number], () => Promise<number>> = {
    'inproc.spsc.item': () => spsc(shm, 'inproc', 1, ms, spin),
    'shm.spsc.item': () => spsc(shm, 'shm', 1, ms, spin),
    'inproc.spsc.batch': () => spsc(shm, 'inproc', BATCH, ms, spin),
    'shm.spsc.batch': () => spsc(shm, 'shm', BATCH, ms, spin),
    'inproc.wake.rtt': () => wake(shm, 'inproc', rtts),
    'shm.wake.rtt': () => wake(shm, 'shm', rtts),
    'baseline.raw.spsc.item': () => rawSpsc(ms),
    'baseline.process.send': () => processSend(ms),
    'baseline.unix.socket': () => unixSocket(ms),
  };
  for (let r = 0; r < rounds; r++) {
    for (const name of SHM_CASES) {
      options.onProgress?.(r, rounds, name);
      per.get(name)!.push(await run[name]());
    }
  }
  const results: ShmBenchResult[] = SHM_CASES.map((name) => {
    const xs = per.get(name)!;
    const unit = name.includes('wake') ? 'round trips/s' : name === 'baseline.process.send' ? 'messages/s' : name === 'baseline.unix.socket' ? 'records/s' : 'entries/s';
    return { name, perRound: xs, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), unit, ...(name.includes('wake') ? { rttUs: 1e6 / median(xs) } : {}) };
  });
  const ratios = RATIOS.map(([label, of, to, target]) => {
    const a = per.get(of)!;
    const b = per.get(to)!;
    const rs = a.map((x, i) => x / b[i]!);
    return { name: label, of, to, median: median(rs), min: Math.min(...rs), max: Math.max(...rs), target };
  });
  return { rounds, windowMs: ms, waitStrategy: spin ? 'busySpin' : 'phased', loadAverage, results, ratios };
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1);
}

/** The report as text: one line per case (median, min … max over the rounds), then the ratios. */
export function formatShmText(r: ShmBenchReport): string {
  const lines = [`cross-process benchmark: ${r.rounds} alternating rounds, ${r.windowMs} ms per throughput case, spsc wait strategy ${r.waitStrategy}, load average ${r.loadAverage.toFixed(2)} at start`, ''];
  for (const x of r.results) {
    const rtt = x.rttUs === undefined ? '' : `   (round trip ${x.rttUs.toFixed(1)} µs)`;
    lines.push(`${x.name.padEnd(22)} ${`${fmt(x.median)} ${x.unit}`.padStart(20)}   [${fmt(x.min)} … ${fmt(x.max)}]${rtt}`);
  }
  lines.push('', 'ratios (per round; median [min … max]):');
  for (const q of r.ratios) {
    const met = q.target === null ? '' : q.median >= q.target ? `   target ≥ ${q.target}: met` : `   target ≥ ${q.target}: NOT met`;
    lines.push(`  ${q.name.padEnd(42)} ${q.median.toFixed(2).padStart(8)}×   [${q.min.toFixed(2)} … ${q.max.toFixed(2)}]${met}`);
  }
  return `${lines.join('\n')}\n`;
}
