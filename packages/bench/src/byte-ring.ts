/**
 * Optional byte-ring cases: `@ringkit/core` may export a variable-length `ByteRing` (added on
 * another branch). It is detected at run time with `'ByteRing' in core`; without it the
 * `bytes.ring.*` cases are skipped with a note. The interfaces below are the part of its API the
 * cases use, declared here so this package builds against a core without it.
 */
import type { RegionDescriptor, WaitStrategyOption } from '@ringkit/core';
import type { CaseSpec } from './cases.js';
import type { Task } from './protocol.js';

/** A byte ring as the benchmarks use it. */
export interface ByteRingLike {
  readonly descriptor: RegionDescriptor;
  readonly byteLength: number;
  /** The record space; payloads are sub-ranges of it. */
  readonly data: Uint8Array;
  producer(): ByteProducerLike;
  addReader(): { readonly id: number };
  openReader(id: number): ByteReaderLike;
}

/** The producer side: claim an offset, write the payload in place, commit. */
export interface ByteProducerLike {
  tryClaimOffset(length: number): number;
  claimOffset(length: number): number;
  commit(): void;
  close(): void;
}

/** A reader: batches of records, each an (offset, length) in `ring.data`. */
export interface ByteReaderLike {
  readonly batch: { readonly count: number; offset(i: number): number; length(i: number): number };
  tryPoll(): number;
  poll(): number;
}

/** `ByteRing`'s static side. */
export interface ByteRingClass {
  create(options: { capacity: number; maxReaders?: number; waitStrategy?: WaitStrategyOption }): ByteRingLike;
  attach(descriptor: RegionDescriptor, options?: { waitStrategy?: WaitStrategyOption }): ByteRingLike;
}

/** The part of `@ringkit/core` the byte-ring cases use. */
export interface ByteRingModule {
  readonly ByteRing: ByteRingClass;
}

/** `@ringkit/core` if it exports `ByteRing`, else undefined. */
export async function loadByteRing(): Promise<ByteRingModule | undefined> {
  const core: Record<string, unknown> = await import('@ringkit/core');
  return 'ByteRing' in core ? (core as unknown as ByteRingModule) : undefined;
}

/** Record space of a case's byte ring: as many records as the fixed-slot ring holds, a power of two. */
export function byteRingCapacity(spec: CaseSpec): number {
  let c = 256;
  while (c < spec.capacity * (spec.recordBytes + 8)) c *= 2;
  return c;
}

/** Creates the byte ring of a case and its reader; returns what the workers need and its size. */
export function createByteRing(mod: ByteRingModule, spec: CaseSpec): { task: Partial<Task>; byteLength: number } {
  const ring = mod.ByteRing.create({ capacity: byteRingCapacity(spec), maxReaders: 1, waitStrategy: spec.wait });
  const reader = ring.addReader();
  return { task: { descriptor: ring.descriptor, consumerId: reader.id }, byteLength: ring.byteLength };
}
