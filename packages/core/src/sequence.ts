/**
 * Sequences are Int32 counters that only move forward and wrap from 2^31-1 to -2^31. Every
 * comparison goes through the wrap-safe difference `(a - b) | 0`, which is exact while the two
 * sequences are less than 2^31 apart; that is why capacities stop at 2^30.
 */

/** Largest capacity (entries, or bytes for byte rings) any ring may have: 2^30. */
export const MAX_CAPACITY = 2 ** 30;

/** `a - b` as a wrap-safe signed distance. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a + n` wrapped to Int32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) | 0;
}

/** True when sequence `a` comes strictly after `b`. */
export function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** The earlier of two sequences (wrap-safe). */
export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) < 0 ? a : b;
}

/** The later of two sequences (wrap-safe). */
export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) > 0 ? a : b;
}

/** True for a power of two in [1, 2^30]. */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_CAPACITY && (n & (n - 1)) === 0;
}

/** log2 of a power of two. */
export function log2(n: number): number {
  return 31 - Math.clz32(n);
}
