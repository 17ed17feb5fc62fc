/**
 * `@ringkit/nats` measurements, run by `ringkit bench --only nats.` and by the standalone script
 * `node packages/nats/dist/src/bench.js [--rounds N] [--warmup N] [--url nats://…] [--only <text>] [--json]`.
 *
 * Entries/s ring → JetStream → ring (producer, sink, server, source and consumer all running on
 * this machine), packed and one entry per message, for 8-byte and 1 KiB entries, beside a plain
 * `@nats-io/jetstream` loop moving the same payloads (publish with `msgID`, at most 256 in
 * flight, a durable pull consumer fetching and acknowledging), and core NATS (no JetStream)
 * packed and per entry.
 *
 * Each measured run is a process of its own (bench-case.ts) with a `nats-server -js` of its own
 * (a free loopback port, its store in a temp dir; a given URL is used by every run instead),
 * which first runs the case unmeasured (`warmupRuns`, default 1: the JIT, the server's first
 * streams): no run inherits what another case left in a process or a server (bench-case.ts
 * says what that was). Cases alternate round by round (every other round, each per-entry case
 * and its plain loop swap places); each JetStream run's stream is deleted once measured; each
 * JetStream case moves about 0.5–1 s of entries on this 2-core VM, long beside the time its
 * pipeline takes to fill and drain. The report gives each case's median and the same-run
 * ratios (median, min–max over the rounds), and end-to-end latency percentiles (produce → far
 * consumer, at full load: queueing included). `only` runs the cases whose name contains one
 * of its texts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, InvalidArgumentError } from '@ringkit/core';
import { CASES, type Case, type Result } from './bench-cases.js';
import { intOption } from './options.js';

/**
 * The cases of round `r` in run order: every other round, each per-entry bridge case and the
 * plain loop after it swap places, so neither is always the one that follows a packed case.
 */
function roundOrder(cases: readonly Case[], r: number): Case[] {
  const order = cases.slice();
  if (r % 2 === 0) return order;
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

const CASE_SCRIPT = fileURLToPath(new URL('./bench-case.js', import.meta.url));

/** One measured run of `c` in a process of its own (bench-case.ts), with its own server unless `url`. */
function runInProcess(c: Case, warmupRuns: number, url: string | undefined): Promise<Result> {
  const args = [CASE_SCRIPT, c.name, String(warmupRuns), ...(url === undefined ? [] : [url])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 64 << 20, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(stderr.trim() || `${c.name}: ${error.message}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Result);
      } catch {
        reject(new Error(`${c.name}: the case's process printed no result: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

/** The names of the NATS bench cases (`nats.packed.8B`, …). */
export const NATS_CASES: readonly string[] = CASES.map((c) => c.name);

/** Options of {@link runNatsBench}. */
export interface NatsBenchOptions {
  /** Rounds (cases alternate round by round), an integer in [1, 100]. Defaults to 5. */
  rounds?: number;
  /** Unmeasured runs of a case in its process before the measured one, an integer in [0, 10]. Defaults to 1. */
  warmupRuns?: number;
  /** A running server with JetStream, used by every run; without it each run starts a `nats-server -js` of its own. */
  url?: string;
  /** Only the cases whose name contains one of these. Defaults to all. */
  only?: readonly string[];
  /** Called before each case of each round. */
  onProgress?: (round: number, rounds: number, name: string) => void;
}

/** A same-run ratio over the rounds. */
export interface NatsBenchRatio { median: number; min: number; max: number }

/** What {@link runNatsBench} measured. */
export interface NatsBenchReport {
  /** Rounds run. */
  rounds: number;
  /** Unmeasured runs before each measured one, in the same process. */
  warmupRuns: number;
  /** Per case: median entries/s, end-to-end latency percentiles (ms, over all rounds, at full load). */
  results: Array<{ name: string; entriesPerSec: number; latencyMs: { p50: number; p99: number; max: number } }>;
  /** Same-run ratios (packed/entry, entry/plain, core packed/entry) whose both cases ran. */
  ratios: Record<string, NatsBenchRatio>;
}

/** Runs the NATS bench cases (see the module's documentation). */
export async function runNatsBench(options: NatsBenchOptions = {}): Promise<NatsBenchReport> {
  const only = options.only ?? [];
  if (!Array.isArray(only) || only.some((t) => typeof t !== 'string')) throw new InvalidArgumentError(`options.only must be an array of texts (case names contain one): only=${describe(options.only)}`);
  const cases = CASES.filter((c) => only.length === 0 || only.some((t) => c.name.includes(t)));
  if (cases.length === 0) throw new InvalidArgumentError(`options.only names no NATS bench case: only=${JSON.stringify(only)}; cases: ${NATS_CASES.join(' ')}`);
  const rounds = intOption(options.rounds, 'rounds', 5, 1, 100);
  const warmupRuns = intOption(options.warmupRuns, 'warmupRuns', 1, 0, 10);
  if (options.url !== undefined && typeof options.url !== 'string') throw new InvalidArgumentError(`options.url must be a string (nats://host:port): url=${describe(options.url)}`);
  const results = new Map<string, Result[]>(CASES.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of roundOrder(cases, r)) {
      options.onProgress?.(r, rounds, c.name);
      results.get(c.name)!.push(await runInProcess(c, warmupRuns, options.url));
    }
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
  return { rounds, warmupRuns, results: rows, ratios };
}

/** The report as text rows (one per case, then the ratios). */
export function formatNatsBench(report: NatsBenchReport): string {
  const warmup = report.warmupRuns === 0 ? '' : `, after ${report.warmupRuns} warm-up run${report.warmupRuns === 1 ? '' : 's'}`;
  const lines = [`@ringkit/nats, ring → NATS → ring, each run in a fresh process${warmup}; ${report.rounds} rounds (median; latency over all rounds, at full load)`];
  for (const r of report.results) {
    lines.push(`${r.name.padEnd(22)} ${(r.entriesPerSec / 1e6).toFixed(3).padStart(9)} M entries/s   latency p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms, max ${r.latencyMs.max.toFixed(1)} ms`);
  }
  for (const [k, v] of Object.entries(report.ratios)) lines.push(`${k.padEnd(22)} ${v.median.toFixed(2)}× (min ${v.min.toFixed(2)}×, max ${v.max.toFixed(2)}×)`);
  return `${lines.join('\n')}\n`;
}
