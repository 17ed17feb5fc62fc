/**
 * The board's errors. Each maps to one HTTP answer: {@link ValidationError} → 422 (400 for a
 * staged configuration that does not hold together), {@link BoardStateError} → its `status`
 * (404, 409), {@link StaleVersionError} → 412.
 */
import { InvalidArgumentError, InvalidStateError, registerErrorClass, RingkitError } from '@ringkit/core';

/** A payload failed validation; `problems` lists every field at fault as `path: message`. */
export class ValidationError extends InvalidArgumentError {
  /** One `path: message` line per problem. */
  readonly problems: readonly string[];
  /** What was validated (`button update`, `board config`, `staged configuration`, ...). */
  readonly what: string;
  constructor(what: string, problems: readonly string[]) {
    super(`invalid ${what}: ${problems.join('; ')}`);
    this.problems = problems;
    this.what = what;
  }
}
ValidationError.prototype.name = 'ValidationError';

/** The board cannot do what was asked in its current state; `status` is the HTTP status (400, 404, 409). */
export class BoardStateError extends InvalidStateError {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
BoardStateError.prototype.name = 'BoardStateError';

/**
 * A write named the configuration version it was based on (`If-Match`, `?version=` or the
 * `version` of a splatted-back read) and that version is no longer current. Read again and
 * retry. Carries every version involved (HTTP 412).
 */
export class StaleVersionError extends RingkitError {
  constructor(
    /** The version the client said it read. */
    readonly expected: number,
    /** The live configuration's version. */
    readonly live: number,
    /** The staged configuration's version, or `null` when nothing is staged. */
    readonly staged: number | null,
    message: string,
  ) {
    super('ERR_STALE_VERSION', message);
  }
}
StaleVersionError.prototype.name = 'StaleVersionError';
registerErrorClass('ERR_STALE_VERSION', (d) => new StaleVersionError(Number(d.expected), Number(d.live), typeof d.staged === 'number' ? d.staged : null, d.message));
