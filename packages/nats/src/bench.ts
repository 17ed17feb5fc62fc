/**
 * The standalone NATS bench script: `node packages/nats/dist/src/bench.js [--rounds N]
 * [--warmup N] [--url nats://…] [--only <text>] [--json]`, the same cases as
 * `ringkit bench --only nats.` (see bench-run.ts). `--warmup`: unmeasured runs of a case in its
 * process before the measured one (default 1). Bad flags: a one-line message on stderr, exit code 2; a failed run: its message, exit code 1.
 */
import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '@ringkit/core';
import { formatNatsBench, runNatsBench } from './bench-run.js';

/** `text` as an integer in [min, max], or undefined after printing why not. */
function countFlag(flag: string, text: string, min: number, max: number): number | undefined {
  if (/^\d+$/.test(text) && Number(text) >= min && Number(text) <= max) return Number(text);
  process.stderr.write(`bench: --${flag} takes an integer in [${min}, ${max}]: --${flag} ${text}\n`);
  return undefined;
}

let values;
try {
  ({ values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, warmup: { type: 'string', default: '1' }, url: { type: 'string' }, json: { type: 'boolean', default: false }, only: { type: 'string' } } }));
} catch (e) {
  process.stderr.write(`bench: ${(e as Error).message.split('\n')[0]}; allowed: --rounds <n> --warmup <n> --url <nats://…> --only <text> --json\n`);
  process.exit(2);
}
const rounds = countFlag('rounds', values.rounds, 1, 100);
const warmupRuns = countFlag('warmup', values.warmup, 0, 10);
if (rounds === undefined || warmupRuns === undefined) process.exit(2);
let report;
try {
  report = await runNatsBench({
    rounds,
    warmupRuns,
    ...(values.url === undefined ? {} : { url: values.url }),
    ...(values.only === undefined ? {} : { only: [values.only] }),
    onProgress: (r, n, name) => process.stderr.write(`round ${r + 1}/${n}: ${name}\n`),
  });
} catch (e) {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof InvalidArgumentError ? 2 : 1);
}
process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatNatsBench(report));
