#!/usr/bin/env node
// The first step of `npm test`: checks that everything the test suites run outside Node is here,
// before a minute of building and 400 lines of failures say so one test at a time.
//
// As root on Debian it installs what is missing with apt-get (the way CI runs it: `.ci/run`);
// otherwise it prints, on one screen, what is missing and the one command that installs it, and
// exits 1 without running anything. Tests never skip for a missing tool: they fail, naming it.
//
// Usage: node scripts/preflight.mjs [--check]   (--check: never install, only report)
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * Every system tool a test suite runs, one row each, found in one of three ways: `command` on
 * PATH (the default), `path` (an executable file), or `probe` (argument lists, one of which must
 * run and exit 0: how a Python module is found). `debian` is the Debian package that provides
 * it. Add a row when a test starts using a new tool; prefer an npm package where one does the
 * job as well (Graphviz is @hpcc-js/wasm-graphviz, Deno and Bun are the `deno` and `bun` packages).
 */
const PYTHONS = ['python3', '/usr/bin/python3']; // as packages/board/test/compat.test.ts looks for one
// nats-server: $NATS_SERVER, else PATH or Debian's /usr/sbin (not on a user's PATH), as packages/nats/src/server-binary.ts looks for it.
const TOOLS = [
  { command: 'chromium', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', debian: 'chromium', usedBy: 'browser tests (board, core in Web Workers) through playwright-core; elsewhere set CHROMIUM_PATH' },
  { command: 'redis-cli', debian: 'redis-tools', usedBy: 'pipeline: the RESP server against the real client' },
  { command: 'redis-benchmark', debian: 'redis-tools', usedBy: 'pipeline: the RESP server under redis-benchmark' },
  { command: 'script', debian: 'bsdutils', usedBy: 'cli: NO_COLOR on a real pseudo-terminal' },
  { command: 'nats-server', probe: process.env.NATS_SERVER !== undefined ? [[process.env.NATS_SERVER, '--version']] : [['nats-server', '--version'], ['/usr/sbin/nats-server', '--version']], debian: 'nats-server', usedBy: 'nats: the JetStream bridge against a real server (-js -sd <temp dir>)' },
  { command: 'openssl', debian: 'openssl', usedBy: 'nats: a CA and server/client certificates made at test time for the TLS server' },
  { command: 'python3', debian: 'python3', usedBy: 'board: python actions' },
  { command: 'python3 requests', probe: PYTHONS.map((p) => [p, '-c', 'import requests']), debian: 'python3-requests', usedBy: "board: actionboard's own Python client against the board" },
  { command: 'python3 yaml', probe: PYTHONS.map((p) => [p, '-c', 'import yaml']), debian: 'python3-yaml', usedBy: "board: actionboard's own Python client against the board" },
  { command: 'promtool', debian: 'prometheus', usedBy: 'pipeline: /metrics checked with promtool check metrics' },
];

const root = new URL('..', import.meta.url).pathname;

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The tools of {@link TOOLS} that are not here. */
function missingTools(env = process.env) {
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const found = (t) => (t.path !== undefined ? isExecutable(t.path)
    : t.probe !== undefined ? t.probe.some(([cmd, ...args]) => spawnSync(cmd, args, { stdio: 'ignore', env }).status === 0)
      : dirs.some((d) => isExecutable(join(d, t.command))));
  return TOOLS.filter((t) => !found(t));
}

/** Whether `version` (e.g. `v20.19.0`) satisfies a `>=x.y.z` range. */
function atLeast(version, range) {
  const want = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (want === null) return true;
  const have = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if (have[i] !== Number(want[i + 1])) return have[i] > Number(want[i + 1]);
  return true;
}

function installCommand(packages, sudo) {
  return `${sudo ? 'sudo ' : ''}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

function main() {
  const checkOnly = process.argv.includes('--check');
  const problems = [];
  const engines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node ?? '';
  if (!atLeast(process.version, engines)) problems.push(`Node ${process.version} is too old: ringkit needs Node ${engines}`);
  if (!existsSync(join(root, 'node_modules', '.bin', 'tsc'))) problems.push('the npm dependencies are not installed: run `npm ci` first');

  let missing = missingTools();
  const packages = [...new Set(missing.map((t) => t.debian))];
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (missing.length > 0 && problems.length === 0 && isRoot && hasApt && !checkOnly) {
    process.stderr.write(`preflight: installing what the tests need: ${installCommand(packages, false)}\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    const install = update.status === 0 && spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (install === false || install.status !== 0) problems.push(`apt-get failed (${update.status !== 0 ? 'update' : 'install'}); see above`);
    missing = missingTools();
  }

  if (missing.length === 0 && problems.length === 0) {
    process.stderr.write(`preflight: Node ${process.version}; ${TOOLS.map((t) => t.command).join(', ')}: all found\n`);
    return 0;
  }
  const lines = ['', 'npm test cannot run here yet:'];
  for (const p of problems) lines.push(`  - ${p}`);
  if (missing.length > 0) {
    const width = Math.max(...missing.map((t) => t.command.length));
    lines.push('', 'Missing system tools (the tests fail without them; none is skipped):');
    for (const t of missing) lines.push(`  ${t.command.padEnd(width)}  Debian package ${t.debian}: ${t.usedBy}`);
    lines.push('', hasApt ? 'Install them with:' : 'Install them with your system\'s package manager; on Debian or Ubuntu:');
    lines.push(`  ${installCommand([...new Set(missing.map((t) => t.debian))], !isRoot)}`);
    if (!isRoot) lines.push('(Run as root, `npm test` installs them itself, as CI does.)');
  }
  lines.push('Nothing was built or run.', '');
  process.stderr.write(lines.join('\n'));
  return 1;
}

process.exitCode = main();
