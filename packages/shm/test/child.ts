// The child processes of @ringkit/shm's tests: `node child.js <role> <json args>`. Each prints
// JSON lines on stdout ({ event: ... }); the last one is its result.
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { CapacityError, POLL_CLOSED, type Consumer } from '@ringkit/core';
import { SharedByteRing, SharedRing, SharedRingBuffer, SharedSlotPool } from '@ringkit/shm';

import { SCHEMA } from './helpers.js';
import { poolRoles } from './pool-roles.js';

type S = typeof SCHEMA;

function say(o: object): void {
  if (parentPort !== null && !isMainThread) parentPort.postMessage(o);
  else process.stdout.write(`${JSON.stringify(o)}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Checks entries (p, k): per producer p, k goes 0, 1, 2, ... (a gap only where entries were reported lost). */
class Checker {
  readonly next = new Map<number, number>();
  count = 0;
  errors: string[] = [];
  gaps = 0;
  see(p: number, k: number, lostBefore: number): void {
    const want = this.next.get(p) ?? 0;
    if (k !== want) {
      if (k > want && lostBefore > 0) this.gaps += k - want;
      else if (this.errors.length < 5) this.errors.push(`producer ${p}: got k=${k}, expected ${want}`);
    }
    this.next.set(p, k + 1);
    this.count++;
  }
  result(extra: object): object {
    return { event: 'result', count: this.count, next: Object.fromEntries(this.next), errors: this.errors, gaps: this.gaps, ...extra };
  }
}

function drain(shared: SharedRing<S>, c: Consumer<S>, opts: { holdAfter?: number }): Checker {
  const ch = new Checker();
  const { p, k } = shared.ring.columns;
  for (;;) {
    const n = c.poll();
    if (n === POLL_CLOSED) break;
    const lost = c.batch.lost;
    for (let i = 0; i < n; i++) {
      const x = c.batch.index(i);
      ch.see(p[x]!, k[x]!, i === 0 ? lost : 0);
    }
    if (opts.holdAfter !== undefined && ch.count >= opts.holdAfter) {
      say({ event: 'holding', count: ch.count });
      for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // killed here, mid-batch
    }
    c.release();
  }
  return ch;
}

const roles: Record<string, (a: Record<string, unknown>) => Promise<void> | void> = {
  ...poolRoles,
  /** Writes `count` entries (p = id, k = 0 …) in batches of `batch`; `hangAfter`: claim once more, say so, and hang. */
  produce(a) {
    const shared = SharedRing.open<S>(a.name as string, { schema: SCHEMA });
    const prod = shared.ring.producer();
    const { p, k } = shared.ring.columns;
    const mask = shared.ring.mask;
    const count = a.count as number;
    const batch = (a.batch as number | undefined) ?? 64;
    const id = a.id as number;
    // `from: 'cursor'`: a replacement producer goes on after the last published entry.
    const cursor = shared.ring.cursor;
    const start = a.from === 'cursor' ? (cursor === -1 ? 0 : k[cursor & mask]! + 1) : (a.from as number | undefined) ?? 0;
    say({ event: 'ready', pid: process.pid, owner: shared.owner, start });
    for (let sent = start; sent < count;) {
      if (a.hangAfter !== undefined && sent >= (a.hangAfter as number)) {
        const hi = prod.claim(batch);
        say({ event: 'claimed', lo: (hi - batch + 1) | 0, hi, sent });
        for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      }
      const n = Math.min(batch, count - sent);
      const hi = prod.claim(n);
      for (let s = (hi - n + 1) | 0, j = 0; j < n; j++, s = (s + 1) | 0) {
        p[s & mask] = id;
        k[s & mask] = sent + j;
      }
      prod.publish(hi);
      sent += n;
    }
    if (a.close === true) prod.close();
    say({ event: 'result', sent: count });
    shared.close();
  },
  /** Consumes consumer `id` until the ring closes, checking every entry; `async`: with pollAsync; `holdAfter`: hang holding a batch. */
  async consume(a) {
    const shared = SharedRing.open<S>(a.name as string, { schema: SCHEMA });
    const c = shared.ring.openConsumer(a.id as number);
    say({ event: 'ready', pid: process.pid, owner: shared.owner });
    let ch: Checker;
    if (a.async === true) {
      ch = new Checker();
      const { p, k } = shared.ring.columns;
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      for await (const b of c) {
        for (let i = 0; i < b.count; i++) ch.see(p[b.index(i)]!, k[b.index(i)]!, i === 0 ? b.lost : 0);
      }
      clearInterval(timer);
      say(ch.result({ lost: c.lost, ticks }));
    } else {
      ch = drain(shared, c, a.holdAfter === undefined ? {} : { holdAfter: a.holdAfter as number });
      say(ch.result({ lost: c.lost }));
    }
    shared.close();
  },
  /** `threads` worker threads, each opening the ring by name and consuming one of `ids`. */
  async threads(a) {
    const ids = a.ids as number[];
    const results = await Promise.all(ids.map((id) => new Promise<object>((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { role: 'consume', args: { name: a.name, id } } });
      let last: object = {};
      w.on('message', (m: { event: string }) => {
        if (m.event === 'result') last = m;
      });
      w.on('error', reject);
      w.on('exit', () => resolve(last));
    })));
    say({ event: 'result', threads: results });
  },
  /** The RingBuffer facade: write `count` items "i:<n>" (writer) or read them all (reader `id`). */
  facade(a) {
    const shared = SharedRingBuffer.open(a.name as string);
    const rb = shared.buffer;
    if (a.writer === true) {
      if (a.registered !== true) rb.newWriter(); // else the parent registered it (the original's shape)
      say({ event: 'ready' });
      const enc = new TextEncoder();
      for (let i = 0; i < (a.count as number); i++) rb.write(enc.encode(`item ${i}`), { timeout: 30_000 });
      if (a.hang === true) {
        say({ event: 'written', count: a.count });
        for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // killed here, never done
      }
      rb.writerDone();
      say({ event: 'result', written: a.count });
    } else {
      say({ event: 'ready' });
      const dec = new TextDecoder();
      let n = 0;
      const errors: string[] = [];
      for (;;) {
        let item: Uint8Array;
        try {
          item = rb.read(a.id as number, { timeout: 30_000 });
        } catch (e) {
          if ((e as Error).name === 'WriterFinishedError') break;
          throw e;
        }
        const text = dec.decode(item);
        if (text !== `item ${n}` && errors.length < 5) errors.push(`got ${text}, expected item ${n}`);
        n++;
      }
      say({ event: 'result', read: n, errors });
    }
    shared.close();
  },
  /** A byte ring: write `count` records "<id>:<k>" of varying length, or read them all (reader `id`). */
  bytes(a) {
    const shared = SharedByteRing.open(a.name as string);
    const ring = shared.ring;
    if (a.writer === true) {
      const prod = ring.producer();
      const enc = new TextEncoder();
      for (let i = 0; i < (a.count as number); i++) prod.write(enc.encode(`${a.id as number}:${i}:${'x'.repeat(i % 50)}`));
      if (a.close === true) prod.close();
      say({ event: 'result', written: a.count });
    } else {
      const r = ring.openReader(a.id as number);
      const dec = new TextDecoder();
      const next = new Map<number, number>();
      const errors: string[] = [];
      let count = 0;
      for (;;) {
        const rec = r.read();
        if (rec === null) break;
        const [p, k, pad] = dec.decode(rec).split(':');
        const want = next.get(Number(p)) ?? 0;
        if (Number(k) !== want || pad!.length !== want % 50) errors.push(`record ${p}:${k}, expected k=${want}`);
        next.set(Number(p), want + 1);
        count++;
      }
      say({ event: 'result', count, errors: errors.slice(0, 5) });
    }
    shared.close();
  },
  /** Slot pool: acquire the slots named in `handles`, check their bytes, release them. */
  pool(a) {
    const shared = SharedSlotPool.open(a.name as string);
    const pool = shared.pool;
    const out: number[] = [];
    for (const h of a.handles as Array<{ slot: number; generation: number; length: number }>) {
      const view = pool.acquire(h);
      out.push(view[0]! + view[h.length - 1]!);
      pool.release(h);
    }
    say({ event: 'result', sums: out, stats: pool.stats() });
    shared.close();
  },
  /**
   * Slot pool holder: keeps `writing` slots being written, marks `ready` slots ready (keeping
   * its producer reference; byte 0 = 100 + i), acquires `acquire` and views `view` handles,
   * says 'holding' with its ready handles, then waits to be killed. `loop`: instead, allocates,
   * fills and marks ready slots forever (sending nothing: a job whose supervisor never sees them).
   */
  poolhold(a) {
    const shared = SharedSlotPool.open(a.name as string);
    const pool = shared.pool;
    type H = { slot: number; generation: number; length: number };
    if (a.loop === true) {
      say({ event: 'holding', owner: shared.owner });
      for (let i = 0; ; i++) {
        const s = pool.allocate(1, { timeout: 60_000 });
        s.view[0] = i & 255;
        pool.markReady(s, 1);
      }
    }
    const writing = Array.from({ length: (a.writing as number | undefined) ?? 0 }, () => pool.allocate(1).slot);
    const ready = Array.from({ length: (a.ready as number | undefined) ?? 0 }, (_, i) => {
      const s = pool.allocate(1);
      s.view[0] = 100 + i;
      return pool.markReady(s, 1);
    });
    for (const h of (a.acquire as H[] | undefined) ?? []) pool.acquire(h);
    for (const h of (a.view as H[] | undefined) ?? []) pool.view(h);
    say({ event: 'holding', owner: shared.owner, writing, ready });
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); // killed here, holding everything
  },
  /** Opens a ring, says ready, then waits to be killed. */
  idle(a) {
    const shared = a.create === true
      ? SharedRing.openOrCreate<S>(a.name as string, { capacity: 64, schema: SCHEMA })
      : SharedRing.open<S>(a.name as string, { schema: SCHEMA });
    say({ event: 'ready', pid: process.pid, owner: shared.owner });
    setInterval(() => {}, 1000);
  },
  /** Tries to open ring `name`: says `opened` (then waits to be killed), or `result` with the error's fields. */
  tryopen(a) {
    try {
      const shared = SharedRing.open<S>(a.name as string, { schema: SCHEMA });
      say({ event: 'opened', owner: shared.owner });
      setInterval(() => {}, 1000);
    } catch (e) {
      const x = e as Error & { code?: string; segment?: string; limit?: number };
      say({ event: 'result', error: { name: x.name, code: x.code, segment: x.segment, limit: x.limit, message: x.message, capacity: e instanceof CapacityError } });
    }
  },
  async sleep() {
    await sleep(1e9);
  },
};

if (isMainThread) {
  const [role, json] = process.argv.slice(2);
  await roles[role!]!(JSON.parse(json ?? '{}') as Record<string, unknown>);
} else {
  const { role, args } = workerData as { role: string; args: Record<string, unknown> };
  await roles[role]!(args);
}
