import { InvalidArgumentError, LayoutMismatchError } from './errors.js';

/**
 * Slot schemas: named fields stored column by column (struct of arrays). Each column is one
 * typed array over the shared memory, so a batch of entries is a `subarray` per column.
 */

/** Scalar field types and the typed array each is stored in. */
export const FIELD_TYPES = {
  i8: Int8Array,
  u8: Uint8Array,
  i16: Int16Array,
  u16: Uint16Array,
  i32: Int32Array,
  u32: Uint32Array,
  f32: Float32Array,
  f64: Float64Array,
  i64: BigInt64Array,
  u64: BigUint64Array,
} as const;

/** A scalar field type name. */
export type ScalarType = keyof typeof FIELD_TYPES;

/** A fixed-length byte field: `length` bytes per entry, exposed as a `Uint8Array` column. */
export interface BytesField {
  readonly kind: 'bytes';
  readonly length: number;
}

/** One field of a schema. */
export type FieldType = ScalarType | BytesField;

/** A slot schema: field name → type. Field order is the declaration order. */
export type Schema = Readonly<Record<string, FieldType>>;

/** The default schema: one `f64` per slot, named `value`. */
export const DEFAULT_SCHEMA = Object.freeze({ value: 'f64' }) satisfies Schema;
/** Type of {@link DEFAULT_SCHEMA}. */
export type DefaultSchema = typeof DEFAULT_SCHEMA;

/** Largest byte field, per entry. */
export const MAX_BYTES_FIELD_LENGTH = 2 ** 24;

/** Declares a fixed-length byte field of `length` bytes (1 … 2^24). */
export function bytes(length: number): BytesField {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > MAX_BYTES_FIELD_LENGTH) {
    throw new InvalidArgumentError(`bytes(length) must be an integer in [1, 2^24]: length=${describe(length)}`);
  }
  return Object.freeze({ kind: 'bytes', length });
}

/** The typed array type of a column for a field type. */
export type ColumnOf<F extends FieldType> = F extends BytesField ? Uint8Array : F extends ScalarType ? ScalarColumns[F] : never;

/** The column (typed array) type of each scalar field type. */
export interface ScalarColumns {
  i8: Int8Array;
  u8: Uint8Array;
  i16: Int16Array;
  u16: Uint16Array;
  i32: Int32Array;
  u32: Uint32Array;
  f32: Float32Array;
  f64: Float64Array;
  i64: BigInt64Array;
  u64: BigUint64Array;
}

/** The columns of a schema: one typed array per field, `capacity` entries long (bytes: × length). */
export type Columns<S extends Schema> = { readonly [K in keyof S]: ColumnOf<S[K]> };

/** A value for one field in the convenience (object) API. */
export type ValueOf<F extends FieldType> = F extends 'i64' | 'u64' ? bigint : F extends BytesField ? Uint8Array : number;

/** One entry as an object, for the convenience API (allocates; not for hot paths). */
export type Entry<S extends Schema> = { [K in keyof S]: ValueOf<S[K]> };

/** A field resolved for layout: name, type, bytes per entry, and its typed-array constructor. */
export interface ResolvedField {
  readonly name: string;
  readonly type: FieldType;
  readonly bytesPerEntry: number;
  readonly elementBytes: number;
}

const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
/** Most fields a schema may have. */
export const MAX_FIELDS = 64;

/** Validates a schema and resolves its fields in declaration order. */
export function resolveSchema(schema: unknown): ResolvedField[] {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new InvalidArgumentError(`options.schema must be an object of field name → type: schema=${describe(schema)}`);
  }
  const entries = Object.entries(schema as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_FIELDS) {
    throw new InvalidArgumentError(`options.schema must have 1 to ${MAX_FIELDS} fields: fields=${entries.length}`);
  }
  return entries.map(([name, type]) => {
    if (!FIELD_NAME.test(name) || name === '__proto__') {
      throw new InvalidArgumentError(`schema field names must be identifiers of at most 64 characters, other than __proto__: name=${JSON.stringify(name)}`);
    }
    if (typeof type === 'string' && Object.hasOwn(FIELD_TYPES, type)) {
      const elementBytes = FIELD_TYPES[type as ScalarType].BYTES_PER_ELEMENT;
      return { name, type: type as ScalarType, bytesPerEntry: elementBytes, elementBytes };
    }
    if (type !== null && typeof type === 'object' && (type as BytesField).kind === 'bytes') {
      const length = (type as BytesField).length;
      if (!Number.isInteger(length) || length < 1 || length > MAX_BYTES_FIELD_LENGTH) {
        throw new InvalidArgumentError(`bytes field "${name}" must have a length in [1, 2^24]: length=${describe(length)}`);
      }
      return { name, type: bytes(length), bytesPerEntry: length, elementBytes: 1 };
    }
    throw new InvalidArgumentError(
      `unknown type for schema field "${name}"; allowed: ${Object.keys(FIELD_TYPES).join(' ')} or bytes(n): type=${describe(type)}`,
    );
  });
}

/** Encodes a resolved schema as canonical text (stored in the ring header). */
export function encodeSchema(fields: readonly ResolvedField[]): string {
  if (!Array.isArray(fields) || fields.some((f) => f === null || typeof f !== 'object' || typeof f.name !== 'string' || !(typeof f.type === 'string' || (f.type !== null && typeof f.type === 'object' && typeof f.type.length === 'number')))) {
    throw new InvalidArgumentError(`encodeSchema takes resolveSchema's output: fields=${describe(fields)}`);
  }
  return fields.map((f) => `${f.name}:${typeof f.type === 'string' ? f.type : `bytes(${f.type.length})`}`).join(',');
}

const ENCODED_FIELD = /^([A-Za-z_$][A-Za-z0-9_$]{0,63}):(?:(i8|u8|i16|u16|i32|u32|f32|f64|i64|u64)|bytes\(([1-9][0-9]{0,7})\))$/;

/**
 * Rebuilds a schema from {@link encodeSchema}'s text, as read from shared memory: refuses
 * anything {@link encodeSchema} cannot have written (the result is then checked again by
 * {@link resolveSchema} and compared with its canonical text).
 * @throws {@link LayoutMismatchError} (`field: 'schema'`) for text that is not a schema.
 */
export function decodeSchema(text: string): Schema {
  if (typeof text !== 'string') throw new InvalidArgumentError(`decodeSchema takes schema text (a string): text=${describe(text)}`);
  const out: Record<string, FieldType> = {};
  const fail = (why: string): never => {
    throw new LayoutMismatchError('schema', `corrupt schema text in the region header (${why}): schema=${describe(text)}`);
  };
  const parts = text.split(',');
  if (text.length === 0 || parts.length > MAX_FIELDS) fail(`1 to ${MAX_FIELDS} fields expected`);
  for (const part of parts) {
    const m = ENCODED_FIELD.exec(part);
    if (m === null) fail(`field ${describe(part)} is not name:type`);
    const [, name, scalar, length] = m!;
    if (name === '__proto__' || Object.hasOwn(out, name!)) fail(`field name ${describe(name)} repeated or not allowed`);
    if (scalar !== undefined) out[name!] = scalar as ScalarType;
    else if (Number(length) > MAX_BYTES_FIELD_LENGTH) fail(`bytes(${length}) longer than 2^24`);
    else out[name!] = bytes(Number(length));
  }
  return out;
}

/** Creates the column view for one field over `buffer` at `byteOffset`. */
export function makeColumn(field: ResolvedField, buffer: SharedArrayBuffer, byteOffset: number, capacity: number): ArrayBufferView {
  if (field === null || typeof field !== 'object' || !(buffer instanceof SharedArrayBuffer) || !Number.isSafeInteger(byteOffset) || byteOffset < 0 || !Number.isSafeInteger(capacity) || capacity < 0) {
    throw new InvalidArgumentError(`makeColumn takes a resolved field, a SharedArrayBuffer, a byte offset and a capacity: field=${describe(field)}, byteOffset=${describe(byteOffset)}, capacity=${describe(capacity)}`);
  }
  const type: unknown = field.type;
  if (!(typeof type === 'string' && Object.hasOwn(FIELD_TYPES, type)) && !(type !== null && typeof type === 'object' && Number.isInteger(field.bytesPerEntry) && field.bytesPerEntry > 0)) {
    throw new InvalidArgumentError(`makeColumn takes a field of resolveSchema's output: field=${describe(field)}`);
  }
  const width = typeof type === 'string' ? FIELD_TYPES[type as ScalarType].BYTES_PER_ELEMENT : field.bytesPerEntry;
  if (byteOffset % (typeof type === 'string' ? width : 1) !== 0 || byteOffset + width * capacity > buffer.byteLength) {
    throw new InvalidArgumentError(`the column does not fit the buffer at that offset: byteOffset=${byteOffset}, capacity=${capacity}, buffer.byteLength=${buffer.byteLength}`);
  }
  if (typeof field.type !== 'string') return new Uint8Array(buffer, byteOffset, capacity * field.bytesPerEntry);
  const Ctor = FIELD_TYPES[field.type] as unknown as new (b: SharedArrayBuffer, o: number, n: number) => ArrayBufferView;
  return new Ctor(buffer, byteOffset, capacity);
}

/** Short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  try {
    const s: string | undefined = JSON.stringify(value);
    if (typeof s !== 'string') return Object.prototype.toString.call(value);
    return s.length > 60 ? `${s.slice(0, 60)}…` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
