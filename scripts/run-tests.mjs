#!/usr/bin/env node
// Runs every compiled test file (`packages/*/dist/test/**/*.test.js`, `examples/*/dist/test/**/*.test.js`)
// and the repository's own checks (`scripts/test/*.test.mjs`: preflight, packed packages) with Node's test runner.
//
// One `node --test` process per file, one file at a time (the suites start more threads than the
// machine has cores; two files at once would only make both slower and noisier). Each file has a
// hard wall-clock limit: a file that hangs — a test that never settles, or a handle that keeps the
// process alive after its last test — is killed with its whole process group and reported as a
// failure naming itself, so the run always ends. A line per file says how it went as it ends;
// a failed file's whole output follows its line.
//
// Usage: node scripts/run-tests.mjs [substring filters...]   e.g. `node scripts/run-tests.mjs core/`
// Environment: RINGKIT_TEST_FILE_MINUTES (default 6) — the per-file limit; RINGKIT_TEST_VERBOSE=1
// prints every file's output, not only the failures'.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const fileMinutes = Number(process.env.RINGKIT_TEST_FILE_MINUTES ?? 6);
const verbose = process.env.RINGKIT_TEST_VERBOSE === '1';
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') || name.endsWith('.test.mjs')) files.push(p);
  }
}
for (const area of ['packages', 'examples']) {
  if (!existsSync(join(root, area))) continue;
  for (const pkg of readdirSync(join(root, area))) {
    const dir = join(root, area, pkg, 'dist', 'test');
    if (existsSync(dir)) walk(dir);
  }
}
walk(join(root, 'scripts', 'test'));
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error('run-tests: no test files found; run `npm run build` first');
  process.exit(1);
}
if (!(fileMinutes > 0)) {
  console.error(`run-tests: RINGKIT_TEST_FILE_MINUTES must be a positive number of minutes, got ${JSON.stringify(process.env.RINGKIT_TEST_FILE_MINUTES)}`);
  process.exit(1);
}

/** Runs one file; resolves with its exit status (null when killed), its output and its duration. */
function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    // A test that hangs fails on its own after the per-test limit; the file limit catches the rest.
    const perTest = Math.max(10_000, Math.floor(fileMinutes * 60_000 * 0.9));
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', `--test-timeout=${perTest}`, file], {
      cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, fileMinutes * 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Whatever the file started (workers, servers, browsers) goes with it.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      resolve({ code: killed ? null : code, killed, output: Buffer.concat(chunks).toString('utf8'), seconds: (Date.now() - started) / 1000 });
    });
  });
}

const counts = (text, word) => {
  const m = new RegExp(`^ℹ ${word} (\\d+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
};

const startedAll = Date.now();
const failed = [];
let tests = 0;
let passedTests = 0;
console.log(`run-tests: ${selected.length} files, one at a time, at most ${fileMinutes} min each`);
for (const [i, file] of selected.entries()) {
  const name = relative(root, file);
  const r = await runFile(file);
  const n = counts(r.output, 'tests');
  const pass = counts(r.output, 'pass');
  const skipped = counts(r.output, 'skipped') + counts(r.output, 'todo');
  tests += n;
  passedTests += pass;
  // A skipped test is not a passed test: the suites never skip, so a skip fails the file.
  const ok = r.code === 0 && skipped === 0 && n > 0;
  const why = r.killed ? `KILLED after ${fileMinutes} min (hung)` : r.code !== 0 ? 'FAIL' : n === 0 ? 'FAIL (no tests ran)' : skipped > 0 ? `FAIL (${skipped} skipped)` : 'ok';
  console.log(`[${i + 1}/${selected.length}] ${ok ? 'ok  ' : 'FAIL'} ${name}  ${pass}/${n} tests  ${r.seconds.toFixed(1)} s${ok ? '' : `  — ${why}`}`);
  if (!ok || verbose) {
    process.stdout.write(r.output.replace(/^/gm, '    '));
    process.stdout.write('\n');
  }
  if (!ok) failed.push(`${name}: ${why}`);
}
const minutes = ((Date.now() - startedAll) / 60_000).toFixed(1);
console.log(`\nrun-tests: ${selected.length - failed.length}/${selected.length} files passed, ${passedTests}/${tests} tests, ${minutes} min`);
if (failed.length > 0) {
  console.log('failed:');
  for (const f of failed) console.log(`  ${f}`);
  process.exit(1);
}
