/**
 * The board's HTTP routes and its WebSocket endpoint: pages and fragments (readable without a
 * token), static assets and icons, login, and everything that acts (actions, `/api/v1/*`, the
 * socket), which needs the token. Errors map to 4xx answers that say what was wrong; nothing a
 * client sends yields a 5xx.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UNAUTHORISED_DETAIL } from './auth.js';
import { BoardStateError, StaleVersionError, ValidationError } from './errors.js';
import { lucideSvg, VENDOR_DIR } from './icons.js';
import { wireState } from './live.js';
import { renderBanner, renderFullPage, renderLoginPage, renderNav, renderPageFragment, renderPageNotFound, renderToast } from './render.js';
import type { Board } from './server.js';

const require = createRequire(import.meta.url);
const STATIC_DIR = fileURLToPath(new URL('../../static/', import.meta.url));
const JS = 'text/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

/** Files under `static/` and `vendor/`, by URL path, with their content type. */
const FILES: Record<string, { file: string; type: string; immutable?: boolean }> = {
  'static/board.js': { file: `${STATIC_DIR}board.js`, type: JS },
  'static/board.css': { file: `${STATIC_DIR}board.css`, type: 'text/css; charset=utf-8' },
  'static/htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: JS },
  'vendor/fontawesome/css/all.min.css': { file: `${VENDOR_DIR}fontawesome/css/all.min.css`, type: 'text/css; charset=utf-8', immutable: true },
  'vendor/fontawesome/LICENSE.txt': { file: `${VENDOR_DIR}fontawesome/LICENSE.txt`, type: 'text/plain; charset=utf-8', immutable: true },
  ...Object.fromEntries(['fa-brands-400', 'fa-regular-400', 'fa-solid-900', 'fa-v4compatibility'].map((f) => [
    `vendor/fontawesome/webfonts/${f}.woff2`, { file: `${VENDOR_DIR}fontawesome/webfonts/${f}.woff2`, type: 'font/woff2', immutable: true },
  ])),
};

function isHtmx(req: FastifyRequest): boolean {
  return req.headers['hx-request'] === 'true';
}

/** A version named by `If-Match: "N"` (or `N`, or `W/"N"`), `undefined` when absent; 400 when not a version. */
function versionOf(raw: string | undefined, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1'));
  if (!Number.isInteger(v) || v < 1) throw new BoardStateError(400, `${what} must name a configuration version (a positive integer, as in the ETag of GET /api/v1/config): ${what}=${raw}`);
  return v;
}

/** Registers every route of `board` on `app`. */
export function registerRoutes(app: FastifyInstance, board: Board): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (e) {
      done(Object.assign(new Error(`request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`), { statusCode: 400 }), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof StaleVersionError) {
      return reply.code(412).send({ detail: err.message, expected: err.expected, live: err.live, staged: err.staged });
    }
    if (err instanceof BoardStateError) {
      if (isHtmx(req)) return reply.code(err.status).type(HTML).send(renderToast({ text: err.message, error: true }));
      return reply.code(err.status).send({ detail: err.message });
    }
    if (err instanceof ValidationError) {
      // Schema errors are 422; a well-formed config that does not hold together is 400.
      if (err.what === 'staged configuration') return reply.code(400).send({ detail: `Failed to stage new configuration: ${err.problems.join('; ')}`, problems: err.problems });
      return reply.code(422).send({ detail: err.message, problems: err.problems });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) board.log(`internal error on ${req.method} ${req.url}: ${err.stack ?? err.message}`);
    return reply.code(status).send({ detail: status === 500 ? 'internal server error' : err.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `no route ${req.method} ${req.url.split('?')[0]}` }));

  const requireAuth = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (board.auth.authorised(req)) return;
    if (isHtmx(req)) await reply.code(401).type(HTML).send(renderToast({ text: 'Not logged in (or the board was restarted with a new token): open the login page, /login, or the link printed by ringkit board.', error: true }));
    else await reply.code(401).header('www-authenticate', 'Bearer, Basic realm="ringkit board"').send({ detail: UNAUTHORISED_DETAIL });
  };

  void app.register(cookie);
  void app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  void app.register(async (scope) => {
    scope.get('/ws/button_updates', {
      websocket: true,
      preValidation: async (req, reply) => {
        const origin = req.headers.origin;
        if (typeof origin === 'string') {
          let host = '';
          try { host = new URL(origin).host; } catch { /* malformed origin: rejected below */ }
          if (host !== req.headers.host) return reply.code(403).send({ detail: `origin ${origin} does not match host ${req.headers.host}` });
        }
        return requireAuth(req, reply);
      },
    }, (socket) => board.sockets.add(socket, board.snapshot()));
  });

  // Pages and fragments (readable without a token; acting needs one).
  const fullPage = (req: FastifyRequest, reply: FastifyReply, pageId: string | undefined, base: string): FastifyReply => {
    const v = board.view();
    const page = board.findPage(pageId) ?? v.config.ui.pages[0];
    return reply.type(HTML).send(renderFullPage({ ui: v.config.ui, page, stagedVersion: v.stagedVersion, version: v.version, instance: v.instance, base, authorised: board.auth.authorised(req) }));
  };
  app.get('/', (req, reply) => fullPage(req, reply, undefined, './'));
  app.get<{ Params: { id: string } }>('/page/:id', (req, reply) => fullPage(req, reply, req.params.id, '../'));
  app.get<{ Params: { id: string }; Querystring: { fallback?: string } }>('/content/page/:id', (req, reply) => {
    const v = board.view();
    const page = board.findPage(req.params.id) ?? (req.query.fallback ? v.config.ui.pages[0] : undefined);
    reply.header('x-ringkit-config-version', String(v.version)).header('cache-control', 'no-store');
    if (!page) return reply.code(req.query.fallback ? 200 : 404).type(HTML).send(renderPageNotFound(v.config.ui, req.params.id, v.version));
    return reply.type(HTML).send(renderPageFragment(v.config.ui, page, v.version));
  });
  app.get<{ Querystring: { active_page_id?: string } }>('/content/navigation_panel', (req, reply) => {
    const ui = board.view().config.ui;
    const active = board.findPage(req.query.active_page_id) ?? ui.pages[0];
    return reply.type(HTML).send(renderNav(ui, active?.id, false));
  });
  app.get('/content/banner', (_req, reply) => reply.type(HTML).header('cache-control', 'no-store').send(renderBanner(board.view().stagedVersion)));
  app.get<{ Params: { '*': string } }>('/static/*', (req, reply) => sendFile(reply, `static/${req.params['*']}`));
  app.get<{ Params: { '*': string } }>('/vendor/*', (req, reply) => sendFile(reply, `vendor/${req.params['*']}`));
  app.get<{ Params: { name: string } }>('/icons/:name', (req, reply) => {
    const name = req.params.name.replace(/\.svg$/, '');
    const svg = lucideSvg(name);
    if (svg === undefined) return reply.code(404).send({ detail: `unknown icon ${name}` });
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(svg);
  });
  app.get('/favicon.ico', (_req, reply) => reply.code(204).send());
  app.get('/healthz', () => ({ ok: true, version: board.view().version, connections: board.connections }));

  // Logging in: the one-time code, the token (query or the login form), and a status probe
  // the page uses to tell "login needed" from "server down".
  const login = (reply: FastifyReply, ok: boolean, failure: string): FastifyReply => {
    if (!ok) return reply.code(401).type(HTML).send(renderLoginPage(failure));
    return reply.setCookie(board.auth.cookieName, board.token, { httpOnly: true, sameSite: 'strict', path: '/' }).redirect('./', 303);
  };
  app.get<{ Querystring: { code?: string; token?: string } }>('/auth', (req, reply) => {
    const { code, token } = req.query;
    const ok = (typeof code === 'string' && board.auth.redeem(code)) || (typeof token === 'string' && board.auth.isToken(token));
    return login(reply, ok, typeof code === 'string' ? 'This login link is invalid or was already used (each link works once; a restarted board prints a new one).' : 'Wrong token.');
  });
  app.post<{ Body: { token?: unknown } | undefined }>('/auth', (req, reply) => {
    const token = req.body?.token;
    return login(reply, typeof token === 'string' && board.auth.isToken(token), 'Wrong token: use the token ringkit board printed (or was given with --token / RINGKIT_BOARD_TOKEN).');
  });
  app.get('/login', (_req, reply) => reply.type(HTML).send(renderLoginPage(undefined)));
  app.get('/auth/status', (req, reply) => reply.header('cache-control', 'no-store').send({ authorised: board.auth.authorised(req), instance: board.instance }));

  // Everything below needs the token.
  void app.register(async (api) => {
    api.addHook('preHandler', requireAuth);

    api.post<{ Params: { id: string } }>('/action/:id', async (req, reply) => {
      const r = await board.click(req.params.id);
      if (!r) return reply.code(404).type(HTML).send(renderToast({ text: `Configuration error: Button ID '${req.params.id}' not found.`, error: true }));
      const flag = r.outcome.status === 'ok' ? (r.toast.error ? 'error' : 'ok') : r.outcome.status;
      return reply.code(r.outcome.status === 'unknown' ? 404 : 200).header('x-ringkit-action', flag).type(HTML).send(renderToast(r.toast));
    });

    api.get('/api/v1/config', (_req, reply) => {
      const c = board.config();
      return reply.header('etag', `"${c.version}"`).send(c);
    });
    api.get('/api/v1/config/staged', (_req, reply) => {
      const s = board.stagedConfig();
      if (!s) return reply.code(404).send({ detail: 'No configuration is staged.' });
      return reply.header('etag', `"${s.version}"`).send(s);
    });
    api.get('/api/v1/state', () => ({ version: board.view().version, buttons: board.wireStates() }));
    api.post('/api/v1/config/stage', async (req, reply) => {
      const ifMatch = versionOf(typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined, 'If-Match');
      const r = await board.stage(req.body, { ifMatch });
      reply.code(202).header('etag', `"${r.version}"`);
      if (isHtmx(req)) return reply.type(HTML).send(renderBanner(r.version));
      return reply.send({ message: 'Configuration staged.', version: r.version, warnings: r.warnings });
    });
    api.post<{ Querystring: { version?: string } }>('/api/v1/config/apply', (req, reply) => {
      const fromQuery = versionOf(req.query.version, 'version');
      const fromHeader = versionOf(typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined, 'If-Match');
      if (fromQuery !== undefined && fromHeader !== undefined && fromQuery !== fromHeader) throw new BoardStateError(400, `?version=${fromQuery} and If-Match ${fromHeader} disagree; send one`);
      const r = board.apply(fromQuery ?? fromHeader);
      return reply.header('hx-refresh', 'true').header('etag', `"${r.version}"`).send({ message: 'Configuration applied successfully. Page will refresh.', version: r.version });
    });
    api.post('/api/v1/config/discard', (req, reply) => {
      const had = board.discard();
      if (isHtmx(req)) return reply.type(HTML).send(renderBanner(undefined));
      return reply.send({ message: had ? 'Staged configuration discarded.' : 'Nothing was staged.', discarded: had });
    });
    api.post('/api/v1/buttons/update_content', (req, reply) => {
      const r = board.update(req.body);
      return reply.send({ message: 'Button content update broadcasted.', button_id: r.buttonId, known: r.known, state: wireState(r.state) });
    });
  });
}

function sendFile(reply: FastifyReply, path: string): FastifyReply {
  const f = FILES[path];
  if (!f) return reply.code(404).send({ detail: `no file ${path}` });
  return reply.type(f.type).header('cache-control', f.immutable ? 'public, max-age=86400' : 'no-cache').send(readFileSync(f.file));
}
