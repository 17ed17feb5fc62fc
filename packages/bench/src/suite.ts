/**
 * The whole suite: picks the cases, runs them one after the other (each in fresh workers), and
 * builds the report object that `--json` prints.
 */
import { availableParallelism, cpus, totalmem, arch, platform, release, loadavg } from 'node:os';
import { Ring } from '@ringkit/core';
import { allCases, waitName, TARGETS, type CaseSpec } from './cases.js';
import { runCase, type CaseOutcome, type Timing } from './runner.js';
import { LoadProbe, settle } from './load.js';
import type { LatencySummary } from './protocol.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Short windows, one run, fewer scaling points. Defaults to false. */
  quick?: boolean;
  /** Run only cases whose name contains one of these substrings. Defaults to all. */
  only?: readonly string[];
  /** Overrides the timing (tests use tiny windows). */
  timing?: Partial<Timing>;
  /** Called before each case (the CLI's progress line). */
  onProgress?: (index: number, total: number, name: string) => void;
  /** Logical CPUs to plan for (where busy spin is allowed). Defaults to `os.availableParallelism()`. */
  cores?: number;
  /**
   * Before each case, wait up to this many ms for other processes to use less than a quarter of a
   * core (Linux). Defaults to 0 (do not wait). Each result records the load it ran under anyway.
   */
  settleMs?: number;
}

/** One entry of `results` (the shape of issue 4). */
export interface BenchResult {
  name: string;
  opsPerSec: number;
  bytesPerSec: number | null;
  latencyNs: { avg: number; p50: number; p99: number; p999: number; max: number } | null;
  memoryBytes: number | null;
  params: Record<string, unknown>;
}

/** The machine section: what ran, and how threads compare with cores. */
export interface MachineInfo {
  node: string;
  v8: string;
  platform: string;
  release: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  /** Most worker threads any case ran, and whether that exceeds the cores. */
  maxThreads: number;
  oversubscribed: boolean;
  note: string;
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine skews results). */
  loadAverage: number[];
  timing: Timing;
  /** Wait strategy of each case that ran. */
  waitStrategies: Record<string, string>;
}

/** A target of issue 4 and how this run did. */
export interface TargetResult {
  text: string;
  value: number | null;
  goal: number;
  unit: string;
  met: boolean | null;
}

/** Everything a run produced (`--json` prints this object). */
export interface BenchReport {
  machine: MachineInfo;
  results: BenchResult[];
  targets: TargetResult[];
  /** Per-entry memory of the default slot by ring size (the C report's memory table). */
  memory: { entries: number; bytes: number; bytesPerEntry: number; overheadBytes: number }[];
  failed: { name: string; error: string }[];
}

/** Timing of a full run (3 windows of 1 s, as the C ring's report) and of `--quick`. */
export const FULL_TIMING: Timing = { warmupMs: 300, windowMs: 1000, runs: 3 };
export const QUICK_TIMING: Timing = { warmupMs: 120, windowMs: 220, runs: 1 };

/** The cases a run with these options would execute (in order). */
export function selectCases(options: BenchOptions = {}): CaseSpec[] {
  const cores = options.cores ?? availableParallelism();
  const only = options.only ?? [];
  return allCases(cores).filter((c) => (only.length > 0 ? only.some((s) => c.name.includes(s)) : options.quick !== true || c.quick));
}

function latencyOf(l: LatencySummary | null): BenchResult['latencyNs'] {
  return l === null ? null : { avg: l.avg, p50: l.p50, p99: l.p99, p999: l.p999, max: l.max };
}

function stddevPct(rates: number[]): number {
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  const variance = rates.reduce((a, b) => a + (b - mean) ** 2, 0) / rates.length;
  return mean === 0 ? 0 : (Math.sqrt(variance) / mean) * 100;
}

/** The C report's memory table for ringkit's default slot (one f64, single producer, 8 consumers). */
export function memoryTable(): BenchReport['memory'] {
  return [16, 64, 256, 1024, 4096, 16384, 32768, 65536, 1 << 20, 1 << 25].map((entries) => {
    const total = Ring.byteLength({ capacity: entries });
    return { entries, bytes: total, bytesPerEntry: total / entries, overheadBytes: total / entries - 8 };
  });
}

/**
 * Runs the benchmark suite.
 * @returns the report; cases that failed are listed in `failed` (and missing from `results`).
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const cores = options.cores ?? availableParallelism();
  const timing: Timing = { ...(options.quick === true ? QUICK_TIMING : FULL_TIMING), ...options.timing };
  const cases = selectCases(options);
  const loadAverage = loadavg();
  const results: BenchResult[] = [];
  const failed: BenchReport['failed'] = [];
  const waits: Record<string, string> = {};
  let maxThreads = 0;
  for (let i = 0; i < cases.length; i++) {
    const spec = cases[i]!;
    options.onProgress?.(i, cases.length, spec.name);
    try {
      const { o, otherLoad, attempts } = await measure(spec, timing, options.settleMs ?? 0);
      maxThreads = Math.max(maxThreads, o.threads);
      waits[spec.name] = waitName(spec.wait);
      const measuresData = spec.group !== 'latency';
      results.push({
        name: spec.name,
        opsPerSec: o.opsPerSec,
        bytesPerSec: measuresData ? o.opsPerSec * spec.recordBytes : null,
        latencyNs: latencyOf(o.latency),
        memoryBytes: o.memoryBytes,
        params: {
          group: spec.group, label: spec.label, kind: spec.kind, producers: spec.producers, consumers: spec.consumers,
          consumerMode: spec.workGroup ? 'work group' : 'broadcast', capacity: spec.capacity, batch: spec.batch,
          recordBytes: spec.recordBytes, waitStrategy: waitName(spec.wait), threads: o.threads,
          oversubscribed: o.threads > cores, runs: o.windowRates.length, windowMs: timing.windowMs,
          stddevPct: stddevPct(o.windowRates), minOpsPerSec: Math.min(...o.windowRates), maxOpsPerSec: Math.max(...o.windowRates),
          nsPerOp: 1e9 / o.opsPerSec, checked: o.checked, baselines: spec.baselines, ratios: {},
          otherLoadCores: otherLoad === null ? null : Math.round(otherLoad * 100) / 100, attempts,
          ...(o.latency !== null ? { latencySamples: o.latency.samples, latencyMinNs: o.latency.min } : {}),
        },
      });
    } catch (e) {
      failed.push({ name: spec.name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  options.onProgress?.(cases.length, cases.length, '');
  addRatios(results);
  return {
    machine: { ...machine(cores, maxThreads, timing, waits), loadAverage },
    results,
    targets: evaluateTargets(results),
    memory: memoryTable(),
    failed,
  };
}

/** Other processes using more than this many cores during a case make it "disturbed". */
const QUIET_CORES = 0.25;

/**
 * Runs a case, recording the CPU other processes used meanwhile. With `settleMs` > 0 it first waits
 * (up to `settleMs`) for a quiet machine, and re-runs a disturbed case up to twice, keeping the
 * least disturbed attempt.
 */
async function measure(spec: CaseSpec, timing: Timing, settleMs: number):
  Promise<{ o: CaseOutcome; otherLoad: number | null; attempts: number }> {
  let best: { o: CaseOutcome; otherLoad: number | null } | undefined;
  let attempts = 0;
  for (let attempt = 1; attempt <= (settleMs > 0 ? 3 : 1); attempt++) {
    attempts = attempt;
    if (settleMs > 0) await settle(QUIET_CORES, settleMs);
    const probe = new LoadProbe();
    probe.start();
    const o = await runCase(spec, timing);
    const otherLoad = probe.stop();
    if (best === undefined || (otherLoad ?? 0) < (best.otherLoad ?? 0)) best = { o, otherLoad };
    if (otherLoad === null || otherLoad < QUIET_CORES) break;
  }
  return { ...best!, attempts };
}

function addRatios(results: BenchResult[]): void {
  const by = new Map(results.map((r) => [r.name, r]));
  for (const r of results) {
    const ratios: Record<string, number> = {};
    for (const b of r.params.baselines as string[]) {
      const base = by.get(b);
      if (base === undefined) continue;
      ratios[b] = r.bytesPerSec !== null && base.bytesPerSec !== null && b.startsWith('baseline.copy') ? r.bytesPerSec / base.bytesPerSec : r.opsPerSec / base.opsPerSec;
    }
    r.params.ratios = ratios;
  }
}

/** Evaluates the targets against the results (null where a name did not run). */
export function evaluateTargets(results: readonly BenchResult[]): TargetResult[] {
  const by = new Map(results.map((r) => [r.name, r]));
  const ops = (n: string): number | undefined => by.get(n)?.opsPerSec;
  const bps = (n: string): number | undefined => by.get(n)?.bytesPerSec ?? undefined;
  return TARGETS.map((t) => {
    const m = t.measure(ops, bps);
    return { text: t.text, value: m.value ?? null, goal: m.goal, unit: m.unit, met: m.value === undefined ? null : m.value >= m.goal };
  });
}

function machine(cores: number, maxThreads: number, timing: Timing, waits: Record<string, string>): Omit<MachineInfo, 'loadAverage'> {
  const cpu = cpus()[0];
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: platform(),
    release: release(),
    arch: arch(),
    cpuModel: cpu?.model ?? 'unknown',
    cores,
    memoryBytes: totalmem(),
    maxThreads,
    oversubscribed: maxThreads > cores,
    note: `${cores} logical CPUs; cases run up to ${maxThreads} worker threads (+ the idle main thread). ` +
      `Busy spin only where a case has at most one thread per core; more threads use 'phased' (spin 200, then Atomics.wait). ` +
      `params.otherLoadCores is the CPU other processes used while each case ran (a spinning case needs it near 0).`,
    timing,
    waitStrategies: waits,
  };
}
