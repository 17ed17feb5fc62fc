/** What the perf-test threads share with the main thread: the statistics layout and the task. */
import type { RingBufferDescriptor } from '@ringkit/core';

/** Int32 words of the shared statistics array. Reader r's words start at `READERS + r * READER_WORDS`. */
export const STAT = {
  /** Successful writes. */
  writes: 0,
  /** Writes dropped because a reader was a full ring behind. */
  drops: 1,
  /** Set to 1 by the writer when it is done (after writerDone). */
  writerDone: 2,
  /** Milliseconds the writer ran, set when it is done. */
  writerMs: 3,
  /** Readers that are attached and waiting: the writer starts when all are. */
  readersReady: 4,
  readers: 8,
} as const;
/** Per reader: reads, verification failures, most items behind seen, milliseconds it ran. */
export const READER_WORDS = 4;

/** What a perf-test worker is told to do. */
export interface PerfTask {
  role: 'writer' | 'reader';
  /** Threads: the facade and the statistics, shared. */
  ring?: RingBufferDescriptor;
  stats?: SharedArrayBuffer;
  /** Processes (`--processes`): the named segments of the facade and of the statistics. */
  ringName?: string;
  statsName?: string;
  /** reader: its RingBuffer reader id and index in the stats. */
  readerId?: number;
  readerIndex?: number;
  readers: number;
  slotBytes: number;
  durationMs: number;
  writesPerSecond: number;
  burnMs: number;
  verify: boolean;
  /** Readers look at items in place (readView) instead of copying them (read). */
  zeroCopyReads: boolean;
  debug: boolean;
}

