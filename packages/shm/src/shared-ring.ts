import { Ring, type AttachOptions, type DefaultSchema, type RingOptions, type Schema } from '@ringkit/core';
import { establish, type Attachment, type Establish, type Recipe, type SharedOptions } from './attachment.js';
import { SharedStructure } from './shared-structure.js';

/** Options of {@link SharedRing.create} / {@link SharedRing.openOrCreate}: core's, less what the segment decides. */
export type SharedRingOptions<S extends Schema = DefaultSchema> = Omit<RingOptions<S>, 'buffer' | 'byteOffset' | 'owner' | 'watchdog'> & SharedOptions;
/** What {@link SharedRing.open} expects (each given field is checked) and how it waits. */
export type SharedRingOpenOptions<S extends Schema = Schema> = Omit<AttachOptions<S>, 'owner' | 'watchdog'> & SharedOptions;

function recipe<S extends Schema>(options: SharedRingOptions<S> | undefined, expected: SharedRingOpenOptions<S> | undefined): Recipe<Ring<S>> {
  const make = (att: Attachment): Ring<S> => Ring.create<S>({ ...options!, ...att.placement, ...att.participation, waitStrategy: att.strategy(options!.waitStrategy) });
  const attach = (att: Attachment): Ring<S> => {
    const e = expected ?? { schema: options?.schema, capacity: options?.capacity, producer: options?.producer };
    return Ring.attach<S>(att.placement, {
      ...(e.schema === undefined ? {} : { schema: e.schema }),
      ...(e.capacity === undefined ? {} : { capacity: e.capacity }),
      ...(e.producer === undefined ? {} : { producer: e.producer }),
      ...att.participation, waitStrategy: att.strategy((expected ?? options)?.waitStrategy),
    } as AttachOptions<S>);
  };
  return {
    kind: 'ring',
    ...(options === undefined ? {} : { dataLength: () => Ring.byteLength(options as RingOptions<Schema>), capacity: options.capacity }),
    create: make,
    attach,
    recover: (ring, owner, keepConsumers) => void ring.recover(owner, { keepConsumers }),
  };
}

/**
 * A typed {@link Ring} in a named shared-memory segment: any process on the host opens it by
 * name; threads of a process open it by name too (or share `ring.descriptor` as usual).
 * Everything of core's `Ring` works through {@link ring} — `producer()`, `addConsumer()`,
 * `openConsumer(id)`, `poll`, `pollAsync`, `claimAsync`, `for await` — with a futex waiter,
 * so a publisher in one process wakes a consumer in another.
 *
 * ```ts
 * const shared = SharedRing.create('/ticks', { capacity: 1 << 16, schema: { price: 'f64' } });
 * const other = SharedRing.open('/ticks', { schema: { price: 'f64' } });   // another process
 * ```
 */
export class SharedRing<S extends Schema = DefaultSchema> extends SharedStructure {
  /** The ring (core's `Ring` over the segment). */
  readonly ring: Ring<S>;

  private constructor(how: Establish, name: string, options: SharedRingOptions<S> | undefined, expected: SharedRingOpenOptions<S> | undefined) {
    const { att, value } = establish(how, name, recipe(options, expected), (options ?? expected ?? {}) as SharedOptions);
    super(att);
    this.ring = value;
  }

  /**
   * Creates segment `name` holding a new ring.
   * @throws `SegmentExistsError`, `SegmentNoSpaceError`, `InvalidSegmentNameError`, core's `InvalidArgumentError` for a bad option.
   */
  static create<S extends Schema = DefaultSchema>(name: string, options: SharedRingOptions<S>): SharedRing<S> {
    return new SharedRing<S>('create', name, options, undefined);
  }

  /**
   * Opens the ring in segment `name`.
   * @throws `SegmentNotFoundError`; `LayoutMismatchError` naming the field (`kind`, `schema`, `capacity`, `producer`, ...).
   */
  static open<S extends Schema = DefaultSchema>(name: string, expected?: SharedRingOpenOptions<S>): SharedRing<S> {
    return new SharedRing<S>('open', name, undefined, expected ?? {});
  }

  /**
   * Opens the ring in segment `name` if a live one is there (it must match `options`' schema,
   * capacity and producer mode), else creates it — recreating a stale segment (no live process
   * attached, e.g. everyone was killed).
   */
  static openOrCreate<S extends Schema = DefaultSchema>(name: string, options: SharedRingOptions<S>): SharedRing<S> {
    return new SharedRing<S>('openOrCreate', name, options, undefined);
  }
}
