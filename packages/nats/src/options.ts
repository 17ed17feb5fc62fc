import { InvalidArgumentError, describe } from '@ringkit/core';

/** `value` when it is an integer in [min, max], `fallback` when undefined. @throws {@link InvalidArgumentError} naming `name`. */
export function intOption(value: unknown, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`options.${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '2^53' : max}]: ${name}=${describe(value)}`);
  }
  return value;
}

/** `value` when it is one of `allowed`, `fallback` when undefined. */
export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new InvalidArgumentError(`options.${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}: ${name}=${describe(value)}`);
  }
  return value as T;
}

/** A NATS subject: non-empty, no spaces; `wildcards` allows `*` and `>` tokens. */
export function subjectOption(value: unknown, name: string, wildcards: boolean): string {
  if (typeof value !== 'string' || value === '' || /\s/.test(value) || value.startsWith('.') || value.endsWith('.') || value.includes('..') ||
    (!wildcards && /(^|\.)[*>](\.|$)/.test(value))) {
    throw new InvalidArgumentError(`options.${name} must be a NATS subject (dot-separated tokens, no spaces${wildcards ? '' : ', no wildcards'}): ${name}=${describe(value)}`);
  }
  return value;
}

/** A sleep that keeps the event loop alive (a timer), cut short by `signal`. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
