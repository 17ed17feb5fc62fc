/**
 * The board: its live and staged configurations on one version sequence, the action registry,
 * the merged live state of every button and the sockets it is pushed to. HTTP routes are in
 * `routes.ts`, authentication in `auth.ts`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, InvalidStateError } from '@ringkit/core';
import { ActionRegistry, DEFAULT_ACTION_TIMEOUT_MS, toastFor, type ActionFn, type ActionLoadOptions, type ActionOutcome } from './actions.js';
import { isLoopback, reachableUrls } from './addresses.js';
import { BoardAuth } from './auth.js';
import { loadConfig } from './config.js';
import { BoardStateError, StaleVersionError, ValidationError } from './errors.js';
import { cleanUpdate, mergeState, wireState, type ButtonState, type WireButtonState } from './live.js';
import { registerRoutes } from './routes.js';
import { LiveSockets } from './socket.js';
import { crossCheck, parseButtonUpdate, parseStageRequest, parseUiConfig, type BoardConfig, type BoardConfigInput, type ButtonConfig, type ButtonUpdateInput, type PageConfig, type PageConfigInput } from './schema.js';

/** Options of {@link Board.create}. */
export interface BoardOptions {
  /** User config directory holding `ui_config.yaml` / `actions_config.yaml` (each falls back to the packaged default). It must exist. */
  configDir?: string;
  /** Address to bind (default `127.0.0.1`). A non-loopback address requires `token`. */
  host?: string;
  /** Port (default 8000; 0 picks a free port). */
  port?: number;
  /** Bearer token for the API, the actions and the WebSocket. Generated when absent (loopback only). */
  token?: string;
  /** Default action timeout in ms (default 10 000). */
  actionTimeoutMs?: number;
  /** The Python interpreter of python actions (default `$RINGKIT_BOARD_PYTHON`, else `python3`). */
  python?: string;
  /** WebSocket ping interval in ms (default 15 000); a socket that misses a pong is dropped. */
  heartbeatMs?: number;
  /** Receives log lines (warnings about the config, failed actions). Default: none. */
  log?: (line: string) => void;
}

interface Staged {
  readonly config: BoardConfig;
  readonly registry: ActionRegistry;
  /** Its version: the live version it will have once applied. */
  readonly version: number;
  /** The live version when it was staged. */
  readonly base: number;
}

/** Result of {@link Board.stage}. */
export interface StageResult {
  /** The staged version; it stays the configuration's version once applied. */
  readonly version: number;
  /** Problems the board works around (a button naming an unknown action answers with an error toast). */
  readonly warnings: readonly string[];
}

/** Result of {@link Board.update}. */
export interface UpdateResult {
  /** The button updated. */
  readonly buttonId: string;
  /** Whether the button exists in the live configuration (only then is its state kept for replay). */
  readonly known: boolean;
  /** The button's merged state after the update. */
  readonly state: ButtonState;
}

/** What the routes read of a board to render pages (one consistent moment). */
export interface BoardView {
  /** The live configuration (not a copy: read only). */
  readonly config: BoardConfig;
  /** Its version. */
  readonly version: number;
  /** The staged configuration's version, if one is staged. */
  readonly stagedVersion: number | undefined;
  /** This server run's id (see {@link Board.instance}). */
  readonly instance: string;
}

/**
 * A running control board. Create with {@link Board.create}, then {@link Board.listen}.
 *
 * Versions: the live and the staged configurations share one increasing sequence. Staging takes
 * the next number; applying makes that staged version the live one; a program's
 * {@link Board.upsertPage} takes the next number too. A write may name the version it was based
 * on; if that is no longer current it fails with {@link StaleVersionError} (HTTP 412).
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
  /** Identifies this server run (browsers that reconnect to another run resync everything). */
  readonly instance = randomBytes(6).toString('base64url');
  /** @internal The token, session cookie and login codes. */
  readonly auth: BoardAuth;
  /** @internal The open WebSockets. */
  readonly sockets: LiveSockets;
  private readonly host: string;
  private readonly port: number;
  /** @internal Where log lines go. */
  readonly log: (line: string) => void;
  private readonly actionsDir: string;
  private readonly loadOptions: ActionLoadOptions;
  private readonly programmatic = new ActionRegistry();
  private readonly liveState = new Map<string, ButtonState>();
  private current: BoardConfig;
  private registry: ActionRegistry;
  private version = 1;
  private lastVersion = 1;
  private staged: Staged | undefined;
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
    this.auth = new BoardAuth(this.token);
    this.log = opts.log ?? (() => {});
    this.actionsDir = actionsDir;
    this.loadOptions = { defaultTimeoutMs: opts.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS, python: opts.python };
    this.current = current;
    this.registry = registry;
    this.sockets = new LiveSockets(opts.heartbeatMs ?? 15_000);
    // forceCloseConnections: close() destroys every HTTP connection. The default closes only the
    // idle ones at that moment: a browser's kept-alive connection that was busy then and idle a
    // moment later kept close() waiting for its 72 s keep-alive timeout, or longer.
    this.app = Fastify({ logger: false, bodyLimit: 1 << 20, forceCloseConnections: true });
    registerRoutes(this.app, this);
  }

  /**
   * Loads the configuration (user dir → packaged defaults), builds the action registry and the
   * routes. A `configDir` that does not exist, or invalid config files, throw (naming the path and
   * fields); at startup, actions that fail to load and buttons naming unknown actions are logged
   * (their buttons answer with an error toast), duplicate ids are an error.
   */
  static async create(opts: BoardOptions = {}): Promise<Board> {
    const log = opts.log ?? (() => {});
    const loaded = await loadConfig(opts.configDir, log);
    const config: BoardConfig = { ui: loaded.ui.config, actions: loaded.actions.config };
    const { registry, problems } = await ActionRegistry.load(config.actions.actions, loaded.actions.dir, { defaultTimeoutMs: opts.actionTimeoutMs, python: opts.python });
    for (const p of problems) log(`warning: ${p}`);
    const cross = crossCheck(config, registry.ids());
    const fatal = cross.filter((p) => !p.warning);
    if (fatal.length > 0) throw new ValidationError('board config', fatal.map((p) => p.text));
    for (const p of cross) log(`warning: ${p.text}`);
    return new Board(opts, config, registry, loaded.actions.dir);
  }

  /** Starts listening; resolves to the board's URL (`http://host:port/`, the bound address). */
  async listen(): Promise<string> {
    await this.app.listen({ host: this.host, port: this.port });
    const addr = this.app.server.address() as AddressInfo;
    this.auth.bindPort(addr.port);
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.address = `http://${host}:${addr.port}/`;
    return this.address;
  }

  /** The URL after {@link Board.listen} (the bound address; see {@link Board.urls} for a wildcard bind). */
  get url(): string {
    if (this.address === undefined) throw new InvalidStateError('the board is not listening yet; call listen() first');
    return this.address;
  }

  /**
   * The URLs a browser can open: the bound address, or for a wildcard bind (`0.0.0.0`, `::`) this
   * machine's addresses, LAN ones first and loopback last.
   */
  urls(): string[] {
    const addr = this.app.server.address() as AddressInfo | null;
    if (addr === null || this.address === undefined) throw new InvalidStateError('the board is not listening yet; call listen() first');
    return reachableUrls(addr.address, addr.port);
  }

  /**
   * A one-time login link: opening it in a browser stores the token in an HttpOnly,
   * SameSite=Strict cookie and redirects to the board. `base` is one of {@link Board.urls}
   * (default: the first).
   */
  loginUrl(base: string = this.urls()[0]!): string {
    return `${base}auth?code=${this.auth.newLoginCode()}`;
  }

  /** Stops the server: closes every WebSocket and every HTTP connection (a request in flight is cut). */
  async close(): Promise<void> {
    this.sockets.close();
    await this.app.close();
  }

  /** The live configuration (a copy) and its version: stageable as it is (see {@link Board.stage}). */
  config(): { version: number } & BoardConfig {
    return structuredClone({ version: this.version, ...this.current });
  }

  /** The staged configuration (a copy) and its version, or `undefined`. */
  stagedConfig(): ({ version: number } & BoardConfig) | undefined {
    return this.staged && structuredClone({ version: this.staged.version, ...this.staged.config });
  }

  /** @internal What the routes render from. */
  view(): BoardView {
    return { config: this.current, version: this.version, stagedVersion: this.staged?.version, instance: this.instance };
  }

  /** The merged live state of every button that has one. */
  liveStates(): Record<string, ButtonState> {
    return Object.fromEntries(this.liveState);
  }

  /** {@link Board.liveStates} in wire form (actionboard's key names). */
  wireStates(): Record<string, WireButtonState> {
    return Object.fromEntries([...this.liveState].map(([id, s]) => [id, wireState(s)]));
  }

  /** Number of open WebSocket connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** @internal The frame a socket gets when it connects: everything a page needs to resync. */
  snapshot(): unknown {
    return { type: 'snapshot', payload: { instance: this.instance, version: this.version, stagedVersion: this.staged?.version ?? null, buttons: this.wireStates() } };
  }

  /**
   * Registers a program action (a function run in the server's thread with a timeout) usable by
   * any button, now and in configurations staged later.
   */
  registerAction(id: string, fn: ActionFn, opts: { timeoutMs?: number } = {}): void {
    if (!/^[A-Za-z0-9_.:-]+$/.test(id)) throw new InvalidArgumentError(`action id must contain only letters, digits, "_", ".", ":" and "-": id=${JSON.stringify(id)}`);
    const timeout = opts.timeoutMs ?? this.loadOptions.defaultTimeoutMs;
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

  private stale(expected: number, what: string): StaleVersionError {
    const live = this.version;
    const staged = this.staged?.version ?? null;
    const now = `the live configuration is version ${live}${staged === null ? ' and nothing is staged' : ` and version ${staged} is staged (based on ${this.staged!.base})`}`;
    return new StaleVersionError(expected, live, staged, `stale version: ${what} names version ${expected}, but ${now}; read GET /api/v1/config${staged === null ? '' : ' (or /api/v1/config/staged)'} again, redo the change on it and retry`);
  }

  /**
   * Validates and stages a full configuration — the shape {@link Board.config} and
   * `GET /api/v1/config` return (`version` included) or `{ui_config, actions_config}`. Schema,
   * action loading and unique ids are all checked; every problem is reported at once in a
   * {@link ValidationError}. Buttons naming unknown actions are warnings (returned, logged).
   * `ifMatch` (or the body's `version`) is the version the change was based on: it must be the
   * newest one (the staged version if one is staged, else the live one), else
   * {@link StaleVersionError}. Replaces any staged configuration and tells every browser.
   */
  async stage(input: BoardConfigInput | unknown, opts: { ifMatch?: number } = {}): Promise<StageResult> {
    const { config, version: bodyVersion, names } = parseStageRequest(input);
    if (opts.ifMatch !== undefined && bodyVersion !== undefined && opts.ifMatch !== bodyVersion) {
      throw new BoardStateError(400, `If-Match names version ${opts.ifMatch} but the body's version is ${bodyVersion}; send one, or the same in both`);
    }
    const expected = opts.ifMatch ?? bodyVersion;
    if (expected !== undefined && expected !== (this.staged?.version ?? this.version)) throw this.stale(expected, 'the staged change');
    const { registry, problems } = await ActionRegistry.load(config.actions.actions, this.actionsDir, { ...this.loadOptions, fieldName: (p) => names.format(p) });
    registry.adoptFunctions(this.programmatic);
    const cross = crossCheck(config, registry.ids(), names);
    problems.push(...cross.filter((p) => !p.warning).map((p) => p.text));
    if (problems.length > 0) throw new ValidationError('staged configuration', problems);
    // Loading took a while: another stage may have landed meanwhile.
    if (expected !== undefined && expected !== (this.staged?.version ?? this.version)) throw this.stale(expected, 'the staged change');
    const warnings = cross.filter((p) => p.warning).map((p) => p.text);
    for (const w of warnings) this.log(`warning (staged version ${this.lastVersion + 1}): ${w}`);
    this.staged = { config, registry, version: ++this.lastVersion, base: this.version };
    this.sockets.broadcast({ type: 'staged', payload: { version: this.staged.version } });
    return { version: this.staged.version, warnings };
  }

  /**
   * Applies the staged configuration: its version becomes the live version. `expectedVersion`
   * (HTTP `If-Match` or `?version=`) may name the staged version (apply exactly that one) or the
   * live version the client read (apply only if nothing was applied since the staging); anything
   * else is {@link StaleVersionError}. Prunes live state of buttons that no longer exist and tells
   * every browser. Throws {@link BoardStateError} (404) when nothing is staged.
   */
  apply(expectedVersion?: number): { version: number } {
    const s = this.staged;
    if (!s) throw new BoardStateError(404, 'No staged configuration found to apply.');
    if (expectedVersion !== undefined && expectedVersion !== s.version && !(expectedVersion === s.base && this.version === s.base)) {
      throw this.stale(expectedVersion, 'the apply');
    }
    this.staged = undefined;
    s.registry.adoptFunctions(this.programmatic);
    return this.swapIn(s.config, s.registry, s.version);
  }

  /** Makes `config` live as `version`: prunes live state of vanished buttons and tells every browser. */
  private swapIn(config: BoardConfig, registry: ActionRegistry, version: number): { version: number } {
    this.current = config;
    this.registry = registry;
    this.version = version;
    const ids = new Set(config.ui.pages.flatMap((p) => p.buttons.map((b) => b.id)));
    for (const id of this.liveState.keys()) if (!ids.has(id)) this.liveState.delete(id);
    this.sockets.broadcast({ type: 'navigation_update', payload: { version, stagedVersion: this.staged?.version ?? null, buttons: this.wireStates() } });
    return { version };
  }

  /**
   * Adds a page to the live configuration, or replaces the page with the same id, without going
   * through stage/apply (a staged configuration is left alone). Takes the next version. For
   * programs such as {@link bindTelemetry}. Throws {@link ValidationError} when the result does
   * not hold together.
   */
  upsertPage(page: PageConfigInput): { version: number } {
    const [parsed] = parseUiConfig({ pages: [page] }, 'page').pages;
    const pages = this.current.ui.pages.some((p) => p.id === parsed!.id)
      ? this.current.ui.pages.map((p) => (p.id === parsed!.id ? parsed! : p))
      : [...this.current.ui.pages, parsed!];
    const config: BoardConfig = { ui: { pages }, actions: this.current.actions };
    const problems = crossCheck(config, this.registry.ids());
    if (problems.length > 0) throw new ValidationError('page', problems.map((p) => p.text));
    return this.swapIn(config, this.registry, ++this.lastVersion);
  }

  /** Removes page `id` from the live configuration (taking the next version); returns whether it existed. */
  removePage(id: string): boolean {
    if (!this.current.ui.pages.some((p) => p.id === id)) return false;
    this.swapIn({ ui: { pages: this.current.ui.pages.filter((p) => p.id !== id) }, actions: this.current.actions }, this.registry, ++this.lastVersion);
    return true;
  }

  /** Drops the staged configuration; returns whether one was staged. */
  discard(): boolean {
    const had = this.staged !== undefined;
    this.staged = undefined;
    this.sockets.broadcast({ type: 'discarded', payload: {} });
    return had;
  }

  /**
   * Pushes a live update to a button on every open browser, merged into the button's state
   * (replayed to browsers that connect later). Accepts our keys or actionboard's; unknown keys are
   * ignored. Throws {@link ValidationError} for a bad payload, naming fields as they were sent.
   */
  update(input: ButtonUpdateInput | unknown): UpdateResult {
    const u = parseButtonUpdate(input);
    const state = mergeState(this.liveState.get(u.buttonId), u);
    const known = this.findButton(u.buttonId) !== undefined;
    if (known) this.liveState.set(u.buttonId, state);
    this.sockets.broadcast({ type: 'button_content_update', payload: cleanUpdate(u), state: wireState(state) });
    return { buttonId: u.buttonId, known, state };
  }

  /** @internal The button with `id` in the live configuration. */
  findButton(id: string): ButtonConfig | undefined {
    for (const p of this.current.ui.pages) for (const b of p.buttons) if (b.id === id) return b;
    return undefined;
  }

  /** @internal The page with `id` in the live configuration. */
  findPage(id: string | undefined): PageConfig | undefined {
    return this.current.ui.pages.find((p) => p.id === id);
  }
}
