/**
 * The codecs of byte-record edges by name: core's `jsonCodec`, `@ringkit/codec`'s msgpackr
 * (an optional peer dependency, loaded only when an edge asks for it), or none (`'raw'`).
 */
import { InvalidStateError, jsonCodec, type Codec } from '@ringkit/core';
import type { CodecName } from './spec.js';

/** The codec called `name` (undefined for `'raw'`). */
export async function codecOf(name: CodecName): Promise<Codec<unknown> | undefined> {
  if (name === 'raw') return undefined;
  if (name === 'json') return jsonCodec;
  let mod: typeof import('@ringkit/codec');
  try {
    mod = await import('@ringkit/codec');
  } catch (e) {
    throw new InvalidStateError("the 'msgpackr' codec needs the @ringkit/codec package: npm install @ringkit/codec (or use codec 'json' / 'raw')", { cause: e });
  }
  return mod.msgpackrCodec();
}
