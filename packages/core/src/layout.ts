import { InvalidArgumentError, LayoutMismatchError } from './errors.js';
import { describe } from './schema.js';
import { requireSharedMemory } from './shared-memory.js';

/**
 * The memory layout of every ringkit structure, written down once. Only this file knows offsets;
 * everything else goes through the constants and {@link computeLayout}.
 *
 * A structure lives in one region of a `SharedArrayBuffer`, starting at a 128-byte-aligned
 * `byteOffset`. The region begins with a self-describing header, then one 128-byte block per
 * independently written counter (one writer per cache-line pair: false sharing costs 2.5–3.7×
 * on the reference machine), then the tables and the data. The header is a contract with every
 * thread and process that attaches: {@link readHeader} validates every word of it.
 *
 * ```
 *  offset  block              contents (Int32 words unless noted)
 *  ------  -----------------  ------------------------------------------------------------------
 *       0  HEADER             magic "RKIT" @0 | version u16 @4, kind u16 @6 | capacity @8 |
 *                             producer mode @12 | max consumers @16 | flags @20 |
 *                             initial sequence @24 | evictAfterMs @28 | schema length @32 |
 *                             max producers @36 | startTimeoutMs @40 | checksum @44 |
 *                             epoch ms f64 @48 | region length f64 @56 | (zero) @64 … 127
 *     128  CURSOR             cursor: single producer → last published sequence;
 *                             multi producer → last claimed sequence (availability says published)
 *     256  CLAIM              lossy single producer: last claimed sequence, stored before writing
 *     384  PUBLISH_SIGNAL     bumped (and woken) by publishers when PUBLISH_WAITERS != 0
 *     512  PUBLISH_WAITERS    number of threads asleep waiting for new entries
 *     640  RELEASE_SIGNAL     bumped (and woken) by consumers when RELEASE_WAITERS != 0
 *     768  RELEASE_WAITERS    number of threads asleep waiting for consumers to release
 *     896  STATE (cold)       closed | final sequence | (zero) | topology epoch | owner counter |
 *                             closing | dead claims
 *    1024  SCHEMA             canonical schema text (UTF-8), padded to 128
 *       …  CONSUMER_INFO      max consumers × 32 bytes (cold): state | dependency mask | group |
 *                             member count (groups) | role | owner | started
 *       …  PRODUCERS          max producers × 128 bytes, each written by its own producer only:
 *                             state | owner | claiming | claim lo | claim hi
 *       …  CONSUMER_SEQ       max consumers × 128 bytes (hot): sequence @0, heartbeat @64
 *       …  AVAILABLE          multi producer only: capacity × Int32 lap numbers
 *       …  DATA               typed ring: one 128-aligned column per field; byte ring: bytes
 * ```
 *
 * Protocol rules: a producer writes slots, then publishes (stores the cursor, or the slot's lap
 * number in AVAILABLE); a consumer that sees sequence s published may read every slot ≤ s. A
 * consumer releases by storing its sequence; a producer never claims a slot whose previous
 * occupant some active consumer has not released (unless the ring is lossy). A multi producer
 * records each claim in its PRODUCERS entry (see `producer-table.ts`), so that the claim of a
 * producer declared dead can be found and skipped as lost instead of stalling every consumer.
 */

/** Every independently written word gets a block of this many bytes to itself. */
export const BLOCK_LENGTH = 128;
/** "RKIT" as a little-endian u32. */
export const MAGIC = 0x54494b52;
/** Bumped whenever this table changes incompatibly. */
export const LAYOUT_VERSION = 2;

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
/** Every header flag this layout version knows; any other bit set is a corrupt header. */
const KNOWN_FLAGS = FLAG_LOSSY | FLAG_LOSSY_SKIP;

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
export const SCHEMA_LENGTH_OFFSET = at; at += 4;
export const MAX_PRODUCERS_OFFSET = at; at += 4;
export const START_TIMEOUT_OFFSET = at; at += 4;
/** FNV-1a over every other header byte and the schema text: catches damage no single-word check can (e.g. a slot size that pads to the same length). */
export const CHECKSUM_OFFSET = at; at += 4;
export const EPOCH_OFFSET = at; at += 8; // f64, Date.now() at creation
export const REGION_LENGTH_OFFSET = at; at += 8; // f64: regions may exceed 4 GiB
/** Header bytes from here to the end of the block are zero (checked on attach). */
export const HEADER_ZERO_OFFSET = at;
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
at += 4; // zero
export const TOPOLOGY_EPOCH_OFFSET = at; at += 4;
/** Allocates owner tags for ring objects created or attached without an explicit `owner`. */
export const OWNER_COUNTER_OFFSET = at; at += 4;
export const CLOSING_OFFSET = at; at += 4;
/** Producer entries declared dead while they may still hold an unpublished claim. */
export const DEAD_CLAIMS_OFFSET = at; at += 4;
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
export const TOPOLOGY_EPOCH_INDEX = TOPOLOGY_EPOCH_OFFSET >> 2;
export const OWNER_COUNTER_INDEX = OWNER_COUNTER_OFFSET >> 2;
export const CLOSING_INDEX = CLOSING_OFFSET >> 2;
export const DEAD_CLAIMS_INDEX = DEAD_CLAIMS_OFFSET >> 2;

/**
 * One CONSUMER_INFO entry (cold, 32 bytes; written at registration, open, eviction and removal):
 * ```
 *  +0  state        CONSUMER_STATE
 *  +4  deps         bit i set → this consumer runs after table entry i (i < MAX_DEPENDENCY_IDS)
 *  +8  group        table index of the work group this member belongs to, or -1
 *  +12 members      for a group entry: number of members
 *  +16 role         CONSUMER_ROLE
 *  +20 owner        owner tag of the ring object that last opened it (see `Ring.recover`)
 *  +24 started      0 until the consumer's first poll; then 1
 * ```
 */
export const CONSUMER_INFO_LENGTH = 32;
export const INFO_STATE = 0;
export const INFO_DEPS = 1;
export const INFO_GROUP = 2;
export const INFO_MEMBERS = 3;
export const INFO_ROLE = 4;
export const INFO_OWNER = 5;
export const INFO_STARTED = 6;
/**
 * One CONSUMER_SEQ entry (hot, written by its consumer only, with one exception): the released
 * sequence at +0 — a typed ring's consumer writes it with `Atomics.exchange`, and whoever evicts
 * or removes the entry writes one below what is there (a mark its consumer did not write, see
 * `RingControl.markRetired`) right after changing the entry's state; a work-group member's
 * claimed work end at +32 (so a replacement thread resumes an unfinished claim); the heartbeat
 * (ms since the ring's epoch) at +64, on its own cache line.
 */
export const CONSUMER_SEQ_LENGTH = BLOCK_LENGTH;
export const SEQ_WORD = 0;
export const WORK_CLAIM_WORD = 32 >> 2;
export const HEARTBEAT_WORD = 64 >> 2;

/**
 * One PRODUCERS entry (a block of its own: only its producer writes it, once per claim):
 * ```
 *  +0  state        PRODUCER_STATE (moved with compare-and-swap)
 *  +4  owner        owner tag of the ring object that created the producer
 *  +8  claiming     1 from just before a claim is made until lo and hi below are stored
 *  +12 lo           first sequence (byte rings: position) of the last claim
 *  +16 hi           last sequence of the last claim (byte rings: the position just past it)
 * ```
 */
export const PRODUCER_ENTRY_LENGTH = BLOCK_LENGTH;
export const PRODUCER_STATE_WORD = 0;
export const PRODUCER_OWNER_WORD = 1;
export const PRODUCER_CLAIMING_WORD = 2;
export const PRODUCER_LO_WORD = 3;
export const PRODUCER_HI_WORD = 4;
/** States of a producer table entry. `dead`: declared dead by `recover`; its claim is skipped. */
export const PRODUCER_STATE = { free: 0, active: 1, dead: 2 } as const;
/** Most producers a ring may have at once. */
export const MAX_PRODUCERS = 128;

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
/** Longest `evictAfterMs` / `startTimeoutMs`: heartbeats are Int32 milliseconds. */
export const MAX_TIMEOUT_MS = 2 ** 30;

/** Offsets of one region, computed once from its parameters. */
export interface RegionLayout {
  readonly capacity: number;
  readonly maxConsumers: number;
  readonly maxProducers: number;
  readonly multiProducer: boolean;
  readonly schemaLength: number;
  readonly consumerInfoOffset: number;
  readonly producersOffset: number;
  readonly consumerSeqOffset: number;
  /** -1 when the ring has no availability array (single producer). */
  readonly availableOffset: number;
  readonly dataOffset: number;
  /** Bytes of the data area. */
  readonly dataLength: number;
  /** Byte offset of each data column from the region start (typed rings), else empty. */
  readonly columnOffsets: readonly number[];
  /** Total bytes of the region (may exceed 2^32). */
  readonly byteLength: number;
}

/** Rounds `n` (any safe integer, even above 2^32) up to a multiple of `alignment` (a power of two). */
export function alignTo(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/**
 * Computes the offsets of a region. `columnBytes` lists the bytes each data column takes
 * (typed ring), or holds one entry for an unstructured data area (byte ring, slot pool).
 */
export function computeLayout(p: {
  capacity: number;
  maxConsumers: number;
  maxProducers: number;
  multiProducer: boolean;
  schemaLength: number;
  columnBytes: readonly number[];
}): RegionLayout {
  let offset = alignTo(SCHEMA_OFFSET + p.schemaLength, BLOCK_LENGTH);
  const consumerInfoOffset = offset;
  offset = alignTo(offset + p.maxConsumers * CONSUMER_INFO_LENGTH, BLOCK_LENGTH);
  const producersOffset = offset;
  offset += p.maxProducers * PRODUCER_ENTRY_LENGTH;
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
    maxProducers: p.maxProducers,
    multiProducer: p.multiProducer,
    schemaLength: p.schemaLength,
    consumerInfoOffset,
    producersOffset,
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
  /** Size of the producer table (1 for single-producer rings; 0 for slot pools). */
  readonly maxProducers: number;
  readonly lossy: boolean;
  /** Lossy rings: lapped consumers skip ahead with a `lost` count instead of throwing. */
  readonly lossySkip?: boolean;
  readonly initialSequence: number;
  readonly evictAfterMs: number;
  /** A producer blocked this long by a consumer that has never polled throws (0 = never). */
  readonly startTimeoutMs: number;
  readonly byteLength: number;
  readonly schema: string;
  readonly epochMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

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
  requireSharedMemory();
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
  view.setUint32(SCHEMA_LENGTH_OFFSET, schema.length, true);
  view.setUint32(MAX_PRODUCERS_OFFSET, h.maxProducers, true);
  view.setUint32(START_TIMEOUT_OFFSET, h.startTimeoutMs, true);
  view.setFloat64(EPOCH_OFFSET, h.epochMs, true);
  view.setFloat64(REGION_LENGTH_OFFSET, h.byteLength, true);
  new Uint8Array(d.buffer, d.byteOffset + SCHEMA_OFFSET, schema.length).set(schema);
  view.setUint32(CHECKSUM_OFFSET, headerChecksum(d, schema.length), true);
}

/** FNV-1a (32 bits) of the header bytes other than the checksum, then of the schema text. */
function headerChecksum(d: RegionDescriptor, schemaLength: number): number {
  const bytes = new Uint8Array(d.buffer, d.byteOffset, SCHEMA_OFFSET + schemaLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < HEADER_LENGTH; i++) {
    if (i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + 4) continue;
    h = Math.imul(h ^ bytes[i]!, 0x01000193);
  }
  for (let i = SCHEMA_OFFSET; i < SCHEMA_OFFSET + schemaLength; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** What each kind allows in its header words (checked on attach). */
interface KindRule {
  readonly name: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly powerOfTwo: boolean;
  readonly consumers: readonly [number, number];
  /** Producer table sizes: [single-producer range, multi-producer range]. */
  readonly producers: readonly [readonly [number, number], readonly [number, number]];
  /** Initial sequences (positions) must be multiples of this. */
  readonly sequenceAlignment: number;
}

const KIND_RULES: Readonly<Record<number, KindRule>> = {
  [KIND.typedRing]: { name: 'typed ring', minCapacity: 2, maxCapacity: 2 ** 30, powerOfTwo: true, consumers: [1, MAX_CONSUMERS], producers: [[1, 1], [1, MAX_PRODUCERS]], sequenceAlignment: 1 },
  [KIND.byteRing]: { name: 'byte ring', minCapacity: 256, maxCapacity: 2 ** 30, powerOfTwo: true, consumers: [1, MAX_CONSUMERS], producers: [[1, 1], [1, MAX_PRODUCERS]], sequenceAlignment: 8 },
  [KIND.slotPool]: { name: 'slot pool', minCapacity: 1, maxCapacity: 65536, powerOfTwo: false, consumers: [0, 0], producers: [[0, 0], [0, 0]], sequenceAlignment: 1 },
};

function corrupt(field: string, what: string): LayoutMismatchError {
  return new LayoutMismatchError(field, `corrupt ${what} in the region header (the memory is damaged, or was written by something other than ringkit)`);
}

function checkRange(field: string, value: number, lo: number, hi: number, rule: string): void {
  if (!(value >= lo && value <= hi)) throw corrupt(field, `${field}=${value}: allowed ${rule}`);
}

/**
 * Reads and validates a header: every word is checked against what this layout version and the
 * expected kind allow, so memory that is damaged, foreign or half-written is refused before any
 * view is built over it. `checkSchema` validates the schema text the way the kind needs (it
 * throws a {@link LayoutMismatchError} naming `schema`); the checksum is checked last, so a
 * word that is wrong on its own is named rather than reported as a checksum mismatch.
 * @throws {@link LayoutMismatchError} naming the first field that is wrong.
 */
export function readHeader(d: RegionDescriptor, expectedKind: Kind, checkSchema: (schema: string, flags: { lossy: boolean }) => void): Header {
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
    throw new LayoutMismatchError('kind', `region holds a ${KIND_RULES[kind]?.name ?? `kind ${kind}`}, expected a ${KIND_RULES[expectedKind]!.name}: kind=${kind}`);
  }
  const rule = KIND_RULES[kind]!;
  const capacity = view.getUint32(CAPACITY_OFFSET, true);
  checkRange('capacity', capacity, rule.minCapacity, rule.maxCapacity, `[${rule.minCapacity}, ${rule.maxCapacity}]${rule.powerOfTwo ? ', a power of two' : ''}`);
  if (rule.powerOfTwo && (capacity & (capacity - 1)) !== 0) throw corrupt('capacity', `capacity=${capacity}: not a power of two`);
  const mode = view.getUint32(PRODUCER_MODE_OFFSET, true);
  if (mode !== PRODUCER_MODE.single && mode !== PRODUCER_MODE.multi) throw corrupt('producer', `producer mode=${mode}: allowed 0 (single) or 1 (multi)`);
  const maxConsumers = view.getUint32(MAX_CONSUMERS_OFFSET, true);
  checkRange('maxConsumers', maxConsumers, rule.consumers[0], rule.consumers[1], `[${rule.consumers[0]}, ${rule.consumers[1]}]`);
  const flags = view.getUint32(FLAGS_OFFSET, true);
  if ((flags & ~KNOWN_FLAGS) !== 0 || ((flags & FLAG_LOSSY_SKIP) !== 0 && (flags & FLAG_LOSSY) === 0)) {
    throw corrupt('flags', `flags=0x${flags.toString(16)}: allowed 0, lossy (1), lossy + skip (3)`);
  }
  const initialSequence = view.getInt32(INITIAL_SEQUENCE_OFFSET, true);
  if (initialSequence % rule.sequenceAlignment !== 0) throw corrupt('initialSequence', `initialSequence=${initialSequence}: must be a multiple of ${rule.sequenceAlignment}`);
  const evictAfterMs = view.getUint32(EVICT_AFTER_OFFSET, true);
  checkRange('evictAfterMs', evictAfterMs, 0, MAX_TIMEOUT_MS, '[0, 2^30]');
  const schemaLength = view.getUint32(SCHEMA_LENGTH_OFFSET, true);
  checkRange('schema', schemaLength, 0, MAX_SCHEMA_LENGTH, `a schema length in [0, ${MAX_SCHEMA_LENGTH}]`);
  const maxProducers = view.getUint32(MAX_PRODUCERS_OFFSET, true);
  const producers = rule.producers[mode]!;
  checkRange('maxProducers', maxProducers, producers[0], producers[1], `[${producers[0]}, ${producers[1]}] for a ${mode === PRODUCER_MODE.multi ? 'multi' : 'single'}-producer ${rule.name}`);
  const startTimeoutMs = view.getUint32(START_TIMEOUT_OFFSET, true);
  checkRange('startTimeoutMs', startTimeoutMs, 0, MAX_TIMEOUT_MS, '[0, 2^30]');
  const epochMs = view.getFloat64(EPOCH_OFFSET, true);
  if (!(Number.isFinite(epochMs) && epochMs > 0)) throw corrupt('epoch', `epoch=${epochMs}: must be a creation time in ms`);
  const byteLength = view.getFloat64(REGION_LENGTH_OFFSET, true);
  if (!(Number.isSafeInteger(byteLength) && byteLength >= SCHEMA_OFFSET + schemaLength)) throw corrupt('byteLength', `byteLength=${byteLength}`);
  if (d.byteOffset + byteLength > d.buffer.byteLength) {
    throw new LayoutMismatchError('byteLength', `region runs past the buffer: byteOffset=${d.byteOffset}, byteLength=${byteLength}, buffer.byteLength=${d.buffer.byteLength}`);
  }
  for (let o = HEADER_ZERO_OFFSET; o < HEADER_LENGTH; o += 4) {
    if (view.getUint32(o, true) !== 0) throw corrupt('reserved', `reserved word @${o} is not zero`);
  }
  let schema: string;
  try {
    // Copy out of the shared memory: TextDecoder refuses shared views.
    schema = strictDecoder.decode(new Uint8Array(d.buffer, d.byteOffset + SCHEMA_OFFSET, schemaLength).slice());
  } catch {
    throw corrupt('schema', 'schema text (not UTF-8)');
  }
  checkSchema(schema, { lossy: (flags & FLAG_LOSSY) !== 0 });
  if (view.getUint32(CHECKSUM_OFFSET, true) !== headerChecksum(d, schemaLength)) throw corrupt('checksum', 'header: its checksum does not match its words');
  return {
    kind: kind as Kind,
    capacity,
    multiProducer: mode === PRODUCER_MODE.multi,
    maxConsumers,
    maxProducers,
    lossy: (flags & FLAG_LOSSY) !== 0,
    lossySkip: (flags & FLAG_LOSSY_SKIP) !== 0,
    initialSequence,
    evictAfterMs,
    startTimeoutMs,
    byteLength,
    schema,
    epochMs,
  };
}

/** A human-readable dump of a region's header, for error messages, tests and the board. */
export function describeLayout(buffer: SharedArrayBuffer, byteOffset = 0): string {
  checkDescriptor({ buffer, byteOffset }, 'describeLayout');
  const view = new DataView(buffer, byteOffset, HEADER_LENGTH);
  const magic = view.getUint32(MAGIC_OFFSET, true);
  if (magic !== MAGIC) return `not a ringkit region (magic=0x${magic.toString(16)})`;
  const kind = view.getUint16(KIND_OFFSET, true);
  const ctl = new Int32Array(buffer, byteOffset, SCHEMA_OFFSET >> 2);
  const schemaLength = Math.min(view.getUint32(SCHEMA_LENGTH_OFFSET, true), MAX_SCHEMA_LENGTH, buffer.byteLength - byteOffset - SCHEMA_OFFSET);
  const schema = decoder.decode(new Uint8Array(buffer, byteOffset + SCHEMA_OFFSET, Math.max(0, schemaLength)).slice());
  return [
    `${KIND_RULES[kind]?.name ?? `kind ${kind}`} v${view.getUint16(VERSION_OFFSET, true)} at byteOffset=${byteOffset}`,
    `capacity=${view.getUint32(CAPACITY_OFFSET, true)} producers=${view.getUint32(PRODUCER_MODE_OFFSET, true) === 1 ? 'multi' : 'single'} maxProducers=${view.getUint32(MAX_PRODUCERS_OFFSET, true)} maxConsumers=${view.getUint32(MAX_CONSUMERS_OFFSET, true)} lossy=${(view.getUint32(FLAGS_OFFSET, true) & FLAG_LOSSY) !== 0}`,
    `schema=${schema} byteLength=${view.getFloat64(REGION_LENGTH_OFFSET, true)}`,
    `cursor=${Atomics.load(ctl, CURSOR_INDEX)} closed=${Atomics.load(ctl, CLOSED_INDEX)} final=${Atomics.load(ctl, FINAL_SEQUENCE_INDEX)} deadClaims=${Atomics.load(ctl, DEAD_CLAIMS_INDEX)}`,
  ].join('\n');
}
