// `ringkit shm` as a user runs it: produce in one process, consume in another, both killed with
// SIGKILL and restarted; ls / rm / clean; misuse.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/ringkit.js', import.meta.url));
const NAME = `/rk-cli-${process.pid}`;
const started: ChildProcess[] = [];

after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const n of [NAME, `${NAME}-b`, `${NAME}-c`]) rmSync(`/dev/shm${n}`, { force: true });
});

function ringkit(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `ringkit args` in the background; `done` resolves with its exit and output. */
function start(args: string[]): { proc: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>; stderr: () => string } {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })));
  return { proc, done, stderr: () => err };
}

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ringkit shm', () => {
  it('produce | consume in two processes, each killed with SIGKILL and restarted: exact counts', async () => {
    const count = 6_000_000;
    let producer = start(['shm', 'produce', NAME, '--count', String(count), '--capacity', '4096', '--rate', '2000000']);
    await until('the ring', () => existsSync(`/dev/shm${NAME}`) && producer.stderr().includes('publishing'));
    let consumer = start(['shm', 'consume', NAME, '--json']);
    await until('consumer progress', () => consumer.stderr().includes('received,'));
    consumer.proc.kill('SIGKILL');
    assert.equal((await consumer.done).signal, 'SIGKILL');
    // The consumer's entry is kept for it (its restart gets what it had not released).
    const lsDuring = JSON.parse(ringkit(['shm', 'ls', '--json']).stdout) as Array<{ name: string; alive: number; dead: number; kind: string }>;
    const mine = lsDuring.find((s) => s.name === NAME)!;
    assert.equal(mine.kind, 'ring');
    assert.ok(mine.alive >= 1);
    producer.proc.kill('SIGKILL');
    assert.equal((await producer.done).signal, 'SIGKILL');
    consumer = start(['shm', 'consume', NAME, '--json']);
    await until('consumer opened', () => consumer.stderr().includes('consumer 0 from entry'));
    producer = start(['shm', 'produce', NAME, '--count', String(count), '--json']);
    const p = await producer.done;
    assert.equal(p.code, 0, p.stderr);
    const pr = JSON.parse(p.stdout) as { from: number; to: number; closed: boolean };
    assert.ok(pr.from > 0, 'the restarted producer went on after the last entry published');
    assert.equal(pr.to, count - 1);
    assert.equal(pr.closed, true);
    const c = await consumer.done;
    assert.equal(c.code, 0, c.stderr);
    const cr = JSON.parse(c.stdout) as { received: number; from: number; to: number; wrong: number; closed: boolean };
    assert.equal(cr.wrong, 0);
    assert.equal(cr.to, count - 1);
    assert.equal(cr.received, count - cr.from, 'every entry from where it left off, once');
    assert.equal(cr.closed, true);
  });

  it('ls, rm, clean: stale only, never one with a live process', async () => {
    const idle = start(['shm', 'produce', `${NAME}-b`, '--count', '100000000', '--capacity', '64']);
    await until('the producer', () => idle.stderr().includes('publishing'));
    const live = start(['shm', 'produce', `${NAME}-c`, '--count', '100000000', '--capacity', '64']);
    await until('the other producer', () => live.stderr().includes('publishing'));
    idle.proc.kill('SIGKILL');
    await idle.done;
    const ls = ringkit(['shm', 'ls']);
    assert.equal(ls.code, 0);
    assert.match(ls.stdout, /^NAME\s+KIND\s+SIZE\s+CAPACITY\s+ALIVE\s+DEAD\s+AGE\s+STALE\n/);
    assert.match(ls.stdout, new RegExp(`${NAME}-b\\s+ring\\s+\\S+ KiB\\s+64\\s+0\\s+1\\s+\\d+s\\s+yes`));
    assert.match(ls.stdout, new RegExp(`${NAME}-c\\s+ring\\s+\\S+ KiB\\s+64\\s+1\\s+0\\s+\\d+s\\s+no`));
    const clean = ringkit(['shm', 'clean']);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, new RegExp(`removed ${NAME}-b\\n`));
    assert.doesNotMatch(clean.stdout, new RegExp(`${NAME}-c`));
    assert.equal(existsSync(`/dev/shm${NAME}-c`), true);
    live.proc.kill('SIGTERM');
    const l = await live.done;
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /; stopped\n$/);
    const rm = ringkit(['shm', 'rm', `${NAME}-c`]);
    assert.equal(rm.code, 0);
    assert.equal(rm.stdout, `removed ${NAME}-c\n`);
    const again = ringkit(['shm', 'rm', `${NAME}-c`]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no shared-memory segment/);
  });

  it('misuse: exit 2 naming what is allowed; a missing ring: exit 1', () => {
    const cases: Array<[string[], RegExp]> = [
      [['shm'], /name a subcommand: ls, rm, clean, produce, consume/],
      [['shm', 'bogus'], /unknown subcommand "bogus"; allowed: ls, rm, clean, produce, consume/],
      [['shm', 'rm'], /shm rm needs at least one NAME/],
      [['shm', 'produce'], /shm produce takes one NAME \(got none\)/],
      [['shm', 'produce', '/x', '--capacity', '1000'], /--capacity must be a power of two/],
      [['shm', 'consume', '/x', '--id=-1'], /--id must be an integer in \[0, 127\]/],
      [['shm', 'ls', '--nope'], /Unknown option '--nope'/],
    ];
    for (const [args, re] of cases) {
      const r = ringkit(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
    }
    const missing = ringkit(['shm', 'consume', `${NAME}-missing`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no shared-memory segment .*-missing: create it first/);
    const bad = ringkit(['shm', 'rm', '/a/b']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid segment name/);
    const help = ringkit(['shm', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: ringkit shm <ls\|rm\|clean\|produce\|consume>/);
  });
});
