/**
 * Stages of the staged RESP server (the loopyRing shape): parser (per connection, fed by the
 * main thread's listener through its self input) → worker (owns a shard of the keys) → replier
 * (puts replies back in request order per connection; the main thread writes them to sockets).
 * Between the stages: byte-record edges (see records.ts), so requests and replies are as long
 * as `maxRecord` allows, not a fixed slot size. Typed with `defineStage`: no casts.
 */
import type { ByteBatch } from '@ringkit/core';
import { defineStage } from '../define-stage.js';
import { execute, keyHash, RespParser, type Store } from './protocol.js';
import { AGG, decodeArgv, decodeRec, encodeArgv, encodeOut, encodeRec, HEADER, type Rec } from './records.js';

/** Bytes of one chunk of a connection's input (listener → parser self input). */
export const CHUNK = 2048;
export const CHUNK_SCHEMA = { conn: 'u32', len: 'i32', data: { kind: 'bytes', length: CHUNK } } as const;
export { AGG } from './records.js';

/** Options of every RESP stage. */
export interface RespStageOptions {
  /** Largest record data (argv of one request, one reply), bytes. */
  maxRecord: number;
}

function parseOptions(raw: unknown): RespStageOptions {
  const maxRecord = raw !== null && typeof raw === 'object' ? Reflect.get(raw, 'maxRecord') : undefined;
  if (typeof maxRecord !== 'number' || !Number.isInteger(maxRecord) || maxRecord < 64) throw new TypeError(`RESP stage options must be { maxRecord: integer ≥ 64 }: ${JSON.stringify(raw)}`);
  return { maxRecord };
}

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Parser: reassembles each connection's byte stream, parses requests, routes each to the worker owning its key. */
export const parser = defineStage({ selfInput: CHUNK_SCHEMA, options: parseOptions }, (ctx) => {
  const conns = new Map<number, { parser: RespParser; seq: number }>();
  const { maxRecord } = ctx.options;
  const reply = (conn: number, seq: number, text: string): Rec => ({ conn, seq, key: conn, part: 0, parts: 1, agg: AGG.reply, data: enc(text) });
  const send = async (out: Rec[]): Promise<void> => {
    for (const r of out) await ctx.send(encodeRec(r));
  };
  return {
    async onBatch(batch, input) {
      const c = input.ring.columns;
      const out: Rec[] = [];
      for (let i = 0; i < batch.count; i++) {
        const s = batch.index(i);
        const conn = c.conn[s]!;
        const len = c.len[s]!;
        if (len < 0) {
          conns.delete(conn);
          out.push({ conn, seq: 0, key: conn, part: 0, parts: 1, agg: AGG.closed, data: new Uint8Array(0) });
          continue;
        }
        let st = conns.get(conn);
        if (st === undefined) conns.set(conn, (st = { parser: new RespParser(), seq: 0 }));
        st.parser.push(Buffer.from(c.data.subarray(s * CHUNK, s * CHUNK + len)));
        for (;;) {
          const r = st.parser.next();
          if (r === undefined) break;
          const seq = st.seq++;
          if ('error' in r) {
            out.push(reply(conn, seq, r.error));
            continue;
          }
          const argv = r.argv;
          const name = argv[0]!.toString('latin1').toLowerCase();
          if ((name === 'mget' || name === 'del') && argv.length > 2) {
            const parts = argv.length - 1;
            const agg = name === 'mget' ? AGG.array : AGG.sum;
            for (let k = 1; k < argv.length; k++) out.push({ conn, seq, key: keyHash(argv[k]!), part: k - 1, parts, agg, data: encodeArgv([argv[0]!, argv[k]!]) });
            continue;
          }
          const data = encodeArgv(argv);
          if (data.length > maxRecord) {
            out.push(reply(conn, seq, `-ERR request too large for the staged server: ${data.length} bytes of arguments, at most ${maxRecord} (RespServerOptions.maxRequestBytes)\r\n`));
            continue;
          }
          out.push({ conn, seq, key: argv.length > 1 ? keyHash(argv[1]!) : conn, part: 0, parts: 1, agg: AGG.single, data });
        }
      }
      await send(out);
    },
  };
});

/** Worker: executes the commands whose key it owns (key sharding), against its own store. */
export const worker = defineStage({ options: parseOptions }, (ctx) => {
  const store: Store = new Map();
  const { maxRecord } = ctx.options;
  return {
    async onBytes(batch: ByteBatch, input) {
      const shard = input.shard;
      for (let i = 0; i < batch.count; i++) {
        const r = decodeRec(batch.record(i));
        if (shard !== undefined && r.key % shard.count !== shard.index) continue;
        let data: Uint8Array;
        if (r.agg === AGG.reply || r.agg === AGG.closed) data = r.data;
        else {
          const argv = decodeArgv(r.data);
          data = execute(r.agg === AGG.array ? [Buffer.from('get'), argv[1]!] : argv, store);
          if (data.length > maxRecord) data = enc(`-ERR reply too large for the staged server: ${data.length} bytes, at most ${maxRecord} (RespServerOptions.maxRequestBytes)\r\n`);
        }
        await ctx.send(encodeRec({ ...r, data }));
      }
    },
  };
});

interface Pending {
  got: number;
  parts: Buffer[];
  agg: number;
}

/** Replier: reorders replies per connection by request sequence, joins multi-key replies, emits bytes for the listener. */
export const replier = defineStage({ options: parseOptions }, (ctx) => {
  const conns = new Map<number, { next: number; pending: Map<number, Pending> }>();
  const piece = ctx.options.maxRecord - 4;
  return {
    async onBytes(batch: ByteBatch) {
      const ready = new Map<number, Buffer[]>();
      for (let i = 0; i < batch.count; i++) {
        const r = decodeRec(batch.record(i));
        const conn = r.conn;
        if (r.agg === AGG.closed) {
          conns.delete(conn);
          ready.delete(conn);
          continue;
        }
        let st = conns.get(conn);
        if (st === undefined) conns.set(conn, (st = { next: 0, pending: new Map() }));
        let pend = st.pending.get(r.seq);
        if (pend === undefined) st.pending.set(r.seq, (pend = { got: 0, parts: new Array<Buffer>(r.parts), agg: r.agg }));
        pend.parts[r.part] = Buffer.from(r.data);
        pend.got++;
        for (;;) {
          const head = st.pending.get(st.next);
          if (head === undefined || head.got < head.parts.length) break;
          st.pending.delete(st.next);
          st.next = (st.next + 1) >>> 0;
          let bytes: Buffer;
          if (head.agg === AGG.array) bytes = Buffer.concat([enc(`*${head.parts.length}\r\n`), ...head.parts]);
          else if (head.agg === AGG.sum) bytes = enc(`:${head.parts.reduce((t, b) => t + Number(b.toString('latin1', 1, b.length - 2)), 0)}\r\n`);
          else bytes = head.parts[0]!;
          const list = ready.get(conn) ?? [];
          list.push(bytes);
          ready.set(conn, list);
        }
      }
      for (const [conn, list] of ready) {
        const all = list.length === 1 ? list[0]! : Buffer.concat(list);
        for (let at = 0; at < all.length; at += piece) await ctx.send(encodeOut(conn, all.subarray(at, Math.min(all.length, at + piece))));
      }
    },
  };
});

/** Bytes of a record header (for ring sizing). */
export const RECORD_HEADER = HEADER;
