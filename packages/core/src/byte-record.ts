/**
 * Record layout of a byte ring (Agrona style). The DATA area of the region (see `layout.ts`) is
 * `capacity` bytes; positions are wrap-safe Int32 byte counters and the frame at position `p`
 * starts at byte `p & (capacity - 1)` of DATA. Every frame starts on an 8-byte boundary.
 *
 * ```
 * frame at position p (8-aligned):
 *   +0  LENGTH  Int32   frame length = 8 + payload bytes (unaligned).
 *                       Negative (-length) while the producer is writing the payload;
 *                       bit 30 (PADDING_FLAG) set on the padding frame that fills the end of
 *                       DATA when a record would cross the wrap (readers skip it).
 *   +4  TAG     Int32   p itself: tells this lap's frame from the bytes of the previous lap.
 *   +8  payload         LENGTH - 8 bytes, then zero to 7 bytes of alignment.
 * next frame at p + align8(LENGTH).
 * ```
 *
 * Control words reuse the typed ring's blocks: CURSOR is the published end position (single
 * producer: stored at commit) or the claimed end position (multi producer: compare-and-swap);
 * CLAIM is the claimed end position of a lossy single producer (announced before writing);
 * each reader's CONSUMER_SEQ word is the position it has released up to (exclusive).
 *
 * A reader trusts the frame at `p` only when `p` is before CURSOR, TAG == p (loaded first) and
 * LENGTH > 0 (loaded second). The producer stores LENGTH = -length, then TAG = p when it
 * claims, and LENGTH = +length when it commits (after the payload), all with `Atomics.store`.
 * Single producer: CURSOR moves only at commit, so a reader never looks at a frame before its
 * header is written. Multi producer: CURSOR moves at the claim; for the moment between the
 * claim and the header store a reader sees the previous lap's bytes at `p`, which it rejects
 * because their TAG differs from `p` — unless the previous lap's payload happens to hold the
 * Int32 `p` at that spot followed by a valid length (documented in docs/bytes.md).
 */
export const RECORD_HEADER_LENGTH = 8;
/** Frames start on multiples of this many bytes. */
export const RECORD_ALIGNMENT = 8;
/** Int32 offset of LENGTH within a frame header. */
export const LENGTH_WORD = 0;
/** Int32 offset of TAG within a frame header. */
export const TAG_WORD = 1;
/** Set in LENGTH on the padding frame at the wrap. */
export const PADDING_FLAG = 0x40000000;
/** Smallest byte ring capacity. */
export const MIN_BYTE_CAPACITY = 256;

