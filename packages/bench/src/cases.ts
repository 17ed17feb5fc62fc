/**
 * The benchmark catalogue: every case, its topology, ring size, batch, wait strategy and the
 * baselines it is compared with. Names are stable (the JSON report and the targets use them).
 *
 * Naming: `spsc.item` / `spsc.batch` publish per item / in claims of {@link BATCH}; the other
 * topologies (`spmc.N`, `mpsc.N`, `mpmc.NxN`) are batched, with a `.item` variant per item.
 */
import type { WaitStrategyOption } from '@ringkit/core';

/** Claim size of every batched case and of its raw baseline. */
export const BATCH = 64;
/** Ring size of the headline SPSC cases and their baselines (64 Ki entries). */
export const SPSC_CAPACITY = 1 << 16;
/** Ring size of the multi-producer / multi-consumer throughput cases (as in the C ring's report). */
export const MULTI_CAPACITY = 1 << 14;
/** Ring size of the contention cases (as in the C ring's report). */
export const CONTENTION_CAPACITY = 1 << 20;

/** Report section a case belongs to. */
export type Group = 'throughput' | 'cost' | 'scaling' | 'contention' | 'latency' | 'bytes' | 'baseline';
/** What runs: ringkit rings, or one of the baselines. */
export type Kind = 'cost' | 'ring' | 'raw' | 'rawblocking' | 'pipeline' | 'rawfizzbuzz' | 'postMessage' | 'ringbufjs' | 'copy' | 'pingpong' | 'onehop' | 'bytes' | 'bytering';

/** One benchmark case. */
export interface CaseSpec {
  readonly name: string;
  readonly group: Group;
  /** Human label (the C report's test names). */
  readonly label: string;
  readonly kind: Kind;
  readonly producers: number;
  readonly consumers: number;
  /** Consumers share entries (a work group) instead of each seeing all (broadcast). */
  readonly workGroup: boolean;
  readonly capacity: number;
  /** Entries per claim/publish. */
  readonly batch: number;
  /** Bytes per entry (8 for the f64 slot). */
  readonly recordBytes: number;
  readonly wait: WaitStrategyOption;
  /** The baselines this case is shown against (ratios in the report). */
  readonly baselines: readonly string[];
  /** Part of `--quick`. */
  readonly quick: boolean;
}

/** Spin-then-sleep, for cases where threads outnumber (or equal) the cores. */
export const PHASED: WaitStrategyOption = 'phased';
/** Sleep at once: the blocking wake-up path. */
export const BLOCK: WaitStrategyOption = { kind: 'phased', spinTries: 0 };
/** Pure spin: only where every thread has its own core. */
export const SPIN: WaitStrategyOption = 'busySpin';

/** Short name of a wait strategy option. */
export function waitName(w: WaitStrategyOption): string {
  if (typeof w === 'string') return w;
  return w.spinTries === undefined ? w.kind : `${w.kind}(spinTries=${w.spinTries})`;
}

const ringDefaults = {
  kind: 'ring' as Kind,
  producers: 1,
  consumers: 1,
  workGroup: false,
  capacity: SPSC_CAPACITY,
  batch: 1,
  recordBytes: 8,
  baselines: [] as string[],
  quick: true,
};

function spec(name: string, group: Group, label: string, wait: WaitStrategyOption, rest: Partial<CaseSpec>): CaseSpec {
  return { ...ringDefaults, name, group, label, wait, ...rest };
}

/**
 * Two spinning threads on two cores is the most a 2-core machine pins; more threads use
 * `phased`. `cores` decides where spinning is allowed.
 */
function spinIfFits(threads: number, cores: number): WaitStrategyOption {
  return threads <= cores ? SPIN : PHASED;
}

function kib(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes >> 20}MiB` : bytes >= 1024 ? `${bytes >> 10}KiB` : `${bytes}B`;
}

/** Every case, in report order, for a machine with `cores` logical CPUs. */
export function allCases(cores: number): CaseSpec[] {
  const two = spinIfFits(2, cores);
  const out: CaseSpec[] = [];
  const RAW_ITEM = 'baseline.raw.spsc.item';
  const RAW_BLOCK_ITEM = 'baseline.raw.blocking.spsc.item';
  const RAW_BATCH = 'baseline.raw.spsc.batch';
  const PM = 'baseline.postMessage';
  const RB = 'baseline.ringbufjs';
  // Throughput; each baseline runs right after the case it is compared with, so both see the
  // same machine (other load on a shared machine moves results from minute to minute).
  out.push(spec('spsc.item', 'throughput', 'Single Producer, Single Consumer (per item)', two, { baselines: [RAW_ITEM, RAW_BLOCK_ITEM, PM] }));
  out.push(spec(RAW_ITEM, 'baseline', 'Raw SAB loop, SPSC per item, spin only (no library)', two, { kind: 'raw' }));
  out.push(spec(RAW_BLOCK_ITEM, 'baseline', 'Raw SAB loop + wake protocol (waiter counts, Atomics.wait/notify), SPSC per item', two, { kind: 'rawblocking' }));
  out.push(spec(PM, 'baseline', 'MessagePort.postMessage, one number per message', PHASED, { kind: 'postMessage' }));
  out.push(spec('spsc.batch', 'throughput', `Single Producer, Single Consumer (batch ${BATCH})`, two, { batch: BATCH, baselines: [RAW_BATCH, RB] }));
  out.push(spec(RAW_BATCH, 'baseline', `Raw SAB loop, SPSC batch ${BATCH} (no library)`, two, { kind: 'raw', batch: BATCH }));
  out.push(spec(RB, 'baseline', `ringbuf.js (npm) SPSC Float64Array, chunks of ${BATCH}`, two, { kind: 'ringbufjs', batch: BATCH }));
  // Per-item cost on one thread: what each implementation runs per item, with no core-to-core hand-off.
  const RAW_COST = 'baseline.raw.cost.spsc.item';
  const RAW_BLOCK_COST = 'baseline.raw.blocking.cost.spsc.item';
  const cost = { kind: 'cost' as Kind, consumers: 0 };
  out.push(spec('cost.spsc.item', 'cost', 'Per-item cost, one thread: claim 1, write, publish, poll, read, release', PHASED, { ...cost, baselines: [RAW_COST, RAW_BLOCK_COST] }));
  out.push(spec(RAW_COST, 'baseline', 'Raw SAB loop, spin only, both ends on one thread (per-item cost)', PHASED, cost));
  out.push(spec(RAW_BLOCK_COST, 'baseline', 'Raw SAB loop + wake protocol, both ends on one thread (per-item cost)', PHASED, cost));
  for (const [size, cap] of [['small', 64], ['medium', 1024], ['large', 8192], ['larger', 32768]] as const) {
    out.push(spec(`spsc.item.${size}`, 'throughput', `Single Producer, Single Consumer (${size} ring, per item)`, two, { capacity: cap, quick: false }));
    out.push(spec(`spsc.batch.${size}`, 'throughput', `Single Producer, Single Consumer (${size} ring, batch ${BATCH})`, two, { capacity: cap, batch: BATCH, quick: false }));
  }
  for (const n of [2, 4]) {
    const w = spinIfFits(n + 1, cores);
    out.push(spec(`spmc.${n}`, 'throughput', `Single Producer, Multi Consumer (${n})`, w, { consumers: n, capacity: MULTI_CAPACITY, batch: BATCH }));
    out.push(spec(`spmc.${n}.item`, 'throughput', `Single Producer, Multi Consumer (${n}), per item`, w, { consumers: n, capacity: MULTI_CAPACITY }));
  }
  for (const n of [2, 4, 8]) {
    const w = spinIfFits(n + 1, cores);
    out.push(spec(`mpsc.${n}`, 'throughput', `Multi Producer (${n}), Single Consumer`, w, { producers: n, capacity: MULTI_CAPACITY, batch: BATCH }));
    out.push(spec(`mpsc.${n}.item`, 'throughput', `Multi Producer (${n}), Single Consumer, per item`, w, { producers: n, capacity: MULTI_CAPACITY }));
  }
  for (const n of [2, 4]) {
    const w = spinIfFits(2 * n, cores);
    const common = { producers: n, consumers: n, workGroup: true, capacity: MULTI_CAPACITY };
    out.push(spec(`mpmc.${n}x${n}`, 'throughput', `Multi Producer (${n}), Multi Consumer (${n}, work group)`, w, { ...common, batch: BATCH }));
    out.push(spec(`mpmc.${n}x${n}.item`, 'throughput', `Multi Producer (${n}), Multi Consumer (${n}, work group), per item`, w, common));
  }
  // The FizzBuzz demo's pipeline beside the same three stages hand-written (two 2^20 rings, f64, half-ring batches).
  const RAW_FIZZ = 'baseline.raw.fizzbuzz';
  const fizz = { capacity: 1 << 20, batch: 1 << 19, producers: 1, consumers: 2 };
  out.push(spec('pipeline.fizzbuzz', 'throughput', 'FizzBuzz pipeline (@ringkit/pipeline demo: heartbeat + generator → worker → logger)', 'async', { ...fizz, kind: 'pipeline', baselines: [RAW_FIZZ] }));
  out.push(spec(RAW_FIZZ, 'baseline', 'Raw 3-thread FizzBuzz loop: generator → worker → logger over two raw SAB rings (no library)', PHASED, { ...fizz, kind: 'rawfizzbuzz' }));
  // Ring-size scaling: SPSC per item, as the C ring's report.
  for (const cap of [16, 64, 256, 1024, 4096, 16384, 262144, 1 << 20, 1 << 25]) {
    const quick = cap === 16 || cap === 1024 || cap === 1 << 20;
    out.push(spec(`scale.${cap}`, 'scaling', `Ring size: ${cap.toLocaleString('en-US')} entries`, two, { capacity: cap, quick }));
  }
  // Contention: 1, 2, 4, 8 producers on a multi-producer ring, one consumer, per item.
  for (const n of [1, 2, 4, 8]) {
    out.push(spec(`contention.${n}`, 'contention', `${n} producer(s), 1 consumer`, spinIfFits(n + 1, cores), { producers: n, capacity: CONTENTION_CAPACITY }));
  }
  // Latency.
  const lat = { capacity: 1024 };
  out.push(spec('pingpong.spin', 'latency', 'Round trip (ping-pong), busy spin', two, { ...lat, kind: 'pingpong' }));
  out.push(spec('pingpong.phased', 'latency', 'Round trip (ping-pong), phased (spin 200, then sleep)', PHASED, { ...lat, kind: 'pingpong' }));
  out.push(spec('pingpong.block', 'latency', 'Round trip (ping-pong), blocking (sleep at once)', BLOCK, { ...lat, kind: 'pingpong' }));
  out.push(spec('onehop.spin', 'latency', 'One hop, busy spin', two, { ...lat, kind: 'onehop', recordBytes: 12 }));
  out.push(spec('onehop.block', 'latency', 'One hop, blocking (sleep at once)', BLOCK, { ...lat, kind: 'onehop', recordBytes: 12 }));
  // Bytes: fixed slots of the typed ring, and the byte ring when core has one.
  for (const [size, cap] of [[64, 4096], [4096, 1024], [1 << 20, 16]] as const) {
    const copy = `baseline.copy.${kib(size)}`;
    out.push(spec(`bytes.${kib(size)}`, 'bytes', `Fixed byte slots, ${kib(size)} records`, two, { kind: 'bytes', capacity: cap, recordBytes: size, baselines: [copy] }));
    out.push(spec(`bytes.ring.${kib(size)}`, 'bytes', `Byte ring, ${kib(size)} records`, two, {
      kind: 'bytering', capacity: cap, recordBytes: size, baselines: [copy],
    }));
    out.push(spec(copy, 'baseline', `TypedArray.set copy, ${kib(size)} into a SAB`, two, { kind: 'copy', producers: 1, consumers: 0, capacity: cap, recordBytes: size }));
  }
  return out;
}

/** The names the JSON report must always hold (issue 4). */
export const REQUIRED_NAMES = [
  'spsc.item', 'spsc.batch', 'spmc.2', 'mpsc.2', 'mpsc.4', 'mpsc.8', 'mpmc.2x2', 'pingpong.spin', 'pingpong.block',
  'bytes.1MiB', 'baseline.raw.spsc.item', 'baseline.raw.spsc.batch', 'baseline.postMessage', 'baseline.ringbufjs',
  'baseline.copy.1MiB', 'baseline.raw.blocking.spsc.item', 'pipeline.fizzbuzz', 'baseline.raw.fizzbuzz',
] as const;

/** A performance target (reported, never asserted): a ratio to a baseline, or an absolute rate. */
export interface Target {
  readonly text: string;
  /** The case measured. */
  readonly name: string;
  /** Ratio targets: the baseline it is divided by (absolute targets: undefined, value in M ops/s). */
  readonly baseline?: string;
  /** Ratio of bytes per second (copy baselines) instead of entries per second. */
  readonly bytes?: boolean;
  readonly goal: number;
  readonly unit: string;
}

/** The targets (issues 4 and 15), in report order. */
export const TARGETS: readonly Target[] = [
  { name: 'spsc.batch', baseline: 'baseline.raw.spsc.batch', text: 'spsc.batch ≥ 0.9 × baseline.raw.spsc.batch', goal: 0.9, unit: '×' },
  { name: 'spsc.item', baseline: 'baseline.raw.spsc.item', text: 'spsc.item ≥ 0.9 × baseline.raw.spsc.item (spin only)', goal: 0.9, unit: '×' },
  { name: 'spsc.item', baseline: 'baseline.raw.blocking.spsc.item', text: 'spsc.item ≥ 0.95 × baseline.raw.blocking.spsc.item', goal: 0.95, unit: '×' },
  { name: 'cost.spsc.item', baseline: 'baseline.raw.blocking.cost.spsc.item', text: 'cost.spsc.item ≥ 0.95 × baseline.raw.blocking.cost.spsc.item (one thread)', goal: 0.95, unit: '×' },
  { name: 'spsc.item', baseline: 'baseline.postMessage', text: 'spsc.item ≥ 20 × baseline.postMessage', goal: 20, unit: '×' },
  { name: 'pipeline.fizzbuzz', baseline: 'baseline.raw.fizzbuzz', text: 'pipeline.fizzbuzz ≥ 0.9 × baseline.raw.fizzbuzz', goal: 0.9, unit: '×' },
  { name: 'mpsc.8', text: 'mpsc.8 ≥ 3 M ops/s', goal: 3, unit: 'M/s' },
  { name: 'mpsc.8.item', text: 'mpsc.8.item ≥ 3 M ops/s (per-item variant)', goal: 3, unit: 'M/s' },
  { name: 'spmc.2', text: 'spmc.2 ≥ 30 M events/s', goal: 30, unit: 'M/s' },
  { name: 'bytes.1MiB', baseline: 'baseline.copy.1MiB', bytes: true, text: 'bytes.1MiB ≥ 0.5 × baseline.copy.1MiB', goal: 0.5, unit: '×' },
];
