import { InvalidArgumentError } from './errors.js';
import { describe } from './schema.js';

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
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw new InvalidArgumentError(`jsonCodec cannot encode this value (${(e as Error).message}); JSON carries no bigint, no cycles: value=${describe(value)}`, { cause: e });
    }
    if (text === undefined) throw new InvalidArgumentError(`jsonCodec cannot encode this value (JSON.stringify returned undefined): type=${typeof value}`);
    return encoder.encode(text);
  },
  decode(bytes: Uint8Array): unknown {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`jsonCodec.decode takes a Uint8Array: bytes=${describe(bytes)}`);
    // TextDecoder refuses views of a SharedArrayBuffer in some runtimes: decode a copy there.
    const text = decoder.decode(bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice());
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new InvalidArgumentError(`jsonCodec.decode: the record is not JSON (${(e as Error).message}): length=${bytes.length}`, { cause: e });
    }
  },
});
