import { registerErrorClass, RingkitError, type SerializedError } from '@ringkit/core';

/**
 * Error codes added by `@ringkit/nats`. Each class is registered with core's
 * `registerErrorClass`, so `reviveError` rebuilds it after a `postMessage` (a pipeline stage
 * that bridges to NATS reports them to the main thread as the right class).
 */
export type NatsErrorCode =
  | 'ERR_NATS_UNREACHABLE'
  | 'ERR_NATS_AUTH'
  | 'ERR_NATS_TLS'
  | 'ERR_NATS_STREAM_MISSING'
  | 'ERR_NATS_PERMISSION'
  | 'ERR_NATS_PAYLOAD_TOO_LARGE'
  | 'ERR_NATS_FRAME';

/** A failure that names the NATS server(s) and, where one is involved, the subject. */
export class NatsBridgeError extends RingkitError {
  /** The server URL(s) the bridge was given, comma separated. */
  readonly server: string;
  /** The subject (or stream filter) involved; empty for connection-level errors. */
  readonly subject: string;
  constructor(code: NatsErrorCode, server: string, subject: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.server = server;
    this.subject = subject;
  }
}
NatsBridgeError.prototype.name = 'NatsBridgeError';

/** No server answered (refused, timed out, DNS): check the URL and that `nats-server` runs. */
export class NatsUnreachableError extends NatsBridgeError {
  constructor(server: string, cause: unknown) {
    super('ERR_NATS_UNREACHABLE', server, '', `cannot reach the NATS server at ${server}: ${why(cause)}; is nats-server running there (JetStream needs -js)?`, { cause });
  }
}
NatsUnreachableError.prototype.name = 'NatsUnreachableError';

/** The server refused the credentials (user/password, token, nkey, creds file). */
export class NatsAuthError extends NatsBridgeError {
  /** @param credentials which credentials were given, e.g. `nkey UAB…` (none: `no credentials`). */
  constructor(server: string, cause: unknown, credentials?: string) {
    super('ERR_NATS_AUTH', server, '', `the NATS server at ${server} refused the credentials${credentials === undefined ? '' : ` (${credentials})`}: ${why(cause)}`, { cause });
  }
}
NatsAuthError.prototype.name = 'NatsAuthError';

/**
 * The TLS handshake with the server failed: its certificate is not trusted (`tls.caFile`), it
 * does not speak TLS, or it wants a client certificate (`tls.certFile` / `tls.keyFile`) that
 * was not given or that it refused. The message says which, and what to pass.
 */
export class NatsTlsError extends NatsBridgeError {
  /** @param hint what to do about it. */
  constructor(server: string, cause: unknown, hint: string) {
    super('ERR_NATS_TLS', server, '', `TLS with the NATS server at ${server} failed: ${why(cause)}${hint === '' ? '' : `; ${hint}`}`, { cause });
  }
}
NatsTlsError.prototype.name = 'NatsTlsError';

/**
 * No JetStream stream captures the subject (or the named stream does not exist). Pass
 * `createStream: { name, maxBytes, maxAge, ... }` to create it with those limits.
 */
export class StreamMissingError extends NatsBridgeError {
  /** `subject`: no stream captures {@link subject}; `stream`: no stream is named {@link subject}. */
  readonly missing: 'subject' | 'stream';
  constructor(server: string, subject: string, missing: 'subject' | 'stream', cause?: unknown) {
    super('ERR_NATS_STREAM_MISSING', server, subject,
      `${missing === 'subject' ? `no JetStream stream captures subject "${subject}"` : `no JetStream stream is named "${subject}"`} on ${server}; ` +
      `create it (nats stream add), or pass createStream: { name, maxBytes?, maxMessages?, maxAgeMs?, storage? } to have the bridge create it with those limits`,
      cause === undefined ? undefined : { cause });
    this.missing = missing;
  }
}
StreamMissingError.prototype.name = 'StreamMissingError';

/** The server's permissions do not allow publishing to (or subscribing to) the subject. */
export class NatsPermissionError extends NatsBridgeError {
  constructor(server: string, subject: string, operation: string, cause: unknown) {
    super('ERR_NATS_PERMISSION', server, subject, `permission denied by ${server}: this user may not ${operation} "${subject}" (${why(cause)})`, { cause });
  }
}
NatsPermissionError.prototype.name = 'NatsPermissionError';

/** One message (a single entry or record that cannot be split) is larger than the server's `max_payload`. */
export class PayloadTooLargeError extends NatsBridgeError {
  /** Bytes of the message. */
  readonly bytes: number;
  /** The server's `max_payload`. */
  readonly maxPayload: number;
  constructor(server: string, subject: string, bytes: number, maxPayload: number) {
    super('ERR_NATS_PAYLOAD_TOO_LARGE', server, subject,
      `a message to "${subject}" is larger than the max_payload of ${server}: bytes=${bytes}, max_payload=${maxPayload}; ` +
      `raise max_payload in the server's configuration or write smaller records`);
    this.bytes = bytes;
    this.maxPayload = maxPayload;
  }
}
PayloadTooLargeError.prototype.name = 'PayloadTooLargeError';

/** A message fetched from the stream is not what the target ring can take (not a ringkit frame, another schema, too long). */
export class FrameError extends NatsBridgeError {
  constructor(server: string, subject: string, message: string) {
    super('ERR_NATS_FRAME', server, subject, message);
  }
}
FrameError.prototype.name = 'FrameError';

function why(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function revived<E extends Error>(e: E, d: SerializedError): E {
  e.message = d.message;
  return e;
}

const server = (d: SerializedError): string => String(d.server ?? '');
const subject = (d: SerializedError): string => String(d.subject ?? '');
registerErrorClass('ERR_NATS_UNREACHABLE', (d, o) => revived(new NatsUnreachableError(server(d), o?.cause), d));
registerErrorClass('ERR_NATS_AUTH', (d, o) => revived(new NatsAuthError(server(d), o?.cause), d));
registerErrorClass('ERR_NATS_TLS', (d, o) => revived(new NatsTlsError(server(d), o?.cause, ''), d));
registerErrorClass('ERR_NATS_STREAM_MISSING', (d) => revived(new StreamMissingError(server(d), subject(d), d.missing === 'stream' ? 'stream' : 'subject'), d));
registerErrorClass('ERR_NATS_PERMISSION', (d, o) => revived(new NatsPermissionError(server(d), subject(d), '', o?.cause), d));
registerErrorClass('ERR_NATS_PAYLOAD_TOO_LARGE', (d) => revived(new PayloadTooLargeError(server(d), subject(d), Number(d.bytes ?? 0), Number(d.maxPayload ?? 0)), d));
registerErrorClass('ERR_NATS_FRAME', (d) => new FrameError(server(d), subject(d), d.message));
