/**
 * The board server: fastify routes for the pages, fragments, actions and the `/api/v1` API, and
 * the WebSocket that pushes live button state to every open browser.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { createRequire } from 'node:module';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, InvalidStateError } from '@ringkit/core';
import { ActionRegistry, DEFAULT_ACTION_TIMEOUT_MS, toastFor, type ActionFn, type ActionOutcome } from './actions.js';
import { loadConfig } from './config.js';
import { cleanUpdate, mergeState, type ButtonState } from './live.js';
import { renderBanner, renderFullPage, renderNav, renderPageFragment, renderPageNotFound, renderToast } from './render.js';
import { crossCheck, parseBoardConfig, parseUiConfig, type PageConfigInput, parseButtonUpdate, ValidationError, type BoardConfig, type BoardConfigInput, type ButtonConfig, type ButtonUpdateInput, type PageConfig } from './schema.js';

const require = createRequire(import.meta.url);
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ICON_DIR = join(dirname(require.resolve('lucide-static/package.json')), 'icons');
/** Every icon name the board accepts (the lucide-static set). */
export const ICON_NAMES: ReadonlySet<string> = new Set(readdirSync(ICON_DIR).filter((f) => f.endsWith('.svg')).map((f) => f.slice(0, -4)));

const STATIC: Record<string, { file: string; type: string }> = {
  'board.js': { file: join(PACKAGE_DIR, 'static', 'board.js'), type: 'text/javascript; charset=utf-8' },
  'board.css': { file: join(PACKAGE_DIR, 'static', 'board.css'), type: 'text/css; charset=utf-8' },
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
};

/** Options of {@link Board.create}. */
export interface BoardOptions {
  /** User config directory holding `ui_config.yaml` / `actions_config.yaml` (each falls back to the packaged default). */
  configDir?: string;
  /** Address to bind (default `127.0.0.1`). A non-loopback address requires `token`. */
  host?: string;
  /** Port (default 8000; 0 picks a free port). */
  port?: number;
  /** Bearer token for the API, the actions and the WebSocket. Generated when absent (loopback only). */
  token?: string;
  /** Default action timeout in ms (default 10 000). */
  actionTimeoutMs?: number;
  /** WebSocket ping interval in ms (default 15 000); a socket that misses a pong is dropped. */
  heartbeatMs?: number;
  /** Receives log lines (warnings about the config, failed actions). Default: none. */
  log?: (line: string) => void;
}

interface Staged {
  readonly config: BoardConfig;
  readonly registry: ActionRegistry;
  readonly version: number;
}

/** Result of {@link Board.stage}. */
export interface StageResult {
  /** The staged version; pass it to {@link Board.apply} to be sure to apply this one. */
  readonly version: number;
}

/** Whether `host` is a loopback address. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isHtmx(req: FastifyRequest): boolean {
  return req.headers['hx-request'] === 'true';
}

/** The board cannot do what was asked in its current state; `status` is the HTTP status (404, 409). */
export class BoardStateError extends InvalidStateError {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
BoardStateError.prototype.name = 'BoardStateError';

/** Result of {@link Board.update}. */
export interface UpdateResult {
  /** The button updated. */
  readonly buttonId: string;
  /** Whether the button exists in the live configuration (only then is its state kept for replay). */
  readonly known: boolean;
  /** The button's merged state after the update. */
  readonly state: ButtonState;
}

/**
 * A running control board. Create with {@link Board.create}, then {@link Board.listen}.
 *
 * @example
 * const board = await Board.create({ port: 0 });
 * const url = await board.listen();
 * board.update({ buttonId: 'log_time_button', sparkline: { data: [1, 2, 3] } });
 */
export class Board {
  /** The fastify instance (routes registered; use `inject` for in-process requests). */
  readonly app: FastifyInstance;
  /** The token required by mutating endpoints and the WebSocket. */
  readonly token: string;
  /** Whether the token was generated (no token was given). */
  readonly tokenGenerated: boolean;
  private readonly host: string;
  private readonly port: number;
  private readonly log: (line: string) => void;
  private readonly actionsDir: string;
  private readonly actionTimeoutMs: number;
  private readonly programmatic = new ActionRegistry();
  private readonly sockets = new Set<WebSocket>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly liveState = new Map<string, ButtonState>();
  private readonly loginCodes = new Set<string>();
  private current: BoardConfig;
  private registry: ActionRegistry;
  private version = 1;
  private stageCounter = 0;
  private staged: Staged | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private cookieName = 'ringkit_board';
  private address: string | undefined;

  private constructor(opts: BoardOptions, current: BoardConfig, registry: ActionRegistry, actionsDir: string) {
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 8000;
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65535) throw new InvalidArgumentError(`port must be an integer in [0, 65535]: port=${opts.port}`);
    if (opts.token !== undefined && opts.token.length < 8) throw new InvalidArgumentError('token must be at least 8 characters long');
    if (opts.token === undefined && !isLoopback(this.host)) {
      throw new InvalidArgumentError(`refusing to bind a non-loopback address without a token: host=${this.host}; pass --token or set RINGKIT_BOARD_TOKEN`);
    }
    this.token = opts.token ?? randomBytes(18).toString('base64url');
    this.tokenGenerated = opts.token === undefined;
    this.log = opts.log ?? (() => {});
    this.actionsDir = actionsDir;
    this.actionTimeoutMs = opts.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
    this.current = current;
    this.registry = registry;
    this.app = Fastify({ logger: false, bodyLimit: 1 << 20 });
    this.routes(opts.heartbeatMs ?? 15_000);
  }

  /**
   * Loads the configuration (user dir → packaged defaults), builds the action registry and the
   * routes. Invalid config files throw {@link ValidationError}; at startup, actions that fail to
   * load and buttons naming unknown actions are logged (their buttons answer with an error toast),
   * duplicate ids are an error.
   */
  static async create(opts: BoardOptions = {}): Promise<Board> {
    const log = opts.log ?? (() => {});
    const loaded = await loadConfig(opts.configDir, log);
    const config: BoardConfig = { ui: loaded.ui.config, actions: loaded.actions.config };
    const { registry, problems } = await ActionRegistry.load(config.actions.actions, loaded.actions.dir, opts.actionTimeoutMs);
    for (const p of problems) log(`warning: ${p}`);
    const cross = crossCheck(config, registry.ids());
    const fatal = cross.filter((p) => p.includes('duplicate'));
    if (fatal.length > 0) throw new ValidationError('board config', fatal);
    for (const p of cross) log(`warning: ${p}`);
    return new Board(opts, config, registry, loaded.actions.dir);
  }

  /** Starts listening; resolves to the board's URL (`http://host:port/`). */
  async listen(): Promise<string> {
    await this.app.listen({ host: this.host, port: this.port });
    const addr = this.app.server.address() as AddressInfo;
    this.cookieName = `ringkit_board_${addr.port}`;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.address = `http://${host}:${addr.port}/`;
    return this.address;
  }

  /** The URL after {@link Board.listen}. */
  get url(): string {
    if (this.address === undefined) throw new InvalidStateError('the board is not listening yet; call listen() first');
    return this.address;
  }

  /**
   * A one-time login link: opening it in a browser stores the token in an HttpOnly,
   * SameSite=Strict cookie and redirects to the board.
   */
  loginUrl(): string {
    const code = randomBytes(12).toString('base64url');
    this.loginCodes.add(code);
    return `${this.url}auth?code=${code}`;
  }

  /** Stops the server and closes every WebSocket. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    await this.app.close();
  }

  /** The live configuration (a copy) and its version. */
  config(): { version: number } & BoardConfig {
    return structuredClone({ version: this.version, ...this.current });
  }

  /** The staged configuration (a copy) and its version, or `undefined`. */
  stagedConfig(): ({ version: number } & BoardConfig) | undefined {
    return this.staged && structuredClone({ version: this.staged.version, ...this.staged.config });
  }

  /** The merged live state of every button that has one. */
  liveStates(): Record<string, ButtonState> {
    return Object.fromEntries(this.liveState);
  }

  /** Number of open WebSocket connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * Registers a program action (a function run in the server's thread with a timeout) usable by
   * any button, now and in configurations staged later.
   */
  registerAction(id: string, fn: ActionFn, opts: { timeoutMs?: number } = {}): void {
    if (!/^[A-Za-z0-9_.:-]+$/.test(id)) throw new InvalidArgumentError(`action id must contain only letters, digits, "_", ".", ":" and "-": id=${JSON.stringify(id)}`);
    const timeout = opts.timeoutMs ?? this.actionTimeoutMs;
    this.programmatic.register(id, fn, timeout);
    this.registry.register(id, fn, timeout);
  }

  /** Runs the action of `buttonId` as a click would. */
  async click(buttonId: string): Promise<{ outcome: ActionOutcome; toast: { text: string; error: boolean } } | undefined> {
    const button = this.findButton(buttonId);
    if (!button) return undefined;
    const outcome = await this.registry.run(button.action, button.params);
    if (outcome.status !== 'ok') this.log(`action ${button.action} (button ${buttonId}): ${outcome.message}`);
    return { outcome, toast: toastFor(button.action, outcome) };
  }

  /**
   * Validates and stages a full configuration: schema, action loading, unique ids and action
   * references are all checked; every problem is reported at once in a {@link ValidationError}.
   * Replaces any staged configuration and tells every browser (banner).
   */
  async stage(input: BoardConfigInput | unknown): Promise<StageResult> {
    const config = parseBoardConfig(input);
    const { registry, problems } = await ActionRegistry.load(config.actions.actions, this.actionsDir, this.actionTimeoutMs);
    registry.adoptFunctions(this.programmatic);
    problems.push(...crossCheck(config, this.programmatic.ids()));
    if (problems.length > 0) throw new ValidationError('staged configuration', problems);
    this.staged = { config, registry, version: ++this.stageCounter };
    this.broadcast({ type: 'staged', payload: { version: this.staged.version } });
    return { version: this.staged.version };
  }

  /**
   * Applies the staged configuration (if `expectedVersion` is given it must be the staged one),
   * prunes live state of buttons that no longer exist and tells every browser to refresh.
   * Throws {@link BoardStateError} when nothing (status 404) or another version (409) is staged.
   */
  apply(expectedVersion?: number): { version: number } {
    const s = this.staged;
    if (!s) throw new BoardStateError(404, 'No staged configuration found to apply.');
    if (expectedVersion !== undefined && expectedVersion !== s.version) {
      throw new BoardStateError(409, `the staged configuration is version ${s.version}, not the expected version ${expectedVersion}; read GET /api/v1/config/staged and retry`);
    }
    this.staged = undefined;
    s.registry.adoptFunctions(this.programmatic);
    return this.swapIn(s.config, s.registry);
  }

  /** Makes `config` live: prunes live state of vanished buttons and tells every browser to refresh. */
  private swapIn(config: BoardConfig, registry: ActionRegistry): { version: number } {
    this.current = config;
    this.registry = registry;
    this.version++;
    const ids = new Set(config.ui.pages.flatMap((p) => p.buttons.map((b) => b.id)));
    for (const id of this.liveState.keys()) if (!ids.has(id)) this.liveState.delete(id);
    this.broadcast({ type: 'navigation_update', payload: { version: this.version, buttons: this.liveStates() } });
    return { version: this.version };
  }

  /**
   * Adds a page to the live configuration, or replaces the page with the same id, without going
   * through stage/apply (a staged configuration is left alone). For programs such as
   * {@link bindTelemetry}. Throws {@link ValidationError} when the result does not hold together.
   */
  upsertPage(page: PageConfigInput): { version: number } {
    const [parsed] = parseUiConfig({ pages: [page] }, 'page').pages;
    const pages = this.current.ui.pages.some((p) => p.id === parsed!.id)
      ? this.current.ui.pages.map((p) => (p.id === parsed!.id ? parsed! : p))
      : [...this.current.ui.pages, parsed!];
    const config: BoardConfig = { ui: { pages }, actions: this.current.actions };
    const problems = crossCheck(config, this.registry.ids());
    if (problems.length > 0) throw new ValidationError('page', problems);
    return this.swapIn(config, this.registry);
  }

  /** Removes page `id` from the live configuration; returns whether it existed. */
  removePage(id: string): boolean {
    if (!this.current.ui.pages.some((p) => p.id === id)) return false;
    this.swapIn({ ui: { pages: this.current.ui.pages.filter((p) => p.id !== id) }, actions: this.current.actions }, this.registry);
    return true;
  }

  /** Drops the staged configuration; returns whether one was staged. */
  discard(): boolean {
    const had = this.staged !== undefined;
    this.staged = undefined;
    this.broadcast({ type: 'discarded', payload: {} });
    return had;
  }

  /**
   * Pushes a live update to a button on every open browser, merged into the button's state
   * (replayed to browsers that connect later). Throws {@link ValidationError} for a bad payload.
   */
  update(input: ButtonUpdateInput | unknown): UpdateResult {
    const u = parseButtonUpdate(input);
    if (u.icon && !ICON_NAMES.has(u.icon)) throw new ValidationError('button update', [`icon: unknown icon "${u.icon}"; use a lucide-static icon name such as "clock", or "" to hide the icon`]);
    const state = mergeState(this.liveState.get(u.buttonId), u);
    const known = this.findButton(u.buttonId) !== undefined;
    if (known) this.liveState.set(u.buttonId, state);
    this.broadcast({ type: 'button_content_update', payload: cleanUpdate(u), state });
    return { buttonId: u.buttonId, known, state };
  }

  private findButton(id: string): ButtonConfig | undefined {
    for (const p of this.current.ui.pages) for (const b of p.buttons) if (b.id === id) return b;
    return undefined;
  }

  private findPage(id: string | undefined): PageConfig | undefined {
    return this.current.ui.pages.find((p) => p.id === id);
  }

  private broadcast(msg: unknown): void {
    const text = JSON.stringify(msg);
    for (const ws of this.sockets) {
      if (ws.readyState !== ws.OPEN) continue;
      try {
        ws.send(text);
      } catch {
        this.sockets.delete(ws);
        ws.terminate();
      }
    }
  }

  private authorised(req: FastifyRequest): boolean {
    const h = req.headers.authorization;
    if (typeof h === 'string' && h.startsWith('Bearer ') && safeEqual(h.slice(7).trim(), this.token)) return true;
    const cookie = req.headers.cookie;
    if (typeof cookie !== 'string') return false;
    for (const part of cookie.split(';')) {
      const i = part.indexOf('=');
      if (i > 0 && part.slice(0, i).trim() === this.cookieName && safeEqual(decodeURIComponent(part.slice(i + 1).trim()), this.token)) return true;
    }
    return false;
  }

  private requireAuth = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (this.authorised(req)) return;
    const detail = 'missing or wrong token: send "Authorization: Bearer <token>" (the token of `ringkit board --token` / RINGKIT_BOARD_TOKEN), or open the login link printed at start';
    if (isHtmx(req)) await reply.code(401).type('text/html; charset=utf-8').send(renderToast({ text: 'Not authorised: open the login link printed by ringkit board.', error: true }));
    else await reply.code(401).header('www-authenticate', 'Bearer').send({ detail });
  };

  private routes(heartbeatMs: number): void {
    const app = this.app;
    const html = 'text/html; charset=utf-8';
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
      if (err instanceof BoardStateError) {
        if (isHtmx(req)) return reply.code(err.status).type(html).send(renderToast({ text: err.message, error: true }));
        return reply.code(err.status).send({ detail: err.message });
      }
      if (err instanceof ValidationError) {
        // Schema errors are 422; a well-formed config that does not hold together is 400.
        if (err.what === 'staged configuration') return reply.code(400).send({ detail: `Failed to stage new configuration: ${err.problems.join('; ')}`, problems: err.problems });
        return reply.code(422).send({ detail: err.message, problems: err.problems });
      }
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) this.log(`internal error on ${req.method} ${req.url}: ${err.stack ?? err.message}`);
      return reply.code(status).send({ detail: status === 500 ? 'internal server error' : err.message });
    });
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ detail: `no route ${req.method} ${req.url.split('?')[0]}` }));

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
          return this.requireAuth(req, reply);
        },
      }, (socket) => {
        this.sockets.add(socket);
        this.alive.add(socket);
        socket.on('pong', () => this.alive.add(socket));
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => this.sockets.delete(socket));
        socket.on('message', () => { /* clients only keep alive; nothing to read */ });
        socket.send(JSON.stringify({ type: 'snapshot', payload: { version: this.version, stagedVersion: this.staged?.version ?? null, buttons: this.liveStates() } }));
      });
    });
    this.heartbeat = setInterval(() => {
      for (const ws of this.sockets) {
        if (!this.alive.has(ws)) {
          this.sockets.delete(ws);
          ws.terminate();
          continue;
        }
        this.alive.delete(ws);
        try { ws.ping(); } catch { this.sockets.delete(ws); }
      }
    }, heartbeatMs);
    this.heartbeat.unref();

    // Pages and fragments (readable without a token; acting needs one).
    const fullPage = (req: FastifyRequest, reply: FastifyReply, pageId: string | undefined, base: string): FastifyReply => {
      const page = this.findPage(pageId) ?? this.current.ui.pages[0];
      return reply.type(html).send(renderFullPage({ ui: this.current.ui, page, stagedVersion: this.staged?.version, base, authorised: this.authorised(req) }));
    };
    app.get('/', (req, reply) => fullPage(req, reply, undefined, './'));
    app.get<{ Params: { id: string } }>('/page/:id', (req, reply) => fullPage(req, reply, req.params.id, '../'));
    app.get<{ Params: { id: string }; Querystring: { fallback?: string } }>('/content/page/:id', (req, reply) => {
      const page = this.findPage(req.params.id) ?? (req.query.fallback ? this.current.ui.pages[0] : undefined);
      if (!page) return reply.code(404).type(html).send(renderPageNotFound(this.current.ui, req.params.id));
      return reply.type(html).send(renderPageFragment(this.current.ui, page));
    });
    app.get<{ Querystring: { active_page_id?: string } }>('/content/navigation_panel', (req, reply) => {
      const active = this.findPage(req.query.active_page_id) ?? this.current.ui.pages[0];
      return reply.type(html).send(renderNav(this.current.ui, active?.id, false));
    });
    app.get('/content/banner', (_req, reply) => reply.type(html).send(renderBanner(this.staged?.version)));
    app.get<{ Params: { name: string } }>('/static/:name', (req, reply) => {
      const s = STATIC[req.params.name];
      if (!s) return reply.code(404).send({ detail: `no static file ${req.params.name}` });
      return reply.type(s.type).header('cache-control', 'no-cache').send(readFileSync(s.file));
    });
    app.get<{ Params: { name: string } }>('/icons/:name', (req, reply) => {
      const name = req.params.name.replace(/\.svg$/, '');
      if (!ICON_NAMES.has(name)) return reply.code(404).send({ detail: `unknown icon ${name}` });
      return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(readFileSync(join(ICON_DIR, `${name}.svg`)));
    });
    app.get('/favicon.ico', (_req, reply) => reply.code(204).send());
    app.get('/healthz', () => ({ ok: true, version: this.version, connections: this.sockets.size }));
    app.get<{ Querystring: { code?: string; token?: string } }>('/auth', (req, reply) => {
      const { code, token } = req.query;
      const ok = (typeof code === 'string' && this.loginCodes.delete(code)) || (typeof token === 'string' && safeEqual(token, this.token));
      if (!ok) return reply.code(401).type(html).send('<!DOCTYPE html><p>This login link is invalid or was already used. Restart <code>ringkit board</code> or use <code>auth?token=&lt;token&gt;</code>.</p>');
      return reply
        .header('set-cookie', `${this.cookieName}=${encodeURIComponent(this.token)}; HttpOnly; SameSite=Strict; Path=/`)
        .redirect('./', 303);
    });

    // Everything below needs the token.
    void app.register(async (api) => {
      api.addHook('preHandler', this.requireAuth);

      api.post<{ Params: { id: string } }>('/action/:id', async (req, reply) => {
        const r = await this.click(req.params.id);
        if (!r) return reply.code(404).type(html).send(renderToast({ text: `Configuration error: Button ID '${req.params.id}' not found.`, error: true }));
        const flag = r.outcome.status === 'ok' ? (r.toast.error ? 'error' : 'ok') : r.outcome.status;
        return reply.code(r.outcome.status === 'unknown' ? 404 : 200).header('x-ringkit-action', flag).type(html).send(renderToast(r.toast));
      });

      api.get('/api/v1/config', (_req, reply) => {
        const c = this.config();
        return reply.header('etag', `"${c.version}"`).send(c);
      });
      api.get('/api/v1/config/staged', (_req, reply) => {
        const s = this.stagedConfig();
        if (!s) return reply.code(404).send({ detail: 'No configuration is staged.' });
        return reply.header('etag', `"${s.version}"`).send(s);
      });
      api.get('/api/v1/state', () => ({ version: this.version, buttons: this.liveStates() }));
      api.post('/api/v1/config/stage', async (req, reply) => {
        const r = await this.stage(req.body);
        reply.code(202).header('etag', `"${r.version}"`);
        if (isHtmx(req)) return reply.type(html).send(renderBanner(r.version));
        return reply.send({ message: 'Configuration staged.', version: r.version });
      });
      api.post<{ Querystring: { version?: string } }>('/api/v1/config/apply', (req, reply) => {
        const raw = req.query.version ?? (typeof req.headers['if-match'] === 'string' ? req.headers['if-match'].replace(/"/g, '') : undefined);
        const expected = raw === undefined ? undefined : Number(raw);
        if (expected !== undefined && !Number.isInteger(expected)) throw new BoardStateError(400, `version must be an integer: version=${raw}`);
        const r = this.apply(expected);
        return reply.header('hx-refresh', 'true').send({ message: 'Configuration applied successfully. Page will refresh.', version: r.version });
      });
      api.post('/api/v1/config/discard', (req, reply) => {
        const had = this.discard();
        if (isHtmx(req)) return reply.type(html).send(renderBanner(undefined));
        return reply.send({ message: had ? 'Staged configuration discarded.' : 'Nothing was staged.', discarded: had });
      });
      api.post('/api/v1/buttons/update_content', (req, reply) => {
        const r = this.update(req.body);
        return reply.send({ message: 'Button content update broadcasted.', ...r });
      });
    });
  }
}
