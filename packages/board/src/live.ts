/**
 * Live button state: the sparkline maths and the per-button merge of live updates. The server
 * keeps one merged {@link ButtonState} per button and sends it with every broadcast and, as a
 * snapshot, to every browser that connects; browsers apply states and never merge themselves.
 */
import type { ButtonUpdate, SparklineInput } from './schema.js';

/** The sparkline SVG's `viewBox` (x0, y0, width, height), as in the reference. */
export const SPARKLINE_VIEWBOX = { x: 0, y: 0, w: 100, h: 25 } as const;

/**
 * SVG path data of a sparkline (the reference's maths): x_i = i/(n−1)·w,
 * y_i = h − (v_i − min)/(max − min)·h, flat mid-height line when max = min. `min`/`max` fix the
 * scale (values outside are clamped). Extensions: one point draws a flat line across the whole
 * width at that point's height; no point gives `''`.
 *
 * @example sparklinePath([1, 2, 3]) === 'M 0,25 L 50,12.5 L 100,0'
 */
export function sparklinePath(data: readonly number[], min?: number | null, max?: number | null): string {
  const n = data.length;
  if (n === 0) return '';
  const { x: x0, y: y0, w, h } = SPARKLINE_VIEWBOX;
  let lo = min ?? Infinity;
  let hi = max ?? -Infinity;
  if (min == null || max == null) {
    for (const v of data) {
      if (min == null && v < lo) lo = v;
      if (max == null && v > hi) hi = v;
    }
  }
  const range = hi - lo;
  const y = (v: number): number => {
    if (!(range > 0)) return y0 + h / 2;
    const t = (Math.min(hi, Math.max(lo, v)) - lo) / range;
    return y0 + h - t * h;
  };
  if (n === 1) return `M ${x0},${y(data[0]!)} L ${x0 + w},${y(data[0]!)}`;
  const pts: string[] = [];
  for (let i = 0; i < n; i++) pts.push(`${x0 + (i / (n - 1)) * w},${y(data[i]!)}`);
  return `M ${pts.join(' L ')}`;
}

/** One drawn series of a sparkline as sent to browsers. */
export interface SparklineSeriesState {
  /** The data points. */
  readonly data: number[];
  /** Stroke colour (default `currentColor`). */
  readonly color: string;
  /** Stroke width (default 1.5; 0 is honoured). */
  readonly strokeWidth: number;
  /** SVG path data computed by {@link sparklinePath}. */
  readonly path: string;
}

/** A sparkline as sent to browsers: its main series and an optional overlaid one. */
export interface SparklineState extends SparklineSeriesState {
  /** A second series drawn over the first, scaled on its own. */
  readonly overlay?: SparklineSeriesState;
}

/** The merged live state of one button. Absent fields keep the configured content. */
export interface ButtonState {
  /** Label (also the tooltip). */
  text?: string;
  /** Extra CSS class list; `''` reverts to the default style. */
  style?: string;
  /** Icon name; `''` hides the icon. Absent while a sparkline is shown. */
  icon?: string;
  /** The sparkline shown instead of the icon. Absent while an icon is shown. */
  sparkline?: SparklineState;
}

function seriesState(s: Omit<SparklineInput, 'overlay'>): SparklineSeriesState {
  const data = [...s.data];
  return { data, color: s.color || 'currentColor', strokeWidth: s.strokeWidth ?? 1.5, path: sparklinePath(data, s.min, s.max) };
}

/** Fills a sparkline payload's defaults and computes its paths. */
export function sparklineState(s: SparklineInput): SparklineState {
  const main = seriesState(s);
  return s.overlay ? { ...main, overlay: seriesState(s.overlay) } : main;
}

/** A sparkline series as it goes over the wire (actionboard's key names). */
export interface WireSparklineSeries {
  readonly data: number[];
  readonly color: string;
  readonly stroke_width: number;
  /** SVG path data computed by {@link sparklinePath}. */
  readonly path: string;
}

/** A button's merged state as it goes over the wire: actionboard's key names. */
export interface WireButtonState {
  text?: string;
  icon_class?: string;
  style_class?: string;
  sparkline?: WireSparklineSeries & { overlay?: WireSparklineSeries };
}

function wireSeries(s: SparklineSeriesState): WireSparklineSeries {
  return { data: s.data, color: s.color, stroke_width: s.strokeWidth, path: s.path };
}

/** A button state in actionboard's key names (`icon_class`, `style_class`, `stroke_width`), as sent on the WebSocket and in API answers. */
export function wireState(s: ButtonState): WireButtonState {
  const out: WireButtonState = {};
  if (s.text !== undefined) out.text = s.text;
  if (s.icon !== undefined) out.icon_class = s.icon;
  if (s.style !== undefined) out.style_class = s.style;
  if (s.sparkline) out.sparkline = s.sparkline.overlay ? { ...wireSeries(s.sparkline), overlay: wireSeries(s.sparkline.overlay) } : wireSeries(s.sparkline);
  return out;
}

/**
 * The update as broadcast, in the reference's form: actionboard's key names (`button_id`,
 * `icon_class`, `style_class`, `stroke_width`), nulls removed, sparkline defaults filled
 * (`color: "currentColor"`, `stroke_width: 1.5`).
 */
export function cleanUpdate(u: ButtonUpdate): Record<string, unknown> {
  const out: Record<string, unknown> = { button_id: u.buttonId };
  if (u.text != null) out.text = u.text;
  if (u.icon != null) out.icon_class = u.icon;
  if (u.style != null) out.style_class = u.style;
  if (u.sparkline != null) {
    const series = (x: Omit<SparklineInput, 'overlay'>): Record<string, unknown> => {
      const o: Record<string, unknown> = { data: x.data, color: x.color || 'currentColor', stroke_width: x.strokeWidth ?? 1.5 };
      if (x.min != null) o.min = x.min;
      if (x.max != null) o.max = x.max;
      return o;
    };
    out.sparkline = u.sparkline.overlay != null ? { ...series(u.sparkline), overlay: series(u.sparkline.overlay) } : series(u.sparkline);
  }
  return out;
}

/**
 * Merges an update into a button's state with the reference's precedence: text and style are
 * independent; for the graphic, a sparkline with data wins, else an icon string, else a
 * sparkline with no data (`{data: []}`) clears the sparkline — and the icon stays hidden when
 * the sparkline had replaced it. `null` fields, `sparkline: null` included, change nothing (in
 * the reference nulls are dropped before anything sees them).
 */
export function mergeState(prev: ButtonState | undefined, u: ButtonUpdate): ButtonState {
  const next: ButtonState = { ...prev };
  if (u.text != null) next.text = u.text;
  if (u.style != null) next.style = u.style;
  if (u.sparkline && u.sparkline.data.length > 0) {
    next.sparkline = sparklineState(u.sparkline);
    delete next.icon;
  } else if (u.icon != null) {
    next.icon = u.icon;
    delete next.sparkline;
  } else if (u.sparkline) {
    if (next.sparkline) next.icon = '';
    delete next.sparkline;
  }
  return next;
}
