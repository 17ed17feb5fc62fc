/**
 * The enrgdaq shape across OS processes: a supervisor opens-or-creates a named slot pool, forks
 * job processes that attach to it by name and write Apache Arrow record batches into slots, and
 * reads every batch zero-copy from the handle a job sends it (the only thing that crosses the
 * message channel, as enrgdaq's `RingBufferHandle` crosses ZMQ). Slot states, reference counts,
 * generations and byte counters live in the segment, so every process sees the same pool (the
 * original's were process-local). Cleanup unlinks the name.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { SlotHandle } from '@ringkit/core';
import { SharedSlotPool } from '@ringkit/shm';
import { readTable } from './index.js';

const JOB = new URL('./job.js', import.meta.url);

/** What a job sends for each batch: the pool handle and what the batch holds (to check it). */
export interface BatchMessage {
  handle: SlotHandle;
  job: number;
  batch: number;
  rows: number;
}

/** The segment name for a supervisor id: hex of its md5 (enrgdaq used base64, whose '/' POSIX refuses). */
export function poolName(supervisorId: string): string {
  return `/ring_${createHash('md5').update(supervisorId).digest('hex')}`;
}

export interface SupervisorResult {
  name: string;
  batches: number;
  rows: number;
  /** Every batch's column buffers were views of the shared segment. */
  zeroCopy: boolean;
  /** Batches whose values differed from what the job wrote. */
  wrong: number;
  stats: ReturnType<SharedSlotPool['pool']['stats']>;
  occupancy: ReturnType<SharedSlotPool['pool']['occupancy']>;
  unlinked: boolean;
}

/** Runs a supervisor with `jobs` job processes, each writing `batches` record batches. */
export async function runSupervisor(options: { supervisorId: string; jobs: number; batches: number; slotBytes?: number; slotCount?: number; log?: (line: string) => void }): Promise<SupervisorResult> {
  const name = poolName(options.supervisorId);
  const shared = SharedSlotPool.openOrCreate(name, { slotBytes: options.slotBytes ?? 1 << 20, slotCount: options.slotCount ?? 8 });
  const pool = shared.pool;
  const log = options.log ?? (() => {});
  log(`supervisor: ${shared.created ? 'created' : 'opened'} slot pool ${name}: ${pool.slotCount} slots of ${pool.slotBytes} bytes`);
  let batches = 0;
  let rows = 0;
  let wrong = 0;
  let zeroCopy = true;
  const jobs = Array.from({ length: options.jobs }, (_, job) => {
    const child = fork(JOB, [name, String(job), String(options.batches)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: BatchMessage) => {
      // The job's reference came with the handle: read in place, then release it.
      const { table, release } = readTable(pool, m.handle, true);
      const ts = table.getChild('ts')!;
      const value = table.getChild('value')!;
      let ok = table.numRows === m.rows;
      for (const chunk of ts.data) {
        const values = chunk.values as Float64Array;
        if (values.buffer !== pool.data.buffer) zeroCopy = false;
        for (let i = 0; i < values.length; i++) if (values[i] !== m.batch * 1e6 + i) ok = false;
      }
      for (const chunk of value.data) for (let i = 0; i < chunk.values.length; i++) if ((chunk.values as Int32Array)[i] !== m.job) ok = false;
      release();
      batches++;
      rows += table.numRows;
      if (!ok) wrong++;
      if (m.batch === 0 || m.batch === options.batches - 1) log(`supervisor: job ${m.job} batch ${m.batch}: ${table.numRows} rows from slot ${m.handle.slot} (generation ${m.handle.generation}), read in place`);
    });
    return new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`job ${job} exited with ${code}`)))));
  });
  try {
    await Promise.all(jobs);
  } finally {
    shared.close();
  }
  const result = { name, batches, rows, zeroCopy, wrong, stats: pool.stats(), occupancy: pool.occupancy(), unlinked: false };
  shared.unlink(); // cleanup: the name goes (the supervisor owns it)
  result.unlinked = true;
  return result;
}
