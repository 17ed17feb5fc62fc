/**
 * A subset of RESP2 shared by the staged server and the plain single-thread server: an
 * incremental request parser (arrays of bulk strings, and inline commands) and the command
 * executor (PING ECHO SET GET DEL INCR MGET).
 */

const CRLF = Buffer.from('\r\n');
/** Most arguments in one request. */
export const MAX_ARGS = 1024;
/** Longest bulk string accepted. */
export const MAX_BULK = 512 * 1024 * 1024;

/** One parse step: a command (`argv`), a protocol error to answer, or nothing yet. */
export type ParseResult = { argv: Buffer[] } | { error: string } | undefined;

/** Incremental parser for one connection. */
export class RespParser {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds bytes received from the connection. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /**
   * The next complete request, a protocol error (the buffered input up to the next line end is
   * dropped, the connection stays usable), or undefined when more bytes are needed.
   */
  next(): ParseResult {
    const b = this.buf;
    if (b.length === 0) return undefined;
    if (b[0] !== 0x2a /* '*' */) return this.inline();
    let pos = 0;
    const eol = b.indexOf(CRLF, pos);
    if (eol < 0) return b.length > 64 ? this.fail('invalid multibulk length', b.length) : undefined;
    const n = Number(b.toString('latin1', 1, eol));
    if (!Number.isInteger(n) || n > MAX_ARGS) return this.fail('invalid multibulk length', eol);
    pos = eol + 2;
    if (n <= 0) {
      this.buf = b.subarray(pos);
      return this.next();
    }
    const argv: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      if (pos >= b.length) return undefined;
      if (b[pos] !== 0x24 /* '$' */) return this.fail(`expected '$', got '${String.fromCharCode(b[pos]!)}'`, pos);
      const e = b.indexOf(CRLF, pos);
      if (e < 0) return b.length - pos > 64 ? this.fail('invalid bulk length', b.length) : undefined;
      const len = Number(b.toString('latin1', pos + 1, e));
      if (!Number.isInteger(len) || len < 0 || len > MAX_BULK) return this.fail('invalid bulk length', e);
      const start = e + 2;
      if (start + len + 2 > b.length) return undefined;
      if (b[start + len] !== 0x0d || b[start + len + 1] !== 0x0a) return this.fail('bulk string not terminated by CRLF', start + len);
      argv.push(b.subarray(start, start + len));
      pos = start + len + 2;
    }
    this.buf = b.subarray(pos);
    return { argv };
  }

  private inline(): ParseResult {
    const b = this.buf;
    const nl = b.indexOf(0x0a);
    if (nl < 0) return b.length > 64 * 1024 ? this.fail('too big inline request', b.length) : undefined;
    const line = b.toString('latin1', 0, nl > 0 && b[nl - 1] === 0x0d ? nl - 1 : nl);
    this.buf = b.subarray(nl + 1);
    const parts = line.split(' ').filter((p) => p.length > 0);
    if (parts.length === 0) return this.next();
    return { argv: parts.map((p) => Buffer.from(p, 'latin1')) };
  }

  /** Drops input up to the first line end at or after `from` and reports a protocol error. */
  private fail(why: string, from: number): ParseResult {
    const e = this.buf.indexOf(CRLF, from);
    this.buf = e < 0 ? Buffer.alloc(0) : this.buf.subarray(e + 2);
    return { error: `-ERR Protocol error: ${why}\r\n` };
  }
}

/** The key store of one server (or one worker shard). */
export type Store = Map<string, Buffer>;

function bulk(v: Buffer | undefined): Buffer {
  if (v === undefined) return Buffer.from('$-1\r\n');
  return Buffer.concat([Buffer.from(`$${v.length}\r\n`), v, CRLF]);
}

const OK = Buffer.from('+OK\r\n');
const PONG = Buffer.from('+PONG\r\n');

function arity(name: string): Buffer {
  return Buffer.from(`-ERR wrong number of arguments for '${name}' command\r\n`);
}

/** Executes one command against `store`; returns the RESP reply. */
export function execute(argv: Buffer[], store: Store): Buffer {
  const name = argv[0]!.toString('latin1').toLowerCase();
  const n = argv.length;
  switch (name) {
    case 'ping':
      if (n === 1) return PONG;
      return n === 2 ? bulk(argv[1]) : arity(name);
    case 'echo':
      return n === 2 ? bulk(argv[1]) : arity(name);
    case 'set':
      if (n !== 3) return n < 3 ? arity(name) : Buffer.from('-ERR syntax error\r\n');
      store.set(argv[1]!.toString('latin1'), Buffer.from(argv[2]!));
      return OK;
    case 'get':
      return n === 2 ? bulk(store.get(argv[1]!.toString('latin1'))) : arity(name);
    case 'del': {
      if (n < 2) return arity(name);
      let removed = 0;
      for (let i = 1; i < n; i++) if (store.delete(argv[i]!.toString('latin1'))) removed++;
      return Buffer.from(`:${removed}\r\n`);
    }
    case 'incr': {
      if (n !== 2) return arity(name);
      const key = argv[1]!.toString('latin1');
      const cur = store.get(key);
      const text = cur === undefined ? '0' : cur.toString('latin1');
      if (!/^-?\d{1,19}$/.test(text)) return Buffer.from('-ERR value is not an integer or out of range\r\n');
      const next = BigInt(text) + 1n;
      if (next > 9223372036854775807n) return Buffer.from('-ERR increment or decrement would overflow\r\n');
      store.set(key, Buffer.from(String(next), 'latin1'));
      return Buffer.from(`:${next}\r\n`);
    }
    case 'mget': {
      if (n < 2) return arity(name);
      const parts: Buffer[] = [Buffer.from(`*${n - 1}\r\n`)];
      for (let i = 1; i < n; i++) parts.push(bulk(store.get(argv[i]!.toString('latin1'))));
      return Buffer.concat(parts);
    }
    default: {
      const shown = argv[0]!.toString('latin1').slice(0, 64).replace(/[\r\n]/g, ' ');
      return Buffer.from(`-ERR unknown command '${shown}', with args beginning with: ${argv.slice(1, 4).map((a) => `'${a.toString('latin1').slice(0, 32)}'`).join(' ')}\r\n`);
    }
  }
}

/** FNV-1a hash of a key (routes a key to its worker shard). */
export function keyHash(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}
