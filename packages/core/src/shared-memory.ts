import { CapacityError, InvalidStateError } from './errors.js';

/**
 * Where core gets shared memory: one place, so that the two ways it can fail say what to do.
 * Browsers define `SharedArrayBuffer` only on cross-origin isolated pages; a region larger than
 * the engine (or the machine) can allocate fails with a bare `RangeError`.
 */

const NO_SHARED_MEMORY =
  'SharedArrayBuffer is not available here: in a browser, serve the page cross-origin isolated, with the headers ' +
  '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" (self.crossOriginIsolated is then true)';

/**
 * Checks that this engine offers shared memory.
 * @throws {@link InvalidStateError} naming the COOP/COEP headers a browser page needs.
 */
export function requireSharedMemory(): void {
  if (typeof SharedArrayBuffer === 'undefined') throw new InvalidStateError(NO_SHARED_MEMORY);
}

/**
 * A new zero-filled `SharedArrayBuffer` of `byteLength` bytes for a `what` (e.g. `'ring'`).
 * @throws {@link InvalidStateError} without shared memory; {@link CapacityError} when the
 *   engine cannot allocate that much.
 */
export function allocateShared(byteLength: number, what: string): SharedArrayBuffer {
  requireSharedMemory();
  try {
    return new SharedArrayBuffer(byteLength);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new CapacityError(`could not allocate the ${what}'s shared memory (the engine or the machine refused it): byteLength=${byteLength} (${e.message})`, { cause: e });
    }
    throw e;
  }
}
