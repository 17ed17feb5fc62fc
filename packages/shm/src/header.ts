import { LayoutMismatchError } from '@ringkit/core';

/*
 * A named segment's own header: what lives in it, and who is attached (the process table).
 * The ringkit structure follows at DATA_OFFSET (page-aligned, after the process table). Byte offsets:
 *
 *      0  MAGIC          u32 "RKSM" (0x4d534b52 little-endian)
 *      4  VERSION        u32 2 (1: before hold rows were laid out per process-table entry and
 *                        before the table's size was a header word; opening one is a LayoutMismatchError)
 *      8  STATE          i32 0 = being created, 1 = ready (stored last; openers wait for it)
 *     12  KIND           u32 1 ring, 2 byte ring, 3 slot pool, 4 RingBuffer facade
 *     16  DATA_OFFSET    u32 where the structure starts: dataOffsetFor(MAX_PROCESSES)
 *     20  DATA_LENGTH    u32 × 2 (lo, hi): the structure's byte length
 *     28  NEXT_OWNER     i32 last owner tag handed out (Atomics.add)
 *     32  CREATED_MS     f64 Date.now() at creation
 *     40  CAPACITY       u32 slots (ring, pool, facade) or bytes (byte ring), for `shm ls`
 *     44  CREATOR_PID    i32
 *     48  CREATOR_START  f64 the creator's start time (clock ticks since boot)
 *     56  MAX_PROCESSES  u32 entries in the process table: `maxProcesses` at create, in
 *                        [1, MAX_PROCESSES] (default DEFAULT_MAX_PROCESSES = 64)
 *    128  PROCESSES      MAX_PROCESSES entries of 48 bytes:
 *           +0  STATE      i32 0 free, 1 claiming, 2 attached, -pid being recovered by process pid
 *           +4  PID        i32
 *           +8  START      f64 the process's start time (/proc/<pid>/stat field 22)
 *           +16 OWNER      i32 owner tag of everything this process runs in the structure
 *           +20 REFS       i32 structure objects of this process attached (threads × opens)
 *           +24 SINCE_MS   f64 Date.now() at attach
 *           +32 RECOVERER  i32 pid of the recoverer once RECOVERER_START is its (0 at attach)
 *           +36            (unused)
 *           +40 RECOVERER_START f64 its start time (a recoverer that dies is replaced)
 *      D  DATA           the structure (Ring / ByteRing / SlotPool / RingBuffer), as core lays it
 *                        out; D = 128 + 48 × MAX_PROCESSES rounded up to 4096 (4096 for 64 entries)
 */
export const MAGIC = 0x4d534b52;
export const VERSION = 2;
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
export const PROCESS_ENTRY_BYTES = 48;
/** Process-table entries of a segment created without `maxProcesses`. */
export const DEFAULT_MAX_PROCESSES = 64;
/** Most process-table entries (`maxProcesses`) a segment may have. */
export const MAX_PROCESSES = 1024;
/** Bytes of the smallest header (a page): no ringkit segment is shorter. */
export const HEADER_BYTES = 4096;

/** Where the structure starts in a segment whose process table has `maxProcesses` entries. */
export function dataOffsetFor(maxProcesses: number): number {
  return Math.ceil((PROCESS_TABLE_OFFSET + PROCESS_ENTRY_BYTES * maxProcesses) / HEADER_BYTES) * HEADER_BYTES;
}

export const SEGMENT_STATE = Object.freeze({ creating: 0, ready: 1 });
/** Entry states; an entry being recovered holds -pid of its recoverer. */
export const ENTRY_STATE = Object.freeze({ free: 0, claiming: 1, attached: 2 });

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
    this.words = new Int32Array(buffer, 0, PROCESS_TABLE_OFFSET >> 2);
    this.u32 = new Uint32Array(buffer, 0, PROCESS_TABLE_OFFSET >> 2);
    this.f64 = new Float64Array(buffer, 0, PROCESS_TABLE_OFFSET >> 3);
  }

  /** Writes a new header (state stays `creating` until {@link markReady}). */
  initialise(kind: SegmentKind, dataLength: number, capacity: number, creatorStart: number, maxProcesses: number): void {
    const u = this.u32;
    u[1] = VERSION;
    Atomics.store(this.words, 0, MAGIC | 0); // after the version: a magic seen means the version is there
    u[KIND_WORD] = SEGMENT_KIND[kind];
    u[DATA_OFFSET_WORD] = dataOffsetFor(maxProcesses);
    u[DATA_LENGTH_WORD] = dataLength % 2 ** 32;
    u[DATA_LENGTH_WORD + 1] = Math.floor(dataLength / 2 ** 32);
    this.f64[CREATED_MS_OFFSET >> 3] = Date.now();
    u[CAPACITY_WORD] = capacity;
    Atomics.store(this.words, CREATOR_PID_WORD, process.pid);
    this.f64[CREATOR_START_OFFSET >> 3] = creatorStart;
    u[MAX_PROCESSES_WORD] = maxProcesses;
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

  /** Entries of the process table (as stored: {@link check} validates it). */
  get maxProcesses(): number {
    return this.u32[MAX_PROCESSES_WORD]!;
  }

  /** Where the structure starts (as stored: {@link check} validates it). */
  get dataOffset(): number {
    return this.u32[DATA_OFFSET_WORD]!;
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
   * The one layout check of every opener (any kind, any structure): magic, then the layout
   * version (before any other field is read: an older or newer segment's fields mean something
   * else), then kind, process table, where the data is and that it fits.
   * @throws {@link LayoutMismatchError} naming the field (`magic`, `version`, `kind`,
   * `maxProcesses`, `dataOffset`, `dataLength`) with the value found and the one expected.
   */
  check(name: string, kind: SegmentKind | undefined, segmentSize: number, expectedMaxProcesses?: number): void {
    this.checkVersion(name);
    const u = this.u32;
    const found = kindName(u[KIND_WORD]!);
    if (found === undefined) throw new LayoutMismatchError('kind', `shared-memory segment ${name}: kind found ${u[KIND_WORD]}, expected one of ${KIND_NAMES.map((k) => `${SEGMENT_KIND[k]} (${k})`).join(', ')}`);
    if (kind !== undefined && found !== kind) throw new LayoutMismatchError('kind', `shared-memory segment ${name} holds a ${found}, not a ${kind}: kind found ${SEGMENT_KIND[found]}, expected ${SEGMENT_KIND[kind]}`);
    const max = u[MAX_PROCESSES_WORD]!;
    if (!(max >= 1 && max <= MAX_PROCESSES)) {
      throw new LayoutMismatchError('maxProcesses', `shared-memory segment ${name}: process table of ${max} entries found, expected 1 … ${MAX_PROCESSES}`);
    }
    if (expectedMaxProcesses !== undefined && max !== expectedMaxProcesses) {
      throw new LayoutMismatchError('maxProcesses', `shared-memory segment ${name}: process table of ${max} entries found, expected ${expectedMaxProcesses} (options.maxProcesses)`);
    }
    if (u[DATA_OFFSET_WORD] !== dataOffsetFor(max)) {
      throw new LayoutMismatchError('dataOffset', `shared-memory segment ${name}: data offset found ${u[DATA_OFFSET_WORD]}, expected ${dataOffsetFor(max)} (after a process table of ${max} entries)`);
    }
    if (this.dataOffset + this.dataLength > segmentSize) {
      throw new LayoutMismatchError('dataLength', `shared-memory segment ${name}: its structure (${this.dataLength} bytes at ${this.dataOffset}) does not fit its ${segmentSize} bytes`);
    }
  }

  /**
   * Magic and layout version: what {@link check} starts with, also run on a segment whose
   * creator has not finished (its first two words are written first).
   * @throws {@link LayoutMismatchError} (`magic`, `version`): found and expected values.
   */
  checkVersion(name: string): void {
    const u = this.u32;
    if (u[0] !== MAGIC) throw new LayoutMismatchError('magic', `shared-memory segment ${name} is not a ringkit segment: magic found 0x${u[0]!.toString(16)}, expected 0x${MAGIC.toString(16)}`);
    if (u[1] !== VERSION) {
      throw new LayoutMismatchError('version', `shared-memory segment ${name} has an ${u[1]! < VERSION ? 'older' : 'unknown'} layout: version found ${u[1]}, expected ${VERSION} (this @ringkit/shm reads only version ${VERSION}; recreate the segment with this version: \`ringkit shm rm ${name}\`, then create it again)`);
    }
  }
}
