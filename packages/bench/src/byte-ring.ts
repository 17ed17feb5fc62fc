/**
 * The byte-ring cases (`bytes.ring.*`): one `ByteRing` per case, one reader, records of the
 * case's size; the workers are in `worker/byte-ring-roles.ts`.
 */
import { ByteRing } from '@ringkit/core';
import type { CaseSpec } from './cases.js';
import type { Task } from './protocol.js';

/** Record space of a case's byte ring: as many records as the fixed-slot ring holds, a power of two. */
export function byteRingCapacity(spec: CaseSpec): number {
  let c = 256;
  while (c < spec.capacity * (spec.recordBytes + 8)) c *= 2;
  return c;
}

/** Creates the byte ring of a case and its reader; returns what the workers need and its size. */
export function createByteRing(spec: CaseSpec): { task: Partial<Task>; byteLength: number } {
  const ring = ByteRing.create({ capacity: byteRingCapacity(spec), maxReaders: 1, waitStrategy: spec.wait });
  const reader = ring.addReader();
  return { task: { descriptor: ring.descriptor, consumerId: reader.id }, byteLength: ring.byteLength };
}
