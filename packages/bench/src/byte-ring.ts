/**
 * Optional byte-ring cases: `@ringkit/core` may export a variable-length `ByteRing` (being added
 * on another branch). It is detected at run time with `'ByteRing' in core`; without it the
 * `bytes.ring.*` cases are skipped with a note.
 */
import type { CaseSpec } from './cases.js';
import type { Task } from './protocol.js';

/** The part of `@ringkit/core` the byte-ring cases use (typed loosely: the API is not on main yet). */
export interface ByteRingModule {
  readonly ByteRing: unknown;
}

/** `@ringkit/core` if it exports `ByteRing`, else undefined. */
export async function loadByteRing(): Promise<ByteRingModule | undefined> {
  const core: Record<string, unknown> = await import('@ringkit/core');
  return 'ByteRing' in core ? (core as unknown as ByteRingModule) : undefined;
}

/** Creates the byte ring of a case; returns what its workers need and its size. */
export function createByteRing(_mod: ByteRingModule, _spec: CaseSpec): { task: Partial<Task>; byteLength: number } {
  throw new Error('this build of @ringkit/bench has no adapter for this ByteRing API');
}
