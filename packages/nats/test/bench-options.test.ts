import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { InvalidArgumentError } from '@ringkit/core';
import { runNatsBench } from '../src/bench-run.js';

const SCRIPT = new URL('../src/bench.js', import.meta.url).pathname;

describe('runNatsBench and bench.js refuse bad options before starting anything', () => {
  it('runNatsBench: typed errors naming the option and what is allowed', async () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ rounds: Number.NaN }, /^options\.rounds must be an integer in \[1, 100\]: rounds=NaN$/],
      [{ rounds: 0 }, /^options\.rounds must be an integer in \[1, 100\]: rounds=0$/],
      [{ rounds: 2.5 }, /^options\.rounds must be an integer in \[1, 100\]/],
      [{ warmupRuns: 11 }, /^options\.warmupRuns must be an integer in \[0, 10\]: warmupRuns=11$/],
      [{ warmupRuns: -1 }, /^options\.warmupRuns must be an integer in \[0, 10\]/],
      [{ url: 5 }, /^options\.url must be a string \(nats:\/\/host:port\): url=5$/],
      [{ only: 'nats.packed' }, /^options\.only must be an array of texts/],
      [{ only: [3] }, /^options\.only must be an array of texts/],
      [{ only: ['nope'] }, /^options\.only names no NATS bench case: only=\["nope"\]; cases: nats\.packed\.8B /],
    ];
    for (const [options, message] of bad) {
      await assert.rejects(runNatsBench(options as never), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message), JSON.stringify(options));
    }
  });

  it('bench.js: a one-line message and exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--rounds', 'x'], /^bench: --rounds takes an integer in \[1, 100\]: --rounds x\n$/],
      [['--warmup=-1'], /^bench: --warmup takes an integer in \[0, 10\]: --warmup -1\n$/],
      [['--bogus'], /^bench: Unknown option '--bogus'; allowed: --rounds <n> --warmup <n>/],
      [['--only', 'nope'], /^bench: options\.only names no NATS bench case: only=\["nope"\]; cases: /],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });
});
