// Shared test helpers: a board on a random port with a config directory written from YAML text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Board, type BoardOptions } from '../src/index.js';

/** The token every test board uses. */
export const TOKEN = 'test-token-0123456789';
/** Auth + JSON headers. */
export const AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
/** URL of the test action fixtures module. */
export const FIXTURES = new URL('./fixtures/actions.js', import.meta.url).href;

/** Makes a temporary config directory holding the given files. */
export function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ringkit-board-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Starts a board (packaged defaults unless `opts.configDir`) and returns it with its URL. */
export async function startBoard(opts: BoardOptions = {}): Promise<{ board: Board; url: string }> {
  const board = await Board.create({ port: 0, token: TOKEN, ...opts });
  const url = await board.listen();
  return { board, url };
}

/**
 * fast-check run parameters with an explicit seed, so a check made after `fc.assert` can name
 * it too (fast-check prints it for a failing property). `RINGKIT_FC_SEED=<n>` replays a run.
 */
export function fcParams(numRuns: number): { numRuns: number; seed: number } {
  const env = process.env.RINGKIT_FC_SEED;
  return { numRuns, seed: env !== undefined && env !== '' ? Number(env) : (Math.random() * 2 ** 31) | 0 };
}

/** POSTs JSON with the token. */
export async function post(url: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<{ status: number; text: string; headers: Headers; json: () => unknown }> {
  const r = await fetch(url, { method: 'POST', headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, text, headers: r.headers, json: () => JSON.parse(text) as unknown };
}

/** GETs with the token. */
export async function get(url: string, headers: Record<string, string> = AUTH): Promise<{ status: number; text: string; headers: Headers; json: () => unknown }> {
  const r = await fetch(url, { headers });
  const text = await r.text();
  return { status: r.status, text, headers: r.headers, json: () => JSON.parse(text) as unknown };
}

/** An actions config using the test fixtures plus the packaged demo actions. */
export const FIXTURE_ACTIONS = `actions:
  - { id: greet_user_action, module: "@ringkit/board/actions", export: greetUser }
  - { id: async_action, module: "@ringkit/board/actions", function: exampleAsync }
  - { id: spin, module: "${FIXTURES}", export: spinForever, timeoutMs: 1500 }
  - { id: crash, module: "${FIXTURES}", export: crashLater, timeoutMs: 2000 }
  - { id: number, module: "${FIXTURES}", export: returnsNumber }
  - { id: error_dict, module: "${FIXTURES}", export: errorDict }
  - { id: echo, module: "${FIXTURES}", export: echo, inline: true }
`;

/** A UI config using {@link FIXTURE_ACTIONS}, with one button naming an undefined action. */
export const FIXTURE_UI = `pages:
  - name: First
    id: first
    grid_columns: 2
    buttons:
      - { id: greet, text: Greet, icon_class: hand, style_class: button-primary, action_id: greet_user_action, action_params: { name: Tester } }
      - { id: async, text: Async, action: async_action, params: { duration: 0.05 } }
      - { id: spin, text: Spin, action: spin }
      - { id: crash, text: Crash, action: crash }
      - { id: number, text: Number, action: number }
      - { id: error_dict, text: Error dict, action: error_dict }
      - { id: echo, text: Echo, action: echo, params: { a: 1 } }
      - { id: missing, text: Missing, action: non_existent_action }
  - name: Second <b>
    id: second
    layout: list
    buttons:
      - { id: greet2, text: Greet 2, action: greet_user_action }
  - name: Empty
    id: empty
    gridColumns: null
    buttons: []
`;
