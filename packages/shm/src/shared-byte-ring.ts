import { ByteRing, type ByteRingAttachOptions, type ByteRingOptions } from '@ringkit/core';
import { establish, type Attachment, type Establish, type Recipe, type SharedOptions } from './attachment.js';
import { SharedStructure } from './shared-structure.js';

/** Options of {@link SharedByteRing.create} / {@link SharedByteRing.openOrCreate}. */
export type SharedByteRingOptions = Omit<ByteRingOptions, 'buffer' | 'byteOffset' | 'owner' | 'watchdog'> & SharedOptions;
/** What {@link SharedByteRing.open} expects and how it waits. */
export type SharedByteRingOpenOptions = Omit<ByteRingAttachOptions, 'owner' | 'watchdog'> & SharedOptions;

function recipe(options: SharedByteRingOptions | undefined, expected: SharedByteRingOpenOptions | undefined): Recipe<ByteRing> {
  return {
    kind: 'byteRing',
    ...(options === undefined ? {} : { dataLength: () => ByteRing.byteLength(options), capacity: options.capacity }),
    create: (att: Attachment) => ByteRing.create({ ...options!, ...att.placement, ...att.participation, waitStrategy: att.strategy(options!.waitStrategy) }),
    attach: (att: Attachment) => {
      const e = expected ?? options!;
      return ByteRing.attach(att.placement, {
        ...(e.capacity === undefined ? {} : { capacity: e.capacity }),
        ...(e.maxBatch === undefined ? {} : { maxBatch: e.maxBatch }),
        ...att.participation, waitStrategy: att.strategy(e.waitStrategy),
      });
    },
    recover: (ring, owner, keepConsumers) => void ring.recover(owner, { keepConsumers }),
  };
}

/**
 * A {@link ByteRing} (variable-length records) in a named shared-memory segment; see
 * `SharedRing` for how processes and threads reach it. Use it through {@link ring}.
 */
export class SharedByteRing extends SharedStructure {
  /** The byte ring (core's `ByteRing` over the segment). */
  readonly ring: ByteRing;

  private constructor(how: Establish, name: string, options: SharedByteRingOptions | undefined, expected: SharedByteRingOpenOptions | undefined) {
    const { att, value } = establish(how, name, recipe(options, expected), (options ?? expected ?? {}) as SharedOptions);
    super(att);
    this.ring = value;
  }

  /** Creates segment `name` holding a new byte ring. @throws as `SharedRing.create`. */
  static create(name: string, options: SharedByteRingOptions): SharedByteRing {
    return new SharedByteRing('create', name, options, undefined);
  }

  /** Opens the byte ring in segment `name`. @throws as `SharedRing.open`. */
  static open(name: string, expected?: SharedByteRingOpenOptions): SharedByteRing {
    return new SharedByteRing('open', name, undefined, expected ?? {});
  }

  /** Opens a live byte ring `name` (its capacity must match) or creates it, recreating a stale one. */
  static openOrCreate(name: string, options: SharedByteRingOptions): SharedByteRing {
    return new SharedByteRing('openOrCreate', name, options, undefined);
  }
}
