import { describe } from '@ringkit/core';
import { InvalidSegmentNameError } from './errors.js';

/** Longest segment name in bytes after the leading slash (Linux's NAME_MAX). */
export const MAX_SEGMENT_NAME_BYTES = 255;

/**
 * A segment name in the form `shm_open` takes: `/` then 1 … 255 bytes (UTF-8) with no `/` and
 * no NUL, and not `.` or `..`. A name without the leading slash gets one (`ticks` → `/ticks`).
 * Letters, digits, `.`, `_` and `-` are portable everywhere; base64 is not (it has `/`: use hex
 * or base64url).
 * @throws {@link InvalidSegmentNameError} saying what is allowed.
 */
export function checkSegmentName(name: unknown): string {
  if (typeof name !== 'string') {
    throw new InvalidSegmentNameError(`a segment name is a string like '/ticks' (a slash, then 1-${MAX_SEGMENT_NAME_BYTES} bytes without '/' or NUL): name=${describe(name)}`);
  }
  const body = name.startsWith('/') ? name.slice(1) : name;
  const bytes = Buffer.byteLength(body, 'utf8');
  const bad = body.length === 0 ? 'it is empty'
    : body.includes('/') ? "it has a '/' after the leading one (base64 names do: use hex or base64url)"
      : body.includes('\0') ? 'it has a NUL character'
        : bytes > MAX_SEGMENT_NAME_BYTES ? `it is ${bytes} bytes long, more than ${MAX_SEGMENT_NAME_BYTES}`
          : body === '.' || body === '..' ? `'.' and '..' are not names` : undefined;
  if (bad !== undefined) {
    throw new InvalidSegmentNameError(`invalid segment name (${bad}): a name is a slash, then 1-${MAX_SEGMENT_NAME_BYTES} bytes without '/' or NUL, e.g. '/ticks': name=${describe(name)}`);
  }
  return `/${body}`;
}
