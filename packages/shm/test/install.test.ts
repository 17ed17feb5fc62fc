// The install step: builds the addon with the toolchain here, and says what to install where
// the toolchain is missing (run with a PATH that has none of make, g++, python3).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = new URL('../../scripts/build-addon.mjs', import.meta.url).pathname;
const empty = mkdtempSync(join(tmpdir(), 'ringkit-no-toolchain-'));
after(() => rmSync(empty, { recursive: true, force: true }));

describe('@ringkit/shm install', () => {
  it('without a toolchain: fails, naming what is missing and the command that installs it', () => {
    const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', env: { PATH: empty } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /@ringkit\/shm: cannot build its native addon: missing make, g\+\+, python3\./);
    assert.match(r.stderr, /On Debian\/Ubuntu: {2}sudo apt-get install -y python3 make g\+\+/);
    assert.match(r.stderr, /then run npm install \(or npm ci\) again/);
  });
});
