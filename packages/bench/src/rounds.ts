/**
 * Interleaved rounds: a case and the baselines it is compared with run one after the other,
 * round after round (forward, then backward: A B C, C B A, …), so slow drifts of the machine's
 * load hit both sides alike. Each round gives one ratio; the report keeps the median and the
 * min–max spread, and a target whose spread crosses its goal is "inconclusive".
 */
import type { CaseSpec } from './cases.js';

/** A ratio over rounds: the median of the per-round ratios and their extremes. */
export interface RatioStats {
  median: number;
  min: number;
  max: number;
  /** One ratio per round, in round order. */
  rounds: number[];
}

/** What a target's spread says. */
export type Verdict = 'met' | 'missed' | 'inconclusive';

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median and min–max of per-round values. */
export function statsOf(rounds: readonly number[]): RatioStats {
  return { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds: [...rounds] };
}

/**
 * The verdict of "value ≥ goal" over rounds: met when every round met it, missed when none did,
 * inconclusive when the spread crosses the goal.
 */
export function verdictOf(s: { min: number; max: number }, goal: number): Verdict {
  if (s.min >= goal) return 'met';
  if (s.max < goal) return 'missed';
  return 'inconclusive';
}

/**
 * Splits the selected cases into comparison groups, in catalogue order: a case with its selected
 * baselines (and every other case sharing one of them) form one group; a case compared with
 * nothing is a group of one.
 */
export function comparisonGroups(cases: readonly CaseSpec[]): CaseSpec[][] {
  const index = new Map(cases.map((c, i) => [c.name, i]));
  const parent = cases.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  cases.forEach((c, i) => {
    for (const b of c.baselines) {
      const j = index.get(b);
      if (j !== undefined) parent[find(j)] = find(i);
    }
  });
  const groups = new Map<number, CaseSpec[]>();
  cases.forEach((c, i) => {
    const root = find(i);
    const g = groups.get(root) ?? [];
    g.push(c);
    groups.set(root, g);
  });
  return [...groups.values()].sort((a, b) => index.get(a[0]!.name)! - index.get(b[0]!.name)!);
}

/** The order of a group's members in round `r` (0-based): forward in even rounds, backward in odd ones. */
export function roundOrder<T>(members: readonly T[], r: number): T[] {
  return r % 2 === 0 ? [...members] : [...members].reverse();
}
