/** The enrgdaq shape across real processes: a supervisor, 4 job processes, one named slot pool. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { poolName, runSupervisor } from '../src/supervisor.js';

describe('Arrow record batches from job processes through a named slot pool', () => {
  it('every batch arrives intact, is read in place, and the pool state is shared by every process', async () => {
    const id = `test-supervisor-${process.pid}`;
    const r = await runSupervisor({ supervisorId: id, jobs: 4, batches: 25, slotCount: 4 }); // 4 slots: jobs wait for the supervisor's releases
    assert.equal(r.name, poolName(id));
    assert.match(r.name, /^\/ring_[0-9a-f]{32}$/, 'hex, never base64 (whose "/" POSIX refuses)');
    assert.equal(r.batches, 100);
    assert.equal(r.wrong, 0);
    assert.equal(r.zeroCopy, true, 'column buffers are views of the segment');
    assert.equal(r.stats.allocations, 100, 'allocations by 4 processes counted in one shared counter');
    assert.equal(r.stats.bytesRead, r.stats.bytesWritten, 'bytes read (supervisor) match bytes written (jobs)');
    assert.equal(r.stats.overwrites, 0);
    assert.deepEqual(r.occupancy, { free: 4, writing: 0, ready: 0 }, 'every slot came back: the releases of one process freed the slots of others');
    assert.equal(r.unlinked, true);
    assert.equal(existsSync(`/dev/shm${r.name}`), false);
  });
});
