import { LayoutMismatchError } from '@ringkit/core';

/*
 * A named segment's own header: what lives in it, and who is attached (the process table).
 * The ringkit structure follows at DATA_OFFSET (page-aligned). Byte offsets:
 *
 *      0  MAGIC          u32 "RKSM" (0x4d534b52 little-endian)
 *      4  VERSION        u32 1
 *      8  STATE          i32 0 = being created, 1 = ready (stored last; openers wait for it)
 *     12  KIND           u32 1 ring, 2 byte ring, 3 slot pool, 4 RingBuffer facade
 *     16  DATA_OFFSET    u32 where the structure starts (4096)
 *     20  DATA_LENGTH    u32 × 2 (lo, hi): the structure's byte length
 *     28  NEXT_OWNER     i32 last owner tag handed out (Atomics.add)
 *     32  CREATED_MS     f64 Date.now() at creation
 *     40  CAPACITY       u32 slots (ring, pool, facade) or bytes (byte ring), for `shm ls`
 *     44  CREATOR_PID    i32
 *     48  CREATOR_START  f64 the creator's start time (clock ticks since boot)
 *     56  MAX_PROCESSES  u32 entries in the process table (64)
 *    128  PROCESSES      MAX_PROCESSES entries of 32 bytes:
 *           +0  STATE      i32 0 free, 1 claiming, 2 attached, 3 being recovered
 *           +4  PID        i32
 *           +8  START      f64 the process's start time (/proc/<pid>/stat field 22)
 *           +16 OWNER      i32 owner tag of everything this process runs in the structure
 *           +20 REFS       i32 structure objects of this process attached (threads × opens)
 *           +24 SINCE_MS   f64 Date.now() at attach
 *   2176  (free up to 4096)
 *   4096  DATA           the structure (Ring / ByteRing / SlotPool / RingBuffer), as core lays it out
 */
export const MAGIC = 0x4d534b52;
export const VERSION = 1;
export const STATE_WORD = 2;
export const KIND_WORD = 3;
export const DATA_OFFSET_WORD = 4;
export const DATA_LENGTH_WORD = 5;
export const NEXT_OWNER_WORD = 7;
export const CREATED_MS_OFFSET = 32;
export const CAPACITY_WORD = 10;
export const CREATOR_PID_WORD = 11;
export const CREATOR_START_OFFSET = 48;
export const MAX_PROCESSES_WORD = 14;
export const PROCESS_TABLE_OFFSET = 128;
export const PROCESS_ENTRY_BYTES = 32;
export const MAX_PROCESSES = 64;
export const DATA_OFFSET = 4096;

export const SEGMENT_STATE = Object.freeze({ creating: 0, ready: 1 });
export const ENTRY_STATE = Object.freeze({ free: 0, claiming: 1, attached: 2, recovering: 3 });

/** What a segment holds. */
export const SEGMENT_KIND = Object.freeze({ ring: 1, byteRing: 2, slotPool: 3, ringBuffer: 4 });
export type SegmentKind = keyof typeof SEGMENT_KIND;
const KIND_NAMES = Object.keys(SEGMENT_KIND) as SegmentKind[];

/** The kind name of a stored kind number, or undefined. */
export function kindName(kind: number): SegmentKind | undefined {
  return KIND_NAMES.find((k) => SEGMENT_KIND[k] === kind);
}

/** Typed views of a segment header. */
export class SegmentHeader {
  readonly words: Int32Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer, 0, DATA_OFFSET >> 2);
    this.u32 = new Uint32Array(buffer, 0, DATA_OFFSET >> 2);
    this.f64 = new Float64Array(buffer, 0, DATA_OFFSET >> 3);
  }

  /** Writes a new header (state stays `creating` until {@link markReady}). */
  initialise(kind: SegmentKind, dataLength: number, capacity: number, creatorStart: number): void {
    const u = this.u32;
    u[0] = MAGIC;
    u[1] = VERSION;
    u[KIND_WORD] = SEGMENT_KIND[kind];
    u[DATA_OFFSET_WORD] = DATA_OFFSET;
    u[DATA_LENGTH_WORD] = dataLength % 2 ** 32;
    u[DATA_LENGTH_WORD + 1] = Math.floor(dataLength / 2 ** 32);
    this.f64[CREATED_MS_OFFSET >> 3] = Date.now();
    u[CAPACITY_WORD] = capacity;
    Atomics.store(this.words, CREATOR_PID_WORD, process.pid);
    this.f64[CREATOR_START_OFFSET >> 3] = creatorStart;
    u[MAX_PROCESSES_WORD] = MAX_PROCESSES;
  }

  markReady(): void {
    Atomics.store(this.words, STATE_WORD, SEGMENT_STATE.ready);
  }

  get ready(): boolean {
    return Atomics.load(this.words, STATE_WORD) === SEGMENT_STATE.ready;
  }

  get magicOk(): boolean {
    return this.u32[0] === MAGIC;
  }

  get kind(): number {
    return this.u32[KIND_WORD]!;
  }

  get dataLength(): number {
    return this.u32[DATA_LENGTH_WORD]! + this.u32[DATA_LENGTH_WORD + 1]! * 2 ** 32;
  }

  get createdMs(): number {
    return this.f64[CREATED_MS_OFFSET >> 3]!;
  }

  get capacity(): number {
    return this.u32[CAPACITY_WORD]!;
  }

  get creatorPid(): number {
    return Atomics.load(this.words, CREATOR_PID_WORD);
  }

  get creatorStart(): number {
    return this.f64[CREATOR_START_OFFSET >> 3]!;
  }

  /**
   * Checks a ready header: magic, version, kind, where the data is and that it fits.
   * @throws {@link LayoutMismatchError} naming the field (`magic`, `version`, `kind`, `dataLength`).
   */
  check(name: string, kind: SegmentKind | undefined, segmentSize: number): void {
    const u = this.u32;
    if (u[0] !== MAGIC) throw new LayoutMismatchError('magic', `shared-memory segment ${name} is not a ringkit segment: magic=0x${u[0]!.toString(16)}, expected 0x${MAGIC.toString(16)}`);
    if (u[1] !== VERSION) throw new LayoutMismatchError('version', `shared-memory segment ${name} has layout version ${u[1]}, this @ringkit/shm reads version ${VERSION}`);
    const found = kindName(u[KIND_WORD]!);
    if (found === undefined) throw new LayoutMismatchError('kind', `shared-memory segment ${name} holds an unknown kind ${u[KIND_WORD]}`);
    if (kind !== undefined && found !== kind) throw new LayoutMismatchError('kind', `shared-memory segment ${name} holds a ${found}, not a ${kind}`);
    if (u[DATA_OFFSET_WORD] !== DATA_OFFSET) throw new LayoutMismatchError('dataOffset', `shared-memory segment ${name}: data offset ${u[DATA_OFFSET_WORD]}, expected ${DATA_OFFSET}`);
    if (u[MAX_PROCESSES_WORD] !== MAX_PROCESSES) throw new LayoutMismatchError('maxProcesses', `shared-memory segment ${name}: process table of ${u[MAX_PROCESSES_WORD]} entries, expected ${MAX_PROCESSES}`);
    if (DATA_OFFSET + this.dataLength > segmentSize) {
      throw new LayoutMismatchError('dataLength', `shared-memory segment ${name}: its structure (${this.dataLength} bytes at ${DATA_OFFSET}) does not fit its ${segmentSize} bytes`);
    }
  }
}
