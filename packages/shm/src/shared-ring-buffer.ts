import { RingBuffer, type RingBufferOptions, type WaitStrategyOption } from '@ringkit/core';
import { checkSlots, establish, type Attachment, type Establish, type Recipe, type SharedOptions } from './attachment.js';
import { SharedStructure } from './shared-structure.js';

/** Options of {@link SharedRingBuffer.create} / {@link SharedRingBuffer.openOrCreate}. */
export type SharedRingBufferOptions = Omit<RingBufferOptions, 'buffer' | 'byteOffset' | 'owner' | 'watchdog'> & SharedOptions;
/** What {@link SharedRingBuffer.open} expects (each given field is checked) and how it waits. */
export type SharedRingBufferOpenOptions = { slotBytes?: number; slotCount?: number; waitStrategy?: WaitStrategyOption } & SharedOptions;

function recipe(options: SharedRingBufferOptions | undefined, expected: SharedRingBufferOpenOptions | undefined): Recipe<RingBuffer> {
  return {
    kind: 'ringBuffer',
    ...(options === undefined ? {} : { dataLength: () => RingBuffer.byteLength(options), capacity: options.slotCount }),
    create: (att: Attachment) => new RingBuffer({ ...options!, ...att.placement, ...att.participation, waitStrategy: att.strategy(options!.waitStrategy) }),
    attach: (att: Attachment) => {
      const e = expected ?? options!;
      const rb = RingBuffer.attach(att.placement, { ...att.participation, waitStrategy: att.strategy(e.waitStrategy) });
      checkSlots('RingBuffer', att.segment.name, rb, e);
      return rb;
    },
    recover: (rb, owner, keepConsumers) => void rb.recover(owner, { keepConsumers }),
  };
}

/**
 * bslatkin/ringbuffer's facade (`RingBuffer`: one write cursor, broadcast readers, never-blocking
 * `tryWrite`) in a named shared-memory segment: one writer process and N reader processes by
 * name, as the original's multiprocessing tests run it. Create the readers (`newReader()`) before
 * the first write — in the creating process, or in each reader process before the writer starts —
 * and hand each reader process its reader id. Use it through {@link buffer}.
 */
export class SharedRingBuffer extends SharedStructure {
  /** The facade (core's `RingBuffer` over the segment). */
  readonly buffer: RingBuffer;

  private constructor(how: Establish, name: string, options: SharedRingBufferOptions | undefined, expected: SharedRingBufferOpenOptions | undefined) {
    const { att, value } = establish(how, name, recipe(options, expected), (options ?? expected ?? {}) as SharedOptions);
    super(att);
    this.buffer = value;
  }

  /** Creates segment `name` holding a new facade. @throws as `SharedRing.create`. */
  static create(name: string, options: SharedRingBufferOptions): SharedRingBuffer {
    return new SharedRingBuffer('create', name, options, undefined);
  }

  /** Opens the facade in segment `name`. @throws as `SharedRing.open` (`slotBytes`, `slotCount` mismatches named). */
  static open(name: string, expected?: SharedRingBufferOpenOptions): SharedRingBuffer {
    return new SharedRingBuffer('open', name, undefined, expected ?? {});
  }

  /** Opens a live facade `name` (same slotBytes and slotCount) or creates it, recreating a stale one. */
  static openOrCreate(name: string, options: SharedRingBufferOptions): SharedRingBuffer {
    return new SharedRingBuffer('openOrCreate', name, options, undefined);
  }
}
