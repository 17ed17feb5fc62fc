#!/usr/bin/env node
// Runs every compiled test file (`packages/*/dist/test/**/*.test.js`, `examples/*/dist/test/**/*.test.js`) with Node's test runner.
// Usage: node scripts/run-tests.mjs [substring filters...]   e.g. `node scripts/run-tests.mjs core/`
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
}
for (const area of ['packages', 'examples']) {
  if (!existsSync(join(root, area))) continue;
  for (const pkg of readdirSync(join(root, area))) {
    const dir = join(root, area, pkg, 'dist', 'test');
    if (existsSync(dir)) walk(dir);
  }
}
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error('run-tests: no test files found; run `npm run build` first');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
