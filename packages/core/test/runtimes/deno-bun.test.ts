/**
 * Core's own test suite (unit, property and stress tests: real worker threads, every entry
 * checked) run again under Deno and under Bun, from their npm packages (`deno`, `bun`: the
 * binaries ship inside platform packages). Both run `node:test` files. Node itself lists the
 * tests first (a name pattern that matches nothing makes it report every test, unrun), so a test
 * that a runtime does not run, skips or fails is a failure here, never a silent gap.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
const TESTS = fileURLToPath(new URL('../', import.meta.url)); // packages/core/dist/test/
/** Test directories that are not core's own suite (this file, the browser test). */
const NOT_SUITE = new Set(['runtimes', 'browser', 'fixtures']);

function suiteFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) { if (!NOT_SUITE.has(name)) walk(p); } else if (name.endsWith('.test.js')) files.push(p);
    }
  };
  walk(TESTS);
  return files.sort();
}

interface Case { name: string; outcome: 'passed' | 'failed' | 'skipped' }
type XmlNode = { [key: string]: unknown };

/** Every `<testcase>` of a JUnit report (suites nest in Node's and Bun's reports). */
function junitCases(xml: string): Case[] {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (tag) => tag === 'testsuite' || tag === 'testcase' });
  const cases: Case[] = [];
  const visit = (node: XmlNode): void => {
    for (const c of (node.testcase ?? []) as XmlNode[]) {
      const outcome = 'failure' in c || 'error' in c ? 'failed' : 'skipped' in c ? 'skipped' : 'passed';
      cases.push({ name: unescapeXml(String(c.name)), outcome });
    }
    for (const s of (node.testsuite ?? []) as XmlNode[]) visit(s);
  };
  visit(parser.parse(xml).testsuites as XmlNode);
  return cases;
}

/** Reporters escape test names differently (Node's junit writes `&quot;` where others write `"`): compare them unescaped. */
function unescapeXml(text: string): string {
  return text.replace(/&(quot|apos|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', apos: "'", lt: '<', gt: '>', amp: '&' })[e]!);
}

/**
 * Deno reports a `describe` as a test whose steps are `suite > step` cases: keep the leaves, by
 * their last name, so that they compare with Node's and Bun's test names.
 */
function denoLeaves(cases: Case[]): Case[] {
  return cases
    .filter((c) => !cases.some((o) => o.name.startsWith(`${c.name} > `)))
    .map((c) => ({ ...c, name: c.name.split(' > ').at(-1)! }));
}

/**
 * The same tests, in less time: the randomized stress harness for 10 s instead of 70, fewer
 * property runs (the Node run does the long ones; here the point is that every test runs and passes).
 */
const SHORTER = { RINGKIT_STRESS_SECONDS: '10', RINGKIT_PROPERTY_RUNS: '40' };

function run(command: string, args: string[], what: string, extraEnv: Record<string, string> = {}): string {
  // Without NODE_TEST_CONTEXT: a `node --test` started from a test would report to this runner, not to its own reporter.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20, env: { ...env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', ...SHORTER, ...extraEnv } });
  assert.equal(r.error, undefined, `${what}: ${r.error?.message}`);
  return `${r.stdout}\n${r.stderr}`;
}

/** The tests Node finds in the suite, by name (sorted; names repeat across files). */
function nodeTestNames(files: string[], junit: string): string[] {
  run(process.execPath, ['--test', '--test-name-pattern=^(?!)', '--test-reporter=junit', `--test-reporter-destination=${junit}`, ...files], 'node --test (listing)');
  const cases = junitCases(readFileSync(junit, 'utf8'));
  assert.ok(cases.length > 50, `node listed only ${cases.length} tests`);
  assert.ok(cases.every((c) => c.outcome === 'skipped'), 'node --test with a pattern that matches nothing runs no test');
  return cases.map((c) => c.name).sort();
}

/** The runtime's binary: the `bin` of its npm package (`deno` runs a small Node launcher). */
function binary(pkg: 'deno' | 'bun'): { command: string; prefix: string[] } {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  const file = join(dirname(manifest), typeof bin === 'string' ? bin : bin[pkg]!);
  return /\.[cm]?js$/.test(file) ? { command: process.execPath, prefix: [file] } : { command: file, prefix: [] };
}

describe('core under other runtimes (npm packages deno and bun)', () => {
  const files = suiteFiles();
  const dir = mkdtempSync(join(tmpdir(), 'ringkit-runtimes-'));
  let expected: string[] | undefined;
  const expectedNames = (): string[] => (expected ??= nodeTestNames(files, join(dir, 'node.xml')));

  const check = (t: TestContext, runtime: string, output: string, cases: Case[]): void => {
    const bad = cases.filter((c) => c.outcome !== 'passed');
    assert.deepEqual(bad, [], `${runtime}: tests that did not pass\n${output.slice(-4000)}`);
    assert.deepEqual(cases.map((c) => c.name).sort(), expectedNames(), `${runtime} ran a different set of tests than node lists\n${output.slice(-2000)}`);
    t.diagnostic(`${runtime}: all ${cases.length} tests of ${files.length} files passed`);
  };

  it('Deno runs every test of core\'s suite, and each passes', (t) => {
    const { command, prefix } = binary('deno');
    const version = run(command, [...prefix, '--version'], 'deno --version').split('\n')[0]!;
    const junit = join(dir, 'deno.xml');
    // Deno's worker.terminate() resolves while a busy worker runs on (the next test proves it), so
    // the stress harness cannot stage a kill there: under Deno its scenarios keep everyone alive.
    const output = run(command, [...prefix, 'test', '--allow-all', `--junit-path=${junit}`, ...files], 'deno test', { RINGKIT_STRESS_KILLS: '0' });
    check(t, version, output, denoLeaves(junitCases(readFileSync(junit, 'utf8'))));
  });

  it('why Deno runs the stress scenarios without kills: its worker.terminate() does not stop a busy worker (if this fails, Deno fixed it: drop RINGKIT_STRESS_KILLS=0 above)', () => {
    const { command, prefix } = binary('deno');
    const out = run(command, [...prefix, 'run', '--allow-all', fileURLToPath(new URL('../fixtures/terminate-probe.js', import.meta.url))], 'deno run terminate-probe');
    const moved = Number(/moved (\d+)/.exec(out)?.[1]);
    assert.ok(moved > 0, `a terminated worker stopped under Deno: ${out}`);
  });

  it('Bun runs every test of core\'s suite, and each passes', (t) => {
    const { command, prefix } = binary('bun');
    const version = `bun ${run(command, [...prefix, '--version'], 'bun --version').trim()}`;
    const junit = join(dir, 'bun.xml');
    const output = run(command, [...prefix, 'test', '--timeout=60000', '--reporter=junit', `--reporter-outfile=${junit}`, ...files], 'bun test');
    check(t, version, output, junitCases(readFileSync(junit, 'utf8')));
    rmSync(dir, { recursive: true, force: true });
  });
});
