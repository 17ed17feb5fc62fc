import { InvalidArgumentError } from './errors.js';

/**
 * Turns values into record bytes and back, for byte rings and slot pools carrying non-byte
 * values. `decode` receives a view into shared memory that is only valid until the record is
 * released: it must not keep the view.
 *
 * Core ships {@link jsonCodec} (no dependencies); `@ringkit/codec` adds a msgpackr codec
 * (faster and more compact; see docs/bytes.md for the measured difference).
 */
export interface Codec<T> {
  /** A short name for logs and benchmarks. */
  readonly name: string;
  /** Encodes `value` into fresh bytes. */
  encode(value: T): Uint8Array;
  /** Decodes a record (a view that must not be kept). */
  decode(bytes: Uint8Array): T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 JSON: the default codec. Values must be JSON-serialisable. */
export const jsonCodec: Codec<unknown> = Object.freeze({
  name: 'json',
  encode(value: unknown): Uint8Array {
    const text = JSON.stringify(value);
    if (text === undefined) throw new InvalidArgumentError(`jsonCodec cannot encode this value (JSON.stringify returned undefined): type=${typeof value}`);
    return encoder.encode(text);
  },
  decode(bytes: Uint8Array): unknown {
    // TextDecoder refuses views of a SharedArrayBuffer in some runtimes: decode a copy there.
    return JSON.parse(decoder.decode(bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes));
  },
});
