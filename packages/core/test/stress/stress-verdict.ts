/**
 * Judges a finished stress scenario from its participants' reports: every surviving reader got
 * exactly what was published (lossless rings: every entry of every producer, once, in order;
 * lossy rings: in order, with delivered + lost accounting for the whole run), work-group members
 * together got each entry exactly once, a killed producer's abandoned claim was reported lost
 * (never read as data), and in-place phases (mark columns) were done before the consumers after them.
 */
import type { Worker } from 'node:worker_threads';
import type { BoardEntry } from '../fixtures/stress-board.js';
import { frameBytes } from '../fixtures/stress-byte-roles.js';
import type { StressReport, StressTask } from '../fixtures/stress-task.js';
import { followsOn } from '../fixtures/stress-verifier.js';
import type { NodePlan, ProducerPlan, Scenario } from './scenario.js';

/** One worker of a run, as the orchestrator tracks it. */
export interface Participant {
  task: StressTask;
  plan: ProducerPlan | NodePlan;
  worker: Worker;
  entry: BoardEntry;
  report: StressReport | undefined;
  killed: boolean;
  /** A killed producer's board words at the moment it was killed. */
  killSnapshot: { published: number; claimed: number; intent: number } | undefined;
  ready: Promise<number>;
  done: Promise<void>;
  /** The table id of the consumer (reader) it plays, once ready; -1 for producers. */
  consumerId: number;
}

/** What a reader must have got from one producer: exactly `lo` … `hi` entries (lo === hi unless killed at a random instant). */
interface Expected {
  lo: number;
  hi: number;
  /** What the producer may have left claimed but unpublished, as a reader must count it lost: the possible values. */
  abandoned: number[];
}

function expectations(s: Scenario, producers: Participant[], failures: string[]): Expected[] {
  const out: Expected[] = [];
  for (const p of producers) {
    const id = p.task.producerId;
    if (p.killed) {
      const k = p.killSnapshot!;
      const random = p.plan.fate.where === 'random';
      // Typed rings claim entries; byte rings, the facade and pools claim one record at a time.
      const intent = s.kind === 'ring' ? k.intent : 1;
      const unit = s.kind === 'byteRing' ? frameBytes(k.intent) : 1;
      const open = k.claimed - k.published; // claimed, not published, when it stopped
      // Only a multi-producer ring can show a dead producer's claim to readers at all (as lost).
      const abandonedUnits = (n: number): number => (s.multi ? n * unit : 0);
      if (random) {
        out[id] = { lo: k.published, hi: k.claimed + intent, abandoned: s.kind === 'byteRing' ? [0, abandonedUnits(1)] : Array.from({ length: open + intent + 1 }, (_, n) => abandonedUnits(n)) };
      } else {
        out[id] = { lo: k.published, hi: k.published, abandoned: [abandonedUnits(open)] };
      }
    } else if (p.report !== undefined) {
      const n = p.report.perProducer[id]!;
      out[id] = { lo: n, hi: n, abandoned: [0] };
      for (const e of p.report.errors) failures.push(`producer ${id}: ${e}`);
    } else {
      failures.push(`producer ${id} (worker ${p.task.worker}) never reported`);
      out[id] = { lo: 0, hi: Infinity, abandoned: [0] };
    }
  }
  return out;
}

/** Sums of one value from each list (every combination), deduplicated. */
function sums(lists: number[][]): Set<number> {
  let acc = new Set([0]);
  for (const l of lists) {
    const next = new Set<number>();
    for (const a of acc) for (const b of l) next.add(a + b);
    acc = next;
  }
  return acc;
}

/**
 * A reader's accounting reaches the ring's final position: exactly, or (byte rings) with the
 * lap-end padding frame the ring skips without counting it lost (see `followsOn`).
 */
function endsAt(s: Scenario, rep: StressReport, final: number): boolean {
  if (rep.coveredTo === final) return true;
  if (s.kind !== 'byteRing' || rep.coveredTo === null || rep.coveredFrom === null) return false;
  return followsOn(rep.coveredFrom, (rep.coveredTo - rep.coveredFrom) | 0, final, { lapMask: s.capacity - 1, maxPadding: frameBytes(s.capacity / 8 - 8) });
}

export function verdict(s: Scenario, participants: Participant[], final: number | undefined, poolOverwrites: number): { failures: string[]; published: number; checked: number } {
  const failures: string[] = [];
  const producers = participants.filter((p) => p.task.producerId >= 0);
  const readers = participants.filter((p) => p.task.producerId < 0);
  const expected = expectations(s, producers, failures);
  const published = producers.reduce((n, p) => n + (p.killed ? p.killSnapshot!.published : (p.report?.perProducer[p.task.producerId] ?? 0)), 0);
  const lostChoices = sums(expected.filter((e) => e !== undefined).map((e) => e.abandoned));
  const lossless = s.lossy === 'no';
  const gone = new Set<number>(); // nodes whose marks may be missing: killed or evicted
  for (const r of readers) if (r.killed || r.report?.evicted === true) gone.add(r.task.node);
  let checked = 0;
  const groups = new Map<number, StressReport[]>();

  for (const r of readers) {
    if (r.killed) continue;
    const rep = r.report;
    const name = `${r.task.role} node ${r.task.node} (worker ${r.task.worker}, consumer ${rep?.consumerId ?? r.task.consumerId})`;
    if (rep === undefined) {
      failures.push(`${name} never reported`);
      continue;
    }
    checked += rep.trusted;
    for (const e of rep.errors) failures.push(`${name}: ${e}`);
    for (const [node, n] of Object.entries(rep.markFailures)) {
      if (!gone.has(Number(node))) failures.push(`${name}: ${n} entries reached it before node ${node} (which it runs after) marked them`);
    }
    if (rep.evicted) {
      if (s.evictAfterMs === 0) failures.push(`${name} was evicted, but the ring has no evictAfterMs`);
      continue; // what it trusted before was checked in order; it sees no more
    }
    if (!rep.ended) failures.push(`${name} stopped without seeing the end of the ring`);
    const member = s.nodes[r.task.node]?.kind === 'group';
    if (member) {
      const list = groups.get(r.task.node) ?? [];
      list.push(rep);
      groups.set(r.task.node, list);
      continue;
    }
    if (rep.coveredTo !== null && final !== undefined && !endsAt(s, rep, final)) {
      failures.push(`${name} accounted for entries and losses up to ${rep.coveredTo}, but the ring ended at ${final}`);
    }
    for (const [id, e] of expected.entries()) {
      if (e === undefined) continue;
      const got = rep.perProducer[id] ?? 0;
      const ok = lossless ? got >= e.lo && got <= e.hi : got <= e.hi;
      if (!ok) failures.push(`${name} got ${got} entries of producer ${id}, expected ${e.lo === e.hi ? e.lo : `${e.lo} … ${e.hi}`}${lossless ? '' : ' at most'}`);
    }
    if (lossless && rep.coveredTo !== null) {
      const accounted = rep.lost;
      const consistent = [...lostChoices].some((l) => l === accounted);
      if (!consistent) failures.push(`${name} was told of ${accounted} lost, expected ${[...lostChoices].join(' or ')} (a dead producer's abandoned claim)`);
    }
  }

  for (const [node, members] of groups) {
    const seen = new Map<number, Uint8Array>();
    let lost = 0;
    for (const rep of members) {
      lost += rep.lost;
      for (let i = 0; i < rep.pairs.length; i += 2) {
        const p = rep.pairs[i]!, k = rep.pairs[i + 1]!;
        const e = expected[p];
        if (e === undefined || k >= e.hi) {
          failures.push(`work group node ${node}: entry p=${p} k=${k} was never published`);
          continue;
        }
        let bits = seen.get(p);
        if (bits === undefined) seen.set(p, (bits = new Uint8Array(Math.max(1, Math.min(e.hi, 1 << 26)))));
        if (bits[k] === 1) failures.push(`work group node ${node}: entry p=${p} k=${k} went to two members`);
        bits[k] = 1;
      }
    }
    for (const [id, e] of expected.entries()) {
      if (e === undefined) continue;
      const bits = seen.get(id);
      let n = 0;
      if (bits !== undefined) for (let k = 0; k < bits.length; k++) n += bits[k]!;
      let prefix = 0;
      while (bits !== undefined && prefix < bits.length && bits[prefix] === 1) prefix++;
      if (n < e.lo || n > e.hi || prefix !== n) failures.push(`work group node ${node}: got ${n} entries of producer ${id} (first gap at k=${prefix}), expected ${e.lo === e.hi ? e.lo : `${e.lo} … ${e.hi}`}`);
    }
    if (![...lostChoices].includes(lost)) failures.push(`work group node ${node}: members were told of ${lost} lost, expected ${[...lostChoices].join(' or ')}`);
  }

  if (s.kind === 'slotPool') {
    const abandoned = producers.reduce((n, p) => n + (p.report?.abandoned ?? 0), 0);
    if (poolOverwrites > abandoned) failures.push(`the pool overwrote ${poolOverwrites} slots, but only ${abandoned} were left without readers`);
  }
  return { failures, published, checked };
}
