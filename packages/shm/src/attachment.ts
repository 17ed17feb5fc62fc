import { describe, InvalidArgumentError, InvalidStateError, LayoutMismatchError, resolveWaitStrategy, type WaitStrategyOption } from '@ringkit/core';
import { addon } from './addon.js';
import { SegmentExistsError, SegmentNotFoundError } from './errors.js';
import { futexWaiter, type FutexWaiter } from './futex-waiter.js';
import { dataOffsetFor, DEFAULT_MAX_PROCESSES, HEADER_BYTES, MAX_PROCESSES, SegmentHeader, STATE_WORD, type SegmentKind } from './header.js';
import { ownStartTime, processAlive } from './proc.js';
import { ProcessTable, type ProcessEntry } from './process-table.js';
import { Segment } from './segment.js';

/** Options every named structure takes on create, open and openOrCreate. */
export interface SharedOptions {
  /** Permission bits of a new segment (0 … 0o777). Defaults to 0o600 (this user only). */
  mode?: number;
  /**
   * What happens to the consumers (readers) of a process found dead: `'evict'` (default: they
   * stop holding producers back; survivors go on) or `'keep'` (they stay registered at what they
   * released, for a restarted process to reopen by id and get the rest: at-least-once).
   */
  deadConsumers?: 'evict' | 'keep';
  /** How long `open` waits for a segment another process is still creating. Defaults to 2000 ms. */
  openTimeoutMs?: number;
  /**
   * Entries of the segment's process table: how many processes may be attached at once (threads
   * of a process share one entry). An integer in [1, {@link MAX_PROCESSES} = 1024]; defaults to
   * {@link DEFAULT_MAX_PROCESSES} = 64. Set at create (48 bytes an entry; a slot pool also keeps
   * one hold row of 4 × slotCount bytes per entry); given to `open`, it is checked.
   */
  maxProcesses?: number;
}

/** How a named structure is reached. */
export type Establish = 'create' | 'open' | 'openOrCreate';

/** A structure's recipe for {@link establish}. */
export interface Recipe<T> {
  kind: SegmentKind;
  /** Bytes of the structure (create, openOrCreate), from its options and the table's size: computed before anything is created. */
  dataLength?: (maxProcesses: number) => number;
  /** Slots or bytes, for `shm ls`. */
  capacity?: number;
  /** Builds the structure in a new segment. */
  create(att: Attachment): T;
  /** Attaches to the structure in an existing segment (checks what the caller expects). */
  attach(att: Attachment): T;
  /** Declares a dead (or, `closing`, a cleanly closing) process's participants dead (core's `recover`). */
  recover(t: T, owner: number, keepConsumers: boolean, closing: boolean): void;
}

/**
 * One structure object's hold on a named segment: the mapping, the process table entry of this
 * process, the futex waiter its waits use, and the recovery of dead processes.
 */
export class Attachment {
  readonly segment: Segment;
  readonly header: SegmentHeader;
  readonly waiter: FutexWaiter;
  readonly keepConsumers: boolean;
  owner = 0;
  private entry = -1;
  private recoverOwner: ((owner: number, closing: boolean) => void) | undefined;
  /** Before {@link bind}: builds a structure object without an owner, to recover dead processes whose entries a full table needs. */
  private provisional: (() => (owner: number, closing: boolean) => void) | undefined;
  private closed = false;
  private lastSweep = 0;
  private processTable: ProcessTable | undefined;
  /** Core's watchdog hook: blocked waiters call it (at most every 50 ms); it must not throw. */
  readonly watchdog = (): void => {
    try {
      this.sweep();
    } catch {
      // a failed recovery stays attached and is retried at the next sweep
    }
  };

  constructor(segment: Segment, keepConsumers: boolean) {
    this.segment = segment;
    this.header = new SegmentHeader(segment.buffer);
    this.waiter = futexWaiter();
    this.keepConsumers = keepConsumers;
  }

  /** The segment's process table (its size read from the header, checked by `header.check` first). */
  get table(): ProcessTable {
    if (this.processTable === undefined) this.processTable = new ProcessTable(this.segment.buffer, this.header.maxProcesses, this.segment.name);
    return this.processTable;
  }

  /** Where the structure lives. */
  get placement(): { buffer: SharedArrayBuffer; byteOffset: number } {
    return { buffer: this.segment.buffer, byteOffset: this.header.dataOffset };
  }

  /** The wait strategy a structure over this segment uses: the caller's kind and spins, with the futex waiter. */
  strategy(option: WaitStrategyOption | undefined): WaitStrategyOption {
    const s = resolveWaitStrategy(option);
    return { kind: s.kind, spinTries: s.spinTries, waiter: this.waiter };
  }

  /** What structure objects of this attachment act as: its owner tag (once joined) and the watchdog. */
  get participation(): { owner?: number; watchdog: () => void } {
    return this.owner === 0 ? { watchdog: this.watchdog } : { owner: this.owner, watchdog: this.watchdog };
  }

  /**
   * Records this process in the table (before the structure is created or attached). With the
   * table full, dead processes are recovered first (through a `provisional` structure object
   * without an owner) and their entries reused.
   */
  join(provisional?: () => (owner: number, closing: boolean) => void): void {
    this.provisional = provisional;
    const { index, owner } = this.table.attach(() => this.sweepNow());
    this.entry = index;
    this.owner = owner;
  }

  /** Starts recovering for the structure (once it exists). */
  bind(recoverOwner: (owner: number, closing: boolean) => void): void {
    this.recoverOwner = recoverOwner;
  }

  /** Recovers dead processes now; returns their owner tags. */
  sweepNow(): number[] {
    this.lastSweep = Date.now();
    if (this.recoverOwner === undefined && this.provisional !== undefined) this.recoverOwner = this.provisional();
    const r = this.recoverOwner;
    return r === undefined ? [] : this.table.sweep((owner) => r(owner, false));
  }

  /** {@link sweepNow}, at most every 50 ms. */
  sweep(): number[] {
    return Date.now() - this.lastSweep < 50 ? [] : this.sweepNow();
  }

  /** The processes attached. */
  processes(): ProcessEntry[] {
    return this.table.entries();
  }

  /**
   * Lets go of the segment: the process's last object recovers its own participants (as if it
   * had died: a producer slot freed, claims skipped, consumers evicted or kept) and frees its
   * entry; the futex waiter's threads stop. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiter.close();
    if (this.entry >= 0 && this.table.detach(this.entry)) this.recoverOwner?.(this.owner, true);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

function checkOptions(options: SharedOptions): { keep: boolean; openTimeoutMs: number; maxProcesses: number | undefined } {
  const dead = options.deadConsumers === undefined ? 'evict' : options.deadConsumers;
  if (dead !== 'evict' && dead !== 'keep') throw new InvalidArgumentError(`options.deadConsumers must be 'evict' or 'keep': deadConsumers=${describe(options.deadConsumers)}`);
  const t = options.openTimeoutMs === undefined ? 2000 : options.openTimeoutMs;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 2 ** 30) {
    throw new InvalidArgumentError(`options.openTimeoutMs must be an integer number of milliseconds in [0, 2^30]: openTimeoutMs=${describe(options.openTimeoutMs)}`);
  }
  const m = options.maxProcesses;
  if (m !== undefined && (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > MAX_PROCESSES)) {
    throw new InvalidArgumentError(`options.maxProcesses (entries of the segment's process table) must be an integer in [1, ${MAX_PROCESSES}]: maxProcesses=${describe(m)}`);
  }
  return { keep: dead === 'keep', openTimeoutMs: t, maxProcesses: m };
}

/**
 * Waits (bounded) until the segment's creator has marked it ready. Returns false when it never
 * became ready and its creator is gone (a creator killed half-way: the segment is stale).
 */
function awaitReady(att: Attachment, timeoutMs: number): boolean {
  const h = att.header;
  const deadline = Date.now() + timeoutMs;
  while (!h.ready) {
    const pid = h.creatorPid;
    if (pid !== 0 && !processAlive(pid, h.creatorStart)) return false;
    if (Date.now() >= deadline) return false;
    addon().wait(h.words, STATE_WORD, 0, 10);
  }
  return true;
}

/** True when the segment can be recreated: no live process attached, or never finished by a creator that is gone. */
function isStale(att: Attachment): boolean {
  const h = att.header;
  if (h.ready) return !att.table.hasLive();
  const pid = h.creatorPid;
  return pid === 0 || !processAlive(pid, h.creatorStart);
}

/** @throws {@link LayoutMismatchError} (`magic`) for a segment too small to be ringkit's. */
function checkHeaderFits(segment: Segment): void {
  if (segment.size < HEADER_BYTES) {
    throw new LayoutMismatchError('magic', `shared-memory segment ${segment.name} is not a ringkit segment: ${segment.size} bytes, smaller than the ${HEADER_BYTES}-byte header`);
  }
}

function createNew<T>(name: string, recipe: Recipe<T>, mode: number | undefined, keep: boolean, maxProcesses: number): { att: Attachment; value: T } {
  const dataLength = recipe.dataLength!(maxProcesses);
  const segment = Segment.create(name, { size: dataOffsetFor(maxProcesses) + dataLength, ...(mode === undefined ? {} : { mode }) });
  const att = new Attachment(segment, keep);
  try {
    att.header.initialise(recipe.kind, dataLength, recipe.capacity ?? 0, ownStartTime(), maxProcesses);
    att.join();
    const value = recipe.create(att);
    att.bind((owner, closing) => recipe.recover(value, owner, keep, closing));
    att.header.markReady();
    addon().wake(att.header.words, STATE_WORD, 0x7fffffff);
    return { att, value };
  } catch (e) {
    att.waiter.close();
    try {
      Segment.unlink(segment.name);
    } catch {
      // already gone
    }
    throw e;
  }
}

function attachExisting<T>(segment: Segment, recipe: Recipe<T>, keep: boolean, openTimeoutMs: number, maxProcesses: number | undefined): { att: Attachment; value: T } {
  checkHeaderFits(segment);
  const att = new Attachment(segment, keep);
  try {
    if (att.header.u32[0] !== 0) att.header.checkVersion(segment.name); // not ringkit's, or another layout
    if (!awaitReady(att, openTimeoutMs)) {
      throw new InvalidStateError(`shared-memory segment ${segment.name} is not ready: its creator (pid ${att.header.creatorPid}) ${att.header.creatorPid === 0 ? 'has not started it' : 'did not finish creating it'} within ${openTimeoutMs} ms; openOrCreate() recreates a stale segment, \`ringkit shm rm ${segment.name}\` removes it`);
    }
    att.header.check(segment.name, recipe.kind, segment.size, maxProcesses);
    att.join(() => {
      const bare = recipe.attach(att); // owner 0 here: records nothing, only recovers
      return (owner, closing) => recipe.recover(bare, owner, keep, closing);
    });
    const value = recipe.attach(att);
    att.bind((owner, closing) => recipe.recover(value, owner, keep, closing));
    att.sweepNow(); // processes that died while nobody looked
    return { att, value };
  } catch (e) {
    att.close();
    throw e;
  }
}

/**
 * Creates, opens, or opens-or-creates the named segment of a structure. `openOrCreate` reuses a
 * live segment (checked against the caller's options) and recreates a stale one (no live
 * process attached, or a creator that died before finishing).
 */
export function establish<T>(how: Establish, name: string, recipe: Recipe<T>, options: SharedOptions): { att: Attachment; value: T } {
  const { keep, openTimeoutMs, maxProcesses } = checkOptions(options);
  if (how === 'create') return createNew(name, recipe, options.mode, keep, maxProcesses ?? DEFAULT_MAX_PROCESSES);
  if (how === 'open') return attachExisting(Segment.open(name), recipe, keep, openTimeoutMs, maxProcesses);
  for (let attempt = 0; ; attempt++) {
    try {
      return createNew(name, recipe, options.mode, keep, maxProcesses ?? DEFAULT_MAX_PROCESSES);
    } catch (e) {
      if (!(e instanceof SegmentExistsError) || attempt > 8) throw e;
    }
    let segment: Segment;
    try {
      segment = Segment.open(name);
    } catch (e) {
      if (e instanceof SegmentNotFoundError) continue; // removed meanwhile: create it
      throw e;
    }
    checkHeaderFits(segment);
    const probe = new Attachment(segment, keep);
    probe.waiter.close();
    if (probe.header.u32[0] !== 0) probe.header.checkVersion(segment.name); // not ringkit's, or another layout: never removed
    if (!probe.header.ready) awaitReady(probe, openTimeoutMs);
    if (probe.header.ready) probe.header.check(segment.name, undefined, segment.size); // its table is read next
    if (isStale(probe)) {
      // Remove it only if the name still points at this segment (another opener may have recreated it).
      try {
        const again = new SegmentHeader(Segment.open(name).buffer);
        if (again.createdMs === probe.header.createdMs && again.creatorPid === probe.header.creatorPid) Segment.unlink(name);
      } catch (e) {
        if (!(e instanceof SegmentNotFoundError)) throw e;
      }
      continue;
    }
    return attachExisting(segment, recipe, keep, openTimeoutMs, maxProcesses);
  }
}

/**
 * Checks a slot structure's geometry against what an opener expects.
 * @throws {@link LayoutMismatchError} naming `slotBytes` or `slotCount`.
 */
export function checkSlots(what: string, name: string, actual: { slotBytes: number; slotCount: number }, expected: { slotBytes?: number; slotCount?: number }): void {
  if (expected.slotBytes !== undefined && expected.slotBytes !== actual.slotBytes) {
    throw new LayoutMismatchError('slotBytes', `${what} ${name} has slots of ${actual.slotBytes} bytes, expected ${expected.slotBytes}`);
  }
  if (expected.slotCount !== undefined && expected.slotCount !== actual.slotCount) {
    throw new LayoutMismatchError('slotCount', `${what} ${name} has ${actual.slotCount} slots, expected ${expected.slotCount}`);
  }
}
