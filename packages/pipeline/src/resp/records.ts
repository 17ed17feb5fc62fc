/**
 * The byte records the staged RESP server's stages exchange (byte-record edges: one variable-
 * length record per command part, reply, or output piece — no fixed-size slots, so no 2 KB cap).
 *
 * Command / reply record (parser → worker → replier), little-endian:
 *
 * | offset | bytes | field | meaning                                                   |
 * |-------:|------:|-------|-----------------------------------------------------------|
 * | 0      | 4     | conn  | connection id                                             |
 * | 4      | 4     | seq   | request sequence within the connection                    |
 * | 8      | 4     | key   | key hash (routes to the worker owning it)                 |
 * | 12     | 2     | part  | part of a multi-key command (MGET/DEL split per key)      |
 * | 14     | 2     | parts | parts of that command                                     |
 * | 16     | 1     | agg   | {@link AGG}: how the replier joins the parts               |
 * | 17     | 3     | —     | zero                                                      |
 * | 20     | n     | data  | argv ({@link encodeArgv}) to the worker; reply bytes after |
 *
 * Output record (replier → listener): `[u32 conn][reply bytes]`.
 */

/** Record kinds (`agg`). */
export const AGG = { single: 0, array: 1, sum: 2, reply: 3, closed: 4 } as const;

/** Bytes before a record's data. */
export const HEADER = 20;

/** A command or reply record, decoded (data is a view valid until the batch is released, or a copy). */
export interface Rec {
  conn: number;
  seq: number;
  key: number;
  part: number;
  parts: number;
  agg: number;
  data: Uint8Array;
}

/** Encodes a record: header, then data. */
export function encodeRec(r: Rec): Buffer {
  const b = Buffer.allocUnsafe(HEADER + r.data.length);
  b.writeUInt32LE(r.conn, 0);
  b.writeUInt32LE(r.seq, 4);
  b.writeUInt32LE(r.key, 8);
  b.writeUInt16LE(r.part, 12);
  b.writeUInt16LE(r.parts, 14);
  b.writeUInt8(r.agg, 16);
  b.fill(0, 17, HEADER);
  b.set(r.data, HEADER);
  return b;
}

/** Decodes a record in place (its data is a view into `bytes`). */
export function decodeRec(bytes: Uint8Array): Rec {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { conn: b.readUInt32LE(0), seq: b.readUInt32LE(4), key: b.readUInt32LE(8), part: b.readUInt16LE(12), parts: b.readUInt16LE(14), agg: b.readUInt8(16), data: bytes.subarray(HEADER) };
}

/** argv → [u32 argc][u32 len, bytes]… */
export function encodeArgv(argv: Uint8Array[]): Buffer {
  let size = 4;
  for (const a of argv) size += 4 + a.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(argv.length, 0);
  let at = 4;
  for (const a of argv) {
    out.writeUInt32LE(a.length, at);
    out.set(a, at + 4);
    at += 4 + a.length;
  }
  return out;
}

/** The inverse of {@link encodeArgv} (copies each argument out of the shared record). */
export function decodeArgv(b: Uint8Array): Buffer[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const argc = buf.readUInt32LE(0);
  const argv: Buffer[] = [];
  let at = 4;
  for (let i = 0; i < argc; i++) {
    const len = buf.readUInt32LE(at);
    argv.push(Buffer.from(buf.subarray(at + 4, at + 4 + len)));
    at += 4 + len;
  }
  return argv;
}

/** Output record: `[u32 conn][bytes]`. */
export function encodeOut(conn: number, bytes: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(4 + bytes.length);
  b.writeUInt32LE(conn, 0);
  b.set(bytes, 4);
  return b;
}
