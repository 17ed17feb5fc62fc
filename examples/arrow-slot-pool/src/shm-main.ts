/**
 * Runs the cross-process example: `node examples/arrow-slot-pool/dist/src/shm-main.js`. A
 * supervisor and 3 job processes, 20 Arrow record batches each, through a named slot pool.
 */
import { runSupervisor } from './supervisor.js';

const r = await runSupervisor({ supervisorId: 'benchmark_supervisor', jobs: 3, batches: 20, log: (line) => console.log(line) });
console.log(`supervisor: ${r.batches} batches, ${r.rows} rows, ${r.wrong} wrong, all read in place: ${r.zeroCopy}`);
console.log('pool stats (shared by all processes):', r.stats);
console.log('occupancy:', r.occupancy, `; ${r.name} unlinked: ${r.unlinked}`);
