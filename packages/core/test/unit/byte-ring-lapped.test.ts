/**
 * Byte-ring accounting found by the core stress soak: what a reader is told it lost adds up to
 * where it reads next and to where the ring ends, when a producer dies mid-claim (real worker
 * threads, terminated) and when a lossy producer laps a reader in the middle of its poll.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { ByteRing, LappedError, PADDING_FLAG, POLL_CLOSED, POLL_EMPTY, type ByteReader } from '../../src/index.js';
import * as L from '../../src/layout.js';
import type { ClaimAndHangTask } from '../fixtures/claim-and-hang.js';

const HANG = new URL('../fixtures/claim-and-hang.js', import.meta.url);

/** A claim-and-hang worker and the messages it posts, one at a time. */
function startHanging(task: ClaimAndHangTask): { worker: Worker; next: () => Promise<Record<string, unknown>> } {
  const worker = new Worker(HANG, { workerData: task });
  const queue: Array<Record<string, unknown>> = [];
  const waiting: Array<(m: Record<string, unknown>) => void> = [];
  let failure: unknown;
  worker.on('message', (m: Record<string, unknown>) => (waiting.length > 0 ? waiting.shift()!(m) : queue.push(m)));
  worker.on('error', (e) => { failure = e; });
  const next = (): Promise<Record<string, unknown>> => {
    if (failure !== undefined) return Promise.reject(failure);
    if (queue.length > 0) return Promise.resolve(queue.shift()!);
    return new Promise((resolve, reject) => {
      waiting.push(resolve);
      worker.once('error', reject);
    });
  };
  return { worker, next };
}

/** The LappedError a poll throws (a lossy ring with lossyPolicy 'error'). */
function lapped(r: ByteReader): LappedError {
  try {
    r.tryPoll();
  } catch (e) {
    if (e instanceof LappedError) return e;
    throw e;
  }
  assert.fail('the reader was not told it was lapped');
}

describe('ByteRing, lossy single producer terminated mid-claim', () => {
  it('a reader lapped while the claim was pending resumes at the committed end, so its accounting ends where the ring does', async () => {
    const ring = ByteRing.create({ capacity: 1024, lossy: true });
    const r = ring.addReader();
    // Nine 128-byte frames (positions 0 … 1152), then a claim of one more, announced up to 1280, never committed.
    const { worker, next } = startHanging({ kind: 'bytes', descriptor: ring.descriptor, owner: 4, n: 120, recordsFirst: 9, firstLength: 120 });
    try {
      assert.deepEqual(await next(), { position: 1152 });
      const e = lapped(r);
      assert.equal(e.lost, 1152, 'lost up to the committed end, not up to the announced claim');
      assert.equal(r.position, 1152);
      await worker.terminate();
      ring.recover(4);
      ring.close();
      assert.equal(r.poll({ timeout: 1000 }), POLL_CLOSED);
      assert.equal(ring.cursor, 1152);
      assert.equal(r.position, 1152, 'the reader did not pass the end of the ring');
      assert.equal(r.lost, 1152);
    } finally {
      await worker.terminate();
    }
  });

  it('what the dead claim may have overwritten stays lost: a reader behind it is lapped (not stuck), also after a replacement producer writes', async () => {
    for (const lossyPolicy of ['error', 'skip'] as const) {
      const ring = ByteRing.create({ capacity: 1024, lossy: true, lossyPolicy });
      const r = ring.addReader();
      const gate = new Int32Array(new SharedArrayBuffer(4));
      // 32 frames of 32 bytes (0 … 1024); the reader takes the first; then a 128-byte frame at 1024
      // overwrites the bytes of positions 0 … 128 (the headers of 32, 64 and 96 among them).
      const { worker, next } = startHanging({ kind: 'bytes', descriptor: ring.descriptor, owner: 6, n: 120, recordsFirst: 32, firstLength: 24, gate });
      try {
        assert.deepEqual(await next(), { written: true });
        assert.equal(r.poll({ max: 1, timeout: 1000 }), 1);
        assert.equal(r.batch.record(0)[0], 0);
        r.release();
        assert.equal(r.position, 32);
        Atomics.store(gate, 0, 1);
        Atomics.notify(gate, 0);
        assert.deepEqual(await next(), { position: 1024 });
        await worker.terminate();
        ring.recover(6);
        // A replacement goes on at the cursor with a short record: it announces less than the dead one did.
        const p = ring.producer();
        p.write(new Uint8Array(8).fill(7)); // frame 1024 … 1040
        if (lossyPolicy === 'error') {
          assert.equal(lapped(r).lost, 1040 - 32);
        } else {
          assert.equal(r.tryPoll(), POLL_EMPTY);
        }
        assert.equal(r.position, 1040);
        p.write(new Uint8Array(8).fill(8));
        assert.equal(r.poll({ timeout: 1000 }), 1);
        assert.equal(r.batch.record(0)[0], 8);
        assert.equal(r.batch.lo, 1040);
        assert.equal(r.batch.lost, lossyPolicy === 'skip' ? 1040 - 32 : 0);
        p.close();
        assert.equal(r.poll({ timeout: 1000 }), POLL_CLOSED);
        assert.equal(r.position, ring.cursor);
      } finally {
        await worker.terminate();
      }
    }
  });
});

describe('ByteRing, lossy: a producer laps the reader in the middle of its poll', () => {
  it('headers overwritten between the lap check and the scan are not taken for padding: the loss is counted from where the reader was', () => {
    for (const lossyPolicy of ['error', 'skip'] as const) {
      const ring = ByteRing.create({ capacity: 1024, lossy: true, lossyPolicy });
      const r = ring.addReader();
      const p = ring.producer();
      for (let k = 0; k < 32; k++) p.write(new Uint8Array(24).fill(k)); // frames 0 … 1024
      assert.equal(r.poll({ max: 1, timeout: 1000 }), 1);
      r.release();
      assert.equal(r.position, 32);
      // The producer laps the reader right after tryPoll's lap check (the barrier is asked next):
      // a 64-byte frame at 1024 covers the bytes of positions 0 … 64, and its payload (user data)
      // holds, where the header of position 32 was, a word pair that reads as a 24-byte padding frame.
      const barrier = (r as unknown as { barrier: { available(next: number): number } }).barrier;
      const available = barrier.available.bind(barrier);
      let laps = 1;
      barrier.available = (at: number): number => {
        if (laps-- > 0) {
          const payload = new Uint8Array(56);
          const words = new Int32Array(payload.buffer);
          words[6] = 0x40000000 | 24; // at ring offset 8 + 24 = 32: LENGTH with PADDING_FLAG
          words[7] = 32; // TAG = 32
          p.write(payload); // frame 1024 … 1088
        }
        return available(at);
      };
      if (lossyPolicy === 'error') {
        assert.equal(lapped(r).lost, 1088 - 32, 'the whole lap from where the reader was');
      } else {
        assert.equal(r.tryPoll(), POLL_EMPTY);
      }
      assert.equal(r.position, 1088);
      p.write(new Uint8Array(24).fill(9));
      assert.equal(r.poll({ timeout: 1000 }), 1);
      assert.equal(r.batch.record(0)[0], 9);
      assert.equal(r.batch.lo, 1088);
      if (lossyPolicy === 'skip') assert.equal(r.batch.lost, 1088 - 32, 'batch.lo = last end + batch.lost');
      assert.equal(r.lost, 1088 - 32);
    }
  });
});

describe('ByteRing, multi producer terminated with a claim that crosses the end of the record space', () => {
  /**
   * A ring whose cursor is 40 bytes before the lap end; a worker claims an 80-byte record there
   * (40 bytes of padding, then the 88-byte frame at 1024) and hangs; the main thread writes one
   * record after it. `emulate` edits the memory after the worker is terminated, as if it had
   * died at an earlier instant of the same claim.
   */
  async function deadClaimAcrossTheEnd(emulate: (ring: ByteRing, words: Int32Array, entry: number) => void): Promise<ByteReader> {
    const ring = ByteRing.create({ capacity: 1024, producer: 'multi' });
    const r = ring.addReader();
    const mine = ring.producer();
    for (let k = 0; k < 7; k++) mine.write(new Uint8Array(120).fill(k)); // frames 0 … 896
    mine.write(new Uint8Array(80).fill(7)); // 896 … 984
    for (let n = 0; n < 8;) {
      n += r.poll({ timeout: 1000 });
      r.release();
    }
    const { worker, next } = startHanging({ kind: 'bytes', descriptor: ring.descriptor, owner: 5, n: 80 });
    try {
      assert.deepEqual(await next(), { position: 1024 });
      mine.write(Uint8Array.of(42)); // 1112 … 1128
      await worker.terminate();
      const ctl = new Int32Array(ring.descriptor.buffer);
      const layout = L.computeLayout({ capacity: 1024, maxConsumers: 8, maxProducers: 16, multiProducer: false, schemaLength: L.schemaByteLength('bytes'), columnBytes: [1024] });
      let entry = -1;
      for (let e = 0; e < 16; e++) {
        if (ctl[(layout.producersOffset >> 2) + e * (L.PRODUCER_ENTRY_LENGTH >> 2) + L.PRODUCER_OWNER_WORD] === 5) entry = (layout.producersOffset >> 2) + e * (L.PRODUCER_ENTRY_LENGTH >> 2);
      }
      assert.ok(entry >= 0);
      emulate(ring, ring.words, entry);
      assert.equal(r.tryPoll(), POLL_EMPTY, 'stuck at the dead claim until it is recovered');
      ring.recover(5);
      return r;
    } finally {
      await worker.terminate();
    }
  }

  /** The reader skips the dead claim, counts only its record (88 bytes) and reads the next. */
  function skipsTheRecordOnly(r: ByteReader): void {
    assert.equal(r.poll({ timeout: 1000 }), 1);
    assert.equal(r.batch.lo, 1112);
    assert.equal(r.batch.lost, 88, 'the record, not the 40 bytes of padding before the lap end');
    assert.deepEqual([...r.batch.record(0)], [42]);
    assert.equal(r.lost, 88);
  }

  it('died after writing the padding frame and the record header', async () => {
    skipsTheRecordOnly(await deadClaimAcrossTheEnd(() => {}));
  });

  it('died after recording its claim, before writing the padding frame', async () => {
    skipsTheRecordOnly(await deadClaimAcrossTheEnd((_ring, words) => {
      words.fill(0, 984 >> 2, 1024 >> 2); // the padding frame at 984
      words.fill(0, 0, 2); // the record header at 1024
    }));
  });

  it('died before recording its claim (the claimed run is found as zeros)', async () => {
    skipsTheRecordOnly(await deadClaimAcrossTheEnd((_ring, words, entry) => {
      words.fill(0, 984 >> 2, 1024 >> 2);
      words.fill(0, 0, 2);
      const ctl = new Int32Array(_ring.descriptor.buffer);
      ctl[entry + L.PRODUCER_CLAIMING_WORD] = 1; // still inside its claiming window
    }));
  });
});

describe('ByteRing: a header that is not a real padding frame', () => {
  it('a padding length that is misaligned (what overwritten bytes can look like to a lapped reader) stops the scan instead of reading past the end', () => {
    const ring = ByteRing.create({ capacity: 512 });
    const reader = ring.addReader();
    const producer = ring.producer();
    let written = 0;
    while (producer.tryWrite(new Uint8Array(8))) written++;
    assert.equal(written, 32, 'the ring is full of 16-byte records');
    // The first record's LENGTH word (word 0) now says "padding of 508 bytes": it would step to
    // byte 508, whose TAG word lies past the end of the record space.
    const words = new Int32Array(ring.data.buffer, ring.data.byteOffset, 512 / 4);
    Atomics.store(words, 0, PADDING_FLAG | 508);
    assert.equal(reader.tryPoll(), 0, 'nothing taken, no RangeError');
  });
});
