/**
 * The bslatkin/ringbuffer facade: the reference's observed sequence (spec §3.1) and its ring
 * test scenarios 15–29 (spec §8) as behaviour, plus the answers to its open issues.
 */
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import assert from 'node:assert/strict';
import {
  AlreadyClosedError, DataTooLargeError, InvalidArgumentError, InvalidStateError, MustCreateReadersBeforeWritingError,
  RingBuffer, RingClosedError, TimeoutError, WaitingForReaderError, WaitingForWriterError, WriterFinishedError,
} from '../../src/index.js';

const enc = new TextEncoder();
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('RingBuffer: the reference sequence (3 slots, 1 reader), error kinds in order', () => {
  it('raises each error kind for the same reason, in the same order of checks', () => {
    const rb = new RingBuffer({ slotBytes: 8, slotCount: 3 });
    const reader = rb.newReader();
    // 1. read with no writer registered
    assert.throws(() => rb.tryRead(reader), WriterFinishedError);
    assert.throws(() => rb.read(reader), WriterFinishedError);
    // 2. write before newWriter
    assert.throws(() => rb.tryWrite(enc.encode('x')), AlreadyClosedError);
    rb.newWriter();
    // 3. empty ring
    assert.throws(() => rb.tryRead(reader), WaitingForWriterError);
    // 4. three writes fit, the fourth waits for the reader
    for (const s of ['one', 'two', 'three']) rb.tryWrite(enc.encode(s));
    assert.throws(() => rb.tryWrite(enc.encode('four')), WaitingForReaderError);
    // 5. conflict is checked before type and size
    assert.throws(() => rb.tryWrite(new Uint8Array(100)), WaitingForReaderError);
    assert.throws(() => rb.tryWrite('text' as unknown as Uint8Array), WaitingForReaderError);
    // 6. readers after the first write
    assert.throws(() => rb.newReader(), MustCreateReadersBeforeWritingError);
    // 7. one read makes room for one write
    assert.equal(str(rb.tryRead(reader)), 'one');
    assert.throws(() => rb.tryWrite('text' as unknown as Uint8Array), (e: Error) => e instanceof InvalidArgumentError && !(e instanceof DataTooLargeError));
    assert.throws(() => rb.tryWrite(new Uint8Array(9)), (e: Error) => e instanceof DataTooLargeError && e.message === '9 bytes too big for slot');
    rb.tryWrite(enc.encode('four'));
    // 8. after writerDone: writes are refused, reads drain, then finished (both paths)
    rb.writerDone();
    assert.throws(() => rb.tryWrite(enc.encode('five')), AlreadyClosedError);
    assert.deepEqual(['two', 'three', 'four'].map(() => str(rb.tryRead(reader))), ['two', 'three', 'four']);
    assert.throws(() => rb.tryRead(reader), WriterFinishedError);
    assert.throws(() => rb.read(reader, { timeout: 1000 }), WriterFinishedError);
    // unmatched writerDone is refused (the reference wraps its unsigned counter and reopens)
    assert.throws(() => rb.writerDone(), InvalidStateError);
    assert.throws(() => rb.newWriter(), AlreadyClosedError);
  });

  it('9. with two writers and one done, a caught-up reader is still waiting; 10. empty payloads round-trip', () => {
    const rb = new RingBuffer({ slotBytes: 8, slotCount: 3 });
    const reader = rb.newReader();
    rb.newWriter();
    rb.newWriter();
    rb.tryWrite(new Uint8Array(0));
    rb.writerDone();
    assert.deepEqual(rb.tryRead(reader), new Uint8Array(0));
    assert.throws(() => rb.tryRead(reader), WaitingForWriterError);
    rb.writerDone();
    assert.throws(() => rb.tryRead(reader), WriterFinishedError);
  });

  it('errors are RingkitErrors with the reference names', () => {
    assert.equal(new WaitingForReaderError('x').name, 'WaitingForReaderError');
    assert.ok(new WriterFinishedError('x') instanceof RingClosedError);
    assert.ok(new AlreadyClosedError('x') instanceof RingClosedError);
    assert.ok(new DataTooLargeError('x') instanceof InvalidArgumentError);
    assert.equal(new MustCreateReadersBeforeWritingError('x').name, 'MustCreateReadersBeforeWritingError');
  });
});

describe('RingBuffer: ring scenarios 15–29 of the reference test suite', () => {
  function ring(slots = 10, readers = 1): { rb: RingBuffer; readers: { id: number }[] } {
    const rb = new RingBuffer({ slotBytes: 100, slotCount: slots });
    const rs = Array.from({ length: readers }, () => rb.newReader());
    rb.newWriter();
    return { rb, readers: rs };
  }

  it('15/16. accepts bytes, typed arrays, DataViews and ArrayBuffers byte-exact; reads return fresh mutable copies', () => {
    const { rb, readers: [r] } = ring();
    const doubles = new Float64Array([1.5, -2, 3]);
    rb.tryWrite(doubles);
    rb.tryWrite(new DataView(new Uint8Array([1, 2, 3]).buffer));
    rb.tryWrite(new Uint8Array([9, 8]).buffer);
    const a = rb.tryRead(r!);
    assert.deepEqual(new Float64Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)), doubles);
    a[0] = 77;
    assert.ok(!(a.buffer instanceof SharedArrayBuffer), 'a copy, not a view into the ring');
    assert.deepEqual(rb.tryRead(r!), new Uint8Array([1, 2, 3]));
    assert.deepEqual(rb.tryRead(r!), new Uint8Array([9, 8]));
  });

  it('17/18/19. single write then read; read before write waits; two readers each get the item', () => {
    const { rb, readers: [a, b] } = ring(10, 2);
    assert.throws(() => rb.tryRead(a!), WaitingForWriterError);
    rb.tryWrite(enc.encode('hello'));
    assert.equal(rb.writes, 1);
    assert.equal(str(rb.tryRead(a!)), 'hello');
    assert.equal(str(rb.read(b!)), 'hello');
    assert.throws(() => rb.tryRead(a!), WaitingForWriterError);
    assert.throws(() => rb.tryRead(b!), WaitingForWriterError);
  });

  it('20. wrap at the first slot: 10 writes fill the ring, one read frees one slot', () => {
    const { rb, readers: [r] } = ring(10);
    for (let i = 0; i < 10; i++) rb.tryWrite(enc.encode(`write ${i}`));
    assert.throws(() => rb.tryWrite(enc.encode('x')), WaitingForReaderError);
    assert.equal(str(rb.tryRead(r!)), 'write 0');
    rb.tryWrite(enc.encode('write 10'));
    for (let i = 1; i <= 10; i++) assert.equal(str(rb.tryRead(r!)), `write ${i}`);
  });

  it('21. wrap at the last slot', () => {
    const { rb, readers: [r] } = ring(10);
    for (let i = 0; i < 9; i++) {
      rb.tryWrite(enc.encode(`write ${i}`));
      assert.equal(str(rb.tryRead(r!)), `write ${i}`);
    }
    for (let i = 10; i < 20; i++) rb.tryWrite(enc.encode(`write ${i}`));
    assert.throws(() => rb.tryWrite(enc.encode('x')), WaitingForReaderError);
    assert.equal(str(rb.tryRead(r!)), 'write 10');
    rb.tryWrite(enc.encode('write 20'));
    assert.equal(rb.lag(r!), 10);
  });

  it('23. close semantics: done before any read, after a write, and writes after done', () => {
    const { rb, readers: [r] } = ring();
    rb.tryWrite(enc.encode('last'));
    assert.equal(str(rb.tryRead(r!)), 'last');
    assert.throws(() => rb.tryRead(r!), WaitingForWriterError);
    rb.writerDone();
    assert.throws(() => rb.tryRead(r!), WriterFinishedError);
    assert.throws(() => rb.tryWrite(enc.encode('x')), AlreadyClosedError);
  });

  it('26. forceReaderSync moves every reader to the writer; syncReader moves one; forget drops one', () => {
    const { rb, readers: [a, b] } = ring(3, 2);
    for (let i = 0; i < 3; i++) rb.tryWrite(enc.encode(`${i}`));
    assert.equal(rb.lag(a!), 3);
    rb.forceReaderSync();
    assert.throws(() => rb.tryRead(a!), WaitingForWriterError);
    assert.throws(() => rb.tryRead(b!), WaitingForWriterError);
    rb.tryWrite(enc.encode('3'));
    rb.tryWrite(enc.encode('4'));
    rb.syncReader(a!);
    assert.equal(rb.lag(a!), 0);
    assert.equal(rb.lag(b!), 2);
    rb.forget(b!);
    for (let i = 5; i < 8; i++) rb.tryWrite(enc.encode(`${i}`));
    assert.throws(() => rb.tryWrite(enc.encode('x')), WaitingForReaderError, 'a is now 3 behind');
    assert.equal(rb.tryReadAll(a!).map(str).join(','), '5,6,7');
  });

  it('forceReaderSync frees a writer stalled by a reader that never reads again, at once (as the original)', async () => {
    const rb = new RingBuffer({ slotBytes: 8, slotCount: 4 });
    const [idle, active] = [rb.newReader(), rb.newReader()];
    rb.newWriter();
    for (let i = 0; i < 4; i++) rb.tryWrite(enc.encode(`${i}`));
    assert.equal(str(rb.tryRead(active)), '0');
    assert.throws(() => rb.tryWrite(enc.encode('x')), WaitingForReaderError, 'the idle reader stalls the writer');
    rb.forceReaderSync();
    assert.equal(rb.lag(idle), 0, 'moved now, not at its next read');
    for (let i = 4; i < 8; i++) rb.tryWrite(enc.encode(`${i}`)); // a full ring of room, at once
    assert.throws(() => rb.tryWrite(enc.encode('x')), WaitingForReaderError);
    assert.deepEqual(rb.tryReadAll(idle).map(str), ['4', '5', '6', '7'], 'the idle reader skipped what it had not read');
    assert.deepEqual(rb.tryReadAll(active).map(str), ['4', '5', '6', '7'], 'so did the active one');
    // A write() blocked in another thread is woken by forceReaderSync.
    for (let i = 8; i < 12; i++) rb.tryWrite(enc.encode(`${i}`));
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.core).then(({ RingBuffer }) => {
        const rb = RingBuffer.attach(workerData.descriptor);
        parentPort.postMessage('writing');
        rb.write(new TextEncoder().encode('12'), { timeout: 20000 });
        parentPort.postMessage('written');
      });`;
    const worker = new Worker(code, { eval: true, workerData: { core: new URL('../../src/index.js', import.meta.url).href, descriptor: rb.descriptor } });
    const messages: string[] = [];
    const written = new Promise<void>((resolve) => worker.on('message', (m: string) => {
      messages.push(m);
      if (m === 'written') resolve();
    }));
    while (!messages.includes('writing')) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(messages, ['writing'], 'the write waits for the readers');
    const t0 = Date.now();
    rb.forceReaderSync();
    await written;
    assert.ok(Date.now() - t0 < 2000, `woken in ${Date.now() - t0} ms`);
    await worker.terminate();
    assert.deepEqual(rb.tryReadAll(idle).map(str), ['12']);
  });

  it('recover(owner) ends the writers that owner registered: readers drain, then finish', () => {
    const rb = new RingBuffer({ slotBytes: 8, slotCount: 4 });
    const r = rb.newReader();
    const dead = RingBuffer.attach(rb.descriptor, { owner: 7 });
    dead.newWriter();
    dead.tryWrite(enc.encode('last'));
    assert.throws(() => rb.tryRead(r) && rb.tryRead(r), WaitingForWriterError);
    rb.recover(7);
    assert.equal(rb.activeWriters, 0);
    assert.throws(() => rb.read(r), WriterFinishedError);
    rb.recover(7); // idempotent
    // A writer registered on another's behalf is adopted by the owner that writes without one of
    // its own: its writerDone is its own, and recovering it ends that writer (not the others).
    const rb2 = new RingBuffer({ slotBytes: 8, slotCount: 4 });
    rb2.newReader();
    rb2.newWriter(); // for the child
    rb2.newWriter(); // for rb2's own owner
    const child = RingBuffer.attach(rb2.descriptor, { owner: 9 });
    child.tryWrite(enc.encode('x'));
    rb2.tryWrite(enc.encode('y')); // has a registration of its own: adopts nothing
    child.recover(9);
    assert.equal(rb2.activeWriters, 1, 'recovering the child ends the writer it adopted, only that one');
    child.recover(9);
    assert.equal(rb2.activeWriters, 1, 'idempotent');
    rb2.writerDone();
    assert.equal(rb2.activeWriters, 0);
    assert.throws(() => child.writerDone(), InvalidStateError);
    // Adopted, then done by the child itself: the parent's later recovery ends nothing more.
    const rb3 = new RingBuffer({ slotBytes: 8, slotCount: 4 });
    rb3.newReader();
    rb3.newWriter();
    rb3.newWriter();
    const c3 = RingBuffer.attach(rb3.descriptor, { owner: 11 });
    c3.tryWrite(enc.encode('z'));
    c3.writerDone();
    assert.equal(rb3.activeWriters, 1);
    c3.recover(11);
    assert.equal(rb3.activeWriters, 1, 'the child had nothing left');
    c3.recover(rb3.owner);
    assert.equal(rb3.activeWriters, 0, 'the parent\'s own registration');
  });

  it('27/28. two writers share one cursor; the reader gets their items in order, then finished', () => {
    const { rb, readers: [r] } = ring();
    rb.newWriter();
    for (const s of ['aaa', 'bbb', 'ccc', 'ddd']) rb.tryWrite(enc.encode(s));
    assert.equal(rb.writes, 4);
    rb.writerDone();
    rb.writerDone();
    assert.deepEqual(rb.tryReadAll(r!).map(str), ['aaa', 'bbb', 'ccc', 'ddd']);
    assert.throws(() => rb.read(r!), WriterFinishedError);
  });

  it('zero-copy reserveWrite/commitWrite; blocking write and read time out', () => {
    const { rb, readers: [r] } = ring(2);
    const slot = rb.reserveWrite(5);
    assert.ok(slot.buffer instanceof SharedArrayBuffer, 'a view into the ring');
    slot.set(enc.encode('inpla'));
    assert.throws(() => rb.tryRead(r!), WaitingForWriterError, 'not visible before commit');
    rb.commitWrite();
    assert.throws(() => rb.commitWrite(), InvalidStateError);
    rb.tryWrite(enc.encode('b'));
    assert.throws(() => rb.write(enc.encode('c'), { timeout: 20 }), TimeoutError);
    assert.throws(() => rb.reserveWrite(1, { timeout: 20 }), TimeoutError);
    assert.equal(str(rb.read(r!, { timeout: 100 })), 'inpla');
    rb.write(enc.encode('c'), { timeout: 100 });
    assert.equal(str(rb.read(r!)), 'b');
    assert.equal(str(rb.read(r!)), 'c');
    assert.throws(() => rb.read(r!, { timeout: 20 }), TimeoutError);
  });

  it('readView reads in place and holds the slot until the next read or releaseView', () => {
    const { rb, readers: [r] } = ring(2);
    rb.tryWrite(enc.encode('a'));
    rb.tryWrite(enc.encode('b'));
    const view = rb.readView(r!);
    assert.ok(view.buffer instanceof SharedArrayBuffer);
    assert.equal(str(view.slice()), 'a');
    assert.throws(() => rb.tryWrite(enc.encode('c')), WaitingForReaderError, 'the viewed slot is still held');
    rb.releaseView(r!);
    rb.tryWrite(enc.encode('c'));
    assert.equal(str(rb.readView(r!).slice()), 'b');
    assert.equal(str(rb.read(r!)), 'c', 'the next read releases the viewed slot first');
    assert.equal(rb.lag(r!), 0);
  });

  it('slots larger than 2^24 bytes live in a side area; bad sizes are refused with the option named', () => {
    const rb = new RingBuffer({ slotBytes: 2 ** 24 + 8, slotCount: 1 });
    const r = rb.newReader();
    rb.newWriter();
    const big = new Uint8Array(2 ** 24 + 8);
    big[big.length - 1] = 42;
    rb.tryWrite(big);
    assert.throws(() => rb.tryWrite(new Uint8Array(1)), WaitingForReaderError, 'slotCount 1 is honoured though memory holds 2');
    assert.equal(rb.tryRead(r)[2 ** 24 + 7], 42);
    assert.throws(() => new RingBuffer({ slotBytes: 0, slotCount: 3 }), /options.slotBytes must be an integer in \[1, 2\^30\]: slotBytes=0/);
    assert.throws(() => new RingBuffer({ slotBytes: 10, slotCount: 1.5 }), /options.slotCount/);
    assert.throws(() => new RingBuffer({ slotBytes: 10, slotCount: 4, maxReaders: 0 }), /options.maxReaders/);
    assert.throws(() => rb.tryRead({ id: 7 }), /not a registered consumer/);
  });
});
