/**
 * Latency: round trips over two rings (ping-pong) and one-way hops, each recorded in an HDR
 * histogram (`hdr-histogram-js`) once the warm-up is over (phase ≥ 2).
 */
import { POLL_EMPTY, Ring } from '@ringkit/core';
import { build, type Histogram } from 'hdr-histogram-js';
import { CTL, type LatencySummary, type Task, type WorkerReport } from '../protocol.js';
import { drain, Phases } from './phases.js';

type F64Schema = { value: 'f64' };
type HopSchema = { t: 'f64'; k: 'i32' };

function histogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e11, numberOfSignificantValueDigits: 3 });
}

function summary(h: Histogram): LatencySummary {
  return {
    avg: h.mean,
    p50: h.getValueAtPercentile(50),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    min: h.minNonZeroValue,
    samples: h.totalCount,
  };
}

/** Round trips (or hops) between two looks at the stop flag. */
const ROUNDS = 64;

/** Ping-pong initiator: publish one entry on ring A, wait for its echo on ring B; times each round trip. */
export function pingpongInitiator(task: Task): WorkerReport {
  const out = Ring.attach<F64Schema>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const back = Ring.attach<F64Schema>(task.descriptor2!, { waitStrategy: task.waitStrategy });
  const p = out.producer();
  const c = back.openConsumer(task.consumerId!);
  const colOut = out.columns.value;
  const colBack = back.columns.value;
  const maskOut = out.mask;
  const b = c.batch;
  const h = histogram();
  const phases = new Phases(task.ctl);
  phases.start();
  let k = 0;
  let sum = 0;
  let measuring = false;
  while (!phases.stopped()) {
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      if (!p.tryClaim(1)) p.claim(1);
      colOut[p.hi & maskOut] = k;
      p.publish(p.hi);
      let n = c.tryPoll(1);
      if (n === POLL_EMPTY) n = c.poll({ max: 1 });
      sum = (sum + colBack[b.index(0)]!) | 0;
      c.release();
      const t1 = performance.now();
      if (measuring) h.recordValue(Math.max(1, Math.round((t1 - t0) * 1e6)));
      k++;
    }
    phases.tick(k);
    measuring = Atomics.load(phases.ctl, CTL.PHASE) >= 2;
  }
  phases.tick(k);
  p.close();
  return { count: k, checksum: sum, marks: phases.marks, latency: summary(h) };
}

/** Ping-pong echo: returns every entry of ring A on ring B until A is closed. */
export function pingpongEcho(task: Task): WorkerReport {
  const inbound = Ring.attach<F64Schema>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const back = Ring.attach<F64Schema>(task.descriptor2!, { waitStrategy: task.waitStrategy });
  const c = inbound.openConsumer(task.consumerId!);
  const p = back.producer();
  const colIn = inbound.columns.value;
  const colBack = back.columns.value;
  const mask = back.mask;
  const b = c.batch;
  const phases = new Phases(task.ctl);
  phases.start();
  const report = drain(c, phases, (n) => {
    if (!p.tryClaim(n)) p.claim(n);
    const lo = p.lo;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = colIn[b.index(i)]!;
      colBack[(lo + i) & mask] = v;
      sum = (sum + v) | 0;
    }
    c.release();
    p.publish(p.hi);
    return sum;
  });
  p.close();
  return report;
}

/** Monotonic nanoseconds shared by every thread of the process. */
function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** One-hop producer: stamps one entry with the time, publishes it, waits until it was released. */
export function onehopProducer(task: Task): WorkerReport {
  const ring = Ring.attach<HopSchema>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const p = ring.producer();
  const watch = ring.openConsumer(task.consumerId!);
  const { t, k: kc } = ring.columns;
  const mask = ring.mask;
  const phases = new Phases(task.ctl);
  phases.start();
  let k = 0;
  let sum = 0;
  while (!phases.stopped()) {
    for (let r = 0; r < ROUNDS; r++) {
      if (!p.tryClaim(1)) p.claim(1);
      const hi = p.hi;
      kc[hi & mask] = k;
      t[hi & mask] = nowNs();
      p.publish(hi);
      sum = (sum + k) | 0;
      k++;
      while (watch.sequence !== hi) { /* one message in flight at a time: no queueing delay */ }
    }
  }
  p.close();
  return { count: k, checksum: sum, marks: phases.marks };
}

/** One-hop consumer: records now − stamp for each entry. */
export function onehopConsumer(task: Task): WorkerReport {
  const ring = Ring.attach<HopSchema>(task.descriptor!, { waitStrategy: task.waitStrategy });
  const c = ring.openConsumer(task.consumerId!);
  const { t, k: kc } = ring.columns;
  const b = c.batch;
  const h = histogram();
  const phases = new Phases(task.ctl);
  phases.start();
  const report = drain(c, phases, (n) => {
    const now = nowNs();
    const measuring = Atomics.load(phases.ctl, CTL.PHASE) >= 2;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const at = b.index(i);
      if (measuring) h.recordValue(Math.max(1, now - t[at]!));
      sum = (sum + kc[at]!) | 0;
    }
    c.release();
    return sum;
  });
  return { ...report, latency: summary(h) };
}
