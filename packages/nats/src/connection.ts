import { connect, type NatsConnection, type TlsOptions } from '@nats-io/transport-node';
import { InvalidArgumentError, describe } from '@ringkit/core';
import { connectFailure } from './connect-failure.js';
import { readCredentials } from './credentials.js';
import { NatsUnreachableError } from './errors.js';
import { sleep } from './options.js';

/** How a bridge connects: server URLs, credentials and reconnection. Every field but `servers` is optional. */
export interface NatsConnectOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. Required. */
  servers: string | readonly string[];
  /** User name (with `pass`). */
  user?: string;
  /** Password (with `user`). */
  pass?: string;
  /** Authentication token. */
  token?: string;
  /** An NKey user seed (`SU…`) to sign the server's nonce with (the server lists the user's public key, `U…`). */
  nkeySeed?: string;
  /** Path of a `.creds` file (a user JWT + its NKey seed; decentralised auth, the server in operator mode). */
  credsFile?: string;
  /** TLS options, passed through to the client as they are (`caFile`, `certFile` + `keyFile` for a client certificate, `handshakeFirst`, …); the files are checked for readability first. */
  tls?: TlsOptions;
  /** Connection name the server shows (`nats server report connections`). Defaults to `ringkit-nats`. */
  name?: string;
  /** Time to wait for the first connection, ms. Defaults to 2000. */
  timeoutMs?: number;
  /** First reconnect delay, ms; doubled per failed attempt up to `maxReconnectDelayMs`, with ±25 % jitter. Defaults to 100. */
  reconnectDelayMs?: number;
  /** Longest reconnect delay, ms. Defaults to 2000. */
  maxReconnectDelayMs?: number;
  /** Reconnect attempts before the connection closes for good; -1 = for ever. Defaults to -1. */
  maxReconnectAttempts?: number;
  /** Record where each request was made (an `Error` per request, for stack traces of timeouts). Defaults to false. */
  asyncTraces?: boolean;
  /**
   * Keep trying the first connection this long (ms, same backoff as reconnects) before giving
   * up with `NatsUnreachableError`: for processes that may start while the server restarts
   * (pipeline stages). Defaults to 0 (one attempt).
   */
  firstConnectRetryMs?: number;
}

/** `options.servers` as one string, for error messages. */
export function serverNames(options: Pick<NatsConnectOptions, 'servers'>): string {
  return typeof options.servers === 'string' ? options.servers : options.servers.join(',');
}

function optionalString(options: NatsConnectOptions, key: 'user' | 'pass' | 'token' | 'nkeySeed' | 'credsFile' | 'name'): string | undefined {
  const v = options[key];
  if (v !== undefined && typeof v !== 'string') throw new InvalidArgumentError(`options.${key} must be a string: ${key}=${describe(v)}`);
  return v;
}

function optionalNumber(options: NatsConnectOptions, key: 'timeoutMs' | 'reconnectDelayMs' | 'maxReconnectDelayMs' | 'maxReconnectAttempts' | 'firstConnectRetryMs', fallback: number, min: number): number {
  const v = options[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(`options.${key} must be an integer >= ${min}: ${key}=${describe(v)}`);
  return v;
}

/** Checks the options of {@link connectNats}. @throws {@link InvalidArgumentError} naming the option. */
export function checkConnectOptions(options: NatsConnectOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`connection options must be an object { servers, ... }: options=${describe(options)}`);
  const s = options.servers;
  const list = typeof s === 'string' ? [s] : Array.isArray(s) ? s : undefined;
  if (list === undefined || list.length === 0 || list.some((u) => typeof u !== 'string' || u === '')) {
    throw new InvalidArgumentError(`options.servers must be a server URL or a non-empty array of them, e.g. 'nats://127.0.0.1:4222': servers=${describe(s)}`);
  }
  for (const k of ['user', 'pass', 'token', 'nkeySeed', 'credsFile', 'name'] as const) optionalString(options, k);
  if ((options.user === undefined) !== (options.pass === undefined)) throw new InvalidArgumentError('options.user and options.pass go together: give both or neither');
  optionalNumber(options, 'timeoutMs', 2000, 1);
  optionalNumber(options, 'reconnectDelayMs', 100, 1);
  optionalNumber(options, 'maxReconnectDelayMs', 2000, 1);
  optionalNumber(options, 'maxReconnectAttempts', -1, -1);
  optionalNumber(options, 'firstConnectRetryMs', 0, 0);
  if (options.tls !== undefined && (options.tls === null || typeof options.tls !== 'object')) throw new InvalidArgumentError(`options.tls must be an object of TLS options: tls=${describe(options.tls)}`);
}

/**
 * Connects to NATS with reconnection for ever (exponential backoff with jitter) and the given
 * credentials. The connection is the caller's: close it (`await nc.close()`) when done.
 * @throws {@link NatsUnreachableError} when no server answers; {@link NatsAuthError} when the
 *   credentials are refused; {@link NatsTlsError} when the TLS handshake fails (untrusted server
 *   certificate, a server without TLS, a client certificate missing or refused);
 *   {@link InvalidArgumentError} for bad options (a malformed NKey seed or creds file, an
 *   unreadable TLS file).
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  checkConnectOptions(options);
  const server = serverNames(options);
  const first = optionalNumber(options, 'reconnectDelayMs', 100, 1);
  const max = optionalNumber(options, 'maxReconnectDelayMs', 2000, 1);
  let attempt = 0;
  const credentials = readCredentials(options);
  const settings = {
    servers: typeof options.servers === 'string' ? options.servers : [...options.servers],
    name: options.name ?? 'ringkit-nats',
    user: options.user,
    pass: options.pass,
    token: options.token,
    authenticator: credentials.authenticators,
    tls: options.tls,
    timeout: optionalNumber(options, 'timeoutMs', 2000, 1),
    reconnect: true,
    // No Error object (with its stack) made up front for every request: a fifth of the
    // per-message cost of a publish-and-acknowledge loop in a profile.
    noAsyncTraces: options.asyncTraces !== true,
    maxReconnectAttempts: optionalNumber(options, 'maxReconnectAttempts', -1, -1),
    reconnectDelayHandler: () => {
      const d = Math.min(max, first * 2 ** Math.min(attempt++, 20));
      return Math.round(d * (0.75 + Math.random() * 0.5));
    },
  };
  const deadline = Date.now() + optionalNumber(options, 'firstConnectRetryMs', 0, 0);
  let nc: NatsConnection;
  for (let tries = 0; ; tries++) {
    try {
      nc = await connect(settings);
      break;
    } catch (e) {
      const failure = await connectFailure(e, options, server, credentials.described);
      if (failure !== undefined) throw failure;
      if (Date.now() >= deadline) throw new NatsUnreachableError(server, e);
      await sleep(Math.min(max, first * 2 ** Math.min(tries, 20)));
    }
  }
  attempt = 0;
  // A successful reconnect starts the backoff again from the first delay.
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'reconnect') attempt = 0;
  })().catch(() => undefined);
  return nc;
}

/** A connection the bridge was handed (the caller's to close), or options to open its own (closed with the bridge). */
export type ConnectionOption = NatsConnection | NatsConnectOptions;

/** The connection for a bridge, whether the bridge owns it (closes it when it ends), and the server name for errors. */
export async function openConnection(option: ConnectionOption): Promise<{ nc: NatsConnection; owned: boolean; server: string }> {
  if (option !== null && typeof option === 'object' && typeof (option as NatsConnection).publish === 'function' && typeof (option as NatsConnection).getServer === 'function') {
    const nc = option as NatsConnection;
    const s = nc.getServer();
    return { nc, owned: false, server: s.includes('://') ? s : `nats://${s}` };
  }
  const opts = option as NatsConnectOptions;
  checkConnectOptions(opts);
  return { nc: await connectNats(opts), owned: true, server: serverNames(opts) };
}
