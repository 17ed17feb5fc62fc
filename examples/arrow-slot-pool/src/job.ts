/**
 * A job process of the supervisor example: `node job.js <pool name> <job> <batches>`. Attaches
 * to the pool by name, writes record batches of Arrow into slots (waiting while every slot is
 * in use), and sends each handle to the supervisor over the IPC channel.
 */
import { tableFromArrays } from 'apache-arrow';
import { SharedSlotPool } from '@ringkit/shm';
import { writeTable } from './index.js';
import type { BatchMessage } from './supervisor.js';

const [name, jobArg, batchesArg] = process.argv.slice(2);
const job = Number(jobArg);
const shared = SharedSlotPool.open(name!);
for (let batch = 0; batch < Number(batchesArg); batch++) {
  const rows = 5000 + 1000 * (batch % 7);
  const table = tableFromArrays({
    ts: Float64Array.from({ length: rows }, (_, i) => batch * 1e6 + i),
    value: new Int32Array(rows).fill(job),
  });
  const handle = writeTable(shared.pool, table, { timeout: 30_000 }); // one serialisation, one copy into the slot
  const message: BatchMessage = { handle, job, batch, rows };
  await new Promise<void>((resolve) => process.send!(message, () => resolve()));
}
shared.close();
process.disconnect();
