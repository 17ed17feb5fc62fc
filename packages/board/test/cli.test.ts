// `ringkit board` as a user runs it: the real bin in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { networkInterfaces } from 'node:os';

const BIN = fileURLToPath(new URL('../../../cli/bin/ringkit.js', import.meta.url));

test('ringkit board: bad flags exit 2 naming the flag; a non-loopback host without a token is refused', () => {
  for (const [args, re] of [
    [['--port', 'abc'], /--port must be an integer in \[0, 65535\]: --port=abc/],
    [['--bogus'], /Unknown option '--bogus'; allowed: --port N, --host H, --token T, --config DIR, --help/],
    [['--token', 'short'], /at least 8 characters/],
    [['--host', '0.0.0.0'], /refusing to bind a non-loopback address without a token: host=0\.0\.0\.0/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'board', ...args], { encoding: 'utf8', env: { ...process.env, RINGKIT_BOARD_TOKEN: '' } });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const help = spawnSync(process.execPath, [BIN, 'board', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: ringkit board \[--port N\] \[--host H\] \[--token T\] \[--config DIR\]/);
});

test('ringkit board serves, prints a working one-time link and the token, and stops on SIGINT', async () => {
  const child = spawn(process.execPath, [BIN, 'board', '--port', '0'], { env: { ...process.env, RINGKIT_BOARD_TOKEN: '' } });
  let out = ''; // the URL, link and token are diagnostics: stderr, as for `ringkit demo --board`
  child.stderr.on('data', (d) => { out += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    for (let i = 0; i < 200 && !out.includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 25));
    const link = /one-time login link\): (\S+)/.exec(out)?.[1];
    const token = /API token \(generated; [^)]*\): (\S+)/.exec(out)?.[1];
    assert.ok(link && token, out);
    const login = await fetch(link, { redirect: 'manual' });
    assert.equal(login.status, 303);
    const base = new URL('/', link).href;
    assert.equal((await fetch(`${base}api/v1/config`)).status, 401);
    const cfg = await fetch(`${base}api/v1/config`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(cfg.status, 200);
    assert.equal(((await cfg.json()) as { ui: { pages: Array<{ name: string }> } }).ui.pages[0]!.name, 'Main Controls');
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0);
  assert.match(out, /ringkit board stopped\.\n$/);
});

test('ringkit board --config DIR that does not exist fails naming the path (no silent fallback)', () => {
  const r = spawnSync(process.execPath, [BIN, 'board', '--config', './no/such/dir', '--port', '0'], { encoding: 'utf8', env: { ...process.env, RINGKIT_BOARD_TOKEN: '' } });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^ringkit board: config directory does not exist: configDir=\.\/no\/such\/dir \(\/.*\/no\/such\/dir\); create it, or leave --config out to use the packaged default config\n/);
  assert.equal(r.stdout, '');
});

test('ringkit board --host 0.0.0.0 prints reachable addresses (never 0.0.0.0) and, on a network, a QR code of the login link', async () => {
  const child = spawn(process.execPath, [BIN, 'board', '--host', '0.0.0.0', '--port', '0', '--token', 'qr-token-0123456789'], { env: { ...process.env, RINGKIT_BOARD_TOKEN: '' } });
  let out = ''; // addresses and the QR code are diagnostics: stderr
  child.stderr.on('data', (d) => { out += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    for (let i = 0; i < 200 && !out.includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.doesNotMatch(out, /0\.0\.0\.0/, out);
    const port = /:(\d+)\//.exec(out)![1];
    const lan = Object.values(networkInterfaces()).flat().some((i) => i && !i.internal && i.family === 'IPv4');
    if (lan) {
      assert.match(out, new RegExp(`reachable at: (http://\\d+\\.\\d+\\.\\d+\\.\\d+:${port}/  )+http://127\\.0\\.0\\.1:${port}/`));
      assert.match(out, /or scan it with a tablet on the same network:\n( {2}[█▀▄ ]+\n){10,}/);
    } else {
      assert.match(out, new RegExp(`listening on http://127\\.0\\.0\\.1:${port}/`), 'no network interface: loopback only');
    }
    // Only loopback is ever contacted by this test.
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/config`, { headers: { authorization: 'Bearer qr-token-0123456789' } });
    assert.equal(r.status, 200);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0);
});
