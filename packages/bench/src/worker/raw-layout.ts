/**
 * The hand-written baselines' ring: one `SharedArrayBuffer` per ring, no ringkit code.
 *
 * | byte offset | Int32 index | what                                                        |
 * |------------:|------------:|-------------------------------------------------------------|
 * |           0 |           0 | (unused: keeps the hot words off the buffer's first line)   |
 * |         128 |          32 | cursor: last published sequence (Int32, wrap-safe; -1 first) |
 * |         256 |          64 | consumed: last sequence the consumer released (-1 first)     |
 * |         384 |          96 | publish waiters: consumers asleep on the cursor (blocking)  |
 * |         512 |         128 | release waiters: producers asleep on `consumed` (blocking)  |
 * |         640 |             | entries: `capacity` × 8 bytes (`Float64Array`)              |
 *
 * Each hot word has its own 128-byte block (two cache lines: no false sharing with the
 * adjacent-line prefetcher). The spin-only loops use only the cursor and `consumed`.
 */

/** Int32 index of the cursor (last published sequence). */
export const RAW_CURSOR = 32;
/** Int32 index of the consumer's sequence (last released). */
export const RAW_CONSUMED = 64;
/** Int32 index of the count of consumers sleeping on {@link RAW_CURSOR}. */
export const RAW_PUBLISH_WAITERS = 96;
/** Int32 index of the count of producers sleeping on {@link RAW_CONSUMED}. */
export const RAW_RELEASE_WAITERS = 128;
/** Byte offset of the entries (`Float64Array`). */
export const RAW_DATA_OFFSET = 640;

/** Bytes a raw ring of `capacity` f64 entries needs. */
export function rawByteLength(capacity: number): number {
  return RAW_DATA_OFFSET + capacity * 8;
}

/**
 * Allocates a raw ring of `capacity` f64 entries with nothing published and nothing consumed
 * (cursor and `consumed` at -1: a fresh buffer's 0 would say sequence 0 is already published).
 */
export function createRawRing(capacity: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(rawByteLength(capacity));
  const hdr = new Int32Array(buffer, 0, RAW_DATA_OFFSET >> 2);
  Atomics.store(hdr, RAW_CURSOR, -1);
  Atomics.store(hdr, RAW_CONSUMED, -1);
  return buffer;
}

/** The views of one raw ring: its Int32 header and its `Float64Array` entries. */
export function rawViews(buffer: SharedArrayBuffer, capacity: number): { hdr: Int32Array; data: Float64Array } {
  return { hdr: new Int32Array(buffer, 0, RAW_DATA_OFFSET >> 2), data: new Float64Array(buffer, RAW_DATA_OFFSET, capacity) };
}
