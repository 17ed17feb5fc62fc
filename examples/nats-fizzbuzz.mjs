// The FizzBuzz demo split across two processes (or hosts) at the level boundary generator → worker,
// the rings that cross it (heartbeat, generator) bridged through NATS JetStream (docs/nats.md).
// The same code as `npx ringkit demo --nats <url> --part generator|worker` (startSplitDemo).
//
//   nats-server -js -sd /tmp/nats-store &
//   node examples/nats-fizzbuzz.mjs --nats nats://127.0.0.1:4222 --part worker &
//   node examples/nats-fizzbuzz.mjs --nats nats://127.0.0.1:4222 --part generator --beats 300
//
// Each part prints its exact counts as JSON (--json) or as lines, and its progress on stderr;
// both name the same run, generated (generator part) and processed (worker part) are equal, and
// fizz + buzz + fizzbuzz + value = processed. Either part may start first; a worker counts the
// newest run no worker counted yet (or waits for one), and starts over on a newer run.
import { parseArgs } from 'node:util';
import { formatSplitDemo, startSplitDemo } from '@ringkit/nats';

const { values } = parseArgs({
  options: {
    nats: { type: 'string', default: 'nats://127.0.0.1:4222' },
    part: { type: 'string' },
    beats: { type: 'string', default: '300' },
    rate: { type: 'string', default: '2' },
    capacity: { type: 'string', default: String(1 << 16) },
    json: { type: 'boolean', default: false },
  },
});
if (values.part !== 'generator' && values.part !== 'worker') {
  console.error('usage: nats-fizzbuzz.mjs --nats <url> --part generator|worker [--beats N] [--rate ms] [--capacity n] [--json]');
  process.exit(2);
}
const onEvent = (e) => console.error(`${values.part}: ${JSON.stringify(e)}`);
const demo = await startSplitDemo({ part: values.part, servers: values.nats, beats: Number(values.beats), rateMs: Number(values.rate), capacity: Number(values.capacity), onEvent });
process.once('SIGINT', () => void demo.stop().catch(() => undefined));
const out = await demo.done;
process.stdout.write(values.json ? `${JSON.stringify(out)}\n` : formatSplitDemo(out));
