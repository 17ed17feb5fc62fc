/**
 * One process of `ringkit perf-test --processes` (as perf_test_ringbuffer.py runs its writer
 * and readers): opens the facade and the statistics by name, runs its role, lets go.
 * Usage (by perf-test only): node perf-test-process.js '<PerfTask as JSON>'
 */
import { reader, writer } from './perf-test-worker.js';
import type { PerfTask } from './perf-test-shared.js';

const task = JSON.parse(process.argv[2]!) as PerfTask;
const { Segment, SharedRingBuffer } = await import('@ringkit/shm');
const shared = SharedRingBuffer.open(task.ringName!);
const stats = new Int32Array(Segment.open(task.statsName!).buffer);
try {
  if (task.role === 'writer') writer(shared.buffer, task, stats);
  else reader(shared.buffer, task, stats);
} finally {
  shared.close();
}
