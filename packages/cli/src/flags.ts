/**
 * Command-line flag checks shared by every `ringkit` command: a bad flag is a {@link UsageError}
 * whose message names the flag, what is allowed and what was given; the command prints it and
 * exits with code 2.
 */

/** A bad flag or flag combination (the command prints the message and exits 2). */
export class UsageError extends Error {}
UsageError.prototype.name = 'UsageError';

/**
 * A numeric flag: undefined when absent, else `Number(raw)` if `check` accepts it.
 * @param allowed what is allowed, for the message (e.g. `'a positive integer'`)
 * @throws {@link UsageError} `--name must be <allowed>: --name=<raw>`
 */
export function numberFlag(name: string, raw: unknown, check: (n: number) => boolean, allowed: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && raw.trim() === '' ? NaN : Number(raw); // Number('') is 0
  if (!check(n)) throw new UsageError(`--${name} must be ${allowed}: --${name}=${String(raw)}`);
  return n;
}

/** An integer flag in [min, max]; undefined when absent. @throws {@link UsageError} naming the range. */
export function integerFlag(name: string, raw: unknown, min: number, max: number): number | undefined {
  return numberFlag(name, raw, (n) => Number.isInteger(n) && n >= min && n <= max, `an integer in [${min}, ${max}]`);
}
