// Read → splat back, and optimistic concurrency on one version sequence: If-Match (or the body's
// version) on stage and apply, checked against what the client read; 412 naming every version.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Board } from '../src/index.js';
import { AUTH, get, post, startBoard } from './helpers.js';

describe('config versions', () => {
  let board: Board;
  let url: string;
  before(async () => ({ board, url } = await startBoard()));
  after(() => board.close());

  const read = async (): Promise<{ version: number; etag: string | null; body: { version: number; ui: { pages: Array<{ name: string }> }; actions: unknown } }> => {
    const r = await get(`${url}api/v1/config`);
    const body = r.json() as { version: number; ui: { pages: Array<{ name: string }> }; actions: unknown };
    return { version: body.version, etag: r.headers.get('etag'), body };
  };

  test('GET /api/v1/config posted back as it is stages (its version acts as If-Match), and applies', async () => {
    const { version, etag, body } = await read();
    assert.equal(etag, `"${version}"`);
    const st = await post(`${url}api/v1/config/stage`, body);
    assert.equal(st.status, 202, st.text);
    const staged = (st.json() as { version: number }).version;
    assert.equal(staged, version + 1, 'one sequence: the staged config takes the next version');
    assert.equal(st.headers.get('etag'), `"${staged}"`);
    // Apply with the ETag the client read: fine, nothing was applied since.
    const ap = await post(`${url}api/v1/config/apply`, undefined, { ...AUTH, 'if-match': etag! });
    assert.equal(ap.status, 200, ap.text);
    assert.equal((ap.json() as { version: number }).version, staged, 'the staged version becomes the live version');
    assert.equal((await read()).version, staged);
  });

  test('a second writer with a stale read gets 412 naming both versions, on stage and on apply', async () => {
    const a = await read();
    const b = await read();
    a.body.ui.pages[0]!.name = 'Renamed by A';
    const stA = await post(`${url}api/v1/config/stage`, a.body);
    assert.equal(stA.status, 202);
    const vA = (stA.json() as { version: number }).version;
    // B read before A staged: its stage would wipe A's pending change.
    b.body.ui.pages[0]!.name = 'Renamed by B';
    const stB = await post(`${url}api/v1/config/stage`, b.body);
    assert.equal(stB.status, 412, stB.text);
    assert.deepEqual(stB.json(), {
      detail: `stale version: the staged change names version ${b.version}, but the live configuration is version ${b.version} and version ${vA} is staged (based on ${b.version}); read GET /api/v1/config (or /api/v1/config/staged) again, redo the change on it and retry`,
      expected: b.version, live: b.version, staged: vA,
    });
    // Same with If-Match instead of the body's version.
    const { version: _v, ...bare } = b.body;
    void _v;
    assert.equal((await post(`${url}api/v1/config/stage`, bare, { ...AUTH, 'if-match': `"${b.version}"` })).status, 412);
    assert.equal((await post(`${url}api/v1/config/stage`, b.body, { ...AUTH, 'if-match': `"${b.version + 50}"` })).status, 400, 'If-Match and body version disagree');
    assert.equal((await post(`${url}api/v1/config/stage`, bare, { ...AUTH, 'if-match': 'abc' })).status, 400);
    // A applies; then B's apply naming the version it read is stale too.
    assert.equal((await post(`${url}api/v1/config/apply?version=${vA}`)).status, 200);
    const stB2 = await post(`${url}api/v1/config/stage`, b.body);
    assert.equal(stB2.status, 412);
    assert.deepEqual({ ...(stB2.json() as object), detail: undefined }, { detail: undefined, expected: b.version, live: vA, staged: null });
    // B re-reads and redoes its change: accepted. An apply naming the old version is refused.
    const b2 = await read();
    b2.body.ui.pages[0]!.name = 'Renamed by B';
    const ok = await post(`${url}api/v1/config/stage`, b2.body);
    assert.equal(ok.status, 202);
    board.upsertPage({ id: 'side', name: 'Side', buttons: [] });
    const stale = await post(`${url}api/v1/config/apply`, undefined, { ...AUTH, 'if-match': `"${b2.version}"` });
    assert.equal(stale.status, 412, 'the live config changed since B read it');
    const exact = await post(`${url}api/v1/config/apply`, undefined, { ...AUTH, 'if-match': `"${(ok.json() as { version: number }).version}"` });
    assert.equal(exact.status, 200, 'naming the staged version applies exactly that one');
    assert.equal((await read()).body.ui.pages[0]!.name, 'Renamed by B');
  });
});
