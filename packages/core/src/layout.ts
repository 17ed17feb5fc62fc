import { InvalidArgumentError, LayoutMismatchError } from './errors.js';
import { describe } from './schema.js';

/**
 * The memory layout of every ringkit structure, written down once. Only this file knows offsets;
 * everything else goes through the constants and {@link computeLayout}.
 *
 * A structure lives in one region of a `SharedArrayBuffer`, starting at a 128-byte-aligned
 * `byteOffset`. The region begins with a self-describing header, then one 128-byte block per
 * independently written counter (one writer per cache-line pair: false sharing costs 2.5–3.7×
 * on the reference machine), then the tables and the data.
 *
 * ```
 *  offset  block              contents (Int32 words unless noted)
 *  ------  -----------------  ------------------------------------------------------------------
 *       0  HEADER             magic "RKIT" | version u16, kind u16 | capacity | producer mode |
 *                             max consumers | flags | initial sequence | evictAfterMs |
 *                             region length | schema length | (reserved) | epoch ms (f64 @48)
 *     128  CURSOR             cursor: single producer → last published sequence;
 *                             multi producer → last claimed sequence (availability says published)
 *     256  CLAIM              lossy single producer: last claimed sequence, stored before writing
 *     384  PUBLISH_SIGNAL     bumped (and notified) by publishers when PUBLISH_WAITERS != 0
 *     512  PUBLISH_WAITERS    number of threads asleep waiting for new entries
 *     640  RELEASE_SIGNAL     bumped (and notified) by consumers when RELEASE_WAITERS != 0
 *     768  RELEASE_WAITERS    number of threads asleep waiting for consumers to release
 *     896  STATE (cold)       closed | final sequence | open producers | topology epoch |
 *                             producer attached (single) | closing
 *    1024  SCHEMA             canonical schema text (UTF-8), padded to 128
 *       …  CONSUMER_INFO      max consumers × 32 bytes (cold): state | dependency mask | group |
 *                             member count (groups) | name id
 *       …  CONSUMER_SEQ       max consumers × 128 bytes (hot): sequence @0, heartbeat @64
 *       …  AVAILABLE          multi producer only: capacity × Int32 lap numbers
 *       …  DATA               typed ring: one 128-aligned column per field; byte ring: bytes
 * ```
 *
 * Protocol rules: a producer writes slots, then publishes (stores the cursor, or the slot's lap
 * number in AVAILABLE); a consumer that sees sequence s published may read every slot ≤ s. A
 * consumer releases by storing its sequence; a producer never claims a slot whose previous
 * occupant some active consumer has not released (unless the ring is lossy).
 */

/** Every independently written word gets a block of this many bytes to itself. */
export const BLOCK_LENGTH = 128;
/** "RKIT" as a little-endian u32. */
export const MAGIC = 0x54494b52;
/** Bumped whenever this table changes incompatibly. */
export const LAYOUT_VERSION = 1;

/** Kinds of structure a region may hold. */
export const KIND = { typedRing: 1, byteRing: 2, slotPool: 3 } as const;
/** A structure kind value. */
export type Kind = (typeof KIND)[keyof typeof KIND];
/** Producer modes stored in the header. */
export const PRODUCER_MODE = { single: 0, multi: 1 } as const;
/** Header flag: the ring is lossy (producers are never gated). */
export const FLAG_LOSSY = 1;
/** Header flag: lapped consumers of a lossy ring skip ahead (with a `lost` count) instead of throwing. */
export const FLAG_LOSSY_SKIP = 2;

let at = 0;
// HEADER block: byte offsets from the region start.
export const MAGIC_OFFSET = at; at += 4;
export const VERSION_OFFSET = at; at += 2;
export const KIND_OFFSET = at; at += 2;
export const CAPACITY_OFFSET = at; at += 4;
export const PRODUCER_MODE_OFFSET = at; at += 4;
export const MAX_CONSUMERS_OFFSET = at; at += 4;
export const FLAGS_OFFSET = at; at += 4;
export const INITIAL_SEQUENCE_OFFSET = at; at += 4;
export const EVICT_AFTER_OFFSET = at; at += 4;
export const REGION_LENGTH_OFFSET = at; at += 4;
export const SCHEMA_LENGTH_OFFSET = at; at += 4;
at += 8; // reserved
export const EPOCH_OFFSET = at; at += 8; // f64, Date.now() at creation
export const HEADER_LENGTH = BLOCK_LENGTH;
at = HEADER_LENGTH;
// Hot blocks, one writer each.
export const CURSOR_OFFSET = at; at += BLOCK_LENGTH;
export const CLAIM_OFFSET = at; at += BLOCK_LENGTH;
export const PUBLISH_SIGNAL_OFFSET = at; at += BLOCK_LENGTH;
export const PUBLISH_WAITERS_OFFSET = at; at += BLOCK_LENGTH;
export const RELEASE_SIGNAL_OFFSET = at; at += BLOCK_LENGTH;
export const RELEASE_WAITERS_OFFSET = at; at += BLOCK_LENGTH;
// STATE block (cold): rarely written words.
export const STATE_OFFSET = at;
export const CLOSED_OFFSET = at; at += 4;
export const FINAL_SEQUENCE_OFFSET = at; at += 4;
export const OPEN_PRODUCERS_OFFSET = at; at += 4;
export const TOPOLOGY_EPOCH_OFFSET = at; at += 4;
export const PRODUCER_ATTACHED_OFFSET = at; at += 4;
export const CLOSING_OFFSET = at; at += 4;
at = STATE_OFFSET + BLOCK_LENGTH;
/** The schema text starts here; the tables follow it at the next block boundary. */
export const SCHEMA_OFFSET = at;
/** Longest schema text, in bytes. */
export const MAX_SCHEMA_LENGTH = 4096;

/** Int32 indices (`OFFSET >> 2`) of the control words, relative to the region start. */
export const CURSOR_INDEX = CURSOR_OFFSET >> 2;
export const CLAIM_INDEX = CLAIM_OFFSET >> 2;
export const PUBLISH_SIGNAL_INDEX = PUBLISH_SIGNAL_OFFSET >> 2;
export const PUBLISH_WAITERS_INDEX = PUBLISH_WAITERS_OFFSET >> 2;
export const RELEASE_SIGNAL_INDEX = RELEASE_SIGNAL_OFFSET >> 2;
export const RELEASE_WAITERS_INDEX = RELEASE_WAITERS_OFFSET >> 2;
export const CLOSED_INDEX = CLOSED_OFFSET >> 2;
export const FINAL_SEQUENCE_INDEX = FINAL_SEQUENCE_OFFSET >> 2;
export const OPEN_PRODUCERS_INDEX = OPEN_PRODUCERS_OFFSET >> 2;
export const TOPOLOGY_EPOCH_INDEX = TOPOLOGY_EPOCH_OFFSET >> 2;
export const PRODUCER_ATTACHED_INDEX = PRODUCER_ATTACHED_OFFSET >> 2;
export const CLOSING_INDEX = CLOSING_OFFSET >> 2;

/**
 * One CONSUMER_INFO entry (cold, 32 bytes; written at registration, eviction and removal):
 * ```
 *  +0  state        CONSUMER_STATE
 *  +4  deps         bit i set → this consumer runs after table entry i (i < MAX_DEPENDENCY_IDS)
 *  +8  group        table index of the work group this member belongs to, or -1
 *  +12 members      for a group entry: number of members
 *  +16 role         CONSUMER_ROLE
 * ```
 */
export const CONSUMER_INFO_LENGTH = 32;
export const INFO_STATE = 0;
export const INFO_DEPS = 1;
export const INFO_GROUP = 2;
export const INFO_MEMBERS = 3;
export const INFO_ROLE = 4;
/** One CONSUMER_SEQ entry (hot): the sequence at +0 and the heartbeat (ms since epoch) at +64. */
export const CONSUMER_SEQ_LENGTH = BLOCK_LENGTH;
export const SEQ_WORD = 0;
export const HEARTBEAT_WORD = 64 >> 2;

/** States of a consumer table entry, moved with `Atomics.compareExchange`. */
export const CONSUMER_STATE = { free: 0, reserved: 1, active: 2, evicted: 3, removed: 4 } as const;
/** Role of a table entry: a consumer, a work group's shared work sequence, or a group member. */
export const CONSUMER_ROLE = { consumer: 0, group: 1, member: 2 } as const;
/** Most consumers a ring may have (table entries: consumers, work groups and their members). */
export const MAX_CONSUMERS = 128;
/**
 * Dependencies (`after`) may name only table ids below this: a dependency mask is one Int32.
 * Register the consumers others run after first (ids are handed out lowest first).
 */
export const MAX_DEPENDENCY_IDS = 32;

/** Offsets of one region, computed once from its parameters. */
export interface RegionLayout {
  readonly capacity: number;
  readonly maxConsumers: number;
  readonly multiProducer: boolean;
  readonly schemaLength: number;
  readonly consumerInfoOffset: number;
  readonly consumerSeqOffset: number;
  /** -1 when the ring has no availability array (single producer). */
  readonly availableOffset: number;
  readonly dataOffset: number;
  /** Bytes of the data area. */
  readonly dataLength: number;
  /** Byte offset of each data column from the region start (typed rings), else empty. */
  readonly columnOffsets: readonly number[];
  /** Total bytes of the region. */
  readonly byteLength: number;
}

/** Rounds `n` up to a multiple of `alignment` (a power of two). */
export function alignTo(n: number, alignment: number): number {
  return (n + alignment - 1) & ~(alignment - 1);
}

/**
 * Computes the offsets of a region. `columnBytes` lists the bytes each data column takes
 * (typed ring), or holds one entry for an unstructured data area (byte ring, slot pool).
 */
export function computeLayout(p: {
  capacity: number;
  maxConsumers: number;
  multiProducer: boolean;
  schemaLength: number;
  columnBytes: readonly number[];
}): RegionLayout {
  let offset = alignTo(SCHEMA_OFFSET + p.schemaLength, BLOCK_LENGTH);
  const consumerInfoOffset = offset;
  offset = alignTo(offset + p.maxConsumers * CONSUMER_INFO_LENGTH, BLOCK_LENGTH);
  const consumerSeqOffset = offset;
  offset += p.maxConsumers * CONSUMER_SEQ_LENGTH;
  let availableOffset = -1;
  if (p.multiProducer) {
    availableOffset = offset;
    offset = alignTo(offset + p.capacity * 4, BLOCK_LENGTH);
  }
  const dataOffset = offset;
  const columnOffsets: number[] = [];
  for (const bytes of p.columnBytes) {
    columnOffsets.push(offset);
    offset = alignTo(offset + bytes, BLOCK_LENGTH);
  }
  return {
    capacity: p.capacity,
    maxConsumers: p.maxConsumers,
    multiProducer: p.multiProducer,
    schemaLength: p.schemaLength,
    consumerInfoOffset,
    consumerSeqOffset,
    availableOffset,
    dataOffset,
    dataLength: offset - dataOffset,
    columnOffsets,
    byteLength: offset,
  };
}

/** Header fields as read from (or to be written to) memory. */
export interface Header {
  readonly kind: Kind;
  readonly capacity: number;
  readonly multiProducer: boolean;
  readonly maxConsumers: number;
  readonly lossy: boolean;
  /** Lossy rings: lapped consumers skip ahead with a `lost` count instead of throwing. */
  readonly lossySkip?: boolean;
  readonly initialSequence: number;
  readonly evictAfterMs: number;
  readonly byteLength: number;
  readonly schema: string;
  readonly epochMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Byte length of `text` in UTF-8 (the schema's stored form). */
export function schemaByteLength(text: string): number {
  return encoder.encode(text).length;
}

/** A region descriptor: structured-clonable, enough for any thread to attach. */
export interface RegionDescriptor {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
}

/** Checks that `d` can hold a region (type, alignment, bounds). */
export function checkDescriptor(d: unknown, what = 'descriptor'): RegionDescriptor {
  if (d === null || typeof d !== 'object') {
    throw new InvalidArgumentError(`${what} must be an object { buffer: SharedArrayBuffer, byteOffset: number }: ${what}=${describe(d)}`);
  }
  const { buffer, byteOffset } = d as { buffer?: unknown; byteOffset?: unknown };
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(`${what}.buffer must be a SharedArrayBuffer: buffer=${Object.prototype.toString.call(buffer)}`);
  }
  const offset = byteOffset === undefined ? 0 : byteOffset;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset % BLOCK_LENGTH !== 0) {
    throw new InvalidArgumentError(`${what}.byteOffset must be a non-negative multiple of ${BLOCK_LENGTH}: byteOffset=${describe(offset)}`);
  }
  if (offset + HEADER_LENGTH > buffer.byteLength) {
    throw new InvalidArgumentError(
      `${what}.byteOffset leaves no room for a header: byteOffset=${offset}, buffer.byteLength=${buffer.byteLength}`,
    );
  }
  return { buffer, byteOffset: offset };
}

/** Writes a header (and schema text) at the start of a region. Call once, before sharing. */
export function writeHeader(d: RegionDescriptor, h: Header): void {
  const view = new DataView(d.buffer, d.byteOffset, SCHEMA_OFFSET);
  const schema = encoder.encode(h.schema);
  view.setUint32(MAGIC_OFFSET, MAGIC, true);
  view.setUint16(VERSION_OFFSET, LAYOUT_VERSION, true);
  view.setUint16(KIND_OFFSET, h.kind, true);
  view.setUint32(CAPACITY_OFFSET, h.capacity, true);
  view.setUint32(PRODUCER_MODE_OFFSET, h.multiProducer ? PRODUCER_MODE.multi : PRODUCER_MODE.single, true);
  view.setUint32(MAX_CONSUMERS_OFFSET, h.maxConsumers, true);
  view.setUint32(FLAGS_OFFSET, (h.lossy ? FLAG_LOSSY : 0) | (h.lossySkip === true ? FLAG_LOSSY_SKIP : 0), true);
  view.setInt32(INITIAL_SEQUENCE_OFFSET, h.initialSequence, true);
  view.setUint32(EVICT_AFTER_OFFSET, h.evictAfterMs, true);
  view.setUint32(REGION_LENGTH_OFFSET, h.byteLength, true);
  view.setUint32(SCHEMA_LENGTH_OFFSET, schema.length, true);
  view.setFloat64(EPOCH_OFFSET, h.epochMs, true);
  new Uint8Array(d.buffer, d.byteOffset + SCHEMA_OFFSET, schema.length).set(schema);
}

const KIND_NAMES: Record<number, string> = { 1: 'typed ring', 2: 'byte ring', 3: 'slot pool' };

/** Reads and validates a header; throws {@link LayoutMismatchError} naming the bad field. */
export function readHeader(d: RegionDescriptor, expectedKind: Kind): Header {
  const view = new DataView(d.buffer, d.byteOffset, HEADER_LENGTH);
  const magic = view.getUint32(MAGIC_OFFSET, true);
  if (magic !== MAGIC) {
    throw new LayoutMismatchError('magic', `memory at byteOffset=${d.byteOffset} is not a ringkit region: magic=0x${magic.toString(16)}, expected 0x${MAGIC.toString(16)}`);
  }
  const version = view.getUint16(VERSION_OFFSET, true);
  if (version !== LAYOUT_VERSION) {
    throw new LayoutMismatchError('version', `layout version differs: version=${version}, expected ${LAYOUT_VERSION}`);
  }
  const kind = view.getUint16(KIND_OFFSET, true);
  if (kind !== expectedKind) {
    throw new LayoutMismatchError('kind', `region holds a ${KIND_NAMES[kind] ?? `kind ${kind}`}, expected a ${KIND_NAMES[expectedKind]}: kind=${kind}`);
  }
  const byteLength = view.getUint32(REGION_LENGTH_OFFSET, true);
  if (d.byteOffset + byteLength > d.buffer.byteLength) {
    throw new LayoutMismatchError('byteLength', `region runs past the buffer: byteOffset=${d.byteOffset}, byteLength=${byteLength}, buffer.byteLength=${d.buffer.byteLength}`);
  }
  const schemaLength = view.getUint32(SCHEMA_LENGTH_OFFSET, true);
  // Copy out of the shared memory: TextDecoder refuses shared views.
  const schema = decoder.decode(new Uint8Array(d.buffer, d.byteOffset + SCHEMA_OFFSET, schemaLength).slice());
  return {
    kind: kind as Kind,
    capacity: view.getUint32(CAPACITY_OFFSET, true),
    multiProducer: view.getUint32(PRODUCER_MODE_OFFSET, true) === PRODUCER_MODE.multi,
    maxConsumers: view.getUint32(MAX_CONSUMERS_OFFSET, true),
    lossy: (view.getUint32(FLAGS_OFFSET, true) & FLAG_LOSSY) !== 0,
    lossySkip: (view.getUint32(FLAGS_OFFSET, true) & FLAG_LOSSY_SKIP) !== 0,
    initialSequence: view.getInt32(INITIAL_SEQUENCE_OFFSET, true),
    evictAfterMs: view.getUint32(EVICT_AFTER_OFFSET, true),
    byteLength,
    schema,
    epochMs: view.getFloat64(EPOCH_OFFSET, true),
  };
}

/** A human-readable dump of a region's header, for error messages, tests and the board. */
export function describeLayout(buffer: SharedArrayBuffer, byteOffset = 0): string {
  const view = new DataView(buffer, byteOffset, HEADER_LENGTH);
  const magic = view.getUint32(MAGIC_OFFSET, true);
  if (magic !== MAGIC) return `not a ringkit region (magic=0x${magic.toString(16)})`;
  const kind = view.getUint16(KIND_OFFSET, true);
  const ctl = new Int32Array(buffer, byteOffset, SCHEMA_OFFSET >> 2);
  const schemaLength = view.getUint32(SCHEMA_LENGTH_OFFSET, true);
  const schema = decoder.decode(new Uint8Array(buffer, byteOffset + SCHEMA_OFFSET, schemaLength).slice());
  return [
    `${KIND_NAMES[kind] ?? `kind ${kind}`} v${view.getUint16(VERSION_OFFSET, true)} at byteOffset=${byteOffset}`,
    `capacity=${view.getUint32(CAPACITY_OFFSET, true)} producers=${view.getUint32(PRODUCER_MODE_OFFSET, true) === 1 ? 'multi' : 'single'} maxConsumers=${view.getUint32(MAX_CONSUMERS_OFFSET, true)} lossy=${(view.getUint32(FLAGS_OFFSET, true) & FLAG_LOSSY) !== 0}`,
    `schema=${schema} byteLength=${view.getUint32(REGION_LENGTH_OFFSET, true)}`,
    `cursor=${Atomics.load(ctl, CURSOR_INDEX)} closed=${Atomics.load(ctl, CLOSED_INDEX)} final=${Atomics.load(ctl, FINAL_SEQUENCE_INDEX)} openProducers=${Atomics.load(ctl, OPEN_PRODUCERS_INDEX)}`,
  ].join('\n');
}
