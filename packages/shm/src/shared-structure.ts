import type { Attachment } from './attachment.js';
import type { ProcessEntry } from './process-table.js';
import { Segment } from './segment.js';

/**
 * What every named structure (`SharedRing`, `SharedByteRing`, `SharedSlotPool`,
 * `SharedRingBuffer`) has besides its core structure: the segment, the processes attached,
 * recovery of dead ones, and letting go.
 *
 * Crash survival: each attached process is in the segment's process table (pid + start time).
 * Any blocked waiter of any process looks at the table (core's watchdog hook, at most every
 * 50 ms); a process that is gone has its participants recovered by core's `recover(owner)`
 * exactly once: its unpublished multi-producer claims are skipped as lost, its single-producer
 * slot is freed, its consumers are evicted (or kept, `deadConsumers: 'keep'`), its `RingBuffer`
 * writers (registered by it, or adopted at its first write) are done, and its slot-pool
 * references (slots being written, producer references not handed over, views, acquires) are dropped.
 */
export abstract class SharedStructure {
  /** The segment's name (with its leading slash). */
  readonly name: string;
  /** The mapped segment (its `buffer` is a real SharedArrayBuffer). */
  readonly segment: Segment;
  protected readonly attachment: Attachment;

  protected constructor(attachment: Attachment) {
    this.attachment = attachment;
    this.segment = attachment.segment;
    this.name = attachment.segment.name;
  }

  /** This process's owner tag: every producer and consumer it runs in the structure carries it. */
  get owner(): number {
    return this.attachment.owner;
  }

  /** True when this process created the segment (false: it opened an existing one). */
  get created(): boolean {
    return this.segment.created;
  }

  /** The processes attached now, each with `alive` checked (pid and start time). */
  processes(): ProcessEntry[] {
    return this.attachment.processes();
  }

  /**
   * Finds attached processes that are gone and recovers their participants now (blocked
   * waiters do this by themselves every 50 ms). Returns the owner tags recovered.
   */
  recoverDead(): number[] {
    return this.attachment.sweepNow();
  }

  /**
   * Lets go of the structure in this thread: stops the waiter's native threads; the process's
   * last object also recovers its own participants (as a death would: close producers first)
   * and leaves the process table. The name stays ({@link unlink} removes it). Idempotent.
   */
  close(): void {
    this.attachment.close();
  }

  /** Removes the segment's name (processes attached keep their memory). Idempotent. */
  unlink(): void {
    if (Segment.exists(this.name)) {
      try {
        Segment.unlink(this.name);
      } catch {
        // removed meanwhile
      }
    }
  }
}
