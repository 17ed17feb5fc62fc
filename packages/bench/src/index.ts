/**
 * `@ringkit/bench`: ringkit's benchmark suite. Throughput (SPSC/SPMC/MPSC/MPMC, per item and
 * batched), ring-size scaling, producer contention, latency (HDR histograms), byte records and
 * memory, each beside baselines measured in the same run: a hand-written SAB loop, `postMessage`,
 * `ringbuf.js` and `TypedArray.set`. Workers run the loops; the main thread only orchestrates.
 */
export { runBench, selectCases, evaluateTargets, memoryTable, FULL_TIMING, QUICK_TIMING, FULL_ROUNDS, QUICK_ROUNDS, type BenchOptions, type BenchReport, type BenchResult, type MachineInfo, type TargetResult } from './suite.js';
export { allCases, REQUIRED_NAMES, TARGETS, BATCH, type CaseSpec, type Group, type Kind, type Target } from './cases.js';
export { runCase, windowRates, type Timing, type CaseOutcome } from './runner.js';
export { comparisonGroups, roundOrder, statsOf, verdictOf, median, type RatioStats, type Verdict } from './rounds.js';
export { expectedFizzbuzz, checkFizzbuzz, fizzbuzzMessages, type FizzbuzzCounts } from './pipeline-case.js';
export type { LatencySummary, WorkerReport } from './protocol.js';
export { formatText, formatMarkdown, fixed2 } from './report.js';
export { charts, barChart, lineChart, type Bar, type Series } from './svg.js';
export { writeReportFiles } from './output.js';
export { runShmBench, formatShmText, SHM_CASES, type ShmBenchOptions, type ShmBenchReport, type ShmBenchResult, type ShmRatio } from './shm/suite.js';
