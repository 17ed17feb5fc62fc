/**
 * The action registry: loads the actions named by the actions config (JS module exports, Python
 * functions, commands), runs them with a timeout (JS in a worker thread unless `inline`, Python
 * and commands in a child process), and turns results into toasts with the reference's rules.
 * Nothing an action does — throw, reject, hang, crash, flood stdout — escapes as an error.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { isRecord, type FieldPath } from './aliases.js';
import { DEFAULT_MAX_OUTPUT_BYTES, runProcess } from './process-action.js';
import { withRelativePaths } from './relative-paths.js';
import type { ActionDef } from './schema.js';

/** An action function: receives the button's params; may return a value or a promise. */
export type ActionFn = (params: Record<string, unknown>) => unknown;

/** The outcome of running an action. */
export type ActionOutcome =
  | { readonly status: 'ok'; readonly value: unknown }
  | { readonly status: 'error' | 'timeout' | 'unknown'; readonly message: string };

/** How a registered action runs. */
type Runner =
  | { readonly kind: 'inline'; readonly fn: ActionFn }
  | { readonly kind: 'worker'; readonly url: string; readonly exportName: string }
  | { readonly kind: 'process'; readonly argv: readonly string[]; readonly cwd: string; readonly maxOutputBytes: number; readonly python: boolean };

/** A registered action. */
interface Entry {
  readonly id: string;
  readonly timeoutMs: number;
  readonly run: Runner;
}

/** Default timeout of an action, in milliseconds. */
export const DEFAULT_ACTION_TIMEOUT_MS = 10_000;

const WORKER_URL = new URL('./action-worker.js', import.meta.url);
/** The python side of python actions (`packages/board/python/ringkit_board_action.py`). */
export const PYTHON_RUNNER = fileURLToPath(new URL('../../python/ringkit_board_action.py', import.meta.url));
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Keeps python from writing `__pycache__` folders into the config or the installed package. */
const PYTHON_ENV = { PYTHONDONTWRITEBYTECODE: '1' };

/** Options of {@link ActionRegistry.load}. */
export interface ActionLoadOptions {
  /** Timeout of actions that set none (default {@link DEFAULT_ACTION_TIMEOUT_MS}). */
  defaultTimeoutMs?: number;
  /** The Python interpreter of python actions (default `$RINGKIT_BOARD_PYTHON`, else `python3`). */
  python?: string;
  /** Writes a field path as the client spelled it (default: our spelling). */
  fieldName?: (path: FieldPath) => string;
}

/**
 * Resolves a module specifier of the actions config: relative specifiers against `baseDir`
 * (the config's directory), bare ones from `baseDir`'s packages, then from this package's.
 */
export function resolveActionModule(specifier: string, baseDir: string): string {
  if (specifier.startsWith('file:')) return specifier;
  if (specifier.startsWith('.') || specifier.startsWith('/')) return new URL(specifier, pathToFileURL(join(baseDir, '/')).href).href;
  try {
    return pathToFileURL(createRequire(join(baseDir, 'noop.js')).resolve(specifier)).href;
  } catch {
    return import.meta.resolve(specifier);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(onTimeout()), ms);
    p.then(
      (v) => { clearTimeout(timer); resolve(v); },
      () => { clearTimeout(timer); resolve(onTimeout()); },
    );
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isModuleNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || (e instanceof Error && /Cannot find (module|package)/.test(e.message));
}

/** The python interpreter's own words when it cannot be started. */
function pythonMissing(python: string): string {
  return `${python} is not installed or not on PATH: python actions need Python 3 (Debian: apt-get install python3; or set RINGKIT_BOARD_PYTHON to the interpreter)`;
}

/** A set of actions by id. Built from an actions config with {@link ActionRegistry.load}. */
export class ActionRegistry {
  private readonly entries = new Map<string, Entry>();

  /** Ids of every registered action. */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether `id` is registered. */
  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Registers a function (run inline, with a timeout) under `id`, replacing any previous one. */
  register(id: string, fn: ActionFn, timeoutMs = DEFAULT_ACTION_TIMEOUT_MS): void {
    this.entries.set(id, { id, timeoutMs, run: { kind: 'inline', fn } });
  }

  /** Removes `id`; returns whether it was registered. */
  unregister(id: string): boolean {
    return this.entries.delete(id);
  }

  /**
   * Builds a registry from action definitions: imports each JS module (resolved against
   * `baseDir`) and checks the export is a function; asks python3 (once, for every python
   * action) whether each module imports and has the function; checks nothing of a command
   * beyond its shape (it runs when clicked). Returns the registry and one problem line per action
   * that could not be loaded (those actions are left out), paths relative to `baseDir`.
   */
  static async load(defs: readonly ActionDef[], baseDir: string, opts: ActionLoadOptions = {}): Promise<{ registry: ActionRegistry; problems: string[] }> {
    const registry = new ActionRegistry();
    const problems: string[] = [];
    const defaultTimeoutMs = opts.defaultTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
    const python = opts.python ?? (process.env.RINGKIT_BOARD_PYTHON || 'python3');
    const field = opts.fieldName ?? ((p: FieldPath) => p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').slice(1));
    const pythonDefs: Array<{ i: number; def: ActionDef; jsError?: string }> = [];
    for (const [i, def] of defs.entries()) {
      const at = (k: string): string => field(['actions', 'actions', i, k]);
      const timeoutMs = def.timeoutMs ?? defaultTimeoutMs;
      const maxOutputBytes = def.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
      if (def.kind === 'command' || (def.kind === undefined && def.argv !== undefined)) {
        const [program, ...args] = def.argv!;
        const resolved = program!.includes('/') ? resolve(baseDir, program!) : program!;
        registry.entries.set(def.id, { id: def.id, timeoutMs, run: { kind: 'process', argv: [resolved, ...args], cwd: baseDir, maxOutputBytes, python: false } });
        continue;
      }
      const module = def.module!;
      if (def.kind === 'python') {
        pythonDefs.push({ i, def });
        continue;
      }
      let url: string;
      let mod: Record<string, unknown>;
      try {
        url = resolveActionModule(module, baseDir);
        mod = (await import(url)) as Record<string, unknown>;
      } catch (e) {
        // actionboard's configs name Python modules without saying so: try python3 for those.
        if (def.kind === undefined && PYTHON_MODULE.test(module) && isModuleNotFound(e)) {
          pythonDefs.push({ i, def, jsError: errorText(e) });
          continue;
        }
        problems.push(withRelativePaths(`${at('module')}: cannot import "${module}" for action "${def.id}": ${errorText(e)}`, baseDir));
        continue;
      }
      const fn = mod[def.export!];
      if (typeof fn !== 'function') {
        problems.push(withRelativePaths(`${at('export')}: "${def.export}" of "${module}" is ${fn === undefined ? 'not exported' : `a ${typeof fn}, not a function`} (action "${def.id}")`, baseDir));
        continue;
      }
      registry.entries.set(def.id, { id: def.id, timeoutMs, run: def.inline ? { kind: 'inline', fn: fn as ActionFn } : { kind: 'worker', url, exportName: def.export! } });
    }
    if (pythonDefs.length > 0) {
      const checked = await checkPython(python, baseDir, pythonDefs.map((p) => [p.def.module!, p.def.export!]));
      pythonDefs.forEach(({ i, def, jsError }, k) => {
        const problem = typeof checked === 'string' ? checked : checked[k];
        if (problem) {
          const notJs = jsError !== undefined ? ` (no JS module of that name either: ${jsError})` : '';
          problems.push(withRelativePaths(`${field(['actions', 'actions', i, 'module'])}: cannot load python action "${def.id}" (${def.module}.${def.export}): ${problem}${notJs}`, baseDir));
          return;
        }
        const run: Runner = { kind: 'process', argv: [python, PYTHON_RUNNER, 'run', def.module!, def.export!], cwd: baseDir, maxOutputBytes: def.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, python: true };
        registry.entries.set(def.id, { id: def.id, timeoutMs: def.timeoutMs ?? defaultTimeoutMs, run });
      });
    }
    return { registry, problems };
  }

  /** Copies the programmatic (inline function) actions of `other` that this registry lacks. */
  adoptFunctions(other: ActionRegistry): void {
    for (const e of other.entries.values()) if (e.run.kind === 'inline' && !this.entries.has(e.id)) this.entries.set(e.id, e);
  }

  /** Runs action `id` with `params`. Never throws or rejects. */
  async run(id: string, params: Record<string, unknown>): Promise<ActionOutcome> {
    const e = this.entries.get(id);
    if (!e) return { status: 'unknown', message: `Action '${id}' not found in registry. Cannot execute.` };
    const timedOut = (): ActionOutcome => ({ status: 'timeout', message: `Action '${id}' timed out after ${e.timeoutMs} ms.` });
    const failed = (message: string): ActionOutcome => ({ status: 'error', message: `Error during execution of action '${id}': ${message}` });
    const r = e.run;
    if (r.kind === 'inline') {
      const p = (async (): Promise<ActionOutcome> => {
        try {
          return { status: 'ok', value: await r.fn(params) };
        } catch (err) {
          return failed(errorText(err));
        }
      })();
      return withTimeout(p, e.timeoutMs, timedOut);
    }
    if (r.kind === 'worker') return this.runInWorker(e, r, params, timedOut, failed);
    const res = await runProcess({ argv: r.argv, cwd: r.cwd, stdin: JSON.stringify(params), timeoutMs: e.timeoutMs, maxOutputBytes: r.maxOutputBytes, env: r.python ? PYTHON_ENV : undefined });
    if (res.status !== 'ok') {
      if (res.status === 'timeout') return timedOut();
      return failed(res.missing && r.python ? pythonMissing(r.argv[0]!) : res.message);
    }
    return r.python ? decodePython(res.stdout, failed) : decodeCommand(res.stdout);
  }

  private runInWorker(e: Entry, job: { url: string; exportName: string }, params: Record<string, unknown>, timedOut: () => ActionOutcome, fail: (m: string) => ActionOutcome): Promise<ActionOutcome> {
    return new Promise<ActionOutcome>((resolve) => {
      let done = false;
      let worker: Worker;
      try {
        worker = new Worker(WORKER_URL, { workerData: { url: job.url, exportName: job.exportName, params } });
      } catch (err) {
        resolve(fail(errorText(err)));
        return;
      }
      const finish = (o: ActionOutcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(o);
        void worker.terminate();
      };
      const timer = setTimeout(() => finish(timedOut()), e.timeoutMs);
      worker.on('message', (m: { ok: boolean; value?: unknown; message?: string }) => finish(m.ok ? { status: 'ok', value: m.value } : fail(m.message ?? 'unknown error')));
      worker.on('error', (err) => finish(fail(errorText(err))));
      worker.on('exit', (code) => finish(fail(`the action's worker exited with code ${code} before answering`)));
    });
  }
}

/** Asks python3 whether each (module, function) loads: a problem (or null) per pair, or one text for all when python3 cannot run. */
async function checkPython(python: string, cwd: string, pairs: Array<[string, string]>): Promise<Array<string | null> | string> {
  const r = await runProcess({ argv: [python, PYTHON_RUNNER, 'check'], cwd, stdin: JSON.stringify(pairs), timeoutMs: 30_000, maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES, env: PYTHON_ENV });
  if (r.status !== 'ok') return r.status === 'error' && r.missing ? pythonMissing(python) : `${python} ${r.message}`;
  try {
    const list = JSON.parse(r.stdout) as unknown;
    if (Array.isArray(list) && list.length === pairs.length) return list.map((x) => (typeof x === 'string' ? x : null));
  } catch { /* reported below */ }
  return `${python} gave an unreadable answer: ${r.stdout.slice(0, 200)}`;
}

/** A python action's answer line: `{ok: true, value}` or `{ok: false, message}`. */
function decodePython(stdout: string, failed: (m: string) => ActionOutcome): ActionOutcome {
  try {
    const m = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { ok?: unknown; value?: unknown; message?: unknown };
    if (m.ok === true) return { status: 'ok', value: m.value };
    if (m.ok === false) return failed(String(m.message));
  } catch { /* reported below */ }
  return failed(`the python runner gave an unreadable answer: ${stdout.slice(0, 200)}`);
}

/** A command's stdout: JSON when it parses, else the trimmed text (empty: no result). */
function decodeCommand(stdout: string): ActionOutcome {
  const text = stdout.trim();
  if (text === '') return { status: 'ok', value: undefined };
  try {
    return { status: 'ok', value: JSON.parse(text) as unknown };
  } catch {
    return { status: 'ok', value: text };
  }
}

/** A toast: its text and whether it reports an error. */
export interface Toast {
  readonly text: string;
  readonly error: boolean;
}


/**
 * The toast for an outcome (the reference's rules): a result object with `error` or
 * `status: "error"` → its `message`, else its `error`, else "Error executing action '<id>'.";
 * otherwise an object's `message`, a non-empty string, or "Action '<id>' completed.".
 */
export function toastFor(actionId: string, o: ActionOutcome): Toast {
  if (o.status !== 'ok') return { text: o.message, error: true };
  const v = o.value;
  if (isRecord(v) && ('error' in v || v.status === 'error')) {
    const text = 'message' in v ? String(v.message) : 'error' in v ? String(v.error) : `Error executing action '${actionId}'.`;
    return { text, error: true };
  }
  if (isRecord(v) && 'message' in v) return { text: String(v.message), error: false };
  if (typeof v === 'string' && v !== '') return { text: v, error: false };
  return { text: `Action '${actionId}' completed.`, error: false };
}
