/**
 * The whole suite: picks the cases, runs them one after the other (each in fresh workers), and
 * builds the report object that `--json` prints.
 */
import { availableParallelism, cpus, totalmem, arch, platform, release, loadavg } from 'node:os';
import { Ring } from '@ringkit/core';
import { allCases, waitName, TARGETS, type CaseSpec } from './cases.js';
import { runCase, type CaseOutcome, type Timing } from './runner.js';
import { LoadProbe, settle } from './load.js';
import { comparisonGroups, median, roundOrder, statsOf, verdictOf, type RatioStats, type Verdict } from './rounds.js';
import type { LatencySummary } from './protocol.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Short windows, one run, fewer scaling points. Defaults to false. */
  quick?: boolean;
  /** Run only cases whose name contains one of these substrings. Defaults to all. */
  only?: readonly string[];
  /** Rounds of each comparison group. Defaults to {@link FULL_ROUNDS} ({@link QUICK_ROUNDS} with `quick`). */
  rounds?: number;
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
  /** Rounds of each comparison group (a case interleaved with its baselines). */
  rounds: number;
  /** Wait strategy of each case that ran. */
  waitStrategies: Record<string, string>;
}

/** A target and how this run did. */
export interface TargetResult {
  text: string;
  /** Median over rounds (a ratio, or M ops/s). */
  value: number | null;
  /** Spread over the rounds. */
  min: number | null;
  max: number | null;
  rounds: number;
  goal: number;
  unit: string;
  /** `inconclusive` when the spread crosses the goal; null when a name did not run. */
  verdict: Verdict | null;
  /** True when met, false when missed, null when inconclusive or not run. */
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

/** The cases a run with these options would execute (in order), each with the baselines it is compared with. */
export function selectCases(options: BenchOptions = {}): CaseSpec[] {
  const cores = options.cores ?? availableParallelism();
  const only = options.only ?? [];
  const all = allCases(cores);
  const picked = new Set(all.filter((c) => (only.length > 0 ? only.some((s) => c.name.includes(s)) : options.quick !== true || c.quick)).map((c) => c.name));
  // A case brings its baselines: every ratio it reports is measured in the same run.
  for (const c of all) if (picked.has(c.name)) for (const b of c.baselines) picked.add(b);
  return all.filter((c) => picked.has(c.name));
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

/** Rounds of each comparison group in a full run and in `--quick`. */
export const FULL_ROUNDS = 5;
export const QUICK_ROUNDS = 3;

/** One member's measurements over the rounds of its group. */
interface Rounds {
  spec: CaseSpec;
  outcomes: CaseOutcome[];
  otherLoads: (number | null)[];
  attempts: number;
}

/**
 * Runs the benchmark suite: each case compared with baselines runs interleaved with them over
 * `rounds` rounds (see `rounds.ts`); a case compared with nothing runs once.
 * @returns the report; cases that failed are listed in `failed` (and missing from `results`).
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const cores = options.cores ?? availableParallelism();
  const timing: Timing = { ...(options.quick === true ? QUICK_TIMING : FULL_TIMING), ...options.timing };
  const rounds = options.rounds ?? (options.quick === true ? QUICK_ROUNDS : FULL_ROUNDS);
  const cases = selectCases(options);
  const loadAverage = loadavg();
  const measured = new Map<string, Rounds>();
  const failed: BenchReport['failed'] = [];
  const waits: Record<string, string> = {};
  let maxThreads = 0;
  const groups = comparisonGroups(cases);
  const total = groups.reduce((a, g) => a + (g.length > 1 ? g.length * rounds : 1), 0);
  let step = 0;
  for (const group of groups) {
    const n = group.length > 1 ? rounds : 1;
    for (let r = 0; r < n; r++) {
      for (const spec of roundOrder(group, r)) {
        options.onProgress?.(step++, total, n > 1 ? `${spec.name} (round ${r + 1}/${n})` : spec.name);
        if (failed.some((f) => f.name === spec.name)) continue;
        try {
          const { o, otherLoad, attempts } = await measure(spec, timing, options.settleMs ?? 0);
          maxThreads = Math.max(maxThreads, o.threads);
          waits[spec.name] = waitName(spec.wait);
          const m = measured.get(spec.name) ?? { spec, outcomes: [], otherLoads: [], attempts: 0 };
          m.outcomes.push(o);
          m.otherLoads.push(otherLoad);
          m.attempts += attempts;
          measured.set(spec.name, m);
        } catch (e) {
          failed.push({ name: spec.name, error: e instanceof Error ? e.message : String(e) });
          measured.delete(spec.name);
        }
      }
    }
  }
  options.onProgress?.(total, total, '');
  const results = cases.filter((c) => measured.has(c.name)).map((c) => resultOf(measured.get(c.name)!, timing, cores));
  addRatios(results, measured);
  return {
    machine: { ...machine(cores, maxThreads, timing, waits, rounds), loadAverage },
    results,
    targets: evaluateTargets(results),
    memory: memoryTable(),
    failed,
  };
}

function resultOf(m: Rounds, timing: Timing, cores: number): BenchResult {
  const spec = m.spec;
  const perRound = m.outcomes.map((o) => o.opsPerSec);
  const opsPerSec = median(perRound);
  const windows = m.outcomes.flatMap((o) => o.windowRates);
  const o = m.outcomes[0]!;
  const loads = m.otherLoads.filter((x): x is number => x !== null);
  const otherLoad = loads.length === 0 ? null : Math.max(...loads);
  const latency = m.outcomes[m.outcomes.length >> 1]!.latency;
  const measuresData = spec.group !== 'latency';
  return {
    name: spec.name,
    opsPerSec,
    bytesPerSec: measuresData ? opsPerSec * spec.recordBytes : null,
    latencyNs: latencyOf(latency),
    memoryBytes: o.memoryBytes,
    params: {
      group: spec.group, label: spec.label, kind: spec.kind, producers: spec.producers, consumers: spec.consumers,
      consumerMode: spec.workGroup ? 'work group' : 'broadcast', capacity: spec.capacity, batch: spec.batch,
      recordBytes: spec.recordBytes, waitStrategy: waitName(spec.wait), threads: o.threads,
      oversubscribed: o.threads > cores, rounds: perRound.length, roundOpsPerSec: perRound,
      runs: windows.length, windowMs: timing.windowMs,
      stddevPct: stddevPct(windows), minOpsPerSec: Math.min(...windows), maxOpsPerSec: Math.max(...windows),
      nsPerOp: 1e9 / opsPerSec, checked: o.checked, baselines: spec.baselines, ratios: {}, ratioStats: {},
      otherLoadCores: otherLoad === null ? null : Math.round(otherLoad * 100) / 100, attempts: m.attempts,
      ...(o.extra ?? {}),
      ...(latency !== null ? { latencySamples: latency.samples, latencyMinNs: latency.min } : {}),
    },
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

/** Bytes per second compare with a copy baseline; entries per second with every other. */
function perSecond(spec: CaseSpec, ops: number, byBytes: boolean): number {
  return byBytes ? ops * spec.recordBytes : ops;
}

/** Ratios to each baseline: per round (same round, adjacent runs), then median and spread. */
function addRatios(results: BenchResult[], measured: Map<string, Rounds>): void {
  for (const r of results) {
    const ratios: Record<string, number> = {};
    const stats: Record<string, RatioStats> = {};
    const mine = measured.get(r.name)!;
    for (const b of r.params.baselines as string[]) {
      const base = measured.get(b);
      if (base === undefined) continue;
      const byBytes = b.startsWith('baseline.copy');
      const n = Math.min(mine.outcomes.length, base.outcomes.length);
      const perRound: number[] = [];
      for (let i = 0; i < n; i++) {
        perRound.push(perSecond(mine.spec, mine.outcomes[i]!.opsPerSec, byBytes) / perSecond(base.spec, base.outcomes[i]!.opsPerSec, byBytes));
      }
      if (perRound.length === 0) continue;
      stats[b] = statsOf(perRound);
      ratios[b] = stats[b].median;
    }
    r.params.ratios = ratios;
    r.params.ratioStats = stats;
  }
}

/**
 * Evaluates the targets against the results (null where a name did not run). A ratio target
 * uses the per-round ratios when the results carry them (`params.ratioStats`), else the ratio
 * of the two rates; its verdict is `inconclusive` when the spread crosses the goal.
 */
export function evaluateTargets(results: readonly BenchResult[]): TargetResult[] {
  const by = new Map(results.map((r) => [r.name, r]));
  return TARGETS.map((t) => {
    const a = by.get(t.name);
    let s: { median: number; min: number; max: number; rounds: number } | undefined;
    if (a !== undefined && t.baseline === undefined) {
      const rounds = (a.params.roundOpsPerSec as number[] | undefined) ?? [a.opsPerSec];
      s = { median: a.opsPerSec / 1e6, min: Math.min(...rounds) / 1e6, max: Math.max(...rounds) / 1e6, rounds: rounds.length };
    } else if (a !== undefined && t.baseline !== undefined) {
      const stats = (a.params.ratioStats as Record<string, RatioStats> | undefined)?.[t.baseline];
      const b = by.get(t.baseline);
      if (stats !== undefined) s = { median: stats.median, min: stats.min, max: stats.max, rounds: stats.rounds.length };
      else if (b !== undefined) {
        const v = t.bytes === true ? (a.bytesPerSec ?? 0) / (b.bytesPerSec ?? 1) : a.opsPerSec / b.opsPerSec;
        s = { median: v, min: v, max: v, rounds: 1 };
      }
    }
    if (s === undefined) return { text: t.text, value: null, min: null, max: null, rounds: 0, goal: t.goal, unit: t.unit, verdict: null, met: null };
    const verdict = verdictOf(s, t.goal);
    return { text: t.text, value: s.median, min: s.min, max: s.max, rounds: s.rounds, goal: t.goal, unit: t.unit, verdict, met: verdict === 'inconclusive' ? null : verdict === 'met' };
  });
}

function machine(cores: number, maxThreads: number, timing: Timing, waits: Record<string, string>, rounds: number): Omit<MachineInfo, 'loadAverage'> {
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
    rounds,
    waitStrategies: waits,
  };
}
