import { connect as tcpConnect } from 'node:net';

/** What a server's `INFO` line says about TLS (the fields the bridge's diagnostics read). */
export interface ServerTlsInfo {
  /** The server takes only TLS connections. */
  tls_required?: boolean;
  /** The server asks every client for a certificate (`verify: true` in its `tls` block). */
  tls_verify?: boolean;
}

/**
 * The `INFO` line a NATS server sends first on a plain TCP connection to `url`
 * (`nats://host:port`, port 4222 when none), or undefined when none arrives within
 * `timeoutMs`. Only for diagnosing a failed connection: why the client's TLS handshake ended.
 */
export function readServerInfo(url: string, timeoutMs: number): Promise<ServerTlsInfo | undefined> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url.includes('://') ? url : `nats://${url}`);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = u.port === '' ? 4222 : Number(u.port);
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const socket = tcpConnect(port, host);
    let text = '';
    const finish = (info: ServerTlsInfo | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(info);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end < 0 && text.length < 65536) return;
      const m = /^INFO\s+(\{.*\})/.exec(text.slice(0, end < 0 ? text.length : end));
      try {
        finish(m === null ? undefined : JSON.parse(m[1]!) as ServerTlsInfo);
      } catch {
        finish(undefined);
      }
    });
    socket.once('error', () => finish(undefined));
    socket.once('close', () => finish(undefined));
  });
}
