// How a client passes the token (and what a 401 says), the browser session cookie parsed by
// @fastify/cookie (a malformed one is no 500), the login page; FontAwesome and lucide icons.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Board, UNAUTHORISED_DETAIL, iconProblem, reachableUrls } from '../src/index.js';
import { AUTH, TOKEN, fcParams, get, post, startBoard } from './helpers.js';

describe('auth', () => {
  let board: Board;
  let url: string;
  before(async () => ({ board, url } = await startBoard()));
  after(() => board.close());

  test('a 401 says exactly how to pass the token; Bearer, Basic (token as password or user) and ?token= all work', async () => {
    const r = await post(`${url}api/v1/buttons/update_content`, { button_id: 'log_time_button', text: 'x' }, { 'content-type': 'application/json' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json(), { detail: UNAUTHORISED_DETAIL });
    assert.match(UNAUTHORISED_DETAIL, /"Authorization: Bearer <token>"/);
    assert.match(UNAUTHORISED_DETAIL, /http:\/\/board:<token>@host:port\//);
    assert.match(UNAUTHORISED_DETAIL, /\?token=<token>/);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer, Basic realm="ringkit board"');
    const json = { 'content-type': 'application/json' };
    const basic = (s: string): Record<string, string> => ({ ...json, authorization: `Basic ${Buffer.from(s).toString('base64')}` });
    for (const headers of [AUTH, basic(`board:${TOKEN}`), basic(`${TOKEN}:`), { ...json, authorization: `bearer  ${TOKEN}` }]) {
      assert.equal((await post(`${url}api/v1/buttons/update_content`, { button_id: 'log_time_button', text: 'x' }, headers)).status, 200, JSON.stringify(headers));
    }
    assert.equal((await post(`${url}api/v1/buttons/update_content?token=${TOKEN}`, { button_id: 'log_time_button', text: 'x' }, json)).status, 200);
    for (const headers of [basic('board:wrong-token'), basic('nocolon'), { ...json, authorization: 'Basic %%%' }, { ...json, authorization: 'Digest x' }]) {
      assert.equal((await post(`${url}api/v1/buttons/update_content`, { button_id: 'log_time_button' }, headers)).status, 401, JSON.stringify(headers));
    }
  });

  test('login page, POST /auth with the token, /auth/status; a malformed session cookie is a 401, not a 500', async () => {
    const page = await get(`${url}login`, {});
    assert.equal(page.status, 200);
    assert.match(page.text, /<form method="post" action="auth">/);
    const wrong = await fetch(`${url}auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=nope', redirect: 'manual' });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /Wrong token/);
    const ok = await fetch(`${url}auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}`, redirect: 'manual' });
    assert.equal(ok.status, 303);
    const jar = ok.headers.get('set-cookie')!.split(';')[0]!;
    assert.deepEqual((await get(`${url}auth/status`, { cookie: jar })).json(), { authorised: true, instance: board.instance });
    assert.deepEqual((await get(`${url}auth/status`, {})).json(), { authorised: false, instance: board.instance });
    const name = jar.split('=')[0]!;
    for (const cookie of [`${name}=%E0%A4%A`, `${name}=%`, `${name}`, '=;;=', `${name}="unterminated`, `a=b; ${name}=%ZZ; c`]) {
      const r = await post(`${url}action/greet_dev_button`, undefined, { cookie });
      assert.equal(r.status, 401, `${cookie}: ${r.text}`);
    }
  });

  test('fuzz: no Cookie or Authorization header answers 5xx', async () => {
    const header = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('%', '%E0%A4%A', '"', ';;', 'Basic', 'Bearer'));
    await fc.assert(fc.asyncProperty(header, header, async (cookie, authorization) => {
      const headers: Record<string, string> = {};
      // Header values must be valid HTTP field values to be sent at all.
      if (/^[\t\x20-\x7e\x80-\xff]*$/.test(cookie)) headers.cookie = cookie;
      if (/^[\t\x20-\x7e\x80-\xff]*$/.test(authorization)) headers.authorization = authorization;
      const r = await board.app.inject({ method: 'POST', url: '/action/greet_dev_button', headers });
      assert.ok(r.statusCode < 500, `${r.statusCode} for ${JSON.stringify(headers)}: ${r.body}`);
    }), fcParams(300));
  });
});

test('icons: FontAwesome Free classes incl. animations, lucide names; wrong ones named with the reason', () => {
  for (const ok of ['fas fa-clock', 'fas fa-sync fa-spin', 'fa-solid fa-hourglass-half fa-beat fa-2x', 'far fa-clock', 'fab fa-github', 'fa fa-star', 'fas fa-question-circle', 'clock', 'hand', '']) {
    assert.equal(iconProblem(ok), undefined, ok);
  }
  assert.equal(iconProblem('fas fa-no-such'), 'unknown FontAwesome Free icon "fa-no-such" (FontAwesome Free has 1992 icons; see fontawesome.com/search?ic=free)');
  assert.equal(iconProblem('far fa-hand-sparkles'), '"fa-hand-sparkles" is not in FontAwesome Free\'s regular style; use "fas fa-hand-sparkles"');
  assert.match(iconProblem('fal fa-clock')!, /"fal" is a FontAwesome Pro style/);
  assert.equal(iconProblem('fa-clock'), '"fa-clock" needs a style class: "fas fa-clock" (solid) or "far fa-clock" (regular)');
  assert.match(iconProblem('fas fa-clock fa-star')!, /names 2 FontAwesome icons/);
  assert.match(iconProblem('no-such-lucide')!, /unknown lucide icon "no-such-lucide"/);
  assert.match(iconProblem('Clock <b>')!, /must be a lucide icon name/);
});

test('reachable addresses: a wildcard bind lists LAN addresses first, then loopback; never 0.0.0.0', () => {
  const ifs = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [{ address: '192.0.2.7', family: 'IPv4', internal: false }, { address: 'fe80::1', family: 'IPv6', internal: false }, { address: '2001:db8::7', family: 'IPv6', internal: false }],
  } as unknown as Parameters<typeof reachableUrls>[2];
  assert.deepEqual(reachableUrls('0.0.0.0', 8000, ifs), ['http://192.0.2.7:8000/', 'http://127.0.0.1:8000/']);
  assert.deepEqual(reachableUrls('::', 8000, ifs), ['http://192.0.2.7:8000/', 'http://[2001:db8::7]:8000/', 'http://127.0.0.1:8000/']);
  assert.deepEqual(reachableUrls('127.0.0.1', 9, ifs), ['http://127.0.0.1:9/']);
});

test('the served icon assets: FontAwesome stylesheet (with fa-spin) and fonts, lucide SVGs; the checked-in files match their packages', async () => {
  const { board, url } = await startBoard();
  try {
    const css = await get(`${url}vendor/fontawesome/css/all.min.css`, {});
    assert.equal(css.status, 200);
    assert.match(css.text, /\.fa-spin\{/);
    assert.match(css.text, /url\(\.\.\/webfonts\/fa-solid-900\.woff2\)/);
    const font = await fetch(`${url}vendor/fontawesome/webfonts/fa-solid-900.woff2`);
    assert.equal(font.headers.get('content-type'), 'font/woff2');
    assert.equal(Buffer.from(await font.arrayBuffer()).subarray(0, 4).toString('latin1'), 'wOF2');
    assert.equal((await get(`${url}vendor/..%2Fpackage.json`, {})).status, 404);
    assert.match((await get(`${url}icons/clock.svg`, {})).text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*><circle cx="12" cy="12" r="10"\/><path d="M12 6v6l4 2"\/><\/svg>$/);
    assert.equal((await get(`${url}icons/alarm-check.svg`, {})).status, 200, 'older lucide names (aliases) still work');
  } finally {
    await board.close();
  }
  const { staleIconAssets } = (await import(new URL('../../scripts/build-icons.mjs', import.meta.url).href)) as { staleIconAssets(): string[] };
  assert.deepEqual(staleIconAssets(), [], 'run node packages/board/scripts/build-icons.mjs');
});
