import { InvalidArgumentError } from './errors.js';
import { checkDescriptor, type RegionDescriptor, type RegionLayout } from './layout.js';
import { describe } from './schema.js';
import { orDefault } from './ring-mode.js';
import { allocateShared } from './shared-memory.js';

/** Where a new structure goes: a new buffer (the default), or a region of one the caller owns. */
export interface PlacementOptions {
  /** Place the structure in this buffer (at `byteOffset`) instead of a new one (e.g. shared memory another process maps too). */
  buffer?: SharedArrayBuffer;
  /** Where the structure starts in `buffer`: a multiple of 128. Defaults to 0. */
  byteOffset?: number;
}

/**
 * The region a new structure of `layout.byteLength` bytes lives in: a new zero-filled buffer,
 * or `options.buffer` at `options.byteOffset`, checked to hold it and zero-filled there (the
 * protocols assume fresh memory is zero: control words, tables, a multi-producer byte ring's
 * clean record space).
 * @throws {@link InvalidArgumentError} for a bad or too small buffer or offset, naming it;
 *   `CapacityError` when a new buffer that large cannot be allocated.
 */
export function placeRegion(options: PlacementOptions, layout: Pick<RegionLayout, 'byteLength'>, what: string): RegionDescriptor {
  const { buffer } = options;
  const byteOffset = orDefault<unknown>(options.byteOffset, 0);
  if (buffer === undefined) {
    if (byteOffset !== 0) throw new InvalidArgumentError(`options.byteOffset needs options.buffer: byteOffset=${describe(byteOffset)}`);
    return { buffer: allocateShared(layout.byteLength, what), byteOffset: 0 };
  }
  const d = checkDescriptor({ buffer, byteOffset }, 'options');
  if (d.byteOffset + layout.byteLength > d.buffer.byteLength) {
    throw new InvalidArgumentError(`options.buffer is too small for this ${what}: needs ${layout.byteLength} bytes at byteOffset=${d.byteOffset}, buffer.byteLength=${d.buffer.byteLength}`);
  }
  new Uint8Array(d.buffer, d.byteOffset, layout.byteLength).fill(0);
  return d;
}
