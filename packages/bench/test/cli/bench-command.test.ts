/** `ringkit bench` through the real bin: flag errors (exit 2, naming the flag) and a tiny run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../../cli/bin/ringkit.js', import.meta.url));

function ringkit(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'bench', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bad flags exit 2 with a message naming the flag and what is allowed', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /--bogus.*allowed: --quick --only/s],
    [['--runs', '0'], /--runs must be an integer in \[1, 100\]: --runs=0/],
    [['--window', 'abc'], /--window must be an integer/],
    [['--cores', '0'], /--cores must be an integer in \[1, 1024\]: --cores=0/],
    [['--settle=-1'], /--settle must be an integer in \[0, 3600\]: --settle=-1/],
    [['--from', '/no/such/report.json'], /--from must name a report\.json written by --out/],
    [['--only', 'no-such-case'], /--only matched no case: --only=no-such-case; case names: spsc\.item/],
    [['--json', '--markdown'], /--json and --markdown both write stdout/],
    [['--only'], /--only/],
    [['stray'], /stray|positional/i],
  ];
  for (const [args, message] of cases) {
    const r = ringkit(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')} printed on stdout`);
  }
});

test('--help documents every flag; --list --quick lists the quick cases', () => {
  const help = ringkit('--help');
  assert.equal(help.code, 0);
  for (const f of ['--quick', '--only', '--json', '--markdown', '--out', '--runs', '--window', '--warmup', '--settle', '--cores', '--list', '--from']) assert.ok(help.stdout.includes(f), f);
  const list = ringkit('--list', '--quick');
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^spsc\.item\s/m);
  assert.doesNotMatch(list.stdout, /^spsc\.item\.small\s/m);
});

test('--json prints one JSON object; progress goes to stderr', () => {
  const r = ringkit('--only', 'baseline.copy.64B,baseline.ringbufjs', '--runs', '1', '--window', '30', '--warmup', '10', '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { results: { name: string; opsPerSec: number }[]; machine: { cores: number } };
  assert.deepEqual(report.results.map((x) => x.name).sort(), ['baseline.copy.64B', 'baseline.ringbufjs']);
  assert.ok(report.results.every((x) => x.opsPerSec > 0));
  assert.match(r.stderr, /\[1\/2\] baseline\.ringbufjs/);
  assert.match(r.stderr, /\[2\/2\] done/);
});
