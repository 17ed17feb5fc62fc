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
 * CLAIM is the furthest claimed end position a lossy single producer has announced (before
 * writing; it never moves back, not even when a producer dies mid-claim and a replacement goes
 * on from CURSOR): readers treat everything below CLAIM - capacity as overwritten;
 * each reader's CONSUMER_SEQ word is the position it has released up to (exclusive).
 *
 * A reader trusts the frame at `p` only when `p` is before CURSOR, TAG == p (loaded first) and
 * LENGTH > 0 (loaded second). The producer stores LENGTH = -length, then TAG = p when it
 * claims, and LENGTH = +length when it commits (after the payload), all with `Atomics.store`.
 *
 * Why a reader never takes stale bytes for a frame:
 *
 * - Single producer: CURSOR moves only at commit, after the frame's header and payload are
 *   stored (and, in order, every earlier frame's), so every frame start below CURSOR holds this
 *   lap's committed header. No zeroing is needed; the single-producer path is unchanged.
 *
 * - Multi producer (clean limit, as Aeron's publication limit over cleaned term space): CURSOR
 *   moves at the claim, so a reader can reach a claimed frame before its producer stored the
 *   header. The record space a producer may claim is therefore zero beforehand. Two words of the
 *   CLAIM block (unused by multi-producer byte rings otherwise) hold the CLEAN LIMIT (producers
 *   never claim past it) and the CLEANING end (how far zeroing has been claimed). Invariant: every
 *   byte of [CURSOR, CLEAN LIMIT) is zero. A producer whose claim ends within c = min(capacity/4,
 *   32 KiB) of the limit tries to extend it: it reads LIMIT = L, sees CLEANING == L (nobody
 *   zeroing), computes T = min(slowest gating reader + capacity, claim end + 2c) (the previous
 *   lap's bytes below the first bound are released by every reader, and their producers are done
 *   with them because readers never pass an uncommitted frame), and only if T > L (the limit
 *   never moves back) wins a compare-and-swap of CLEANING from L to T (exactly one producer
 *   does), zeroes [L, T) and only then stores LIMIT = T. Nobody else writes [L, T) meanwhile: claims stop at L and the previous lap is done.
 *   So between a claim and its header store the reader at `p` loads LENGTH 0 (or TAG 0 ≠ p for
 *   p ≠ 0) and waits, whatever the previous lap's payload held. Ordering: the zeroing
 *   happens-before the LIMIT store, which the claiming producer loads before its CURSOR
 *   compare-and-swap, which the reader loads before the header (all `Atomics`, sequentially
 *   consistent). Cost: each byte is zeroed once per lap, by `fill(0)` in chunks of about c, and a
 *   claim waits for the zeroing only when it reaches LIMIT while another producer is zeroing.
 *   Lossy multi-producer rings zero a chunk of capacity / 8 past the claim instead (no readers
 *   gate them); readers treat everything below CLEANING - capacity as overwritten.
 *
 * - A multi producer declared dead between its claim and its commit (`ByteRing.recover`): its
 *   claim [LO, HI) is recorded in its producer-table entry (`producer-table.ts`), so a reader
 *   stuck at a frame in it skips to HI and counts the record's bytes as lost (not the padding
 *   before the lap boundary of a claim that crosses it, written or not). One that died before
 *   recording its claim left only zeros (clean space, no header yet): the reader skips 8-byte
 *   steps up to the next frame header (TAG == its position) or the next recorded claim.
 */
import { CLAIM_INDEX } from './layout.js';

/** Bytes of a frame header (LENGTH, TAG). */
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

/** Multi producer: end of the record space claimed for zeroing (moved by compare-and-swap). Single: CLAIM. */
export const CLEANING_INDEX = CLAIM_INDEX;
/**
 * Multi producer: 1 + the producer-table entry of the producer zeroing [CLEAN LIMIT, CLEANING),
 * or 0; written by that producer with CLEANING. If it dies mid-zeroing, `ByteRing.recover`
 * finishes the zeroing and moves the limit, so the other producers do not wait for ever.
 */
export const CLEANER_INDEX = CLAIM_INDEX + (32 >> 2);
/** Multi producer: end of the zeroed record space producers may claim; second cache line of the CLAIM block. */
export const CLEAN_LIMIT_INDEX = CLAIM_INDEX + (64 >> 2);
