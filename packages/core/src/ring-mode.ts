import type { Participation } from './control.js';
import { InvalidArgumentError } from './errors.js';
import { MAX_CONSUMERS, MAX_PRODUCERS, MAX_TIMEOUT_MS } from './layout.js';
import { describe } from './schema.js';

/** The options every ring kind (typed, byte) shares: producer mode, table sizes, lossiness, liveness. */
export interface RingModeOptions {
  producer?: 'single' | 'multi';
  lossy?: boolean;
  lossyPolicy?: 'error' | 'skip';
  evictAfterMs?: number;
  maxProducers?: number;
  startTimeoutMs?: number;
}

/** {@link RingModeOptions} checked and with their defaults. */
export interface RingMode {
  multi: boolean;
  maxConsumers: number;
  maxProducers: number;
  lossy: boolean;
  lossySkip: boolean;
  evictAfterMs: number;
  startTimeoutMs: number;
}

/**
 * An option's value, or `fallback` when it is absent. Only `undefined` means absent: `null` is a
 * value like any other (and refused by the option's own check), so a caller's mistake is named.
 */
export function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined ? fallback : value;
}

/** Producers a multi-producer ring has room for unless `maxProducers` says otherwise. */
export const DEFAULT_MAX_PRODUCERS = 16;
/** How long a waiter waits on a consumer that has never polled before it gives up, unless `startTimeoutMs` says otherwise. */
export const DEFAULT_START_TIMEOUT_MS = 5000;

/**
 * Who a ring object acts for (the `owner` and `watchdog` options of create and attach, shared
 * by every structure): see `Ring.recover`.
 */
export interface ParticipationOptions {
  /**
   * Owner tag recorded with every producer and consumer this ring object creates or opens: an
   * integer in [1, 2^31 - 1] naming the thread or process they run in (e.g. a worker's index),
   * so that `recover(owner)` can declare them dead together once that thread or process is
   * gone. Defaults to a fresh negative tag the ring allocates (read it as `ring.owner`).
   */
  owner?: number;
  /**
   * Called by any waiter of this ring object that is blocked, at most every 50 ms: the place to
   * find dead participants (threads, processes) and `recover` them. Must not block. Defaults to none.
   */
  watchdog?: () => void;
}

/**
 * Checks {@link ParticipationOptions}.
 * @throws {@link InvalidArgumentError} naming the bad option.
 */
export function resolveParticipation(options: ParticipationOptions): Participation {
  const { owner, watchdog } = options;
  if (owner !== undefined && !(typeof owner === 'number' && Number.isInteger(owner) && owner >= 1 && owner <= 2 ** 31 - 1)) {
    throw new InvalidArgumentError(`options.owner must be an integer in [1, 2^31 - 1] (a tag naming a thread or process): owner=${describe(owner)}`);
  }
  if (watchdog !== undefined && typeof watchdog !== 'function') {
    throw new InvalidArgumentError(`options.watchdog must be a function: watchdog=${describe(watchdog)}`);
  }
  return { owner: owner ?? 0, watchdog };
}

/** Options of `Ring.recover` / `ByteRing.recover`. */
export interface RecoverOptions {
  /**
   * Leave the owner's consumers registered (at the sequence they released up to) for a
   * replacement thread to reopen with `openConsumer(id)`: what it had not released is then
   * delivered again (at-least-once). Defaults to false: they are evicted.
   */
  keepConsumers?: boolean;
}

/**
 * Checks the arguments of `recover(owner, options)`; returns `keepConsumers`.
 * @throws {@link InvalidArgumentError} for an owner that is not a non-zero Int32, or bad options.
 */
export function resolveRecover(owner: unknown, options: RecoverOptions | undefined): boolean {
  if (typeof owner !== 'number' || !Number.isInteger(owner) || owner === 0 || owner < -(2 ** 31) || owner > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`recover(owner) takes the owner tag of a ring object (ring.owner), a non-zero Int32: owner=${describe(owner)}`);
  }
  const keep = orDefault(optionsObject(options, 'options').keepConsumers, false);
  if (typeof keep !== 'boolean') throw new InvalidArgumentError(`options.keepConsumers must be a boolean: keepConsumers=${describe(keep)}`);
  return keep;
}

/**
 * Checks that `options` (of a factory or attach) is an object; `undefined` stands for `{}`.
 * @throws {@link InvalidArgumentError} naming what was passed.
 */
export function optionsObject<T extends object>(options: T | undefined, what: string): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${what} must be an object: ${what}=${describe(options)}`);
  }
  return options;
}

function timeoutOption(value: unknown, name: string, fallback: number, rule: string): number {
  const v = orDefault(value, fallback);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(`options.${name} must be an integer number of milliseconds in [0, 2^30] (${rule}): ${name}=${describe(value)}`);
  }
  return v;
}

/**
 * Checks the shared options; `tableSize` is the consumer-table size option, named `tableName`
 * in messages (`maxConsumers` for typed rings, `maxReaders` for byte rings).
 * @throws {@link InvalidArgumentError} naming the bad option and what is allowed.
 */
export function resolveRingMode(options: RingModeOptions, tableSize: unknown, tableName: string): RingMode {
  const producer = orDefault<unknown>(options.producer, 'single');
  if (producer !== 'single' && producer !== 'multi') {
    throw new InvalidArgumentError(`options.producer must be 'single' or 'multi': producer=${describe(producer)}`);
  }
  const maxConsumers = orDefault(tableSize, 8);
  if (typeof maxConsumers !== 'number' || !Number.isInteger(maxConsumers) || maxConsumers < 1 || maxConsumers > MAX_CONSUMERS) {
    throw new InvalidArgumentError(`options.${tableName} must be an integer in [1, ${MAX_CONSUMERS}]: ${tableName}=${describe(maxConsumers)}`);
  }
  const lossy = orDefault<unknown>(options.lossy, false);
  if (typeof lossy !== 'boolean') throw new InvalidArgumentError(`options.lossy must be a boolean: lossy=${describe(lossy)}`);
  const policy = orDefault<unknown>(options.lossyPolicy, 'error');
  if (policy !== 'error' && policy !== 'skip') {
    throw new InvalidArgumentError(`options.lossyPolicy must be 'error' or 'skip': lossyPolicy=${describe(policy)}`);
  }
  const evictAfterMs = timeoutOption(options.evictAfterMs, 'evictAfterMs', 0, '0 = never');
  const startTimeoutMs = timeoutOption(options.startTimeoutMs, 'startTimeoutMs', DEFAULT_START_TIMEOUT_MS, '0 = wait for ever');
  const multi = producer === 'multi';
  const maxProducers = orDefault<unknown>(options.maxProducers, multi ? DEFAULT_MAX_PRODUCERS : 1);
  if (typeof maxProducers !== 'number' || !Number.isInteger(maxProducers) || maxProducers < 1 || maxProducers > (multi ? MAX_PRODUCERS : 1)) {
    throw new InvalidArgumentError(multi
      ? `options.maxProducers must be an integer in [1, ${MAX_PRODUCERS}]: maxProducers=${describe(options.maxProducers)}`
      : `options.maxProducers must be 1 for a single-producer ring (use producer: 'multi' for more): maxProducers=${describe(options.maxProducers)}`);
  }
  return { multi, maxConsumers, maxProducers, lossy, lossySkip: policy === 'skip', evictAfterMs, startTimeoutMs };
}
