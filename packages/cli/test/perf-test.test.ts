/** `ringkit perf-test`, run as a real process (bin/ringkit.js) with short durations. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/ringkit.js', import.meta.url));

function ringkit(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'perf-test', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  writesPerSec: number;
  bytesPerSec: number;
  targetWritesPerSec: number;
  writes: number;
  dropped: number;
  readers: { reads: number; verifyFailures: number; lagMax: number }[];
  readerLagMax: number;
  verified: boolean;
  verifyFailures: number;
  copyBaseline?: { bytes: number; bytesPerSec: number };
}

describe('ringkit perf-test', () => {
  it('--json: paced writes reach the target; every reader reads and verifies every write', () => {
    const r = ringkit(['--slot-bytes', '10000', '--slots', '16', '--duration-seconds', '1', '--writes-per-second', '200', '--readers', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON object on stdout');
    const j = JSON.parse(lines[0]!) as Report;
    assert.equal(j.targetWritesPerSec, 200);
    assert.ok(j.writesPerSec > 100 && j.writesPerSec < 260, `writesPerSec=${j.writesPerSec}`);
    assert.equal(j.bytesPerSec, j.writesPerSec * 10000);
    assert.equal(j.verified, true);
    assert.equal(j.verifyFailures, 0);
    assert.equal(j.readers.length, 3);
    for (const reader of j.readers) assert.equal(reader.reads, j.writes, 'each reader reads every successful write');
    assert.equal(typeof j.readerLagMax, 'number');
    assert.match(r.stderr, /perf-test .*writes \d+/, 'a progress line on stderr');
  });

  it('as fast as possible with --no-verify-writes and --copy-baseline: nothing dropped, baseline measured', () => {
    const r = ringkit(['--slot-bytes', '1000000', '--slots', '4', '--duration-seconds', '0.5', '--writes-per-second', '0', '--readers', '1', '--no-verify-writes', '--copy-baseline', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Report;
    assert.equal(j.verified, false);
    assert.equal(j.dropped, 0);
    assert.ok(j.writes > 0);
    assert.equal(j.readers[0]!.reads, j.writes);
    assert.ok(j.copyBaseline !== undefined && j.copyBaseline.bytes === 1000000 && j.copyBaseline.bytesPerSec > 0);
  });

  it('slow readers make the writer drop writes (waiting for readers) and fall behind', () => {
    const r = ringkit(['--slot-bytes', '1000', '--slots', '4', '--duration-seconds', '1', '--writes-per-second', '100', '--readers', '2', '--reader-burn-cpu-milliseconds', '30', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Report;
    assert.ok(j.dropped > 0, `dropped=${j.dropped}`);
    assert.match(r.stderr, /ERROR Write \d+ is waiting for readers/);
    assert.ok(j.readerLagMax >= 3, `readerLagMax=${j.readerLagMax}`);
    for (const reader of j.readers) assert.equal(reader.reads, j.writes);
  });

  it('prints the reference report blocks without --json', () => {
    const r = ringkit(['--slot-bytes', '1000', '--slots', '8', '--duration-seconds', '0.3', '--writes-per-second', '50', '--readers', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Writer\n\d+ slots in [\d.]+ seconds\n[\d.]+ MBytes per second\n[\d.]+ slots\/second, -?[\d.]+% relative to target\n/);
    assert.match(r.stdout, /Reader 0\n/);
    assert.match(r.stdout, /Verification: 0 failures/);
  });

  it('the reference README\'s scenario 4 verbatim (underscore spellings), shortened to 1 s', () => {
    const r = ringkit(['--debug', '--slot-bytes=100000000', '--slots=3', '--duration-seconds=1', '--writes-per-second=24', '--readers=1', '--no-verify_writes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Report;
    assert.equal(j.verified, false);
    assert.ok(j.writes > 0);
    assert.equal(j.readers[0]!.reads, j.writes);
    assert.match(r.stderr, /Starting performance test with flags/);
    const v = ringkit(['--slot_bytes', '1000', '--slots', '8', '--duration_seconds', '0.3', '--writes_per_second', '50', '--readers', '1', '--verify_writes', '--json']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal((JSON.parse(v.stdout) as Report).verified, true);
  });

  it('--processes: one writer process and 4 reader processes over a named segment, every item verified', () => {
    const r = ringkit(['--slot-bytes', '10000', '--slots', '16', '--duration-seconds', '1', '--writes-per-second', '300', '--readers', '4', '--processes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Report;
    assert.ok(j.writes > 100, `writes=${j.writes}`);
    assert.equal(j.verifyFailures, 0);
    assert.equal(j.readers.length, 4);
    for (const reader of j.readers) assert.equal(reader.reads, j.writes, 'each reader process reads every successful write');
    const leftover = spawnSync('sh', ['-c', 'ls /dev/shm | grep ringkit-perf-test || true'], { encoding: 'utf8' }).stdout;
    assert.equal(leftover, '', 'the segments are removed');
    const fast = ringkit(['--slot-bytes', '4096', '--slots', '64', '--duration-seconds', '0.5', '--writes-per-second', '0', '--readers', '3', '--processes', '--json']);
    assert.equal(fast.code, 0, fast.stderr);
    const f = JSON.parse(fast.stdout) as Report;
    assert.equal(f.dropped, 0);
    for (const reader of f.readers) assert.equal(reader.reads, f.writes);
  });

  it('bad or missing flags: exit code 2 and a message naming the flag and what is allowed', () => {
    const missing = ringkit(['--slots', '4', '--duration-seconds', '1', '--writes-per-second', '1', '--readers', '1']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--slot-bytes is required: an integer in \[1, 1073741824\]/);
    const bad = ringkit(['--slot-bytes', '10', '--slots', '4', '--duration-seconds', '1', '--writes-per-second', '1', '--readers', '129']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--readers must be an integer in \[1, 128\]: --readers=129/);
    const unknown = ringkit(['--slotbytes', '10']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /slotbytes.*ringkit perf-test --help/);
    const both = ringkit(['--slot-bytes', '10', '--slots', '4', '--duration-seconds', '1', '--writes-per-second', '1', '--readers', '1', '--verify_writes', '--no-verify_writes']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--verify-writes and --no-verify-writes contradict each other/);
    const help = ringkit(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--reader-burn-cpu-milliseconds/);
  });
});
