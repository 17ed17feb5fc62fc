#!/usr/bin/env node
// @ringkit/shm's install step: builds the native addon for the running Node with node-gyp
// (npm's own copy; the Node headers come from npm's `nodedir` setting or node-gyp's cache —
// nothing is downloaded when nodedir points at installed headers). Where the toolchain is
// missing it says what to install and fails, rather than failing later at the first import.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const here = dirname(new URL(import.meta.url).pathname);
const pkg = join(here, '..');

if (process.platform !== 'linux') {
  console.warn(`@ringkit/shm: not building the native addon: named shared-memory rings need Linux (this is ${process.platform}); importing @ringkit/shm will throw UnsupportedPlatformError`);
  process.exit(0);
}

const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const missing = [];
if (!has('make')) missing.push('make');
if (!has(process.env.CXX ?? 'g++') && !has('c++')) missing.push('g++');
if (!has('python3')) missing.push('python3');
const headers = process.env.npm_config_nodedir;
if (headers !== undefined && headers !== '' && !existsSync(join(headers, 'include', 'node', 'node.h'))) {
  missing.push(`Node's C++ headers in ${headers}/include/node (npm's nodedir setting points there)`);
}
if (missing.length > 0) {
  console.error([
    '',
    `@ringkit/shm: cannot build its native addon: missing ${missing.join(', ')}.`,
    '  On Debian/Ubuntu:  sudo apt-get install -y python3 make g++' + (headers === '/usr' ? ' libnode-dev' : ''),
    '  On Fedora/RHEL:    sudo dnf install -y python3 make gcc-c++',
    '  then run npm install (or npm ci) again.',
    '',
  ].join('\n'));
  process.exit(1);
}

/** npm's bundled node-gyp (npm passes its path), else one resolvable from here. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm !== undefined && existsSync(fromNpm)) return fromNpm;
  const candidates = [];
  if (process.env.npm_execpath !== undefined) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const c of candidates) if (existsSync(c)) return c;
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

const gyp = nodeGyp();
if (gyp === undefined) {
  console.error('@ringkit/shm: cannot build its native addon: node-gyp not found (it comes with npm; run the install through npm, or `npm install -g node-gyp`)');
  process.exit(1);
}
const r = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: pkg, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('\n@ringkit/shm: building the native addon failed (output above). It needs python3, make, g++ and the headers of this Node ' +
    `(${process.version}); on Debian/Ubuntu: sudo apt-get install -y python3 make g++`);
  process.exit(r.status ?? 1);
}
