import { existsSync } from 'node:fs';

/**
 * The `nats-server` to start (tests and the bench): `$NATS_SERVER`, else Debian's
 * `/usr/sbin/nats-server` (not on a normal user's PATH), else `nats-server` from PATH.
 * @internal
 */
export function natsServerBinary(): string {
  return process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
}
