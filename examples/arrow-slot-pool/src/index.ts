/**
 * Zero-copy Apache Arrow through a ringkit {@link SlotPool}: a producer writes a table as an
 * Arrow IPC stream into a slot and sends only the small, structured-clonable handle; a reader
 * in another thread acquires the slot and opens the table over the shared bytes, so its column
 * buffers are views into the pool's `SharedArrayBuffer` — nothing is copied on the read side.
 *
 * On the write side Arrow JS serialises into its own buffers (it cannot write into a caller's
 * memory), so a table costs one serialisation plus one copy into the slot — never two
 * serialisations (the enrgdaq "size probe" defect).
 */
import { tableFromIPC, tableToIPC, type Table, type TypeMap } from 'apache-arrow';
import { InvalidArgumentError, type SlotHandle, type SlotPool, type WaitOptions } from '@ringkit/core';

/**
 * Writes `table` into a slot of `pool` (Arrow IPC stream format) and marks it ready.
 * @returns the handle to send to readers (the producer still holds one reference: release it
 *   with `pool.release(handle)` when it no longer needs the slot).
 * @throws {@link InvalidArgumentError} when the table does not fit in a slot.
 */
export function writeTable(pool: SlotPool, table: Table, options?: WaitOptions): SlotHandle {
  const ipc = tableToIPC(table, 'stream');
  if (ipc.length > pool.slotBytes) {
    throw new InvalidArgumentError(`the table's IPC stream does not fit in a slot: bytes=${ipc.length}, slotBytes=${pool.slotBytes}`);
  }
  const slot = pool.allocate(ipc.length, options);
  slot.view.set(ipc);
  return pool.markReady(slot, ipc.length);
}

/** A table read in place from a slot: valid until `release()`. */
export interface SlotTable<T extends TypeMap = TypeMap> {
  readonly table: Table<T>;
  /** Drops this reader's reference; the table's buffers must not be used afterwards. */
  release(): void;
}

/**
 * Opens the Arrow table in the slot named by `handle` without copying. Takes a reference with
 * `pool.acquire`, unless `owned` says the sender already holds one for this reader (for
 * example the producer handing its own reference over with the handle).
 * @throws {@link StaleSlotError} when the slot was reused since the handle was made.
 */
export function readTable<T extends TypeMap = TypeMap>(pool: SlotPool, handle: SlotHandle, owned = false): SlotTable<T> {
  const bytes = owned ? pool.view(handle) : pool.acquire(handle);
  try {
    const table = tableFromIPC<T>(bytes);
    return { table, release: () => pool.release(handle) };
  } catch (e) {
    pool.release(handle);
    throw e;
  }
}
