import { createRequire } from 'node:module';
import { UnsupportedPlatformError } from './errors.js';

/** The native addon's functions (native/shm.cc documents each). */
export interface Addon {
  map(name: string, size: number, create: boolean, mode: number): SharedArrayBuffer;
  unlink(name: string): void;
  statfs(dir: string): [number, number];
  wait(ctl: Int32Array, index: number, observed: number, ms: number): number;
  wake(ctl: Int32Array, index: number, count: number): number;
  waiterOpen(): number;
  waiterWait(handle: number, ctl: Int32Array, index: number, observed: number, ms: number, done: (result: number) => void): void;
  waiterClose(handle: number): void;
}

/** Results of `wait`: woken (or spurious), the word differed, timed out, the waiter closed. */
export const WAIT_RESULT = Object.freeze({ woken: 0, notEqual: 1, timedOut: 2, closed: 3 });

let loaded: Addon | undefined;

/**
 * The addon, loaded on first use (one per thread: it is context-aware).
 * @throws {@link UnsupportedPlatformError} off Linux, or when the addon was not built (says how to build it).
 */
export function addon(): Addon {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') {
    throw new UnsupportedPlatformError(`@ringkit/shm needs Linux (POSIX shared memory, futexes, /proc): this is ${process.platform}; keep the ring in one process (worker_threads) with @ringkit/core instead`);
  }
  const require = createRequire(import.meta.url);
  try {
    loaded = require('../../build/Release/ringkit_shm.node') as Addon;
  } catch (e) {
    throw new UnsupportedPlatformError(
      `@ringkit/shm's native addon is not built for this Node (${process.version}): run \`npm rebuild @ringkit/shm\` ` +
      `(needs python3, make, g++; on Debian/Ubuntu: apt-get install -y python3 make g++): ${(e as Error).message}`, { cause: e });
  }
  return loaded;
}
