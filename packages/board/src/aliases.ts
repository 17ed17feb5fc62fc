/**
 * The reference's (actionboard's) snake_case spellings of our keys, and the renaming that
 * accepts them: every payload is normalised to our camelCase keys before validation, and the
 * spelling each client used is remembered, so a problem names the field the client actually
 * sent (`ui_config.pages[0].grid_columns`, `icon_class`), not our internal name.
 */

/** The reference's spellings, mapped to ours, per object kind. */
export const ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  board: { ui_config: 'ui', actions_config: 'actions' },
  page: { grid_columns: 'gridColumns' },
  button: { action_id: 'action', action_params: 'params', icon_class: 'icon', style_class: 'style', dynamic_content_url: 'dynamicContentUrl' },
  action: { function: 'export', timeout_ms: 'timeoutMs', max_output_bytes: 'maxOutputBytes' },
  update: { button_id: 'buttonId', icon_class: 'icon', style_class: 'style' },
  sparkline: { stroke_width: 'strokeWidth' },
};

/** A path into a payload: object keys and array indexes. */
export type FieldPath = readonly PropertyKey[];

/** Whether `v` is a plain (non-array) object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(prefix: string, key: PropertyKey): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix ? `${prefix}.${String(key)}` : String(key);
}

/**
 * The key spellings one payload used. {@link SentNames.rename} normalises one object's keys and
 * records every alias met; {@link SentNames.format} writes a path in the client's spelling.
 */
export class SentNames {
  /** Canonical path of a renamed key → the key as the client sent it. */
  private readonly sent = new Map<string, string>();
  /** Problems met while renaming (the same field given under two spellings). */
  readonly problems: string[] = [];

  /** Writes `path` (canonical keys) as the client spelled it, e.g. `ui_config.pages[0].grid_columns`. */
  format(path: FieldPath): string {
    let canonical = '';
    let out = '';
    for (const key of path) {
      canonical = join(canonical, key);
      out = join(out, typeof key === 'number' ? key : (this.sent.get(canonical) ?? String(key)));
    }
    return out || '(root)';
  }

  /**
   * Renames the alias keys of object `v` (of `kind`, at canonical `path`) to ours; giving both
   * spellings of one field is recorded as a problem. Non-objects are returned unchanged.
   */
  rename(v: unknown, kind: string, path: FieldPath): unknown {
    if (!isRecord(v)) return v;
    const map = ALIASES[kind] ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) {
      const to = map[k] ?? k;
      if (Object.hasOwn(out, to)) this.problems.push(`${this.format([...path, to])}: given twice (as "${to}" and as an alias); use one spelling`);
      if (to !== k) this.sent.set(join(canonicalOf(path), to), k);
      out[to] = val;
    }
    return out;
  }
}

function canonicalOf(path: FieldPath): string {
  let s = '';
  for (const k of path) s = join(s, k);
  return s;
}
