// The FizzBuzz demo split across two processes (or hosts) at the level boundary generator → worker,
// the rings that cross it (heartbeat, generator) bridged through NATS JetStream (docs/nats.md).
//
//   nats-server -js -sd /tmp/nats-store &
//   node examples/nats-fizzbuzz.mjs --nats nats://127.0.0.1:4222 --part worker &
//   node examples/nats-fizzbuzz.mjs --nats nats://127.0.0.1:4222 --part generator --beats 300
//
// Each part prints its exact counts as JSON (--json) or as lines; generated (generator part) and
// processed (worker part) are equal, and fizz + buzz + fizzbuzz + value = processed.
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { demoSpec, Pipeline } from '@ringkit/pipeline';
import { connectNats, splitPipeline } from '@ringkit/nats';

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
const connection = { servers: values.nats, reconnectDelayMs: 50 };
const spec = demoSpec({ beats: Number(values.beats), rateMs: Number(values.rate), capacity: Number(values.capacity) });
// A run id in every ring identity: runs reuse the stream inside the server's de-duplication window.
const { upstream, downstream } = splitPipeline(spec, { level: 1, connection, prefix: 'fizzbuzz', ringIdSuffix: `.${Date.now().toString(36)}` });

if (values.part === 'generator') {
  // A fresh run: what an earlier run left in the stream is not this run's.
  const nc = await connectNats(connection);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.purge('FIZZBUZZ').catch(() => undefined);
  await nc.close();
}
const pipeline = new Pipeline(values.part === 'generator' ? upstream : downstream);
// It stops itself: the generator part when the heartbeat asks (after --beats), the worker part when a
// source's end marker arrives (its stop waits for every source's end, so each gets all it was sent).
process.once('SIGINT', () => void pipeline.stop().catch(() => undefined));
await pipeline.start();
const { results, seconds } = await pipeline.done;
const bridge = Object.fromEntries(Object.entries(results).filter(([, r]) => r !== null && typeof r === 'object' && 'role' in r)
  .map(([name, r]) => [name, { published: r.published, acked: r.acked, messages: r.messages, redelivered: r.redelivered, dupDropped: r.dupDropped, held: r.held, lost: r.lost, retries: r.retries }]));
const out = values.part === 'generator'
  ? { part: 'generator', generated: results.generator.generated, heartbeats: results.heartbeat.beats, seconds, bridge }
  : { part: 'worker', processed: results.worker.processed, heartbeats: results.worker.heartbeats, ...results.logger, seconds, bridge };
if (values.json) console.log(JSON.stringify(out));
else {
  for (const [k, v] of Object.entries(out)) if (k !== 'bridge') console.log(`${k}: ${typeof v === 'number' ? v.toLocaleString('en') : v}`);
  for (const [name, s] of Object.entries(bridge)) console.log(`${name}: ${JSON.stringify(s)}`);
}
