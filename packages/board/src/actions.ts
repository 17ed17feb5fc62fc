/**
 * The action registry: loads action modules named by the actions config, runs actions with a
 * timeout (in a worker thread unless `inline`), and turns results into toasts with the
 * reference's rules. Nothing an action does — throw, reject, hang, crash — escapes as an error.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { ActionDef } from './schema.js';

/** An action function: receives the button's params; may return a value or a promise. */
export type ActionFn = (params: Record<string, unknown>) => unknown;

/** The outcome of running an action. */
export type ActionOutcome =
  | { readonly status: 'ok'; readonly value: unknown }
  | { readonly status: 'error' | 'timeout' | 'unknown'; readonly message: string };

/** A registered action. */
interface Entry {
  readonly id: string;
  readonly timeoutMs: number;
  /** Module URL + export for worker execution, or the function itself for inline execution. */
  readonly run: { url: string; exportName: string } | ActionFn;
}

/** Default timeout of an action, in milliseconds. */
export const DEFAULT_ACTION_TIMEOUT_MS = 10_000;

const WORKER_URL = new URL('./action-worker.js', import.meta.url);

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
    this.entries.set(id, { id, timeoutMs, run: fn });
  }

  /** Removes `id`; returns whether it was registered. */
  unregister(id: string): boolean {
    return this.entries.delete(id);
  }

  /**
   * Builds a registry from action definitions: imports each module (resolved against
   * `baseDir`) and checks the export is a function. Returns the registry and one problem line
   * per action that could not be loaded (those actions are left out).
   */
  static async load(defs: readonly ActionDef[], baseDir: string, defaultTimeoutMs = DEFAULT_ACTION_TIMEOUT_MS): Promise<{ registry: ActionRegistry; problems: string[] }> {
    const registry = new ActionRegistry();
    const problems: string[] = [];
    for (const [i, def] of defs.entries()) {
      const at = `actions.actions[${i}]`;
      let url: string;
      let mod: Record<string, unknown>;
      try {
        url = resolveActionModule(def.module, baseDir);
        mod = (await import(url)) as Record<string, unknown>;
      } catch (e) {
        problems.push(`${at}.module: cannot import "${def.module}" for action "${def.id}": ${errorText(e)}`);
        continue;
      }
      const fn = mod[def.export];
      if (typeof fn !== 'function') {
        problems.push(`${at}.export: "${def.export}" of "${def.module}" is ${fn === undefined ? 'not exported' : `a ${typeof fn}, not a function`} (action "${def.id}")`);
        continue;
      }
      const timeoutMs = def.timeoutMs ?? defaultTimeoutMs;
      registry.entries.set(def.id, { id: def.id, timeoutMs, run: def.inline ? (fn as ActionFn) : { url, exportName: def.export } });
    }
    return { registry, problems };
  }

  /** Copies the programmatic (inline function) actions of `other` that this registry lacks. */
  adoptFunctions(other: ActionRegistry): void {
    for (const e of other.entries.values()) if (typeof e.run === 'function' && !this.entries.has(e.id)) this.entries.set(e.id, e);
  }

  /** Runs action `id` with `params`. Never throws or rejects. */
  async run(id: string, params: Record<string, unknown>): Promise<ActionOutcome> {
    const e = this.entries.get(id);
    if (!e) return { status: 'unknown', message: `Action '${id}' not found in registry. Cannot execute.` };
    const timedOut = (): ActionOutcome => ({ status: 'timeout', message: `Action '${id}' timed out after ${e.timeoutMs} ms.` });
    if (typeof e.run === 'function') {
      const fn = e.run;
      const p = (async (): Promise<ActionOutcome> => {
        try {
          return { status: 'ok', value: await fn(params) };
        } catch (err) {
          return { status: 'error', message: `Error during execution of action '${id}': ${errorText(err)}` };
        }
      })();
      return withTimeout(p, e.timeoutMs, timedOut);
    }
    return this.runInWorker(e, e.run, params, timedOut);
  }

  private runInWorker(e: Entry, job: { url: string; exportName: string }, params: Record<string, unknown>, timedOut: () => ActionOutcome): Promise<ActionOutcome> {
    return new Promise<ActionOutcome>((resolve) => {
      let done = false;
      const fail = (message: string): ActionOutcome => ({ status: 'error', message: `Error during execution of action '${e.id}': ${message}` });
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

/** A toast: its text and whether it reports an error. */
export interface Toast {
  readonly text: string;
  readonly error: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
