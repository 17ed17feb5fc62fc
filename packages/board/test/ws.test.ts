import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { Board } from '../src/index.js';
import { TOKEN, FIXTURE_ACTIONS, FIXTURE_UI, configDir, post, startBoard } from './helpers.js';

interface Frame { type: string; payload: Record<string, unknown>; state?: Record<string, unknown> }

/** A WebSocket client that records every frame. */
class Client {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  pings = 0;
  constructor(url: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws/button_updates`, { headers });
    this.ws.on('message', (d) => this.frames.push(JSON.parse(String(d)) as Frame));
    this.ws.on('ping', () => this.pings++);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  /** Waits until a frame of `type` beyond the first `skip` of that type has arrived. */
  async next(type: string, skip = 0, timeoutMs = 3000): Promise<Frame> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.filter((x) => x.type === type)[skip];
      if (f) return f;
      if (Date.now() > end) throw new Error(`no "${type}" frame #${skip}; got ${JSON.stringify(this.frames.map((x) => x.type))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  count(type: string): number {
    return this.frames.filter((x) => x.type === type).length;
  }
  close(): void {
    this.ws.close();
  }
}

/** Resolves to the HTTP status of a refused upgrade. */
function refusedStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws/button_updates`, { headers });
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.on('open', () => { ws.close(); reject(new Error('upgrade was accepted')); });
    ws.on('error', () => { /* reported through unexpected-response */ });
  });
}

describe('WebSocket /ws/button_updates', () => {
  let board: Board;
  let url: string;
  before(async () => ({ board, url } = await startBoard({ heartbeatMs: 100, configDir: configDir({ 'ui_config.yaml': FIXTURE_UI.replace(/.*non_existent_action.*\n/, ''), 'actions_config.yaml': FIXTURE_ACTIONS }) })));
  after(() => board.close());

  test('refused without a token (401), with a wrong one (401) and from a foreign origin (403)', async () => {
    assert.equal(await refusedStatus(url, {}), 401);
    assert.equal(await refusedStatus(url, { authorization: 'Bearer wrong-wrong-wrong' }), 401);
    assert.equal(await refusedStatus(url, { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' }), 403);
    const sameOrigin = new Client(url, { authorization: `Bearer ${TOKEN}`, origin: url.slice(0, -1) });
    await sameOrigin.opened;
    sameOrigin.close();
    assert.equal(board.connections <= 1, true);
  });

  test('update → one frame per socket: the cleaned update (nulls removed, defaults filled) and the merged state', async () => {
    const a = new Client(url);
    const b = new Client(url);
    await Promise.all([a.opened, b.opened, a.next('snapshot'), b.next('snapshot')]);
    assert.equal((await post(`${url}api/v1/buttons/update_content`, { button_id: 'greet', text: null, sparkline: { data: [1, 2, 3], color: null } })).status, 200);
    for (const c of [a, b]) {
      const f = await c.next('button_content_update');
      assert.deepEqual(f, {
        type: 'button_content_update',
        payload: { button_id: 'greet', sparkline: { data: [1, 2, 3], color: 'currentColor', stroke_width: 1.5 } },
        state: { sparkline: { data: [1, 2, 3], color: 'currentColor', stroke_width: 1.5, path: 'M 0,25 L 50,12.5 L 100,0' } },
      });
    }
    await post(`${url}api/v1/buttons/update_content`, { buttonId: 'greet', text: 'Hello' });
    assert.deepEqual((await a.next('button_content_update', 1)).state, { text: 'Hello', sparkline: { data: [1, 2, 3], color: 'currentColor', stroke_width: 1.5, path: 'M 0,25 L 50,12.5 L 100,0' } }, 'state merged per field');
    a.close();
    b.close();
  });

  test('replay: a socket that connects later gets the merged live state of every known button', async () => {
    await post(`${url}api/v1/buttons/update_content`, { buttonId: 'echo', icon: 'star', style: 'button-danger' });
    await post(`${url}api/v1/buttons/update_content`, { buttonId: 'echo', text: 'Later' });
    const c = new Client(url);
    const snap = await c.next('snapshot');
    const buttons = snap.payload.buttons as Record<string, unknown>;
    assert.deepEqual(buttons.echo, { icon_class: 'star', style_class: 'button-danger', text: 'Later' });
    assert.equal(snap.payload.stagedVersion, null);
    assert.equal(typeof snap.payload.version, 'number');
    c.close();
  });

  test('stage / discard / apply are announced; apply sends exactly one navigation_update per socket with pruned state', async () => {
    const a = new Client(url);
    const b = new Client(url);
    await Promise.all([a.next('snapshot'), b.next('snapshot')]);
    const c = board.config();
    const st = await post(`${url}api/v1/config/stage`, { ui: c.ui, actions: c.actions });
    assert.equal(st.status, 202);
    assert.deepEqual((await a.next('staged')).payload, { version: (st.json() as { version: number }).version });
    await post(`${url}api/v1/config/discard`);
    await b.next('discarded');
    const late = new Client(url);
    await late.next('snapshot');
    // Drop the 'echo' button in the new config: its live state must be pruned.
    c.ui.pages[0]!.buttons = c.ui.pages[0]!.buttons.filter((x) => x.id !== 'echo');
    await post(`${url}api/v1/config/stage`, { ui: c.ui, actions: c.actions });
    assert.equal((await post(`${url}api/v1/config/apply`)).status, 200);
    for (const cl of [a, b, late]) {
      const f = await cl.next('navigation_update');
      assert.equal((f.payload.buttons as Record<string, unknown>).echo, undefined);
      assert.ok((f.payload.buttons as Record<string, unknown>).greet);
    }
    await new Promise((r) => setTimeout(r, 100));
    for (const cl of [a, b, late]) assert.equal(cl.count('navigation_update'), 1);
    a.close();
    b.close();
    late.close();
  });

  test('heartbeat pings open sockets; closed sockets leave the set; a broken client cannot break a broadcast', async () => {
    const a = new Client(url);
    await a.next('snapshot');
    await new Promise((r) => setTimeout(r, 350));
    assert.ok(a.pings >= 2, `pings=${a.pings}`);
    const before = board.connections;
    a.ws.terminate();
    for (let i = 0; i < 50 && board.connections >= before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(board.connections, before - 1);
    const b = new Client(url);
    await b.next('snapshot');
    b.ws.send(Buffer.from([0xff, 0x00]));
    b.ws.send('keep-alive');
    const r = await post(`${url}api/v1/buttons/update_content`, { buttonId: 'greet', icon: 'clock' });
    assert.equal(r.status, 200);
    await b.next('button_content_update');
    b.close();
  });
});

describe('LiveSockets after close()', () => {
  test('a socket that opens after close() (a browser reconnecting while the board stops) is dropped at once, never kept', async () => {
    const { WebSocketServer } = await import('ws');
    const { LiveSockets } = await import('../src/socket.js');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws)));
    const { port } = wss.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    const clientClosed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    const frames: string[] = [];
    client.on('message', (d) => frames.push(String(d)));
    try {
      const live = new LiveSockets(60_000);
      live.close();
      live.add(await serverSide, { type: 'hello' });
      assert.equal(live.size, 0, 'not kept');
      const code = await Promise.race([clientClosed, new Promise<string>((r) => setTimeout(() => r('still open after 3 s'), 3000))]);
      assert.equal(code, 1006, 'terminated (no close handshake)');
      assert.deepEqual(frames, [], 'no snapshot sent');
    } finally {
      client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
