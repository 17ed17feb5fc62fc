import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { demoSpec } from '@ringkit/pipeline';
import { splitPipeline, natsStagesModule } from '../src/index.js';
import { NatsServer } from './fixtures/nats-server.js';
import { runNode } from './fixtures/run-node.js';

const EXAMPLE = new URL('../../../../examples/nats-fizzbuzz.mjs', import.meta.url).pathname;

let server: NatsServer;
before(async () => {
  server = await NatsServer.start();
});
after(async () => {
  await server.close();
});

/** Runs one part of the split demo; resolves with its JSON line. */
async function part(name: 'generator' | 'worker', ...args: string[]): Promise<Record<string, number>> {
  const { code, out, err } = await runNode([EXAMPLE, '--nats', server.url, '--part', name, '--json', ...args]);
  if (code !== 0) throw new Error(`${name} exited ${code}: ${err}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
}

describe('splitPipeline', () => {
  it('puts a natsSink per crossing ring upstream and a natsSource of the same name downstream', () => {
    const { upstream, downstream, crossing } = splitPipeline(demoSpec({ capacity: 1024 }), { level: 1, connection: { servers: server.url }, prefix: 'fb' });
    assert.deepEqual(crossing, ['heartbeat', 'generator']);
    assert.deepEqual(upstream.levels.map((l) => l.stages.map((s) => s.name)), [['heartbeat', 'generator'], ['heartbeat.nats', 'generator.nats']]);
    assert.deepEqual(downstream.levels.map((l) => l.stages.map((s) => s.name)), [['heartbeat', 'generator'], ['worker'], ['logger']]);
    const src = downstream.levels[0]!.stages[1]!;
    assert.equal(src.module, natsStagesModule.href);
    assert.equal(src.export, 'natsSource');
    assert.deepEqual(src.output, { schema: { value: 'f64' }, capacity: 1024 });
    assert.deepEqual((src.options as { subject: string }).subject, 'fb.generator');
    assert.throws(() => splitPipeline(demoSpec(), { level: 3, connection: { servers: server.url } }), /options\.level must be an integer in \[1, 2\]/);
  });
});

describe('the FizzBuzz demo split in two processes through nats-server', () => {
  it('gives exact counts on both sides, across a nats-server restart in the middle', async () => {
    const worker = part('worker');
    await new Promise((r) => setTimeout(r, 300));
    const generator = part('generator', '--beats', '1500', '--rate', '2');
    // Mid-stream: once the generator part has put 100 messages in the stream.
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const n = await jsm.streams.info('FIZZBUZZ').then((i) => i.state.messages, () => 0);
      if (n >= 100) break;
      assert.ok(Date.now() < deadline, 'the generator part publishes');
      await new Promise((r) => setTimeout(r, 20));
    }
    await nc.close();
    await server.kill();
    await new Promise((r) => setTimeout(r, 300));
    await server.start();
    const [g, w] = await Promise.all([generator, worker]);
    assert.equal(g.heartbeats, 1500);
    assert.ok(g.generated > 0);
    assert.equal(w.processed, g.generated, `every generated value processed once: ${JSON.stringify(g)} ${JSON.stringify(w)}`);
    assert.equal(w.heartbeats, g.heartbeats);
    assert.equal(w.fizz! + w.buzz! + w.fizzbuzz! + w.value!, w.processed);
    // Exact FizzBuzz counts of 0 … n-1: multiples of 15 (0 included), of 3 only, of 5 only.
    const n = g.generated!;
    const fizzbuzz = Math.ceil(n / 15);
    assert.equal(w.fizzbuzz, fizzbuzz);
    assert.equal(w.fizz, Math.ceil(n / 3) - fizzbuzz);
    assert.equal(w.buzz, Math.ceil(n / 5) - fizzbuzz);
  });
});
