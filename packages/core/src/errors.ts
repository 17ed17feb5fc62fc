/**
 * Every error ringkit throws is a {@link RingkitError}: a subclass named for what the caller does
 * next, with a stable `code` for matching across threads (errors crossing a `postMessage` arrive
 * as plain objects; {@link reviveError} rebuilds the right class from `code`).
 *
 * Messages follow one shape: what was wrong, what is allowed, then the offending `name=value`.
 */

/** The codes of the core's own error classes. */
export type CoreErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_STATE'
  | 'ERR_LAYOUT_MISMATCH'
  | 'ERR_RING_CLOSED'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_LAPPED'
  | 'ERR_EVICTED'
  | 'ERR_CONSUMER_NOT_STARTED'
  | 'ERR_CAPACITY';

/**
 * Stable machine-readable codes, one per error class: the core's, or `ERR_<NAME>` of an error
 * class another package defines by extending {@link RingkitError} (e.g. `ERR_STAGE_FAILED`).
 */
export type RingkitErrorCode = CoreErrorCode | `ERR_${string}`;

/** Base class of every error ringkit throws. */
export class RingkitError extends Error {
  /** Stable code identifying the class, e.g. `ERR_TIMEOUT`. */
  readonly code: RingkitErrorCode;
  constructor(code: RingkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(typeof message === 'string' ? message : safeDescribe(message), options !== null && typeof options === 'object' ? options : undefined);
    this.code = typeof code === 'string' ? code : 'ERR_UNKNOWN';
  }
}
RingkitError.prototype.name = 'RingkitError';

/** An argument or option is out of range or of the wrong kind. Fix the call. */
export class InvalidArgumentError extends RingkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}
InvalidArgumentError.prototype.name = 'InvalidArgumentError';

/** The call is not allowed in the object's current state (e.g. release without a batch). */
export class InvalidStateError extends RingkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_STATE', message, options);
  }
}
InvalidStateError.prototype.name = 'InvalidStateError';

/** The table of consumers (or another fixed-size table in the shared memory) is full. */
export class CapacityError extends RingkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CAPACITY', message, options);
  }
}
CapacityError.prototype.name = 'CapacityError';

/**
 * The memory being attached is not a ringkit structure, or its header differs from what the
 * caller expects. `field` names the first header field that differs.
 */
export class LayoutMismatchError extends RingkitError {
  /** The header field that differs (`magic`, `version`, `kind`, `capacity`, `schema`, ...). */
  readonly field: string;
  constructor(field: string, message: string) {
    super('ERR_LAYOUT_MISMATCH', message);
    this.field = typeof field === 'string' ? field : safeDescribe(field);
  }
}
LayoutMismatchError.prototype.name = 'LayoutMismatchError';

/** The ring is closed: producers may not claim, and a drained consumer has nothing more to read. */
export class RingClosedError extends RingkitError {
  constructor(message = 'the ring is closed') {
    super('ERR_RING_CLOSED', message);
  }
}
RingClosedError.prototype.name = 'RingClosedError';

/** A blocking call did not complete within its `timeout`. Nothing was claimed or consumed. */
export class TimeoutError extends RingkitError {
  constructor(message: string) {
    super('ERR_TIMEOUT', message);
  }
}
TimeoutError.prototype.name = 'TimeoutError';

/** A blocking call was cancelled through its `AbortSignal`. `cause` holds the signal's reason. */
export class AbortError extends RingkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ABORTED', message, options);
  }
}
AbortError.prototype.name = 'AbortError';

/**
 * A consumer of a lossy ring was overtaken by the producer: `lost` entries were overwritten
 * before it could read them (or while it was reading them).
 */
export class LappedError extends RingkitError {
  /** How many entries this consumer lost. */
  readonly lost: number;
  constructor(lost: number, message?: string) {
    super('ERR_LAPPED', message ?? `the consumer was lapped by the producer and lost entries: lost=${safeDescribe(lost)}`);
    this.lost = lost;
  }
}
LappedError.prototype.name = 'LappedError';

/**
 * The consumer stopped heart-beating for longer than the ring's `evictAfterMs` and a blocked
 * producer removed it from gating. It sees no more entries; open a new consumer to continue.
 */
export class EvictedError extends RingkitError {
  /** Index of the evicted consumer in the ring's consumer table. */
  readonly consumerId: number;
  constructor(consumerId: number, message?: string) {
    super('ERR_EVICTED', message ?? `consumer ${safeDescribe(consumerId)} was evicted after missing its heartbeat deadline`);
    this.consumerId = consumerId;
  }
}
EvictedError.prototype.name = 'EvictedError';

/**
 * A blocking call waited `startTimeoutMs` on a registered consumer that has never polled: the
 * thread meant to open it (`ring.openConsumer(id)`) did not start, or failed at start-up. Start
 * consumers before producing (wait for each worker to say it is ready), raise the ring's
 * `startTimeoutMs`, or set it to 0 to wait for ever. Nothing was claimed by the call that threw.
 */
export class ConsumerNotStartedError extends RingkitError {
  /** Index of the consumer that never started, in the ring's consumer table. */
  readonly consumerId: number;
  constructor(consumerId: number, startTimeoutMs: number, message?: string) {
    super('ERR_CONSUMER_NOT_STARTED', message ?? (
      `consumer ${safeDescribe(consumerId)} has never polled and this call has waited on it for ${safeDescribe(startTimeoutMs)} ms: the thread meant to open it ` +
      `(ring.openConsumer(${safeDescribe(consumerId)})) has not started or failed at start-up; start consumers before producing, or raise options.startTimeoutMs (0 = wait for ever): consumerId=${safeDescribe(consumerId)}`));
    this.consumerId = consumerId;
  }
}
ConsumerNotStartedError.prototype.name = 'ConsumerNotStartedError';

/** A plain-object form of an error that survives structured cloning. */
export interface SerializedError {
  code: string;
  name: string;
  message: string;
  stack?: string | undefined;
  [extra: string]: unknown;
}

/** Turns an error into a structured-clonable object (for `postMessage`). */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const out: SerializedError = {
      code: typeof (error as unknown as { code?: unknown }).code === 'string' ? (error as unknown as { code: string }).code : 'ERR_UNKNOWN',
      name: typeof error.name === 'string' ? error.name : 'Error',
      message: typeof error.message === 'string' ? error.message : safeDescribe(error.message),
      stack: typeof error.stack === 'string' ? error.stack : undefined,
    };
    // The error's own data fields (`lost`, `consumerId`, a package's `stage`, ...) travel too,
    // when they are plain values that survive structured cloning.
    for (const [key, v] of Object.entries(error)) {
      if (key in out || key === 'cause') continue;
      if (isPlainData(v)) out[key] = v;
    }
    if (error.cause !== undefined) out.cause = serializeError(error.cause);
    return out;
  }
  return { code: 'ERR_UNKNOWN', name: 'Error', message: typeof error === 'string' ? error : safeDescribe(error) };
}

function isPlainData(v: unknown): boolean {
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return true;
  return Array.isArray(v) && v.length <= 1024 && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean');
}

/** Rebuilds an error of a registered class from its serialized form (see {@link registerErrorClass}). */
export type ErrorReviver = (data: SerializedError, options: { cause?: unknown } | undefined) => Error;

const revivers = new Map<string, ErrorReviver>();

/**
 * Lets {@link reviveError} rebuild another package's {@link RingkitError} subclass (e.g. the
 * pipeline's `StageFailedError`) after it crossed a thread: register it once, at module load,
 * under its code. The core's own codes cannot be registered again.
 * @throws {@link InvalidArgumentError} for a code that is not `ERR_<NAME>` or is the core's.
 */
export function registerErrorClass(code: RingkitErrorCode, revive: ErrorReviver): void {
  if (typeof code !== 'string' || !/^ERR_[A-Z0-9_]+$/.test(code) || CORE_CODES.has(code)) {
    throw new InvalidArgumentError(`registerErrorClass(code) takes a new code of the form ERR_<NAME> (not a core code): code=${safeDescribe(code)}`);
  }
  if (typeof revive !== 'function') throw new InvalidArgumentError(`registerErrorClass(code, revive) takes a function that rebuilds the error: revive=${safeDescribe(revive)}`);
  revivers.set(code, revive);
}

const CORE_CODES: ReadonlySet<string> = new Set<CoreErrorCode>([
  'ERR_INVALID_ARGUMENT', 'ERR_INVALID_STATE', 'ERR_LAYOUT_MISMATCH', 'ERR_RING_CLOSED', 'ERR_TIMEOUT',
  'ERR_ABORTED', 'ERR_LAPPED', 'ERR_EVICTED', 'ERR_CONSUMER_NOT_STARTED', 'ERR_CAPACITY',
]);

/** Rebuilds the right {@link RingkitError} subclass (by `code`) from {@link serializeError}'s output. */
export function reviveError(data: SerializedError): Error {
  if (data === null || typeof data !== 'object' || typeof data.code !== 'string' || typeof data.message !== 'string') {
    throw new InvalidArgumentError(`reviveError takes serializeError's output { code, name, message, stack? }: data=${safeDescribe(data)}`);
  }
  const cause = data.cause !== undefined && data.cause !== null && typeof data.cause === 'object' ? reviveError(data.cause as SerializedError) : undefined;
  const opts = cause === undefined ? undefined : { cause };
  let e: Error;
  switch (data.code) {
    case 'ERR_INVALID_ARGUMENT': e = new InvalidArgumentError(data.message, opts); break;
    case 'ERR_INVALID_STATE': e = new InvalidStateError(data.message, opts); break;
    case 'ERR_CAPACITY': e = new CapacityError(data.message, opts); break;
    case 'ERR_LAYOUT_MISMATCH': e = new LayoutMismatchError(String(data.field ?? 'unknown'), data.message); break;
    case 'ERR_RING_CLOSED': e = new RingClosedError(data.message); break;
    case 'ERR_TIMEOUT': e = new TimeoutError(data.message); break;
    case 'ERR_ABORTED': e = new AbortError(data.message, opts); break;
    case 'ERR_LAPPED': e = new LappedError(Number(data.lost ?? 0), data.message); break;
    case 'ERR_EVICTED': e = new EvictedError(Number(data.consumerId ?? -1), data.message); break;
    case 'ERR_CONSUMER_NOT_STARTED': e = new ConsumerNotStartedError(Number(data.consumerId ?? -1), 0, data.message); break;
    default: {
      const revive = revivers.get(data.code);
      if (revive !== undefined) {
        e = revive(data, opts);
        break;
      }
      // An unregistered package's class (or a plain error): keep its code and name so callers can still match it.
      e = data.code.startsWith('ERR_') && data.code !== 'ERR_UNKNOWN'
        ? new RingkitError(data.code as RingkitErrorCode, data.message, opts)
        : new Error(data.message, opts);
      e.name = typeof data.name === 'string' ? data.name : 'Error';
    }
  }
  if (typeof data.stack === 'string') e.stack = data.stack;
  return e;
}

/** A short description of any value (errors.ts cannot import schema.ts's `describe`: schema imports errors). */
function safeDescribe(v: unknown): string {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return typeof v === 'symbol' ? v.toString() : typeof v === 'bigint' ? `${v}n` : String(v);
  try {
    const s: string | undefined = JSON.stringify(v);
    return typeof s === 'string' ? (s.length > 60 ? `${s.slice(0, 60)}…` : s) : Object.prototype.toString.call(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
