/**
 * Who may act on the board: holders of its token. A request carries the token in one of four
 * ways, checked in this order: `Authorization: Bearer <token>`; HTTP Basic auth with the token as
 * the password (or the user name) — what `requests`, curl and urllib send for a server URL
 * written `http://board:<token>@host:port`, so an actionboard client needs only its URL changed;
 * the `?token=<token>` query parameter, for clients that can set neither (it lands in logs and
 * histories: the last resort); or the browser session cookie set by the login link or `/login`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** What every 401 says: exactly how to pass the token. */
export const UNAUTHORISED_DETAIL = 'missing or wrong token. Pass the token of `ringkit board` (--token / RINGKIT_BOARD_TOKEN, or the one it printed) in one of these ways: '
  + 'the header "Authorization: Bearer <token>"; '
  + 'HTTP Basic auth with the token as the password, e.g. a server URL http://board:<token>@host:port/ (requests, curl and urllib send that as Basic auth: the way to run an actionboard client unchanged but for its URL); '
  + 'or, for a client that can set neither, the query parameter ?token=<token> (it ends up in logs and histories). '
  + 'A browser: open the one-time login link printed at start, or /login.';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The board's token, its browser session cookie and its one-time login codes. */
export class BoardAuth {
  /** The session cookie's name; set by {@link BoardAuth.bindPort} once the port is known. */
  cookieName = 'ringkit_board';
  private readonly loginCodes = new Set<string>();

  constructor(readonly token: string) {}

  /** Names the cookie after the port, so two boards on one host keep separate sessions. */
  bindPort(port: number): void {
    this.cookieName = `ringkit_board_${port}`;
  }

  /** Whether `candidate` is the token (constant time). */
  isToken(candidate: string): boolean {
    return safeEqual(candidate, this.token);
  }

  /** A new one-time login code (see {@link BoardAuth.redeem}). */
  newLoginCode(): string {
    const code = randomBytes(12).toString('base64url');
    this.loginCodes.add(code);
    return code;
  }

  /** Uses up a one-time login code; whether it was valid. */
  redeem(code: string): boolean {
    return this.loginCodes.delete(code);
  }

  /** Whether `req` carries the token (header, Basic auth, `?token=` or the session cookie). */
  authorised(req: FastifyRequest): boolean {
    const h = req.headers.authorization;
    if (typeof h === 'string') {
      const [scheme, value = ''] = h.trim().split(/\s+/, 2);
      if (/^bearer$/i.test(scheme ?? '') && this.isToken(value)) return true;
      if (/^basic$/i.test(scheme ?? '')) {
        const pair = Buffer.from(value, 'base64').toString('utf8');
        const i = pair.indexOf(':');
        if (i >= 0 && (this.isToken(pair.slice(i + 1)) || this.isToken(pair.slice(0, i)))) return true;
      }
    }
    const q = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof q === 'string' && this.isToken(q)) return true;
    const cookie = req.cookies?.[this.cookieName];
    return typeof cookie === 'string' && this.isToken(cookie);
  }
}
