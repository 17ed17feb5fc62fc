/**
 * The stress loop shared by `npm test` (a short budget) and the soak (`npm run soak`): draws
 * scenarios from consecutive seeds and runs them until the time (or scenario) budget is used, and
 * prints one line per scenario, every failure with the command that replays it, and a summary.
 */
import type { Fate } from '../fixtures/stress-task.js';
import { describeScenario, drawScenario, type Scenario } from './scenario.js';
import { runScenario, type ScenarioResult } from './stress-run.js';

export interface LoopOptions {
  /** Run scenarios until this many seconds have passed (the one running then finishes). */
  seconds: number;
  /** First seed; consecutive seeds follow. Defaults to a random one. */
  seed?: number;
  /** Run exactly these seeds (a replay) instead. */
  seeds?: number[];
  /** Entries published per scenario (else drawn per scenario). */
  messages?: number;
  /**
   * False: scenarios keep every participant alive (planned kills become live participants).
   * For runtimes whose `worker.terminate()` does not stop a running worker — Deno 2.9's
   * node:worker_threads resolves it while the worker runs on — so a kill cannot be staged there.
   */
  kills?: boolean;
  /** How a failure is replayed (printed with each failing seed). */
  replay: (seed: number) => string;
  log?: (line: string) => void;
}

export interface LoopSummary {
  scenarios: number;
  failed: ScenarioResult[];
  published: number;
  checked: number;
  byKind: Record<string, { scenarios: number; published: number; checked: number; failed: number }>;
  ms: number;
}

/** The scenario with every planned kill turned into a live participant (see {@link LoopOptions.kills}). */
function withoutKills(s: Scenario): Scenario {
  const live = <F extends { fate: Fate }>(x: F): F => (x.fate.kind === 'kill' ? { ...x, fate: { kind: 'live', at: 0, where: 'between', stallMs: 0 } } : x);
  return { ...s, producers: s.producers.map(live), nodes: s.nodes.map(live) };
}

export async function stressLoop(o: LoopOptions): Promise<LoopSummary> {
  const log = o.log ?? ((line: string) => console.log(line));
  const t0 = Date.now();
  const first = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const summary: LoopSummary = { scenarios: 0, failed: [], published: 0, checked: 0, byKind: {}, ms: 0 };
  for (let i = 0; ; i++) {
    if (o.seeds !== undefined ? i >= o.seeds.length : Date.now() - t0 >= o.seconds * 1000) break;
    const seed = o.seeds !== undefined ? o.seeds[i]! : (first + i) | 0;
    const drawn = drawScenario(seed, o.messages);
    const scenario = o.kills === false ? withoutKills(drawn) : drawn;
    log(`stress seed=${seed}: ${describeScenario(scenario)}`);
    const r = await runScenario(scenario);
    summary.scenarios++;
    summary.published += r.published;
    summary.checked += r.checked;
    const k = (summary.byKind[scenario.kind] ??= { scenarios: 0, published: 0, checked: 0, failed: 0 });
    k.scenarios++;
    k.published += r.published;
    k.checked += r.checked;
    if (r.ok) {
      log(`  ok: ${r.published} published, ${r.checked} checked by the readers, ${r.ms} ms`);
    } else {
      k.failed++;
      summary.failed.push(r);
      log(`  FAIL after ${r.ms} ms (${r.published} published): replay with ${o.replay(seed)}`);
      for (const f of r.failures.slice(0, 12)) log(`    ${f.split('\n').join('\n    ')}`);
      if (r.failures.length > 12) log(`    … and ${r.failures.length - 12} more`);
    }
  }
  summary.ms = Date.now() - t0;
  log(`stress: ${summary.scenarios} scenarios in ${(summary.ms / 1000).toFixed(0)} s, ${summary.published} entries published, ${summary.checked} checked by readers, ${summary.failed.length} failed` +
    (summary.failed.length > 0 ? ` (seeds ${summary.failed.map((f) => f.seed).join(', ')})` : ''));
  for (const [kind, k] of Object.entries(summary.byKind)) log(`  ${kind}: ${k.scenarios} scenarios, ${k.published} published, ${k.checked} checked, ${k.failed} failed`);
  return summary;
}
