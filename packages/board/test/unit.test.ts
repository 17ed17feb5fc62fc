import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sparklinePath, mergeState, cleanUpdate, toastFor, parseBoardConfig, parseButtonUpdate, parseUiConfig, crossCheck, ValidationError,
  type ButtonState,
} from '../src/index.js';

test('sparklinePath: the reference example, flat series, one point, empty, fixed scale', () => {
  assert.equal(sparklinePath([1, 2, 3]), 'M 0,25 L 50,12.5 L 100,0');
  assert.equal(sparklinePath([4, 4, 4]), 'M 0,12.5 L 50,12.5 L 100,12.5');
  assert.equal(sparklinePath([7]), 'M 0,12.5 L 100,12.5');
  assert.equal(sparklinePath([]), '');
  assert.equal(sparklinePath([0, 0.5, 1], 0, 1), 'M 0,25 L 50,12.5 L 100,0');
  assert.equal(sparklinePath([0.5, 2], 0, 1), 'M 0,12.5 L 100,0', 'values above max are clamped');
  assert.equal(sparklinePath([1, 3, 2, 5]), 'M 0,25 L 33.33333333333333,12.5 L 66.66666666666666,18.75 L 100,0');
});

test('mergeState: graphic precedence, per-field merge, clear keeps the icon hidden', () => {
  const u = (x: unknown) => parseButtonUpdate({ buttonId: 'b', ...(x as object) });
  let s: ButtonState = mergeState(undefined, u({ icon: 'clock' }));
  assert.deepEqual(s, { icon: 'clock' });
  s = mergeState(s, u({ text: 'hi' }));
  assert.deepEqual(s, { icon: 'clock', text: 'hi' }, 'a text-only update keeps the icon (merged, not replaced)');
  s = mergeState(s, u({ sparkline: { data: [1, 2, 3] }, icon: 'star' }));
  assert.equal(s.icon, undefined, 'a sparkline with data wins over an icon in the same update');
  assert.equal(s.sparkline?.path, 'M 0,25 L 50,12.5 L 100,0');
  assert.equal(s.sparkline?.color, 'currentColor');
  assert.equal(s.sparkline?.strokeWidth, 1.5);
  s = mergeState(s, u({ sparkline: { data: [] } }));
  assert.deepEqual(s, { text: 'hi', icon: '' }, 'clearing a sparkline leaves the icon hidden');
  s = mergeState(s, u({ sparkline: { data: [5, 6] } }));
  s = mergeState(s, u({ sparkline: null, style: '' }));
  assert.equal(s.sparkline?.path, 'M 0,25 L 100,0', 'sparkline: null changes nothing (as in the reference)');
  assert.equal(s.style, '');
  s = mergeState(s, u({ sparkline: { data: [] } }));
  assert.deepEqual(s, { text: 'hi', icon: '', style: '' });
  s = mergeState(s, u({ icon: 'star', sparkline: { data: [] } }));
  assert.equal(s.icon, 'star');
  assert.equal(mergeState(undefined, u({ sparkline: { data: [1, 2], strokeWidth: 0 } })).sparkline?.strokeWidth, 0, 'stroke width 0 is honoured');
});

test('cleanUpdate: nulls removed, sparkline defaults filled', () => {
  assert.deepEqual(cleanUpdate(parseButtonUpdate({ button_id: 'x', sparkline: { data: [1, 2, 3] }, text: null })), {
    button_id: 'x', sparkline: { data: [1, 2, 3], color: 'currentColor', stroke_width: 1.5 },
  });
  assert.deepEqual(cleanUpdate(parseButtonUpdate({ buttonId: 'x', icon: '', style: 'button-danger', sparkline: null, extra: { any: 1 } })), {
    button_id: 'x', icon_class: '', style_class: 'button-danger',
  }, "actionboard's names on the wire; nulls and unknown keys dropped");
});

test('toastFor: the reference rules', () => {
  const ok = (value: unknown) => toastFor('act', { status: 'ok', value });
  assert.deepEqual(ok({ status: 'success', message: 'yay' }), { text: 'yay', error: false });
  assert.deepEqual(ok({ status: 'error', message: 'bad' }), { text: 'bad', error: true });
  assert.deepEqual(ok({ error: 'disk full' }), { text: 'disk full', error: true });
  assert.deepEqual(ok({ status: 'error' }), { text: "Error executing action 'act'.", error: true });
  assert.deepEqual(ok({ error: 'e', message: null }), { text: 'null', error: true });
  assert.deepEqual(ok('done'), { text: 'done', error: false });
  for (const v of [undefined, null, 42, [1], '', { status: 'success' }]) assert.deepEqual(ok(v), { text: "Action 'act' completed.", error: false });
  assert.deepEqual(toastFor('act', { status: 'unknown', message: 'm' }), { text: 'm', error: true });
  assert.deepEqual(toastFor('act', { status: 'timeout', message: 't' }), { text: 't', error: true });
});

test('parse: aliases, defaults, field-named errors, both spellings rejected', () => {
  const ui = parseUiConfig({ pages: [{ name: 'P', id: 'p', grid_columns: 4, buttons: [{ id: 'b', text: 'B', action_id: 'a', action_params: { x: 1 }, icon_class: 'clock', style_class: 'button-primary' }] }] });
  assert.deepEqual(ui.pages[0], { name: 'P', id: 'p', layout: 'grid', gridColumns: 4, buttons: [{ id: 'b', text: 'B', action: 'a', params: { x: 1 }, icon: 'clock', style: 'button-primary' }] });
  assert.equal(parseUiConfig({ pages: [{ name: 'P', id: 'p', buttons: [] }] }).pages[0]!.gridColumns, 3);
  const bad = (f: () => unknown, ...fields: string[]) => {
    const e = assert.throws(f, ValidationError) as unknown;
    void e;
    try { f(); } catch (err) { for (const fld of fields) assert.ok((err as ValidationError).problems.some((p) => p.startsWith(fld)), `${fld} in ${(err as ValidationError).problems.join(' | ')}`); }
  };
  bad(() => parseUiConfig({ pages: [{ name: 'P', id: 'p', gridColumns: 0, buttons: [] }] }), 'pages[0].gridColumns');
  bad(() => parseUiConfig({ pages: [{ name: 'P', id: 'p', gridColumns: 2, grid_columns: 2, buttons: [] }] }), 'pages[0].gridColumns');
  bad(() => parseBoardConfig({ ui_config: { pages: 'x' }, actions: { actions: [{ id: 'a', module: 'm' }] } }), 'ui_config.pages', 'actions.actions[0].export');
  bad(() => parseBoardConfig({ ui_config: { pages: [{ name: 'P', id: 'p', grid_columns: 0, buttons: [{ id: 'b', text: 'B', action_id: 'a', icon_class: 'fas fa-nope' }] }] }, actions_config: { actions: [{ id: 'a', module: 'm', function: 7 }] } }),
    'ui_config.pages[0].grid_columns', 'ui_config.pages[0].buttons[0].icon_class', 'actions_config.actions[0].function');
  bad(() => parseButtonUpdate({ buttonId: 'b', text: 5 }), 'text');
  assert.deepEqual(parseButtonUpdate({ buttonId: 'b', color: 'red', sparkline: { data: [1], extra: true } }), { buttonId: 'b', sparkline: { data: [1] } }, 'unknown update keys are ignored, as in the reference');
  bad(() => parseButtonUpdate({ buttonId: 'b', sparkline: { data: [1, Infinity] } }), 'sparkline.data[1]');
  bad(() => parseButtonUpdate([]), '(root)');
});

test('crossCheck: duplicate page, button and action ids, unknown action references — all at once', () => {
  const cfg = parseBoardConfig({
    ui: { pages: [
      { name: 'A', id: 'a', buttons: [{ id: 'b1', text: 'x', action: 'act' }, { id: 'b2', text: 'x', action: 'nope' }] },
      { name: 'A2', id: 'a', buttons: [{ id: 'b1', text: 'x', action: 'prog' }] },
    ] },
    actions: { actions: [{ id: 'act', module: 'm', export: 'f' }, { id: 'act', module: 'm', export: 'g' }] },
  });
  const problems = crossCheck(cfg, ['prog']).map((p) => p.text);
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems.join('\n'), /actions\.actions\[1\]\.id: duplicate action id "act"/);
  assert.match(problems.join('\n'), /ui\.pages\[1\]\.id: duplicate page id "a"/);
  assert.match(problems.join('\n'), /ui\.pages\[1\]\.buttons\[0\]\.id: duplicate button id "b1"/);
  assert.match(problems.join('\n'), /ui\.pages\[0\]\.buttons\[1\]\.action: unknown action id "nope"/);
  assert.deepEqual(crossCheck(cfg, ['prog']).filter((p) => p.warning).map((p) => p.path.join('.')), ['ui.pages.0.buttons.1.action'], 'an unknown action is only a warning');
});
