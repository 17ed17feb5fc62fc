import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort, natsServerBinary } from './server-binary.js';

/** A `nats-server -js` of the bench's own: a free loopback port, its store in a temp dir. */
export interface BenchServer {
  readonly url: string;
  /** Kills the server and removes its store. */
  stop(): void;
}

/** Starts a {@link BenchServer} and waits until it takes connections (5 s at most). */
export async function startBenchServer(): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ringkit-nats-bench-'));
  const port = await freePort();
  const binary = natsServerBinary();
  const server: ChildProcess = spawn(binary, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  let failed: Error | undefined;
  server.once('error', (e) => {
    failed = new Error(`cannot start ${binary} (install Debian's nats-server package, or set NATS_SERVER): ${e.message}`);
  });
  server.once('exit', (code, signal) => {
    failed ??= new Error(`${binary} exited at start (${signal ?? `exit code ${code}`})`);
  });
  const stop = (): void => {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await (await connect({ servers: url })).close();
      return { url, stop };
    } catch (e) {
      if (failed !== undefined || i > 100) {
        stop();
        throw failed ?? e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
