#!/usr/bin/env node
// Compares, in one run, redis-benchmark figures for: the staged ringkit RESP server, the plain
// single-thread Node server (same parser and commands, no rings) and Debian's redis-server.
// Usage: node packages/pipeline/bench/resp-compare.mjs [requests=200000]   (build first: npx tsc -b)
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPlainRespServer, startRespServer } from '@ringkit/pipeline';

const n = process.argv[2] ?? '200000';
function bench(port) {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-benchmark', ['-p', String(port), '-t', 'ping,set,get,incr', '-P', '16', '-n', n, '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-benchmark exited ${code}`))));
  });
}
function parse(out) {
  const r = {};
  for (const m of out.replace(/\r/g, '\n').matchAll(/^\s*([A-Z_]+): ([\d.]+) requests per second/gm)) r[m[1]] = Number(m[2]);
  return r;
}
const rows = {};
const staged = await startRespServer({ port: 0 });
rows['ringkit staged (2 parsers, 2 workers, 1 replier)'] = parse(await bench(staged.port));
await staged.close();
const plain = await startPlainRespServer({ port: 0 });
rows['plain Node net server (1 thread)'] = parse(await bench(plain.port));
await plain.close();
if (spawnSync('redis-server', ['--version']).status === 0) {
  const port = 6399;
  const rs = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await sleep(500);
  rows[`redis-server ${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.match(/v=(\S+)/)?.[1] ?? ''}`] = parse(await bench(port));
  rs.kill();
}
const tests = ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR'];
console.log(`redis-benchmark -t ping,set,get,incr -P 16 -n ${n} (requests per second)\n`);
console.log(`| server | ${tests.join(' | ')} |`);
console.log(`|---|${tests.map(() => '---:').join('|')}|`);
for (const [name, r] of Object.entries(rows)) console.log(`| ${name} | ${tests.map((t) => Math.round(r[t] ?? 0).toLocaleString('en-US')).join(' | ')} |`);
