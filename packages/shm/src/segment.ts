import { readdirSync, statSync } from 'node:fs';
import { describe, InvalidArgumentError } from '@ringkit/core';
import { addon } from './addon.js';
import {
  SegmentError, SegmentExistsError, SegmentNoSpaceError, SegmentNotFoundError, SegmentPermissionError, SegmentSizeMismatchError,
} from './errors.js';
import { checkSegmentName } from './name.js';

/** Where Linux keeps POSIX shared-memory segments (a tmpfs). */
export const SHM_DIR = '/dev/shm';
/** Largest segment: 1 TiB (far past any /dev/shm; a guard against typos). */
export const MAX_SEGMENT_SIZE = 2 ** 40;
/** Mode of a new segment unless `options.mode` says otherwise: owner read/write only. */
export const DEFAULT_MODE = 0o600;

/** Options of {@link Segment.create} and {@link Segment.openOrCreate}. */
export interface SegmentCreateOptions {
  /** Bytes: an integer in [1, 2^40]. Reserved at once (a full `/dev/shm` fails here, not later). */
  size: number;
  /** Permission bits of a new segment (0 … 0o777). Defaults to 0o600 (this user only). */
  mode?: number;
}

/** Options of {@link Segment.open}. */
export interface SegmentOpenOptions {
  /** The size the segment must have; omitted = any. */
  size?: number;
}

/** Formats a byte count for messages (`64 MiB`). */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

function checkSize(size: unknown, what: string): number {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_SEGMENT_SIZE) {
    throw new InvalidArgumentError(`${what} must be an integer number of bytes in [1, 2^40]: size=${describe(size)}`);
  }
  return size;
}

function checkMode(mode: unknown): number {
  const m = mode === undefined ? DEFAULT_MODE : mode;
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > 0o777) {
    throw new InvalidArgumentError(`options.mode must be permission bits in [0, 0o777] (e.g. 0o600, this user only; 0o660 for the group): mode=${describe(mode)}`);
  }
  return m;
}

/** The shared-memory filesystem's size and free bytes, or undefined where it cannot be read. */
export function shmSpace(): { total: number; free: number } | undefined {
  try {
    const [total, free] = addon().statfs(SHM_DIR);
    return { total, free };
  } catch {
    return undefined;
  }
}

/** Turns an addon failure (an Error with an errno `code`) into the typed error for `name`. */
function segmentError(e: unknown, name: string, size: number | undefined, op: 'create' | 'open' | 'unlink'): Error {
  const code = (e as { code?: unknown } | null)?.code;
  const sized = size === undefined ? '' : ` (size ${formatBytes(size)})`;
  const cause = { cause: e };
  switch (code) {
    case 'EEXIST':
      return new SegmentExistsError(name, size, `shared-memory segment ${name} exists already: open it with open(), or use openOrCreate(); \`ringkit shm rm ${name}\` removes it`, cause);
    case 'ENOENT':
      return new SegmentNotFoundError(name, size, `no shared-memory segment ${name}${sized}: create it first (create() or openOrCreate()); \`ringkit shm ls\` lists what exists`, cause);
    case 'EACCES':
    case 'EPERM':
      return new SegmentPermissionError(name, size, `permission denied to ${op} shared-memory segment ${name}${sized}: it belongs to another user or its mode does not allow this one (new segments are 0600 unless options.mode says otherwise; see ls -l ${SHM_DIR})`, cause);
    case 'ENOSPC':
    case 'EFBIG':
    case 'ENOMEM': {
      const space = shmSpace();
      const where = space === undefined ? `${SHM_DIR}` : `${SHM_DIR} (size ${formatBytes(space.total)}, ${formatBytes(space.free)} free)`;
      return new SegmentNoSpaceError(name, size, space?.total, space?.free,
        `no space for shared-memory segment ${name}${sized} in ${where}: ask for less, remove stale segments (\`ringkit shm clean\`), or enlarge it (mount -o remount,size=2G ${SHM_DIR}; docker run --shm-size=2g)`, cause);
    }
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return new InvalidArgumentError(`shared-memory segment ${name}${sized}: the system refused the name or size (${(e as Error).message})`, cause);
    default:
      return new SegmentError('ERR_SEGMENT', name, size, `shared-memory segment ${name}${sized}: ${op} failed: ${(e as Error)?.message ?? String(e)}`, cause);
  }
}

/**
 * A named POSIX shared-memory segment mapped into this process as a real `SharedArrayBuffer`
 * (`Atomics` work on it; send it to worker threads as usual). Any process on the host that
 * knows the name may map the same memory. The mapping lives until the buffer is garbage
 * collected; the name lives until {@link Segment.unlink} (or reboot).
 *
 * Map a segment once per process and share the buffer with the process's workers where you can
 * (`Atomics.wait`/`notify` only pair on the same mapping; the futex waiter of `@ringkit/shm`'s
 * structures works across mappings and processes).
 */
export class Segment {
  /** The name, with its leading slash. */
  readonly name: string;
  /** The shared memory. */
  readonly buffer: SharedArrayBuffer;
  /** Its size in bytes. */
  readonly size: number;
  /** True when this call created it (false: it existed). */
  readonly created: boolean;

  private constructor(name: string, buffer: SharedArrayBuffer, created: boolean) {
    this.name = name;
    this.buffer = buffer;
    this.size = buffer.byteLength;
    this.created = created;
  }

  /**
   * Creates segment `name` of `options.size` bytes (zero-filled, mode 0600 unless
   * `options.mode`) and maps it.
   * @throws {@link SegmentExistsError}, {@link SegmentNoSpaceError} (says how big `/dev/shm` is),
   *   {@link SegmentPermissionError}, `InvalidSegmentNameError`, `InvalidArgumentError` (size, mode).
   */
  static create(name: string, options: SegmentCreateOptions): Segment {
    const n = checkSegmentName(name);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`options must be an object { size, mode? }: options=${describe(options)}`);
    const size = checkSize(options.size, 'options.size');
    const mode = checkMode(options.mode);
    try {
      return new Segment(n, addon().map(n, size, true, mode), true);
    } catch (e) {
      if (e instanceof Error && (e as { code?: unknown }).code === undefined) throw e;
      throw segmentError(e, n, size, 'create');
    }
  }

  /**
   * Maps the existing segment `name`.
   * @throws {@link SegmentNotFoundError}, {@link SegmentPermissionError},
   *   {@link SegmentSizeMismatchError} when `options.size` is given and differs.
   */
  static open(name: string, options?: SegmentOpenOptions): Segment {
    const n = checkSegmentName(name);
    if (options !== undefined && (options === null || typeof options !== 'object')) throw new InvalidArgumentError(`options must be an object { size? }: options=${describe(options)}`);
    const want = options?.size === undefined ? undefined : checkSize(options.size, 'options.size');
    let buffer: SharedArrayBuffer;
    try {
      buffer = addon().map(n, 0, false, 0);
    } catch (e) {
      if (e instanceof Error && (e as { code?: unknown }).code === undefined) throw e;
      throw segmentError(e, n, want, 'open');
    }
    if (want !== undefined && buffer.byteLength !== want) {
      throw new SegmentSizeMismatchError(n, want, buffer.byteLength,
        `shared-memory segment ${n} is ${formatBytes(buffer.byteLength)} (${buffer.byteLength} bytes), not the ${formatBytes(want)} (${want} bytes) expected: open it without a size, or remove it (\`ringkit shm rm ${n}\`) and create it again`);
    }
    return new Segment(n, buffer, false);
  }

  /**
   * Opens segment `name` if it exists (its size must be `options.size`), else creates it.
   * Races between processes doing the same are safe: exactly one creates it.
   * @throws as {@link create} and {@link open}.
   */
  static openOrCreate(name: string, options: SegmentCreateOptions): Segment {
    for (;;) {
      try {
        return Segment.create(name, options);
      } catch (e) {
        if (!(e instanceof SegmentExistsError)) throw e;
      }
      try {
        return Segment.open(name, { size: options.size });
      } catch (e) {
        if (!(e instanceof SegmentNotFoundError)) throw e; // removed between the two calls: create again
      }
    }
  }

  /**
   * Removes the name (processes that mapped it keep their memory until they let go of it).
   * @throws {@link SegmentNotFoundError} when there is no such segment; {@link SegmentPermissionError}.
   */
  static unlink(name: string): void {
    const n = checkSegmentName(name);
    try {
      addon().unlink(n);
    } catch (e) {
      if (e instanceof Error && (e as { code?: unknown }).code === undefined) throw e;
      throw segmentError(e, n, undefined, 'unlink');
    }
  }

  /** True when segment `name` exists (a query: stale at once). */
  static exists(name: string): boolean {
    try {
      statSync(`${SHM_DIR}${checkSegmentName(name)}`);
      return true;
    } catch {
      return false;
    }
  }

  /** Every segment in `/dev/shm` with its size and modification time (any program's, not only ringkit's). */
  static list(): Array<{ name: string; size: number; mtimeMs: number }> {
    const out: Array<{ name: string; size: number; mtimeMs: number }> = [];
    for (const f of readdirSync(SHM_DIR)) {
      try {
        const st = statSync(`${SHM_DIR}/${f}`);
        if (st.isFile()) out.push({ name: `/${f}`, size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}
