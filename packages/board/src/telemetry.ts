/**
 * Binds pipeline telemetry to a board: a "Pipeline" page with a button per stage (sparkline of
 * its rate) and per ring (sparkline of its fill, rate overlaid), refreshed from
 * `source.snapshot()` every ~500 ms, plus pause / resume / stop buttons wired to `controls`.
 */
import { InvalidArgumentError } from '@ringkit/core';
import type { Board } from './server.js';
import type { ButtonConfig, PageConfig } from './schema.js';

/** One telemetry sample of a running pipeline. */
export interface TelemetrySnapshot {
  /** Sample time (ms, any monotonic origin). */
  t: number;
  /** Rings: capacity, sequences published, fill (0..1) and publish rate. */
  rings: Array<{ name: string; capacity: number; published: number; fill: number; ratePerSec: number }>;
  /**
   * Stages: batches handled, mean batch size, busy fraction (0..1) and entry rate; optionally the
   * pipeline's stage state (`'stalled'` turns the button red with a warning) and its restarts.
   */
  stages: Array<{ name: string; batches: number; avgBatch: number; busy: number; ratePerSec: number; state?: string; restarts?: number }>;
}

/** Anything that can be sampled for telemetry. */
export interface TelemetrySource {
  /** The current sample. */
  snapshot(): TelemetrySnapshot;
}

/** Controls of the running pipeline, wired to the page's pause / resume / stop buttons. */
export interface PipelineControls {
  /** Pauses the generator. */
  pause(): void;
  /** Resumes the generator. */
  resume(): void;
  /** Stops the pipeline. */
  stop(): Promise<unknown>;
}

/** Options of {@link bindTelemetry}. */
export interface TelemetryOptions {
  /** Sampling period in ms (default 500). */
  intervalMs?: number;
  /** Points kept per sparkline (default 60). */
  points?: number;
  /** Id of the page (default `pipeline`). */
  pageId?: string;
  /** Tab label (default `Pipeline`). */
  pageName?: string;
}

/** A live binding; {@link TelemetryBinding.unbind} stops sampling and removes the page. */
export interface TelemetryBinding {
  /** Takes one sample now and pushes it (also done by the timer). */
  tick(): void;
  /** The last error met while sampling (thrown by `source.snapshot()`, or a sample the board rejected). */
  readonly lastError: unknown;
  /** Stops sampling, unregisters nothing else, and removes the page from the board. */
  unbind(): void;
}

/** A button id for a stage or ring name (ids allow letters, digits, `_ . : -`). */
export function telemetryButtonId(kind: 'stage' | 'ring', name: string): string {
  return `pipeline-${kind}-${name.slice(0, 150).replace(/[^A-Za-z0-9_.:-]/g, '_')}`;
}

/** Button ids for a list of names, made unique (`-2`, `-3`, ... on collisions). */
function uniqueIds(kind: 'stage' | 'ring', names: readonly string[], taken: Set<string>): string[] {
  return names.map((n) => {
    const base = telemetryButtonId(kind, n);
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
    taken.add(id);
    return id;
  });
}

const label = (name: string): string => (name.length > 100 ? `${name.slice(0, 99)}…` : name);

/** `12345.6` → `12.3k`. */
export function formatRate(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(a >= 100 || v === Math.trunc(v) ? 0 : 1);
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/**
 * Adds the Pipeline page to `board` and keeps it live from `source`. Registers the program
 * actions `pipeline.describe`, and with `controls` also `pipeline.pause`, `pipeline.resume` and
 * `pipeline.stop`.
 */
export function bindTelemetry(board: Board, source: TelemetrySource, controls?: PipelineControls, opts: TelemetryOptions = {}): TelemetryBinding {
  const intervalMs = opts.intervalMs ?? 500;
  const points = opts.points ?? 60;
  const pageId = opts.pageId ?? 'pipeline';
  const pageName = opts.pageName ?? 'Pipeline';
  if (!(intervalMs >= 20)) throw new InvalidArgumentError(`opts.intervalMs must be >= 20: intervalMs=${intervalMs}`);
  if (!Number.isInteger(points) || points < 2) throw new InvalidArgumentError(`opts.points must be an integer >= 2: points=${points}`);

  const series = new Map<string, number[]>();
  const push = (key: string, v: number): number[] => {
    let s = series.get(key);
    if (!s) series.set(key, (s = []));
    s.push(Number.isFinite(v) ? v : 0);
    if (s.length > points) s.splice(0, s.length - points);
    return s;
  };
  let last: TelemetrySnapshot | undefined;
  let shape = '';
  let stageIds: string[] = [];
  let ringIds: string[] = [];
  let lastError: unknown;

  board.registerAction('pipeline.describe', (params) => {
    if (!last) return { status: 'error', message: 'No telemetry sample yet.' };
    const name = String(params.name);
    if (params.kind === 'ring') {
      const r = last.rings.find((x) => x.name === name);
      return r ? { message: `ring ${r.name}: capacity ${r.capacity}, published ${r.published}, fill ${pct(r.fill)}, ${formatRate(r.ratePerSec)}/s` } : { status: 'error', message: `No ring named '${name}'.` };
    }
    const s = last.stages.find((x) => x.name === name);
    return s ? { message: `stage ${s.name}: ${s.batches} batches, avg batch ${s.avgBatch.toFixed(1)}, busy ${pct(s.busy)}, ${formatRate(s.ratePerSec)}/s` } : { status: 'error', message: `No stage named '${name}'.` };
  });
  if (controls) {
    board.registerAction('pipeline.pause', () => { controls.pause(); return { message: 'Generator paused.' }; });
    board.registerAction('pipeline.resume', () => { controls.resume(); return { message: 'Generator resumed.' }; });
    board.registerAction('pipeline.stop', async () => { await controls.stop(); return { message: 'Pipeline stopped.' }; }, { timeoutMs: 30_000 });
  }

  const buildPage = (snap: TelemetrySnapshot): PageConfig => {
    const buttons: ButtonConfig[] = [];
    snap.stages.forEach((s, i) => buttons.push({ id: stageIds[i]!, text: `stage ${label(s.name)}`, icon: 'workflow', style: 'button-primary', action: 'pipeline.describe', params: { kind: 'stage', name: s.name } }));
    snap.rings.forEach((r, i) => buttons.push({ id: ringIds[i]!, text: `ring ${label(r.name)}`, icon: 'database', style: 'button-secondary', action: 'pipeline.describe', params: { kind: 'ring', name: r.name } }));
    if (controls) {
      buttons.push({ id: 'pipeline-pause', text: 'Pause generator', icon: 'pause', style: 'button-warning', action: 'pipeline.pause', params: {} });
      buttons.push({ id: 'pipeline-resume', text: 'Resume generator', icon: 'play', style: 'button-success', action: 'pipeline.resume', params: {} });
      buttons.push({ id: 'pipeline-stop', text: 'Stop pipeline', icon: 'square', style: 'button-danger', action: 'pipeline.stop', params: {} });
    }
    return { id: pageId, name: pageName, layout: 'grid', gridColumns: 3, buttons };
  };

  const sample = (): void => {
    const snap = source.snapshot();
    last = snap;
    const nextShape = JSON.stringify([snap.stages.map((s) => s.name), snap.rings.map((r) => r.name)]);
    if (nextShape !== shape) {
      const taken = new Set<string>();
      stageIds = uniqueIds('stage', snap.stages.map((s) => s.name), taken);
      ringIds = uniqueIds('ring', snap.rings.map((r) => r.name), taken);
      board.upsertPage(buildPage(snap));
      shape = nextShape;
    }
    snap.stages.forEach((s, i) => {
      const id = stageIds[i]!;
      const stalled = s.state === 'stalled';
      const restarts = (s.restarts ?? 0) > 0 ? ` · restarts ${s.restarts}` : '';
      board.update({
        buttonId: id,
        text: `${stalled ? '⚠ STALLED · ' : ''}${label(s.name)} · ${formatRate(s.ratePerSec)}/s · busy ${pct(s.busy)}${restarts}`,
        style: stalled ? 'button-danger' : 'button-primary',
        sparkline: { data: push(id, s.ratePerSec), color: '#FFC107', strokeWidth: 2 },
      });
    });
    snap.rings.forEach((r, i) => {
      const id = ringIds[i]!;
      board.update({
        buttonId: id,
        text: `${label(r.name)} · fill ${pct(r.fill)} · ${formatRate(r.ratePerSec)}/s`,
        sparkline: { data: push(`${id}/fill`, r.fill), min: 0, max: 1, color: '#7FDBFF', strokeWidth: 2, overlay: { data: push(`${id}/rate`, r.ratePerSec), color: '#FFC107', strokeWidth: 1.5 } },
      });
    });
  };
  // Runs from a timer: nothing the source returns may throw out of it.
  const tick = (): void => {
    try {
      sample();
    } catch (e) {
      lastError = e;
    }
  };

  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    tick,
    get lastError() { return lastError; },
    unbind() {
      clearInterval(timer);
      board.removePage(pageId);
    },
  };
}
