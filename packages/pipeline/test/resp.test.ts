import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { respSpec, startPlainRespServer, startRespServer, type RespServer } from '../src/index.js';

const haveCli = spawnSync('redis-cli', ['--version']).status === 0;

const run = promisify(execFile);

/** redis-cli, asynchronously (the servers under test run on this thread's event loop). */
async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' })).stdout.trimEnd();
}

/** Sends raw bytes; resolves with everything received once `expect` bytes arrived. */
function raw(port: number, payload: string, until: (s: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`timeout; got ${JSON.stringify(got)}`)); }, 5000);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (until(got)) {
        clearTimeout(timer);
        s.end();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.write(payload);
  });
}

async function check(server: RespServer): Promise<void> {
  const port = server.port;
  assert.equal(await cli(port, 'ping'), 'PONG');
  assert.equal(await cli(port, 'echo', 'hello world'), 'hello world');
  assert.equal(await cli(port, 'set', 'k1', 'v1'), 'OK');
  assert.equal(await cli(port, 'get', 'k1'), 'v1');
  assert.equal(await cli(port, 'set', 'n', '41'), 'OK');
  assert.equal(await cli(port, 'incr', 'n'), '42');
  assert.equal(await cli(port, 'incr', 'k1'), 'ERR value is not an integer or out of range');
  for (let i = 0; i < 20; i++) await cli(port, 'set', `key:${i}`, `val${i}`);
  assert.equal(await cli(port, 'mget', 'key:3', 'missing', 'key:17', 'n'), 'val3\n\nval17\n42');
  assert.equal(await cli(port, 'del', 'key:1', 'key:2', 'nope'), '2');
  assert.equal(await cli(port, 'get', 'key:1'), '');
  assert.match(await cli(port, 'flushall'), /^ERR unknown command 'flushall'/);
  assert.match(await cli(port, 'get'), /^ERR wrong number of arguments for 'get' command/);
  // Malformed input, then valid requests on the same connection.
  const r = await raw(port, '*1\r\n$4\r\nPING\r\n*zz\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n', (s) => s.includes('$2\r\nhi\r\n'));
  assert.equal(r, '+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n$2\r\nhi\r\n');
  // 500 pipelined requests in one write: replies in order.
  let req = '';
  let want = '';
  for (let i = 0; i < 500; i++) {
    req += `*3\r\n$3\r\nSET\r\n$${`p${i}`.length}\r\np${i}\r\n$${String(i).length}\r\n${i}\r\n*2\r\n$4\r\nINCR\r\n$${`p${i}`.length}\r\np${i}\r\n`;
    want += `+OK\r\n:${i + 1}\r\n`;
  }
  assert.equal(await raw(port, req, (s) => s.length >= want.length), want);
  // redis-benchmark, pipelined.
  const b = await run('redis-benchmark', ['-p', String(port), '-t', 'ping,set,get,incr', '-P', '16', '-n', '20000', '-q'], { encoding: 'utf8', timeout: 60_000 });
  for (const t of ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR']) assert.match(b.stdout, new RegExp(`${t}: [\\d.]+ requests per second`));
}

test('staged RESP server against redis-cli, raw malformed and pipelined input, redis-benchmark', async () => {
  assert.ok(haveCli, 'redis-cli and redis-benchmark are needed: apt-get install -y redis-tools (.ci/run installs it)');
  const server = await startRespServer({ port: 0 });
  try {
    await check(server);
  } finally {
    await server.close();
  }
});

test('plain single-thread baseline server speaks the same subset', async () => {
  assert.ok(haveCli, 'redis-cli is needed: apt-get install -y redis-tools (.ci/run installs it)');
  const server = await startPlainRespServer({ port: 0 });
  try {
    await check(server);
  } finally {
    await server.close();
  }
});

test('staged RESP server: values far beyond the old 2 KB cap round-trip; past maxRequestBytes a clear -ERR, and the connection goes on', async () => {
  const server = await startRespServer({ port: 0 });
  try {
    const big = 'x'.repeat(300_000) + 'end';
    const set = `*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${big.length}\r\n${big}\r\n*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n`;
    const want = `+OK\r\n$${big.length}\r\n${big}\r\n`;
    assert.equal(await raw(server.port, set, (s) => s.length >= want.length), want);
    assert.equal((await cli(server.port, 'get', 'big')).length, big.length);
  } finally {
    await server.close();
  }
  const small = await startRespServer({ port: 0, maxRequestBytes: 4096 });
  try {
    const v = 'y'.repeat(10_000);
    const req = `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${v.length}\r\n${v}\r\n*1\r\n$4\r\nPING\r\n`;
    const got = await raw(small.port, req, (s) => s.endsWith('+PONG\r\n'));
    assert.equal(got, '-ERR request too large for the staged server: 10020 bytes of arguments, at most 4096 (RespServerOptions.maxRequestBytes)\r\n+PONG\r\n');
  } finally {
    await small.close();
  }
  assert.throws(() => startRespServerSpecCheck(), /maxRequestBytes must be an integer in \[64, 64 MiB\]: maxRequestBytes=10/);
});

function startRespServerSpecCheck(): void {
  respSpec(1, 1, 10);
}
