import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, demoPart, NatsServer, type DemoRun } from './fixtures/nats.js';

let server: NatsServer;
before(async () => {
  server = await NatsServer.start();
});
after(async () => {
  await server.close();
});

/** `ringkit demo --nats <server> --part <name> ...` as an OS process. */
const part = (name: string, ...args: string[]): Promise<DemoRun> => demoPart(server.url, name, ...args);

/** `key: 1,234` lines of a part's output. */
function counts(out: string): Record<string, number> {
  const r: Record<string, number> = {};
  for (const m of out.matchAll(/^(\w+): ([\d,.]+)$/gm)) r[m[1]!] = Number(m[2]!.replace(/,/g, ''));
  return r;
}

describe('ringkit demo --nats', () => {
  it('runs the FizzBuzz demo split in two processes with exact counts at the end of both', async () => {
    const worker = part('worker');
    await new Promise((r) => setTimeout(r, 300));
    const generator = part('generator', '--beats', '400', '--capacity', '16384');
    const [g, w] = await Promise.all([generator, worker]);
    assert.equal(g.code, 0, g.err);
    assert.equal(w.code, 0, w.err);
    assert.match(g.out, /^part: generator$/m);
    assert.match(w.out, /^part: worker$/m);
    const gc = counts(g.out);
    const wc = counts(w.out);
    assert.equal(gc.heartbeats, 400);
    assert.ok(gc.generated! > 0, g.out);
    assert.equal(wc.processed, gc.generated, `${g.out}\n${w.out}`);
    assert.equal(wc.heartbeats, 400);
    const n = gc.generated!;
    const fizzbuzz = Math.ceil(n / 15); // 0 … n-1, 0 counts as FizzBuzz
    assert.equal(wc.fizzbuzz, fizzbuzz);
    assert.equal(wc.fizz, Math.ceil(n / 3) - fizzbuzz);
    assert.equal(wc.buzz, Math.ceil(n / 5) - fizzbuzz);
    assert.equal(wc.value, n - wc.fizz! - wc.buzz! - fizzbuzz);
    // Every entry published upstream was acknowledged, and arrived downstream.
    const bridge = (out: string, name: string): Record<string, number> => JSON.parse(new RegExp(`^${name.replace('.', '\\.')}: (\\{.*\\})$`, 'm').exec(out)![1]!) as Record<string, number>;
    assert.deepEqual([bridge(g.out, 'generator.nats').published, bridge(g.out, 'generator.nats').acked], [n, n]);
    assert.deepEqual([bridge(w.out, 'generator').published, bridge(w.out, 'generator').acked], [n, n]);
  });

  it('gives --json and refuses bad flag combinations', async () => {
    const worker = part('worker', '--json');
    await new Promise((r) => setTimeout(r, 300));
    const g = await part('generator', '--beats', '50', '--json', '--capacity', '4096');
    const w = await worker;
    assert.equal(g.code, 0, g.err);
    const gj = JSON.parse(g.out) as { part: string; generated: number };
    const wj = JSON.parse(w.out) as { part: string; processed: number };
    assert.equal(gj.part, 'generator');
    assert.equal(wj.processed, gj.generated);
    const bad = (args: string[], re: RegExp): void => {
      const r = spawnSync(process.execPath, [BIN, 'demo', ...args], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, re);
    };
    bad(['--part', 'worker'], /--part needs --nats <url>/);
    bad(['--nats', server.url, '--part', 'logger'], /--part must be generator or worker with --nats: --part=logger/);
    bad(['--nats', server.url], /--part must be generator or worker/);
    bad(['--nats', server.url, '--part', 'worker', '--troupe'], /--troupe cannot be used with --nats/);
    bad(['--nats', server.url, '--part', 'worker', '--capacity', '1000'], /--capacity must be a power of two/);
  });
});

describe('ringkit bench --only nats.', () => {
  it('runs the @ringkit/nats rows (its own nats-server) and refuses a case that does not exist', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', '--only', 'nats.core.packed.8B,nats.packed.8B', '--runs', '1', '--json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { rounds: number; results: Array<{ name: string; entriesPerSec: number }> };
    assert.equal(report.rounds, 1);
    assert.deepEqual(report.results.map((x) => x.name), ['nats.packed.8B', 'nats.core.packed.8B']);
    for (const x of report.results) assert.ok(x.entriesPerSec > 0, JSON.stringify(x));
    const bad = spawnSync(process.execPath, [BIN, 'bench', '--only', 'nats.nope'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /no NATS case matches --only nats\.nope; cases: nats\.packed\.8B/);
    const noServer = spawnSync(process.execPath, [BIN, 'bench', '--only', 'nats.core.entry.8B', '--runs', '1'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NATS_SERVER: '/nonexistent/nats-server' } });
    assert.equal(noServer.status, 1, noServer.stderr);
    assert.match(noServer.stderr, /ringkit bench: nats\.core\.entry\.8B: cannot start \/nonexistent\/nats-server \(install Debian's nats-server package, or set NATS_SERVER\)/);
  });
});
