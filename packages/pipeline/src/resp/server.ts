import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, POLL_CLOSED, TimeoutError, type ByteReader, type Producer, type Ring } from '@ringkit/core';
import { Pipeline } from '../pipeline.js';
import { maxRecordOf, type PipelineSpec } from '../spec.js';
import { execute, RespParser, type Store } from './protocol.js';
import { HEADER } from './records.js';
import { CHUNK, CHUNK_SCHEMA } from './stages.js';
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
  /**
   * Largest request (its arguments, encoded) and largest single reply, bytes: beyond it the
   * client gets `-ERR request too large …` / `-ERR reply too large …` and the connection goes
   * on. Sizes the byte rings between the stages (8 × this, rounded up to a power of two).
   * 64 … 64 MiB; defaults to 1 MiB. (Redis itself allows 512 MB bulk strings.)
   */
  maxRequestBytes?: number;
}

/** Default of {@link RespServerOptions.maxRequestBytes}. */
export const DEFAULT_MAX_REQUEST_BYTES = 1 << 20;

/** The byte-ring capacity that carries records of `maxRequestBytes` data plus the header. */
function ringBytesFor(maxRequestBytes: number): number {
  let c = 1 << 12;
  while (maxRecordOf(c) < maxRequestBytes + HEADER) c *= 2;
  return c;
}

/** A running RESP server. */
export interface RespServer {
  readonly port: number;
  readonly pipeline: Pipeline | undefined;
  close(): Promise<void>;
}

/** listener (main) → parser-i (self input) → worker-j (key shard) → replier → listener. */
export function respSpec(parsers: number, workers: number, maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES): PipelineSpec {
  if (!(Number.isInteger(maxRequestBytes) && maxRequestBytes >= 64 && maxRequestBytes <= 64 * 2 ** 20)) {
    throw new InvalidArgumentError(`maxRequestBytes must be an integer in [64, 64 MiB]: maxRequestBytes=${String(maxRequestBytes)}`);
  }
  const module = new URL('./stages.js', import.meta.url);
  const bytes = ringBytesFor(maxRequestBytes);
  const options = { maxRecord: maxRequestBytes };
  const parserNames = Array.from({ length: parsers }, (_, i) => `parser-${i}`);
  const workerNames = Array.from({ length: workers }, (_, i) => `worker-${i}`);
  return {
    stopTimeoutMs: 5000,
    levels: [
      { stages: parserNames.map((name) => ({ name, module, export: 'parser', options, selfInput: { schema: CHUNK_SCHEMA, capacity: 1024 }, output: { bytes, codec: 'raw' } })) },
      { attach: 'key', stages: workerNames.map((name) => ({ name, module, export: 'worker', options, output: { bytes, codec: 'raw' } })) },
      { stages: [{ name: 'replier', module, export: 'replier', options, inputs: workerNames.map((from) => ({ from })), output: { bytes, codec: 'raw' } }] },
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
  const pipeline = new Pipeline(respSpec(parsers, options.workers ?? 2, options.maxRequestBytes));
  const tap = pipeline.tapBytes('replier');
  const inputs: Array<{ ring: Ring<typeof CHUNK_SCHEMA>; producer: Producer<typeof CHUNK_SCHEMA> }> = [];
  for (let i = 0; i < parsers; i++) {
    const ring = pipeline.input<typeof CHUNK_SCHEMA>(`parser-${i}`);
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
        const c = ring.columns;
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
  const reader = readReplies(tap, sockets);
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

async function readReplies(tap: ByteReader, sockets: Map<number, Socket>): Promise<void> {
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
      const rec = b.record(i);
      const conn = Buffer.from(rec.buffer, rec.byteOffset, 4).readUInt32LE(0);
      const sock = sockets.get(conn);
      if (sock === undefined || sock.destroyed) continue;
      if (!touched.has(sock)) {
        sock.cork();
        touched.add(sock);
      }
      sock.write(Buffer.from(rec.subarray(4))); // a copy: the record is released below
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
