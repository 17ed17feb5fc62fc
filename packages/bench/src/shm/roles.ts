/**
 * The loops of the cross-process benchmark (`ringkit bench --shm`), one file for both places
 * they run: a child process (`node roles.js <role> <json>`, result as a JSON line on stdout) or
 * a worker thread (workerData, result by postMessage). The same code measures the in-process
 * twin (a core `Ring` attached from its descriptor, `Atomics.wait` waiter) and the shm case (a
 * `SharedRing` opened by name, futex waiter).
 */
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { atomicsWaiter, POLL_CLOSED, Ring, type RegionDescriptor, type Waiter } from '@ringkit/core';

/** What a role is told. */
export interface RoleArgs {
  /** `shm`: open `name` with @ringkit/shm; `inproc`: attach `descriptor` (a worker thread). */
  mode: 'shm' | 'inproc';
  name?: string;
  descriptor?: RegionDescriptor;
  /** Consumer id (consume). */
  id?: number;
  /** Entries per claim (produce). */
  batch?: number;
  /** How long the producer (or sender) runs. */
  ms?: number;
  /** Ping-pong: rounds, and which side. */
  rounds?: number;
  side?: 0 | 1;
  /** Unix socket path (socket sender). */
  path?: string;
  /** Wait strategy of the ring's producer and consumer (default phased). */
  wait?: 'busySpin' | 'phased';
}

import { RAW_CAPACITY, SCHEMA } from './schema.js';

async function openRing(a: RoleArgs): Promise<{ ring: Ring<typeof SCHEMA>; close(): void; waiter: Waiter }> {
  const waitStrategy = a.wait ?? 'phased';
  if (a.mode === 'inproc') return { ring: Ring.attach(a.descriptor!, { schema: SCHEMA, waitStrategy }), close: () => {}, waiter: atomicsWaiter };
  const { SharedRing, futexWaiter } = await import('@ringkit/shm');
  const shared = SharedRing.open(a.name!, { schema: SCHEMA, waitStrategy });
  return { ring: shared.ring, close: () => shared.close(), waiter: futexWaiter() };
}

const roles: Record<string, (a: RoleArgs) => Promise<object>> = {
  /** Publishes 0, 1, 2, ... in claims of `batch` for `ms`, then closes the ring. */
  async produce(a) {
    const { ring, close } = await openRing(a);
    const p = ring.producer();
    const col = ring.columns.v;
    const mask = ring.mask;
    const batch = a.batch!;
    let next = 0;
    const end = Date.now() + a.ms!;
    while (Date.now() < end) {
      for (let r = 0; r < 1024; r++) {
        if (!p.tryClaim(batch)) p.claim(batch); // the fast path first, as the in-process suite does
        const lo = p.lo;
        for (let k = 0; k < batch; k++) col[(lo + k) & mask] = next + k;
        p.publish(p.hi);
        next += batch;
      }
    }
    p.close();
    close();
    return { sent: next };
  },
  /** Reads consumer `id` until the ring closes, checking every value; times from the first entry. */
  async consume(a) {
    const { ring, close } = await openRing(a);
    const c = ring.openConsumer(a.id!);
    const col = ring.columns.v;
    let expect = 0;
    let bad = 0;
    let t0 = 0;
    for (;;) {
      const n = c.poll();
      if (n === POLL_CLOSED) break;
      if (t0 === 0) t0 = performance.now();
      for (let k = 0; k < n; k++) if (col[c.batch.index(k)] !== expect + k) bad++;
      expect += n;
      c.release();
    }
    const seconds = (performance.now() - t0) / 1000;
    close();
    return { count: expect, seconds, bad };
  },
  /** Wake-up round trips on word 0 of a small shared buffer (or segment): side 0 pings (odd values), side 1 pongs, each sleeping in between. */
  async pingpong(a) {
    let word: Int32Array;
    let waiter: Waiter = atomicsWaiter;
    let close = (): void => {};
    if (a.mode === 'inproc') {
      word = new Int32Array(a.descriptor!.buffer, 0, 32);
    } else {
      const { Segment, futexWaiter } = await import('@ringkit/shm');
      word = new Int32Array(Segment.open(a.name!).buffer, 0, 32);
      const fw = futexWaiter();
      waiter = fw;
      close = () => fw.close();
    }
    const slot = 0;
    const rounds = a.rounds!;
    const side = a.side!;
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) {
      const ping = 2 * r + 1;
      if (side === 0) {
        Atomics.store(word, slot, ping);
        waiter.wake(word, slot);
        while (Atomics.load(word, slot) !== ping + 1) waiter.wait(word, slot, ping, 50);
      } else {
        while (Atomics.load(word, slot) !== ping) waiter.wait(word, slot, (ping - 1) | 0, 50);
        Atomics.store(word, slot, ping + 1);
        waiter.wake(word, slot);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    close();
    return { rounds, seconds };
  },
  /**
   * Baseline: the smallest SPSC ring one can write in plain JS (no ringkit), per item, over the
   * same kind of buffer: the producer stores each value and the cursor (word 0), the consumer
   * reads up to the cursor and stores its position (word 32); both spin 200 times, then sleep
   * on the word with `Atomics.wait` behind a waiter count (words 64, 96), as ringkit's phased
   * strategy does; -1 in word 128 ends the run. It shows what per-item publishing costs on this
   * machine whatever the ring: the cursor's cache line changes hands for every item the consumer sees.
   */
  async rawProduce(a) {
    const ctl = new Int32Array(a.descriptor!.buffer, a.descriptor!.byteOffset, 256);
    const col = new Float64Array(a.descriptor!.buffer, a.descriptor!.byteOffset + 1024, RAW_CAPACITY);
    let tail = 0;
    let head = 0;
    const end = Date.now() + a.ms!;
    while (Date.now() < end) {
      for (let r = 0; r < 1024; r++) {
        for (let spins = 0; tail - head >= RAW_CAPACITY; spins++) {
          head = Atomics.load(ctl, 32);
          if (spins > 200 && tail - head >= RAW_CAPACITY) {
            Atomics.add(ctl, 96, 1);
            if (tail - Atomics.load(ctl, 32) >= RAW_CAPACITY) Atomics.wait(ctl, 32, head, 50);
            Atomics.sub(ctl, 96, 1);
          }
        }
        col[tail & (RAW_CAPACITY - 1)] = tail;
        tail++;
        Atomics.store(ctl, 0, tail);
        if (Atomics.load(ctl, 64) !== 0) Atomics.notify(ctl, 0);
      }
    }
    Atomics.store(ctl, 128, -1);
    Atomics.notify(ctl, 0);
    return { sent: tail };
  },
  async rawConsume(a) {
    const ctl = new Int32Array(a.descriptor!.buffer, a.descriptor!.byteOffset, 256);
    const col = new Float64Array(a.descriptor!.buffer, a.descriptor!.byteOffset + 1024, RAW_CAPACITY);
    let head = 0;
    let bad = 0;
    let t0 = 0;
    for (let spins = 0; ;) {
      const cursor = Atomics.load(ctl, 0);
      if (cursor === head) {
        if (Atomics.load(ctl, 128) === -1 && Atomics.load(ctl, 0) === head) break;
        if (++spins > 200) {
          Atomics.add(ctl, 64, 1);
          if (Atomics.load(ctl, 0) === head && Atomics.load(ctl, 128) !== -1) Atomics.wait(ctl, 0, head, 50);
          Atomics.sub(ctl, 64, 1);
        }
        continue;
      }
      spins = 0;
      if (t0 === 0) t0 = performance.now();
      for (; head !== cursor; head++) if (col[head & (RAW_CAPACITY - 1)] !== head) bad++;
      Atomics.store(ctl, 32, head);
      if (Atomics.load(ctl, 96) !== 0) Atomics.notify(ctl, 32);
    }
    return { count: head, seconds: (performance.now() - t0) / 1000, bad };
  },
  /** Baseline: `process.send` of one number per message for `ms` (child_process IPC). */
  async send(a) {
    const end = Date.now() + a.ms!;
    let sent = 0;
    while (Date.now() < end) {
      for (let k = 0; k < 512; k++) process.send!(sent++);
      await new Promise<void>((r) => process.send!(-1, () => r())); // back-pressure: wait until flushed
    }
    await new Promise<void>((r) => process.send!({ done: sent }, () => r()));
    return { sent };
  },
  /** Baseline: 8-byte records over a Unix-domain socket stream, written 8192 at a time (64 KiB), for `ms`. */
  async socket(a) {
    const sock = connect(a.path!);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const chunk = new Float64Array(8192);
    const end = Date.now() + a.ms!;
    let next = 0;
    while (Date.now() < end) {
      for (let k = 0; k < chunk.length; k++) chunk[k] = next++;
      if (!sock.write(new Uint8Array(chunk.buffer.slice(0)))) await new Promise<void>((r) => sock.once('drain', () => r()));
    }
    await new Promise<void>((r) => sock.end(() => r()));
    return { sent: next };
  },
};

async function main(): Promise<void> {
  if (isMainThread) {
    if (process.argv[1] !== fileURLToPath(import.meta.url)) return; // imported, not run
    const [role, json] = process.argv.slice(2);
    const out = await roles[role]!(JSON.parse(json!) as RoleArgs);
    if (role !== 'send') process.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (workerData !== null && typeof workerData === 'object' && 'role' in (workerData as object)) {
    const { role, args } = workerData as { role: string; args: RoleArgs };
    parentPort!.postMessage(await roles[role]!(args));
  }
}
await main();
