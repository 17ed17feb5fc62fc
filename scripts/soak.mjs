#!/usr/bin/env node
// The core stress soak: randomized scenarios (packages/core/test/stress/scenario.ts) on real worker
// threads, one seed after another, until the time is up; prints each scenario, every failure with
// its replay command, and the scenario and message counts it checked. Needs a build (`npm run soak` builds).
//
//   npm run soak -- --minutes 30            # soak for 30 minutes from a random seed
//   npm run soak -- --seed 123456           # replay one scenario
//   npm run soak -- --from 1000 --minutes 5 --messages 50000
import { parseArgs } from 'node:util';
import { stressLoop } from '../packages/core/dist/test/stress/stress-loop.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string', multiple: true },
    from: { type: 'string' },
    messages: { type: 'string' },
  },
});

function number(name, text) {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isFinite(n)) {
    console.error(`soak: --${name} takes a number: --${name}=${text}`);
    process.exit(2);
  }
  return n;
}

const seconds = values.seconds !== undefined ? number('seconds', values.seconds) : values.minutes !== undefined ? 60 * number('minutes', values.minutes) : 60;
const summary = await stressLoop({
  seconds,
  seeds: values.seed?.map((s) => number('seed', s)),
  seed: values.from !== undefined ? number('from', values.from) : undefined,
  messages: values.messages !== undefined ? number('messages', values.messages) : undefined,
  replay: (seed) => `npm run soak -- --seed ${seed}`,
});
process.exit(summary.failed.length === 0 ? 0 : 1);
