import { accessSync, constants, readFileSync } from 'node:fs';
import { fromSeed } from '@nats-io/nkeys';
import { credsAuthenticator, nkeyAuthenticator, type Authenticator } from '@nats-io/transport-node';
import { InvalidArgumentError, describe } from '@ringkit/core';
import type { NatsConnectOptions } from './connection.js';

/** The credentials of a connection, checked: what to hand the client, and how error messages name them (never a secret). */
export interface Credentials {
  authenticators: Authenticator[] | undefined;
  /** e.g. `user "app"`, `token`, `nkey UAB…`, `creds file /x.creds (user UAB…, account ACD…)`, `no credentials`. */
  described: string;
}

const encoder = new TextEncoder();

/** The public key of a user seed. @throws {@link InvalidArgumentError} naming `what` (the seed itself is never printed). */
function userKey(seed: string, what: string): string {
  if (!seed.startsWith('SU')) throw new InvalidArgumentError(`${what} must be an NKey user seed (it starts with SU): it starts with ${describe(seed.slice(0, 2))}`);
  try {
    return fromSeed(encoder.encode(seed)).getPublicKey();
  } catch (e) {
    throw new InvalidArgumentError(`${what} is not a valid NKey seed (${(e as Error).message})`);
  }
}

/** The blocks of a `.creds` file: the user JWT, then the user's NKey seed, each between `-----BEGIN …-----` / `------END …------` lines. */
function credsBlocks(text: string): string[] {
  return [...text.matchAll(/^\s*-{3,}[^\n]*-{3,}\s*\n\s*(\S+)\s*\n\s*-{3,}[^\n]*-{3,}\s*$/gm)].map((m) => m[1]!);
}

function readCreds(path: string): { authenticator: Authenticator; described: string } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InvalidArgumentError(`options.credsFile cannot be read: credsFile=${describe(path)} (${(e as Error).message})`);
  }
  const [jwt, seed] = credsBlocks(new TextDecoder().decode(bytes));
  const parts = jwt?.split('.') ?? [];
  let claims: { sub?: unknown; iss?: unknown; nats?: { issuer_account?: unknown } } | undefined;
  try {
    claims = parts.length === 3 ? JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims : undefined;
  } catch {
    claims = undefined;
  }
  if (seed === undefined || claims === undefined || typeof claims.sub !== 'string') {
    throw new InvalidArgumentError(`options.credsFile is not a NATS .creds file (a user JWT block, then the user's NKey seed block, as \`nsc generate creds\` or fmtCreds of @nats-io/jwt write it): credsFile=${describe(path)}`);
  }
  const key = userKey(seed, `the seed in options.credsFile (${path})`);
  if (key !== claims.sub) throw new InvalidArgumentError(`options.credsFile holds the seed of user ${key} but the JWT of user ${claims.sub}: credsFile=${describe(path)}`);
  const account = typeof claims.nats?.issuer_account === 'string' ? claims.nats.issuer_account : claims.iss;
  return { authenticator: credsAuthenticator(bytes), described: `creds file ${path} (user ${key}, account ${String(account)})` };
}

/** Checks that `options.tls`'s files can be read (the client would only say "doesn't exist" at connect time, as if the server were away). */
function checkTlsFiles(options: NatsConnectOptions): void {
  const tls = options.tls as Record<string, unknown> | undefined;
  if (tls === undefined) return;
  for (const key of ['caFile', 'certFile', 'keyFile']) {
    const v = tls[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(`options.tls.${key} must be a file path: ${key}=${describe(v)}`);
    try {
      accessSync(v, constants.R_OK);
    } catch (e) {
      throw new InvalidArgumentError(`options.tls.${key} cannot be read: ${key}=${describe(v)} (${(e as Error).message})`);
    }
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new InvalidArgumentError('options.tls.certFile and options.tls.keyFile go together (a client certificate and its key): give both or neither');
}

/**
 * Reads and checks the credentials of `options`: an NKey seed must be a valid user seed, a
 * creds file a readable `.creds` file whose seed belongs to its JWT's user, TLS files readable.
 * @throws {@link InvalidArgumentError} naming the option (never printing a secret).
 */
export function readCredentials(options: NatsConnectOptions): Credentials {
  checkTlsFiles(options);
  const authenticators: Authenticator[] = [];
  const described: string[] = [];
  if (options.user !== undefined) described.push(`user ${describe(options.user)}`);
  if (options.token !== undefined) described.push('token');
  if (options.nkeySeed !== undefined) {
    described.push(`nkey ${userKey(options.nkeySeed, 'options.nkeySeed')}`);
    authenticators.push(nkeyAuthenticator(encoder.encode(options.nkeySeed)));
  }
  if (options.credsFile !== undefined) {
    const c = readCreds(options.credsFile);
    described.push(c.described);
    authenticators.push(c.authenticator);
  }
  return { authenticators: authenticators.length > 0 ? authenticators : undefined, described: described.length > 0 ? described.join(', ') : 'no credentials' };
}
