/**
 * `@ringkit/codec`: value codecs for byte rings and slot pools beyond core's JSON codec.
 * `msgpackrCodec()` (MessagePack via msgpackr) is the fast option: see docs/bytes.md for the
 * measured difference against `jsonCodec`.
 */
import { Packr, type Options } from 'msgpackr';
import type { Codec } from '@ringkit/core';

export { jsonCodec, type Codec } from '@ringkit/core';

/**
 * A MessagePack codec (msgpackr). Record structures (`useRecords`) stay off by default: they
 * live in one `Packr` object, so a record written in one thread could not be decoded by a
 * codec in another. `decode` reads the shared bytes in place and copies nothing it keeps.
 */
export function msgpackrCodec(options: Options = {}): Codec<unknown> {
  const packr = new Packr({ useRecords: false, ...options });
  return Object.freeze({
    name: 'msgpackr',
    encode(value: unknown): Uint8Array {
      return packr.pack(value);
    },
    decode(bytes: Uint8Array): unknown {
      return packr.unpack(bytes);
    },
  });
}
