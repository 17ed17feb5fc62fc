/**
 * Stages of the staged RESP server (the loopyRing shape): parser (per connection, fed by the
 * main thread's listener through its self input) → worker (owns a shard of the keys) → replier
 * (puts replies back in request order per connection; the main thread writes them to sockets).
 */
import type { Batch, Ring, Schema } from '@ringkit/core';
import type { StageContext, StageHandler, StageInput } from '../context.js';
import { execute, keyHash, RespParser, type Store } from './protocol.js';

/** Bytes of one chunk record (listener → parser). */
export const CHUNK = 2048;
/** Bytes of one command or reply record. */
export const RECORD = 2048;
/** Bytes of one output record (replier → listener). */
export const OUT = 4096;

export const CHUNK_SCHEMA = { conn: 'u32', len: 'i32', data: { kind: 'bytes', length: CHUNK } } as const;
export const RECORD_SCHEMA = { conn: 'u32', seq: 'u32', key: 'u32', part: 'u16', parts: 'u16', agg: 'u8', len: 'u32', data: { kind: 'bytes', length: RECORD } } as const;
export const OUT_SCHEMA = { conn: 'u32', len: 'u32', data: { kind: 'bytes', length: OUT } } as const;

/** Record kinds (`agg`). */
export const AGG = { single: 0, array: 1, sum: 2, reply: 3, closed: 4 } as const;

interface Rec {
  conn: number;
  seq: number;
  key: number;
  part: number;
  parts: number;
  agg: number;
  data: Buffer;
}

/** Claims room for `recs` (in pieces of at most a quarter ring) and writes them as RECORD_SCHEMA entries. */
async function publishRecords(ctx: StageContext, recs: Rec[]): Promise<void> {
  const ring = ctx.output! as Ring<Schema>;
  const p = ctx.producer!;
  const c = ring.columns as unknown as { conn: Uint32Array; seq: Uint32Array; key: Uint32Array; part: Uint16Array; parts: Uint16Array; agg: Uint8Array; len: Uint32Array; data: Uint8Array };
  const step = Math.max(1, ring.capacity >>> 2);
  for (let at = 0; at < recs.length; at += step) {
    const n = Math.min(step, recs.length - at);
    const hi = await p.claimAsync(n);
    for (let i = 0; i < n; i++) {
      const r = recs[at + i]!;
      const s = (p.lo + i) & ring.mask;
      c.conn[s] = r.conn;
      c.seq[s] = r.seq;
      c.key[s] = r.key;
      c.part[s] = r.part;
      c.parts[s] = r.parts;
      c.agg[s] = r.agg;
      c.len[s] = r.data.length;
      c.data.set(r.data, s * RECORD);
    }
    p.publish(hi);
  }
}

function recordColumns(input: StageInput): { conn: Uint32Array; seq: Uint32Array; key: Uint32Array; part: Uint16Array; parts: Uint16Array; agg: Uint8Array; len: Uint32Array; data: Uint8Array } {
  return input.ring.columns as unknown as ReturnType<typeof recordColumns>;
}

/** argv → [u16 argc][u16 len, bytes]…; undefined when it does not fit a record. */
function encodeArgv(argv: Buffer[]): Buffer | undefined {
  let size = 2;
  for (const a of argv) size += 2 + a.length;
  if (size > RECORD) return undefined;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16LE(argv.length, 0);
  let at = 2;
  for (const a of argv) {
    out.writeUInt16LE(a.length, at);
    a.copy(out, at + 2);
    at += 2 + a.length;
  }
  return out;
}

function decodeArgv(b: Uint8Array): Buffer[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const argc = buf.readUInt16LE(0);
  const argv: Buffer[] = [];
  let at = 2;
  for (let i = 0; i < argc; i++) {
    const len = buf.readUInt16LE(at);
    argv.push(Buffer.from(buf.subarray(at + 2, at + 2 + len)));
    at += 2 + len;
  }
  return argv;
}

/** Parser: reassembles each connection's byte stream, parses requests, routes each to the worker owning its key. */
export function parser(ctx: StageContext): StageHandler {
  const conns = new Map<number, { parser: RespParser; seq: number }>();
  const reply = (conn: number, seq: number, text: string): Rec => ({ conn, seq, key: conn, part: 0, parts: 1, agg: AGG.reply, data: Buffer.from(text, 'latin1') });
  return {
    async onBatch(batch: Batch<Schema>, input: StageInput) {
      const c = input.ring.columns as unknown as { conn: Uint32Array; len: Int32Array; data: Uint8Array };
      const out: Rec[] = [];
      for (let i = 0; i < batch.count; i++) {
        const s = batch.index(i);
        const conn = c.conn[s]!;
        const len = c.len[s]!;
        if (len < 0) {
          conns.delete(conn);
          out.push({ conn, seq: 0, key: conn, part: 0, parts: 1, agg: AGG.closed, data: Buffer.alloc(0) });
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
          const multi = (name === 'mget' || name === 'del') && argv.length > 2;
          if (multi) {
            const parts = argv.length - 1;
            const agg = name === 'mget' ? AGG.array : AGG.sum;
            for (let k = 1; k < argv.length; k++) {
              const data = encodeArgv([argv[0]!, argv[k]!])!;
              out.push({ conn, seq, key: keyHash(argv[k]!), part: k - 1, parts, agg, data });
            }
            continue;
          }
          const data = encodeArgv(argv);
          if (data === undefined) {
            out.push(reply(conn, seq, `-ERR request too large for the staged server (at most ${RECORD - 4} bytes of arguments)\r\n`));
            continue;
          }
          out.push({ conn, seq, key: argv.length > 1 ? keyHash(argv[1]!) : conn, part: 0, parts: 1, agg: AGG.single, data });
        }
      }
      if (out.length > 0) await publishRecords(ctx, out);
    },
  };
}

/** Worker: executes the commands whose key it owns (key sharding), against its own store. */
export function worker(ctx: StageContext): StageHandler {
  const store: Store = new Map();
  return {
    async onBatch(batch: Batch<Schema>, input: StageInput) {
      const c = recordColumns(input);
      const out: Rec[] = [];
      for (let i = 0; i < batch.count; i++) {
        const s = batch.index(i);
        const key = c.key[s]!;
        if (!ctx.owns(key, input.position)) continue;
        const agg = c.agg[s]!;
        const raw = c.data.subarray(s * RECORD, s * RECORD + c.len[s]!);
        let data: Buffer;
        if (agg === AGG.reply || agg === AGG.closed) data = Buffer.from(raw);
        else {
          const argv = decodeArgv(raw);
          data = execute(agg === AGG.array ? [Buffer.from('get'), argv[1]!] : argv, store);
          if (data.length > RECORD) data = Buffer.from(`-ERR reply too large for the staged server (at most ${RECORD} bytes)\r\n`);
        }
        out.push({ conn: c.conn[s]!, seq: c.seq[s]!, key, part: c.part[s]!, parts: c.parts[s]!, agg, data });
      }
      if (out.length > 0) await publishRecords(ctx, out);
    },
  };
}

interface Pending {
  got: number;
  parts: Buffer[];
  agg: number;
}

/** Replier: reorders replies per connection by request sequence, joins multi-key replies, emits bytes for the listener. */
export function replier(ctx: StageContext): StageHandler {
  const conns = new Map<number, { next: number; pending: Map<number, Pending> }>();
  const ring = ctx.output!;
  const p = ctx.producer!;
  const oc = ring.columns as unknown as { conn: Uint32Array; len: Uint32Array; data: Uint8Array };
  return {
    async onBatch(batch: Batch<Schema>, input: StageInput) {
      const c = recordColumns(input);
      const ready = new Map<number, Buffer[]>();
      for (let i = 0; i < batch.count; i++) {
        const s = batch.index(i);
        const conn = c.conn[s]!;
        const agg = c.agg[s]!;
        if (agg === AGG.closed) {
          conns.delete(conn);
          ready.delete(conn);
          continue;
        }
        let st = conns.get(conn);
        if (st === undefined) conns.set(conn, (st = { next: 0, pending: new Map() }));
        const seq = c.seq[s]!;
        let pend = st.pending.get(seq);
        if (pend === undefined) st.pending.set(seq, (pend = { got: 0, parts: new Array<Buffer>(c.parts[s]!), agg }));
        pend.parts[c.part[s]!] = Buffer.from(c.data.subarray(s * RECORD, s * RECORD + c.len[s]!));
        pend.got++;
        for (;;) {
          const head = st.pending.get(st.next);
          if (head === undefined || head.got < head.parts.length) break;
          st.pending.delete(st.next);
          st.next = (st.next + 1) >>> 0;
          let bytes: Buffer;
          if (head.agg === AGG.array) bytes = Buffer.concat([Buffer.from(`*${head.parts.length}\r\n`), ...head.parts]);
          else if (head.agg === AGG.sum) bytes = Buffer.from(`:${head.parts.reduce((t, b) => t + Number(b.toString('latin1', 1, b.length - 2)), 0)}\r\n`);
          else bytes = head.parts[0]!;
          const list = ready.get(conn) ?? [];
          list.push(bytes);
          ready.set(conn, list);
        }
      }
      for (const [conn, list] of ready) {
        const all = Buffer.concat(list);
        for (let at = 0; at < all.length; at += OUT) {
          const piece = all.subarray(at, Math.min(all.length, at + OUT));
          const hi = await p.claimAsync(1);
          const s = hi & ring.mask;
          oc.conn[s] = conn;
          oc.len[s] = piece.length;
          oc.data.set(piece, s * OUT);
          p.publish(hi);
        }
      }
    },
  };
}
