import { CapacityError, InvalidArgumentError, InvalidStateError, LayoutMismatchError } from './errors.js';
import {
  alignTo, BLOCK_LENGTH, checkDescriptor, KIND, readHeader, SCHEMA_OFFSET, schemaByteLength, writeHeader,
  type Header, type RegionDescriptor,
} from './layout.js';
import { placeRegion, type PlacementOptions } from './region.js';
import { optionsObject, orDefault, resolveParticipation, type ParticipationOptions } from './ring-mode.js';
import { revivable } from './ring-buffer.js';
import { describe } from './schema.js';
import { SLOT_POOL_STEP, slotPoolStep, type SlotPoolOperation } from './slot-pool-steps.js';
import { checkWait, checkWaitOptions, deadlineOf, MAX_SLEEP_MS, resolveWaitStrategy, signalAll, sleepMs, type WaitOptions, type WaitStrategy, type WaitStrategyOption } from './wait-strategy.js';

/*
 * Slot pool memory layout (byte offsets from the region start), everything in shared memory:
 *
 *        0  HEADER        core region header: kind = slot pool, capacity = slot count,
 *                         schema text = "slotBytes=<n>,whenFull=<policy>[,holders=<h>]"
 *     1024  SCHEMA        the schema text, padded to a block
 *        A  NEXT          Int32: allocation counter (round-robin start, and each slot's age)
 *    A+128  FREE_SIGNAL   Int32: bumped when a slot becomes FREE and FREE_WAITERS != 0
 *    A+256  FREE_WAITERS  Int32: threads asleep in allocate()
 *    A+384  COUNTERS      BigInt64 × 8: bytes written | bytes read | allocations |
 *                         overwrites | full (allocations refused or waited for)
 *    A+512  SLOTS         slot count × 16 bytes: STATE | LENGTH | AGE | reserved
 *        H  HOLDERS       holders × Int32 (H = A+512+16 × slot count, rounded up to 128): the
 *                         owner tag each hold row belongs to, 0 = a free row (only with holders)
 *        R  HOLDS         holders × slot count Int32 (R = H + 4 × holders, rounded up to 128):
 *                         row r, slot s = what owner r holds of slot s's current use, as
 *                         generation << 12 | READERS << 4 | HANDED << 3 | PRODUCER << 2
 *                         (PRODUCER: the owner took the slot for writing and keeps the producer's
 *                         reference; HANDED: it holds the producer's reference handed to it with
 *                         `view`; READERS: its acquires). A word of an older generation is stale.
 *        L  LOCKS         slot count × 16 bytes (L = R + 4 × holders × slot count, rounded up to
 *                         128; only with holders), per slot:
 *                           +0  LOCK     Int32: 0, or the tag of the object changing the slot
 *                                        (its owner, -1 for an object without one)
 *                           +4  J_STATE  Int32: the STATE word before the change
 *                           +8  J_ROW    Int32: 0 nothing journaled, r + 2: STATE and row r's
 *                                        hold word of this slot (a change of STATE alone is
 *                                        not journaled: it is made or not)
 *                           +12 J_HOLD   Int32: that hold word before the change
 *        D  DATA          slot count × stride (slot bytes rounded up to 128; D = L + 16 × slot
 *                         count rounded up to 128, or R with no holders)
 *
 * STATE = generation << 12 | READERS << 4 | HANDED << 3 | PRODUCER << 2 | PHASE, moved only by
 * compare-and-swap, so a state change and a generation check are one atomic step:
 *   PHASE     0 FREE, 1 WRITING, 2 READY
 *   PRODUCER  the producer's reference (taken by markReady, dropped by its release)
 *   HANDED    the producer's reference was handed to a reader with the handle (`view`)
 *   READERS   references taken by `acquire` (0 … 255)
 * A READY slot is freed when PRODUCER and READERS are both gone. `whenFull: 'overwrite'` takes
 * only a READY slot with no readers and nothing handed over (the producer's own reference may
 * go with it: its handle becomes stale), so a slot some reader holds is never overwritten.
 * Releases do not say whose reference they drop, so each pool object (thread) remembers the
 * slots it marked ready and the acquires it made: its release drops, in this order, its own
 * producer reference, one of its acquires, the producer's reference held elsewhere (handed over
 * with the handle), or — a release on a reader's behalf — a reader's. The generation (20 bits, wraps) is bumped each time the slot
 * is taken for writing: a handle from an earlier use no longer matches.
 * A pool object with an `owner` tag (pools created with `holders`) also records its references
 * in its owner's hold row, so `recover(owner)` can drop exactly the references of a dead thread
 * or process. In a pool with holders every change of a slot (by any object, owned or not) is
 * one step under the slot's LOCK: lock, journal (J_STATE, J_HOLD, then J_ROW), STATE, hold word,
 * clear J_ROW, unlock (a change of STATE alone: lock, STATE, unlock). Killed anywhere in it, the change is either not begun (J_ROW
 * 0) or rolled back from the journal by `recover` of the lock's owner, so STATE and the hold
 * rows always agree: recovery is exact at every kill point. Without holders nothing is locked.
 */
const STATE_BITS = 12;
const STATE_MASK = (1 << STATE_BITS) - 1;
const PHASE_MASK = 3;
const PRODUCER = 1 << 2;
const HANDED = 1 << 3;
const READER_SHIFT = 4;
const READER_ONE = 1 << READER_SHIFT;
const READERS_MASK = STATE_MASK & ~(READER_ONE - 1);
const GENERATION_MASK = (1 << (32 - STATE_BITS)) - 1;
/** Slot phases (the low 2 bits of a slot's STATE word). */
export const SLOT_STATE = { free: 0, writing: 1, ready: 2 } as const;
/** Most readers one slot may have at once. */
export const MAX_SLOT_READERS = READERS_MASK >>> READER_SHIFT;
const SLOT_ENTRY_WORDS = 4;
const LOCK_ENTRY_WORDS = 4;
/** Offsets in a slot's LOCKS entry. */
const J_STATE = 1;
const J_ROW = 2;
const J_HOLD = 3;
const COUNTER = { bytesWritten: 0, bytesRead: 1, allocations: 2, overwrites: 3, full: 4 } as const;
/** Most hold rows (owners recorded at once) a pool may have. */
export const MAX_SLOT_POOL_HOLDERS = 1024;

/** What `allocate` does when no slot is free. */
export type WhenFull = 'wait' | 'fail' | 'overwrite';

/** Options of {@link SlotPool.create}. */
export interface SlotPoolOptions extends PlacementOptions {
  /** Bytes per slot: an integer in [1, 2^30]. */
  slotBytes: number;
  /** Number of slots: an integer in [1, 65536]. */
  slotCount: number;
  /**
   * When no slot is free: `'wait'` (default; `allocate` waits up to its timeout, `tryAllocate`
   * returns null), `'fail'` (`allocate` throws {@link CapacityError} at once), or `'overwrite'`
   * (take the oldest READY slot nobody has acquired; its handle becomes stale; counted in
   * `stats().overwrites`; waits like `'wait'` if every slot is being written or read).
   */
  whenFull?: WhenFull;
  /** How blocked calls wait in this thread. Defaults to `'phased'`. */
  waitStrategy?: WaitStrategyOption;
  /**
   * Hold rows: how many owners (threads or processes, see `owner`) may record their references
   * at once, so that `recover(owner)` can free a dead one's slots. An integer in
   * [0, {@link MAX_SLOT_POOL_HOLDERS}]; 0 (default) records nothing. Costs 4 × slotCount bytes per row,
   * plus 16 bytes per slot for the slot locks every change then takes (so that `recover` is exact
   * wherever an owner was killed).
   */
  holders?: number;
}

/**
 * Options of {@link SlotPool.create} and {@link SlotPool.attach} naming who the pool object acts
 * for: `owner` (an integer in [1, 2^31 - 1]; needs a pool with `holders`; takes a hold row, or
 * shares the row of an object with the same tag) and `watchdog` (called by a blocked `allocate`
 * at most every 50 ms: the place to find dead owners and `recover` them).
 */
export type SlotPoolParticipation = ParticipationOptions;

/** What {@link SlotPool.recover} dropped. */
export interface SlotPoolRecoveryReport {
  readonly owner: number;
  /** Slots the owner was writing (the writes are aborted). */
  readonly writing: number;
  /** Producer references on READY slots (not handed over), plus handed-over references it held. */
  readonly producers: number;
  /** Reader references taken by its `acquire`. */
  readonly readers: number;
  /** Slots that became FREE. */
  readonly freed: number;
}

/** A slot being written: `view` is the whole slot, writable. Pass it to `markReady` (or `release` to abort). */
export interface WritableSlot {
  readonly slot: number;
  readonly generation: number;
  readonly view: Uint8Array;
}

/** A ready slot's handle: structured-clonable; another thread acquires it with `pool.acquire(handle)`. */
export interface SlotHandle {
  readonly slot: number;
  readonly generation: number;
  /** Bytes of data in the slot. */
  readonly length: number;
}

/** Byte and event counters of a pool (all threads). */
export interface SlotPoolStats {
  bytesWritten: number;
  bytesRead: number;
  allocations: number;
  /** READY slots overwritten by `whenFull: 'overwrite'` (their data was dropped unread). */
  overwrites: number;
  /** Allocations that found no slot (refused, waited, or overwrote). */
  full: number;
}

/** A handle names a slot that was reused (or freed) since the handle was made. Code `ERR_STALE_SLOT`. */
export class StaleSlotError extends InvalidStateError {
  override readonly code = 'ERR_STALE_SLOT';
}
revivable(StaleSlotError, 'StaleSlotError', 'ERR_STALE_SLOT');

function parseSchema(text: string, lossy: boolean): { slotBytes: number; whenFull: WhenFull; holders: number } {
  const m = /^slotBytes=([1-9][0-9]{0,9}),whenFull=(wait|fail|overwrite)(?:,holders=([1-9][0-9]{0,3}))?$/.exec(text);
  if (m === null) throw new LayoutMismatchError('schema', `not a slot pool description: schema=${describe(text)}`);
  const slotBytes = Number(m[1]);
  if (slotBytes > 2 ** 30) throw new LayoutMismatchError('schema', `corrupt slot pool description (slotBytes above 2^30): schema=${describe(text)}`);
  const whenFull = m[2] as WhenFull;
  if ((whenFull === 'overwrite') !== lossy) throw new LayoutMismatchError('flags', `corrupt slot pool header: the lossy flag disagrees with whenFull=${whenFull}`);
  const holders = m[3] === undefined ? 0 : Number(m[3]);
  if (holders > MAX_SLOT_POOL_HOLDERS) throw new LayoutMismatchError('schema', `corrupt slot pool description (holders above ${MAX_SLOT_POOL_HOLDERS}): schema=${describe(text)}`);
  return { slotBytes, whenFull, holders };
}

function schemaOf(slotBytes: number, whenFull: WhenFull, holders: number): string {
  return `slotBytes=${slotBytes},whenFull=${whenFull}${holders === 0 ? '' : `,holders=${holders}`}`;
}

/** Checks the options {@link SlotPool.create} and {@link SlotPool.byteLength} share. */
function checkPoolOptions(options: Pick<SlotPoolOptions, 'slotBytes' | 'slotCount' | 'whenFull' | 'holders'>): { slotBytes: number; slotCount: number; whenFull: WhenFull; holders: number } {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object { slotBytes, slotCount }: options=${describe(options)}`);
  const { slotBytes, slotCount } = options;
  if (typeof slotBytes !== 'number' || !Number.isInteger(slotBytes) || slotBytes < 1 || slotBytes > 2 ** 30) {
    throw new InvalidArgumentError(`options.slotBytes must be an integer in [1, 2^30]: slotBytes=${describe(slotBytes)}`);
  }
  if (typeof slotCount !== 'number' || !Number.isInteger(slotCount) || slotCount < 1 || slotCount > 65536) {
    throw new InvalidArgumentError(`options.slotCount must be an integer in [1, 65536]: slotCount=${describe(slotCount)}`);
  }
  const whenFull = orDefault<unknown>(options.whenFull, 'wait');
  if (whenFull !== 'wait' && whenFull !== 'fail' && whenFull !== 'overwrite') {
    throw new InvalidArgumentError(`options.whenFull must be 'wait', 'fail' or 'overwrite': whenFull=${describe(whenFull)}`);
  }
  const holders = orDefault<unknown>(options.holders, 0);
  if (typeof holders !== 'number' || !Number.isInteger(holders) || holders < 0 || holders > MAX_SLOT_POOL_HOLDERS) {
    throw new InvalidArgumentError(`options.holders must be an integer in [0, ${MAX_SLOT_POOL_HOLDERS}]: holders=${describe(holders)}`);
  }
  return { slotBytes, slotCount, whenFull, holders };
}

interface Geometry { ctlOffset: number; holdersOffset: number; holdsOffset: number; locksOffset: number; dataOffset: number; stride: number; byteLength: number }

function geometry(slotBytes: number, slotCount: number, holders: number, schema: string): Geometry {
  const ctlOffset = alignTo(SCHEMA_OFFSET + schemaByteLength(schema), BLOCK_LENGTH);
  const holdersOffset = alignTo(ctlOffset + 512 + slotCount * SLOT_ENTRY_WORDS * 4, BLOCK_LENGTH);
  const holdsOffset = alignTo(holdersOffset + 4 * holders, BLOCK_LENGTH);
  const locksOffset = alignTo(holdsOffset + 4 * holders * slotCount, BLOCK_LENGTH);
  const dataOffset = holders === 0 ? locksOffset : alignTo(locksOffset + 4 * LOCK_ENTRY_WORDS * slotCount, BLOCK_LENGTH);
  const stride = alignTo(slotBytes, BLOCK_LENGTH);
  return { ctlOffset, holdersOffset, holdsOffset, locksOffset, dataOffset, stride, byteLength: dataOffset + stride * slotCount };
}

/**
 * A pool of fixed-size byte slots in shared memory (enrgdaq's shared ring, done right): a
 * producer allocates a slot, writes it in place and marks it ready; readers in any thread
 * acquire it by handle (reference counted), read it in place and release it; the slot is free
 * again after the producer's release plus one per acquire. Slot states, generations and
 * counters all live in the shared memory and move by compare-and-swap.
 */
export class SlotPool {
  /** Structured-clonable: `SlotPool.attach(descriptor)` in another thread. */
  readonly descriptor: RegionDescriptor;
  readonly slotBytes: number;
  readonly slotCount: number;
  readonly whenFull: WhenFull;
  /** The whole data area; slot i starts at `i × stride`. */
  readonly data: Uint8Array;
  /** Bytes between slot starts (slotBytes rounded up to 128). */
  readonly stride: number;
  private readonly ctl: Int32Array;
  private readonly counters: BigInt64Array;
  private readonly slotBase: number;
  private readonly strategy: WaitStrategy;
  /** Hold rows of the pool (0: none recorded). */
  readonly holders: number;
  /** This object's owner tag (0: none, its references are not recorded). */
  readonly owner: number;
  private readonly holdersIndex: number;
  private readonly holdsIndex: number;
  /** Index in `ctl` of slot 0's LOCKS entry (pools with holders). */
  private readonly locksIndex: number;
  /** True in a pool with holders: every slot change is journaled under the slot's lock. */
  private readonly recorded: boolean;
  /** What this object writes in a LOCK word: its owner tag, or -1. */
  private readonly lockTag: number;
  /** This owner's hold row number, or -1. */
  private readonly row: number;
  private readonly watchdog: (() => void) | undefined;
  private lastWatch = 0;
  /** Acquires this pool object (thread) made and has not released, by slot and generation. */
  private readonly acquired = new Map<number, number>();
  /** Slots this pool object marked ready whose producer reference it has not released. */
  private readonly produced = new Set<number>();
  private static readonly NEXT = 0;
  private static readonly FREE_SIGNAL = 128 >> 2;
  private static readonly FREE_WAITERS = 256 >> 2;

  private constructor(d: RegionDescriptor, header: Header, strategy: WaitStrategy, participation: SlotPoolParticipation) {
    const { slotBytes, whenFull, holders } = parseSchema(header.schema, header.lossy);
    const g = geometry(slotBytes, header.capacity, holders, header.schema);
    if (g.byteLength !== header.byteLength) throw new LayoutMismatchError('byteLength', `the pool's recorded length does not match its header: byteLength=${header.byteLength}, computed ${g.byteLength}`);
    this.descriptor = Object.freeze({ buffer: d.buffer, byteOffset: d.byteOffset });
    this.slotBytes = slotBytes;
    this.slotCount = header.capacity;
    this.whenFull = whenFull;
    this.stride = g.stride;
    this.ctl = new Int32Array(d.buffer, d.byteOffset + g.ctlOffset, (g.dataOffset - g.ctlOffset) >> 2);
    this.counters = new BigInt64Array(d.buffer, d.byteOffset + g.ctlOffset + 384, 8);
    this.slotBase = 512 >> 2;
    this.data = new Uint8Array(d.buffer, d.byteOffset + g.dataOffset, g.stride * header.capacity);
    this.strategy = strategy;
    const { owner, watchdog } = resolveParticipation(participation);
    this.holders = holders;
    this.owner = owner;
    this.watchdog = watchdog;
    this.holdersIndex = (g.holdersOffset - g.ctlOffset) >> 2;
    this.holdsIndex = (g.holdsOffset - g.ctlOffset) >> 2;
    this.locksIndex = (g.locksOffset - g.ctlOffset) >> 2;
    this.recorded = holders > 0;
    this.lockTag = owner === 0 ? -1 : owner;
    this.row = owner === 0 ? -1 : this.claimRow(owner);
  }

  /**
   * Takes (or shares) the hold row of `owner`.
   * @throws {@link InvalidArgumentError} for a pool without holders; {@link CapacityError} when every row is taken.
   */
  private claimRow(owner: number): number {
    if (this.holders === 0) throw new InvalidArgumentError(`options.owner needs a pool created with holders (hold rows to record references in): this pool has holders=0`);
    const ctl = this.ctl;
    for (let attempt = 0; attempt < 2; attempt++) {
      for (let r = 0; r < this.holders; r++) if (Atomics.load(ctl, this.holdersIndex + r) === owner) return r;
      for (let r = 0; r < this.holders; r++) {
        if (Atomics.compareExchange(ctl, this.holdersIndex + r, 0, owner) === 0) return r;
      }
    }
    throw new CapacityError(`every hold row of the slot pool is taken (holders=${this.holders}): recover(owner) a dead owner to free its row`);
  }

  /** Index in `ctl` of row `row`'s hold word of `slot`. */
  private holdIndex(row: number, slot: number): number {
    return this.holdsIndex + row * this.slotCount + slot;
  }

  /** This owner's hold word of `slot`'s use `generation` with `add` (READER_ONE, PRODUCER, HANDED) added. Under the slot's lock. */
  private heldWith(slot: number, generation: number, add: number): number {
    const h = Atomics.load(this.ctl, this.holdIndex(this.row, slot));
    const base = h >>> STATE_BITS === generation ? h : generation << STATE_BITS;
    return add === READER_ONE ? base + READER_ONE : base | add;
  }

  /**
   * The row whose hold of `slot`'s use `generation` loses `what` (READER_ONE, PRODUCER, HANDED):
   * this owner's if it has it, else the first row that does (a release on another's behalf);
   * -1 when no row has it. Under the slot's lock.
   */
  private holderOf(slot: number, generation: number, what: number): number {
    if (this.row >= 0 && this.holds(this.row, slot, generation, what)) return this.row;
    for (let r = 0; r < this.holders; r++) if (this.holds(r, slot, generation, what)) return r;
    return -1;
  }

  private holds(row: number, slot: number, generation: number, what: number): boolean {
    const h = Atomics.load(this.ctl, this.holdIndex(row, slot));
    return h >>> STATE_BITS === generation && (what === READER_ONE ? (h & READERS_MASK) !== 0 : (h & what) !== 0);
  }

  /** Index in `ctl` of `slot`'s LOCKS entry. */
  private lockIndex(slot: number): number {
    return this.locksIndex + slot * LOCK_ENTRY_WORDS;
  }

  /**
   * Takes `slot`'s lock (pools with holders), waiting while another object changes the slot: a
   * few instructions, unless that object died there; then it waits for `recover` of its owner
   * (spins, then sleeps 1 ms at a time, calling the watchdog, which is where dead owners are found).
   */
  private lock(operation: SlotPoolOperation, slot: number): void {
    const ctl = this.ctl;
    const j = this.lockIndex(slot);
    for (let tries = 0; ; tries++) {
      const holder = Atomics.compareExchange(ctl, j, 0, this.lockTag);
      if (holder === 0) break;
      if (tries >= this.strategy.spinTries && this.strategy.kind !== 'busySpin') {
        this.watch();
        this.strategy.waiter.wait(ctl, j, holder, 1);
      }
    }
    slotPoolStep(operation, SLOT_POOL_STEP.locked, slot);
  }

  /** Takes `slot`'s lock if nobody has it. */
  private tryLock(operation: SlotPoolOperation, slot: number): boolean {
    if (Atomics.compareExchange(this.ctl, this.lockIndex(slot), 0, this.lockTag) !== 0) return false;
    slotPoolStep(operation, SLOT_POOL_STEP.locked, slot);
    return true;
  }

  /** Drops `slot`'s lock without a change. */
  private unlock(slot: number): void {
    Atomics.store(this.ctl, this.lockIndex(slot), 0);
  }

  /**
   * Applies one change of `slot` under its lock: STATE becomes `next` and, for `row` >= 0, that
   * row's hold word of the slot becomes `hold`, journaled first; then drops the lock. Killed at
   * any step, the change is not begun (journal empty) or is rolled back by `recover` of this
   * object's owner. A change of STATE alone (`row` < 0) needs no journal: it is made or not.
   */
  private commit(operation: SlotPoolOperation, slot: number, next: number, row: number, hold: number): void {
    const ctl = this.ctl;
    const i = this.stateIndex(slot);
    const j = this.lockIndex(slot);
    const h = row < 0 ? -1 : this.holdIndex(row, slot);
    if (h >= 0) {
      // Plain writes: the J_ROW store publishes them (and a recoverer reads them after loading J_ROW).
      ctl[j + J_STATE] = Atomics.load(ctl, i);
      ctl[j + J_HOLD] = ctl[h]!;
      Atomics.store(ctl, j + J_ROW, row + 2); // the journal is valid from here
    }
    slotPoolStep(operation, SLOT_POOL_STEP.journaled, slot);
    Atomics.store(ctl, i, next);
    slotPoolStep(operation, SLOT_POOL_STEP.state, slot);
    if (h >= 0) ctl[h] = hold; // hold words are read and written only under the slot's lock
    slotPoolStep(operation, SLOT_POOL_STEP.held, slot);
    if (h >= 0) Atomics.store(ctl, j + J_ROW, 0);
    slotPoolStep(operation, SLOT_POOL_STEP.cleared, slot);
    Atomics.store(ctl, j, 0);
  }

  /**
   * If `slot`'s lock is held by the dead `owner`: takes it over, restores what its journal says
   * (STATE and the hold word) if a change was half-done, and drops it. Idempotent: a recoverer
   * killed here leaves the journal for its own recoverer to restore again.
   */
  private rollBack(owner: number, slot: number): void {
    const ctl = this.ctl;
    const j = this.lockIndex(slot);
    if (Atomics.compareExchange(ctl, j, owner, this.lockTag) !== owner) return;
    slotPoolStep('recover', SLOT_POOL_STEP.locked, slot);
    const journaled = Atomics.load(ctl, j + J_ROW);
    if (journaled >= 2) {
      Atomics.store(ctl, this.stateIndex(slot), ctl[j + J_STATE]!);
      ctl[this.holdIndex(journaled - 2, slot)] = ctl[j + J_HOLD]!;
      Atomics.store(ctl, j + J_ROW, 0);
    }
    Atomics.store(ctl, j, 0);
  }

  /**
   * Drops every reference the dead thread or process `owner` held, from its hold row: aborts the
   * slots it was writing, drops its producer references on READY slots (unless handed over to a
   * reader with `view`), the handed-over references it took with `view`, and its acquires; wakes
   * `allocate` waiters when slots came free; frees the row. Exact wherever the owner was killed:
   * a slot change it left half-done under a slot's lock is rolled back first (from the slot's
   * journal), so nothing leaks and nothing is dropped twice. Call it only for an owner that is
   * gone (a live one's handles become stale). Waits while another object changes a slot (if that
   * one is dead too, its owner's `recover` must run: the watchdog is called meanwhile). Calling it
   * again for the same owner (a recoverer killed half-way) finishes the job. A pool without
   * holders, or an owner with no row: nothing.
   * `options.keepProducers`: leave its producer references on READY slots (an owner that exits
   * cleanly while the handles it sent are on their way: the reader they reach releases them).
   * @throws {@link InvalidArgumentError} for an owner outside [1, 2^31 - 1].
   */
  recover(owner: number, options?: { keepProducers?: boolean }): SlotPoolRecoveryReport {
    if (!(typeof owner === 'number' && Number.isInteger(owner) && owner >= 1 && owner <= 2 ** 31 - 1)) {
      throw new InvalidArgumentError(`recover(owner) takes an owner tag, an integer in [1, 2^31 - 1]: owner=${describe(owner)}`);
    }
    const keepProducers = orDefault<unknown>(optionsObject(options, 'options').keepProducers, false);
    if (typeof keepProducers !== 'boolean') throw new InvalidArgumentError(`options.keepProducers must be a boolean: keepProducers=${describe(keepProducers)}`);
    const ctl = this.ctl;
    const tally = { writing: 0, producers: 0, readers: 0, freed: 0 };
    if (!this.recorded) return { owner, ...tally };
    // First the changes it left half-done under a lock: afterwards STATE and every row agree.
    for (let slot = 0; slot < this.slotCount; slot++) this.rollBack(owner, slot);
    // Every row of the owner (two objects of one owner attaching at once may each take one).
    for (let r = 0; r < this.holders; r++) {
      if (Atomics.load(ctl, this.holdersIndex + r) !== owner) continue;
      for (let slot = 0; slot < this.slotCount; slot++) this.recoverHold(r, slot, keepProducers, tally);
      Atomics.compareExchange(ctl, this.holdersIndex + r, owner, 0);
    }
    if (tally.freed > 0 && Atomics.load(ctl, SlotPool.FREE_WAITERS) !== 0) signalAll(this.strategy.waiter, ctl, SlotPool.FREE_SIGNAL);
    return { owner, ...tally };
  }

  /**
   * Drops the references row `row` records of `slot` and clears its hold word, counting them in
   * `tally`: one journaled change under the slot's lock (taken even for an empty word, so no
   * half-done change of another object is pending while the row is read).
   */
  private recoverHold(row: number, slot: number, keepProducers: boolean, tally: { writing: number; producers: number; readers: number; freed: number }): void {
    const ctl = this.ctl;
    this.lock('recover', slot);
    const h = Atomics.load(ctl, this.holdIndex(row, slot));
    const word = Atomics.load(ctl, this.stateIndex(slot));
    let next = word;
    if (h !== 0 && word >>> STATE_BITS === h >>> STATE_BITS) { // else reused since: nothing of this owner's left
      const phase = word & PHASE_MASK;
      if (phase === SLOT_STATE.writing) {
        if ((h & PRODUCER) !== 0) {
          next = word & ~STATE_MASK;
          tally.writing++;
        }
      } else if (phase === SLOT_STATE.ready) {
        if ((word & PRODUCER) !== 0 && ((h & HANDED) !== 0 ? (word & HANDED) !== 0 : !keepProducers && (h & PRODUCER) !== 0 && (word & HANDED) === 0)) {
          next &= ~(PRODUCER | HANDED);
          tally.producers++;
        }
        // The rows agree with STATE, so the row's acquires are all there (min() only guards a corrupt row).
        const r = Math.min((h & READERS_MASK) >>> READER_SHIFT, (word & READERS_MASK) >>> READER_SHIFT);
        next -= r * READER_ONE;
        tally.readers += r;
        if ((next & (PRODUCER | READERS_MASK)) === 0) next &= ~STATE_MASK;
      }
    }
    if (h === 0) {
      this.unlock(slot);
      return;
    }
    if (next !== word && (next & PHASE_MASK) === SLOT_STATE.free) tally.freed++;
    this.commit('recover', slot, next, row, 0);
  }

  /** Creates a pool in a new `SharedArrayBuffer`. @throws {@link InvalidArgumentError} naming the bad option. */
  static create(options: SlotPoolOptions & SlotPoolParticipation): SlotPool {
    const { slotBytes, slotCount, whenFull, holders } = checkPoolOptions(options);
    const strategy = resolveWaitStrategy(options.waitStrategy);
    const participation = { owner: options.owner, watchdog: options.watchdog };
    const schema = schemaOf(slotBytes, whenFull, holders);
    const g = geometry(slotBytes, slotCount, holders, schema);
    const d = placeRegion(options, g, 'slot pool');
    const header: Header = {
      kind: KIND.slotPool, capacity: slotCount, multiProducer: true, maxConsumers: 0, maxProducers: 0, lossy: whenFull === 'overwrite',
      initialSequence: 0, evictAfterMs: 0, startTimeoutMs: 0, byteLength: g.byteLength, schema, epochMs: Date.now(),
    };
    writeHeader(d, header);
    return new SlotPool(d, header, strategy, participation);
  }

  /** Attaches to a pool created in another thread. @throws {@link LayoutMismatchError} when it is not a slot pool. */
  static attach(descriptor: RegionDescriptor, options?: { waitStrategy?: WaitStrategyOption } & SlotPoolParticipation): SlotPool {
    const d = checkDescriptor(descriptor);
    const o = optionsObject(options, 'options');
    const strategy = resolveWaitStrategy(o.waitStrategy);
    return new SlotPool(d, readHeader(d, KIND.slotPool, (schema, flags) => void parseSchema(schema, flags.lossy)), strategy, { owner: o.owner, watchdog: o.watchdog });
  }

  /** Bytes a pool with these options occupies (to place it inside a larger buffer). */
  static byteLength(options: Pick<SlotPoolOptions, 'slotBytes' | 'slotCount' | 'whenFull' | 'holders'>): number {
    const { slotBytes, slotCount, whenFull, holders } = checkPoolOptions(options);
    return geometry(slotBytes, slotCount, holders, schemaOf(slotBytes, whenFull, holders)).byteLength;
  }

  private stateIndex(slot: number): number {
    return this.slotBase + slot * SLOT_ENTRY_WORDS;
  }

  private count(counter: number, n: number): void {
    Atomics.add(this.counters, counter, BigInt(n));
  }

  private checkSize(size: number): void {
    if (!(Number.isInteger(size) && size >= 0 && size <= this.slotBytes)) {
      throw new InvalidArgumentError(`allocate(size) needs an integer size in [0, slotBytes=${this.slotBytes}]: size=${describe(size)}`);
    }
  }

  /**
   * Takes `slot` from `word` to WRITING with the next generation; returns the writable slot, or
   * null if the slot changed meanwhile (or, with holders, another object is changing it).
   */
  private take(slot: number, word: number): WritableSlot | null {
    const generation = ((word >>> STATE_BITS) + 1) & GENERATION_MASK;
    const index = this.stateIndex(slot);
    const next = (generation << STATE_BITS) | SLOT_STATE.writing;
    if (this.recorded) {
      if (!this.tryLock('allocate', slot)) return null;
      if (Atomics.load(this.ctl, index) !== word) {
        this.unlock(slot);
        return null;
      }
      this.commit('allocate', slot, next, this.row, this.row < 0 ? 0 : (generation << STATE_BITS) | PRODUCER);
    } else if (Atomics.compareExchange(this.ctl, index, word, next) !== word) {
      return null;
    }
    Atomics.store(this.ctl, index + 2, Atomics.add(this.ctl, SlotPool.NEXT, 1)); // AGE
    this.count(COUNTER.allocations, 1);
    const start = slot * this.stride;
    return Object.freeze({ slot, generation, view: this.data.subarray(start, start + this.slotBytes) });
  }

  /**
   * Takes a free slot for writing without waiting. With `whenFull: 'overwrite'` and no free
   * slot, takes the oldest READY slot that has no readers (its earlier handle becomes stale).
   * @returns the slot, or null when none qualifies.
   * @throws {@link InvalidArgumentError} for a size outside [0, slotBytes].
   */
  tryAllocate(size: number): WritableSlot | null {
    this.checkSize(size);
    return this.attempt(true);
  }

  /** One allocation attempt; `countFull` counts a failure to find a free slot in `stats().full`. */
  private attempt(countFull: boolean): WritableSlot | null {
    const ctl = this.ctl;
    const start = Atomics.load(ctl, SlotPool.NEXT);
    for (let k = 0; k < this.slotCount; k++) {
      const slot = (((start + k) % this.slotCount) + this.slotCount) % this.slotCount;
      const word = Atomics.load(ctl, this.stateIndex(slot));
      if ((word & PHASE_MASK) === SLOT_STATE.free) {
        const got = this.take(slot, word);
        if (got !== null) return got;
      }
    }
    if (countFull) this.count(COUNTER.full, 1);
    if (this.whenFull !== 'overwrite') return null;
    for (;;) {
      let oldest = -1;
      let oldestWord = 0;
      let oldestAge = 0;
      for (let slot = 0; slot < this.slotCount; slot++) {
        const word = Atomics.load(ctl, this.stateIndex(slot));
        // READY, no reader and nothing handed over: at most the producer's own reference goes with it.
        if ((word & (PHASE_MASK | HANDED | READERS_MASK)) !== SLOT_STATE.ready) continue;
        if (this.recorded && Atomics.load(ctl, this.lockIndex(slot)) !== 0) continue; // being changed
        const age = Atomics.load(ctl, this.stateIndex(slot) + 2);
        if (oldest < 0 || ((age - oldestAge) | 0) < 0) {
          oldest = slot;
          oldestWord = word;
          oldestAge = age;
        }
      }
      if (oldest < 0) return null;
      const got = this.take(oldest, oldestWord);
      if (got !== null) {
        this.count(COUNTER.overwrites, 1);
        return got;
      }
    }
  }

  /**
   * Takes a slot for writing; when none is free, does what `whenFull` says: waits (up to
   * `options.timeout`), throws {@link CapacityError} (`'fail'`), or overwrites the oldest ready slot.
   * @throws {@link TimeoutError}, {@link AbortError}, {@link CapacityError}.
   */
  allocate(size: number, options?: WaitOptions): WritableSlot {
    checkWaitOptions(options, 'allocate');
    const got = this.tryAllocate(size);
    if (got !== null) return got;
    if (this.whenFull === 'fail') throw new CapacityError(`no free slot in the pool (whenFull: 'fail'): slotCount=${this.slotCount}`);
    const deadline = deadlineOf(options, 'allocate');
    const ctl = this.ctl;
    for (;;) {
      checkWait(deadline, options?.signal, 'allocate', options?.timeout);
      this.watch();
      Atomics.add(ctl, SlotPool.FREE_WAITERS, 1);
      const observed = Atomics.load(ctl, SlotPool.FREE_SIGNAL);
      const slot = this.attempt(false);
      if (slot === null && this.strategy.kind !== 'busySpin') this.strategy.waiter.wait(ctl, SlotPool.FREE_SIGNAL, observed, sleepMs(deadline, MAX_SLEEP_MS));
      Atomics.sub(ctl, SlotPool.FREE_WAITERS, 1);
      if (slot !== null) return slot;
    }
  }

  /** Calls the watchdog (at most every 50 ms; an error it throws is its own business). */
  private watch(): void {
    if (this.watchdog === undefined) return;
    const now = Date.now();
    if (now - this.lastWatch < 50) return;
    this.lastWatch = now;
    try {
      this.watchdog();
    } catch {
      // the watchdog must not throw; a failure is retried at the next call
    }
  }

  /**
   * Publishes a written slot with `length` bytes of data; returns its handle (send it to readers).
   * The producer keeps one reference: `release` it when it no longer needs the slot.
   * @throws {@link StaleSlotError} if the slot is not this writer's WRITING slot any more.
   */
  markReady(slot: WritableSlot, length: number): SlotHandle {
    if (!(Number.isInteger(length) && length >= 0 && length <= this.slotBytes)) {
      throw new InvalidArgumentError(`markReady length must be an integer in [0, slotBytes=${this.slotBytes}]: length=${describe(length)}`);
    }
    const index = this.stateIndex(this.checkHandle(slot, 'markReady'));
    const writing = (slot.generation << STATE_BITS) | SLOT_STATE.writing;
    // Check before writing LENGTH: a refused (stale) call must not touch the live slot. Only
    // this writer moves a WRITING slot, so it is still WRITING at the compare-and-swap.
    if (Atomics.load(this.ctl, index) !== writing) {
      throw new StaleSlotError(`markReady on a slot that is not being written by this handle: slot=${slot.slot}, generation=${describe(slot.generation)}`);
    }
    const ready = (slot.generation << STATE_BITS) | PRODUCER | SLOT_STATE.ready;
    if (this.recorded) {
      this.lock('markReady', slot.slot);
      if (Atomics.load(this.ctl, index) !== writing) {
        this.unlock(slot.slot);
        throw new StaleSlotError(`markReady on a slot that is not being written by this handle: slot=${slot.slot}, generation=${slot.generation}`);
      }
      Atomics.store(this.ctl, index + 1, length);
      this.commit('markReady', slot.slot, ready, -1, 0); // the hold word says PRODUCER in both phases
    } else {
      Atomics.store(this.ctl, index + 1, length);
      if (Atomics.compareExchange(this.ctl, index, writing, ready) !== writing) {
        throw new StaleSlotError(`markReady on a slot that is not being written by this handle: slot=${slot.slot}, generation=${slot.generation}`);
      }
    }
    this.count(COUNTER.bytesWritten, length);
    this.remember(this.produced, slot);
    return Object.freeze({ slot: slot.slot, generation: slot.generation, length });
  }

  /** Checks a handle (or writable slot) passed to `what`; returns its slot. */
  private checkHandle(handle: unknown, what: string): number {
    if (handle === null || typeof handle !== 'object') throw new InvalidArgumentError(`${what} takes a slot handle { slot, generation }: handle=${describe(handle)}`);
    const { slot, generation } = handle as { slot?: unknown; generation?: unknown };
    if (typeof slot !== 'number' || !Number.isInteger(slot) || slot < 0 || slot >= this.slotCount) {
      throw new InvalidArgumentError(`handle.slot must be an integer in [0, ${this.slotCount - 1}]: slot=${describe(slot)}`);
    }
    if (typeof generation !== 'number' || !Number.isInteger(generation) || generation < 0 || generation > GENERATION_MASK) {
      throw new InvalidArgumentError(`handle.generation must be an integer in [0, ${GENERATION_MASK}]: generation=${describe(generation)}`);
    }
    return slot;
  }

  /** Adds a handle to one of this object's own-reference sets, dropping entries of slots reused since. */
  private remember(set: Set<number>, handle: SlotHandle | WritableSlot): void {
    set.add(this.heldKey(handle));
    if (set.size > 4 * this.slotCount) {
      for (const key of set) if (!this.current(key)) set.delete(key);
    }
  }

  /** True when the key's slot is still in the use (generation) it names. */
  private current(key: number): boolean {
    const slot = Math.floor(key / 2 ** 20);
    return Atomics.load(this.ctl, this.stateIndex(slot)) >>> STATE_BITS === key % 2 ** 20;
  }

  /**
   * Takes a reader's reference on a ready slot and returns a view of its data (zero-copy; valid
   * until this reader's `release`).
   * @throws {@link StaleSlotError} when the slot was reused or freed since the handle was made.
   */
  acquire(handle: SlotHandle): Uint8Array {
    const index = this.stateIndex(this.checkHandle(handle, 'acquire'));
    const ctl = this.ctl;
    for (;;) {
      if (this.recorded) this.lock('acquire', handle.slot);
      const word = Atomics.load(ctl, index);
      if (word >>> STATE_BITS !== handle.generation || (word & PHASE_MASK) !== SLOT_STATE.ready) {
        if (this.recorded) this.unlock(handle.slot);
        throw new StaleSlotError(
          `the slot was reused or freed since this handle was made: slot=${handle.slot}, handle generation=${describe(handle.generation)}, ` +
          `slot generation=${word >>> STATE_BITS}, phase=${word & PHASE_MASK}`,
        );
      }
      if ((word & READERS_MASK) === READERS_MASK) {
        if (this.recorded) this.unlock(handle.slot);
        throw new CapacityError(`too many readers on one slot (at most ${MAX_SLOT_READERS}): slot=${handle.slot}`);
      }
      if (this.recorded) {
        this.commit('acquire', handle.slot, word + READER_ONE, this.row, this.row < 0 ? 0 : this.heldWith(handle.slot, handle.generation, READER_ONE));
        break;
      }
      if (Atomics.compareExchange(ctl, index, word, word + READER_ONE) === word) break;
    }
    const key = this.heldKey(handle);
    this.acquired.set(key, (this.acquired.get(key) ?? 0) + 1);
    if (this.acquired.size > 4 * this.slotCount) {
      for (const k of this.acquired.keys()) if (!this.current(k)) this.acquired.delete(k);
    }
    return this.dataOf(handle.slot);
  }

  /** The data of a slot this thread holds a reference on (counted as read). */
  private dataOf(slot: number): Uint8Array {
    const length = Atomics.load(this.ctl, this.stateIndex(slot) + 1);
    this.count(COUNTER.bytesRead, length);
    const start = slot * this.stride;
    return this.data.subarray(start, start + length);
  }

  /**
   * A view of a ready slot's data without taking a reference: for a thread that was handed a
   * reference already acquired for it (then it calls `release` once done).
   * @throws {@link StaleSlotError} when the slot was reused or freed since the handle was made.
   */
  view(handle: SlotHandle): Uint8Array {
    const index = this.stateIndex(this.checkHandle(handle, 'view'));
    const ctl = this.ctl;
    for (;;) {
      if (this.recorded) this.lock('view', handle.slot);
      const word = Atomics.load(ctl, index);
      if (word >>> STATE_BITS !== handle.generation || (word & PHASE_MASK) !== SLOT_STATE.ready) {
        if (this.recorded) this.unlock(handle.slot);
        throw new StaleSlotError(`the slot was reused or freed since this handle was made: slot=${handle.slot}, handle generation=${describe(handle.generation)}, slot generation=${word >>> STATE_BITS}`);
      }
      // The producer's reference came with the handle: mark it handed over, so no overwrite takes the slot.
      if ((word & PRODUCER) === 0 || (word & HANDED) !== 0) {
        if (this.recorded) this.unlock(handle.slot);
        break;
      }
      if (this.recorded) {
        this.commit('view', handle.slot, word | HANDED, this.row, this.row < 0 ? 0 : this.heldWith(handle.slot, handle.generation, HANDED));
        break;
      }
      if (Atomics.compareExchange(ctl, index, word, word | HANDED) === word) break;
    }
    return this.dataOf(handle.slot);
  }

  /**
   * Drops one reference: a reader's (after `acquire`), or the producer's (after `markReady`);
   * releasing a WRITING slot aborts the write. The slot is free once every reference is gone.
   * @throws {@link StaleSlotError} when the handle's generation no longer matches (nothing released).
   */
  release(handle: SlotHandle | WritableSlot): void {
    const index = this.stateIndex(this.checkHandle(handle, 'release'));
    const ctl = this.ctl;
    const key = this.heldKey(handle);
    const mine = this.acquired.get(key) ?? 0;
    const produced = this.produced.has(key);
    for (;;) {
      if (this.recorded) this.lock('release', handle.slot);
      const word = Atomics.load(ctl, index);
      if (word >>> STATE_BITS !== handle.generation) {
        if (this.recorded) this.unlock(handle.slot);
        throw new StaleSlotError(`release of a reused slot (nothing released): slot=${handle.slot}, handle generation=${describe(handle.generation)}, slot generation=${word >>> STATE_BITS}`);
      }
      const phase = word & PHASE_MASK;
      if (phase === SLOT_STATE.free) {
        if (this.recorded) this.unlock(handle.slot);
        return;
      }
      let nextWord: number;
      let dropped = 0; // 1: this object's producer reference, 2: one of its acquires
      let held: number; // what the hold rows lose
      if (phase === SLOT_STATE.writing) {
        nextWord = word & ~STATE_MASK; // aborts the write
        held = PRODUCER;
      } else if (produced && (word & PRODUCER) !== 0) {
        nextWord = word & ~(PRODUCER | HANDED); // this object's own producer reference
        dropped = 1;
        held = PRODUCER;
      } else if (mine > 0 && (word & READERS_MASK) !== 0) {
        nextWord = word - READER_ONE; // one of this thread's acquires
        dropped = 2;
        held = READER_ONE;
      } else if ((word & PRODUCER) !== 0) {
        nextWord = word & ~(PRODUCER | HANDED); // the producer's reference (or the reader it was handed to)
        held = (word & HANDED) !== 0 ? HANDED : PRODUCER;
      } else {
        nextWord = word - READER_ONE; // a reader's, released on its behalf
        held = READER_ONE;
      }
      if ((nextWord & (PRODUCER | READERS_MASK)) === 0) nextWord &= ~STATE_MASK; // no reference left: FREE
      if (this.recorded) {
        const row = this.holderOf(handle.slot, handle.generation, held);
        const h = row < 0 ? 0 : Atomics.load(ctl, this.holdIndex(row, handle.slot));
        this.commit('release', handle.slot, nextWord, row, held === READER_ONE ? h - READER_ONE : h & ~held);
      } else if (Atomics.compareExchange(ctl, index, word, nextWord) !== word) {
        continue;
      }
      if (dropped === 1) this.produced.delete(key);
      else if (dropped === 2) {
        if (mine === 1) this.acquired.delete(key);
        else this.acquired.set(key, mine - 1);
      }
      if ((nextWord & PHASE_MASK) === SLOT_STATE.free && Atomics.load(ctl, SlotPool.FREE_WAITERS) !== 0) signalAll(this.strategy.waiter, ctl, SlotPool.FREE_SIGNAL);
      return;
    }
  }

  /** The key of a handle in {@link acquired}. */
  private heldKey(handle: SlotHandle | WritableSlot): number {
    return handle.slot * 2 ** 20 + handle.generation;
  }

  /** Readers holding `handle`'s slot now (0 when not ready or reused). A query. */
  readers(handle: SlotHandle): number {
    const word = Atomics.load(this.ctl, this.stateIndex(this.checkHandle(handle, 'readers')));
    return word >>> STATE_BITS === handle.generation && (word & PHASE_MASK) === SLOT_STATE.ready ? (word & READERS_MASK) >>> READER_SHIFT : 0;
  }

  /** Slots by state: free, being written, ready (with or without readers). A query. */
  occupancy(): { free: number; writing: number; ready: number } {
    const out = { free: 0, writing: 0, ready: 0 };
    for (let slot = 0; slot < this.slotCount; slot++) {
      const state = Atomics.load(this.ctl, this.stateIndex(slot)) & PHASE_MASK;
      if (state === SLOT_STATE.free) out.free++;
      else if (state === SLOT_STATE.writing) out.writing++;
      else out.ready++;
    }
    return out;
  }

  /** Counters of all threads. A query. */
  stats(): SlotPoolStats {
    const c = this.counters;
    return {
      bytesWritten: Number(Atomics.load(c, COUNTER.bytesWritten)),
      bytesRead: Number(Atomics.load(c, COUNTER.bytesRead)),
      allocations: Number(Atomics.load(c, COUNTER.allocations)),
      overwrites: Number(Atomics.load(c, COUNTER.overwrites)),
      full: Number(Atomics.load(c, COUNTER.full)),
    };
  }
}
