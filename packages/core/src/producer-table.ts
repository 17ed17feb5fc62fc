import { CapacityError } from './errors.js';
import {
  DEAD_CLAIMS_INDEX, PRODUCER_CLAIMING_WORD, PRODUCER_ENTRY_LENGTH, PRODUCER_HI_WORD, PRODUCER_LO_WORD,
  PRODUCER_OWNER_WORD, PRODUCER_STATE, PRODUCER_STATE_WORD,
} from './layout.js';

/**
 * The PRODUCERS table of a ring region (see `layout.ts`): who may produce, and — for
 * multi-producer rings — what each producer has claimed, so that a claim whose producer was
 * declared dead can be found and skipped (reported as lost, never read as data) instead of
 * stalling every consumer at its first unpublished slot. Agrona's
 * `ManyToOneRingBuffer.unblock()` is the anchor; unlike it, nothing here is decided from silence
 * alone: an entry is skipped only once its owner was declared dead (`Ring.recover`).
 *
 * A claim is recorded in units (sequences, or byte positions) as LO = first unit claimed and
 * HI = the unit just past the claim. The claim protocol (the producer's thread only):
 *
 * ```
 *   CLAIMING = 1          before the claim can become visible (Atomics.add / compareExchange on CURSOR)
 *   … claim …
 *   LO = first, HI = end  then CLAIMING = 0
 * ```
 *
 * A consumer stuck at unit s (claimed, not published) asks {@link abandonedAt}. It reads the
 * cursor before asking and re-checks s after, so: every claim made before its scan is either
 * recorded (CLAIMING = 0, LO/HI final until that producer has published all of it, because a
 * producer holds one claim at a time) or in progress (CLAIMING = 1). A live producer mid-claim
 * or owning s means "wait"; a dead producer's recorded claim covering s means "skip to its HI";
 * a dead producer that died mid-claim (CLAIMING = 1, range unknown) means that an unpublished s
 * covered by no recorded claim is its, provided no live producer is mid-claim — the caller then
 * skips the unpublished run that starts at s and stops before {@link nextStart}.
 *
 * STATE words carry a generation (bumped when an entry is taken) so a reader can tell that an
 * entry it was reading was retired and reused meanwhile.
 *
 * Threading: any thread; each entry's claim words are written by its producer only.
 */
export class ProducerTable {
  private readonly ctl: Int32Array;
  /** Int32 index of entry 0. */
  private readonly base: number;
  /** Number of entries. */
  readonly size: number;
  /** After {@link abandonedAt} returned {@link ABANDONED_DEAD}: the unit just past the dead claim. */
  deadEnd = 0;
  /**
   * After {@link abandonedAt} returned {@link ABANDONED_UNKNOWN}: the first unit of the nearest
   * recorded claim after s (the caller's skip stops before it), valid when {@link hasNextStart}.
   */
  nextStart = 0;
  hasNextStart = false;

  constructor(ctl: Int32Array, producersOffset: number, size: number) {
    this.ctl = ctl;
    this.base = producersOffset >> 2;
    this.size = size;
  }

  /** Int32 index of word `word` of entry `e`. */
  index(e: number, word: number): number {
    return this.base + e * (PRODUCER_ENTRY_LENGTH >> 2) + word;
  }

  /** The state of entry `e` (see `PRODUCER_STATE`), without its generation. */
  state(e: number): number {
    return Atomics.load(this.ctl, this.index(e, PRODUCER_STATE_WORD)) & STATE_BITS;
  }

  /** The owner tag of entry `e`. */
  owner(e: number): number {
    return Atomics.load(this.ctl, this.index(e, PRODUCER_OWNER_WORD));
  }

  /**
   * Takes a free entry for a new producer of `owner`.
   * @returns the entry id, or -1 when every entry is taken (the caller names the limit).
   */
  tryAcquire(owner: number): number {
    const ctl = this.ctl;
    for (let e = 0; e < this.size; e++) {
      const i = this.index(e, PRODUCER_STATE_WORD);
      const word = Atomics.load(ctl, i);
      if ((word & STATE_BITS) !== PRODUCER_STATE.free) continue;
      const taken = (((word >>> GENERATION_SHIFT) + 1) << GENERATION_SHIFT) | PRODUCER_STATE.active;
      if (Atomics.compareExchange(ctl, i, word, taken) !== word) continue;
      Atomics.store(ctl, this.index(e, PRODUCER_CLAIMING_WORD), 0);
      Atomics.store(ctl, this.index(e, PRODUCER_OWNER_WORD), owner);
      return e;
    }
    return -1;
  }

  /**
   * {@link tryAcquire}, or a {@link CapacityError} naming the limit.
   * @throws {@link CapacityError} when the table is full.
   */
  acquire(owner: number, what: string): number {
    const e = this.tryAcquire(owner);
    if (e < 0) {
      throw new CapacityError(
        `the ${what}'s producer table is full: maxProducers=${this.size}; close producers that are done, recover those of dead threads (ring.recover(owner)), ` +
        `or create the ring with a larger options.maxProducers (at most 128)`,
      );
    }
    return e;
  }

  /** Frees entry `e` of a live producer that is done (its claims all published). */
  release(e: number): void {
    const i = this.index(e, PRODUCER_STATE_WORD);
    const word = Atomics.load(this.ctl, i);
    if ((word & STATE_BITS) === PRODUCER_STATE.active) Atomics.compareExchange(this.ctl, i, word, (word & ~STATE_BITS) | PRODUCER_STATE.free);
  }

  /**
   * Declares dead every active entry of `owner`. Single-producer rings (no claim records): the
   * entry is freed at once, so another producer may attach. Multi-producer rings: the entry
   * becomes DEAD and counts in DEAD_CLAIMS until every consumer has passed its claim (see
   * {@link retire}); a producer that died mid-claim has its HI set to `claimedEnd` (the unit
   * just past the cursor now: its unknown claim cannot reach further).
   * @returns how many entries were declared dead.
   */
  declareDead(owner: number, multi: boolean, claimedEnd: number): number {
    const ctl = this.ctl;
    let n = 0;
    for (let e = 0; e < this.size; e++) {
      const i = this.index(e, PRODUCER_STATE_WORD);
      const word = Atomics.load(ctl, i);
      if ((word & STATE_BITS) !== PRODUCER_STATE.active || this.owner(e) !== owner) continue;
      if (!multi) {
        if (Atomics.compareExchange(ctl, i, word, (word & ~STATE_BITS) | PRODUCER_STATE.free) === word) n++;
        continue;
      }
      if (Atomics.load(ctl, this.index(e, PRODUCER_CLAIMING_WORD)) !== 0) {
        // Died between CLAIMING = 1 and recording: its range is unknown but ends by claimedEnd.
        Atomics.store(ctl, this.index(e, PRODUCER_LO_WORD), claimedEnd);
        Atomics.store(ctl, this.index(e, PRODUCER_HI_WORD), claimedEnd);
      }
      if (Atomics.compareExchange(ctl, i, word, (word & ~STATE_BITS) | PRODUCER_STATE.dead) === word) {
        Atomics.add(ctl, DEAD_CLAIMS_INDEX, 1);
        n++;
      }
    }
    return n;
  }

  /**
   * Frees DEAD entries whose claims every consumer has passed: `releasedEnd` is the unit just
   * past what the slowest gating consumer released (so nobody can be stuck inside them).
   * `finish(lo, hi)` runs for each such claim `[lo, hi)` first (see `RingControl.retireDead`).
   */
  retire(releasedEnd: number, finish?: (lo: number, hi: number) => void): void {
    const ctl = this.ctl;
    for (let e = 0; e < this.size; e++) {
      const i = this.index(e, PRODUCER_STATE_WORD);
      const word = Atomics.load(ctl, i);
      if ((word & STATE_BITS) !== PRODUCER_STATE.dead) continue;
      const hi = Atomics.load(ctl, this.index(e, PRODUCER_HI_WORD));
      if (((releasedEnd - hi) | 0) < 0) continue;
      // Before the entry is freed (while others can still see the claim as dead): whoever needs
      // the dead claim's units to look finished once nobody can read them makes them so.
      if (finish !== undefined) finish(Atomics.load(ctl, this.index(e, PRODUCER_LO_WORD)), hi);
      if (Atomics.compareExchange(ctl, i, word, (word & ~STATE_BITS) | PRODUCER_STATE.free) === word) Atomics.sub(ctl, DEAD_CLAIMS_INDEX, 1);
    }
  }

  /**
   * What a consumer stuck at unit `s` (claimed: at or before the cursor, not published) may do.
   * @returns {@link ABANDONED_DEAD} (skip to {@link deadEnd}), {@link ABANDONED_UNKNOWN} (skip
   *   the unpublished run from `s`, stopping before {@link nextStart} if {@link hasNextStart}),
   *   or {@link ABANDONED_NO} (a live producer owns s, or is mid-claim: wait).
   */
  abandonedAt(s: number): number {
    const ctl = this.ctl;
    let liveMidClaim = false;
    let deadMidClaim = false;
    this.hasNextStart = false;
    for (let e = 0; e < this.size; e++) {
      const i = this.index(e, PRODUCER_STATE_WORD);
      const word = Atomics.load(ctl, i);
      const state = word & STATE_BITS;
      if (state === PRODUCER_STATE.free) continue;
      const claiming = Atomics.load(ctl, this.index(e, PRODUCER_CLAIMING_WORD));
      const lo = Atomics.load(ctl, this.index(e, PRODUCER_LO_WORD));
      const hi = Atomics.load(ctl, this.index(e, PRODUCER_HI_WORD));
      if (Atomics.load(ctl, i) !== word) return ABANDONED_NO; // retired or reused meanwhile: look again later
      if (claiming !== 0) {
        if (state === PRODUCER_STATE.active) liveMidClaim = true;
        else deadMidClaim = true;
        continue;
      }
      if (((s - lo) | 0) >= 0 && ((hi - s) | 0) > 0) {
        if (state === PRODUCER_STATE.active) return ABANDONED_NO;
        this.deadEnd = hi;
        return ABANDONED_DEAD;
      }
      if (((lo - s) | 0) > 0 && (!this.hasNextStart || ((lo - this.nextStart) | 0) < 0)) {
        this.nextStart = lo;
        this.hasNextStart = true;
      }
    }
    return deadMidClaim && !liveMidClaim ? ABANDONED_UNKNOWN : ABANDONED_NO;
  }

  /** Live entries of `owner` (for a report). */
  countOwned(owner: number): number {
    let n = 0;
    for (let e = 0; e < this.size; e++) if (this.state(e) === PRODUCER_STATE.active && this.owner(e) === owner) n++;
    return n;
  }
}

/** STATE word: the state in the low bits, a generation above (bumped each time the entry is taken). */
const STATE_BITS = 0xf;
const GENERATION_SHIFT = 4;

/** {@link ProducerTable.abandonedAt}: no abandoned claim at s (yet). */
export const ABANDONED_NO = 0;
/** {@link ProducerTable.abandonedAt}: s is inside a dead producer's recorded claim. */
export const ABANDONED_DEAD = 1;
/** {@link ProducerTable.abandonedAt}: s belongs to a dead producer that died mid-claim. */
export const ABANDONED_UNKNOWN = 2;

/**
 * The claim recorder of one multi producer: the three steps of the claim protocol on its own
 * entry (see {@link ProducerTable}). Hot path: Int32 indices computed once.
 */
export class ClaimRecord {
  private readonly ctl: Int32Array;
  private readonly claimingIndex: number;
  private readonly loIndex: number;
  private readonly hiIndex: number;

  constructor(table: ProducerTable, ctl: Int32Array, entry: number) {
    this.ctl = ctl;
    this.claimingIndex = table.index(entry, PRODUCER_CLAIMING_WORD);
    this.loIndex = table.index(entry, PRODUCER_LO_WORD);
    this.hiIndex = table.index(entry, PRODUCER_HI_WORD);
  }

  /** Before a claim can become visible. */
  begin(): void {
    Atomics.store(this.ctl, this.claimingIndex, 1); // before the CURSOR add/CAS: a scan that sees our claim sees this
  }

  /**
   * After the claim of units [lo, hi): records it, then ends the claiming window. LO and HI are
   * plain stores: the atomic store of CLAIMING = 0 after them is the release, and a scan loads
   * CLAIMING before them (and nobody else writes this entry), so a scan that sees 0 sees the range.
   */
  end(lo: number, hi: number): void {
    const ctl = this.ctl;
    ctl[this.loIndex] = lo;
    ctl[this.hiIndex] = hi;
    Atomics.store(ctl, this.claimingIndex, 0); // release: LO/HI above are visible to whoever sees 0
  }

  /** A claim attempt that did not happen (no room, lost race): ends the window, keeps the last record. */
  cancel(): void {
    Atomics.store(this.ctl, this.claimingIndex, 0);
  }
}
