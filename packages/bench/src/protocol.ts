/**
 * The messages between the orchestrating main thread and the benchmark workers: one {@link Task}
 * in `workerData`, one {@link WorkerReport} back. Only this file defines them.
 *
 * Every worker shares a small control block (`Int32Array` over `Task.ctl`) with the main thread:
 * workers count themselves in `READY`, wait for `PHASE` to leave 0, and consumers record a mark
 * `(phase, count, time)` each time they see `PHASE` change — the main thread bumps it at the
 * start of every measurement window, so each window's rate comes from the thread that did the
 * work. `STOP` asks producers to finish; `FINAL`/`CLOSED` close the hand-written baselines.
 */
import type { MessagePort } from 'node:worker_threads';
import type { RegionDescriptor, WaitStrategyOption } from '@ringkit/core';

/** Int32 indices of the control block (each in its own 128-byte block). */
export const CTL = {
  READY: 0,
  PHASE: 32,
  STOP: 64,
  /** postMessage baseline: messages the receiver has taken (credit for the sender). */
  RECEIVED: 96,
  /** hand-written baselines: set to 1 after `PRODUCED_HI/LO` hold the final count. */
  CLOSED: 128,
  PRODUCED_HI: 160,
  PRODUCED_LO: 161,
  /** Workers that left the start barrier (the warm-up is timed from when all have). */
  STARTED: 192,
} as const;
/** Bytes of the control block. */
export const CTL_BYTES = 1024;

/** What a worker does. */
export type Role =
  | 'ring-producer'
  | 'ring-consumer'
  | 'raw-producer'
  | 'raw-consumer'
  | 'rawblock-producer'
  | 'rawblock-consumer'
  | 'fizz-generator'
  | 'cost-ring'
  | 'cost-raw'
  | 'cost-rawblock'
  | 'fizz-worker'
  | 'fizz-logger'
  | 'pm-sender'
  | 'pm-receiver'
  | 'ringbufjs-producer'
  | 'ringbufjs-consumer'
  | 'copy'
  | 'pingpong-initiator'
  | 'pingpong-echo'
  | 'onehop-producer'
  | 'onehop-consumer'
  | 'bytes-producer'
  | 'bytes-consumer'
  | 'bytering-producer'
  | 'bytering-consumer';

/** One worker's job (sent as `workerData`). */
export interface Task {
  readonly role: Role;
  /** The shared control block ({@link CTL}). */
  readonly ctl: SharedArrayBuffer;
  /** ringkit rings: the ring (pingpong: the outbound ring). */
  readonly descriptor?: RegionDescriptor;
  /** pingpong: the return ring. */
  readonly descriptor2?: RegionDescriptor;
  /** hand-written baselines and copies: their shared buffer. */
  readonly buffer?: SharedArrayBuffer;
  /** raw FizzBuzz worker: its output ring. */
  readonly buffer2?: SharedArrayBuffer;
  /** raw FizzBuzz: messages the generator publishes (every thread stops after that many). */
  readonly messages?: number;
  /** Consumer (or work-group member) table id. */
  readonly consumerId?: number;
  /** Entries per claim/publish (1 = per item). */
  readonly batch: number;
  /** Entries in the ring (baselines: in their buffer). */
  readonly capacity: number;
  /** Bytes per record (byte cases). */
  readonly recordBytes: number;
  readonly waitStrategy: WaitStrategyOption;
  /** Multi-producer rings: the main thread closes the ring once every producer reported. */
  readonly multiProducer: boolean;
  /** postMessage baseline: this worker's end of the channel. */
  readonly port?: MessagePort;
}

/** Latency percentiles in nanoseconds (from an HDR histogram). */
export interface LatencySummary {
  avg: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  min: number;
  samples: number;
}

/** What a worker sends back when it is done. */
export interface WorkerReport {
  /** Producers: entries published; consumers: entries received. */
  count: number;
  /** Sum of the values (or record stamps) modulo 2^32, as an Int32. */
  checksum: number;
  /** Flat `(phase, count, timeMs)` triplets: one each time the consumer saw the phase change. */
  marks: number[];
  /** Fixed-count cases: wall-clock ms (`timeOrigin + now()`) of the first message generated / the last consumed. */
  startMs?: number;
  endMs?: number;
  /** raw FizzBuzz logger: Fizz, Buzz, FizzBuzz and plain-value counts. */
  counts?: number[];
  /** Latency cases: the histogram summary. */
  latency?: LatencySummary;
  /** Set when the worker failed. */
  error?: string;
}
