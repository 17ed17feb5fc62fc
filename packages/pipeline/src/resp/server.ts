import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { POLL_CLOSED, TimeoutError, type Consumer, type Producer, type Ring, type Schema } from '@ringkit/core';
import { Pipeline } from '../pipeline.js';
import type { PipelineSpec } from '../spec.js';
import { execute, RespParser, type Store } from './protocol.js';
import { CHUNK, CHUNK_SCHEMA, OUT, OUT_SCHEMA, RECORD_SCHEMA } from './stages.js';
import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link startRespServer}. */
export interface RespServerOptions {
  /** TCP port; 0 picks a free one. Defaults to 6380. */
  port?: number;
  host?: string;
  /** Parser stages. Defaults to 2. */
  parsers?: number;
  /** Worker stages (key shards). Defaults to 2. */
  workers?: number;
}

/** A running RESP server. */
export interface RespServer {
  readonly port: number;
  readonly pipeline: Pipeline | undefined;
  close(): Promise<void>;
}

/** listener (main) → parser-i (self input) → worker-j (key shard) → replier → listener. */
export function respSpec(parsers: number, workers: number): PipelineSpec {
  const module = new URL('./stages.js', import.meta.url);
  const parserNames = Array.from({ length: parsers }, (_, i) => `parser-${i}`);
  const workerNames = Array.from({ length: workers }, (_, i) => `worker-${i}`);
  return {
    stopTimeoutMs: 5000,
    levels: [
      { stages: parserNames.map((name) => ({ name, module, export: 'parser', selfInput: { schema: CHUNK_SCHEMA, capacity: 1024 }, output: { schema: RECORD_SCHEMA, capacity: 4096 } })) },
      { attach: 'key', stages: workerNames.map((name) => ({ name, module, export: 'worker', output: { schema: RECORD_SCHEMA, capacity: 4096 } })) },
      { stages: [{ name: 'replier', module, export: 'replier', inputs: workerNames.map((from) => ({ from, schema: RECORD_SCHEMA })), output: { schema: OUT_SCHEMA, capacity: 2048 } }] },
    ],
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts the staged RESP2 server (PING ECHO SET GET DEL INCR MGET, pipelining, -ERR for the rest). */
export async function startRespServer(options: RespServerOptions = {}): Promise<RespServer> {
  const parsers = options.parsers ?? 2;
  const pipeline = new Pipeline(respSpec(parsers, options.workers ?? 2));
  const tap = pipeline.tap('replier');
  const inputs: Array<{ ring: Ring<Schema>; producer: Producer<Schema> }> = [];
  for (let i = 0; i < parsers; i++) {
    const ring = pipeline.input(`parser-${i}`);
    inputs.push({ ring, producer: ring.producer() });
  }
  await pipeline.start();
  const sockets = new Map<number, Socket>();
  let nextConn = 1;
  // One ordered queue of chunks to publish (keeps each connection's bytes in order even when a claim waits).
  const queue: Array<{ conn: number; data: Buffer | undefined }> = [];
  let pumping = false;
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0) {
        const { conn, data } = queue.shift()!;
        const { ring, producer } = inputs[conn % parsers]!;
        const c = ring.columns as unknown as { conn: Uint32Array; len: Int32Array; data: Uint8Array };
        const hi = producer.tryClaim(1) ? producer.hi : await producer.claimAsync(1);
        const s = hi & ring.mask;
        c.conn[s] = conn;
        c.len[s] = data === undefined ? -1 : data.length;
        if (data !== undefined) c.data.set(data, s * CHUNK);
        producer.publish(hi);
      }
    } catch {
      queue.length = 0; // the ring closed: the server is stopping
    } finally {
      pumping = false;
    }
  };
  const server = createServer((socket) => {
    const conn = nextConn++;
    sockets.set(conn, socket);
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      for (let at = 0; at < d.length; at += CHUNK) queue.push({ conn, data: d.subarray(at, Math.min(d.length, at + CHUNK)) });
      void pump();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(conn);
      queue.push({ conn, data: undefined });
      void pump();
    });
  });
  const reader = readReplies(tap, pipeline.output('replier'), sockets);
  let port: number;
  try {
    port = await listen(server, options.port ?? 6380, options.host ?? '127.0.0.1');
  } catch (e) {
    // The address is taken (or refused): stop the stages so nothing keeps the process alive.
    await pipeline.stop();
    await reader;
    throw e;
  }
  return {
    port,
    pipeline,
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets.values()) s.destroy();
      });
      while (pumping || queue.length > 0) await delay(5);
      await pipeline.stop();
      await reader;
    },
  };
}

async function readReplies(tap: Consumer<Schema>, ring: Ring<Schema>, sockets: Map<number, Socket>): Promise<void> {
  const cols = ring.columns as unknown as { conn: Uint32Array; len: Uint32Array; data: Uint8Array };
  for (;;) {
    let n: number;
    try {
      n = await tap.pollAsync({ timeout: 1000 });
    } catch (e) {
      if (e instanceof TimeoutError) continue;
      throw e;
    }
    if (n === POLL_CLOSED) return;
    const b = tap.batch;
    const touched = new Set<Socket>();
    for (let i = 0; i < n; i++) {
      const s = b.index(i);
      const sock = sockets.get(cols.conn[s]!);
      if (sock === undefined || sock.destroyed) continue;
      if (!touched.has(sock)) {
        sock.cork();
        touched.add(sock);
      }
      sock.write(Buffer.from(cols.data.subarray(s * OUT, s * OUT + cols.len[s]!)));
    }
    for (const sock of touched) sock.uncork();
    tap.release();
  }
}

/** The comparison baseline: the same commands on one thread with Node's `net` (no rings, no workers). */
export async function startPlainRespServer(options: { port?: number; host?: string } = {}): Promise<RespServer> {
  const store: Store = new Map();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const parser = new RespParser();
    socket.on('data', (d: Buffer) => {
      parser.push(d);
      const out: Buffer[] = [];
      for (let r = parser.next(); r !== undefined; r = parser.next()) out.push('error' in r ? Buffer.from(r.error, 'latin1') : execute(r.argv, store));
      if (out.length > 0) socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server, options.port ?? 6381, options.host ?? '127.0.0.1');
  return {
    port,
    pipeline: undefined,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    }),
  };
}
