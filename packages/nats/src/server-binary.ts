import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The `nats-server` to start (tests and the bench): `$NATS_SERVER`, else Debian's
 * `/usr/sbin/nats-server` (not on a normal user's PATH), else `nats-server` from PATH.
 * @internal
 */
export function natsServerBinary(): string {
  return process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
}

/** A free loopback TCP port (bound and released at once), for a `nats-server` to listen on (tests and the bench). @internal */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
