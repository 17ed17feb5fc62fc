/**
 * One NATS bench case in a process of its own, as bench-run.ts starts it:
 * `node bench-case.js <case name> <warm-up runs> [nats://…]`. Starts its own `nats-server -js`
 * unless given a URL, runs the case `warm-up runs` times unmeasured (the JIT, the server's first
 * streams), then once measured, and prints that run's {@link Result} as JSON on stdout.
 *
 * Why a process (and a server) per run: run one after another in one process, a case inherited
 * the state the case before it left. Packed 1 KiB after a per-entry case used 630 ms of CPU in
 * the process per 200,000 entries instead of 440 ms (`process.cpuUsage()`), and ran 25–27 full
 * (mark-compact) collections per run instead of 6–9 (`--trace-gc`); with the per-entry case on
 * a second server, part of the loss remained, part went away. A fresh process and server per
 * run leaves no such state, as a harness that forks a process per benchmark does.
 */
import { CASES, runCase } from './bench-cases.js';
import { connectNats } from './connection.js';
import { startBenchServer, type BenchServer } from './bench-server.js';

const [name, warmupText, givenUrl] = process.argv.slice(2);
const c = CASES.find((x) => x.name === name);
const warmup = Number(warmupText);
if (c === undefined || !Number.isInteger(warmup) || warmup < 0) {
  process.stderr.write(`bench-case: usage: bench-case.js <case> <warm-up runs ≥ 0> [nats://…]; cases: ${CASES.map((x) => x.name).join(' ')}\n`);
  process.exit(2);
}
let server: BenchServer | undefined;
// Ctrl-C or a kill: take the server and its store along.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server?.stop();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
try {
  if (givenUrl === undefined) server = await startBenchServer();
  const nc = await connectNats({ servers: givenUrl ?? server!.url });
  try {
    for (let i = 0; i < warmup; i++) await runCase(nc, c);
    process.stdout.write(`${JSON.stringify(await runCase(nc, c))}\n`);
  } finally {
    await nc.close();
  }
} catch (e) {
  process.stderr.write(`${c.name}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  server?.stop();
}
