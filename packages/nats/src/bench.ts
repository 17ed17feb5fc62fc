/**
 * The standalone NATS bench script: `node packages/nats/dist/src/bench.js [--rounds N] [--url nats://…]
 * [--only <text>] [--json]` (the same cases as `ringkit bench --only nats.`; see bench-run.ts).
 */
import { parseArgs } from 'node:util';
import { formatNatsBench, runNatsBench } from './bench-run.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, url: { type: 'string' }, json: { type: 'boolean', default: false }, only: { type: 'string' } } });
const report = await runNatsBench({
  rounds: Number(values.rounds),
  ...(values.url === undefined ? {} : { url: values.url }),
  ...(values.only === undefined ? {} : { only: [values.only] }),
  onProgress: (r, n, name) => process.stderr.write(`round ${r + 1}/${n}: ${name}\n`),
});
process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatNatsBench(report));
