import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { BIN, NatsServer } from './fixtures/nats.js';

// Runs of the split demo: leftovers of earlier runs (killed or never counted), either part first,
// a part restarted. Every case ends with exact counts of one run on both parts.

let server: NatsServer;
before(async () => {
  server = await NatsServer.start();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await server.close();
});

interface Run { code: number | null; signal: NodeJS.Signals | null; out: Record<string, unknown>; err: string }
interface Part { child: ChildProcess; exit: Promise<Run>; stderr(re: RegExp): Promise<RegExpMatchArray> }
const children: ChildProcess[] = [];

/** `ringkit demo --nats <server> --part <name> --json ...` as an OS process; `stderr(re)` waits for a line of its progress. */
function part(name: 'generator' | 'worker', ...args: string[]): Part {
  const child = spawn(process.execPath, [BIN, 'demo', '--nats', server.url, '--part', name, '--json', '--capacity', '16384', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exit = new Promise<Run>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal, out: out.trim() === '' ? {} : JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>, err });
    });
  });
  const stderr = async (re: RegExp): Promise<RegExpMatchArray> => {
    for (;;) {
      const m = re.exec(err);
      if (m !== null) return m;
      assert.ok(child.exitCode === null && child.signalCode === null, `${name} part exited before printing ${re}: ${err}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { child, exit, stderr };
}

/** The two parts' outputs agree: the same run, every generated value processed once, exact FizzBuzz counts. */
function assertExact(g: Run, w: Run): void {
  assert.equal(g.code, 0, g.err);
  assert.equal(w.code, 0, w.err);
  const n = g.out.generated as number;
  assert.ok(n > 0, JSON.stringify(g.out));
  assert.equal(w.out.run, g.out.run, `both parts on one run: ${g.err}\n${w.err}`);
  assert.equal(w.out.processed, n, `every generated value processed once: ${JSON.stringify(g.out)}\n${JSON.stringify(w.out)}\n${w.err}`);
  assert.equal(w.out.heartbeats, g.out.heartbeats);
  const fizzbuzz = Math.ceil(n / 15); // 0 … n-1, 0 counts as FizzBuzz
  assert.equal(w.out.fizzbuzz, fizzbuzz);
  assert.equal(w.out.fizz, Math.ceil(n / 3) - fizzbuzz);
  assert.equal(w.out.buzz, Math.ceil(n / 5) - fizzbuzz);
  assert.equal(w.out.value, n - (w.out.fizz as number) - (w.out.buzz as number) - fizzbuzz);
}

/** Resolves once the stream FIZZBUZZ holds at least `n` messages. */
async function streamHolds(n: number): Promise<void> {
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + 20_000;
    while (await jsm.streams.info('FIZZBUZZ').then((i) => i.state.messages, () => 0) < n) {
      assert.ok(Date.now() < deadline, `the stream holds ${n} messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await nc.close();
  }
}

describe('ringkit demo --nats: runs', () => {
  it('a generator part killed mid-run leaves its run in the stream; a worker started first counts it, then drops it for the new run: exact counts', async () => {
    const killed = part('generator', '--beats', '100000');
    const [, leftover] = await killed.stderr(/^generator: run (\S+) /m);
    await streamHolds(200);
    killed.child.kill('SIGKILL');
    assert.equal((await killed.exit).signal, 'SIGKILL');
    const worker = part('worker');
    await worker.stderr(new RegExp(`^worker: counting run ${leftover!} `, 'm'));
    await new Promise((r) => setTimeout(r, 300)); // it counts what the killed run left
    const generator = part('generator', '--beats', '400');
    const [g, w] = await Promise.all([generator.exit, worker.exit]);
    assertExact(g, w);
    assert.notEqual(g.out.run, leftover);
    assert.equal(w.out.superseded, 1);
    assert.match(w.err, new RegExp(`^worker: run ${leftover!} superseded by run ${g.out.run as string} \\(a generator part started again\\)`, 'm'));
  });

  it('a finished run no worker counted: a new generator then a worker count the new run; the old one is dropped', async () => {
    const old = await part('generator', '--beats', '200').exit;
    assert.equal(old.code, 0, old.err);
    const generator = part('generator', '--beats', '400');
    await generator.stderr(/^generator: run \S+ /m);
    const worker = part('worker');
    const [g, w] = await Promise.all([generator.exit, worker.exit]);
    assertExact(g, w);
    assert.notEqual(g.out.run, old.out.run);
    assert.equal(w.out.superseded, 0);
  });

  it('a worker started after a generator part ended counts that run; the next worker, started before a generator, waits for the new run', async () => {
    const g1 = await part('generator', '--beats', '300').exit;
    const w1 = await part('worker').exit;
    assertExact(g1, w1);
    const worker = part('worker');
    await worker.stderr(/^worker: waiting for a generator part/m);
    await new Promise((r) => setTimeout(r, 300));
    const generator = part('generator', '--beats', '300');
    const [g2, w2] = await Promise.all([generator.exit, worker.exit]);
    assertExact(g2, w2);
    assert.notEqual(g2.out.run, g1.out.run);
  });

  it('a worker part killed mid-run and started again counts the whole run from its start', async () => {
    const generator = part('generator', '--beats', '1500');
    const [, run] = await generator.stderr(/^generator: run (\S+) /m);
    const first = part('worker');
    await first.stderr(new RegExp(`^worker: counting run ${run!} `, 'm'));
    await streamHolds(300);
    first.child.kill('SIGKILL');
    assert.equal((await first.exit).signal, 'SIGKILL');
    const again = part('worker');
    const [g, w] = await Promise.all([generator.exit, again.exit]);
    assertExact(g, w);
    assert.equal(w.out.run, run);
  });

  it('a second generator part started while the first still publishes supersedes it: the worker ignores the first run\'s entries and counts the second exactly', async () => {
    const worker = part('worker');
    const first = part('generator', '--beats', '100000');
    const [, run1] = await first.stderr(/^generator: run (\S+) /m);
    await worker.stderr(new RegExp(`^worker: counting run ${run1!} `, 'm'));
    await streamHolds(100);
    const second = part('generator', '--beats', '400');
    const [g, w] = await Promise.all([second.exit, worker.exit]);
    first.child.kill('SIGKILL');
    await first.exit;
    assertExact(g, w);
    assert.equal(w.out.superseded, 1);
    const bridge = w.out.bridge as Record<string, { ignored: number; published: number }>;
    assert.ok(bridge.generator!.ignored > 0, `the first run's entries sent after the second's start marker are ignored: ${JSON.stringify(bridge)}`);
    assert.equal(bridge.generator!.published, g.out.generated);
  });
});
