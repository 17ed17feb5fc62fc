import { ProcessTableFullError } from './errors.js';
import { ENTRY_STATE, NEXT_OWNER_WORD, PROCESS_ENTRY_BYTES, PROCESS_TABLE_OFFSET } from './header.js';
import { ownStartTime, processAlive, processStartTime } from './proc.js';

/** One attached process, as `shm ls` and `ProcessRecovery` see it. */
export interface ProcessEntry {
  /** Table index. */
  readonly index: number;
  readonly pid: number;
  /** Start time (clock ticks since boot) the process had when it attached. */
  readonly startTime: number;
  /** Owner tag of its participants in the structure (`recover(owner)`). */
  readonly owner: number;
  /** Structure objects it has attached (threads × opens). */
  readonly refs: number;
  /** When it attached (`Date.now()` ms). */
  readonly sinceMs: number;
  /** True when the process still runs (checked now). */
  readonly alive: boolean;
}

const W = PROCESS_ENTRY_BYTES >> 2;
const STATE = 0;
const PID = 1;
const START = 1; // f64 index within the entry (byte 8)
const OWNER = 4;
const REFS = 5;
const SINCE = 3; // f64 index within the entry (byte 24)
const RECOVERER = 8; // pid whose start time RECOVERER_START is
const RECOVERER_START = 5; // f64 index within the entry (byte 40)

/**
 * The processes attached to a segment, in the segment (so every process sees the same table).
 * An entry is claimed with a compare-and-swap (free → claiming), filled, then published
 * (→ attached); a dead process's entry goes attached → -pid (being recovered by process pid: one
 * compare-and-swap picks the recoverer and names it) → free.
 * One entry per process: a second open in the same process (another thread, another object)
 * counts a reference on it and shares its owner tag. The recoverer then writes its start time
 * and (last) its pid again in RECOVERER, so an entry whose recoverer died half-way is recovered
 * again by another process (core's `recover(owner)` may be repeated: what a killed recoverer did
 * is rolled back or finished); until RECOVERER names it, the recoverer is checked by pid alone.
 */
export class ProcessTable {
  /** Entries of the table (the segment's MAX_PROCESSES header word). */
  readonly size: number;
  private readonly name: string;
  private readonly words: Int32Array;
  private readonly f64: Float64Array;

  constructor(buffer: SharedArrayBuffer, size: number, name: string) {
    this.size = size;
    this.name = name;
    this.words = new Int32Array(buffer, 0, (PROCESS_TABLE_OFFSET + size * PROCESS_ENTRY_BYTES) >> 2);
    this.f64 = new Float64Array(buffer, 0, this.words.length >> 1);
  }

  private f64Index(i: number, field: number): number {
    return (PROCESS_TABLE_OFFSET >> 3) + i * (W >> 1) + field;
  }

  private base(i: number): number {
    return (PROCESS_TABLE_OFFSET >> 2) + i * W;
  }

  private startOf(i: number): number {
    return this.f64[this.f64Index(i, START)]!;
  }

  /**
   * Attaches this process (or counts one more reference on its entry); returns the entry index
   * and the process's owner tag.
   * @throws {@link ProcessTableFullError} when all entries are taken by live processes (dead
   * ones are recovered and reused first).
   */
  attach(sweep: () => void): { index: number; owner: number } {
    const pid = process.pid;
    const start = ownStartTime();
    const w = this.words;
    for (let attempt = 0; attempt < 2; attempt++) {
      for (let i = 0; i < this.size; i++) {
        const b = this.base(i);
        if (Atomics.load(w, b + STATE) === ENTRY_STATE.attached && Atomics.load(w, b + PID) === pid && this.startOf(i) === start) {
          Atomics.add(w, b + REFS, 1);
          if (Atomics.load(w, b + STATE) === ENTRY_STATE.attached) return { index: i, owner: Atomics.load(w, b + OWNER) };
          Atomics.sub(w, b + REFS, 1);
        }
      }
      for (let i = 0; i < this.size; i++) {
        const b = this.base(i);
        if (Atomics.compareExchange(w, b + STATE, ENTRY_STATE.free, ENTRY_STATE.claiming) !== ENTRY_STATE.free) continue;
        const owner = (Atomics.add(w, NEXT_OWNER_WORD, 1) % (2 ** 31 - 2)) + 1;
        Atomics.store(w, b + PID, pid);
        Atomics.store(w, b + RECOVERER, 0);
        this.f64[this.f64Index(i, START)] = start;
        this.f64[this.f64Index(i, SINCE)] = Date.now();
        Atomics.store(w, b + OWNER, owner);
        Atomics.store(w, b + REFS, 1);
        Atomics.store(w, b + STATE, ENTRY_STATE.attached); // publishes the fields above
        return { index: i, owner };
      }
      sweep(); // dead processes' entries come back free
    }
    throw new ProcessTableFullError(this.name, this.size);
  }

  /** Drops one reference of this process's entry `index`; returns true when it was the last (the entry is free again). */
  detach(index: number): boolean {
    const w = this.words;
    const b = this.base(index);
    if (Atomics.sub(w, b + REFS, 1) !== 1) return false;
    Atomics.compareExchange(w, b + STATE, ENTRY_STATE.attached, ENTRY_STATE.free);
    return true;
  }

  /** True when process `r`, recovering entry `i`, still runs (by pid alone until it has written its start time). */
  private recovererAlive(i: number, r: number): boolean {
    if (r === process.pid) return true; // this process: one of its threads is at it
    if (Atomics.load(this.words, this.base(i) + RECOVERER) !== r) {
      const start = processStartTime(r); // whichever process has that pid now: alive unless gone or a zombie
      return start !== undefined && processAlive(r, start);
    }
    return processAlive(r, this.f64[this.f64Index(i, RECOVERER_START)]!);
  }

  /** The attached entries (alive or not). */
  entries(): ProcessEntry[] {
    const out: ProcessEntry[] = [];
    const w = this.words;
    for (let i = 0; i < this.size; i++) {
      const b = this.base(i);
      const state = Atomics.load(w, b + STATE);
      if (state !== ENTRY_STATE.attached && state >= 0) continue; // negative: being recovered
      const pid = Atomics.load(w, b + PID);
      const startTime = this.startOf(i);
      out.push({
        index: i, pid, startTime, owner: Atomics.load(w, b + OWNER), refs: Atomics.load(w, b + REFS),
        sinceMs: this.f64[this.f64Index(i, SINCE)]!, alive: state === ENTRY_STATE.attached && processAlive(pid, startTime),
      });
    }
    return out;
  }

  /** True when some attached process still runs. */
  hasLive(): boolean {
    return this.entries().some((e) => e.alive);
  }

  /**
   * Finds attached processes that are gone and, for each, calls `recover(owner)` once (the
   * compare-and-swap attached → -pid picks one recoverer among all processes), then frees the
   * entry; an entry whose recoverer died half-way is taken over and recovered again. Returns the
   * owners recovered. If `recover` throws, the entry stays attached for
   * the next sweep to retry, and the error is rethrown.
   */
  sweep(recover: (owner: number) => void): number[] {
    const done: number[] = [];
    const w = this.words;
    const pid = process.pid;
    const own = ownStartTime();
    for (let i = 0; i < this.size; i++) {
      const b = this.base(i);
      const state = Atomics.load(w, b + STATE);
      if (state === ENTRY_STATE.attached) {
        const p = Atomics.load(w, b + PID);
        const start = this.startOf(i);
        if (p === pid ? start === own : processAlive(p, start)) continue;
      } else if (state < 0) {
        // Being recovered by process -state: leave it, unless that one died half-way.
        if (this.recovererAlive(i, -state)) continue;
      } else {
        continue;
      }
      if (Atomics.compareExchange(w, b + STATE, state, -pid) !== state) continue; // another process took it
      this.f64[this.f64Index(i, RECOVERER_START)] = own;
      Atomics.store(w, b + RECOVERER, pid); // publishes the start time
      const owner = Atomics.load(w, b + OWNER);
      try {
        recover(owner);
      } catch (e) {
        Atomics.store(w, b + STATE, ENTRY_STATE.attached);
        throw e;
      }
      Atomics.store(w, b + REFS, 0);
      Atomics.store(w, b + STATE, ENTRY_STATE.free);
      done.push(owner);
    }
    return done;
  }
}
