/**
 * The packed frame: many ring entries in one NATS message.
 *
 * ```
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic "RKNF"                           |    0
 *  +---------------+---------------+-------------------------------+
 *  |    Version    |     Kind      |           Reserved (0)        |    4
 *  +---------------+---------------+-------------------------------+
 *  |           Schema id (FNV-1a 32 of the ring's schema)          |    8
 *  +---------------------------------------------------------------+
 *  |                     Count (entries, u32)                      |   12
 *  +---------------------------------------------------------------+
 *  |          First sequence (f64, an integer < 2^53)             ...  16
 *  +---------------------------------------------------------------+
 *  |   Body                                                       ...  24
 *  +---------------------------------------------------------------+
 * ```
 * Every number is little-endian. Kind 1 (typed ring): the body is each column in schema order,
 * `count × bytesPerEntry` bytes each, exactly as the ring stores them (scalars little-endian,
 * `bytes(n)` fields n bytes per entry). Kind 2 (byte ring): `count` records, each a u32 length
 * then its bytes, unpadded. Entry `i` has sequence `first + i`: the bridge's own 53-bit count of
 * the ring's entries, which does not wrap.
 */
import { encodeSchema, resolveSchema, type Ring, type Schema } from '@ringkit/core';
let at = 0;
export const MAGIC_OFFSET = at; at += 4;
export const VERSION_OFFSET = at; at += 1;
export const KIND_OFFSET = at; at += 1;
export const RESERVED_OFFSET = at; at += 2;
export const SCHEMA_ID_OFFSET = at; at += 4;
export const COUNT_OFFSET = at; at += 4;
export const FIRST_SEQUENCE_OFFSET = at; at += 8;
/** Bytes before the body. */
export const FRAME_HEADER_LENGTH = at;
/** Bytes of a byte-ring record's length prefix. */
export const RECORD_LENGTH_PREFIX = 4;

/** "RKNF" read as a little-endian u32. */
export const FRAME_MAGIC = 0x464e4b52;
export const FRAME_VERSION = 1;
/** What the body holds. */
export const FRAME_KIND = { typed: 1, bytes: 2 } as const;
/** The schema id of a byte ring (it has no fields): FNV-1a of "bytes". */
export const BYTES_SCHEMA_TEXT = 'bytes';

/** FNV-1a, 32 bits, of a schema's canonical text: the schema id a frame carries. */
export function schemaId(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Writes a frame header at the start of `out`. */
export function writeFrameHeader(out: DataView, kind: number, schema: number, count: number, first: number): void {
  out.setUint32(MAGIC_OFFSET, FRAME_MAGIC, true);
  out.setUint8(VERSION_OFFSET, FRAME_VERSION);
  out.setUint8(KIND_OFFSET, kind);
  out.setUint16(RESERVED_OFFSET, 0, true);
  out.setUint32(SCHEMA_ID_OFFSET, schema, true);
  out.setUint32(COUNT_OFFSET, count, true);
  out.setFloat64(FIRST_SEQUENCE_OFFSET, first, true);
}

/** A decoded frame header. */
export interface FrameHeader {
  kind: number;
  schemaId: number;
  count: number;
  first: number;
}

/**
 * Reads a frame header, or returns a sentence saying why `data` is not a frame (the caller
 * turns it into a `FrameError` naming the server and subject).
 */
export function readFrameHeader(data: Uint8Array, into: FrameHeader): string | undefined {
  if (data.length < FRAME_HEADER_LENGTH) return `a packed frame is at least ${FRAME_HEADER_LENGTH} bytes: length=${data.length}`;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  if (view.getUint32(MAGIC_OFFSET, true) !== FRAME_MAGIC) return 'not a ringkit packed frame (magic "RKNF" missing)';
  const version = view.getUint8(VERSION_OFFSET);
  if (version !== FRAME_VERSION) return `unsupported frame version (this build reads ${FRAME_VERSION}): version=${version}`;
  into.kind = view.getUint8(KIND_OFFSET);
  into.schemaId = view.getUint32(SCHEMA_ID_OFFSET, true);
  into.count = view.getUint32(COUNT_OFFSET, true);
  into.first = view.getFloat64(FIRST_SEQUENCE_OFFSET, true);
  if (!Number.isSafeInteger(into.first)) return `a frame's first sequence must be an integer below 2^53: first=${into.first}`;
  return undefined;
}

/** A typed ring's columns as the wire sees them: each column's bytes, its width per entry, and their sum. */
export interface TypedColumns {
  /** {@link schemaId} of the ring's schema text. */
  readonly schemaId: number;
  /** Each column's whole byte range, in schema order. */
  readonly columns: Uint8Array[];
  /** Bytes per entry of each column, in schema order. */
  readonly widths: number[];
  /** Bytes per entry on the wire (the widths' sum). */
  readonly entryLength: number;
}

/** {@link TypedColumns} of `ring` (shared by the packer and the writer: one wire layout). */
export function typedColumns<S extends Schema>(ring: Ring<S>): TypedColumns {
  const columns: Uint8Array[] = [];
  const widths: number[] = [];
  for (const name of Object.keys(ring.schema)) {
    const col = ring.columns[name] as unknown as ArrayBufferView;
    columns.push(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
    widths.push(col.byteLength / ring.capacity);
  }
  return { schemaId: schemaId(encodeSchema(resolveSchema(ring.schema))), columns, widths, entryLength: widths.reduce((a, b) => a + b, 0) };
}
