import { InvalidArgumentError } from './errors.js';
import { MAX_CONSUMERS } from './layout.js';
import { describe } from './schema.js';

/** The options every ring kind (typed, byte) shares: producer mode, table size, lossiness, eviction. */
export interface RingModeOptions {
  producer?: 'single' | 'multi';
  lossy?: boolean;
  lossyPolicy?: 'error' | 'skip';
  evictAfterMs?: number;
}

/** {@link RingModeOptions} checked and with their defaults. */
export interface RingMode {
  multi: boolean;
  maxConsumers: number;
  lossy: boolean;
  lossySkip: boolean;
  evictAfterMs: number;
}

/**
 * Checks the shared options; `tableSize` is the consumer-table size option, named `tableName`
 * in messages (`maxConsumers` for typed rings, `maxReaders` for byte rings).
 * @throws {@link InvalidArgumentError} naming the bad option and what is allowed.
 */
export function resolveRingMode(options: RingModeOptions, tableSize: unknown, tableName: string): RingMode {
  const producer = options.producer ?? 'single';
  if (producer !== 'single' && producer !== 'multi') {
    throw new InvalidArgumentError(`options.producer must be 'single' or 'multi': producer=${describe(producer)}`);
  }
  const maxConsumers = tableSize ?? 8;
  if (typeof maxConsumers !== 'number' || !Number.isInteger(maxConsumers) || maxConsumers < 1 || maxConsumers > MAX_CONSUMERS) {
    throw new InvalidArgumentError(`options.${tableName} must be an integer in [1, ${MAX_CONSUMERS}]: ${tableName}=${describe(maxConsumers)}`);
  }
  const lossy = options.lossy ?? false;
  if (typeof lossy !== 'boolean') throw new InvalidArgumentError(`options.lossy must be a boolean: lossy=${describe(lossy)}`);
  const policy = options.lossyPolicy ?? 'error';
  if (policy !== 'error' && policy !== 'skip') {
    throw new InvalidArgumentError(`options.lossyPolicy must be 'error' or 'skip': lossyPolicy=${describe(policy)}`);
  }
  const evictAfterMs = options.evictAfterMs ?? 0;
  if (!Number.isInteger(evictAfterMs) || evictAfterMs < 0 || evictAfterMs > 2 ** 30) {
    throw new InvalidArgumentError(`options.evictAfterMs must be an integer number of milliseconds in [0, 2^30] (0 = never): evictAfterMs=${describe(evictAfterMs)}`);
  }
  return { multi: producer === 'multi', maxConsumers, lossy, lossySkip: policy === 'skip', evictAfterMs };
}
