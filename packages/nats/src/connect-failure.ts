import { AuthorizationError } from '@nats-io/transport-node';
import type { NatsConnectOptions } from './connection.js';
import { NatsAuthError, NatsTlsError, type NatsBridgeError } from './errors.js';
import { readServerInfo } from './server-info.js';

/** Codes of Node's TLS errors for a server certificate this process does not trust. */
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|^ERR_TLS_|^ERR_SSL_|^ERR_OSSL_/;

/**
 * What a failed first connection means when it is no passing failure (trying again would not
 * help): refused credentials ({@link NatsAuthError}) or a failed TLS handshake
 * ({@link NatsTlsError}, with what to pass). Undefined: the server may just be away (retry,
 * then `NatsUnreachableError`). A timeout is checked against the server's `INFO` line: a
 * server that asks for a client certificate closes a handshake without (or with a refused) one,
 * and the client only sees the timeout.
 */
export async function connectFailure(e: unknown, options: NatsConnectOptions, server: string, credentials: string): Promise<NatsBridgeError | undefined> {
  if (e instanceof AuthorizationError) return new NatsAuthError(server, e, credentials);
  const err = e as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = String(err.message ?? '');
  const tls = (options.tls ?? {}) as { caFile?: string; certFile?: string };
  if (UNTRUSTED.test(code)) {
    return new NatsTlsError(server, e, tls.caFile === undefined
      ? "the server's certificate is not signed by a CA this process trusts: pass tls: { caFile } naming the CA that signed it"
      : `the server's certificate is not signed by the CA in tls.caFile=${tls.caFile}, or does not name the host of the URL`);
  }
  if (message.includes("server does not support 'tls'")) {
    return new NatsTlsError(server, e, 'that server takes plain connections only: drop the tls option, or enable tls in its configuration');
  }
  if (err.name === 'TimeoutError' || message === 'timeout') {
    const first = typeof options.servers === 'string' ? options.servers.split(',')[0]! : options.servers[0]!;
    const info = await readServerInfo(first, 500);
    if (info?.tls_verify === true) {
      return new NatsTlsError(server, e, tls.certFile === undefined
        ? 'the server asks for a client certificate (verify: true in its tls block) and none was given: pass tls: { certFile, keyFile }'
        : `the server asks for a client certificate (verify: true in its tls block) and did not complete the handshake with tls.certFile=${tls.certFile}: the certificate must be signed by a CA the server trusts (its tls ca_file) and allow client authentication`);
    }
  }
  return undefined;
}
