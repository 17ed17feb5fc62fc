// actionboard users' files working unchanged: its example configs (FontAwesome icons, four
// Python actions, a button naming a missing action) served by the real `ringkit board`, and its
// example live-controller client (Python, requests) driving it with only the token added to its
// server URL. Fixtures re-typed from shared/reference/actionboard.md (see fixtures/actionboard/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { get, post } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/ringkit.js', import.meta.url));
const AB = fileURLToPath(new URL('../../test/fixtures/actionboard/', import.meta.url));
const TOKEN = 'compat-token-0123456789';

/** A python3 that has what actionboard's client imports (requests, PyYAML); fails saying what to install. */
function pythonWithClientDeps(): string {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import requests, yaml'], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  assert.fail('no python3 with requests and PyYAML: apt-get install -y python3 python3-requests python3-yaml (the compatibility test never skips)');
}

/** Starts `ringkit board` as a user would; resolves with its port once it listens. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; port: number; out: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'board', ...args], { env: { ...process.env, RINGKIT_BOARD_TOKEN: '' } });
  let out = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { out += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 400 && !out.includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 25));
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1]);
  assert.ok(port > 0, out);
  return { child, port, out: () => out, exited };
}

test("actionboard's example configs and controller run against `ringkit board` with only the token added", async () => {
  const python = pythonWithClientDeps();
  const board = await startCli(['--config', `${AB}config_examples`, '--port', '0', '--token', TOKEN]);
  const url = `http://127.0.0.1:${board.port}/`;
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  // An actionboard-style consumer of the socket, passing the token the same way as the client.
  const frames: Array<{ type: string; payload: Record<string, unknown> }> = [];
  const ws = new WebSocket(`ws://board:${TOKEN}@127.0.0.1:${board.port}/ws/button_updates`);
  ws.on('message', (d) => frames.push(JSON.parse(String(d)) as { type: string; payload: Record<string, unknown> }));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  try {
    // Start-up: FontAwesome classes accepted, the Python actions loaded, the missing one a warning.
    assert.match(board.out(), /warning: ui\.pages\[0\]\.buttons\[4\]\.action: unknown action id "non_existent_action"/);
    assert.doesNotMatch(board.out(), /cannot load python action/);
    const home = await get(url, {});
    assert.match(home.text, /<span class="icon-fa fas fa-hand-sparkles" data-role="button-icon"/);
    assert.match(home.text, /<link rel="stylesheet" href="vendor\/fontawesome\/css\/all.min.css">/);

    // The controller, unchanged but for the token in its server URL; Ctrl-C ends its 60 s demo.
    const client = spawn(python, [`${AB}examples/dynamic_board_controller.py`], { env: { ...process.env, VCB_SERVER_URL: `http://board:${TOKEN}@127.0.0.1:${board.port}` } });
    let out = '';
    client.stdout.on('data', (d) => { out += String(d); });
    client.stderr.on('data', (d) => { out += String(d); });
    const clientExit = new Promise<number | null>((resolve) => client.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 400 && !out.includes('Icon: '); i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 1200));
    client.kill('SIGINT');
    assert.equal(await clientExit, 0, out);
    assert.match(out, /Configuration staged successfully\. Server response: 202/);
    assert.match(out, /Configuration applied successfully\. Server response: \{'message': 'Configuration applied successfully\. Page will refresh\.', 'version': 2\}/);
    assert.match(out, /Updating ICON\/TEXT for 'icon_text_live_button': Text "Icon: \d{3} @ [\d:]{8}", Icon "fas fa-hourglass-start"/);
    assert.match(out, /Live update demos interrupted by user\.\n--- All Demos Finished ---\n\nDynamic controller script finished\.\n$/);
    assert.doesNotMatch(out, /ERROR/);

    // What the browsers were told, in actionboard's names.
    assert.equal(frames.filter((f) => f.type === 'navigation_update').length, 1);
    const updates = frames.filter((f) => f.type === 'button_content_update').map((f) => f.payload);
    const firstIcon = updates.find((p) => p.button_id === 'icon_text_live_button')!;
    assert.deepEqual(Object.keys(firstIcon).sort(), ['button_id', 'icon_class', 'text']);
    assert.equal(firstIcon.icon_class, 'fas fa-hourglass-start');
    assert.match(String(firstIcon.text), /^Icon: \d{3} @ [\d:]{8}$/);
    const spark = updates.find((p) => p.button_id === 'sparkline_live_button' && p.sparkline !== undefined)!.sparkline as Record<string, unknown>;
    assert.deepEqual(Object.keys(spark).sort(), ['color', 'data', 'stroke_width']);
    assert.equal(spark.stroke_width, 2);
    assert.equal((spark.data as number[]).length, 16);
    assert.deepEqual(updates.at(-2), { button_id: 'icon_text_live_button', text: 'Icon Demo Done', icon_class: 'fas fa-stop-circle' });
    assert.deepEqual(updates.at(-1), { button_id: 'sparkline_live_button', text: 'Sparkline Done', sparkline: { data: [], color: 'currentColor', stroke_width: 1.5 } });

    // The board's state: the new tab, the final texts, the sparkline cleared.
    const cfg = (await get(`${url}api/v1/config`, auth)).json() as { version: number; ui: { pages: Array<{ id: string; name: string }> } };
    assert.equal(cfg.version, 2);
    assert.deepEqual(cfg.ui.pages.map((p) => p.name), ['Main Controls', 'System Utilities', 'Live Demos']);
    const state = (await get(`${url}api/v1/state`, auth)).json() as { buttons: Record<string, unknown> };
    assert.deepEqual(state.buttons.icon_text_live_button, { text: 'Icon Demo Done', icon_class: 'fas fa-stop-circle' });
    assert.deepEqual(state.buttons.sparkline_live_button, { text: 'Sparkline Done', icon_class: '' });

    // The four Python actions answer as actionboard's do; the missing one says so.
    const clicks = await Promise.all(['async_action_button', 'greet_dev_button', 'log_time_button', 'another_action_button', 'sys_greet_admin_button', 'missing_action_button']
      .map((id) => post(`${url}action/${id}`, undefined, auth)));
    const toast = (i: number): string => clicks[i]!.text.replaceAll('&#39;', "'");
    assert.match(toast(0), /class="toast show"><span id="toast-message-content">Async action completed after 2s\.</);
    assert.match(toast(1), />Hello, Developer! This greeting action was successfully triggered\.</);
    assert.match(toast(2), />Current server time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+</);
    assert.match(toast(3), />The 'another_action' was performed successfully!</);
    assert.match(toast(4), />Hello, Administrator!/);
    assert.equal(clicks[5]!.status, 404);
    assert.match(toast(5), /class="toast show error"><span id="toast-message-content">Action 'non_existent_action' not found in registry\. Cannot execute\.</);
  } finally {
    ws.close();
    board.child.kill('SIGINT');
  }
  assert.equal(await board.exited, 0);
});
