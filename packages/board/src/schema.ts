/**
 * Schemas of everything the board reads: the UI config, the actions config, the full-board
 * update that is staged, and the live button update. Validated with zod; every problem is
 * reported with the path of the field it concerns.
 *
 * Keys are camelCase; the reference's snake_case spellings (`grid_columns`, `action_id`,
 * `action_params`, `icon_class`, `style_class`, `button_id`, `stroke_width`, `function`,
 * `ui_config`, `actions_config`) are accepted as aliases and normalised before validation.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '@ringkit/core';

const id = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.:-]+$/, 'must contain only letters, digits, "_", ".", ":" and "-"');
/** A CSS class list: letters, digits, `_`, `-` and spaces; empty removes the custom style. */
const styleClass = z.string().max(200).regex(/^[A-Za-z0-9_ -]*$/, 'must be a CSS class list (letters, digits, "_", "-", spaces)');
/** A lucide icon name (`clock`, `hand`, ...); empty hides the icon. Existence is checked by the board. */
const iconName = z.string().max(100).regex(/^[a-z0-9-]*$/, 'must be a lucide-static icon name such as "clock" (lowercase letters, digits, "-")');
const color = z.string().max(64).regex(/^[#A-Za-z0-9(),.% -]*$/, 'must be a CSS color such as "#FFC107" or "currentColor"');

/** One button of a page. */
export const buttonSchema = z.strictObject({
  id,
  text: z.string().max(500),
  icon: iconName.nullish(),
  style: styleClass.nullish(),
  action: id,
  params: z.record(z.string(), z.unknown()).default({}),
  dynamicContentUrl: z.string().nullish(),
});

/** One page (tab) of the board. */
export const pageSchema = z.strictObject({
  name: z.string().min(1).max(200),
  id,
  layout: z.string().max(50).default('grid'),
  gridColumns: z.number().int().positive().max(24).nullable().default(3),
  buttons: z.array(buttonSchema).max(1000),
});

/** The UI config: the pages, in tab order. */
export const uiConfigSchema = z.strictObject({ pages: z.array(pageSchema).max(200) });

/** One action: the module specifier and the name of the exported function. */
export const actionDefSchema = z.strictObject({
  id,
  module: z.string().min(1).max(1000),
  export: z.string().min(1).max(200),
  /** Run in the server's thread instead of a fresh worker thread (default false). */
  inline: z.boolean().default(false),
  /** Milliseconds before the action is abandoned (and its worker terminated). */
  timeoutMs: z.number().int().positive().max(600_000).optional(),
});

/** The actions config. */
export const actionsConfigSchema = z.strictObject({ actions: z.array(actionDefSchema).max(1000) });

/** A full-board configuration (the body of `POST /api/v1/config/stage`). */
export const boardConfigSchema = z.strictObject({ ui: uiConfigSchema, actions: actionsConfigSchema });

const sparklineSeries = {
  data: z.array(z.number().finite()).max(10_000),
  color: color.nullish(),
  strokeWidth: z.number().finite().min(0).max(50).nullish(),
  /** Fixed bottom of the scale (default: the data's minimum). */
  min: z.number().finite().nullish(),
  /** Fixed top of the scale (default: the data's maximum). */
  max: z.number().finite().nullish(),
};

/** Sparkline payload: data points, optional colour, width, fixed scale and an overlaid series. */
export const sparklineSchema = z.strictObject({
  ...sparklineSeries,
  overlay: z.strictObject(sparklineSeries).nullish(),
});

/** A live update of one button (the body of `POST /api/v1/buttons/update_content`). */
export const buttonUpdateSchema = z.strictObject({
  buttonId: id,
  text: z.string().max(500).nullish(),
  icon: iconName.nullish(),
  style: styleClass.nullish(),
  sparkline: sparklineSchema.nullish(),
});

/** A validated button. */
export type ButtonConfig = z.output<typeof buttonSchema>;
/** A validated page. */
export type PageConfig = z.output<typeof pageSchema>;
/** A page as written by a user or program (defaults may be omitted). */
export type PageConfigInput = z.input<typeof pageSchema>;
/** A validated UI config. */
export type UiConfig = z.output<typeof uiConfigSchema>;
/** A validated action definition. */
export type ActionDef = z.output<typeof actionDefSchema>;
/** A validated actions config. */
export type ActionsConfig = z.output<typeof actionsConfigSchema>;
/** A validated full-board configuration. */
export type BoardConfig = z.output<typeof boardConfigSchema>;
/** A full-board configuration as written by a user (defaults may be omitted). */
export type BoardConfigInput = z.input<typeof boardConfigSchema>;
/** A validated live button update. */
export type ButtonUpdate = z.output<typeof buttonUpdateSchema>;
/** A live button update as sent by a client. */
export type ButtonUpdateInput = z.input<typeof buttonUpdateSchema>;
/** A sparkline payload. */
export type SparklineInput = z.input<typeof sparklineSchema>;

/** The reference's spellings, mapped to ours, per object kind. */
const ALIASES: Record<string, Record<string, string>> = {
  board: { ui_config: 'ui', actions_config: 'actions' },
  page: { grid_columns: 'gridColumns' },
  button: { action_id: 'action', action_params: 'params', icon_class: 'icon', style_class: 'style', dynamic_content_url: 'dynamicContentUrl' },
  action: { function: 'export', timeout_ms: 'timeoutMs' },
  update: { button_id: 'buttonId', icon_class: 'icon', style_class: 'style' },
  sparkline: { stroke_width: 'strokeWidth' },
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Renames alias keys of one object; both spellings at once is an error. */
function renameKeys(v: unknown, kind: string, path: string, problems: string[]): unknown {
  if (!isRecord(v)) return v;
  const map = ALIASES[kind] ?? {};
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    const to = map[k] ?? k;
    if (Object.hasOwn(out, to)) problems.push(`${path}${to}: given twice (as "${to}" and an alias); use one spelling`);
    out[to] = val;
  }
  return out;
}

function mapArray(v: unknown, f: (item: unknown, i: number) => unknown): unknown {
  return Array.isArray(v) ? v.map(f) : v;
}

function normaliseSparkline(v: unknown, path: string, problems: string[]): unknown {
  const s = renameKeys(v, 'sparkline', path, problems);
  if (isRecord(s) && isRecord(s.overlay)) s.overlay = renameKeys(s.overlay, 'sparkline', `${path}overlay.`, problems);
  return s;
}

function normaliseUi(v: unknown, path: string, problems: string[]): unknown {
  if (!isRecord(v)) return v;
  return {
    ...v,
    pages: mapArray(v.pages, (p, i) => {
      const page = renameKeys(p, 'page', `${path}pages[${i}].`, problems);
      if (!isRecord(page)) return page;
      return { ...page, buttons: mapArray(page.buttons, (b, j) => renameKeys(b, 'button', `${path}pages[${i}].buttons[${j}].`, problems)) };
    }),
  };
}

function normaliseActions(v: unknown, path: string, problems: string[]): unknown {
  if (!isRecord(v)) return v;
  return { ...v, actions: mapArray(v.actions, (a, i) => renameKeys(a, 'action', `${path}actions[${i}].`, problems)) };
}

/** Formats zod issues as `path: message` lines. */
function formatIssues(prefix: string, error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const p = i.path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), prefix);
    return `${p || '(root)'}: ${i.message}`;
  });
}

/** A payload failed validation; `problems` lists every field at fault as `path: message`. */
export class ValidationError extends InvalidArgumentError {
  /** One `path: message` line per problem. */
  readonly problems: readonly string[];
  /** What was validated (`button update`, `board config`, `staged configuration`, ...). */
  readonly what: string;
  constructor(what: string, problems: readonly string[]) {
    super(`invalid ${what}: ${problems.join('; ')}`);
    this.problems = problems;
    this.what = what;
  }
}
ValidationError.prototype.name = 'ValidationError';

function parseWith<S extends z.ZodType>(schema: S, what: string, prefix: string, input: unknown, problems: string[]): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) problems.push(...formatIssues(prefix, r.error));
  if (problems.length > 0 || !r.success) throw new ValidationError(what, problems);
  return r.data;
}

/** Validates a UI config (reference or camelCase spelling). Throws {@link ValidationError}. */
export function parseUiConfig(input: unknown, prefix = ''): UiConfig {
  const problems: string[] = [];
  const base = prefix ? `${prefix}.` : '';
  return parseWith(uiConfigSchema, 'UI config', prefix, normaliseUi(input, base, problems), problems);
}

/** Validates an actions config (reference or camelCase spelling). Throws {@link ValidationError}. */
export function parseActionsConfig(input: unknown, prefix = ''): ActionsConfig {
  const problems: string[] = [];
  const base = prefix ? `${prefix}.` : '';
  return parseWith(actionsConfigSchema, 'actions config', prefix, normaliseActions(input, base, problems), problems);
}

/** Validates a full-board configuration `{ui, actions}` (or `{ui_config, actions_config}`). */
export function parseBoardConfig(input: unknown): BoardConfig {
  const problems: string[] = [];
  const v = renameKeys(input, 'board', '', problems);
  const norm = isRecord(v) ? { ...v, ui: normaliseUi(v.ui, 'ui.', problems), actions: normaliseActions(v.actions, 'actions.', problems) } : v;
  return parseWith(boardConfigSchema, 'board config', '', norm, problems);
}

/** Validates a live button update. Throws {@link ValidationError}. */
export function parseButtonUpdate(input: unknown): ButtonUpdate {
  const problems: string[] = [];
  const v = renameKeys(input, 'update', '', problems);
  const norm = isRecord(v) && isRecord(v.sparkline) ? { ...v, sparkline: normaliseSparkline(v.sparkline, 'sparkline.', problems) } : v;
  return parseWith(buttonUpdateSchema, 'button update', '', norm, problems);
}

/**
 * Cross-reference checks zod cannot express: unique page ids, unique button ids across pages,
 * unique action ids, and every button's `action` defined (in the config or registered by the
 * program: `extraActionIds`). Returns every problem found (empty when the config is sound).
 */
export function crossCheck(config: BoardConfig, extraActionIds: Iterable<string> = []): string[] {
  const problems: string[] = [];
  const actionIds = new Set<string>(extraActionIds);
  const seenActions = new Set<string>();
  config.actions.actions.forEach((a, i) => {
    if (seenActions.has(a.id)) problems.push(`actions.actions[${i}].id: duplicate action id "${a.id}"`);
    seenActions.add(a.id);
    actionIds.add(a.id);
  });
  const pageIds = new Set<string>();
  const buttonIds = new Set<string>();
  config.ui.pages.forEach((p, i) => {
    if (pageIds.has(p.id)) problems.push(`ui.pages[${i}].id: duplicate page id "${p.id}"`);
    pageIds.add(p.id);
    p.buttons.forEach((b, j) => {
      const at = `ui.pages[${i}].buttons[${j}]`;
      if (buttonIds.has(b.id)) problems.push(`${at}.id: duplicate button id "${b.id}"`);
      buttonIds.add(b.id);
      if (!actionIds.has(b.action)) problems.push(`${at}.action: unknown action id "${b.action}" (defined: ${[...actionIds].join(', ') || 'none'})`);
    });
  });
  return problems;
}
