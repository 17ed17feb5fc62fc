import { SlotPool, type SlotPoolOptions, type WaitStrategyOption } from '@ringkit/core';
import { checkSlots, establish, type Attachment, type Establish, type Recipe, type SharedOptions } from './attachment.js';
import { SharedStructure } from './shared-structure.js';

/** Options of {@link SharedSlotPool.create} / {@link SharedSlotPool.openOrCreate}. */
export type SharedSlotPoolOptions = Omit<SlotPoolOptions, 'buffer' | 'byteOffset'> & SharedOptions;
/** What {@link SharedSlotPool.open} expects (each given field is checked) and how it waits. */
export type SharedSlotPoolOpenOptions = { slotBytes?: number; slotCount?: number; waitStrategy?: WaitStrategyOption } & SharedOptions;

function recipe(options: SharedSlotPoolOptions | undefined, expected: SharedSlotPoolOpenOptions | undefined): Recipe<SlotPool> {
  return {
    kind: 'slotPool',
    ...(options === undefined ? {} : { dataLength: SlotPool.byteLength(options), capacity: options.slotCount }),
    create: (att: Attachment) => SlotPool.create({ ...options!, ...att.placement, waitStrategy: att.strategy(options!.waitStrategy) }),
    attach: (att: Attachment) => {
      const e = expected ?? options!;
      const pool = SlotPool.attach(att.placement, { waitStrategy: att.strategy(e.waitStrategy) });
      checkSlots('slot pool', att.segment.name, pool, e);
      return pool;
    },
    recover: () => {},
  };
}

/**
 * A {@link SlotPool} (enrgdaq's shape: fixed slots, reference counts and generations) in a named
 * shared-memory segment: slot states, write cursor, counters and generations live in the
 * segment, so every process sees the same pool (the original's state was process-local). Hand a
 * slot's handle (`{ index, generation, length }`) to another process; it acquires it by handle.
 */
export class SharedSlotPool extends SharedStructure {
  /** The pool (core's `SlotPool` over the segment). */
  readonly pool: SlotPool;

  private constructor(how: Establish, name: string, options: SharedSlotPoolOptions | undefined, expected: SharedSlotPoolOpenOptions | undefined) {
    const { att, value } = establish(how, name, recipe(options, expected), (options ?? expected ?? {}) as SharedOptions);
    super(att);
    this.pool = value;
  }

  /** Creates segment `name` holding a new slot pool. @throws as `SharedRing.create`. */
  static create(name: string, options: SharedSlotPoolOptions): SharedSlotPool {
    return new SharedSlotPool('create', name, options, undefined);
  }

  /** Opens the slot pool in segment `name`. @throws as `SharedRing.open` (`slotBytes`, `slotCount` mismatches named). */
  static open(name: string, expected?: SharedSlotPoolOpenOptions): SharedSlotPool {
    return new SharedSlotPool('open', name, undefined, expected ?? {});
  }

  /** Opens a live pool `name` (same slotBytes and slotCount) or creates it, recreating a stale one. */
  static openOrCreate(name: string, options: SharedSlotPoolOptions): SharedSlotPool {
    return new SharedSlotPool('openOrCreate', name, options, undefined);
  }
}
