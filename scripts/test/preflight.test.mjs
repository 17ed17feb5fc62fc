// scripts/preflight.mjs, the first step of `npm test`: on a machine without the system tools it
// prints one short screen (what is missing, the one command that installs it) and exits 1;
// here, where `npm test` got past it, it finds everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFLIGHT = new URL('../preflight.mjs', import.meta.url).pathname;
const ROOT_PACKAGE = new URL('../../package.json', import.meta.url).pathname;

test('a non-root user without the system tools gets the list and the one apt-get command, exit 1', () => {
  // A copy of the script beside the root package.json and an installed tsc, readable by anyone
  // (the checkout may be in root's home); a PATH holding only node and apt-get; no Chromium.
  const dir = mkdtempSync(join(tmpdir(), 'ringkit-preflight-'));
  const bin = join(dir, 'bin');
  try {
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(PREFLIGHT, join(dir, 'scripts', 'preflight.mjs'));
    copyFileSync(ROOT_PACKAGE, join(dir, 'package.json'));
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', '.bin', 'tsc'), '');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).stdout.trim();
    if (apt !== '') symlinkSync(apt, join(bin, 'apt-get'));
    // As root, run it as `nobody` (as root it would install the packages instead).
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(join(bin, 'node'), [join(dir, 'scripts', 'preflight.mjs')], { encoding: 'utf8', cwd: dir, env: { PATH: bin, CHROMIUM_PATH: '/nonexistent/chromium', NATS_SERVER: '/nonexistent/nats-server' }, ...asUser });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.length <= 16, `one short screen, not ${lines.length} lines:\n${r.stderr}`);
    for (const tool of ['chromium', 'redis-cli', 'redis-benchmark', 'script', 'nats-server', 'openssl', 'python3', 'promtool']) assert.match(r.stderr, new RegExp(`^  ${tool} +Debian package `, 'm'), tool);
    // (/usr/bin/python3 is tried as well, so the Python modules count as missing only where it lacks them.)
    assert.match(r.stderr, /^ {2}sudo apt-get install -y --no-install-recommends chromium redis-tools bsdutils nats-server openssl python3( python3-requests)?( python3-yaml)? prometheus$/m);
    assert.match(r.stderr, /Nothing was built or run\.\n$/);
    assert.doesNotMatch(r.stderr, /npm ci/, 'the dependencies count as installed here');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('here every tool is found (--check never installs)', () => {
  const r = spawnSync(process.execPath, [PREFLIGHT, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^preflight: Node v\d+\.\d+\.\d+; chromium, redis-cli, redis-benchmark, script, nats-server, openssl, python3, python3 requests, python3 yaml, promtool: all found\n$/);
});

test(".ci/run installs exactly the Debian packages of preflight's TOOLS table", () => {
  const table = new Set([...readFileSync(PREFLIGHT, 'utf8').matchAll(/debian: '([^']+)'/g)].map((m) => m[1]));
  const line = /apt-get install -y -qq --no-install-recommends ([^>\n]+)/.exec(readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8'));
  assert.ok(line !== null, '.ci/run has an apt-get install line');
  assert.deepEqual(new Set(line[1].trim().split(/\s+/)), table);
});
