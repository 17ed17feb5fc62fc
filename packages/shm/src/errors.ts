import { CapacityError, InvalidArgumentError, registerErrorClass, RingkitError, type RingkitErrorCode } from '@ringkit/core';
import { MAX_PROCESSES } from './header.js';

/**
 * The errors of named shared memory. Each names the segment, the size asked for (where there is
 * one) and what is allowed or what to do. Codes are stable (`ERR_SEGMENT_EXISTS`, ...) and the
 * classes are registered with core's `reviveError`, so they keep their class across threads.
 */

/** Base class of the segment errors: `segment` is the name, `size` the bytes asked for (or found). */
export class SegmentError extends RingkitError {
  /** The segment's name, with its leading slash (e.g. `/ticks`). */
  readonly segment: string;
  /** Bytes asked for (create) or expected (open), when the call had a size. */
  readonly size: number | undefined;
  constructor(code: RingkitErrorCode, segment: string, size: number | undefined, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.segment = segment;
    this.size = size;
  }
}
SegmentError.prototype.name = 'SegmentError';

function register(cls: { prototype: SegmentError }, name: string, code: `ERR_${string}`, make: (message: string) => SegmentError): void {
  cls.prototype.name = name;
  registerErrorClass(code, (data) => make(data.message));
}

/** `create` of a name that exists already (use `open`, or `openOrCreate`). */
export class SegmentExistsError extends SegmentError {
  constructor(segment: string, size: number | undefined, message: string, options?: { cause?: unknown }) {
    super('ERR_SEGMENT_EXISTS', segment, size, message, options);
  }
}
register(SegmentExistsError, 'SegmentExistsError', 'ERR_SEGMENT_EXISTS', (m) => new SegmentExistsError('', undefined, m));

/** `open` of a name that does not exist. */
export class SegmentNotFoundError extends SegmentError {
  constructor(segment: string, size: number | undefined, message: string, options?: { cause?: unknown }) {
    super('ERR_SEGMENT_NOT_FOUND', segment, size, message, options);
  }
}
register(SegmentNotFoundError, 'SegmentNotFoundError', 'ERR_SEGMENT_NOT_FOUND', (m) => new SegmentNotFoundError('', undefined, m));

/** The segment belongs to another user and its mode does not let this one in. */
export class SegmentPermissionError extends SegmentError {
  constructor(segment: string, size: number | undefined, message: string, options?: { cause?: unknown }) {
    super('ERR_SEGMENT_PERMISSION', segment, size, message, options);
  }
}
register(SegmentPermissionError, 'SegmentPermissionError', 'ERR_SEGMENT_PERMISSION', (m) => new SegmentPermissionError('', undefined, m));

/** `/dev/shm` has no room for a segment of that size; `total` and `free` say how big it is. */
export class SegmentNoSpaceError extends SegmentError {
  /** Bytes of the shared-memory filesystem (`/dev/shm`), and bytes free there, when known. */
  readonly total: number | undefined;
  readonly free: number | undefined;
  constructor(segment: string, size: number | undefined, total: number | undefined, free: number | undefined, message: string, options?: { cause?: unknown }) {
    super('ERR_SEGMENT_NO_SPACE', segment, size, message, options);
    this.total = total;
    this.free = free;
  }
}
register(SegmentNoSpaceError, 'SegmentNoSpaceError', 'ERR_SEGMENT_NO_SPACE', (m) => new SegmentNoSpaceError('', undefined, undefined, undefined, m));

/** `open` with an expected size that differs from the segment's. `actual` is its size. */
export class SegmentSizeMismatchError extends SegmentError {
  readonly actual: number;
  constructor(segment: string, size: number | undefined, actual: number, message: string) {
    super('ERR_SEGMENT_SIZE_MISMATCH', segment, size, message);
    this.actual = actual;
  }
}
register(SegmentSizeMismatchError, 'SegmentSizeMismatchError', 'ERR_SEGMENT_SIZE_MISMATCH', (m) => new SegmentSizeMismatchError('', undefined, 0, m));

/** A name POSIX shared memory does not allow (see `checkSegmentName`). Also an `InvalidArgumentError`. */
export class InvalidSegmentNameError extends InvalidArgumentError {
  override readonly code = 'ERR_INVALID_SEGMENT_NAME';
}
InvalidSegmentNameError.prototype.name = 'InvalidSegmentNameError';
registerErrorClass('ERR_INVALID_SEGMENT_NAME', (data) => new InvalidSegmentNameError(data.message));

/** Named shared-memory rings need Linux (futexes, `/dev/shm`, `/proc`): there is no silent fallback. */
export class UnsupportedPlatformError extends RingkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_UNSUPPORTED_PLATFORM', message, options);
  }
}
UnsupportedPlatformError.prototype.name = 'UnsupportedPlatformError';
registerErrorClass('ERR_UNSUPPORTED_PLATFORM', (data) => new UnsupportedPlatformError(data.message));

/**
 * Every entry of a segment's process table is taken by a live process (dead processes' entries
 * are recovered and reused first). `segment` is the name, `limit` the table's entries (the
 * segment's `maxProcesses`). Also a core `CapacityError`. Code `ERR_PROCESS_TABLE_FULL`.
 */
export class ProcessTableFullError extends CapacityError {
  override readonly code = 'ERR_PROCESS_TABLE_FULL';
  /** The segment's name, with its leading slash. */
  readonly segment: string;
  /** Entries of its process table: how many processes may be attached at once. */
  readonly limit: number;
  constructor(segment: string, limit: number, message?: string) {
    super(message ?? `shared-memory segment ${segment}: its process table is full (${limit} live processes attached, maxProcesses=${limit}); ` +
      `close the structure in a process that no longer needs it, or recreate the segment with a larger maxProcesses (at most ${MAX_PROCESSES}) in create/openOrCreate options`);
    this.segment = segment;
    this.limit = limit;
  }
}
ProcessTableFullError.prototype.name = 'ProcessTableFullError';
registerErrorClass('ERR_PROCESS_TABLE_FULL', (data) => new ProcessTableFullError('', 0, data.message));
