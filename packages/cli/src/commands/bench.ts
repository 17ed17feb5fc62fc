/**
 * `ringkit bench`: runs the benchmark suite of `@ringkit/bench` and prints the report.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';
import { integerFlag, UsageError } from '../flags.js';
import { natsBench, onlyNats } from './bench-nats.js';
import { StatusLine } from '../status-line.js';
import { isMissingPackage } from '../optional-package.js';

const HELP = `Usage: ringkit bench [options]

Runs ringkit's benchmarks in worker threads, beside baselines measured in the same run
(a hand-written SAB loop, MessagePort.postMessage, ringbuf.js, TypedArray.set copies).

Options:
  --quick            short windows (1 run of 220 ms per case), fewer scaling points, 3 rounds
  --rounds <n>       rounds of each comparison: a case and its baselines run interleaved n times
                     (A B, B A, ...); ratios are the median with min-max (default 5; --quick 3)
  --only <text>      run only cases whose name contains <text> (repeat or comma-separate)
  --json             print one JSON object on stdout: { machine, results, targets, ... }
  --markdown         print a Markdown results table on stdout (for the README)
  --out <dir>        also write <dir>/report.json and SVG charts
  --runs <n>         measurement windows per case (default 3; --quick 1)
  --window <ms>      length of each window in ms (default 1000; --quick 220)
  --warmup <ms>      warm-up before the first window in ms (default 300; --quick 120)
  --settle <s>       before each case wait up to <s> seconds for other processes to go quiet (Linux)
  --cores <n>        plan wait strategies for n cores (default: the machine's); --cores 1 never busy-spins
  --only nats.       the @ringkit/nats rows instead (any --only naming only nats.* cases: ring →
                     JetStream → ring packed and per entry, 8 B and 1 KiB, a plain @nats-io/jetstream
                     loop, core NATS; same-run ratios): --runs (or --rounds) rounds (default 5), each
                     run a fresh process after one unmeasured run; starts its own
                     nats-server -js unless --nats <url> names one; needs @ringkit/nats
  --shm              (or --only shm) run the cross-process cases instead (shm.* beside their in-process twins
                     inproc.*, process.send and a Unix socket; needs @ringkit/shm): --runs (or --rounds) rounds
                     (default 5), --window ms per case (default 1000), --spin to busy-spin, --json
  --list             list the case names and exit
  --from <file>      do not run: re-render a report.json written by --out (with --markdown, --json, --out)
  -h, --help         show this help

A progress line goes to stderr. Exit code 0, 1 if a case failed its checks, 2 for bad options.
Profile with: node --cpu-prof --cpu-prof-dir=prof $(which ringkit) bench --only spsc.item
`;

async function readReport(path: string): Promise<import('@ringkit/bench').BenchReport> {
  const { readFile } = await import('node:fs/promises');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--from must name a report.json written by --out: --from=${path} (${(e as Error).message})`);
  }
  const r = parsed as { machine?: unknown; results?: unknown };
  if (r === null || typeof r !== 'object' || typeof r.machine !== 'object' || !Array.isArray(r.results)) {
    throw new UsageError(`--from must name a report.json written by --out (an object with machine and results): --from=${path}`);
  }
  return parsed as import('@ringkit/bench').BenchReport;
}

const status = new StatusLine();

function progress(index: number, total: number, name: string): void {
  status.update(index < total ? `[${index + 1}/${total}] ${name}` : `[${total}/${total}] done`);
  if (index >= total) status.end();
}

/** `ringkit bench --shm`: the cross-process cases. */
async function shmBench(bench: typeof import('@ringkit/bench'), values: { runs?: string; rounds?: string; window?: string; json?: boolean; spin?: boolean }): Promise<number> {
  let rounds: number | undefined;
  let windowMs: number | undefined;
  try {
    rounds = values.rounds !== undefined ? integerFlag('rounds', values.rounds, 1, 100) : integerFlag('runs', values.runs, 1, 100);
    windowMs = integerFlag('window', values.window, 10, 600_000);
  } catch (e) {
    process.stderr.write(`ringkit bench: ${(e as Error).message}\n`);
    return 2;
  }
  let report;
  try {
    report = await bench.runShmBench({
      ...(rounds !== undefined ? { rounds } : {}), ...(windowMs !== undefined ? { windowMs } : {}), spin: values.spin === true,
      onProgress: (r, n, name) => status.update(`[round ${r + 1}/${n}] ${name}`),
    });
  } catch (e) {
    status.end();
    if (isMissingPackage(e, '@ringkit/shm')) {
      process.stderr.write('ringkit bench --shm: needs @ringkit/shm (named shared memory, a small native addon): npm install @ringkit/shm\n');
      return 1;
    }
    throw e;
  }
  status.end();
  process.stdout.write(values.json === true ? `${JSON.stringify(report)}\n` : bench.formatShmText(report));
  return 0;
}

/** The `bench` command. */
export const command: Command = {
  summary: 'benchmarks: throughput, latency, scaling, contention, bytes, vs baselines from the same run',
  async run(argv: string[]): Promise<number> {
    let values;
    try {
      values = parseArgs({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
          quick: { type: 'boolean' }, only: { type: 'string', multiple: true }, json: { type: 'boolean' },
          markdown: { type: 'boolean' }, out: { type: 'string' }, runs: { type: 'string' }, rounds: { type: 'string' }, window: { type: 'string' },
          warmup: { type: 'string' }, shm: { type: 'boolean' }, nats: { type: 'string' }, spin: { type: 'boolean' }, cores: { type: 'string' }, settle: { type: 'string' }, list: { type: 'boolean' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' },
        },
      }).values;
    } catch (e) {
      process.stderr.write(`ringkit bench: ${(e as Error).message}; allowed: --quick --only <text> --shm --nats <url> --spin --json --markdown --out <dir> --runs <n> --rounds <n> --window <ms> --warmup <ms> --cores <n> --settle <s> --list --from <file> --help\n`);
      return 2;
    }
    if (values.help === true) {
      process.stdout.write(HELP);
      return 0;
    }
    const natsTerms = (values.only ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== '');
    if (onlyNats(natsTerms)) return natsBench(natsTerms, values);
    const bench = await import('@ringkit/bench');
    // `--only shm` (or any term naming only cross-process cases) is the same as --shm.
    const terms = (values.only ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== '');
    const crossProcess = terms.length > 0 && terms.every((t) => bench.SHM_CASES.some((c) => c.includes(t)) && !bench.allCases(2).some((c) => c.name.includes(t)));
    if (values.shm === true || crossProcess) return shmBench(bench, values);
    try {
      if (values.json === true && values.markdown === true) throw new UsageError('--json and --markdown both write stdout: choose one');
      if (values.out === '') throw new UsageError('--out needs a directory: --out=""');
      const runs = integerFlag('runs', values.runs, 1, 100);
      const rounds = integerFlag('rounds', values.rounds, 1, 100);
      const windowMs = integerFlag('window', values.window, 10, 600_000);
      const warmupMs = integerFlag('warmup', values.warmup, 0, 600_000);
      const cores = integerFlag('cores', values.cores, 1, 1024);
      const settleS = integerFlag('settle', values.settle, 0, 3600);
      const only = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
      if (values.only !== undefined && only.length === 0) throw new UsageError('--only needs a name or substring, e.g. --only spsc');
      const options = {
        quick: values.quick === true,
        only,
        ...(cores !== undefined ? { cores } : {}),
        ...(rounds !== undefined ? { rounds } : {}),
        ...(settleS !== undefined ? { settleMs: settleS * 1000 } : {}),
        timing: { ...(runs !== undefined ? { runs } : {}), ...(windowMs !== undefined ? { windowMs } : {}), ...(warmupMs !== undefined ? { warmupMs } : {}) },
        onProgress: progress,
      };
      const selected = bench.selectCases(options);
      if (values.list === true) {
        process.stdout.write(`${selected.map((c) => `${c.name.padEnd(28)} ${c.label}`).join('\n')}\n`);
        return 0;
      }
      if (selected.length === 0) {
        throw new UsageError(`--only matched no case: --only=${only.join(',')}; case names: ${bench.allCases(2).map((c) => c.name).join(' ')}`);
      }
      const report = values.from !== undefined ? await readReport(values.from) : await bench.runBench(options);
      if (values.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
      else if (values.markdown === true) process.stdout.write(bench.formatMarkdown(report));
      else process.stdout.write(bench.formatText(report));
      if (values.out !== undefined) {
        const files = await bench.writeReportFiles(report, values.out);
        process.stderr.write(`wrote ${files.join(', ')}\n`);
      }
      for (const f of report.failed) process.stderr.write(`ringkit bench: ${f.name} failed: ${f.error}\n`);
      return report.failed.length > 0 ? 1 : 0;
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`ringkit bench: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
  },
};
