import { SlotPool, type SlotPoolOptions, type WaitStrategyOption } from '@ringkit/core';
import { LayoutMismatchError } from '@ringkit/core';
import { checkSlots, establish, type Attachment, type Establish, type Recipe, type SharedOptions } from './attachment.js';
import { SharedStructure } from './shared-structure.js';

/**
 * Options of {@link SharedSlotPool.create} / {@link SharedSlotPool.openOrCreate}. `holders` is
 * the segment's: one hold row per process-table entry (`maxProcesses`), so every process's
 * references are recorded and a dead one's are freed.
 */
export type SharedSlotPoolOptions = Omit<SlotPoolOptions, 'buffer' | 'byteOffset' | 'holders'> & SharedOptions;
/** What {@link SharedSlotPool.open} expects (each given field is checked) and how it waits. */
export type SharedSlotPoolOpenOptions = { slotBytes?: number; slotCount?: number; waitStrategy?: WaitStrategyOption } & SharedOptions;

function recipe(options: SharedSlotPoolOptions | undefined, expected: SharedSlotPoolOpenOptions | undefined): Recipe<SlotPool> {
  return {
    kind: 'slotPool',
    ...(options === undefined ? {} : { dataLength: (maxProcesses: number) => SlotPool.byteLength({ ...options, holders: maxProcesses }), capacity: options.slotCount }),
    create: (att: Attachment) => SlotPool.create({
      ...options!, ...att.placement, holders: att.header.maxProcesses, ...att.participation, waitStrategy: att.strategy(options!.waitStrategy),
    }),
    attach: (att: Attachment) => {
      const e = expected ?? options!;
      // Hold rows: one per process-table entry (checked before the owner takes one).
      const holders = SlotPool.attach(att.placement).holders;
      if (holders !== att.header.maxProcesses) {
        throw new LayoutMismatchError('holders', `slot pool ${att.segment.name}: hold rows found ${holders}, expected ${att.header.maxProcesses} (one per process-table entry)`);
      }
      const pool = SlotPool.attach(att.placement, { ...att.participation, waitStrategy: att.strategy(e.waitStrategy) });
      checkSlots('slot pool', att.segment.name, pool, e);
      return pool;
    },
    recover: (pool, owner, _keep, closing) => void pool.recover(owner, { keepProducers: closing }),
  };
}

/**
 * A {@link SlotPool} (enrgdaq's shape: fixed slots, reference counts and generations) in a named
 * shared-memory segment: slot states, write cursor, counters and generations live in the
 * segment, so every process sees the same pool (the original's state was process-local). Hand a
 * slot's handle (`{ slot, generation, length }`) to another process; it acquires it by handle.
 *
 * Crash survival: every process's references are recorded in the segment under its owner tag
 * (core's hold rows); when a process is found dead (a blocked `allocate` of any process looks
 * every 50 ms, {@link recoverDead}, or the next open), core's `SlotPool.recover(owner)` aborts the
 * slots it was writing, drops its producer references (unless handed over with `view`), the
 * handed-over references it viewed and its acquires: the pool does not fill up with a dead job's slots.
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
