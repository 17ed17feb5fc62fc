/**
 * Schemas of everything the board reads: the UI config, the actions config, the full-board
 * configuration that is staged, and the live button update. Validated with zod; every problem
 * is reported with the path of the field it concerns, spelled as the client sent it.
 *
 * Keys are camelCase; the reference's snake_case spellings (`grid_columns`, `action_id`,
 * `action_params`, `icon_class`, `style_class`, `button_id`, `stroke_width`, `function`,
 * `ui_config`, `actions_config`) are accepted as aliases (see `aliases.ts`). Configs are strict
 * (an unknown key is a typo to report); live updates ignore unknown keys, as the reference does.
 */
import { z } from 'zod';
import { isRecord, SentNames, type FieldPath } from './aliases.js';
import { ValidationError } from './errors.js';
import { iconProblem } from './icons.js';

const ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const id = z.string().min(1).max(200).regex(ID_PATTERN, 'must contain only letters, digits, "_", ".", ":" and "-"');
/** A CSS class list: letters, digits, `_`, `-` and spaces; empty removes the custom style. */
const styleClass = z.string().max(200).regex(/^[A-Za-z0-9_ -]*$/, 'must be a CSS class list (letters, digits, "_", "-", spaces)');
/** A lucide icon name (`clock`) or FontAwesome Free classes (`fas fa-sync fa-spin`); empty hides the icon. */
const icon = z.string().max(200).superRefine((v, ctx) => {
  const problem = iconProblem(v);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
const color = z.string().max(64).regex(/^[#A-Za-z0-9(),.% -]*$/, 'must be a CSS color such as "#FFC107" or "currentColor"');
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** One button of a page. */
export const buttonSchema = z.strictObject({
  id,
  text: z.string().max(500),
  icon: icon.nullish(),
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

/**
 * One action. Three kinds:
 * - `module` (default): `module` (a JS module specifier, or a path relative to the config file)
 *   and its `export`, run in a worker thread (or in the server's thread with `inline: true`);
 * - `python`: `module` (a dotted Python module name) and `export` (alias `function`, as in
 *   actionboard), called with the params as keyword arguments through `python3`;
 * - `command`: `argv` run without a shell, the params as JSON on stdin, the result as JSON on stdout.
 *
 * Without `kind`: `command` when `argv` is given; else `module`, or `python` when the module is a
 * dotted Python name that no JS module answers to (so actionboard's configs load unchanged).
 */
export const actionDefSchema = z.strictObject({
  id,
  kind: z.enum(['module', 'python', 'command']).optional(),
  module: z.string().min(1).max(1000).optional(),
  export: z.string().min(1).max(200).optional(),
  argv: z.array(z.string().min(1).max(4096)).min(1).max(256).optional(),
  /** Run a `module` action in the server's thread instead of a fresh worker thread (default false). */
  inline: z.boolean().optional(),
  /** Milliseconds before the action is abandoned (its worker or process killed). */
  timeoutMs: z.number().int().positive().max(600_000).optional(),
  /** Most bytes a `python` or `command` action may write to stdout (default 1 MiB). */
  maxOutputBytes: z.number().int().positive().max(64 << 20).optional(),
}).superRefine((a, ctx) => {
  const issue = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
  const kind = a.kind ?? (a.argv !== undefined ? 'command' : undefined);
  if (kind === 'command') {
    if (a.argv === undefined) issue('argv', 'a command action needs argv: the program and its arguments, e.g. ["./my-action.sh", "--flag"]');
    for (const k of ['module', 'export', 'inline'] as const) if (a[k] !== undefined) issue(k, `is not used by a command action (it runs argv); remove it`);
    return;
  }
  if (a.module === undefined) issue('module', 'is required: a JS module specifier or path, or a dotted Python module name (or give argv for a command action)');
  if (a.export === undefined) issue('export', 'is required: the name of the function to call');
  if (a.argv !== undefined) issue('argv', `is only for command actions; this is a ${kind ?? 'module'} action`);
  if (kind === 'python') {
    if (a.inline !== undefined) issue('inline', 'is not used by a python action (it always runs in its own python3 process)');
    if (a.module !== undefined && !PYTHON_MODULE.test(a.module)) issue('module', `must be a dotted Python module name such as "my_pkg.actions": ${JSON.stringify(a.module)}`);
    if (a.export !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a.export)) issue('export', `must be a Python function name: ${JSON.stringify(a.export)}`);
  }
  if (a.kind === 'module' && a.maxOutputBytes !== undefined) issue('maxOutputBytes', 'is only for python and command actions');
});

/** The actions config. */
export const actionsConfigSchema = z.strictObject({ actions: z.array(actionDefSchema).max(1000) });

/** A full-board configuration: the UI and the actions. */
export const boardConfigSchema = z.strictObject({ ui: uiConfigSchema, actions: actionsConfigSchema });

/**
 * The body of `POST /api/v1/config/stage`: a full-board configuration, optionally with the
 * `version` it was read as (what `GET /api/v1/config` returns), which then acts as `If-Match`.
 */
export const stageRequestSchema = z.strictObject({
  version: z.number().int().positive().optional(),
  ui: uiConfigSchema,
  actions: actionsConfigSchema,
});

const sparklineSeries = {
  data: z.array(z.number().finite()).max(10_000),
  color: color.nullish(),
  strokeWidth: z.number().finite().min(0).max(50).nullish(),
  /** Fixed bottom of the scale (default: the data's minimum). */
  min: z.number().finite().nullish(),
  /** Fixed top of the scale (default: the data's maximum). */
  max: z.number().finite().nullish(),
};

/** Sparkline payload: data points, optional colour, width, fixed scale and an overlaid series. Unknown keys are ignored. */
export const sparklineSchema = z.object({
  ...sparklineSeries,
  overlay: z.object(sparklineSeries).nullish(),
});

/**
 * A live update of one button (the body of `POST /api/v1/buttons/update_content`). Unknown keys
 * are ignored, as in the reference; `null` fields (including `sparkline: null`) change nothing.
 */
export const buttonUpdateSchema = z.object({
  buttonId: id,
  text: z.string().max(500).nullish(),
  icon: icon.nullish(),
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

function mapArray(v: unknown, f: (item: unknown, i: number) => unknown): unknown {
  return Array.isArray(v) ? v.map(f) : v;
}

function normaliseUi(v: unknown, path: FieldPath, names: SentNames): unknown {
  if (!isRecord(v)) return v;
  return {
    ...v,
    pages: mapArray(v.pages, (p, i) => {
      const page = names.rename(p, 'page', [...path, 'pages', i]);
      if (!isRecord(page)) return page;
      return { ...page, buttons: mapArray(page.buttons, (b, j) => names.rename(b, 'button', [...path, 'pages', i, 'buttons', j])) };
    }),
  };
}

function normaliseActions(v: unknown, path: FieldPath, names: SentNames): unknown {
  if (!isRecord(v)) return v;
  return { ...v, actions: mapArray(v.actions, (a, i) => names.rename(a, 'action', [...path, 'actions', i])) };
}

function normaliseBoard(input: unknown, names: SentNames): unknown {
  const v = names.rename(input, 'board', []);
  return isRecord(v) ? { ...v, ui: normaliseUi(v.ui, ['ui'], names), actions: normaliseActions(v.actions, ['actions'], names) } : v;
}

/** A payload normalised to our keys, with the spellings its client used. */
interface Parsed<T> { readonly value: T; readonly names: SentNames }

function parseWith<S extends z.ZodType>(schema: S, what: string, prefix: FieldPath, input: unknown, names: SentNames): Parsed<z.output<S>> {
  const r = schema.safeParse(input);
  const problems = [...names.problems];
  if (!r.success) problems.push(...r.error.issues.map((i) => `${names.format([...prefix, ...(i.path as PropertyKey[])])}: ${i.message}`));
  if (problems.length > 0 || !r.success) throw new ValidationError(what, problems);
  return { value: r.data, names };
}

/** Validates a UI config (reference or camelCase spelling). Throws {@link ValidationError}. */
export function parseUiConfig(input: unknown, prefix = ''): UiConfig {
  const names = new SentNames();
  const at: FieldPath = prefix ? [prefix] : [];
  return parseWith(uiConfigSchema, 'UI config', at, normaliseUi(input, at, names), names).value;
}

/** Validates an actions config (reference or camelCase spelling). Throws {@link ValidationError}. */
export function parseActionsConfig(input: unknown, prefix = ''): ActionsConfig {
  const names = new SentNames();
  const at: FieldPath = prefix ? [prefix] : [];
  return parseWith(actionsConfigSchema, 'actions config', at, normaliseActions(input, at, names), names).value;
}

/** Validates a full-board configuration `{ui, actions}` (or `{ui_config, actions_config}`). */
export function parseBoardConfig(input: unknown): BoardConfig {
  const names = new SentNames();
  return parseWith(boardConfigSchema, 'board config', [], normaliseBoard(input, names), names).value;
}

/**
 * Validates a stage request: a full-board configuration, optionally with the `version` it was
 * read as. Returns the config, that version and the client's key spellings (for later problems).
 */
export function parseStageRequest(input: unknown): { config: BoardConfig; version: number | undefined; names: SentNames } {
  const names = new SentNames();
  const { value } = parseWith(stageRequestSchema, 'board config', [], normaliseBoard(input, names), names);
  const { version, ...config } = value;
  return { config, version, names };
}

/** Validates a live button update. Throws {@link ValidationError} naming the fields as sent. */
export function parseButtonUpdate(input: unknown): ButtonUpdate {
  const names = new SentNames();
  const v = names.rename(input, 'update', []);
  const norm = isRecord(v) && isRecord(v.sparkline)
    ? { ...v, sparkline: ((s) => (isRecord(s) && isRecord(s.overlay) ? { ...s, overlay: names.rename(s.overlay, 'sparkline', ['sparkline', 'overlay']) } : s))(names.rename(v.sparkline, 'sparkline', ['sparkline'])) }
    : v;
  return parseWith(buttonUpdateSchema, 'button update', [], norm, names).value;
}

/** A problem of {@link crossCheck}: the field at fault and what is wrong. */
export interface CrossProblem {
  readonly path: FieldPath;
  readonly message: string;
  /** Whether the board still works with it (a button naming an unknown action answers with an error toast). */
  readonly warning: boolean;
}

/**
 * Cross-reference checks zod cannot express: unique page ids, unique button ids across pages,
 * unique action ids (errors), and every button's `action` defined in the config or registered by
 * the program (`extraActionIds`) — a warning, as in the reference, whose example config ships a
 * button naming a missing action. `names` spells the paths as the client did.
 */
export function crossCheck(config: BoardConfig, extraActionIds: Iterable<string> = [], names: SentNames = new SentNames()): Array<CrossProblem & { text: string }> {
  const problems: Array<CrossProblem & { text: string }> = [];
  const add = (path: FieldPath, message: string, warning = false): void => {
    problems.push({ path, message, warning, text: `${names.format(path)}: ${message}` });
  };
  const actionIds = new Set<string>(extraActionIds);
  const seenActions = new Set<string>();
  config.actions.actions.forEach((a, i) => {
    if (seenActions.has(a.id)) add(['actions', 'actions', i, 'id'], `duplicate action id "${a.id}"`);
    seenActions.add(a.id);
    actionIds.add(a.id);
  });
  const pageIds = new Set<string>();
  const buttonIds = new Set<string>();
  config.ui.pages.forEach((p, i) => {
    if (pageIds.has(p.id)) add(['ui', 'pages', i, 'id'], `duplicate page id "${p.id}"`);
    pageIds.add(p.id);
    p.buttons.forEach((b, j) => {
      const at = ['ui', 'pages', i, 'buttons', j];
      if (buttonIds.has(b.id)) add([...at, 'id'], `duplicate button id "${b.id}"`);
      buttonIds.add(b.id);
      if (!actionIds.has(b.action)) add([...at, 'action'], `unknown action id "${b.action}" (defined: ${[...actionIds].join(', ') || 'none'}); the button answers with an error toast`, true);
    });
  });
  return problems;
}
