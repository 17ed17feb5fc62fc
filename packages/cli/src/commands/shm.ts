/**
 * `ringkit shm`: named shared-memory segments — list, remove, clean the stale ones — and a
 * producer / consumer pair that moves numbered entries through a named ring between two
 * unrelated processes (two terminals), each of which can be killed and restarted.
 */
import { parseArgs } from 'node:util';
import { LayoutMismatchError, POLL_CLOSED, RingkitError, TimeoutError } from '@ringkit/core';
import type { Command } from '../main.js';
import { integerFlag, UsageError } from '../flags.js';
import { isMissingPackage } from '../optional-package.js';

const HELP = `Usage: ringkit shm <ls|rm|clean|produce|consume> [options]

Named shared-memory rings (@ringkit/shm; Linux).

  ls [--json]             segments in /dev/shm: name, kind, size, capacity, processes alive
                          and dead, age (and whether it is stale)
  rm NAME...              remove segments by name (processes attached keep their memory)
  clean                   remove stale ringkit segments: none with a live process attached
  produce NAME [options]  open the typed ring NAME ({ seq: 'f64' }) or create it, and publish
                          entries numbered 0, 1, 2, ...; a restarted producer goes on after
                          the last entry published
      --count N           publish up to entry N - 1, then close the ring (default 100000000)
      --capacity N        slots of a new ring, a power of two (default 65536; a live ring of
                          another capacity is refused when this is given, used when not)
      --batch N           entries per claim (default 1024)
      --rate N            at most N entries per second (default: as fast as the consumers go)
      --consumers N       consumers a new ring registers, ids 0 ... N-1 (default 1)
      --evict             evict the consumers of a consumer process found dead (default: keep
                          them for a restarted consumer, which then gets what it had not released)
  consume NAME [options]  open the ring NAME and read consumer --id until the ring closes,
                          checking that every entry is the next number
      --id N              consumer id (default 0)
  --json                  (ls, produce, consume) results as JSON on stdout
  -h, --help              show this help

Progress goes to stderr once a second; the result line to stdout.
`;

type Shm = typeof import('@ringkit/shm');

/** Loads @ringkit/shm (an optional peer: it builds a native addon) or says how to add it. */
async function loadShm(): Promise<Shm | undefined> {
  try {
    return await import('@ringkit/shm');
  } catch (e) {
    if (!isMissingPackage(e, '@ringkit/shm')) throw e;
    process.stderr.write('ringkit shm: named shared memory is the separate package @ringkit/shm (a small native addon), not installed here: run `npm install @ringkit/shm` (beside ringkit; needs python3, make, g++), then try again\n');
    return undefined;
  }
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : s < 172800 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function ls(shm: Shm, json: boolean): number {
  const list = shm.listSegments();
  if (json) {
    process.stdout.write(`${JSON.stringify(list)}\n`);
    return 0;
  }
  if (list.length === 0) {
    process.stderr.write('ringkit shm ls: no segments in /dev/shm\n');
    return 0;
  }
  const rows = [['NAME', 'KIND', 'SIZE', 'CAPACITY', 'ALIVE', 'DEAD', 'AGE', 'STALE']];
  for (const s of list) {
    rows.push([s.name, s.kind, shm.formatBytes(s.size), s.kind === 'foreign' ? '-' : String(s.capacity), String(s.alive), String(s.dead), age(s.ageMs), s.stale ? 'yes' : 'no']);
  }
  process.stdout.write(table(rows));
  return 0;
}

const SCHEMA = { seq: 'f64' } as const;

/** Runs until done or SIGINT/SIGTERM; `step` returns false when done. Progress once a second. */
async function loop(step: () => boolean | Promise<boolean>, progress: () => void): Promise<boolean> {
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let last = Date.now();
  try {
    while (!stopped) {
      if (!(await step())) return true;
      const now = Date.now();
      if (now - last >= 1000) {
        last = now;
        progress();
        await new Promise<void>((r) => setImmediate(r)); // let signals in
      }
    }
    return false;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function rate(n: number, ms: number): string {
  return `${(n / Math.max(ms, 1) / 1000).toFixed(1)} M/s`;
}

async function produce(shm: Shm, name: string, f: { count: number; capacity: number | undefined; batch: number; consumers: number; evict: boolean; json: boolean; rate: number | undefined }): Promise<number> {
  const dead = f.evict ? 'evict' : 'keep';
  let shared;
  try {
    shared = shm.SharedRing.openOrCreate(name, { capacity: f.capacity ?? 65536, schema: SCHEMA, startTimeoutMs: 0, deadConsumers: dead });
  } catch (e) {
    // A live ring of another capacity: fine when none was asked for.
    if (!(e instanceof LayoutMismatchError && e.field === 'capacity' && f.capacity === undefined)) throw e;
    shared = shm.SharedRing.open(name, { schema: SCHEMA, deadConsumers: dead });
  }
  const ring = shared.ring;
  try {
    if (shared.created) for (let i = 0; i < f.consumers; i++) ring.addConsumer();
    const producer = ring.producer();
    const column = ring.columns.seq;
    const mask = ring.mask;
    const cursor = ring.cursor;
    const first = cursor === ring.header.initialSequence ? 0 : column[cursor & mask]! + 1;
    process.stderr.write(`ringkit shm produce: ${shared.created ? 'created' : 'opened'} ${name} (${ring.capacity} slots, pid ${process.pid}); publishing ${first} ... ${f.count - 1}\n`);
    let next = first;
    const t0 = Date.now();
    let lastN = first;
    let lastT = t0;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const done = await loop(() => {
      if (next >= f.count) return false;
      if (f.rate !== undefined) {
        const ahead = (next - first) / f.rate * 1000 - (Date.now() - t0); // ms ahead of the asked rate
        if (ahead > 0) Atomics.wait(pause, 0, 0, Math.min(ahead, 50));
        if (ahead > 0) return true;
      }
      const n = Math.min(f.batch, f.count - next, ring.capacity);
      let hi: number;
      try {
        hi = producer.claim(n, { timeout: 1000 }); // wakes to report progress while consumers hold it back
      } catch (e) {
        if (e instanceof TimeoutError) return true;
        throw e;
      }
      for (let s = (hi - n + 1) | 0, k = 0; k < n; k++, s = (s + 1) | 0) column[s & mask] = next + k;
      producer.publish(hi);
      next += n;
      return true;
    }, () => {
      const now = Date.now();
      process.stderr.write(`ringkit shm produce: ${next.toLocaleString('en')} published, ${rate(next - lastN, now - lastT)}\n`);
      lastN = next;
      lastT = now;
    });
    const ms = Date.now() - t0;
    if (done) producer.close();
    const result = { name, published: next - first, from: first, to: next - 1, seconds: ms / 1000, closed: done };
    if (f.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`published ${result.published.toLocaleString('en')} entries (${first} ... ${next - 1}) in ${(ms / 1000).toFixed(2)} s: ${rate(result.published, ms)}${done ? '; ring closed' : '; stopped'}\n`);
    return 0;
  } finally {
    shared.close();
  }
}

async function consume(shm: Shm, name: string, f: { id: number; json: boolean }): Promise<number> {
  const shared = shm.SharedRing.open(name, { schema: SCHEMA, deadConsumers: 'keep' });
  const ring = shared.ring;
  try {
    const consumer = ring.openConsumer(f.id);
    const column = ring.columns.seq;
    process.stderr.write(`ringkit shm consume: opened ${name} (${ring.capacity} slots, pid ${process.pid}), consumer ${f.id} from entry ${consumer.sequence + 1}\n`);
    let received = 0;
    let wrong = 0;
    let firstSeen = -1;
    let lastSeen = -1;
    const t0 = Date.now();
    let lastN = 0;
    let lastT = t0;
    const done = await loop(() => {
      let n: number;
      try {
        n = consumer.poll({ timeout: 1000 }); // wakes to report progress while nothing comes
      } catch (e) {
        if (e instanceof TimeoutError) return true;
        throw e;
      }
      if (n === POLL_CLOSED) return false;
      if (n <= 0) return true;
      const lo = consumer.batch.lo;
      if (firstSeen < 0) firstSeen = column[consumer.batch.index(0)]!;
      for (let k = 0; k < n; k++) if (column[consumer.batch.index(k)] !== lo + k) wrong++;
      lastSeen = column[consumer.batch.index(n - 1)]!;
      received += n;
      consumer.release();
      return true;
    }, () => {
      const now = Date.now();
      process.stderr.write(`ringkit shm consume: ${received.toLocaleString('en')} received, ${rate(received - lastN, now - lastT)}${wrong > 0 ? `, ${wrong} WRONG` : ''}\n`);
      lastN = received;
      lastT = now;
    });
    const ms = Date.now() - t0;
    const result = { name, consumer: f.id, received, from: firstSeen, to: lastSeen, wrong, seconds: ms / 1000, closed: done };
    if (f.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`received ${received.toLocaleString('en')} entries${received === 0 ? '' : ` (${firstSeen} ... ${lastSeen})`}, ${wrong} out of sequence, in ${(ms / 1000).toFixed(2)} s: ${rate(received, ms)}${done ? '; ring closed' : '; stopped'}\n`);
    return wrong === 0 ? 0 : 1;
  } finally {
    shared.close();
  }
}

/** The `shm` command. */
export const command: Command = {
  summary: 'named shared-memory rings: `shm ls`, `shm rm NAME`, `shm clean`, `shm produce NAME`, `shm consume NAME`',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          json: { type: 'boolean' }, count: { type: 'string' }, capacity: { type: 'string' }, batch: { type: 'string' },
          consumers: { type: 'string' }, rate: { type: 'string' }, evict: { type: 'boolean' }, id: { type: 'string' }, help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: true,
        strict: true,
      });
    } catch (e) {
      process.stderr.write(`ringkit shm: ${(e as Error).message}\nRun \`ringkit shm --help\` for the options.\n`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help === true) {
      process.stdout.write(HELP);
      return 0;
    }
    const [sub, ...names] = positionals;
    const usage = (m: string): number => {
      process.stderr.write(`ringkit shm: ${m}\nRun \`ringkit shm --help\` for the options.\n`);
      return 2;
    };
    if (sub === undefined) return usage('name a subcommand: ls, rm, clean, produce, consume');
    if (!['ls', 'rm', 'clean', 'produce', 'consume'].includes(sub)) return usage(`unknown subcommand "${sub}"; allowed: ls, rm, clean, produce, consume`);
    const shm = await loadShm();
    if (shm === undefined) return 1;
    try {
      switch (sub) {
        case 'ls':
          if (names.length > 0) return usage(`shm ls takes no names: ${names.join(' ')}`);
          return ls(shm, values.json === true);
        case 'rm': {
          if (names.length === 0) return usage('shm rm needs at least one NAME');
          let code = 0;
          for (const n of names) {
            try {
              shm.Segment.unlink(n);
              process.stdout.write(`removed ${shm.checkSegmentName(n)}\n`);
            } catch (e) {
              process.stderr.write(`ringkit shm rm: ${(e as Error).message}\n`);
              code = 1;
            }
          }
          return code;
        }
        case 'clean': {
          if (names.length > 0) return usage(`shm clean takes no names (it removes every stale ringkit segment): ${names.join(' ')}`);
          const removed = shm.cleanSegments();
          for (const n of removed) process.stdout.write(`removed ${n}\n`);
          process.stderr.write(`ringkit shm clean: ${removed.length} stale segment${removed.length === 1 ? '' : 's'} removed\n`);
          return 0;
        }
        case 'produce':
        case 'consume': {
          if (names.length !== 1) return usage(`shm ${sub} takes one NAME (got ${names.length === 0 ? 'none' : names.join(' ')})`);
          if (sub === 'produce') {
            const capacity = integerFlag('capacity', values.capacity, 2, 2 ** 30);
            if (capacity !== undefined && (capacity & (capacity - 1)) !== 0) throw new UsageError(`--capacity must be a power of two in [2, 2^30]: --capacity=${capacity}`);
            return await produce(shm, names[0]!, {
              count: integerFlag('count', values.count, 1, Number.MAX_SAFE_INTEGER) ?? 100_000_000,
              capacity,
              batch: integerFlag('batch', values.batch, 1, 2 ** 30) ?? 1024,
              consumers: integerFlag('consumers', values.consumers, 1, 32) ?? 1,
              evict: values.evict === true,
              rate: integerFlag('rate', values.rate, 1, Number.MAX_SAFE_INTEGER),
              json: values.json === true,
            });
          }
          return await consume(shm, names[0]!, { id: integerFlag('id', values.id, 0, 127) ?? 0, json: values.json === true });
        }
      }
    } catch (e) {
      if (e instanceof UsageError) return usage(e.message);
      if (e instanceof RingkitError) {
        process.stderr.write(`ringkit shm ${sub}: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    return 0;
  },
};
